// Decisions on every other kind's runs (deleting a rotated key, …): the runbook card's Approve and
// Deny buttons (`<kind>:approve|deny`, value `<workflow id>@<round>`) and the deny-reason modal.
// The workflow's validators decide; replies are written from the Update's result.
import type { App } from '@slack/bolt';
import { z } from 'zod';
import { kindOfWorkflowId } from '../../client/ids';
import { DENY_FIELDS, RUNBOOK_DECISION_ACTION, RUNBOOK_DENY_VIEW } from '../../shared/slack-blocks/ids';
import { runbookDecisionReply, runbookDenyModal } from '../../shared/slack-blocks/runbook-card';
import { MIN_DENY_REASON_LENGTH } from '../../workflows/shared/approval/gate';
import { explain, tellUser, unknownUserText } from '../context';
import type { ListenerContext } from '../context';
import { buttonBodySchema } from '../listeners/actions/payload';
import { readSubmission, reasonSubmissionSchema } from '../listeners/views/submission';

export const knows = {
  action: (id: string): boolean => RUNBOOK_DECISION_ACTION.test(id),
  view: (callbackId: string): boolean => callbackId === RUNBOOK_DENY_VIEW,
};

const ROUND = /^[a-z][a-z0-9-]{0,62}$/;

/** `<workflow id>@<round>` of a non-break-glass run whose kind matches the button's, else undefined. */
export function parseRunButton(actionId: string, value: string | undefined): { workflowId: string; round: string } | undefined {
  const m = RUNBOOK_DECISION_ACTION.exec(actionId);
  const [workflowId, round, ...rest] = (value ?? '').split('@');
  if (!m || !workflowId || !round || rest.length > 0 || !ROUND.test(round)) return undefined;
  const kind = kindOfWorkflowId(workflowId);
  return kind && kind !== 'break-glass' && kind === m[1] ? { workflowId, round } : undefined;
}

const metaSchema = z.object({ workflowId: z.string().max(200), round: z.string().regex(ROUND), channel: z.string().max(32).optional() });

export function register(app: App, ctx: ListenerContext): void {
  app.action(RUNBOOK_DECISION_ACTION, async ({ ack, body, client }) => {
    await ack();
    const p = buttonBodySchema.safeParse(body);
    if (!p.success) return;
    const action = p.data.actions[0]!;
    const where = { channel: p.data.channel?.id ?? p.data.container?.channel_id, user: p.data.user.id };
    const person = ctx.personFor(p.data.user.id);
    if (!person) return tellUser(client, where, unknownUserText(p.data.user.id));
    const target = parseRunButton(action.action_id, action.value);
    if (!target) return tellUser(client, where, 'That button does not name a Safeguard run and decision; nothing was changed.');
    if (action.action_id.endsWith(':deny')) {
      if (!p.data.trigger_id) return;
      await client.views.open({ trigger_id: p.data.trigger_id, view: runbookDenyModal({ ...target, ...(where.channel ? { channel: where.channel } : {}) }) });
      return;
    }
    try {
      const r = await ctx.decisions.approve(target.workflowId, person.id, { round: target.round, via: 'slack' });
      await tellUser(client, where, runbookDecisionReply(target.workflowId, r));
    } catch (err) {
      ctx.logger.info({ workflowId: target.workflowId, by: person.id, err: err instanceof Error ? err.message : String(err) }, 'decision refused');
      await tellUser(client, where, explain(err));
    }
  });

  app.view(RUNBOOK_DENY_VIEW, async ({ ack, body, client }) => {
    const read = readSubmission(body, reasonSubmissionSchema, metaSchema);
    const kind = read ? kindOfWorkflowId(read.meta.workflowId) : undefined;
    if (!read || !kind || kind === 'break-glass') {
      await ack({ response_action: 'errors', errors: { [DENY_FIELDS.reason.block]: 'This form could not be read; nothing was changed.' } });
      return;
    }
    const reason = (read.body.view.state.values.reason.reason.value ?? '').trim();
    if (reason.length < MIN_DENY_REASON_LENGTH) {
      await ack({ response_action: 'errors', errors: { [DENY_FIELDS.reason.block]: `Give a reason (at least ${MIN_DENY_REASON_LENGTH} characters).` } });
      return;
    }
    const person = ctx.personFor(read.body.user.id);
    if (!person) {
      await ack({ response_action: 'errors', errors: { [DENY_FIELDS.reason.block]: unknownUserText(read.body.user.id).slice(0, 150) } });
      return;
    }
    await ack();
    const where = { channel: read.meta.channel, user: read.body.user.id };
    try {
      const r = await ctx.decisions.deny(read.meta.workflowId, person.id, reason, { round: read.meta.round, via: 'slack' });
      await tellUser(client, where, runbookDecisionReply(read.meta.workflowId, r));
    } catch (err) {
      await tellUser(client, where, explain(err));
    }
  });
}
