// Check (a): no access outlived its end. Every grant whose credentials the chaos holds is tried
// once its end (and the last fault's recovery) is 5 s past; and the call log must show no call
// that took effect with a grant's session after that moment.
//
// How a credential that still works is judged depends on the sandbox. With IAM policies enforced
// (moto's request authentication) a call that gets through is access AWS would grant too: a
// problem. The embedded stack does not enforce them: a role's deny statements are written and read
// back as in AWS, but every call still gets through until the credential expires (vended
// credentials live at least 15 minutes). There, a call that got through counts as refused when the
// role's deny statement for the person covers every token the grant's session can have been issued
// (aws:TokenIssueTime before the cut-off), which is what IAM would decide; otherwise it is a problem.
import { getRole } from '../../config/policy/lookup';
import { roleSnapshotFor } from '../../client/request';
import type { CallRecord } from '../../sandbox/call-log';
import { grantSessionOwner } from '../../activities/aws/ssm';
import type { RoleSnapshot } from '../../workflows/break-glass/definitions';
import { grantSessionName } from '../../workflows/break-glass/definitions';
import type { StatementCutoff } from '../../workflows/break-glass/revocation-policy';
import type { ChaosGrant, CheckResult } from '../ledger';
import { probeOutcome } from './aws';
import type { ProbeOutcome } from './aws';
import { mapPool, sleep } from './bounded';
import { callAtMs, clock, lastIssueBoundMs, seconds, tookEffect } from './calls';
import { recordsAbout } from './facts';
import type { CheckFacts } from './facts';

/** Access must be gone this long after max(end, last recovery). */
export const ACCESS_GRACE_MS = 5_000;
const PROBE_TRIES = 3;
const PROBE_RETRY_MS = 1_000;

export interface GrantEnd {
  endMs: number;
  /** Which end it was: `planned end`, `ended` (the run's own record) or `run closed`. */
  source: string;
}

/** The earliest of the grant's planned end, the end its evidence records and its run's close. Pure. */
export function grantEnd(grant: Pick<ChaosGrant, 'plannedEndAtMs'>, known: { endedAtMs?: number; closedAtMs?: number }): GrantEnd | undefined {
  const candidates: GrantEnd[] = [];
  if (grant.plannedEndAtMs !== undefined) candidates.push({ endMs: grant.plannedEndAtMs, source: 'planned end' });
  if (known.endedAtMs !== undefined) candidates.push({ endMs: known.endedAtMs, source: 'ended' });
  if (known.closedAtMs !== undefined) candidates.push({ endMs: known.closedAtMs, source: 'run closed' });
  return candidates.reduce<GrantEnd | undefined>((a, b) => (a === undefined || b.endMs < a.endMs ? b : a), undefined);
}

export function accessDeadlineMs(endMs: number, lastRecoveryMs: number): number {
  return Math.max(endMs, lastRecoveryMs) + ACCESS_GRACE_MS;
}

/**
 * Why IAM would still accept a token of `person` issued up to `issuedUpToMs` on a role with these
 * deny statements; undefined when the latest statement for the person denies it
 * (aws:TokenIssueTime strictly before the cut-off). Pure.
 */
export function uncoveredReason(statements: readonly StatementCutoff[], person: string, issuedUpToMs: number): string | undefined {
  const cutoffs = statements.filter((s) => s.person === person).map((s) => Date.parse(s.tokensIssuedBefore));
  if (cutoffs.length === 0) return `no deny statement for ${person} on the role`;
  const cutoff = Math.max(...cutoffs);
  if (issuedUpToMs < cutoff) return undefined;
  return `${person}'s deny statement covers tokens issued before ${clock(cutoff)}, not those issued up to ${clock(issuedUpToMs)}`;
}

interface GrantSubject {
  grant: ChaosGrant;
  role: RoleSnapshot;
  end: GrantEnd;
  deadlineMs: number;
}

