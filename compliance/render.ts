// The report as Markdown (default), one self-contained HTML file (no script, no network, printable,
// every value escaped) or JSON. Every format keeps the customer's rows and wording and adds the
// computed status, the reason and what it rests on.
import type { EvidenceRef, Status } from './model';
import type { ComplianceReport, ReportRow, ReportSection } from './report';
import { mdCell, mdTable } from '../reports/markdown';

export const FORMATS = ['md', 'html', 'json'] as const;
export type Format = (typeof FORMATS)[number];

const MARK: Record<Status, string> = { compliant: '✅ compliant', 'non-compliant': '❌ non-compliant', 'not checked': '⚪ not checked' };
/** Refs listed per row in md and html (JSON has all of them). */
const MAX_REFS = 8;

export function refText(r: EvidenceRef): string {
  return r.type === 'evidence' ? `evidence ${r.kind} seq ${r.seq} (${r.id})` : `${r.account}/${r.region} ${r.api} ${r.resource}`;
}

export function rowRefs(row: ReportRow): EvidenceRef[] {
  const seen = new Set<string>();
  const out: EvidenceRef[] = [];
  for (const c of row.checks) {
    for (const f of c.findings) {
      for (const r of f.refs) {
        const k = refText(r);
        if (!seen.has(k)) {
          seen.add(k);
          out.push(r);
        }
      }
    }
  }
  return out;
}

function looked(row: ReportRow): string {
  return row.checks.map((c) => c.looked).join('; ');
}

const customerColumns = (s: ReportSection): string[] => s.columns.map((c, i) => (i === s.statusColumn ? "Customer's status" : c));

// ---- Markdown ----

export function renderMarkdown(r: ComplianceReport): string {
  const out: string[] = [];
  out.push(`# ${mdCell(r.title)}`, '');
  for (const p of r.preamble) out.push(mdCell(p), '');
  out.push(
    `Generated ${r.generatedAt} by \`safeguard compliance\` from the customer's table (${mdCell(r.source)}). Every status below is computed; the customer's own status is kept beside it.`,
    '',
    `- Evidence period: ${r.period.since} to ${r.period.until} (${mdCell(r.evidenceDir)})`,
    `- AWS accounts: ${r.accounts.length === 0 ? 'none queried' : r.accounts.map((a) => `${a.id} (${mdCell(a.name)}, ${a.region})${a.unreachable ? ` — not reachable: ${mdCell(a.unreachable)}` : ''}`).join('; ')}`,
    `- Rows: ${r.summary.compliant} compliant, ${r.summary['non-compliant']} non-compliant, ${r.summary['not checked']} not checked`,
    '',
  );
  for (const s of r.sections) {
    out.push(`## ${mdCell(s.heading)}${s.origin === 'safeguard' ? ' (added by Safeguard)' : ''}`, '');
    const cols = [...customerColumns(s), 'Computed status', 'Reason', 'Evidence'];
    const rows = s.rows.map((row) => {
      const refs = rowRefs(row);
      const ev = refs.slice(0, MAX_REFS).map(refText);
      if (refs.length > MAX_REFS) ev.push(`and ${refs.length - MAX_REFS} more (--format json)`);
      const reason = row.checks.length > 0 ? `${row.reason} (looked at: ${looked(row)})` : row.reason;
      const cells = row.cells.map((c, i) => (i === s.statusColumn && row.origin === 'safeguard' ? '(added by Safeguard)' : c));
      return [...cells, MARK[row.status], reason, ev.join('; ') || '—'];
    });
    out.push(...mdTable(cols, rows), '');
    for (const n of s.notes) out.push(mdCell(n), '');
  }
  out.push('"not checked" means nothing computed the row: the reason says why. It is never read as compliant.', '');
  return out.join('\n');
}

// ---- HTML ----

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}
table{border-collapse:collapse;width:100%;margin:0 0 1.5em}
th,td{border:1px solid #bbb;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#eee}
.compliant{background:#e6f4ea}.non-compliant{background:#fce8e6}.not-checked{background:#f1f3f4}
.refs{font-size:12px;color:#444;word-break:break-all}
.added{font-style:italic}
@media print{body{margin:0;font-size:11px}tr{page-break-inside:avoid}}`;

export function renderHtml(r: ComplianceReport): string {
  const e = escapeHtml;
  const parts: string[] = [];
  parts.push(
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // No script, no external resource: the file is read offline and printed.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>${e(r.title)} — computed ${e(r.generatedAt.slice(0, 10))}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<h1>${e(r.title)}</h1>`,
    ...r.preamble.map((p) => `<p>${e(p)}</p>`),
    `<p>Generated ${e(r.generatedAt)} by <code>safeguard compliance</code> from the customer's table (${e(r.source)}). Every status is computed; the customer's own status is kept beside it.</p>`,
    '<ul>',
    `<li>Evidence period: ${e(r.period.since)} to ${e(r.period.until)} (${e(r.evidenceDir)})</li>`,
    `<li>AWS accounts: ${r.accounts.length === 0 ? 'none queried' : r.accounts.map((a) => `${e(a.id)} (${e(a.name)}, ${e(a.region)})${a.unreachable ? ` — not reachable: ${e(a.unreachable)}` : ''}`).join('; ')}</li>`,
    `<li>Rows: ${r.summary.compliant} compliant, ${r.summary['non-compliant']} non-compliant, ${r.summary['not checked']} not checked</li>`,
    '</ul>',
  );
  for (const s of r.sections) {
    parts.push(`<h2>${e(s.heading)}${s.origin === 'safeguard' ? ' <span class="added">(added by Safeguard)</span>' : ''}</h2>`, '<table><thead><tr>');
    for (const c of [...customerColumns(s), 'Computed status', 'Reason', 'Evidence']) parts.push(`<th>${e(c)}</th>`);
    parts.push('</tr></thead><tbody>');
    for (const row of s.rows) {
      const refs = rowRefs(row);
      const cls = row.status.replace(' ', '-');
      parts.push(`<tr class="${cls}${row.origin === 'safeguard' ? ' added' : ''}">`);
      row.cells.forEach((c, i) => parts.push(`<td>${e(i === s.statusColumn && row.origin === 'safeguard' ? '(added by Safeguard)' : c)}</td>`));
      parts.push(`<td>${e(MARK[row.status])}</td>`);
      parts.push(`<td>${e(row.reason)}${row.checks.length > 0 ? `<br><small>Looked at: ${e(looked(row))}</small>` : ''}</td>`);
      const shown = refs.slice(0, MAX_REFS).map((x) => `<li>${e(refText(x))}</li>`);
      if (refs.length > MAX_REFS) shown.push(`<li>and ${refs.length - MAX_REFS} more (--format json)</li>`);
      parts.push(`<td class="refs">${shown.length > 0 ? `<ul>${shown.join('')}</ul>` : '—'}</td></tr>`);
    }
    parts.push('</tbody></table>');
    for (const n of s.notes) parts.push(`<p>${e(n)}</p>`);
  }
  parts.push('<p>"not checked" means nothing computed the row: the reason says why. It is never read as compliant.</p>', '</body></html>', '');
  return parts.join('\n');
}

export function renderJson(r: ComplianceReport): string {
  return JSON.stringify(r);
}

export function render(r: ComplianceReport, format: Format): string {
  if (format === 'html') return renderHtml(r);
  if (format === 'json') return renderJson(r);
  return renderMarkdown(r);
}
