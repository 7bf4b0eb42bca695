import { DurationError, formatDuration, MAX_DURATION_MS, parseDuration } from '../../config/duration';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

function errorOf(text: string, field?: string): DurationError {
  try {
    parseDuration(text, field);
  } catch (err) {
    if (err instanceof DurationError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('parseDuration', () => {
  it.each([
    ['30s', 30 * S],
    ['15m', 15 * M],
    ['4h', 4 * H],
    ['1d', D],
    ['1h30m', H + 30 * M],
    ['1d2h3m4s', D + 2 * H + 3 * M + 4 * S],
    ['1h 30m', H + 30 * M],
    [' 45s ', 45 * S],
    ['366d', 366 * D],
  ])('parses %j', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['', /duration is empty/],
    ['   ', /duration is empty/],
    ['-5m', /duration must be positive/],
    ['0m', /duration must be positive/],
    ['0h0m', /duration must be positive/],
    ['5w', /unknown unit "w"/],
    ['30', /duration 30 has no unit/],
    ['abc', /duration abc is not a duration/],
    ['1.5h', /must use whole numbers/],
    ['1h30', /has no unit/],
    ['1h1h', /repeats the unit "h"/],
    ['30m1h', /largest first/],
    ['+5m', /not a duration/],
    ['99999h', /^duration 99999h is longer than the 366d limit$/],
    ['367d', /longer than the 366d limit/],
    ['366d1s', /longer than the 366d limit/],
    ['999999999999999999999999999999d', /longer than the 366d limit/],
  ])('rejects %j', (text, message) => {
    const err = errorOf(text);
    expect(err.name).toBe('DurationError');
    expect(err.code).toBe('INVALID_DURATION');
    expect(err.message).toMatch(message);
  });

  it('prefixes the message with the field when given, keeping the bare reason', () => {
    const err = errorOf('-5m', 'maxDuration');
    expect(err.message).toBe('maxDuration: duration must be positive (got -5m)');
    expect(err.reason).toBe('duration must be positive (got -5m)');
    expect(err.field).toBe('maxDuration');
  });

  it('never exceeds the limit', () => {
    expect(MAX_DURATION_MS).toBe(366 * D);
    expect(() => parseDuration('8784h')).not.toThrow();
    expect(() => parseDuration('8784h1s')).toThrow(DurationError);
  });
});

describe('formatDuration', () => {
  it.each([
    [H + 30 * M, '1h30m'],
    [45 * S, '45s'],
    [2 * D, '2d'],
    [0, '0s'],
    [D + 1 * S, '1d1s'],
    [1500, '1s500ms'],
  ])('formats %d as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips with parseDuration', () => {
    for (const text of ['30s', '15m', '4h', '1d', '1h30m', '2d3h4m5s']) {
      expect(formatDuration(parseDuration(text))).toBe(text);
    }
  });

  it('rejects negative and non-finite values', () => {
    expect(() => formatDuration(-1)).toThrow(RangeError);
    expect(() => formatDuration(Number.NaN)).toThrow(RangeError);
  });
});