/** Each grant with its role and end; grants it cannot judge become notes or problems. */
function subjects(f: CheckFacts, grants: ChaosGrant[], out: { problems: string[]; notes: string[] }): GrantSubject[] {
  const list: GrantSubject[] = [];
  for (const grant of grants) {
    if (!getRole(f.policy, grant.role)) {
      out.problems.push(`${grant.workflowId}: role ${grant.role} is not in the policy; cannot tell which IAM role its session is on`);
      continue;
    }
    const role = roleSnapshotFor(f.policy, grant.role);
    const ended = recordsAbout(f.evidence, 'break-glass', grant.workflowId)
      .map((e) => Date.parse(String(e.record['actualEndAt'] ?? '')))
      .concat(recordsAbout(f.evidence, 'reconciled', grant.workflowId).map((e) => Date.parse(e.at)))
      .filter(Number.isFinite);
    const closed = f.executions.filter((e) => e.workflowId === grant.workflowId && e.type === 'breakGlassWorkflow' && e.closeMs !== undefined).map((e) => e.closeMs!);
    const end = grantEnd(grant, {
      ...(ended.length > 0 ? { endedAtMs: Math.min(...ended) } : {}),
      ...(closed.length > 0 ? { closedAtMs: Math.min(...closed) } : {}),
    });
    if (!end) {
      out.notes.push(`${grant.workflowId}: not judged: no planned end known and its run has not ended`);
      continue;
    }
    list.push({ grant, role, end, deadlineMs: accessDeadlineMs(end.endMs, f.lastRecoveryMs) });
  }
  return list;
}

const SANDBOX_NOTE =
  'the sandbox does not enforce IAM policies (moto authentication off): a call that got through counts as refused when the role\'s deny statement covers every token of the grant\'s session, as IAM would decide';

/** Why a call or credential of the grant that got through, its token issued by `issuedUpToMs`, is access AWS would grant too; undefined if AWS would refuse it. */
async function stillGranted(f: CheckFacts, s: GrantSubject, issuedUpToMs: number): Promise<string | undefined> {
  if (f.aws.enforcesPolicies) return 'the sandbox enforces IAM policies and let it through';
  return uncoveredReason(await f.statements(s.role), s.grant.requester, issuedUpToMs);
}

async function probeWithRetries(f: CheckFacts, grant: ChaosGrant): Promise<{ outcome: ProbeOutcome; error?: string }> {
  let last: { outcome: ProbeOutcome; error?: string } = { outcome: 'inconclusive' };
  for (let i = 0; i < PROBE_TRIES; i++) {
    last = probeOutcome(await f.aws.probe(grant.credentials!).then(() => undefined, (err: unknown) => err ?? new Error('rejected')));
    if (last.outcome !== 'inconclusive') return last;
    await sleep(PROBE_RETRY_MS);
  }
  return last;
}

/** Probes run this many at a time, and all of them within this long of the last grant's deadline. */
const PROBE_CONCURRENCY = 8;
const PROBE_BUDGET_MS = 60_000;

