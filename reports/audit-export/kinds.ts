// One report row from one evidence entry, per kind. Records are read defensively: they were written by
// older code too (records.ts keeps every schema version), so a field that is missing becomes null and a
// problem on the row, never an exception that would lose the rest of the period.
import { maskAccessKeyId } from '../../activities/reviews/findings';
import type { EvidenceEntry } from '../../evidence/store';
import { checkStoredRecord } from '../../evidence/records';
import { FIGURES } from './model';
import type { FigureValue, ReportKind, ReviewReportTotals, RunRow } from './model';

type Rec = Record<string, unknown>;
type Entry = EvidenceEntry & { kind: ReportKind };

/** What a row reads besides its own entry. */
export interface RowContext {
  /** An access review's totals from its report blob. */
  reviewTotals?: ReviewReportTotals | { problem: string };
  /** A runbook run's `runbook-step` entries (runStepKey groups them), in seq order. */
  steps?: EvidenceEntry[];
}

export function rowOf(e: Entry, ctx: RowContext = {}): RunRow {
  const r = e.record;
  const problems: string[] = [];
  const check = checkStoredRecord(e.kind, r);
  if (!check.ok) problems.push(check.problem);
  const base: RunRow = {
    kind: e.kind,
    seq: e.seq,
    evidenceId: e.id,
    recordedAt: e.at,
    workflowId: str(r['workflowId']),
    subject: '',
    outcome: str(r['outcome']) ?? 'unknown',
    requestedBy: str(r['requestedBy']),
    approvers: [],
    startedAt: str(r['startedAt']),
    plannedEndAt: null,
    endedAt: str(r['endedAt']),
    figures: {},
    problems,
  };
  const figures = KIND_ROWS[e.kind](r, base, ctx);
  // Every figure the kind lists is present, so renderers and JSON readers never meet a missing key.
  base.figures = Object.fromEntries(FIGURES[e.kind].map((s) => [s.key, figures[s.key] ?? null]));
  return base;
}

type KindRow = (r: Rec, row: RunRow, ctx: RowContext) => Record<string, FigureValue>;

