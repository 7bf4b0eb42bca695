// The approval card: one per request, in the role's approvers channel, re-rendered from workflow
// state after every change (Slack is a view, never the store). Pure: unit-tested without Slack.
import type { KnownBlock } from '@slack/types';
import { ACTIONS } from './ids';
import { duration, mrkdwn, plain, plainPerson, safeText, slackDate } from './text';
import type { PersonLabel } from './text';
import type { Message, RequestView } from './types';

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

export function approvalCard(v: RequestView, who: PersonLabel = plainPerson): Message {
  const title = v.mode === 'post-hoc' ? `Post-hoc break-glass: ${v.role}` : `Break-glass request: ${v.role}`;
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
    { type: 'section', fields },
    { type: 'section', text: mrkdwn(`*Reason*\n${safeText(v.reason, 2800)}`) },
  ];
  const when: string[] = [`requested ${slackDate(v.requestedAt)}`];
  if (v.approval?.state === 'open') when.push(`decide by ${slackDate(v.approval.deadlineAt)}`);
  if (v.plannedEndAt && (v.phase === 'active' || v.phase === 'pending')) when.push(`access until ${slackDate(v.plannedEndAt)}`);
  if (v.actualEndAt) when.push(`ended ${slackDate(v.actualEndAt)}`);
  blocks.push({ type: 'context', elements: [mrkdwn(`\`${safeText(v.grantId, 120)}\` · ${when.join(' · ')}`)] });

  const buttons = cardButtons(v);
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: 'decision', elements: buttons });
  return { text: `${title} by ${v.requester}: ${statusLine(v)}`, blocks };
}

function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger') {
  return { type: 'button' as const, text: plain(text), action_id: actionId, value, ...(style ? { style } : {}) };
}

function cardButtons(v: RequestView) {
  const open = v.approval?.state === 'open' && v.phase !== 'revoking' && v.phase !== 'ended';
  if (open && v.approval?.kind === 'ratification') {
    return [button('Ratify', ACTIONS.ratify, v.grantId, 'primary'), button('Reject and revoke', ACTIONS.reject, v.grantId, 'danger')];
  }
  if (open) return [button('Approve', ACTIONS.approve, v.grantId, 'primary'), button('Deny', ACTIONS.deny, v.grantId, 'danger')];
  if (v.phase === 'active') return [button('Revoke now', ACTIONS.revoke, v.grantId, 'danger')];
  return [];
}
