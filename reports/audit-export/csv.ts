// The period report as CSV: one record per run, every kind in one sheet. The fixed columns come
// first; then one column per figure of the kinds the report covers (a figure shared by kinds, such as
// the revocation lag, is one column). Raw values (milliseconds, ISO times, true/false) so a spreadsheet
// can sum and sort them. The period, chain and summary are in the other formats' header.
import { csvDocument } from '../csv';
import { FIGURES } from './model';
import type { AuditExport, FigureSpec, FigureValue } from './model';

const FIXED = ['kind', 'seq', 'evidence_id', 'recorded_at', 'workflow_id', 'subject', 'outcome', 'requested_by', 'approvers', 'started_at', 'planned_end_at', 'ended_at', 'problems'] as const;

export function renderAuditCsv(m: AuditExport): string {
  const figures: FigureSpec[] = [];
  for (const section of m.sections) for (const spec of FIGURES[section.kind]) if (!figures.some((x) => x.key === spec.key)) figures.push(spec);
  const header = [...FIXED, ...figures.map((s) => snake(s.key))];
  const rows = m.sections.flatMap((section) =>
    section.rows.map((r) => [
      r.kind,
      String(r.seq),
      r.evidenceId,
      r.recordedAt,
      r.workflowId ?? '',
      r.subject,
      r.outcome,
      r.requestedBy ?? '',
      r.approvers.join(' '),
      r.startedAt ?? '',
      r.plannedEndAt ?? '',
      r.endedAt ?? '',
      r.problems.join('; '),
      ...figures.map((s) => (Object.prototype.hasOwnProperty.call(r.figures, s.key) ? raw(r.figures[s.key] ?? null) : '')),
    ]),
  );
  return csvDocument(header, rows);
}

function raw(v: FigureValue): string {
  return v === null ? '' : String(v);
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
