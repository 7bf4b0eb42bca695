// The checks Safeguard's own evidence decides (DESIGN.md §2): each a pure function of the evidence
// entries of one period (EvidenceStore.list, filtered by kind and time), so the rules are tested
// without a store. "No evidence" is never compliant: a row with nothing to look at is "not checked".
import type { CheckResult, EvidenceRef, Finding } from './model';
import { checkResult } from './model';

/** What the store lists: `{ seq, at, id, kind, record }` (evidence/store.ts EvidenceEntry). */
export interface EntryLike {
  seq: number;
  at: string;
  id: string;
  kind: string;
  record: Record<string, unknown>;
}

export interface Period {
  since: Date;
  until: Date;
}

/** A grant's access must end within this of its planned end (the revocation's own lag included). */
export const LOGOFF_GRACE_MS = 5 * 60_000;

const day = (d: Date): string => d.toISOString().slice(0, 10);
export const periodText = (p: Period): string => `${day(p.since)} to ${day(p.until)}`;

const ref = (e: EntryLike): EvidenceRef => ({ type: 'evidence', kind: e.kind, seq: e.seq, id: e.id, at: e.at });
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const of = (entries: EntryLike[], ...kinds: string[]): EntryLike[] => entries.filter((e) => kinds.includes(e.kind));
const latest = (entries: EntryLike[]): EntryLike | undefined => entries.reduce<EntryLike | undefined>((a, e) => (!a || e.seq > a.seq ? e : a), undefined);
const runKey = (r: Record<string, unknown>): string => `${str(r['workflowId']) ?? '?'}/${str(r['runId']) ?? '?'}`;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Break-glass records of grants that were really granted (denied, unapproved and malformed requests gave no access). */
function grantedUses(entries: EntryLike[]): EntryLike[] {
  return of(entries, 'break-glass').filter((e) => str(e.record['grantedAt']) !== undefined && e.record['drill'] !== true);
}

/**
 * Emergency access procedure: every break-glass grant of the period was revoked with a verified
 * receipt (its own, or the reconciler's for a run that closed without one), and the procedure was
 * rehearsed: the latest fire drill of the period passed.
 */
export function emergencyAccessCheck(entries: EntryLike[], period: Period): CheckResult {
  const looked = `evidence kinds break-glass, reconciled and break-glass-drill recorded ${periodText(period)}`;
  const uses = grantedUses(entries);
  const reconciled = of(entries, 'reconciled');
  const drills = of(entries, 'break-glass-drill');
  const findings: Finding[] = [];
  if (uses.length === 0 && drills.length === 0) {
    return checkResult('emergency-access', 'break-glass revocations and fire drills', looked, [], `no break-glass grant and no fire drill recorded ${periodText(period)}`);
  }
  const unrevoked: EntryLike[] = [];
  const late: EntryLike[] = [];
  const viaReconciler: EntryLike[] = [];
  for (const u of uses) {
    const receipt = obj(u.record['revocation']);
    if (receipt?.['verified'] === true) {
      const planned = Date.parse(str(u.record['plannedEndAt']) ?? '');
      const actual = Date.parse(str(u.record['actualEndAt']) ?? '');
      if (u.record['endReason'] === 'expired' && Number.isFinite(planned) && Number.isFinite(actual) && actual - planned > LOGOFF_GRACE_MS) late.push(u);
      continue;
    }
    const rec = reconciled.find((r) => runKey(r.record) === runKey(u.record) && obj(r.record['revocation'])?.['verified'] === true);
    if (rec) viaReconciler.push(u, rec);
    else unrevoked.push(u);
  }
  if (uses.length > 0) {
    if (unrevoked.length > 0) {
      findings.push({ status: 'non-compliant', reason: `${plural(unrevoked.length, 'grant')} of ${uses.length} without a verified revocation (${unrevoked.map((u) => `seq ${u.seq}`).join(', ')})`, refs: unrevoked.map(ref) });
    } else if (late.length > 0) {
      findings.push({ status: 'non-compliant', reason: `${plural(late.length, 'grant')} of ${uses.length} revoked more than ${LOGOFF_GRACE_MS / 60_000} min after its planned end`, refs: late.map(ref) });
    } else {
      const rec = viaReconciler.length / 2;
      findings.push({
        status: 'compliant',
        reason: `${plural(uses.length, 'grant')}, every one revoked with a verified receipt${rec > 0 ? ` (${rec} by the reconciler after its run closed)` : ''}`,
        refs: uses.map(ref).concat(viaReconciler.filter((e) => e.kind === 'reconciled').map(ref)),
      });
    }
  }
  const drill = latest(drills);
  if (!drill) findings.push({ status: 'non-compliant', reason: `no break-glass fire drill ${periodText(period)}: the procedure was not rehearsed`, refs: [] });
  else {
    const outcome = str(drill.record['outcome']) ?? 'unknown';
    const name = str(drill.record['drill']) ?? '?';
    findings.push({
      status: outcome === 'passed' ? 'compliant' : 'non-compliant',
      reason: `last fire drill "${name}" on ${drill.at.slice(0, 10)}: ${outcome}${drills.length > 1 ? ` (${drills.length} drills in the period)` : ''}`,
      refs: [ref(drill)],
    });
  }
  return checkResult('emergency-access', 'break-glass revocations and fire drills', looked, findings);
}

