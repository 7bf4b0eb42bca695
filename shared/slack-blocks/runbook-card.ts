// The card of a step-by-step runbook (key rotations, drills, declarative runbooks): a checklist of
// steps, a few facts, the outcome, Approve/Deny buttons for every open decision round, and a Confirm
// button for the confirm step a declarative runbook waits on. Pure: unit-tested without Slack.
// Break-glass keeps its own card (approval-card.ts).
import type { KnownBlock, View } from '@slack/types';
import type { DecisionResult } from '../../workflows/shared/approval/definitions';
import type { RunbookNotification, StepView } from '../../workflows/shared/notifications';
import type { ConfirmPrompt } from '../../workflows/shared/run-view';
import type { ConfirmResult } from '../../workflows/runbook/definitions';
import { CONFIRM_FIELDS, DENY_FIELDS, RUNBOOK_CONFIRM_ACTION, RUNBOOK_CONFIRM_VIEW, RUNBOOK_DENY_VIEW, confirmButtonValue, runbookActionId } from './ids';
import { fitText, mrkdwn, plain, plainPerson, safeText, slackDate } from './text';
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
  runbook: 'Runbook',
};

/** The CLI command that shows a run of the kind. */
const KIND_STATUS: Record<RunbookNotification['kind'], string> = {
  'access-key-rotation': 'safeguard rotation status',
  'kms-rotation': 'safeguard rotation status',
  'restore-drill': 'safeguard drill status',
  'break-glass-drill': 'safeguard drill status',
  'access-review': 'safeguard review status',
  runbook: 'safeguard runbook status',
};

/** Button labels of rounds that are not approvals of an action (a drill's sign-off confirms results). */
const ROUND_BUTTONS: Record<string, [string, string]> = { 'sign-off': ['Sign off results', 'Reject results'] };

/** Outcomes that read as success; any other outcome is a warning. */
const GOOD_OUTCOMES = new Set(['rotated', 'verified', 'up-to-date', 'passed', 'completed']);

/** A declarative runbook has up to 40 steps; Slack caps a section's text at 3000 characters. */
const MAX_CHECKLIST_LINES = 40;
const MAX_SECTION_TEXT = 3000;

/** The longest confirmation note a person may type (the client refuses longer ones). */
export const MAX_CONFIRM_NOTE = 1000;

export function runbookTitle(n: Pick<RunbookNotification, 'kind' | 'view'>): string {
  return `${KIND_TITLE[n.kind]}: ${n.view.target}`;
}

function outcomeLine(n: RunbookNotification): string {
  const v = n.view;
  if (v.outcome) return `${GOOD_OUTCOMES.has(v.outcome) ? ':white_check_mark:' : ':warning:'} ${safeText(v.outcome, 100)}`;
  return `:arrows_counterclockwise: ${safeText(v.phase, 100)}`;
}

export function stepLine(s: StepView): string {
  // Declarative runbook steps are named by their policy title ("1. MFA device retrieved from the safe"), up to 200 characters.
  return `${STEP_ICON[s.state]} ${safeText(s.name, 200)}${s.detail ? ` — ${safeText(s.detail, 300)}` : ''}`;
}

/** The checklist as sections of at most MAX_SECTION_TEXT characters each (one section for a short list). */
function checklistSections(steps: readonly StepView[]): KnownBlock[] {
  const lines = steps.slice(0, MAX_CHECKLIST_LINES).map(stepLine);
  if (steps.length > MAX_CHECKLIST_LINES) lines.push(`… and ${steps.length - MAX_CHECKLIST_LINES} more`);
  const sections: string[] = [];
  for (const line of lines) {
    const last = sections.length - 1;
    if (last >= 0 && sections[last]!.length + 1 + line.length <= MAX_SECTION_TEXT) sections[last] += `\n${line}`;
    else sections.push(line);
  }
  return sections.map((text) => ({ type: 'section', text: mrkdwn(text) }));
}

/** The line about the confirm step a run waits on: who confirmed, how many are needed, the step's rules. */
export function confirmLine(c: ConfirmPrompt, who: PersonLabel = plainPerson): string {
  const by = c.by.map(who).join(', ');
  const rules = [
    `${c.by.length} of ${c.needed} confirmed${by ? ` by ${by}` : ''}`,
    ...(c.noteRequired ? ['note required'] : []),
    ...(c.notRequester ? ['the person who started it may not confirm'] : []),
    ...(c.deadlineAt ? [`deadline ${slackDate(c.deadlineAt)}`] : []),
  ];
  return `*Confirm* \`${safeText(c.step, 60)}\` — ${safeText(c.title, 200)}: ${rules.join('; ')}`;
}

