// The period report as Markdown: for people, tickets and evidence folders.
import { NONE, RUN_COLUMNS, chainText, formatFigure, outcomesText, periodText, summaryFiguresText } from './format';
import type { AuditExport } from './model';

export function renderAuditMarkdown(m: AuditExport): string {
  const out: string[] = ['# Safeguard audit export', ''];
  out.push(`- Period: ${mdCell(periodText(m))}`);
  out.push(`- Kinds: ${mdCell(m.kind ?? 'all')}`);
  out.push(`- Generated: ${mdCell(m.generatedAt)}`);
  out.push(`- Evidence: ${mdCell(m.evidenceDir)}`);
  out.push(`- Evidence chain: ${mdCell(chainText(m))}`, '');

  out.push('## Summary', '');
  out.push(...table(['kind', 'runs', 'outcomes', 'figures'], m.summary.map((s) => [s.title, String(s.runs), outcomesText(s), summaryFiguresText(s)])), '');

  for (const section of m.sections) {
    out.push(`## ${mdCell(section.title)} (${section.kind})`, '');
    if (section.rows.length === 0) {
      out.push('No runs in this period.', '');
      continue;
    }
    const header = [...RUN_COLUMNS.map((c) => c.label), ...section.figures.map((f) => f.label), 'problems'];
    const rows = section.rows.map((r) => [...RUN_COLUMNS.map((c) => c.cell(r)), ...section.figures.map((f) => formatFigure(r.figures[f.key] ?? null, f.unit)), r.problems.join('; ') || NONE]);
    out.push(...table(header, rows), '');
  }
  if (m.other.length > 0) {
    out.push('## Other evidence', '');
    out.push(...table(['seq', 'evidence id', 'kind', 'recorded'], m.other.map((o) => [String(o.seq), o.evidenceId, o.kind, o.recordedAt])), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.map(mdCell).join(' | ')} |`, `|${header.map(() => ' --- |').join('')}`, ...rows.map((cells) => `| ${cells.map(mdCell).join(' | ')} |`)];
}

/**
 * One table cell or line of text from evidence: a pipe would end the cell, a line break the row, and
 * Markdown viewers render inline HTML, so & < > are entities (a reason typed as <img src=…> stays text).
 */
export function mdCell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[*_`[\]]/g, (c) => `\\${c}`)
    .replace(/\r\n|\r|\n/g, '<br>');
}
