// Builds the period report from evidence entries: pure, so every renderer's test starts here.
import type { EvidenceEntry } from '../../evidence/store';
import { rowOf, runbookRowFromSteps, runStepKey } from './kinds';
import { FIGURES, KIND_TITLES, PART_KINDS, REPORT_KINDS, isReportKind } from './model';
import type { AuditExport, ChainStatus, KindSummary, ReportKind, ReviewReportTotals, RunRow } from './model';

export interface BuildInput {
  entries: EvidenceEntry[];
  period: { from: Date; to: Date };
  kind: ReportKind | null;
  generatedAt: Date;
  evidenceDir: string;
  chain: ChainStatus;
  /** Totals from each access review's report blob, by evidence id (absent: from the record's reviewer counts). */
  reviewTotals?: ReadonlyMap<string, ReviewReportTotals | { problem: string }>;
  /**
   * Every `runbook-step` entry recorded before the period's end, so a run of the period that began
   * before it still cites all its steps (load.ts reads them); absent: the period's own step entries.
   */
  runbookSteps?: EvidenceEntry[];
}

export function buildAuditExport(input: BuildInput): AuditExport {
  const kinds = input.kind ? [input.kind] : [...REPORT_KINDS];
  const rows = new Map<ReportKind, RunRow[]>(kinds.map((k) => [k, []]));
  const other: AuditExport['other'] = [];
  const stepsOfRun = new Map<string, EvidenceEntry[]>();
  for (const e of [...(input.runbookSteps ?? input.entries.filter((x) => x.kind === 'runbook-step'))].sort((a, b) => a.seq - b.seq)) {
    const key = runStepKey(e.record);
    stepsOfRun.set(key, [...(stepsOfRun.get(key) ?? []), e]);
  }
  const runsShown = new Set<string>();
  for (const e of [...input.entries].sort((a, b) => a.seq - b.seq)) {
    if (isReportKind(e.kind)) {
      const steps = e.kind === 'runbook' ? stepsOfRun.get(runStepKey(e.record)) : undefined;
      if (e.kind === 'runbook') runsShown.add(runStepKey(e.record));
      rows.get(e.kind)?.push(rowOf(e as EvidenceEntry & { kind: ReportKind }, { ...(input.reviewTotals?.has(e.id) ? { reviewTotals: input.reviewTotals.get(e.id)! } : {}), ...(steps ? { steps } : {}) }));
    } else if (!Object.prototype.hasOwnProperty.call(PART_KINDS, e.kind) && input.kind === null) {
      other.push({ seq: e.seq, evidenceId: e.id, kind: e.kind, recordedAt: e.at });
    }
  }
  const runbookRows = rows.get('runbook');
  if (runbookRows) {
    // Steps of the period whose run has no record in it (still open at the period's end, or its record
    // was never written) are a row of their own: never dropped, never "other evidence".
    const from = input.period.from.getTime();
    const to = input.period.to.getTime();
    for (const [key, steps] of stepsOfRun) {
      if (runsShown.has(key) || !steps.some((s) => Date.parse(s.at) >= from && Date.parse(s.at) < to)) continue;
      runbookRows.push(runbookRowFromSteps(steps));
    }
    runbookRows.sort((a, b) => a.seq - b.seq);
  }
  return {
    period: { from: input.period.from.toISOString(), to: input.period.to.toISOString() },
    kind: input.kind,
    generatedAt: input.generatedAt.toISOString(),
    evidenceDir: input.evidenceDir,
    chain: input.chain,
    summary: kinds.map((k) => summarise(k, rows.get(k) ?? [])),
    sections: kinds.map((k) => ({ kind: k, title: KIND_TITLES[k], figures: FIGURES[k], rows: rows.get(k) ?? [] })),
    other,
  };
}

function summarise(kind: ReportKind, rows: RunRow[]): KindSummary {
  const outcomes: Record<string, number> = {};
  for (const r of [...rows].sort((a, b) => (a.outcome < b.outcome ? -1 : a.outcome > b.outcome ? 1 : 0))) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  const count = (key: string): number | null => (rows.length === 0 ? null : rows.filter((r) => r.figures[key] === true).length);
  const sum = (key: string): number | null => {
    const values = rows.map((r) => r.figures[key]).filter((v): v is number => typeof v === 'number');
    return values.length === 0 ? null : values.reduce((a, b) => a + b, 0);
  };
  const max = (key: string): number | null => {
    const values = rows.map((r) => r.figures[key]).filter((v): v is number => typeof v === 'number');
    return values.length === 0 ? null : Math.max(...values);
  };
  const figures: Record<string, number | null> = {};
  switch (kind) {
    case 'break-glass':
    case 'reconciled':
      figures['revocationsVerified'] = count('revocationVerified');
      figures['maxRevocationLagMs'] = max('revocationLagMs');
      break;
    case 'break-glass-drill':
      figures['targetsMet'] = count('targetsMet');
      figures['maxRevocationLagMs'] = max('revocationLagMs');
      break;
    case 'restore-drill':
      figures['rtoMet'] = count('rtoMet');
      figures['rpoMet'] = count('rpoMet');
      figures['maxRtoMs'] = max('rtoMs');
      figures['maxRpoMs'] = max('rpoMs');
      break;
    case 'access-review':
      for (const k of ['principals', 'flagged', 'kept', 'revoked', 'defaulted']) figures[k] = sum(k);
      figures['revocationsVerified'] = sum('revocationsVerified');
      break;
    case 'runbook':
      figures['stepsEscalated'] = sum('stepsEscalated');
      figures['stepsTimedOut'] = sum('stepsTimedOut');
      break;
    case 'root-login':
      figures['withoutMfa'] = rows.length === 0 ? null : rows.filter((r) => r.figures['mfaUsed'] === 'no').length;
      break;
    case 'drill-sweep':
      figures['deleted'] = sum('deleted');
      break;
    default:
      break;
  }
  return { kind, title: KIND_TITLES[kind], runs: rows.length, outcomes, figures };
}