/** What the policy declares about root recovery: the runbooks a root sign-in is expected during, the accounts watched. */
export interface RootRecoveryDeclared {
  runbooks: string[];
  accounts: string[];
}

const RECOVERY_TITLE = 'root-account recovery runbook and root sign-in watch';

/** Whether a runbook run's record shows an approval step approved. */
function wasApproved(record: Record<string, unknown>): boolean {
  const steps = Array.isArray(record['stepResults']) ? (record['stepResults'] as unknown[]) : [];
  return steps.some((x) => obj(x)?.['type'] === 'approval' && obj(x)?.['outcome'] === 'done');
}

/**
 * Root-account recovery (the other half of the emergency access procedure): a declared runbook run
 * under dual control, and no root console sign-in outside one. Non-compliant when the watcher paged a
 * root sign-in in the period or the last recovery failed; compliant when the last recovery completed,
 * or when none was needed (the runbook is declared and watched, and no unexpected sign-in was paged).
 */
export function rootRecoveryCheck(entries: EntryLike[], period: Period, declared: RootRecoveryDeclared | null | undefined): CheckResult {
  const looked = `evidence kinds runbook and root-login recorded ${periodText(period)}, and the policy's runbooks.rootLoginWatch`;
  if (!declared || declared.runbooks.length === 0) {
    const why = declared === undefined ? 'the policy was not read' : 'the policy names no root-recovery runbook (runbooks.rootLoginWatch.expectedDuring)';
    return checkResult('root-recovery', RECOVERY_TITLE, looked, [], `${why}: root-account recovery is not a Safeguard runbook`);
  }
  const findings: Finding[] = [];
  // Sign-ins during an approved recovery are recorded too ("expected"): only the paged ones are findings.
  const pages = of(entries, 'root-login').filter((e) => e.record['verdict'] !== 'expected');
  if (pages.length > 0) {
    const list = pages.slice(0, 5).map((e) => `${str(e.record['accountId']) ?? '?'} at ${str(e.record['at']) ?? '?'}`).join(', ');
    findings.push({ status: 'non-compliant', reason: `${plural(pages.length, 'root console sign-in')} with no recovery runbook open (paged): ${list}${pages.length > 5 ? ', …' : ''}`, refs: pages.map(ref) });
  }
  const runs = of(entries, 'runbook').filter((e) => declared.runbooks.includes(str(e.record['runbook']) ?? ''));
  // A run cancelled before anyone approved it did nothing; one cancelled after did not finish the procedure.
  const last = latest(runs.filter((e) => e.record['outcome'] !== 'cancelled' || wasApproved(e.record)));
  if (last) {
    const outcome = str(last.record['outcome']) ?? 'unknown';
    const steps = Array.isArray(last.record['stepResults']) ? last.record['stepResults'].length : 0;
    const ok = outcome === 'completed' || outcome === 'denied';
    findings.push({
      status: ok ? 'compliant' : 'non-compliant',
      reason: `last root recovery (${str(last.record['runbook'])}, requested by ${str(last.record['requestedBy']) ?? '?'}) on ${last.at.slice(0, 10)}: ${outcome}, ${plural(steps, 'step')} evidenced${runs.length > 1 ? ` (${runs.length} runs in the period)` : ''}`,
      refs: [ref(last)],
    });
  } else if (pages.length === 0) {
    findings.push({
      status: 'compliant',
      reason: `no root recovery was needed: the procedure is the declared runbook ${declared.runbooks.join(', ')}, root console sign-ins in ${declared.accounts.join(', ')} are watched, and none was paged ${periodText(period)}`,
      refs: [],
    });
  }
  return checkResult('root-recovery', RECOVERY_TITLE, looked, findings);
}

