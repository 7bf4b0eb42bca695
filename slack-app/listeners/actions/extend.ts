// "Extend…" in the requester's DM: asks for how much longer, then sends the extend Update (a new
// approval round on the workflow).
import type { App } from '@slack/bolt';
import { ACTIONS } from '../../../shared/slack-blocks/ids';
import { extendModal } from '../../../shared/slack-blocks/modals';
import type { ListenerContext } from '../../context';
import { requestClick } from './payload';

export function register(app: App, ctx: ListenerContext): void {
  app.action(ACTIONS.extend, async ({ ack, body, client }) => {
    await ack();
    const click = await requestClick(body, ctx, client, { needsTrigger: true });
    if (!click?.triggerId) return;
    const { channel } = click.where;
    await client.views.open({ trigger_id: click.triggerId, view: extendModal({ grantId: click.grantId, ...(channel ? { channel } : {}) }) });
  });
}
