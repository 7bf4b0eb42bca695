// How a figure reads for people (Markdown, HTML); CSV and JSON keep the raw values.
import { formatElapsed } from '../../config/duration';
import type { AuditExport, FigureUnit, FigureValue, KindSummary, RunRow } from './model';
import { SUMMARY_FIGURES } from './model';

export const NONE = '—';

export function formatFigure(value: FigureValue, unit: FigureUnit): string {
  if (value === null || value === '') return NONE;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (unit === 'ms' && typeof value === 'number' && value >= 0) return formatElapsed(value);
  return String(value);
}

/** The columns every kind's table starts with, then the kind's own figures. */
export const RUN_COLUMNS: { label: string; cell: (r: RunRow) => string }[] = [
  { label: 'seq', cell: (r) => String(r.seq) },
  { label: 'evidence id', cell: (r) => r.evidenceId },
  { label: 'subject', cell: (r) => r.subject },
  { label: 'outcome', cell: (r) => r.outcome },
  { label: 'requested by', cell: (r) => r.requestedBy ?? NONE },
  { label: 'approvers', cell: (r) => (r.approvers.length > 0 ? r.approvers.join(', ') : NONE) },
  { label: 'started', cell: (r) => r.startedAt ?? NONE },
  { label: 'planned end', cell: (r) => r.plannedEndAt ?? NONE },
  { label: 'ended', cell: (r) => r.endedAt ?? NONE },
];

export function outcomesText(s: KindSummary): string {
  const parts = Object.entries(s.outcomes).map(([o, n]) => `${o} ${n}`);
  return parts.length > 0 ? parts.join(', ') : NONE;
}

/** "revocations verified 2/2, longest revocation lag 1.2s": counts of flags read as n of the runs. */
export function summaryFiguresText(s: KindSummary): string {
  const flags = new Set(['revocationsVerified', 'targetsMet', 'rtoMet', 'rpoMet', 'withoutMfa']);
  const parts = SUMMARY_FIGURES[s.kind].map((spec) => {
    const v = s.figures[spec.key] ?? null;
    if (v === null) return `${spec.label} ${NONE}`;
    if (flags.has(spec.key) && s.kind !== 'access-review') return `${spec.label} ${v}/${s.runs}`;
    return `${spec.label} ${formatFigure(v, spec.unit)}`;
  });
  return parts.length > 0 ? parts.join(', ') : NONE;
}

export function chainText(m: AuditExport): string {
  const c = m.chain;
  const head = c.headHash ? `, head ${c.headHash.slice(0, 16)}` : '';
  const verdict = c.ok ? `verified: ${c.entries} entries, chain intact${head}` : `NOT VERIFIED: ${c.problems} problem(s) in ${c.entries} entries${c.firstProblem ? `, first ${c.firstProblem}` : ''} (run \`safeguard audit verify\`)`;
  return c.anchors === null ? verdict : `${verdict}; anchors ${anchorsText(c.anchors)}`;
}

/** `7 in s3://bucket/anchors/ (last seq 7); 7 in local:…`: each anchor store the chain was compared with (evidence/verify.ts AnchorSummary). */
function anchorsText(a: unknown): string {
  const stores = (a as { stores?: unknown })?.stores;
  const list = Array.isArray(stores) ? stores : [a];
  const text = list
    .map((x) => {
      const s = x as { where?: unknown; count?: unknown; lastSeq?: unknown };
      return typeof s?.where === 'string' ? `${String(s.count)} in ${s.where} (last seq ${String(s.lastSeq)})` : JSON.stringify(x);
    })
    .join('; ');
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}

export function periodText(m: AuditExport): string {
  return `${m.period.from} to ${m.period.to} (end exclusive)`;
}