/**
 * Automatic logoff: every grant's access ended at its planned end (within LOGOFF_GRACE_MS) or
 * earlier (revoked, idle); counts idle revocations.
 */
export function automaticLogoffCheck(entries: EntryLike[], period: Period): CheckResult {
  const looked = `planned vs actual end of break-glass grants (evidence kind break-glass) recorded ${periodText(period)}`;
  const uses = grantedUses(entries);
  if (uses.length === 0) return checkResult('grant-logoff', 'grants end on time', looked, [], `no break-glass grant ended ${periodText(period)}: nothing to measure`);
  const over: { e: EntryLike; byMs: number }[] = [];
  const unknown: EntryLike[] = [];
  let idle = 0;
  let worst = 0;
  for (const u of uses) {
    if (u.record['endReason'] === 'idle') idle += 1;
    const planned = Date.parse(str(u.record['plannedEndAt']) ?? '');
    const actual = Date.parse(str(u.record['actualEndAt']) ?? '');
    if (!Number.isFinite(planned) || !Number.isFinite(actual)) {
      unknown.push(u);
      continue;
    }
    const byMs = actual - planned;
    worst = Math.max(worst, byMs);
    if (byMs > LOGOFF_GRACE_MS) over.push({ e: u, byMs });
  }
  const findings: Finding[] = [];
  if (over.length > 0) {
    findings.push({
      status: 'non-compliant',
      reason: `${plural(over.length, 'grant')} of ${uses.length} ended after its planned end by more than ${LOGOFF_GRACE_MS / 60_000} min (worst ${Math.round(Math.max(...over.map((o) => o.byMs)) / 1000)} s)`,
      refs: over.map((o) => ref(o.e)),
    });
  }
  if (unknown.length > 0) findings.push({ status: 'non-compliant', reason: `${plural(unknown.length, 'grant')} without a recorded planned or actual end`, refs: unknown.map(ref) });
  if (findings.length === 0) {
    findings.push({
      status: 'compliant',
      reason: `${plural(uses.length, 'grant')} ended by the planned end${worst > 0 ? ` (latest ${Math.round(worst / 1000)} s after it)` : ''}; ${plural(idle, 'idle revocation')}`,
      refs: uses.map(ref),
    });
  }
  return checkResult('grant-logoff', 'grants end on time', looked, findings);
}

