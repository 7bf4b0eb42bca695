// Approve and Ratify: both are the approve Update on the request's open round. The card is not
// touched here: the workflow re-renders it from its own state (notify), so two approvers clicking
// at once can only ever produce the outcome the workflow decided.
import type { App } from '@slack/bolt';
import { ACTIONS } from '../../blocks/ids';
import { explain, tellUser } from '../../context';
import type { ListenerContext } from '../../context';
import { requestClick } from './payload';

export function register(app: App, ctx: ListenerContext): void {
  for (const actionId of [ACTIONS.approve, ACTIONS.ratify]) {
    app.action(actionId, async ({ ack, body, client }) => {
      await ack();
      const click = await requestClick(body, ctx, client);
      if (!click) return;
      const { person, where } = click;
      try {
        const r = await ctx.breakGlass.approve(click.grantId, person.id);
        const what = actionId === ACTIONS.ratify ? 'ratification' : 'approval';
        await tellUser(client, where, r.duplicate ? `You had already approved \`${click.grantId}\`.` : `Your ${what} of \`${click.grantId}\` is recorded (${r.approvals} of ${r.quorum}).`);
      } catch (err) {
        ctx.logger.info({ grantId: click.grantId, by: person.id, err: err instanceof Error ? err.message : String(err) }, 'decision refused');
        await tellUser(client, where, explain(err));
      }
    });
  }
}
