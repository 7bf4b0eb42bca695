// `safeguard audit export`: the period report for auditors, from the evidence store (reports/audit-export).
// Exit codes as the other audit commands: 0 written, 1 evidence missing or unreadable, 2 bad arguments.
// Everything is checked before anything is written, and --out is written whole or not at all.
import path from 'node:path';
import type { Command } from 'commander';
import { EXPORT_FORMATS, EvidenceMissingError, REPORT_KINDS, isReportKind, loadAuditExport, renderAuditExport } from '../../reports/audit-export';
import type { ExportFormat } from '../../reports/audit-export';
import type { EvidenceStore } from '../../evidence/store';
import { parseIsoDate } from '../commands/audit';
import { outFileProblem, writeFileAtomic } from '../out-file';
import { out } from '../program';
import type { Out } from '../program';

export interface AuditExportOptions {
  from?: string;
  to?: string;
  kind?: string;
  format?: string;
  dir?: string;
  out?: string;
  /** The evidence key and the anchors' bucket, as `audit verify` takes them. */
  keyFile?: string;
  bucket?: string;
}

const DATE_HOWTO = 'expected an ISO 8601 date or time, e.g. 2026-01-31 or 2026-01-31T09:30:00Z';

export interface AuditExportDeps {
  now?: () => Date;
  /** Opens the store keyed and anchored as the writer is; default `new EvidenceStore(dir)`. */
  openStore?: (dir: string, access: { keyFile?: string; bucket?: string }) => Promise<EvidenceStore>;
}

export async function runAuditExport(opts: AuditExportOptions, o: Out, deps: AuditExportDeps = {}): Promise<number> {
  const bad = (msg: string): number => {
    o.stderr(`error: ${msg}`);
    return 2;
  };
  const dates: Date[] = [];
  for (const which of ['from', 'to'] as const) {
    const raw = opts[which];
    if (raw === undefined || raw === '') return bad(`--${which} is required: ${DATE_HOWTO}`);
    const d = parseIsoDate(raw);
    if (!d) return bad(`invalid --${which} ${JSON.stringify(raw.slice(0, 60))}: ${DATE_HOWTO}`);
    dates.push(d);
  }
  const [from, to] = dates as [Date, Date];
  if (from.getTime() >= to.getTime()) return bad(`--from ${opts.from} must be before --to ${opts.to} (the period is from --from up to, not including, --to)`);
  if (opts.kind !== undefined && !isReportKind(opts.kind)) return bad(`unknown --kind ${JSON.stringify(opts.kind.slice(0, 60))}: one of ${REPORT_KINDS.join(', ')}`);
  if (opts.format === undefined) return bad(`--format is required: one of ${EXPORT_FORMATS.join(', ')}`);
  if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format)) return bad(`unknown --format ${JSON.stringify(opts.format.slice(0, 60))}: one of ${EXPORT_FORMATS.join(', ')}`);
  const format = opts.format as ExportFormat;
  if (opts.out !== undefined) {
    const problem = await outFileProblem(opts.out);
    if (problem) return bad(problem);
  }

  let text: string;
  try {
    const dir = opts.dir ?? defaultEvidenceDir();
    const store = deps.openStore ? await deps.openStore(dir, { ...(opts.keyFile ? { keyFile: opts.keyFile } : {}), ...(opts.bucket ? { bucket: opts.bucket } : {}) }) : undefined;
    const model = await loadAuditExport({ dir, from, to, kind: opts.kind ?? null, ...(deps.now ? { now: deps.now } : {}), ...(store ? { store } : {}) });
    text = renderAuditExport(model, format);
  } catch (err) {
    if (err instanceof EvidenceMissingError) o.stderr(`error: ${err.message}`);
    else o.stderr(`error: cannot read the evidence: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  if (opts.out === undefined) {
    o.stdout(text.trimEnd());
    return 0;
  }
  // Whole or nothing: a half-written report must never be mistaken for the period's.
  try {
    await writeFileAtomic(opts.out, text, 0o640);
  } catch (err) {
    o.stderr(`error: cannot write ${opts.out}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  o.stderr(`wrote ${opts.out} (${format}, ${Buffer.byteLength(text, 'utf8')} bytes)`);
  return 0;
}

/** As the other audit commands: $SAFEGUARD_EVIDENCE_DIR, else <data dir>/evidence. */
function defaultEvidenceDir(): string {
  return process.env.SAFEGUARD_EVIDENCE_DIR || path.join(process.env.SAFEGUARD_DATA_DIR ?? '.data', 'evidence');
}

/** Adds `export` to the `audit` command (cli/areas/audit.ts calls this). `deps.openStore` lets the
 * caller open the store with its evidence key and anchors, so the header's chain verdict is the keyed one. */
export function registerAuditExport(audit: Command, deps: AuditExportDeps = {}): void {
  audit
    .command('export')
    .description('period report for auditors: every run, its outcome and figures, and the evidence behind each line')
    .option('--from <date>', 'start of the period (inclusive), ISO 8601')
    .option('--to <date>', 'end of the period (exclusive), ISO 8601')
    .option('--kind <kind>', `only this kind: ${REPORT_KINDS.join(', ')}`)
    .option('--format <format>', `${EXPORT_FORMATS.join(' | ')}`)
    .option('--dir <dir>', 'evidence directory (default $SAFEGUARD_EVIDENCE_DIR or .data/evidence)')
    .option('--out <file>', 'write the report to this file (default: standard output)')
    .option('--key-file <file>', 'evidence key file, to verify the chain (default $SAFEGUARD_EVIDENCE_KEY_FILE / _KMS_KEYS, or a running dev stack\'s)')
    .option('--bucket <bucket>', 'S3 bucket holding the anchors (default $SAFEGUARD_EVIDENCE_BUCKET)')
    .action(async (opts: AuditExportOptions) => {
      process.exitCode = await runAuditExport(opts, out, deps);
    });
}