/** Encryption: the latest KMS rotation run of each key target in the period verified rotation. */
export function kmsRotationEvidenceCheck(entries: EntryLike[], period: Period): CheckResult {
  const looked = `evidence kind kms-rotation recorded ${periodText(period)}`;
  const runs = of(entries, 'kms-rotation');
  const byTarget = new Map<string, EntryLike>();
  for (const r of runs) {
    const t = str(r.record['target']) ?? '?';
    const prev = byTarget.get(t);
    if (!prev || r.seq > prev.seq) byTarget.set(t, r);
  }
  const findings: Finding[] = [...byTarget.entries()].map(([target, e]) => {
    const outcome = str(e.record['outcome']) ?? 'unknown';
    return { status: outcome === 'verified' ? 'compliant' : 'non-compliant', reason: `key ${target}: last rotation run ${e.at.slice(0, 10)} ${outcome}`, refs: [ref(e)] };
  });
  return checkResult('kms-rotation-runs', 'KMS rotation runs', looked, findings, `no KMS rotation run recorded ${periodText(period)}`);
}

/** Integrity: the latest restore drill of each drill in the period passed, with RTO and RPO within their targets. */
export function restoreDrillCheck(entries: EntryLike[], period: Period): CheckResult {
  const looked = `evidence kind restore-drill recorded ${periodText(period)}`;
  const byDrill = new Map<string, EntryLike>();
  for (const r of of(entries, 'restore-drill')) {
    const d = str(r.record['drill']) ?? '?';
    const prev = byDrill.get(d);
    if (!prev || r.seq > prev.seq) byDrill.set(d, r);
  }
  const findings: Finding[] = [...byDrill.entries()].map(([drill, e]): Finding => {
    const outcome = str(e.record['outcome']) ?? 'unknown';
    const s = obj(e.record['scores']) ?? {};
    const rto = num(s['rtoMs']);
    const rpo = num(s['rpoMs']);
    const rtoT = num(s['rtoTargetMs']);
    const rpoT = num(s['rpoTargetMs']);
    const sec = (ms: number | undefined): string => (ms === undefined ? 'n/a' : `${Math.round(ms / 1000)} s`);
    const scores = `RTO ${sec(rto)} (target ${sec(rtoT)}), RPO ${sec(rpo)} (target ${sec(rpoT)})`;
    const met = rto !== undefined && rpo !== undefined && rtoT !== undefined && rpoT !== undefined && rto <= rtoT && rpo <= rpoT;
    return { status: outcome === 'passed' && met ? 'compliant' : 'non-compliant', reason: `drill ${drill} on ${e.at.slice(0, 10)}: ${outcome}, ${scores}`, refs: [ref(e)] };
  });
  return checkResult('restore-drills', 'restore drills meet RTO/RPO', looked, findings, `no restore drill recorded ${periodText(period)}`);
}

/** Person or entity authentication: the latest access review of each review completed, and found no principal without MFA. */
export function accessReviewCheck(entries: EntryLike[], period: Period): CheckResult {
  const looked = `evidence kind access-review recorded ${periodText(period)} (outcome, totals.findings)`;
  const byReview = new Map<string, EntryLike>();
  for (const r of of(entries, 'access-review')) {
    const n = str(r.record['review']) ?? '?';
    const prev = byReview.get(n);
    if (!prev || r.seq > prev.seq) byReview.set(n, r);
  }
  const findings: Finding[] = [...byReview.entries()].map(([review, e]): Finding => {
    const outcome = str(e.record['outcome']) ?? 'unknown';
    const totals = obj(e.record['totals']);
    const counts = obj(totals?.['findings']) ?? {};
    const mfa = Object.entries(counts)
      .filter(([code, n]) => /mfa/i.test(code) && typeof n === 'number' && n > 0)
      .map(([code, n]) => `${String(n)} ${code}`);
    const principals = num(totals?.['principals']);
    const base = `review ${review} on ${e.at.slice(0, 10)}: ${outcome}${principals !== undefined ? `, ${plural(principals, 'principal')}` : ''}`;
    if (outcome !== 'completed') return { status: 'non-compliant', reason: base, refs: [ref(e)] };
    if (mfa.length > 0) return { status: 'non-compliant', reason: `${base}; MFA findings: ${mfa.join(', ')}`, refs: [ref(e)] };
    return { status: 'compliant', reason: `${base}; no MFA finding`, refs: [ref(e)] };
  });
  return checkResult('access-reviews', 'access reviews completed, MFA', looked, findings, `no access review recorded ${periodText(period)}`);
}

