// `safeguard audit verify|list`: what an auditor runs against an evidence directory.
// Exit codes: 0 ok, 1 verification failed / evidence missing, 2 bad arguments.
// Commander wiring lives elsewhere; these functions take an output sink so they are testable.

import path from 'node:path';
import { EVIDENCE_FILE, EvidenceStore } from '../../evidence/store';
import type { EvidenceEntry, ListFilter, VerifyProblem, VerifyResult } from '../../evidence/store';
import type { EvidenceAccess } from '../../evidence/audit-access';
import { safeForTerminal } from '../../shared/terminal-text';

export interface AuditOutput {
  stdout(s: string): void;
  stderr(s: string): void;
}

/**
 * `audit verify`: the chain's links (keyed ones under the evidence key), then the chain against every
 * anchor store. Names the first bad record; exit 1 on any problem. `target` is a store (keyed and
 * anchored, cli/evidence-access.ts) or a directory (read unkeyed, without anchors).
 */
export async function runAuditVerify(target: string | EvidenceAccess, opts: { json?: boolean }, out: AuditOutput): Promise<number> {
  const { store, notes } = typeof target === 'string' ? { store: new EvidenceStore(target), notes: [] } : target;
  if (!(await store.exists())) {
    const msg = `no evidence file: ${path.join(store.dir, EVIDENCE_FILE)} does not exist`;
    if (opts.json) out.stdout(JSON.stringify({ ok: false, entries: 0, problems: [{ line: 0, problem: msg }] }));
    else out.stderr(`error: ${msg}`);
    return 1;
  }
  let result: VerifyResult;
  try {
    result = await store.verify();
  } catch (err) {
    out.stderr(`error: cannot verify ${store.file}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  if (opts.json) {
    out.stdout(JSON.stringify({ ...result, notes }));
    return result.ok ? 0 : 1;
  }
  for (const n of notes) out.stderr(`note: ${n}`);
  if (result.unkeyed > 0) out.stderr(`warning: ${result.unkeyed} entr${result.unkeyed === 1 ? 'y has' : 'ies have'} unkeyed (v1, sha256) links: they prove nothing against a rewrite`);
  const anchored = result.anchors
    ? result.anchors.stores.map((a) => `${a.count} anchor${a.count === 1 ? '' : 's'} in ${a.where} (last seq ${a.lastSeq})`).join('; ')
    : 'not anchored';
  if (result.ok) {
    const head = result.headHash ? result.headHash.slice(0, 12) : 'none';
    out.stdout(`evidence: ${result.entries} entries, chain intact, head ${head}`);
    if (result.anchors) out.stdout(`anchors: ${anchored}`);
    return 0;
  }
  if (result.firstBad) out.stdout(`first bad record: ${describeProblem(result.firstBad)}`);
  for (const p of result.problems) out.stdout(describeProblem(p));
  const verdict = result.uncheckedKeyed !== undefined && result.problems.length === 1 ? 'NOT VERIFIED (no evidence key)' : 'chain BROKEN';
  out.stderr(`evidence: ${verdict} — ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} in ${result.entries} entries; ${anchored}`);
  return 1;
}

function describeProblem(p: VerifyProblem): string {
  const where = p.line > 0 ? `${EVIDENCE_FILE}:${p.line}: ` : '';
  const seq = p.seq !== undefined ? `seq ${p.seq}: ` : '';
  const what = p.workflowId !== undefined ? `workflow ${p.workflowId}: ` : p.id !== undefined ? `record ${p.id}: ` : '';
  // Ids and workflow ids come from the file being verified: a tampered line must not drive the terminal.
  return safeForTerminal(`${where}${seq}${what}${p.problem}`);
}

export async function runAuditList(
  dir: string,
  opts: { kind?: string; since?: string; until?: string; json?: boolean },
  out: AuditOutput,
): Promise<number> {
  const filter: ListFilter = {};
  if (opts.kind !== undefined && opts.kind !== '') filter.kind = opts.kind;
  for (const which of ['since', 'until'] as const) {
    const raw = opts[which];
    if (raw === undefined) continue;
    const date = parseIsoDate(raw);
    if (!date) {
      out.stderr(
        `error: invalid --${which} ${JSON.stringify(raw)}: expected an ISO 8601 date or time, e.g. 2026-01-31 or 2026-01-31T09:30:00Z`,
      );
      return 2;
    }
    filter[which] = date;
  }
  if (filter.since && filter.until && filter.since.getTime() >= filter.until.getTime()) {
    out.stderr(`error: --since ${opts.since} must be before --until ${opts.until}`);
    return 2;
  }

  const store = new EvidenceStore(dir);
  if (!(await store.exists())) {
    out.stderr(`error: no evidence file: ${store.file} does not exist`);
    return 1;
  }
  let entries: EvidenceEntry[];
  try {
    entries = await store.list(filter);
  } catch (err) {
    out.stderr(`error: cannot read ${store.file}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  for (const e of entries) out.stdout(opts.json ? JSON.stringify(e) : formatEntry(e));
  return 0;
}

/** One human-readable line: seq, at, kind, id and a short summary of well-known record fields. */
export function formatEntry(e: EvidenceEntry): string {
  const summary = (['outcome', 'requester', 'role'] as const)
    .filter((k) => e.record[k] !== undefined && e.record[k] !== null)
    .map((k) => `${k}=${summaryValue(e.record[k])}`)
    .join(' ');
  return safeForTerminal([String(e.seq).padStart(6), e.at, e.kind, e.id, summary].filter((s) => s !== '').join('  '));
}

function summaryValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  const oneLine = s.replace(/\s+/g, ' ');
  return oneLine.length > 60 ? `${oneLine.slice(0, 59)}…` : oneLine;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Strict ISO 8601 date or date-time. A date alone is midnight UTC; a time without an offset is
 * UTC too (audits compare against UTC `at` stamps). Rejects impossible dates like 2026-02-30,
 * which Date.parse would silently roll over.
 */
export function parseIsoDate(raw: string): Date | undefined {
  const m = ISO_DATE.exec(raw.trim());
  if (!m) return undefined;
  const [, y, mo, d, hh, mi, ss, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) {
    return undefined;
  }
  if (hh === undefined) return calendar;
  if (Number(hh) > 23 || Number(mi) > 59 || (ss !== undefined && Number(ss) > 59)) return undefined;
  const normalised = `${raw.trim().replace(' ', 'T')}${zone === undefined ? 'Z' : ''}`;
  const t = Date.parse(normalised);
  return Number.isNaN(t) ? undefined : new Date(t);
}
