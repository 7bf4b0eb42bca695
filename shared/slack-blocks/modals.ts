// The request modal and the deny/reject reason modal. Pure builders; the listeners fill them.
import type { View } from '@slack/types';
import type { BreakGlassRole } from '../../config/policy/types';
import { MAX_REASON_LENGTH } from '../../workflows/break-glass/definitions';
import { DENY_FIELDS, EXTEND_FIELDS, REQUEST_FIELDS, VIEWS } from './ids';
import { duration, mrkdwn, plain, safeText } from './text';

export function requestModal(roles: readonly BreakGlassRole[]): View {
  const first = roles[0];
  const minReason = Math.max(...roles.map((r) => r.reasonMinLength), 1);
  const anyTicket = roles.some((r) => r.ticketRequired);
  const targets = roles.filter((r) => r.ssmTargets.length > 0);
  return {
    type: 'modal',
    callback_id: VIEWS.request,
    title: plain('Break-glass access'),
    submit: plain('Request'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: REQUEST_FIELDS.role.block,
        label: plain('Role'),
        element: {
          type: 'static_select',
          action_id: REQUEST_FIELDS.role.action,
          options: roles.slice(0, 100).map((r) => ({
            text: plain(r.name, 75),
            value: r.name,
            description: plain(`up to ${duration(r.maxDurationMs)} · ${r.mode}${r.ticketRequired ? ' · ticket required' : ''}`, 75),
          })),
          ...(roles.length === 1 && first ? { initial_option: { text: plain(first.name, 75), value: first.name } } : {}),
        },
      },
      {
        type: 'input',
        block_id: REQUEST_FIELDS.duration.block,
        optional: true,
        label: plain('Duration'),
        hint: plain(`Like 30m, 1h or 1h30m. Empty: the role's default${first ? ` (${duration(first.defaultDurationMs)} for ${first.name})` : ''}.`),
        element: { type: 'plain_text_input', action_id: REQUEST_FIELDS.duration.action, max_length: 20, placeholder: plain('30m') },
      },
      {
        type: 'input',
        block_id: REQUEST_FIELDS.reason.block,
        label: plain('Reason'),
        hint: plain(`What is broken and why you need this access (at least ${minReason} characters).`),
        element: { type: 'plain_text_input', action_id: REQUEST_FIELDS.reason.action, multiline: true, max_length: MAX_REASON_LENGTH },
      },
      {
        type: 'input',
        block_id: REQUEST_FIELDS.ticket.block,
        optional: true,
        label: plain('Ticket / incident'),
        hint: plain(anyTicket ? `Required for ${roles.filter((r) => r.ticketRequired).map((r) => r.name).join(', ')}.` : 'Optional.'),
        element: { type: 'plain_text_input', action_id: REQUEST_FIELDS.ticket.action, max_length: 128, placeholder: plain('INC-1234') },
      },
      ...(targets.length > 0
        ? [{ type: 'context' as const, elements: [mrkdwn(`SSM targets (\`safeguard connect\`): ${targets.map((r) => `${safeText(r.name, 64)}: ${r.ssmTargets.map((t) => safeText(t, 32)).join(', ')}`).join(' · ')}`)] }]
        : []),
    ],
  };
}

export interface DenyModalMeta {
  grantId: string;
  /** The round the button was for (the deny names it, invariant 10). */
  round: string;
  kind: 'deny' | 'reject';
  channel?: string;
}

export function denyModal(meta: DenyModalMeta): View {
  return {
    type: 'modal',
    callback_id: VIEWS.deny,
    private_metadata: JSON.stringify(meta),
    title: plain(meta.kind === 'reject' ? 'Reject and revoke' : meta.round.startsWith('extension') ? 'Deny extension' : 'Deny request'),
    submit: plain(meta.kind === 'deny' ? 'Deny' : 'Reject'),
    close: plain('Cancel'),
    blocks: [
      { type: 'section', text: mrkdwn(`\`${safeText(meta.grantId, 120)}\``) },
      {
        type: 'input',
        block_id: DENY_FIELDS.reason.block,
        label: plain('Reason'),
        element: { type: 'plain_text_input', action_id: DENY_FIELDS.reason.action, multiline: true, min_length: 3, max_length: 500 },
      },
    ],
  };
}

/** Extend: a new approval round for more time (the role's maximum still applies). */
export function extendModal(meta: { grantId: string; channel?: string }): View {
  return {
    type: 'modal',
    callback_id: VIEWS.extend,
    private_metadata: JSON.stringify(meta),
    title: plain('Extend access'),
    submit: plain('Ask approvers'),
    close: plain('Cancel'),
    blocks: [
      { type: 'section', text: mrkdwn(`\`${safeText(meta.grantId, 120)}\` · extending needs a new approval; the role's maximum duration still applies.`) },
      {
        type: 'input',
        block_id: EXTEND_FIELDS.duration.block,
        label: plain('Extend by'),
        element: { type: 'plain_text_input', action_id: EXTEND_FIELDS.duration.action, max_length: 20, placeholder: plain('30m') },
      },
      {
        type: 'input',
        block_id: EXTEND_FIELDS.reason.block,
        optional: true,
        label: plain('Why'),
        element: { type: 'plain_text_input', action_id: EXTEND_FIELDS.reason.action, multiline: true, max_length: 500 },
      },
    ],
  };
}
