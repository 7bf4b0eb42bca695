// The approval card: one per request, in the role's approvers channel, re-rendered from workflow
// state after every change (Slack is a view, never the store). Pure: unit-tested without Slack.
import type { KnownBlock } from '@slack/types';
import { ACTIONS } from './ids';
import { duration, mrkdwn, plain, plainPerson, safeText, slackDate } from './text';
import type { PersonLabel } from './text';
import type { Message, RequestView } from './types';
import type { ApprovalSnapshot } from '../../workflows/shared/approval/gate';

const PHASE_LABEL: Record<RequestView['phase'], string> = {
  pending: ':hourglass_flowing_sand: Waiting for approval',
  active: ':large_green_circle: Active',
  revoking: ':arrows_counterclockwise: Revoking',
  ended: ':white_circle: Ended',
};

export function statusLine(v: RequestView): string {
  if (v.phase === 'ended') {
    switch (v.outcome) {
      case 'denied':
        return ':x: Denied';
      case 'expired-unapproved':
        return ':alarm_clock: Expired without approval';
      case 'grant-failed':
        return ':warning: Grant failed';
      case 'cancelled':
        return ':no_entry_sign: Cancelled';
      case 'revoked':
        return v.revocation?.verified ? ':lock: Ended, access revoked (verified)' : ':lock: Ended, access revoked';
      default:
        return PHASE_LABEL.ended;
    }
  }
  if (v.phase === 'active' && v.approval?.kind === 'ratification' && v.approval.state === 'open') return ':rotating_light: Active, awaiting ratification';
  return PHASE_LABEL[v.phase];
}

/** "1 of 2 approvals: @bob" / "denied by @carol: reason". */
export function quorumLine(v: RequestView, who: PersonLabel = plainPerson): string {
  const a = v.approval;
  if (!a) return v.mode === 'post-hoc' ? 'post-hoc: granted at once, ratification follows' : '—';
  const kind = a.kind === 'grant' ? 'approval' : a.kind;
  const by = a.approvals.map((d) => who(d.by)).join(', ');
  if (a.state === 'denied' && a.denial) return `${kind} denied by ${who(a.denial.by)}: ${safeText(a.denial.reason, 500)}`;
  const count = `${a.approvals.length} of ${a.quorum} ${kind}${a.quorum === 1 ? '' : 's'}`;
  if (a.state === 'expired') return `${count}; expired`;
  return by ? `${count}: ${by}` : count;
}

/** What every message about a fire drill's request starts with: nobody may mistake it for an incident. */
export const DRILL_MARK = 'DRILL';

export function approvalCard(v: RequestView, who: PersonLabel = plainPerson): Message {
  const base = v.mode === 'post-hoc' ? `Post-hoc break-glass: ${v.role}` : `Break-glass request: ${v.role}`;
  const title = v.drill ? `${DRILL_MARK} — ${base}` : base;
  const fields = [
    mrkdwn(`*Requester*\n${who(v.requester)}`),
    mrkdwn(`*Role*\n${safeText(v.role, 100)}`),
    mrkdwn(`*Account*\n${safeText(v.accountId, 40)}`),
    mrkdwn(`*Duration*\n${duration(v.durationMs)}`),
    mrkdwn(`*Ticket*\n${v.ticket ? safeText(v.ticket, 200) : '—'}`),
    mrkdwn(`*Mode*\n${v.mode === 'post-hoc' ? 'post-hoc (ratify after)' : 'approval first'}`),
    mrkdwn(`*Approvals*\n${quorumLine(v, who)}`),
    mrkdwn(`*Status*\n${statusLine(v)}`),
  ];
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(title) },
    ...(v.drill ? [drillBanner()] : []),
    { type: 'section', fields },
    { type: 'section', text: mrkdwn(`*Reason*\n${safeText(v.reason, 2800)}`) },
  ];
  const when: string[] = [`requested ${slackDate(v.requestedAt)}`];
  if (v.approval?.state === 'open') when.push(`decide by ${slackDate(v.approval.deadlineAt)}`);
  if (v.plannedEndAt && (v.phase === 'active' || v.phase === 'pending')) when.push(`access until ${slackDate(v.plannedEndAt)}`);
  if (v.actualEndAt) when.push(`ended ${slackDate(v.actualEndAt)}`);
  blocks.push({ type: 'context', elements: [mrkdwn(`\`${safeText(v.grantId, 120)}\` · ${when.join(' · ')}`)] });

  const decidable = openRounds(v);
  if (v.stepUp && decidable.length > 0) {
    // A click is not an AWS-verified identity: step-up roles are decided with the CLI.
    blocks.push({ type: 'context', elements: [mrkdwn(`:closed_lock_with_key: ${safeText(v.role, 64)} needs step-up: decide with \`safeguard breakglass approve ${safeText(v.grantId, 120)}\`${decidable.some((r) => r.kind === 'extension') ? ' (add `--extension` for the extension)' : ''} or \`deny … --reason …\`, which prove your AWS identity.`)] });
  }
  const buttons = cardButtons(v, decidable);
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: 'decision', elements: buttons });
  return { text: `${title} by ${v.requester}: ${statusLine(v)}`, blocks };
}

function drillBanner(): KnownBlock {
  return {
    type: 'section',
    text: mrkdwn(
      `:rotating_light: *${DRILL_MARK}: this is a break-glass fire drill, not an incident.* Decide as you would on a real request: the drill measures how fast approval, access and revocation work. The drill role has no permissions and is revoked after one use.`,
    ),
  };
}

/** A decision button's value names the request and the round it decides (invariant 10): a click
 * on an old card can never land on a newer round. */
export function decisionValue(grantId: string, round: string | undefined): string {
  return round ? `${grantId}@${round}` : grantId;
}

/** Rounds a person can decide on now: the request's own and an extension can be open together. */
export function openRounds(v: RequestView): ApprovalSnapshot[] {
  if (v.phase === 'revoking' || v.phase === 'ended') return [];
  const rounds = v.rounds ?? (v.approval ? [v.approval] : []);
  return rounds.filter((r) => r.state === 'open');
}

function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger') {
  return { type: 'button' as const, text: plain(text), action_id: actionId, value, ...(style ? { style } : {}) };
}

function cardButtons(v: RequestView, open: ApprovalSnapshot[]) {
  const out = [];
  if (!v.stepUp) {
    for (const r of open) {
      const value = decisionValue(v.grantId, r.id);
      if (r.kind === 'ratification') out.push(button('Ratify', ACTIONS.ratify, value, 'primary'), button('Reject and revoke', ACTIONS.reject, value, 'danger'));
      else if (r.kind === 'extension') out.push(button('Approve extension', ACTIONS.approve, value, 'primary'), button('Deny extension', ACTIONS.deny, value, 'danger'));
      else out.push(button('Approve', ACTIONS.approve, value, 'primary'), button('Deny', ACTIONS.deny, value, 'danger'));
    }
  }
  if (v.phase === 'active') out.push(button('Revoke now', ACTIONS.revoke, v.grantId, 'danger'));
  return out;
}