const KIND_ROWS: Record<ReportKind, KindRow> = {
  'break-glass': (r, row) => {
    row.subject = str(r['role']) ?? '-';
    row.requestedBy = str(r['requester']);
    row.startedAt = str(r['requestedAt']);
    row.plannedEndAt = str(r['plannedEndAt']);
    row.endedAt = str(r['actualEndAt']);
    row.approvers = approversOf([obj(r['approval']), ...arr(r['rounds']).map(obj)]);
    const revocation = obj(r['revocation']);
    return {
      role: str(r['role']),
      accountId: str(r['accountId']),
      mode: str(r['mode']),
      ticket: str(r['ticket']),
      reason: str(r['reason']),
      endReason: str(r['endReason']),
      grantedAt: str(r['grantedAt']),
      revocationVerified: bool(revocation?.['verified']),
      revocationLagMs: num(r['revocationLagMs']),
      sessionsTerminated: revocation ? arr(revocation['sessionsTerminated']).length : null,
    };
  },
  reconciled: (r, row) => {
    const revocation = obj(r['revocation']);
    const verified = bool(revocation?.['verified']);
    const closedAt = str(r['closedAt']);
    const checkedAt = str(revocation?.['checkedAt']);
    row.subject = str(r['role']) ?? '-';
    row.requestedBy = str(r['requester']);
    row.outcome = verified === true ? 'revoked-by-reconciler' : 'revocation-not-verified';
    row.startedAt = closedAt;
    row.endedAt = checkedAt;
    return {
      role: str(r['role']),
      accountId: str(r['accountId']),
      closedAs: str(r['closedAs']),
      closedAt,
      reconcileWorkflowId: str(r['reconcileWorkflowId']),
      revocationVerified: verified,
      revocationLagMs: closedAt && checkedAt ? Math.max(0, Date.parse(checkedAt) - Date.parse(closedAt)) : null,
    };
  },
  'access-refused': (r, row) => {
    row.workflowId = str(r['grantId']);
    row.subject = str(r['grantId']) ?? '-';
    row.requestedBy = str(r['by']);
    row.outcome = 'refused';
    row.startedAt = str(r['at']);
    row.endedAt = str(r['at']);
    return { code: str(r['code']), what: str(r['what']) };
  },
  'break-glass-drill': (r, row) => {
    row.subject = str(r['drill']) ?? '-';
    row.approvers = approversOf([{ approvals: r['approvals'] }]);
    const scores = obj(r['scores']) ?? {};
    const targets = obj(r['targets']) ?? {};
    const pairs: [string, string][] = [
      ['timeToApproveMs', 'approveWithinMs'],
      ['timeToGrantMs', 'grantWithinMs'],
      ['revocationLagMs', 'revokeWithinMs'],
    ];
    const met = pairs.every(([s, t]) => {
      const score = num(scores[s]);
      const target = num(targets[t]);
      return score !== null && target !== null && score <= target;
    });
    const revocation = obj(r['revocation']);
    return {
      rehearses: str(r['rehearses']),
      grantWorkflowId: str(r['grantWorkflowId']),
      timeToApproveMs: num(scores['timeToApproveMs']),
      approveWithinMs: num(targets['approveWithinMs']),
      timeToGrantMs: num(scores['timeToGrantMs']),
      grantWithinMs: num(targets['grantWithinMs']),
      revocationLagMs: num(scores['revocationLagMs']),
      revokeWithinMs: num(targets['revokeWithinMs']),
      revocationVerified: bool(revocation?.['verified']),
      targetsMet: met && bool(revocation?.['verified']) === true,
      missed: arr(r['missed']).map(String).join(', '),
    };
  },
  'restore-drill': (r, row) => {
    row.subject = str(r['drill']) ?? '-';
    row.approvers = approversOf([obj(r['signOffRound'])]);
    const scores = obj(r['scores']) ?? {};
    return {
      sourceType: str(r['sourceType']),
      rtoMs: num(scores['rtoMs']),
      rtoTargetMs: num(scores['rtoTargetMs']),
      rtoMet: bool(scores['rtoMet']) ?? met(num(scores['rtoMs']), num(scores['rtoTargetMs'])),
      rpoMs: num(scores['rpoMs']),
      rpoTargetMs: num(scores['rpoTargetMs']),
      rpoMet: bool(scores['rpoMet']) ?? met(num(scores['rpoMs']), num(scores['rpoTargetMs'])),
      validationPassed: bool(obj(r['validation'])?.['passed']),
      scratch: str(obj(r['scratch'])?.['name']),
      tornDownAt: str(obj(r['teardown'])?.['goneAt']),
    };
  },
  'access-key-rotation': (r, row) => {
    row.subject = str(r['target']) ?? '-';
    row.approvers = approversOf(arr(r['rounds']).map(obj));
    // Reports leave the evidence store (mailed, pasted in tickets): key ids are masked as in review reports.
    const key = (v: unknown): string | null => {
      const id = str(v);
      return id === null ? null : maskAccessKeyId(id);
    };
    return { userName: str(r['userName']), accountId: str(r['accountId']), oldAccessKeyId: key(r['oldAccessKeyId']), newAccessKeyId: key(r['newAccessKeyId']) };
  },
  'kms-rotation': (r, row) => {
    row.subject = str(r['target']) ?? '-';
    return { keyRef: str(r['keyRef']), keyId: str(r['keyId']), accountId: str(r['accountId']), rotationPeriodDays: num(r['rotationPeriodDays']), onDemandDrill: bool(r['onDemandDrill']) };
  },
  'access-review': (r, row, { reviewTotals: fromBlob }) => {
    row.subject = str(r['review']) ?? '-';
    const totals = obj(r['totals']);
    const reviewers = arr(r['reviewers']).map(obj);
    // Who decided a review's items are its reviewers (a person or a group), shown where other kinds show approvers.
    row.approvers = reviewers.map((x) => obj(x?.['reviewer'])).filter((x): x is Rec => x !== undefined).map((x) => `${String(x['type'])}:${String(x['id'])}`);
    const counted = (k: string): number | null => {
      const values = reviewers.map((x) => num(obj(x?.['counts'])?.[k]));
      return values.some((v) => v === null) || values.length === 0 ? null : values.reduce<number>((a, b) => a + (b ?? 0), 0);
    };
    let t: ReviewReportTotals = { kept: counted('kept') ?? undefined, revoked: counted('revoked') ?? undefined, defaulted: counted('defaulted') ?? undefined, applied: counted('applied') ?? undefined, verified: counted('verified') ?? undefined };
    // The report blob is the review's own account of every item; the record's counts are the fallback.
    if (fromBlob && 'problem' in fromBlob) row.problems.push(fromBlob.problem);
    else if (fromBlob) t = fromBlob;
    return {
      accounts: arr(r['accounts']).map((a) => str(obj(a)?.['accountId']) ?? '?').join(', '),
      defaultAction: str(r['defaultAction']),
      principals: num(totals?.['principals']),
      flagged: num(totals?.['flagged']),
      exempt: num(totals?.['exempt']),
      reviewers: reviewers.length,
      kept: t.kept ?? null,
      revoked: t.revoked ?? null,
      defaulted: t.defaulted ?? null,
      undecided: t.undecided ?? null,
      revocationsApplied: t.applied ?? null,
      revocationsVerified: t.verified ?? null,
      report: str(obj(r['report'])?.['sha256']),
    };
  },
  runbook: (r, row, { steps = [] }) => {
    row.subject = str(r['runbook']) ?? '-';
    const definition = arr(obj(r['definition'])?.['steps']).map(obj);
    const results = arr(r['stepResults']).map(obj).filter((x): x is Rec => x !== undefined);
    const figures = runbookFigures(row, results, steps);
    const recorded = new Set(steps.map((s) => num(s.record['index'])));
    const missing = results.filter((x) => !recorded.has(num(x['index']))).map((x) => str(x['id']) ?? '?');
    // The run's record lists every step it ended; each must also have been written as it ended.
    if (missing.length > 0) row.problems.push(`no runbook-step evidence for step(s) ${missing.join(', ')}`);
    let stoppedAt = figures.stoppedAt ?? null;
    if (row.outcome !== 'completed' && stoppedAt === null) {
      // Cancelled (or failed outside a step) while a step was open: that step never got a result.
      const open = str(definition[results.length]?.['id']);
      if (open) stoppedAt = `${open} (not finished)`;
    }
    return { ...figures, stoppedAt, title: str(r['title']), accountId: str(r['accountId']), reason: str(r['reason']), stepsTotal: definition.length > 0 ? definition.length : null };
  },
  'root-login': (r, row) => {
    const verdict = str(r['verdict']);
    row.workflowId = str(r['watchWorkflowId']);
    row.subject = str(r['accountId']) ?? '-';
    row.outcome = verdict === 'unexpected' ? 'paged' : (verdict ?? 'unknown');
    row.startedAt = str(r['at']);
    row.endedAt = str(r['pagedAt']);
    const mfa = r['mfaUsed'];
    return {
      accountId: str(r['accountId']),
      signedInAt: str(r['at']),
      sourceIp: str(r['sourceIp']),
      // CloudTrail says "Yes" or "No"; anything else is shown as it is, and absent stays unknown.
      mfaUsed: typeof mfa === 'boolean' ? (mfa ? 'yes' : 'no') : mfa === 'Yes' || mfa === 'No' ? mfa.toLowerCase() : str(mfa),
      eventId: str(r['eventId']),
      // Expected: the approved recovery run it fell in; paged: none was open.
      duringRun: str(r['duringRun']),
      pagedAt: str(r['pagedAt']),
    };
  },
  'drill-sweep': (r, row) => {
    row.subject = 'sg-drill-* resources';
    row.outcome = str(r['outcome']) ?? 'swept';
    const swept = arr(r['swept']).map(obj);
    return { swept: swept.length, deleted: swept.filter((s) => s?.['deleted'] === true).length };
  },
};

