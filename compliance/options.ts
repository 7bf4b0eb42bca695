// The command's arguments, checked before anything starts (DESIGN.md §6.7): a clear error for each.
import { FORMATS } from './render';
import type { Format } from './render';

export const DEFAULT_PERIOD_DAYS = 90;
const DAY_MS = 86_400_000;
/** Ten years: the longest period HIPAA's six-year retention could ask about, and then some. */
const MAX_PERIOD_DAYS = 3660;

export class ComplianceArgumentError extends Error {
  readonly code = 'COMPLIANCE_BAD_ARGUMENT';
  constructor(message: string) {
    super(message);
    this.name = 'ComplianceArgumentError';
  }
}

export function parseFormat(text: string): Format {
  if ((FORMATS as readonly string[]).includes(text)) return text as Format;
  throw new ComplianceArgumentError(`--format must be one of ${FORMATS.join(', ')}, got "${text.slice(0, 40)}"`);
}

/** A date (2026-01-31), a date and time with a zone (2026-01-31T12:00:00Z), or for --since a number of days before --until ("90d"). */
export function parseWhen(text: string, option: '--since' | '--until'): Date | { daysBefore: number } {
  const t = text.trim();
  const days = /^(\d{1,4})d$/.exec(t);
  if (days && option === '--since') {
    const n = Number(days[1]);
    if (n < 1 || n > MAX_PERIOD_DAYS) throw new ComplianceArgumentError(`${option} ${t}: between 1d and ${MAX_PERIOD_DAYS}d`);
    return { daysBefore: n };
  }
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(t);
  const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(t);
  const ms = Date.parse(dateOnly ? `${t}T00:00:00Z` : t);
  // Date.parse rolls 2026-02-31 over to March: a date must read back as written.
  if ((!dateOnly && !dateTime) || !Number.isFinite(ms) || (dateOnly && new Date(ms).toISOString().slice(0, 10) !== t)) {
    throw new ComplianceArgumentError(`${option} "${t.slice(0, 40)}" is not a date: use 2026-01-31, 2026-01-31T12:00:00Z${option === '--since' ? ' or a number of days like 90d' : ''}`);
  }
  return new Date(ms);
}

export function resolvePeriod(since: string | undefined, until: string | undefined, now: Date): { since: Date; until: Date } {
  const u = until === undefined ? now : parseWhen(until, '--until');
  if (!(u instanceof Date)) throw new ComplianceArgumentError('--until must be a date');
  if (u.getTime() > now.getTime() + 60_000) throw new ComplianceArgumentError(`--until ${u.toISOString()} is in the future`);
  const s = since === undefined ? { daysBefore: DEFAULT_PERIOD_DAYS } : parseWhen(since, '--since');
  const sd = s instanceof Date ? s : new Date(u.getTime() - s.daysBefore * DAY_MS);
  if (sd.getTime() >= u.getTime()) throw new ComplianceArgumentError(`--since ${sd.toISOString()} is not before --until ${u.toISOString()}`);
  if (u.getTime() - sd.getTime() > MAX_PERIOD_DAYS * DAY_MS) throw new ComplianceArgumentError(`the period is longer than ${MAX_PERIOD_DAYS} days`);
  return { since: sd, until: u };
}

export const FAIL_ON = ['noncompliant', 'not-checked'] as const;
export type FailOn = (typeof FAIL_ON)[number];

export function parseFailOn(text: string): FailOn {
  if ((FAIL_ON as readonly string[]).includes(text)) return text as FailOn;
  throw new ComplianceArgumentError(`--fail-on must be one of ${FAIL_ON.join(', ')}, got "${text.slice(0, 40)}"`);
}

export function parseAccountId(text: string, previous: string[] = []): string[] {
  if (!/^\d{12}$/.test(text)) throw new ComplianceArgumentError(`--account "${text.slice(0, 40)}" is not a 12-digit AWS account id`);
  return [...previous, text];
}
