// Deny and Reject ask for a reason first (a modal); the decision is made on its submission.
import type { App } from '@slack/bolt';
import { ACTIONS } from '../../../shared/slack-blocks/ids';
import { denyModal } from '../../../shared/slack-blocks/modals';
import type { ListenerContext } from '../../context';
import { requestClick } from './payload';

export function register(app: App, ctx: ListenerContext): void {
  for (const actionId of [ACTIONS.deny, ACTIONS.reject]) {
    app.action(actionId, async ({ ack, body, client }) => {
      await ack();
      const click = await requestClick(body, ctx, client, { needsTrigger: true, needsRound: true });
      if (!click?.triggerId || !click.round) return;
      const { channel } = click.where;
      await client.views.open({
        trigger_id: click.triggerId,
        view: denyModal({ grantId: click.grantId, round: click.round, kind: actionId === ACTIONS.deny ? 'deny' : 'reject', ...(channel ? { channel } : {}) }),
      });
    });
  }
}
