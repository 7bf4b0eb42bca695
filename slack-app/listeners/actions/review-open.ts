// "Open" on App Home's pending reviews and "Open review" on a reminder: DMs the reviewer's message
// (its first page, from the status Query) as a new message, so the reader has buttons to click.
import type { App } from '@slack/bolt';
import { reviewActionPattern } from '../../../shared/slack-blocks/ids';
import { tellUser } from '../../context';
import type { ListenerContext } from '../../context';
import { reviewClick, showReview } from './review-click';

export function register(app: App, ctx: ListenerContext): void {
  app.action(reviewActionPattern('open'), async ({ ack, body, client }) => {
    await ack();
    const click = await reviewClick(body, ctx, client);
    if (!click) return;
    if (!/^\d{1,6}$/.test(click.what)) {
      await tellUser(client, click.where, 'That button does not name a review; nothing was shown.');
      return;
    }
    try {
      await showReview(ctx, client, click, { offset: Number(click.what), newMessage: true });
    } catch (err) {
      ctx.logger.info({ runId: click.runId, err: err instanceof Error ? err.message : String(err) }, 'review not opened');
      await tellUser(client, click.where, 'The review could not be read just now; try again, or run `safeguard review status`.');
    }
  });
}