/** Groups a run's `runbook-step` entries with its `runbook` entry: the same workflow id and run id. */
export function runStepKey(record: Rec): string {
  return `${String(record['workflowId'])}\u0000${String(record['runId'])}`;
}

/**
 * A run known only from its step records (its `runbook` record is after the period, or was never
 * written): shown, so the steps are not lost, with a problem saying why it has no run record.
 */
export function runbookRowFromSteps(steps: EvidenceEntry[]): RunRow {
  const last = steps[steps.length - 1]!;
  const first = steps[0]!.record;
  const row: RunRow = {
    kind: 'runbook',
    seq: last.seq,
    evidenceId: last.id,
    recordedAt: last.at,
    workflowId: str(first['workflowId']),
    subject: str(first['runbook']) ?? '-',
    outcome: 'no run record',
    requestedBy: str(first['requestedBy']),
    approvers: [],
    startedAt: str(first['startedAt']),
    plannedEndAt: null,
    endedAt: null,
    figures: {},
    problems: [`no runbook record for this run: it ended after the period or its record was not written; shown from its ${steps.length} step record(s)`],
  };
  const figures = runbookFigures(row, steps.map((s) => s.record), steps);
  row.figures = Object.fromEntries(FIGURES.runbook.map((spec) => [spec.key, figures[spec.key] ?? null]));
  return row;
}

