// What `safeguard doctor` prints: one row per check (status, what was checked, what was found, and
// for a failure the fix), as a table or as JSON. Pure: no I/O, so the layout, the exit-code rule and
// the redaction are unit-tested without a deployment.
import { isSecretKey, REDACTED } from '../../config/redact';

export type CheckStatus = 'ok' | 'FAIL' | 'warn' | 'skipped';

export interface CheckRow {
  /** Stable id (`temporal`, `aws-role:123456789012`): scripts match on it, never on the wording. */
  id: string;
  /** What was checked, for a person. */
  check: string;
  status: CheckStatus;
  /** What was found; for a skipped check, why it was skipped. */
  detail: string;
  /** What to do about a FAIL or a warn: specific enough to act on without reading code. */
  fix?: string;
}

export interface DoctorReport {
  /** Where the configuration came from: the environment, or a running dev stack. */
  source: string;
  checks: CheckRow[];
}

export interface DoctorJson extends DoctorReport {
  ok: boolean;
  summary: Record<CheckStatus, number>;
}

/** Non-zero exactly when a check failed; warnings and skipped checks do not fail a deployment. */
export function exitCodeOf(rows: readonly CheckRow[]): number {
  return rows.some((r) => r.status === 'FAIL') ? 1 : 0;
}

export function summaryOf(rows: readonly CheckRow[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { ok: 0, FAIL: 0, warn: 0, skipped: 0 };
  for (const r of rows) counts[r.status]++;
  return counts;
}

export function toJson(report: DoctorReport): DoctorJson {
  return { ok: exitCodeOf(report.checks) === 0, source: report.source, summary: summaryOf(report.checks), checks: report.checks };
}

const STATUS_WIDTH = 'skipped'.length + 2;

/**
 * The table: STATUS, CHECK, RESULT; a multi-line result continues under RESULT, and a fix follows
 * its row as `fix: …`. Ends with a one-line summary.
 */
export function renderTable(report: DoctorReport): string {
  const checkWidth = Math.max('CHECK'.length, ...report.checks.map((r) => r.check.length)) + 2;
  const indent = ' '.repeat(STATUS_WIDTH + checkWidth);
  const lines = [`safeguard doctor: ${report.source}`, '', `${'STATUS'.padEnd(STATUS_WIDTH)}${'CHECK'.padEnd(checkWidth)}RESULT`];
  for (const r of report.checks) {
    const [first = '', ...rest] = r.detail.split('\n');
    lines.push(`${r.status.padEnd(STATUS_WIDTH)}${r.check.padEnd(checkWidth)}${first}`.trimEnd());
    for (const more of rest) lines.push(`${indent}${more.trim()}`);
    if (r.fix && (r.status === 'FAIL' || r.status === 'warn')) {
      const [fixFirst = '', ...fixRest] = r.fix.split('\n');
      lines.push(`${indent}fix: ${fixFirst}`);
      for (const more of fixRest) lines.push(`${indent}     ${more.trim()}`);
    }
  }
  const s = summaryOf(report.checks);
  lines.push('', `${s.FAIL} failed, ${s.warn} ${s.warn === 1 ? 'warning' : 'warnings'}, ${s.skipped} skipped, ${s.ok} ok`);
  return lines.join('\n');
}

/** Secret values shorter than this are not searched for: they would match ordinary words. */
const MIN_SECRET_LENGTH = 8;

/** Variables that hold secrets without a secret-sounding name. */
const SECRET_VARIABLES = ['SAFEGUARD_CODEC_KEYS', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'TEMPORAL_API_KEY'];

/**
 * Every secret value in the environment doctor runs with (tokens, secret keys, inline codec keys),
 * so none can reach the output even when a library quotes it in an error message.
 */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value || !(SECRET_VARIABLES.includes(name) || isSecretKey(name.replace(/_/g, '')))) continue;
    out.add(value);
    // Inline codec keys (`id:base64,…`): each key on its own too.
    if (name === 'SAFEGUARD_CODEC_KEYS') for (const part of value.split(',')) out.add(part.slice(part.indexOf(':') + 1).trim());
  }
  return [...out].filter((v) => v.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join(REDACTED);
  return out;
}

/** The report with every occurrence of a secret value replaced by [REDACTED]. */
export function redactReport(report: DoctorReport, secrets: readonly string[]): DoctorReport {
  if (secrets.length === 0) return report;
  return {
    source: redactText(report.source, secrets),
    checks: report.checks.map((r) => ({
      ...r,
      check: redactText(r.check, secrets),
      detail: redactText(r.detail, secrets),
      ...(r.fix !== undefined ? { fix: redactText(r.fix, secrets) } : {}),
    })),
  };
}