/** (a) Every held credential is refused once its grant's end and the last recovery are 5 s past. */
export async function checkHeldCredentialsRefused(f: CheckFacts): Promise<CheckResult> {
  const problems: string[] = [];
  const notes: string[] = [];
  const held = [...f.ledger.grants.values()].filter((g) => g.credentials !== undefined);
  const due = subjects(f, held, { problems, notes }).filter((s) => {
    if (s.deadlineMs <= f.waitDeadlineMs) return true;
    notes.push(`${s.grant.workflowId}: not probed: its ${s.end.source} (${clock(s.end.endMs)}) + 5 s is past the checks' wait`);
    return false;
  });
  const latest = Math.max(0, ...due.map((s) => s.deadlineMs));
  if (latest > Date.now()) await sleep(latest - Date.now());
  const probeUntil = Date.now() + PROBE_BUDGET_MS;
  const verdicts = await mapPool(due, PROBE_CONCURRENCY, async (s) => {
    const label = `${s.grant.workflowId} (${s.grant.requester} on ${s.grant.role})`;
    if (Date.now() > probeUntil) return { problem: `${label}: not probed: the probes ran out of time (${PROBE_BUDGET_MS / 1000} s)` };
    const probe = await probeWithRetries(f, s.grant);
    if (probe.outcome === 'refused') return {};
    const late = seconds(Date.now() - s.end.endMs);
    if (probe.outcome === 'inconclusive') {
      return { problem: `${label}: could not tell whether its credentials still work ${late} after its ${s.end.source}: the probe failed ${PROBE_TRIES} times (${probe.error ?? 'unknown error'})` };
    }
    // The held credentials were issued by one of the session's AssumeRole calls, before the chaos
    // received them, and before the checks began.
    const issuedUpTo = Math.min(lastIssueBoundMs(f.calls, grantSessionName(s.grant.workflowId)) ?? Infinity, s.grant.credentials?.receivedAtMs ?? Infinity, f.checksStartedAtMs);
    const why = await stillGranted(f, s, issuedUpTo);
    return { judgedBySandboxRule: !f.aws.enforcesPolicies, ...(why ? { problem: `${label}: its credentials still work ${late} after its ${s.end.source} (${clock(s.end.endMs)}): ${why}` } : {}) };
  });
  for (const v of verdicts) if (v.problem) problems.push(v.problem);
  if (verdicts.some((v) => 'judgedBySandboxRule' in v && v.judgedBySandboxRule)) notes.push(SANDBOX_NOTE);
  return { name: 'access ended: held credentials refused', ok: problems.length === 0, checked: due.length, problems, notes };
}

/** Calls that took effect with the session after `deadlineMs` and before the checks started. */
function lateCalls(f: CheckFacts, sessionArn: string, deadlineMs: number): CallRecord[] {
  return f.calls.filter(
    (c) => c.caller === sessionArn && tookEffect(c) && c.action !== 'GetCallerIdentity' && callAtMs(c) > deadlineMs && callAtMs(c) < f.checksStartedAtMs,
  );
}

/** (a) The call log holds no call that took effect with a grant's session after its end + 5 s. */
export async function checkNoCallsAfterEnd(f: CheckFacts): Promise<CheckResult> {
  const problems: string[] = [];
  const notes: string[] = [];
  const all = subjects(f, [...f.ledger.grants.values()], { problems, notes });
  if ((f.ledger.callsLost ?? 0) > 0) problems.push(`${f.ledger.callsLost} calls rolled out of the gateway's log before the recorder read them: this check saw only part of the run`);
  let judgedBySandboxRule = false;
  for (const s of all) {
    const sessionArn = grantSessionOwner(s.role.accountId, s.role.roleArn, s.grant.workflowId);
    const granted: CallRecord[] = [];
    for (const c of lateCalls(f, sessionArn, s.deadlineMs)) {
      const at = callAtMs(c);
      // The token the call was signed with was issued by an AssumeRole of the session before the call.
      const issuedUpTo = lastIssueBoundMs(f.calls, grantSessionName(s.grant.workflowId), at) ?? at;
      if (!f.aws.enforcesPolicies) judgedBySandboxRule = true;
      if (await stillGranted(f, s, issuedUpTo)) granted.push(c);
    }
    if (granted.length === 0) continue;
    const first = callAtMs(granted[0]!);
    const last = callAtMs(granted[granted.length - 1]!);
    const actions = [...new Set(granted.map((c) => `${c.service}:${c.action}`))].slice(0, 5).join(', ');
    problems.push(
      `${s.grant.workflowId} (${s.grant.requester} on ${s.grant.role}): ${granted.length} call(s) took effect with its session from ${seconds(first - s.end.endMs)} to ${seconds(last - s.end.endMs)} after its ${s.end.source} (${clock(s.end.endMs)}): ${actions}`,
    );
  }
  if (judgedBySandboxRule) notes.push(SANDBOX_NOTE);
  return { name: 'access ended: no calls after the end', ok: problems.length === 0, checked: all.length, problems, notes };
}