/** What EvidenceStore.verify() returns that the report reads (`anchors` only once the store anchors). */
export interface ChainVerification {
  ok: boolean;
  entries: number;
  problems: { seq?: number; line: number; problem: string }[];
  anchors?: unknown;
}

interface AnchorStoreSummary {
  count: number;
  lastSeq: number;
  where: string;
}

function anchorStoreOf(v: unknown): AnchorStoreSummary | undefined {
  const a = obj(v);
  const count = num(a?.['count']);
  const lastSeq = num(a?.['lastSeq']);
  if (!a || count === undefined || lastSeq === undefined) return undefined;
  return { count, lastSeq, where: str(a['where']) ?? 'an anchor store' };
}

/** Every anchor store verify() compared the chain with (`anchors.stores`; the summary alone when it lists none). */
function anchorStoresOf(v: ChainVerification): AnchorStoreSummary[] {
  const summary = anchorStoreOf(v.anchors);
  const stores = obj(v.anchors)?.['stores'];
  if (!Array.isArray(stores)) return summary ? [summary] : [];
  return stores.map(anchorStoreOf).filter((s): s is AnchorStoreSummary => s !== undefined);
}

/** An anchor store outside the host: S3 with Object Lock (evidence/anchors/s3.ts names it `s3://…`). */
const isWriteOnce = (s: AnchorStoreSummary): boolean => s.where.startsWith('s3://');

/**
 * Audit controls: the whole evidence chain verifies and its head is anchored outside the store, in
 * a write-once copy. Anchors in the local working copy alone do not count: whoever holds the evidence
 * key and can write the directory rewrites the chain and its anchors file together (docs/audit.md).
 */
export function evidenceChainCheck(v: ChainVerification, dir: string, notes: string[] = []): CheckResult {
  const looked = `EvidenceStore.verify() over every entry in ${dir}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
  const title = 'evidence chain verified and anchored';
  if (!v.ok) {
    const first = v.problems.slice(0, 3).map((p) => `line ${p.line}${p.seq !== undefined ? ` (seq ${p.seq})` : ''}: ${p.problem}`);
    return checkResult('evidence-chain', title, looked, [{ status: 'non-compliant', reason: `the chain does not verify: ${plural(v.problems.length, 'problem')}: ${first.join('; ')}`, refs: [] }]);
  }
  if (v.entries === 0) return checkResult('evidence-chain', title, looked, [], `the evidence store in ${dir} is empty`);
  const anchored = anchorStoresOf(v).filter((s) => s.count > 0);
  if (anchored.length === 0) {
    return checkResult('evidence-chain', title, looked, [{ status: 'non-compliant', reason: `${plural(v.entries, 'entry', 'entries')} verified, not anchored: a rewrite of the whole file would not be detected`, refs: [] }]);
  }
  const a = anchored.find(isWriteOnce);
  if (!a) {
    const local = anchored.map((s) => s.where).join(', ');
    return checkResult('evidence-chain', title, looked, [
      {
        status: 'non-compliant',
        reason: `${plural(v.entries, 'entry', 'entries')} verified, but anchored only in the local working copy (${local}): someone who holds the evidence key can rewrite both local files and it would still verify; production names an S3 bucket with Object Lock (SAFEGUARD_EVIDENCE_BUCKET) for the anchors`,
        refs: [],
      },
    ]);
  }
  return checkResult('evidence-chain', title, looked, [{ status: 'compliant', reason: `${plural(v.entries, 'entry', 'entries')} verified; ${plural(a.count, 'anchor')} in ${a.where}, the last at seq ${a.lastSeq}`, refs: [] }]);
}
