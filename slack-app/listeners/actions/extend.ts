// "Extend…" in the requester's DM: asks for how much longer, then sends the extend Update (a new
// approval round on the workflow).
import type { App } from '@slack/bolt';
import { ACTIONS } from '../../blocks/ids';
import { extendModal } from '../../blocks/modals';
import { tellUser, unknownUserText } from '../../context';
import type { ListenerContext } from '../../context';
import { parseButton } from './payload';

export function register(app: App, ctx: ListenerContext): void {
  app.action(ACTIONS.extend, async ({ ack, body, client }) => {
    await ack();
    const click = parseButton(body);
    if (!click) return;
    const where = { channel: click.channel, user: click.slackUser };
    if (!ctx.personFor(click.slackUser)) return tellUser(client, where, unknownUserText(click.slackUser));
    if (!click.grantId || !click.triggerId) return tellUser(client, where, 'That button does not name a break-glass request; nothing was changed.');
    await client.views.open({ trigger_id: click.triggerId, view: extendModal({ grantId: click.grantId, ...(click.channel ? { channel: click.channel } : {}) }) });
  });
}
