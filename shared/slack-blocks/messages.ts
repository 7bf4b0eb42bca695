// Messages other than the card: requester DMs, thread replies, audit lines, security alerts, and
// command replies. Pure functions of the request's state.
import type { KnownBlock } from '@slack/types';
import { ACTIONS } from './ids';
import { DRILL_MARK, decisionValue, quorumLine, statusLine } from './approval-card';
import { duration, mrkdwn, plain, plainPerson, safeText, slackDate } from './text';
import type { PersonLabel } from './text';
import type { Message, RequestView } from './types';
import type { DecisionResult } from '../../workflows/break-glass/definitions';
import { FIRE_DRILL_REQUESTER } from '../../workflows/fire-drill/definitions';

/** What the workflow says happened (NotifyInput without the view). */
export interface EventInfo {
  event: string;
  grantId: string;
  requester: string;
  role: string;
  phase?: string;
  outcome?: string;
  detail?: string;
  plannedEndAt?: string;
}

const EVENT_TEXT: Record<string, string> = {
  'approval-needed': 'approval requested',
  'approval-progress': 'approval recorded',
  'approval-reminder': 'reminder: still waiting for approval',
  denied: 'denied',
  'approval-expired': 'expired without approval',
  granted: 'access granted',
  'ratification-needed': 'post-hoc grant: ratification needed',
  ratified: 'ratified',
  'extension-requested': 'extension requested',
  extended: 'extended',
  'expiry-warning': 'access ends soon',
  'revocation-not-verified': 'revocation NOT verified yet (still retrying)',
  'grant-failed': 'grant failed',
  ended: 'ended',
};

/** A fire drill's request: its view says so, and pages (which carry no view) name the drill identity. */
function isDrill(e: EventInfo, v: RequestView | undefined): boolean {
  return v?.drill === true || e.requester === FIRE_DRILL_REQUESTER;
}

export function eventText(event: string): string {
  return EVENT_TEXT[event] ?? safeText(event, 60);
}

/** A thread reply under the card: one per event. */
export function threadReply(e: EventInfo, v: RequestView | undefined, who: PersonLabel = plainPerson): Message {
  let line = `${isDrill(e, v) ? `${DRILL_MARK} · ` : ''}*${eventText(e.event)}*`;
  if (v && (e.event === 'approval-progress' || e.event === 'denied' || e.event === 'ratified')) line += ` · ${quorumLine(v, who)}`;
  if (e.event === 'granted' && e.plannedEndAt) line += ` · until ${slackDate(e.plannedEndAt)}`;
  if (e.event === 'extended' && e.plannedEndAt) line += ` · now until ${slackDate(e.plannedEndAt)}`;
  if (e.event === 'ended' && v) line += ` · ${statusLine(v)}${v.endReason ? ` (${safeText(v.endReason, 40)})` : ''}`;
  if (e.detail) line += ` · ${safeText(e.detail, 500)}`;
  return { text: `${e.grantId}: ${eventText(e.event)}`, blocks: [{ type: 'section', text: mrkdwn(line) }] };
}

/** One line per state change for the audit channel. */
export function auditLine(e: EventInfo, v: RequestView | undefined, now: Date = new Date()): Message {
  const parts = [now.toISOString(), safeText(e.grantId, 120), safeText(e.event, 40), `requester=${safeText(e.requester, 40)}`, `role=${safeText(e.role, 64)}`];
  if (isDrill(e, v)) parts.push('drill=true');
  if (e.phase) parts.push(`phase=${safeText(e.phase, 20)}`);
  if (e.outcome) parts.push(`outcome=${safeText(e.outcome, 30)}`);
  if (v?.approval) parts.push(`approvals=${v.approval.approvals.map((d) => safeText(d.by, 40)).join(',') || 'none'}/${v.approval.quorum}`);
  if (v?.approval?.denial) parts.push(`deniedBy=${safeText(v.approval.denial.by, 40)}`);
  if (e.plannedEndAt) parts.push(`until=${e.plannedEndAt}`);
  if (e.detail) parts.push(`detail=${safeText(e.detail, 300)}`);
  const text = parts.join(' ');
  return { text, blocks: [{ type: 'context', elements: [mrkdwn(`\`${text}\``)] }] };
}