/** The confirm step's line, and its Confirm button while confirmations are still missing and the run is open. */
function confirmBlocks(n: RunbookNotification, who: PersonLabel): KnownBlock[] {
  const c = n.view.confirm;
  if (!c) return [];
  const blocks: KnownBlock[] = [{ type: 'section', text: mrkdwn(confirmLine(c, who)) }];
  if (c.by.length < c.needed && !n.view.outcome) {
    blocks.push({
      type: 'actions',
      block_id: `confirm:${c.step}`.slice(0, 255),
      elements: [{ type: 'button', style: 'primary', text: plain('Confirm'), action_id: RUNBOOK_CONFIRM_ACTION, value: confirmButtonValue({ workflowId: n.subjectId, step: c.step, noteRequired: c.noteRequired }) }],
    });
  }
  return blocks;
}

export function runbookCard(n: RunbookNotification, who: PersonLabel = plainPerson): Message {
  const v = n.view;
  const title = runbookTitle(n);
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(title) },
    { type: 'section', fields: [mrkdwn(`*Run*\n\`${safeText(n.subjectId, 200)}\``), mrkdwn(`*Status*\n${outcomeLine(n)}`), ...v.facts.slice(0, 8).map((f) => mrkdwn(`*${safeText(f.label, 50)}*\n${safeText(f.value, 300)}`))] },
  ];
  blocks.push(...checklistSections(v.steps));
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
  // After the decisions: a declarative runbook's approvals come before the confirmations it waits on.
  blocks.push(...confirmBlocks(n, who));
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

/** What the confirm modal carries through Slack (private_metadata): checked again on submission. */
export interface ConfirmModalMeta {
  workflowId: string;
  step: string;
  noteRequired: boolean;
  channel?: string;
}

/** The modal behind a declarative runbook's Confirm button: a note, required when the step says so. */
export function runbookConfirmModal(meta: ConfirmModalMeta): View {
  return {
    type: 'modal',
    callback_id: RUNBOOK_CONFIRM_VIEW,
    private_metadata: JSON.stringify(meta),
    title: plain('Confirm step'),
    submit: plain('Confirm'),
    close: plain('Cancel'),
    blocks: [
      { type: 'section', text: mrkdwn(`\`${safeText(meta.workflowId, 120)}\` · step \`${safeText(meta.step, 60)}\`\nConfirm only what you did or saw yourself: your confirmation and note are kept as evidence.`) },
      {
        type: 'input',
        block_id: CONFIRM_FIELDS.note.block,
        optional: !meta.noteRequired,
        label: plain('Note'),
        hint: plain(meta.noteRequired ? 'This step needs a note: what you did or saw.' : 'Optional: anything an auditor should know.'),
        element: { type: 'plain_text_input', action_id: CONFIRM_FIELDS.note.action, multiline: true, max_length: MAX_CONFIRM_NOTE, ...(meta.noteRequired ? { min_length: 1 } : {}) },
      },
    ],
  };
}

/** What a person is told after confirming a step, from the Update's result. */
export function runbookConfirmReply(workflowId: string, r: ConfirmResult & { duplicate: boolean }): string {
  const run = `\`${safeText(workflowId, 120)}\``;
  const step = `\`${safeText(r.step, 60)}\``;
  if (r.duplicate) return `You already confirmed ${step} on ${run}${r.complete ? '; the step is complete' : ` (${r.confirmations} of ${r.needed})`}. Nothing changed.`;
  if (r.complete) return `Confirmed ${step} on ${run}: ${r.confirmations} of ${r.needed} — the step is complete and the runbook goes on.`;
  const missing = r.needed - r.confirmations;
  return `Confirmed ${step} on ${run}: ${r.confirmations} of ${r.needed}; waiting for ${missing} more ${missing === 1 ? 'person' : 'people'}.`;
}

/**
 * A message of a declarative runbook told to people directly, not on its card: the runbook's own notify
 * step (its message, posted to the step's channel and DM'd to its people) and an escalation (DM'd to
 * the step's escalateTo people).
 */
export function runbookDirectMessage(n: RunbookNotification): Message {
  const head = `*${fitText(runbookTitle(n), 200)}* \`${fitText(n.subjectId, 200)}\``;
  const text =
    n.event === 'runbook-notify'
      ? `:loudspeaker: ${head}\n${fitText(n.detail ?? '', 2500)}`
      : `${n.severity === 'page' ? ':rotating_light: ' : ''}${head}: ${fitText(n.event, 80)}${n.detail ? ` — ${fitText(n.detail, 1000)}` : ''}`;
  return { text, blocks: [{ type: 'section', text: mrkdwn(text) }, { type: 'context', elements: [mrkdwn(`\`${KIND_STATUS[n.kind]} ${safeText(n.subjectId, 200)}\``)] }] };
}
