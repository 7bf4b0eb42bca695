// The period report as one JSON object: the model as it is, with a schema name so tools can tell
// versions apart. Every figure of a kind is present (null when unknown).
import type { AuditExport } from './model';

export const AUDIT_EXPORT_SCHEMA = 'safeguard.audit-export/1';

export function renderAuditJson(m: AuditExport): string {
  return `${JSON.stringify({ schema: AUDIT_EXPORT_SCHEMA, ...m }, null, 2)}\n`;
}
