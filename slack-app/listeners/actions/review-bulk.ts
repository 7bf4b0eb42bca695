// "Keep all unflagged" / "Revoke all flagged" on a review message (the latter behind Slack's confirm
// dialog): one bulk Update to the reviewer run; the workflow leaves the clicker's own access alone
// and says how many it skipped, which the re-rendered message reports.
import type { App } from '@slack/bolt';
import type { BulkChoice, DecideItemsResult } from '../../../workflows/access-review/definitions';
import { bulkNotice } from '../../../shared/slack-blocks/review-message';
import { tellUser } from '../../context';
import type { ListenerContext } from '../../context';
import { reviewActionPattern } from '../../../shared/slack-blocks/ids';
import { refreshAfterDecision, reviewClick, tellRefusal } from './review-click';

export const BULK_ACTION = reviewActionPattern('bulk');

/** Only the choices the message offers: `keep-all` / `revoke-all` stay with the CLI, where nobody clicks them by accident. */
const SLACK_BULK: readonly BulkChoice[] = ['keep-unflagged', 'revoke-flagged'];

export function register(app: App, ctx: ListenerContext): void {
  app.action(BULK_ACTION, async ({ ack, body, client }) => {
    await ack();
    const click = await reviewClick(body, ctx, client);
    if (!click) return;
    const choice = SLACK_BULK.find((c) => c === click.what);
    if (!choice || (click.suffix !== undefined && click.suffix !== choice)) {
      await tellUser(client, click.where, 'That button does not name a bulk choice; nothing was changed.');
      return;
    }
    let result: DecideItemsResult;
    try {
      result = await click.reviews.decideOn(click.runId, { reviewer: click.person.id, bulk: choice, via: 'slack' });
    } catch (err) {
      await tellRefusal(ctx, client, click, err);
      return;
    }
    const decided = result;
    await refreshAfterDecision(ctx, client, click, () => bulkNotice(choice, decided));
  });
}
