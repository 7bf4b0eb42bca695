// Turns what a person typed (CLI flags, Slack command text, a modal) into a validated workflow input,
// resolving the role's policy into the snapshot the workflow runs on. Bad input stops here with a
// specific error and starts nothing.
import { randomBytes } from 'node:crypto';
import { DurationError, formatDuration, parseDuration } from '../config/duration';
import { approverPool, canRequest, findPersonById, getRole, securityPeople } from '../config/policy/lookup';
import type { Policy } from '../config/policy/types';
import { MAX_REASON_LENGTH, MIN_DURATION_MS, breakGlassWorkflowId } from '../workflows/break-glass/definitions';
import type { BreakGlassInput, RoleSnapshot } from '../workflows/break-glass/definitions';
import { looksLikeSecret } from '../config/redact';
import { unsafeCharacterIn } from '../shared/terminal-text';
import { SafeguardError } from './errors';

/** IAM roles default to a one-hour maximum session; break-glass roles are created with it. */
export const DEFAULT_ROLE_MAX_SESSION_MS = 3600_000;

export interface RequestArgs {
  requester: string;
  role: string;
  duration?: string;
  reason: string;
  ticket?: string;
  via: BreakGlassInput['via'];
}

export function newShortId(): string {
  // 8 chars of base32 (no padding): 40 bits, plenty for uniqueness per role, short enough to type.
  return randomBytes(5).toString('hex').slice(0, 8);
}

/** A duration a person typed, as a SafeguardError when it is not one; `field` (a CLI flag) prefixes the message. */
export function parseRequestDuration(text: string, field?: string): number {
  try {
    // No field prefix by default: the parser's message already says "… is not a duration", and the
    // same words reach the CLI, the api and Slack.
    return parseDuration(text, field);
  } catch (err) {
    if (err instanceof DurationError) throw new SafeguardError('INVALID_DURATION', err.message, { cause: err });
    throw err;
  }
}

