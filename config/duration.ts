// Human durations ("30s", "15m", "4h", "1d", "1h30m") used by the policy file, the CLI, the api
// and Slack. This is the only parser, so a mistyped duration reads the same wherever it was typed.
// Pure and dependency-free so workflow code may import it.

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Nothing in Safeguard may last longer than this; it also keeps the arithmetic exact. */
export const MAX_DURATION_MS = 366 * DAY;

const UNITS = { d: DAY, h: HOUR, m: MINUTE, s: SECOND } as const;
type Unit = keyof typeof UNITS;
const UNIT_ORDER: readonly Unit[] = ['d', 'h', 'm', 's'];

/** How to write a duration; the end of most messages below. */
export const DURATION_HOWTO = 'write a whole number and a unit (s, m, h, d), largest unit first, like 30m or 1h30m';

export class DurationError extends Error {
  override readonly name = 'DurationError';
  readonly code = 'INVALID_DURATION' as const;
  /** The bare reason, without the field prefix (callers that report the field themselves use it). */
  readonly reason: string;
  readonly field: string | undefined;

  constructor(reason: string, field?: string, options?: { cause?: unknown }) {
    super(field ? `${field}: ${reason}` : reason, options);
    this.reason = reason;
    this.field = field;
  }
}

export type DurationCheck = { ok: true; ms: number } | { ok: false; reason: string };

export interface DurationLimits {
  /** Longest accepted duration; default MAX_DURATION_MS (366d). Only KMS rotation periods go beyond it. */
  maxMs?: number;
}

function isUnit(u: string): u is Unit {
  return Object.prototype.hasOwnProperty.call(UNITS, u);
}

/** The text as a message shows it: quoted, escaped, and cut short so pasted junk stays readable. */
function quote(src: string): string {
  return JSON.stringify(src.length > 40 ? `${src.slice(0, 40)}…` : src);
}

/**
 * Checks a duration without throwing. Components are whole numbers with a unit, largest unit first,
 * each unit at most once ("1d4h", "1h30m"); spaces between components are allowed ("1h 30m").
 * A valid result is > 0 and <= limits.maxMs.
 */
export function checkDuration(text: string, limits: DurationLimits = {}): DurationCheck {
  const maxMs = limits.maxMs ?? MAX_DURATION_MS;
  const src = text.trim();
  const shown = quote(src);
  const not = (fix: string): DurationCheck => ({ ok: false, reason: `${shown} is not a duration: ${fix}` });

  if (src === '') return { ok: false, reason: `duration is empty: ${DURATION_HOWTO}` };
  if (src.startsWith('-')) return not('it must be longer than zero');
  if (/\d[.,]\d/.test(src)) return not('use whole numbers, like 1h30m');
  if (/^\d+$/.test(src)) return not(`add a unit (s, m, h, d), like ${src}m`);

  const token = /(\d+)([a-zA-Z]+)\s*/y;
  let total = 0;
  let lastRank = -1;
  while (token.lastIndex < src.length) {
    const m = token.exec(src);
    // "30 minutes", "1h30", "+5m", "٣٠m": nothing more specific to say than how to write one.
    if (!m) return not(DURATION_HOWTO);
    const [, n = '', unit = ''] = m;
    if (!isUnit(unit)) return not(`"${unit.slice(0, 20)}" is not a unit; use s, m, h or d, like 30m or 1h30m`);
    const rank = UNIT_ORDER.indexOf(unit);
    if (rank === lastRank) return not('give each unit once, like 1h30m');
    if (rank < lastRank) return not('write the largest unit first, like 1h30m');
    lastRank = rank;
    // Compare before multiplying: a long digit string must not be able to lose precision.
    const value = n.length > 15 ? Number.POSITIVE_INFINITY : Number(n);
    if (value > maxMs / UNITS[unit]) return { ok: false, reason: `${shown} is longer than the ${formatDuration(maxMs)} limit` };
    total += value * UNITS[unit];
  }
  if (total > maxMs) return { ok: false, reason: `${shown} is longer than the ${formatDuration(maxMs)} limit` };
  if (total <= 0) return not('it must be longer than zero');
  return { ok: true, ms: total };
}

/**
 * Parses a duration into milliseconds (see checkDuration); throws DurationError. With `field`,
 * the message names it ("SAFEGUARD_RECONCILE_INTERVAL: "abc" is not a duration: …"); leave it
 * out where the message is shown next to the field already.
 */
export function parseDuration(text: string, field?: string): number {
  const r = typeof text === 'string' ? checkDuration(text) : { ok: false as const, reason: `a duration must be text: ${DURATION_HOWTO}` };
  if (!r.ok) throw new DurationError(r.reason, field);
  return r.ms;
}

/** Formats milliseconds compactly: 5_400_000 → "1h30m", 45_000 → "45s", 172_800_000 → "2d". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot format duration ${ms}`);
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  let out = '';
  for (const u of UNIT_ORDER) {
    const n = Math.floor(rest / UNITS[u]);
    if (n > 0) out += `${n}${u}`;
    rest -= n * UNITS[u];
  }
  if (rest > 0) out += `${rest}ms`;
  return out;
}

/** A measured time (RTO, a lag) for people: 850ms, 3.2s, then whole seconds as formatDuration: 42s, 1h5m10s. */
export function formatElapsed(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot format duration ${ms}`);
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 10_000) return `${(Math.round(ms / 100) / 10).toFixed(1)}s`;
  return formatDuration(Math.round(ms / 1000) * 1000);
}
