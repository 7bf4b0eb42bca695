// "Revoke now" on the card, in the requester's DM and on App Home.
import type { App } from '@slack/bolt';
import { ACTIONS } from '../../blocks/ids';
import { explain, tellUser, unknownUserText } from '../../context';
import type { ListenerContext } from '../../context';
import { parseButton } from './payload';

export function register(app: App, ctx: ListenerContext): void {
  app.action(ACTIONS.revoke, async ({ ack, body, client }) => {
    await ack();
    const click = parseButton(body);
    if (!click) return;
    const where = { channel: click.channel, user: click.slackUser };
    const person = ctx.personFor(click.slackUser);
    if (!person) return tellUser(client, where, unknownUserText(click.slackUser));
    if (!click.grantId) return tellUser(client, where, 'That button does not name a break-glass request; nothing was changed.');
    try {
      await ctx.breakGlass.revoke(click.grantId, person.id, 'revoked from Slack');
      await tellUser(client, where, `Revocation of \`${click.grantId}\` accepted; the receipt follows when it is verified.`);
    } catch (err) {
      await tellUser(client, where, explain(err));
    }
  });
}
