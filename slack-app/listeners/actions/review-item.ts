// Keep / Revoke on one item of a review message: one decision Update to the reviewer run the button
// names (the workflow's validator decides who may), then the message re-rendered in place at the
// same page from the status Query.
import type { App } from '@slack/bolt';
import type { ItemDecision } from '../../../workflows/access-review/definitions';
import { itemDecidedNotice } from '../../../shared/slack-blocks/review-message';
import { tellUser } from '../../context';
import type { ListenerContext } from '../../context';
import { reviewActionPattern } from '../../../shared/slack-blocks/ids';
import { isItemKey, refreshAfterDecision, reviewClick, tellRefusal } from './review-click';

export const ITEM_ACTION = reviewActionPattern('keep', 'revoke');

export function register(app: App, ctx: ListenerContext): void {
  app.action(ITEM_ACTION, async ({ ack, body, client }) => {
    await ack();
    const click = await reviewClick(body, ctx, client);
    if (!click) return;
    const key = click.what;
    if (!isItemKey(key) || click.suffix !== undefined) {
      await tellUser(client, click.where, 'That button does not name a review item; nothing was changed.');
      return;
    }
    const decision: ItemDecision = click.verb === 'keep' ? 'keep' : 'revoke';
    try {
      await click.reviews.decideOn(click.runId, { reviewer: click.person.id, items: [{ key, decision }], via: 'slack' });
    } catch (err) {
      await tellRefusal(ctx, client, click, err);
      return;
    }
    await refreshAfterDecision(ctx, client, click, (s) => itemDecidedNotice(s.items.find((i) => i.key === key), decision));
  });
}
