// Previous / Next page on a review message: the page is re-rendered from the status Query at the
// offset the button carries; nothing is decided and nothing about pages is stored.
import type { App } from '@slack/bolt';
import { tellUser } from '../../context';
import type { ListenerContext } from '../../context';
import { reviewActionPattern } from '../../../shared/slack-blocks/ids';
import { reviewClick, showReview } from './review-click';

export const PAGE_ACTION = reviewActionPattern('page');

export function register(app: App, ctx: ListenerContext): void {
  app.action(PAGE_ACTION, async ({ ack, body, client }) => {
    await ack();
    const click = await reviewClick(body, ctx, client);
    if (!click) return;
    if (!/^\d{1,6}$/.test(click.what)) {
      await tellUser(client, click.where, 'That button does not name a page of the review; nothing was changed.');
      return;
    }
    try {
      await showReview(ctx, client, click, { offset: Number(click.what) });
    } catch (err) {
      ctx.logger.info({ runId: click.runId, err: err instanceof Error ? err.message : String(err) }, 'review page not shown');
      await tellUser(client, click.where, 'The review could not be read just now; try again, or run `safeguard review status`.');
    }
  });
}
