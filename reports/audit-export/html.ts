// The period report as ONE self-contained HTML file: inline CSS only, no script, no font, image or
// link, so it opens offline, prints (print CSS, landscape, headers repeated on every page) and can be
// attached to an audit as it is. A Content-Security-Policy of default-src 'none' backs that up: even
// if a value slipped through unescaped, the page could load nothing. Every value is escaped.
import { NONE, RUN_COLUMNS, chainText, formatFigure, outcomesText, periodText, summaryFiguresText } from './format';
import { emptyText } from './model';
import type { AuditExport, RunRow } from './model';

const CSS = `
:root { color-scheme: light; }
body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #111; margin: 24px; }
h1 { font-size: 20px; margin: 0 0 8px; }
h2 { font-size: 15px; margin: 24px 0 6px; border-bottom: 1px solid #999; padding-bottom: 2px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 12px; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
.bad { color: #a00; font-weight: 700; }
.good { color: #060; font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; font-size: 11px; }
th, td { border: 1px solid #bbb; padding: 3px 5px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #eee; }
td.id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 10px; }
p.empty { color: #555; font-style: italic; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; font-size: 10px; }
  table { font-size: 8.5px; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  h2 { break-after: avoid; }
}
`;

export function renderAuditHtml(m: AuditExport): string {
  const out: string[] = [];
  out.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">');
  out.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  out.push('<meta name="referrer" content="no-referrer">', '<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push(`<title>Safeguard audit export ${esc(m.period.from)} to ${esc(m.period.to)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>');
  out.push('<h1>Safeguard audit export</h1>', '<dl class="meta">');
  out.push(meta('Period', esc(periodText(m))), meta('Kinds', esc(m.kind ?? 'all')), meta('Generated', esc(m.generatedAt)), meta('Evidence', esc(m.evidenceDir)));
  out.push(meta('Evidence chain', `<span id="chain" class="${m.chain.ok ? 'good' : 'bad'}" data-ok="${m.chain.ok}">${esc(chainText(m))}</span>`), '</dl>');

  out.push('<h2>Summary</h2>', '<table id="summary"><thead><tr><th>kind</th><th>runs</th><th>outcomes</th><th>figures</th></tr></thead><tbody>');
  for (const s of m.summary) {
    out.push(`<tr data-kind="${esc(s.kind)}"><td>${esc(s.title)}</td><td>${s.runs}</td><td>${esc(outcomesText(s))}</td><td>${esc(summaryFiguresText(s))}</td></tr>`);
  }
  out.push('</tbody></table>');

  for (const section of m.sections) {
    out.push(`<section id="kind-${esc(section.kind)}" data-kind="${esc(section.kind)}">`, `<h2>${esc(section.title)} (${esc(section.kind)})</h2>`);
    if (section.rows.length === 0) {
      out.push(`<p class="empty">${esc(emptyText(section.kind))}</p>`, '</section>');
      continue;
    }
    const header = [...RUN_COLUMNS.map((c) => c.label), ...section.figures.map((f) => f.label), 'problems'];
    out.push(`<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>`);
    for (const r of section.rows) out.push(row(r, section.figures));
    out.push('</tbody></table>', '</section>');
  }
  if (m.other.length > 0) {
    out.push('<section id="other"><h2>Other evidence</h2><table><thead><tr><th>seq</th><th>evidence id</th><th>kind</th><th>recorded</th></tr></thead><tbody>');
    for (const o of m.other) out.push(`<tr data-seq="${o.seq}" data-evidence-id="${esc(o.evidenceId)}"><td>${o.seq}</td><td class="id">${esc(o.evidenceId)}</td><td>${esc(o.kind)}</td><td>${esc(o.recordedAt)}</td></tr>`);
    out.push('</tbody></table></section>');
  }
  out.push('</body>', '</html>');
  return `${out.join('\n')}\n`;
}

function row(r: RunRow, figures: AuditExport['sections'][number]['figures']): string {
  const cells = RUN_COLUMNS.map((c, i) => `<td${i === 1 ? ' class="id"' : ''}>${esc(c.cell(r))}</td>`);
  for (const f of figures) cells.push(`<td data-figure="${esc(f.key)}">${esc(formatFigure(r.figures[f.key] ?? null, f.unit))}</td>`);
  cells.push(`<td${r.problems.length > 0 ? ' class="bad"' : ''}>${esc(r.problems.join('; ') || NONE)}</td>`);
  return `<tr class="run" data-kind="${esc(r.kind)}" data-seq="${r.seq}" data-evidence-id="${esc(r.evidenceId)}">${cells.join('')}</tr>`;
}

function meta(label: string, html: string): string {
  return `<dt>${esc(label)}</dt><dd>${html}</dd>`;
}

/** Text for an HTML element or a double-quoted attribute. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
