// `safeguard breakglass …`: each action is a function of (context, verified caller, arguments) that
// returns plain data; main.ts prints it as text or JSON. The demo and the integration tests call
// these same functions, so they exercise the CLI's code paths.
import { formatDuration } from '../../config/duration';
import { buildBreakGlassInput, parseRequestDuration } from '../../client/request';
import type { ListedRequest } from '../../client/break-glass-client';
import type { BreakGlassStatus, DecisionResult, ExtendResult, RevokeResult } from '../../workflows/break-glass/definitions';
import type { Caller } from '../identity';
import type { CliContext } from '../context';

export interface RequestOptions {
  role: string;
  duration?: string;
  reason: string;
  ticket?: string;
}

export async function requestAccess(ctx: CliContext, caller: Caller, opts: RequestOptions): Promise<{ workflowId: string; role: string; durationMs: number; approvers: string[]; quorum: number; mode: string }> {
  const input = buildBreakGlassInput(ctx.policy, {
    requester: caller.person,
    role: opts.role,
    reason: opts.reason,
    via: 'cli',
    ...(opts.duration !== undefined ? { duration: opts.duration } : {}),
    ...(opts.ticket !== undefined ? { ticket: opts.ticket } : {}),
  });
  const workflowId = await ctx.breakGlass.start(input);
  return { workflowId, role: input.role.name, durationMs: input.durationMs, approvers: input.role.approvers.filter((p) => p !== caller.person), quorum: input.role.quorum, mode: input.role.mode };
}

/** Which round a CLI decision is on: the request's own (approval, or ratification of a post-hoc
 * grant) unless `--extension` says the extension waiting now. */
export interface DecideOptions {
  extension?: boolean;
  /** An exact round id (`grant`, `ratification`, `extension-<n>`). */
  round?: string;
  comment?: string;
}

function roundOf(opts: DecideOptions): { round?: string } {
  if (opts.round) return { round: opts.round };
  return opts.extension ? { round: 'extension' } : {};
}

export function approve(ctx: CliContext, caller: Caller, id: string, opts: DecideOptions = {}): Promise<DecisionResult> {
  return ctx.breakGlass.approve(id, caller.person, { via: 'cli', ...roundOf(opts), ...(opts.comment ? { comment: opts.comment } : {}) });
}

export function deny(ctx: CliContext, caller: Caller, id: string, reason: string, opts: DecideOptions = {}): Promise<DecisionResult> {
  return ctx.breakGlass.deny(id, caller.person, reason, { via: 'cli', ...roundOf(opts) });
}

/** One line about a decision, written from what the workflow answered (never assumed). */
export function formatDecision(r: DecisionResult, verb: 'approved' | 'denied'): string {
  const what = r.roundKind === 'grant' || r.roundKind === undefined ? 'request' : r.roundKind;
  if (r.duplicate) return `already ${verb} by you: ${what} ${r.round ?? ''} is ${r.roundState ?? (r.decided ? 'decided' : 'open')} (${r.approvals}/${r.quorum})`.replace('  ', ' ');
  const state = r.roundState === 'approved' ? ' — approved' : r.roundState === 'denied' ? ' — denied' : '';
  const effect = r.roundKind === 'ratification' && r.roundState === 'denied' ? '; access is being revoked and security paged' : r.roundKind === 'extension' && r.roundState === 'approved' ? '; the grant is extended' : '';
  return `${verb} the ${what}${r.round && r.roundKind === 'extension' ? ` (${r.round})` : ''}: ${r.approvals}/${r.quorum}${state}${effect}`;
}

export function revoke(ctx: CliContext, caller: Caller, id: string, reason?: string): Promise<RevokeResult> {
  return ctx.breakGlass.revoke(id, caller.person, reason);
}

export function extend(ctx: CliContext, caller: Caller, id: string, by: string, reason?: string): Promise<ExtendResult> {
  return ctx.breakGlass.extend(id, caller.person, parseRequestDuration(by), reason);
}

export function status(ctx: CliContext, id: string): Promise<BreakGlassStatus> {
  return ctx.breakGlass.status(id);
}

export function list(ctx: CliContext, active: boolean): Promise<ListedRequest[]> {
  return ctx.breakGlass.list({ active });
}

export function formatStatus(s: BreakGlassStatus): string {
  // A run that Temporal closed without completing (terminated, timed out) says so first: its phase is
  // only where it was when it stopped, and the reconciler revokes for it.
  const closedAbnormally = s.execution && s.execution.status !== 'RUNNING' && s.execution.status !== 'COMPLETED';
  const lines = [
    `${s.grantId}  ${closedAbnormally ? `${s.execution!.status.toLowerCase()} at ${s.execution!.closeTime ?? '?'} (was ${s.phase})` : s.phase}${s.outcome ? ` (${s.outcome}${s.endReason ? `, ${s.endReason}` : ''})` : ''}`,
    `  requester ${s.requester}  role ${s.role}  account ${s.accountId}  mode ${s.mode}  duration ${formatDuration(s.durationMs)}${s.requestedDurationMs !== undefined ? ` (asked ${formatDuration(s.requestedDurationMs)}, extended)` : ''}`,
    `  reason    ${s.reason}${s.ticket ? `  ticket ${s.ticket}` : ''}`,
  ];
  for (const a of s.rounds ?? (s.approval ? [s.approval] : [])) {
    lines.push(`  ${a.id ?? a.kind} ${a.state}: ${a.approvals.length}/${a.quorum} approvals${a.approvals.length ? ` (${a.approvals.map((d) => d.by).join(', ')})` : ''}${a.denial ? `; denied by ${a.denial.by}: ${a.denial.reason}` : ''}`);
  }
  if (s.plannedEndAt) lines.push(`  active ${s.grantedAt ?? '?'} → planned end ${s.plannedEndAt}${s.actualEndAt ? `, ended ${s.actualEndAt}` : ''}`);
  if (s.revocation) {
    const r = s.revocation;
    lines.push(`  revocation ${r.verified ? 'VERIFIED' : 'NOT VERIFIED'} at ${r.checkedAt}: deny ${r.policyName} for SourceIdentity ${r.deniedSourceIdentity}, ${r.sessionsTerminated.length} session(s) terminated, attempts ${r.attempts}`);
  }
  lines.push('  timeline:');
  for (const e of s.timeline) lines.push(`    ${e.at}  ${e.event}${e.by ? ` by ${e.by}` : ''}${e.detail ? ` — ${e.detail}` : ''}`);
  if (s.counts && s.counts.omitted > 0) {
    lines.push(`    … and ${s.counts.omitted} more (${s.counts.credentials} credential issues, ${s.counts.sessions} sessions, ${s.counts.refusals} refusals in all; past the caps they are counted, not listed)`);
  }
  return lines.join('\n');
}

export function formatList(items: ListedRequest[]): string {
  if (items.length === 0) return 'no break-glass requests';
  return items.map((i) => `${i.workflowId}  ${i.status.toLowerCase()}${i.outcome ? `/${i.outcome}` : ''}  ${i.requester ?? '?'}  ${i.role ?? '?'}  started ${i.startTime}`).join('\n');
}
