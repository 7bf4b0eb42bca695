// `safeguard audit export`: the period report for auditors. The pieces live in reports/audit-export/:
// model.ts (shape and figures), kinds.ts (a row per evidence entry), build.ts, load.ts (the store),
// and one renderer per format.
import { renderAuditCsv } from './audit-export/csv';
import { renderAuditHtml } from './audit-export/html';
import { renderAuditJson } from './audit-export/json';
import { renderAuditMarkdown } from './audit-export/markdown';
import type { AuditExport } from './audit-export/model';

export { buildAuditExport } from './audit-export/build';
export { EvidenceMissingError, loadAuditExport } from './audit-export/load';
export type { LoadOptions } from './audit-export/load';
export { FIGURES, KIND_TITLES, REPORT_KINDS, isReportKind } from './audit-export/model';
export type { AuditExport, KindSummary, ReportKind, RunRow } from './audit-export/model';
export { renderAuditCsv, renderAuditHtml, renderAuditJson, renderAuditMarkdown };

export const EXPORT_FORMATS = ['md', 'html', 'csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export function renderAuditExport(m: AuditExport, format: ExportFormat): string {
  switch (format) {
    case 'md':
      return renderAuditMarkdown(m);
    case 'html':
      return renderAuditHtml(m);
    case 'csv':
      return renderAuditCsv(m);
    case 'json':
      return renderAuditJson(m);
  }
}
