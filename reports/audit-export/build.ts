// Builds the period report from evidence entries: pure, so every renderer's test starts here.
import type { EvidenceEntry } from '../../evidence/store';
import { rowOf } from './kinds';
import { FIGURES, KIND_TITLES, REPORT_KINDS, isReportKind } from './model';
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
}

export function buildAuditExport(input: BuildInput): AuditExport {
  const kinds = input.kind ? [input.kind] : [...REPORT_KINDS];
  const rows = new Map<ReportKind, RunRow[]>(kinds.map((k) => [k, []]));
  const other: AuditExport['other'] = [];
  for (const e of [...input.entries].sort((a, b) => a.seq - b.seq)) {
    if (isReportKind(e.kind)) {
      rows.get(e.kind)?.push(rowOf(e as EvidenceEntry & { kind: ReportKind }, input.reviewTotals?.get(e.id)));
    } else if (input.kind === null) {
      other.push({ seq: e.seq, evidenceId: e.id, kind: e.kind, recordedAt: e.at });
    }
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
    case 'drill-sweep':
      figures['deleted'] = sum('deleted');
      break;
    default:
      break;
  }
  return { kind, title: KIND_TITLES[kind], runs: rows.length, outcomes, figures };
}
