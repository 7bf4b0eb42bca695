// Approve and Ratify: the approve Update on the round the button names. The card is not touched
// here: the workflow re-renders it from its own state (notify), so two approvers clicking at once
// can only ever produce the outcome the workflow decided; the reply is written from the Update's
// result, never assumed.
import type { App } from '@slack/bolt';
import { ACTIONS } from '../../../shared/slack-blocks/ids';
import { explain, tellUser } from '../../context';
import type { ListenerContext } from '../../context';
import { requestClick } from './payload';
import { decisionReply } from '../../../shared/slack-blocks/messages';

export function register(app: App, ctx: ListenerContext): void {
  for (const actionId of [ACTIONS.approve, ACTIONS.ratify]) {
    app.action(actionId, async ({ ack, body, client }) => {
      await ack();
      const click = await requestClick(body, ctx, client, { needsRound: true });
      if (!click?.round) return;
      const { person, where } = click;
      try {
        const r = await ctx.breakGlass.approve(click.grantId, person.id, { round: click.round, via: 'slack' });
        await tellUser(client, where, decisionReply(click.grantId, r));
      } catch (err) {
        ctx.logger.info({ grantId: click.grantId, by: person.id, err: err instanceof Error ? err.message : String(err) }, 'decision refused');
        await tellUser(client, where, explain(err));
      }
    });
  }
}