/** The DM to the requester, or undefined when this event does not concern them. */
export function requesterDm(e: EventInfo, v: RequestView | undefined, who: PersonLabel = plainPerson): Message | undefined {
  const id = safeText(e.grantId, 120);
  const role = safeText(e.role, 64);
  const approvers = v?.approval?.approvals.map((d) => who(d.by)).join(', ');
  switch (e.event) {
    case 'granted': {
      const by = v?.mode === 'post-hoc' ? 'granted at once (post-hoc: approvers must ratify it)' : `approved by ${approvers || 'the approvers'}`;
      const until = e.plannedEndAt ?? v?.plannedEndAt;
      const blocks: KnownBlock[] = [
        { type: 'section', text: mrkdwn(`:white_check_mark: Your *${role}* access is ${by}.\nActive until ${slackDate(until)}.`) },
        { type: 'section', text: mrkdwn(`Get credentials: \`safeguard creds ${id}\` (also works as an AWS CLI credential_process)\nConsole: \`safeguard console ${id}\``) },
        {
          type: 'actions',
          elements: [
            { type: 'button', text: plain('Extend…'), action_id: ACTIONS.extend, value: e.grantId },
            { type: 'button', text: plain('Revoke now'), action_id: ACTIONS.revoke, value: e.grantId, style: 'danger' },
          ],
        },
        { type: 'context', elements: [mrkdwn(`\`${id}\``)] },
      ];
      return { text: `Your ${e.role} access is active until ${until ?? 'its planned end'}`, blocks };
    }
    case 'denied': {
      const d = v?.approval?.denial;
      const text = d ? `:x: Your *${role}* request was denied by ${who(d.by)}: ${safeText(d.reason, 500)}` : `:x: Your *${role}* request was denied.`;
      return { text: `Your ${e.role} request was denied`, blocks: [{ type: 'section', text: mrkdwn(text) }, { type: 'context', elements: [mrkdwn(`\`${id}\``)] }] };
    }
    case 'approval-expired':
      return { text: `Your ${e.role} request expired`, blocks: [{ type: 'section', text: mrkdwn(`:alarm_clock: Your *${role}* request expired without enough approvals. Nothing was granted.`) }] };
    case 'expiry-warning': {
      // Sent by the workflow shortly before the planned end (see the report: needs a workflow timer).
      const until = e.plannedEndAt ?? v?.plannedEndAt;
      return {
        text: `Your ${e.role} access ends soon`,
        blocks: [
          { type: 'section', text: mrkdwn(`:hourglass: Your *${role}* access ends ${slackDate(until)}. Extending needs a new approval.`) },
          {
            type: 'actions',
            elements: [
              { type: 'button', text: plain('Extend…'), action_id: ACTIONS.extend, value: e.grantId },
              { type: 'button', text: plain('Revoke now'), action_id: ACTIONS.revoke, value: e.grantId, style: 'danger' },
            ],
          },
        ],
      };
    }
    case 'extended':
      return { text: `Your ${e.role} access was extended`, blocks: [{ type: 'section', text: mrkdwn(`:arrows_clockwise: Your *${role}* access was extended until ${slackDate(e.plannedEndAt)}.`) }] };
    case 'ratified':
      return { text: `Your ${e.role} access was ratified`, blocks: [{ type: 'section', text: mrkdwn(`:white_check_mark: Your post-hoc *${role}* access was ratified by ${approvers || 'the approvers'}.`) }] };
    case 'grant-failed':
      return { text: `Your ${e.role} grant failed`, blocks: [{ type: 'section', text: mrkdwn(`:warning: Your *${role}* access could not be granted; security has been paged.`) }] };
    case 'ended':
      return v ? endedDm(v, who) : undefined;
    default:
      return undefined;
  }
}

function endedDm(v: RequestView, _who: PersonLabel): Message | undefined {
  if (v.outcome !== 'revoked' && v.outcome !== 'grant-failed') return undefined;
  const r = v.revocation;
  const lines = [`:lock: Your *${safeText(v.role, 64)}* access has ended (${safeText(v.endReason ?? 'ended', 40)}).`];
  if (r) {
    lines.push(
      `*Revocation receipt*: ${r.verified ? 'verified' : 'NOT verified'} at ${slackDate(r.checkedAt)} · deny statement \`${safeText(r.policyName, 128)}\` ${r.statementPresent ? 'present' : 'missing'}` +
        ` · tokens issued before ${safeText(r.tokensIssuedBefore, 40)} denied · sessions terminated: ${r.sessionsTerminated.length} · active sessions left: ${r.activeSessionsLeft.length}`,
    );
  }
  return { text: `Your ${v.role} access has ended`, blocks: [{ type: 'section', text: mrkdwn(lines.join('\n')) }, { type: 'context', elements: [mrkdwn(`\`${safeText(v.grantId, 120)}\``)] }] };
}

