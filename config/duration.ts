// Human durations ("30s", "15m", "4h", "1d", "1h30m") used by the policy file, the CLI and
// Slack commands. Pure and dependency-free so workflow code may import it.

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Nothing in Safeguard may last longer than this; it also keeps the arithmetic exact. */
export const MAX_DURATION_MS = 366 * DAY;

const UNITS = { d: DAY, h: HOUR, m: MINUTE, s: SECOND } as const;
type Unit = keyof typeof UNITS;
const UNIT_ORDER: readonly Unit[] = ['d', 'h', 'm', 's'];

const EXAMPLE = 'use a whole number and a unit (s, m, h or d), like 30m, 4h or 1h30m';

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

function isUnit(u: string): u is Unit {
  return Object.prototype.hasOwnProperty.call(UNITS, u);
}

/**
 * Parses a duration into milliseconds. Components must be whole numbers with a unit, written
 * largest unit first, each unit at most once ("1d4h", "1h30m"); spaces between components are
 * allowed ("1h 30m"). The result is always > 0 and <= 366 days.
 */
export function parseDuration(text: string, field?: string): number {
  function fail(reason: string): never {
    throw new DurationError(reason, field);
  }
  if (typeof text !== 'string') fail(`duration must be a string, ${EXAMPLE}`);
  const src = text.trim();
  const shown = JSON.stringify(src).slice(1, -1);
  if (src === '') fail(`duration is empty; ${EXAMPLE}`);
  if (src.startsWith('-')) fail(`duration must be positive (got ${shown})`);

  // Tokenise into (number, unit) pairs; anything else is reported as precisely as we can.
  const token = /(\d+)([a-zA-Z]*)\s*/y;
  const parts: { n: string; unit: string }[] = [];
  token.lastIndex = 0;
  while (token.lastIndex < src.length) {
    const start = token.lastIndex;
    const m = token.exec(src);
    if (!m) {
      const rest = src.slice(start);
      if (/^[.,]\d/.test(rest) && parts.length > 0) {
        fail(`duration ${shown} must use whole numbers; write for example 1h30m instead of 1.5h`);
      }
      fail(`duration ${shown} is not a duration; ${EXAMPLE}`);
    }
    const [, n = '', unit = ''] = m;
    if (unit === '') {
      if (src[token.lastIndex] === '.' || src[token.lastIndex] === ',') {
        fail(`duration ${shown} must use whole numbers; write for example 1h30m instead of 1.5h`);
      }
      fail(`duration ${shown} has no unit; write for example ${n}s, ${n}m, ${n}h or ${n}d`);
    }
    parts.push({ n, unit });
  }

  let total = 0;
  let lastRank = -1;
  for (const { n, unit } of parts) {
    if (!isUnit(unit)) fail(`duration ${shown} has an unknown unit "${unit}"; use s, m, h or d`);
    const u: Unit = unit;
    const rank = UNIT_ORDER.indexOf(u);
    if (rank === lastRank) fail(`duration ${shown} repeats the unit "${u}"`);
    if (rank < lastRank) fail(`duration ${shown} must list units largest first, like 1h30m`);
    lastRank = rank;
    // Compare before multiplying: a long digit string must not be able to lose precision.
    const value = n.length > 15 ? Number.POSITIVE_INFINITY : Number(n);
    if (value > MAX_DURATION_MS / UNITS[u]) fail(`duration ${shown} is longer than the 366d limit`);
    total += value * UNITS[u];
  }
  if (total > MAX_DURATION_MS) fail(`duration ${shown} is longer than the 366d limit`);
  if (total <= 0) fail(`duration must be positive (got ${shown})`);
  return total;
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
