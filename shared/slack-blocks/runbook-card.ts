// The card of a step-by-step runbook (key rotation, and later drills): a checklist of steps, a few
// facts, the outcome, and Approve/Deny buttons for every open decision round. Pure: unit-tested
// without Slack. Break-glass keeps its own card (approval-card.ts).
import type { KnownBlock, View } from '@slack/types';
import type { DecisionResult } from '../../workflows/shared/approval/definitions';
import type { RunbookNotification, StepView } from '../../workflows/shared/notifications';
import { DENY_FIELDS, RUNBOOK_DENY_VIEW, runbookActionId } from './ids';
import { mrkdwn, plain, plainPerson, safeText } from './text';
import type { PersonLabel } from './text';
import type { Message } from './types';

const STEP_ICON: Record<StepView['state'], string> = {
  pending: ':white_circle:',
  running: ':arrows_counterclockwise:',
  done: ':white_check_mark:',
  failed: ':x:',
  skipped: ':heavy_minus_sign:',
};

const KIND_TITLE: Record<RunbookNotification['kind'], string> = {
  'access-key-rotation': 'Access-key rotation',
  'kms-rotation': 'KMS key rotation',
  'restore-drill': 'Restore drill',
  'break-glass-drill': 'DRILL — break-glass fire drill',
  'access-review': 'Access review',
};

/** The CLI command that shows a run of the kind. */
const KIND_STATUS: Record<RunbookNotification['kind'], string> = {
  'access-key-rotation': 'safeguard rotation status',
  'kms-rotation': 'safeguard rotation status',
  'restore-drill': 'safeguard drill status',
  'break-glass-drill': 'safeguard drill status',
  'access-review': 'safeguard review status',
};

/** Button labels of rounds that are not approvals of an action (a drill's sign-off confirms results). */
const ROUND_BUTTONS: Record<string, [string, string]> = { 'sign-off': ['Sign off results', 'Reject results'] };

export function runbookTitle(n: Pick<RunbookNotification, 'kind' | 'view'>): string {
  return `${KIND_TITLE[n.kind]}: ${n.view.target}`;
}

function outcomeLine(n: RunbookNotification): string {
  const v = n.view;
  if (v.outcome) return `${['rotated', 'verified', 'up-to-date', 'passed'].includes(v.outcome) ? ':white_check_mark:' : ':warning:'} ${safeText(v.outcome, 100)}`;
  return `:arrows_counterclockwise: ${safeText(v.phase, 100)}`;
}

export function stepLine(s: StepView): string {
  return `${STEP_ICON[s.state]} ${safeText(s.name, 100)}${s.detail ? ` — ${safeText(s.detail, 300)}` : ''}`;
}

export function runbookCard(n: RunbookNotification, who: PersonLabel = plainPerson): Message {
  const v = n.view;
  const title = runbookTitle(n);
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(title) },
    { type: 'section', fields: [mrkdwn(`*Run*\n\`${safeText(n.subjectId, 200)}\``), mrkdwn(`*Status*\n${outcomeLine(n)}`), ...v.facts.slice(0, 8).map((f) => mrkdwn(`*${safeText(f.label, 50)}*\n${safeText(f.value, 300)}`))] },
  ];
  if (v.steps.length > 0) blocks.push({ type: 'section', text: mrkdwn(v.steps.slice(0, 20).map(stepLine).join('\n')) });
  for (const round of v.rounds ?? []) {
    const by = round.approvals.map((d) => who(d.by)).join(', ');
    const line = `*Decision \`${safeText(round.id ?? round.kind, 60)}\`*: ${round.state}${by ? ` — approved by ${by}` : ''} (${round.approvals.length} of ${round.quorum})`;
    blocks.push({ type: 'section', text: mrkdwn(round.denial ? `${line}; denied by ${who(round.denial.by)}: ${safeText(round.denial.reason, 300)}` : line) });
    if (round.state === 'open' && round.id) {
      const value = `${n.subjectId}@${round.id}`;
      const [yes, no] = ROUND_BUTTONS[round.id] ?? ['Approve', 'Deny'];
      blocks.push({
        type: 'actions',
        block_id: `decide:${round.id}`.slice(0, 255),
        elements: [
          { type: 'button', style: 'primary', text: plain(yes), action_id: runbookActionId(n.kind, 'approve'), value },
          { type: 'button', style: 'danger', text: plain(no), action_id: runbookActionId(n.kind, 'deny'), value },
        ],
      });
    }
  }
  blocks.push({ type: 'context', elements: [mrkdwn(`\`${KIND_STATUS[n.kind]} ${safeText(n.subjectId, 200)}\``)] });
  return { text: `${title} — ${v.outcome ?? v.phase}`, blocks };
}

export function runbookThreadReply(n: RunbookNotification, who: PersonLabel = plainPerson, opts: { alert?: boolean } = {}): Message {
  const prefix = opts.alert || n.severity === 'page' ? ':rotating_light: ' : '';
  const mention = opts.alert && n.security?.length ? ` ${n.security.map(who).join(' ')}` : '';
  const text = `${prefix}${runbookTitle(n)}: ${safeText(n.event, 80)}${n.detail ? ` — ${safeText(n.detail, 1000)}` : ''}${mention}`;
  return { text, blocks: [{ type: 'section', text: mrkdwn(text) }] };
}

export function runbookAuditLine(n: RunbookNotification): Message {
  const text = `${n.kind} \`${safeText(n.subjectId, 200)}\` ${safeText(n.event, 80)}${n.view.outcome ? ` (${safeText(n.view.outcome, 60)})` : ''}`;
  return { text, blocks: [{ type: 'context', elements: [mrkdwn(text)] }] };
}

/** The reason modal behind a runbook's Deny button. */
export function runbookDenyModal(meta: { workflowId: string; round: string; channel?: string }): View {
  return {
    type: 'modal',
    callback_id: RUNBOOK_DENY_VIEW,
    private_metadata: JSON.stringify(meta),
    title: plain('Deny'),
    submit: plain('Deny'),
    close: plain('Cancel'),
    blocks: [
      { type: 'section', text: mrkdwn(`\`${safeText(meta.workflowId, 120)}\` · decision \`${safeText(meta.round, 60)}\``) },
      { type: 'input', block_id: DENY_FIELDS.reason.block, label: plain('Reason'), element: { type: 'plain_text_input', action_id: DENY_FIELDS.reason.action, multiline: true, min_length: 3, max_length: 500 } },
    ],
  };
}

/** What a person is told after deciding on a runbook's round, from the Update's result. */
export function runbookDecisionReply(workflowId: string, r: DecisionResult): string {
  if (r.duplicate) return `You already decided \`${r.round ?? 'that'}\` on \`${workflowId}\` (${r.approvals} of ${r.quorum}); nothing changed.`;
  const state = r.roundState === 'approved' ? 'approved' : r.roundState === 'denied' ? 'denied' : `${r.approvals} of ${r.quorum} approvals`;
  return `Recorded on \`${workflowId}\`: \`${r.round ?? 'decision'}\` is ${state}.`;
}
