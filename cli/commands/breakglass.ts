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

export function approve(ctx: CliContext, caller: Caller, id: string, comment?: string): Promise<DecisionResult> {
  return ctx.breakGlass.approve(id, caller.person, comment);
}

export function deny(ctx: CliContext, caller: Caller, id: string, reason: string): Promise<DecisionResult> {
  return ctx.breakGlass.deny(id, caller.person, reason);
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
  const lines = [
    `${s.grantId}  ${s.phase}${s.outcome ? ` (${s.outcome}${s.endReason ? `, ${s.endReason}` : ''})` : ''}`,
    `  requester ${s.requester}  role ${s.role}  account ${s.accountId}  mode ${s.mode}  duration ${formatDuration(s.durationMs)}`,
    `  reason    ${s.reason}${s.ticket ? `  ticket ${s.ticket}` : ''}`,
  ];
  if (s.approval) {
    const a = s.approval;
    lines.push(`  ${a.kind} ${a.state}: ${a.approvals.length}/${a.quorum} approvals${a.approvals.length ? ` (${a.approvals.map((d) => d.by).join(', ')})` : ''}${a.denial ? `; denied by ${a.denial.by}: ${a.denial.reason}` : ''}`);
  }
  if (s.plannedEndAt) lines.push(`  active ${s.grantedAt ?? '?'} → planned end ${s.plannedEndAt}${s.actualEndAt ? `, ended ${s.actualEndAt}` : ''}`);
  if (s.revocation) {
    const r = s.revocation;
    lines.push(`  revocation ${r.verified ? 'VERIFIED' : 'NOT VERIFIED'} at ${r.checkedAt}: deny ${r.policyName} for SourceIdentity ${r.deniedSourceIdentity}, ${r.sessionsTerminated.length} session(s) terminated, attempts ${r.attempts}`);
  }
  lines.push('  timeline:');
  for (const e of s.timeline) lines.push(`    ${e.at}  ${e.event}${e.by ? ` by ${e.by}` : ''}${e.detail ? ` — ${e.detail}` : ''}`);
  return lines.join('\n');
}

export function formatList(items: ListedRequest[]): string {
  if (items.length === 0) return 'no break-glass requests';
  return items.map((i) => `${i.workflowId}  ${i.status.toLowerCase()}${i.outcome ? `/${i.outcome}` : ''}  ${i.requester ?? '?'}  ${i.role ?? '?'}  started ${i.startTime}`).join('\n');
}