/** Approvers, steps done, escalated and timed out, who confirmed, and the step records' seqs, from a run's step results. */
function runbookFigures(row: RunRow, results: Rec[], steps: EvidenceEntry[]): Record<string, FigureValue> {
  const people = (x: Rec): string[] => arr(x['by']).map((b) => str(obj(b)?.['by'])).filter((b): b is string => b !== null);
  const approvers = new Set<string>();
  const confirmers = new Set<string>();
  for (const x of results) {
    const by = people(x);
    // A denied approval step (outcome failed) lists the denial last: the denier did not approve.
    if (x['type'] === 'approval') for (const p of x['outcome'] === 'failed' ? by.slice(0, -1) : by) approvers.add(p);
    if (x['type'] === 'confirm') for (const p of by) confirmers.add(p);
  }
  row.approvers = [...approvers];
  for (const s of steps) {
    const check = checkStoredRecord('runbook-step', s.record);
    if (!check.ok) row.problems.push(`step record #${s.seq}: ${check.problem}`);
  }
  const last = results[results.length - 1];
  const stopped = last && last['outcome'] !== 'done' && row.outcome !== 'completed' ? `${str(last['id']) ?? '?'} (${str(last['outcome']) ?? '?'})${str(last['detail']) ? `: ${str(last['detail'])}` : ''}` : null;
  return {
    stepsDone: results.filter((x) => x['outcome'] === 'done').length,
    stepsEscalated: results.filter((x) => x['escalated'] === true).length,
    stepsTimedOut: results.filter((x) => x['outcome'] === 'timed-out').length,
    stoppedAt: stopped,
    confirmers: confirmers.size,
    confirmedBy: confirmers.size > 0 ? [...confirmers].join(', ') : null,
    stepEvidence: steps.length > 0 ? steps.map((s) => s.seq).join(', ') : null,
  };
}

/** Distinct people who approved any of the rounds, in the order they first approved. */
function approversOf(rounds: (Rec | undefined)[]): string[] {
  const seen = new Set<string>();
  for (const round of rounds) {
    for (const a of arr(round?.['approvals'])) {
      const by = str(obj(a)?.['by']);
      if (by !== null) seen.add(by);
    }
  }
  return [...seen];
}

function met(value: number | null, target: number | null): boolean | null {
  return value === null || target === null ? null : value <= target;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
function bool(v: unknown): boolean | null {
  return typeof v === 'boolean' ? v : null;
}
function obj(v: unknown): Rec | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : undefined;
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