/** Loud alert to the approvers and security channels (post-hoc grants, failures). */
export function securityAlert(e: EventInfo, v: RequestView | undefined, who: PersonLabel = plainPerson): Message {
  const id = safeText(e.grantId, 120);
  const blocks: KnownBlock[] = [];
  let text: string;
  if (e.event === 'ratification-needed' && v) {
    text = `:rotating_light: <!here> *${who(v.requester)}* has *${safeText(v.role, 64)}* access NOW (post-hoc). Ratify or reject by ${slackDate(v.approval?.deadlineAt)} or it is revoked and security is paged.`;
    blocks.push({ type: 'section', text: mrkdwn(text) });
    blocks.push({ type: 'section', text: mrkdwn(`*Reason*\n${safeText(v.reason, 2000)}`) });
    blocks.push({
      type: 'actions',
      elements: [
        { type: 'button', text: plain('Ratify'), action_id: ACTIONS.ratify, value: decisionValue(e.grantId, 'ratification'), style: 'primary' },
        { type: 'button', text: plain('Reject and revoke'), action_id: ACTIONS.reject, value: decisionValue(e.grantId, 'ratification'), style: 'danger' },
      ],
    });
  } else {
    text = `:rotating_light: <!here> ${isDrill(e, v) ? `*${DRILL_MARK}* ` : ''}*${eventText(e.event)}* on \`${id}\` (${safeText(e.role, 64)}, requester ${safeText(e.requester, 40)})${e.detail ? `: ${safeText(e.detail, 1000)}` : ''}`;
    blocks.push({ type: 'section', text: mrkdwn(text) });
  }
  blocks.push({ type: 'context', elements: [mrkdwn(`\`${id}\``)] });
  return { text: `${isDrill(e, v) ? `${DRILL_MARK} ` : ''}ALERT ${e.event} on ${e.grantId}`, blocks };
}

/** `/breakglass status <id>` reply. */
export function statusMessage(v: RequestView, who: PersonLabel = plainPerson): Message {
  const lines = [
    `${v.drill ? `*${DRILL_MARK}* · ` : ''}*${safeText(v.grantId, 120)}* · ${statusLine(v)}`,
    `requester ${who(v.requester)} · role ${safeText(v.role, 64)} · ${duration(v.durationMs)} · ${v.mode}`,
    `approvals: ${quorumLine(v, who)}`,
  ];
  if (v.plannedEndAt) lines.push(`access until ${slackDate(v.plannedEndAt)}`);
  if (v.actualEndAt) lines.push(`ended ${slackDate(v.actualEndAt)}`);
  lines.push(`reason: ${safeText(v.reason, 1500)}`);
  return { text: `${v.grantId}: ${v.phase}`, blocks: [{ type: 'section', text: mrkdwn(lines.join('\n')) }] };
}

export interface ListedItem {
  workflowId: string;
  status: string;
  requester?: string;
  role?: string;
  outcome?: string;
  startTime: string;
}

export function listMessage(items: ListedItem[], title: string): Message {
  if (items.length === 0) return { text: `${title}: none`, blocks: [{ type: 'section', text: mrkdwn(`*${safeText(title, 100)}*: none`) }] };
  const lines = items.slice(0, 30).map((i) => `• \`${safeText(i.workflowId, 120)}\` ${safeText(i.requester ?? '?', 40)} · ${safeText(i.role ?? '?', 64)} · ${safeText(i.outcome ?? i.status.toLowerCase(), 30)} · ${slackDate(i.startTime)}`);
  return { text: `${title}: ${items.length}`, blocks: [{ type: 'section', text: mrkdwn(`*${safeText(title, 100)}*\n${lines.join('\n')}`) }] };
}

export const HELP_TEXT = [
  '*/breakglass* — emergency access to AWS, approved in Slack',
  '• `/breakglass` — open the request form',
  '• `/breakglass <role> <duration> <reason…> [--ticket INC-123]` — request in one line, e.g. `/breakglass BreakGlassAdmin 30m orders db refuses connections`',
  '• `/breakglass status [id]` — one request, or your open ones',
  '• `/breakglass list` — active requests',
  '• `/breakglass revoke <id>` — end a grant now',
  '• `/breakglass help` — this text',
  'Credentials: `safeguard creds <id>` once your request is approved.',
].join('\n');

/** A short reply to one person; the text is escaped (error messages quote what people typed). */
export function ephemeral(text: string): Message {
  return { text: text.slice(0, 2900), blocks: [{ type: 'section', text: mrkdwn(safeText(text)) }] };
}

/** What a person is told after a decision, written from the Update's result (never assumed). */
export function decisionReply(grantId: string, r: DecisionResult): string {
  const id = `\`${safeText(grantId, 120)}\``;
  const what = r.roundKind === 'extension' ? `the extension (${safeText(r.round ?? '', 20)}) of ${id}` : r.roundKind === 'ratification' ? `the post-hoc grant ${id}` : id;
  if (r.duplicate) return `You had already approved ${what}; it is ${r.roundState ?? 'unchanged'} (${r.approvals} of ${r.quorum}).`;
  switch (r.roundState) {
    case 'denied':
      return r.roundKind === 'ratification' ? `You rejected ${what}: access is being revoked and security is paged.` : r.roundKind === 'extension' ? `You denied ${what}; the grant keeps its current end.` : `You denied ${what}.`;
    case 'approved':
      return r.roundKind === 'ratification' ? `You ratified ${what}.` : r.roundKind === 'extension' ? `You approved ${what}; the grant is extended.` : `Your approval of ${what} completes the quorum (${r.approvals} of ${r.quorum}): access is being granted.`;
    default:
      return `Your approval of ${what} is recorded (${r.approvals} of ${r.quorum}).`;
  }
}
