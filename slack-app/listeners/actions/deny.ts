// Deny and Reject ask for a reason first (a modal); the decision is made on its submission.
import type { App } from '@slack/bolt';
import { ACTIONS } from '../../blocks/ids';
import { denyModal } from '../../blocks/modals';
import { tellUser, unknownUserText } from '../../context';
import type { ListenerContext } from '../../context';
import { parseButton } from './payload';

export function register(app: App, ctx: ListenerContext): void {
  for (const actionId of [ACTIONS.deny, ACTIONS.reject]) {
    app.action(actionId, async ({ ack, body, client }) => {
      await ack();
      const click = parseButton(body);
      if (!click) return;
      const where = { channel: click.channel, user: click.slackUser };
      if (!ctx.personFor(click.slackUser)) return tellUser(client, where, unknownUserText(click.slackUser));
      if (!click.grantId || !click.triggerId) return tellUser(client, where, 'That button does not name a break-glass request; nothing was changed.');
      await client.views.open({
        trigger_id: click.triggerId,
        view: denyModal({ grantId: click.grantId, kind: actionId === ACTIONS.deny ? 'deny' : 'reject', ...(click.channel ? { channel: click.channel } : {}) }),
      });
    });
  }
}
