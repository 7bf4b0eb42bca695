// Declarative runbooks' confirm steps in Slack: the card's Confirm button (`runbook:confirm`, value
// `<workflow id>@<step id>[@note]`) opens a note modal; submitting it sends the run's `confirm` Update
// as the person behind the Slack user. The workflow's validator decides (a confirmer? the requester?
// a note? the step it waits on?); the reply is written from its answer or its refusal.
import { STEP_ID_PATTERN } from '../../config/policy/fields';
import type { App } from '@slack/bolt';
import { z } from 'zod';
import { SafeguardError } from '../../client/errors';
import { kindOfWorkflowId } from '../../client/ids';
import { assertFreeText } from '../../client/request';
import { CONFIRM_FIELDS, NOTE_REQUIRED_FLAG, RUNBOOK_CONFIRM_ACTION, RUNBOOK_CONFIRM_VIEW } from '../../shared/slack-blocks/ids';
import { MAX_CONFIRM_NOTE, runbookConfirmModal, runbookConfirmReply } from '../../shared/slack-blocks/runbook-card';
import type { ConfirmModalMeta } from '../../shared/slack-blocks/runbook-card';
import { explain, tellUser, unknownUserText } from '../context';
import type { ListenerContext } from '../context';
import { buttonBodySchema } from '../listeners/actions/payload';
import { readSubmission } from '../listeners/views/submission';

export const knows = {
  action: (id: string): boolean => id === RUNBOOK_CONFIRM_ACTION,
  view: (callbackId: string): boolean => callbackId === RUNBOOK_CONFIRM_VIEW,
};

/** A Slack conversation id (C…, G…, D…), where the click came from and the reply goes. */
const CHANNEL_ID = /^[A-Z][A-Z0-9]{2,31}$/;

const runbookRunId = z
  .string()
  .max(120)
  .refine((id) => kindOfWorkflowId(id) === 'runbook', 'not a runbook run id');
const stepId = z.string().regex(STEP_ID_PATTERN);

const confirmTargetSchema = z.strictObject({ workflowId: runbookRunId, step: stepId, noteRequired: z.boolean() });

/** private_metadata travels through Slack: checked as strictly as the button value it came from. */
export const confirmMetaSchema = z.strictObject({ workflowId: runbookRunId, step: stepId, noteRequired: z.boolean(), channel: z.string().regex(CHANNEL_ID).optional() });

/** The run and step a Confirm button names, or undefined for anything but a runbook run id and a step id. */
export function parseConfirmButton(value: string | undefined): { workflowId: string; step: string; noteRequired: boolean } | undefined {
  const [workflowId, step, flag, ...rest] = (value ?? '').split('@');
  if (rest.length > 0 || (flag !== undefined && flag !== NOTE_REQUIRED_FLAG)) return undefined;
  const p = confirmTargetSchema.safeParse({ workflowId, step, noteRequired: flag === NOTE_REQUIRED_FLAG });
  return p.success ? p.data : undefined;
}

const noteSubmissionSchema = z.object({
  user: z.object({ id: z.string().min(1).max(32) }),
  view: z.object({
    private_metadata: z.string().max(3000),
    state: z.object({ values: z.object({ [CONFIRM_FIELDS.note.block]: z.object({ [CONFIRM_FIELDS.note.action]: z.object({ value: z.string().max(5000).nullish() }).passthrough() }) }) }),
  }),
});

/** Why a note cannot be sent as typed, for the note field; undefined when it can. */
function noteProblem(note: string, required: boolean): string | undefined {
  if (required && note.length === 0) return 'This step needs a note: say what you did or saw.';
  if (note.length > MAX_CONFIRM_NOTE) return `The note is longer than ${MAX_CONFIRM_NOTE} characters.`;
  try {
    assertFreeText('note', note);
  } catch (err) {
    if (err instanceof SafeguardError) return explain(err).slice(0, 150);
    throw err;
  }
  return undefined;
}

const NOT_CONNECTED = 'This Slack app is not connected to runbooks, so nothing was confirmed; use the `safeguard` CLI.';

export function register(app: App, ctx: ListenerContext): void {
  app.action(RUNBOOK_CONFIRM_ACTION, async ({ ack, body, client }) => {
    await ack();
    const p = buttonBodySchema.safeParse(body);
    if (!p.success) return;
    const action = p.data.actions[0]!;
    const channel = p.data.channel?.id ?? p.data.container?.channel_id;
    const where = { channel, user: p.data.user.id };
    if (!ctx.personFor(p.data.user.id)) return tellUser(client, where, unknownUserText(p.data.user.id));
    const target = parseConfirmButton(action.value);
    if (!target) return tellUser(client, where, 'That button does not name a runbook run and step; nothing was changed.');
    if (!ctx.runbooks) return tellUser(client, where, NOT_CONNECTED);
    if (!p.data.trigger_id) return tellUser(client, where, 'Slack sent no way to open the confirmation form; nothing was changed. Click Confirm again.');
    const meta: ConfirmModalMeta = { ...target, ...(channel && CHANNEL_ID.test(channel) ? { channel } : {}) };
    await client.views.open({ trigger_id: p.data.trigger_id, view: runbookConfirmModal(meta) });
  });

  app.view(RUNBOOK_CONFIRM_VIEW, async ({ ack, body, client }) => {
    const fieldError = (text: string) => ack({ response_action: 'errors', errors: { [CONFIRM_FIELDS.note.block]: text } });
    const read = readSubmission(body, noteSubmissionSchema, confirmMetaSchema);
    if (!read) return fieldError('This form could not be read; nothing was changed.');
    const { meta } = read;
    const note = (read.body.view.state.values.note.note.value ?? '').trim();
    const problem = noteProblem(note, meta.noteRequired);
    if (problem) return fieldError(problem);
    const person = ctx.personFor(read.body.user.id);
    if (!person) return fieldError(unknownUserText(read.body.user.id).slice(0, 150));
    const runbooks = ctx.runbooks;
    if (!runbooks) return fieldError(NOT_CONNECTED);
    await ack();
    const where = { channel: meta.channel, user: read.body.user.id };
    try {
      const r = await runbooks.confirm(meta.workflowId, person.id, { step: meta.step, ...(note ? { note } : {}), via: 'slack' });
      await tellUser(client, where, runbookConfirmReply(meta.workflowId, r));
    } catch (err) {
      ctx.logger.info({ workflowId: meta.workflowId, step: meta.step, by: person.id, err: err instanceof Error ? err.message : String(err) }, 'confirmation refused');
      await tellUser(client, where, explain(err));
    }
  });
}
