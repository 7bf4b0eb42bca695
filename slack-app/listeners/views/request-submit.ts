// The request modal's submission. Validation errors go back inline (response_action: errors) and
// start nothing; a valid request closes the modal, then starts the workflow. The workflow id comes
// from the view id, so pressing Submit twice (or Slack retrying) starts one workflow.
import type { App } from '@slack/bolt';
import { z } from 'zod';
import { SafeguardError } from '../../../client/errors';
import type { SafeguardErrorCode } from '../../../client/errors';
import { buildBreakGlassInput } from '../../../client/request';
import { getRole } from '../../../config/policy/lookup';
import { REQUEST_FIELDS } from '../../../shared/slack-blocks/ids';
import { ephemeral } from '../../../shared/slack-blocks/messages';
import { explain, unknownUserText } from '../../context';
import type { ListenerContext } from '../../context';
import { viewShortId } from '../../ids';

const input = z.object({ value: z.string().max(5000).nullish() }).passthrough();
const select = z.object({ selected_option: z.object({ value: z.string().max(200) }).nullish() }).passthrough();

const submissionSchema = z.object({
  user: z.object({ id: z.string().min(1).max(32) }),
  team: z.object({ id: z.string().max(32) }).nullish(),
  view: z.object({
    id: z.string().min(1).max(64),
    team_id: z.string().max(32).optional(),
    state: z.object({
      values: z.object({
        [REQUEST_FIELDS.role.block]: z.object({ [REQUEST_FIELDS.role.action]: select }),
        [REQUEST_FIELDS.duration.block]: z.object({ [REQUEST_FIELDS.duration.action]: input }).optional(),
        [REQUEST_FIELDS.reason.block]: z.object({ [REQUEST_FIELDS.reason.action]: input }),
        [REQUEST_FIELDS.ticket.block]: z.object({ [REQUEST_FIELDS.ticket.action]: input }).optional(),
      }),
    }),
  }),
});

const FIELD_OF: Partial<Record<SafeguardErrorCode, string>> = {
  UNKNOWN_ROLE: REQUEST_FIELDS.role.block,
  NOT_ALLOWED_TO_REQUEST: REQUEST_FIELDS.role.block,
  INVALID_DURATION: REQUEST_FIELDS.duration.block,
  DURATION_OVER_MAXIMUM: REQUEST_FIELDS.duration.block,
  REASON_TOO_SHORT: REQUEST_FIELDS.reason.block,
  REASON_TOO_LONG: REQUEST_FIELDS.reason.block,
  TICKET_REQUIRED: REQUEST_FIELDS.ticket.block,
  INVALID_TICKET: REQUEST_FIELDS.ticket.block,
  SECRET_IN_TEXT: REQUEST_FIELDS.reason.block,
  CONTROL_CHARACTER_IN_TEXT: REQUEST_FIELDS.reason.block,
};

export function register(app: App, ctx: ListenerContext): void {
  app.view('bg_request', async ({ ack, body, client }) => {
    const parsed = submissionSchema.safeParse(body);
    if (!parsed.success) {
      await ack({ response_action: 'errors', errors: { [REQUEST_FIELDS.role.block]: 'This form could not be read; close it and run /breakglass again.' } });
      return;
    }
    const b = parsed.data;
    const person = ctx.personFor(b.user.id);
    if (!person) {
      await ack({ response_action: 'errors', errors: { [REQUEST_FIELDS.role.block]: unknownUserText(b.user.id).slice(0, 150) } });
      return;
    }
    const v = b.view.state.values;
    const role = v.role.role.selected_option?.value ?? '';
    const duration = v.duration?.duration.value?.trim() || undefined;
    const reason = v.reason.reason.value ?? '';
    const ticket = v.ticket?.ticket.value?.trim() || undefined;
    let request;
    try {
      request = buildBreakGlassInput(
        ctx.policy,
        { requester: person.id, role, reason, via: 'slack', ...(duration !== undefined ? { duration } : {}), ...(ticket !== undefined ? { ticket } : {}) },
        viewShortId(b.team?.id ?? b.view.team_id ?? '', b.view.id),
      );
    } catch (err) {
      // A secret in the ticket is reported on the ticket field; everywhere else the code picks the field.
      const block = err instanceof SafeguardError ? (err.code === 'SECRET_IN_TEXT' && err.message.startsWith('the ticket') ? REQUEST_FIELDS.ticket.block : (FIELD_OF[err.code] ?? REQUEST_FIELDS.role.block)) : REQUEST_FIELDS.role.block;
      // Slack shows at most a short line under the field.
      await ack({ response_action: 'errors', errors: { [block]: explain(err).slice(0, 150) } });
      return;
    }
    await ack();
    try {
      const id = await ctx.breakGlass.start(request);
      const channel = getRole(ctx.policy, request.role.name)?.approversChannel ?? ctx.policy.slack?.approversChannel;
      const where = channel ? ` Follow it in <#${channel}>` : '';
      const m = ephemeral(`Requested ${request.role.name} for ${duration ?? 'the default duration'}: ${id}.`);
      await client.chat.postMessage({ channel: b.user.id, text: m.text, blocks: [...m.blocks, { type: 'context', elements: [{ type: 'mrkdwn', text: `${where || ' '} or with \`/breakglass status ${id}\`; you will get a DM when it is decided.` }] }] });
    } catch (err) {
      ctx.logger.error({ err, role: request.role.name }, 'could not start break-glass request');
      await client.chat.postMessage({ channel: b.user.id, ...ephemeral(`Your ${request.role.name} request could not be started: ${explain(err)}`) });
    }
  });
}