export function buildBreakGlassInput(policy: Policy, args: RequestArgs, shortId: string = newShortId()): BreakGlassInput {
  // Only a fire drill makes drill requests, for its drill role (and the worker checks that again).
  if (args.via === 'drill') throw new SafeguardError('NOT_ALLOWED_TO_REQUEST', 'drill requests are made by fire drills (drills.fire), not by people');
  const role = getRole(policy, args.role);
  if (!role) {
    const known = policy.breakGlass.roles.map((r) => r.name).join(', ');
    throw new SafeguardError('UNKNOWN_ROLE', `unknown role "${args.role}"; roles in the policy: ${known}`);
  }
  if (!findPersonById(policy, args.requester)) throw new SafeguardError('UNKNOWN_PERSON', `${args.requester} is not a person in the policy`);
  if (!canRequest(policy, args.requester, role.name)) {
    throw new SafeguardError('NOT_ALLOWED_TO_REQUEST', `${args.requester} may not request ${role.name} (requesters: groups ${role.requesters.join(', ')})`);
  }
  const durationMs = args.duration === undefined ? role.defaultDurationMs : parseRequestDuration(args.duration);
  if (durationMs < MIN_DURATION_MS) throw new SafeguardError('INVALID_DURATION', `duration must be at least ${formatDuration(MIN_DURATION_MS)}`);
  if (durationMs > role.maxDurationMs) {
    throw new SafeguardError('DURATION_OVER_MAXIMUM', `duration ${formatDuration(durationMs)} is over ${role.name}'s maximum of ${formatDuration(role.maxDurationMs)}`);
  }
  const reason = args.reason.trim();
  if (reason.length < role.reasonMinLength) {
    throw new SafeguardError('REASON_TOO_SHORT', `reason must be at least ${role.reasonMinLength} characters (say what is broken and why you need ${role.name})`);
  }
  if (reason.length > MAX_REASON_LENGTH) throw new SafeguardError('REASON_TOO_LONG', `reason must be at most ${MAX_REASON_LENGTH} characters`);
  assertFreeText('reason', reason);
  const ticket = args.ticket?.trim();
  if (role.ticketRequired && !ticket) throw new SafeguardError('TICKET_REQUIRED', `${role.name} requires a ticket or incident id (--ticket)`);
  if (ticket !== undefined && ticket !== '' && !/^[\w.#:/-]{1,128}$/.test(ticket)) {
    throw new SafeguardError('INVALID_TICKET', 'ticket must be 1-128 characters of letters, digits and . # : / - _');
  }
  assertFreeText('ticket', ticket);
  const input: BreakGlassInput = {
    grantId: breakGlassWorkflowId(role.name, shortId),
    requester: args.requester,
    role: roleSnapshotFor(policy, role.name),
    durationMs,
    reason,
    via: args.via,
  };
  if (ticket) input.ticket = ticket;
  return input;
}

/** The role's rules as the policy states them now: what a request freezes into its input, and what
 * the worker checks a running request's input against. */
export function roleSnapshotFor(policy: Policy, roleName: string): RoleSnapshot {
  const role = getRole(policy, roleName);
  if (!role) throw new SafeguardError('UNKNOWN_ROLE', `unknown role "${roleName}"`);
  const account = policy.accounts.find((a) => a.id === role.account);
  if (!account) throw new SafeguardError('UNKNOWN_ROLE', `role ${role.name} names unknown account ${role.account}`);
  return {
    name: role.name,
    accountId: account.id,
    roleArn: role.roleArn,
    executionRoleArn: account.executionRoleArn,
    externalId: account.externalId,
    mode: role.mode,
    quorum: role.quorum,
    approvers: approverPool(policy, role.name),
    security: securityPeople(policy),
    maxDurationMs: role.maxDurationMs,
    approvalTimeoutMs: role.approvalTimeoutMs,
    reminderIntervalMs: role.reminderIntervalMs,
    maxSessionDurationMs: DEFAULT_ROLE_MAX_SESSION_MS,
    ...(role.ratificationDeadlineMs !== undefined ? { ratificationDeadlineMs: role.ratificationDeadlineMs } : {}),
    ...(role.idleLimitMs !== undefined ? { idleLimitMs: role.idleLimitMs } : {}),
    ...(role.stepUp ? { stepUp: true } : {}),
  };
}

/**
 * Free text people type (reasons, comments, notes, tickets) goes into history, Slack and evidence,
 * and auditors read it later in a terminal. Refused here, before anything starts: a secret pasted by
 * mistake (invariant 1), and control or bidi characters (shared/terminal-text.ts), which no reason
 * needs and which could drive the terminal of whoever reads it, or reorder what they see.
 */
export function assertFreeText(field: string, text: string | undefined): void {
  if (text === undefined) return;
  if (looksLikeSecret(text)) {
    throw new SafeguardError('SECRET_IN_TEXT', `the ${field} looks like it contains a secret (an access key, token or session token); remove it and try again — nothing was started`);
  }
  const unsafe = unsafeCharacterIn(text);
  if (unsafe) {
    throw new SafeguardError(
      'CONTROL_CHARACTER_IN_TEXT',
      `the ${field} contains a control or bidi character (${unsafe.codePoint} at position ${unsafe.index + 1}); use plain text (line breaks and tabs are fine) and try again — nothing was started`,
    );
  }
}

/** Workflow ids accepted from people: `breakglass-<role>-<hex>`; anything else is refused early. */
export const GRANT_ID_PATTERN = /^breakglass-[A-Za-z][A-Za-z0-9_-]{1,63}-[0-9a-f]{6,16}$/;

export function assertWorkflowId(id: string): string {
  if (!GRANT_ID_PATTERN.test(id)) {
    throw new SafeguardError('INVALID_ID', `"${id.slice(0, 80)}" is not a break-glass request id (they look like breakglass-BreakGlassAdmin-1a2b3c4d)`);
  }
  return id;
}
