// `/breakglass …`. Everything that can be decided without Temporal (who you are, what you typed, the
// policy's rules) is decided before ack, so errors come back in the ack itself; anything slower
// runs after ack and answers through response_url.
import type { App } from '@slack/bolt';
import { z } from 'zod';
import { buildBreakGlassInput } from '../../../client/request';
import { requestableRoles } from '../../../config/policy/lookup';
import { HELP_TEXT, ephemeral, listMessage, statusMessage } from '../../../shared/slack-blocks/messages';
import { requestModal } from '../../../shared/slack-blocks/modals';
import { parseCommandText } from '../../command';
import { explain, unknownUserText } from '../../context';
import type { ListenerContext } from '../../context';
import { commandShortId } from '../../ids';

const commandSchema = z.object({
  user_id: z.string().min(1).max(32),
  team_id: z.string().max(32).optional(),
  text: z.string(),
  trigger_id: z.string().max(256).optional(),
  channel_id: z.string().max(32).optional(),
});

export function register(app: App, ctx: ListenerContext): void {
  app.command('/breakglass', async ({ command, ack, respond, client }) => {
    const parsed = commandSchema.safeParse(command);
    if (!parsed.success) {
      await ack(ephemeral('That command payload was malformed; nothing was started.'));
      return;
    }
    const body = parsed.data;
    const person = ctx.personFor(body.user_id);
    if (!person) {
      await ack(ephemeral(unknownUserText(body.user_id)));
      return;
    }
    const cmd = parseCommandText(body.text);
    switch (cmd.kind) {
      case 'error':
        await ack(ephemeral(cmd.message));
        return;
      case 'help':
        await ack({ text: HELP_TEXT, response_type: 'ephemeral' });
        return;
      case 'modal': {
        const roles = requestableRoles(ctx.policy, person.id);
        if (roles.length === 0) {
          await ack(ephemeral(`${person.id} may not request any break-glass role.`));
          return;
        }
        await ack();
        if (!body.trigger_id) return;
        await client.views.open({ trigger_id: body.trigger_id, view: requestModal(roles) });
        return;
      }
      case 'request': {
        let input;
        try {
          const args = { requester: person.id, role: cmd.role, duration: cmd.duration, reason: cmd.reason, via: 'slack' as const, ...(cmd.ticket !== undefined ? { ticket: cmd.ticket } : {}) };
          input = buildBreakGlassInput(ctx.policy, args, commandShortId(body));
        } catch (err) {
          await ack(ephemeral(`${explain(err)}\nNothing was started.`));
          return;
        }
        await ack(ephemeral(`Requesting ${input.role.name} for ${cmd.duration}…`));
        try {
          const id = await ctx.breakGlass.start(input);
          await respond({ response_type: 'ephemeral', text: `Requested \`${id}\`. The approvers have been asked; you will get a DM when it is decided. Follow it with \`/breakglass status ${id}\`.` });
        } catch (err) {
          ctx.logger.error({ err, role: input.role.name }, 'could not start break-glass request');
          await respond({ response_type: 'ephemeral', text: explain(err) });
        }
        return;
      }
      case 'status':
      case 'list':
      case 'revoke': {
        await ack();
        try {
          if (cmd.kind === 'status' && cmd.id) {
            await respond({ response_type: 'ephemeral', ...statusMessage(await ctx.breakGlass.status(cmd.id), ctx.who) });
          } else if (cmd.kind === 'status') {
            const mine = (await ctx.breakGlass.list({ active: true, limit: 100 })).filter((i) => i.requester === person.id);
            await respond({ response_type: 'ephemeral', ...listMessage(mine, 'Your open requests') });
          } else if (cmd.kind === 'list') {
            await respond({ response_type: 'ephemeral', ...listMessage(await ctx.breakGlass.list({ active: true, limit: 30 }), 'Active requests') });
          } else {
            const r = await ctx.breakGlass.revoke(cmd.id, person.id, cmd.reason);
            await respond({ response_type: 'ephemeral', text: `Revocation of \`${cmd.id}\` accepted (${r.phase}); you will get the receipt by DM.` });
          }
        } catch (err) {
          await respond({ response_type: 'ephemeral', ...ephemeral(explain(err)) });
        }
        return;
      }
    }
  });
}
