import { SafeguardError } from '../../client/errors';
import { parseRequestDuration } from '../../client/request';
import { checkDuration, DurationError, formatDuration, formatElapsed, MAX_DURATION_MS, parseDuration } from '../../config/duration';
import { parseCommandText } from '../../slack-app/command';

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

  const HOWTO = 'write a whole number and a unit (s, m, h, d), largest unit first, like 30m or 1h30m';

  it.each([
    ['', `duration is empty: ${HOWTO}`],
    ['   ', `duration is empty: ${HOWTO}`],
    ['30 minutes', `"30 minutes" is not a duration: ${HOWTO}`],
    ['abc', `"abc" is not a duration: ${HOWTO}`],
    ['1h30', `"1h30" is not a duration: ${HOWTO}`],
    ['+5m', `"+5m" is not a duration: ${HOWTO}`],
    ['٣٠m', `"٣٠m" is not a duration: ${HOWTO}`],
    ['1.5h', '"1.5h" is not a duration: use whole numbers, like 1h30m'],
    ['1,5h', '"1,5h" is not a duration: use whole numbers, like 1h30m'],
    ['1h0.5m', '"1h0.5m" is not a duration: use whole numbers, like 1h30m'],
    ['30', '"30" is not a duration: add a unit (s, m, h, d), like 30m'],
    ['5w', '"5w" is not a duration: "w" is not a unit; use s, m, h or d, like 30m or 1h30m'],
    ['30minutes', '"30minutes" is not a duration: "minutes" is not a unit; use s, m, h or d, like 30m or 1h30m'],
    ['1H', '"1H" is not a duration: "H" is not a unit; use s, m, h or d, like 30m or 1h30m'],
    ['1h1h', '"1h1h" is not a duration: give each unit once, like 1h30m'],
    ['30m1h', '"30m1h" is not a duration: write the largest unit first, like 1h30m'],
    ['-5m', '"-5m" is not a duration: it must be longer than zero'],
    ['0m', '"0m" is not a duration: it must be longer than zero'],
    ['0h0m', '"0h0m" is not a duration: it must be longer than zero'],
    ['99999h', '"99999h" is longer than the 366d limit'],
    ['367d', '"367d" is longer than the 366d limit'],
    ['366d1s', '"366d1s" is longer than the 366d limit'],
    ['999999999999999999999999999999d', '"999999999999999999999999999999d" is longer than the 366d limit'],
    ['x'.repeat(100), `"${'x'.repeat(40)}…" is not a duration: ${HOWTO}`],
  ])('rejects %j with one wording', (text, message) => {
    const err = errorOf(text);
    expect(err.name).toBe('DurationError');
    expect(err.code).toBe('INVALID_DURATION');
    expect(err.message).toBe(message);
    expect(checkDuration(text)).toEqual({ ok: false, reason: message });
  });

  it('prefixes the message with the field when given, once, keeping the bare reason', () => {
    const err = errorOf('-5m', 'SAFEGUARD_RECONCILE_INTERVAL');
    expect(err.message).toBe('SAFEGUARD_RECONCILE_INTERVAL: "-5m" is not a duration: it must be longer than zero');
    expect(err.reason).toBe('"-5m" is not a duration: it must be longer than zero');
    expect(err.field).toBe('SAFEGUARD_RECONCILE_INTERVAL');
  });

  it('never says "duration" twice', () => {
    for (const text of ['', 'abc', '1.5h', '30', '-5m', '99999h', '5w', '1h1h']) {
      expect(errorOf(text).message).not.toMatch(/duration\W+duration/);
    }
  });

  it('takes a larger limit when asked (KMS rotation periods go to 2560d)', () => {
    expect(checkDuration('2560d', { maxMs: 2560 * D })).toEqual({ ok: true, ms: 2560 * D });
    expect(checkDuration('2561d', { maxMs: 2560 * D })).toEqual({ ok: false, reason: '"2561d" is longer than the 2560d limit' });
    expect(checkDuration('367d')).toMatchObject({ ok: false });
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

describe('one wording wherever a duration is typed', () => {
  // The CLI (--duration, --by), the api and the Slack modals go through parseRequestDuration;
  // the /breakglass command text through parseCommandText. Both must say what the parser says.
  it.each(['1.5h', '30 minutes', '30', 'abc', '-5m', '0s', '99999h', '30m1h'])('words %j the same in the CLI, the api and Slack', (text) => {
    const { reason } = checkDuration(text) as { ok: false; reason: string };
    let cli: unknown;
    try {
      parseRequestDuration(text);
    } catch (err) {
      cli = err;
    }
    expect(cli).toBeInstanceOf(SafeguardError);
    expect((cli as SafeguardError).code).toBe('INVALID_DURATION');
    expect((cli as SafeguardError).message).toBe(reason);

    // In command text a space splits words, so "30 minutes" arrives as duration "30".
    const typed = text.split(' ')[0] ?? '';
    const slack = parseCommandText(`BreakGlassAdmin ${text} orders db is down`);
    expect(slack).toEqual({ kind: 'error', message: expect.stringMatching(/; usage: /) });
    if (slack.kind === 'error') expect(slack.message.split('; usage: ')[0]).toBe((checkDuration(typed) as { reason: string }).reason);
  });

  it('tells Slack users about decimals the way it tells CLI users', () => {
    const slack = parseCommandText('BreakGlassAdmin 1.5h orders db is down');
    expect(slack.kind === 'error' && slack.message.startsWith('"1.5h" is not a duration: use whole numbers, like 1h30m;')).toBe(true);
    expect(() => parseRequestDuration('1.5h')).toThrow('"1.5h" is not a duration: use whole numbers, like 1h30m');
  });
});

describe('formatElapsed', () => {
  it.each([
    [0, '0ms'],
    [850, '850ms'],
    [3223, '3.2s'],
    [9_960, '10.0s'],
    [42_400, '42s'],
    [3_910_000, '1h5m10s'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });

  it('refuses what is not a duration', () => {
    expect(() => formatElapsed(-1)).toThrow(RangeError);
    expect(() => formatElapsed(Number.NaN)).toThrow(RangeError);
  });
});
