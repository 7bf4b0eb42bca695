// The period report as Markdown: for people, tickets and evidence folders.
import { NONE, RUN_COLUMNS, chainText, formatFigure, outcomesText, periodText, summaryFiguresText } from './format';
import { emptyText } from './model';
import type { AuditExport } from './model';
import { mdCell, mdTable } from '../markdown';

export function renderAuditMarkdown(m: AuditExport): string {
  const out: string[] = ['# Safeguard audit export', ''];
  out.push(`- Period: ${mdCell(periodText(m))}`);
  out.push(`- Kinds: ${mdCell(m.kind ?? 'all')}`);
  out.push(`- Generated: ${mdCell(m.generatedAt)}`);
  out.push(`- Evidence: ${mdCell(m.evidenceDir)}`);
  out.push(`- Evidence chain: ${mdCell(chainText(m))}`, '');

  out.push('## Summary', '');
  out.push(...mdTable(['kind', 'runs', 'outcomes', 'figures'], m.summary.map((s) => [s.title, String(s.runs), outcomesText(s), summaryFiguresText(s)])), '');

  for (const section of m.sections) {
    out.push(`## ${mdCell(section.title)} (${section.kind})`, '');
    if (section.rows.length === 0) {
      out.push(emptyText(section.kind), '');
      continue;
    }
    const header = [...RUN_COLUMNS.map((c) => c.label), ...section.figures.map((f) => f.label), 'problems'];
    const rows = section.rows.map((r) => [...RUN_COLUMNS.map((c) => c.cell(r)), ...section.figures.map((f) => formatFigure(r.figures[f.key] ?? null, f.unit)), r.problems.join('; ') || NONE]);
    out.push(...mdTable(header, rows), '');
  }
  if (m.other.length > 0) {
    out.push('## Other evidence', '');
    out.push(...mdTable(['seq', 'evidence id', 'kind', 'recorded'], m.other.map((o) => [String(o.seq), o.evidenceId, o.kind, o.recordedAt])), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
