// "Request access" on App Home: the same modal as a bare `/breakglass`.
import type { App } from '@slack/bolt';
import { requestableRoles } from '../../../config/policy/lookup';
import { ACTIONS } from '../../../shared/slack-blocks/ids';
import { requestModal } from '../../../shared/slack-blocks/modals';
import { tellUser, unknownUserText } from '../../context';
import type { ListenerContext } from '../../context';
import { parseButton } from './payload';

export function register(app: App, ctx: ListenerContext): void {
  app.action(ACTIONS.openRequest, async ({ ack, body, client }) => {
    await ack();
    const click = parseButton(body);
    if (!click?.triggerId) return;
    const where = { channel: click.channel, user: click.slackUser };
    const person = ctx.personFor(click.slackUser);
    if (!person) return tellUser(client, where, unknownUserText(click.slackUser));
    const roles = requestableRoles(ctx.policy, person.id);
    if (roles.length === 0) return tellUser(client, where, `${person.id} may not request any break-glass role.`);
    await client.views.open({ trigger_id: click.triggerId, view: requestModal(roles) });
  });
}
