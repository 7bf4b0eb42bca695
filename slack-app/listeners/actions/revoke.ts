// "Revoke now" on the card, in the requester's DM and on App Home.
import type { App } from '@slack/bolt';
import { ACTIONS } from '../../../shared/slack-blocks/ids';
import { explain, tellUser } from '../../context';
import type { ListenerContext } from '../../context';
import { requestClick } from './payload';

export function register(app: App, ctx: ListenerContext): void {
  app.action(ACTIONS.revoke, async ({ ack, body, client }) => {
    await ack();
    const click = await requestClick(body, ctx, client);
    if (!click) return;
    const { person, where } = click;
    try {
      await ctx.breakGlass.revoke(click.grantId, person.id, 'revoked from Slack');
      await tellUser(client, where, `Revocation of \`${click.grantId}\` accepted; the receipt follows when it is verified.`);
    } catch (err) {
      await tellUser(client, where, explain(err));
    }
  });
}
