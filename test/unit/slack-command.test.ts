import path from 'node:path';
import { SafeguardError } from '../../client/errors';
import { assertWorkflowId, buildBreakGlassInput } from '../../client/request';
import { loadPolicyFile } from '../../config/policy';
import { canRequest, getRole } from '../../config/policy/lookup';
import { MAX_COMMAND_TEXT, parseCommandText } from '../../slack-app/command';
import { commandShortId, viewShortId } from '../../slack-app/ids';
import { MAX_REASON_LENGTH, MIN_DURATION_MS } from '../../workflows/break-glass/definitions';
import { unsafeCharacterIn } from '../../shared/terminal-text';

const policy = loadPolicyFile(path.join(__dirname, '../../examples/policy.yaml'));

describe('parseCommandText', () => {
  it.each([
    ['', { kind: 'modal' }],
    ['   ', { kind: 'modal' }],
    ['help', { kind: 'help' }],
    ['HELP', { kind: 'help' }],
    ['list', { kind: 'list' }],
    ['status', { kind: 'status' }],
    ['status breakglass-BreakGlassAdmin-1a2b3c4d', { kind: 'status', id: 'breakglass-BreakGlassAdmin-1a2b3c4d' }],
    ['revoke breakglass-BreakGlassAdmin-1a2b3c4d', { kind: 'revoke', id: 'breakglass-BreakGlassAdmin-1a2b3c4d' }],
    ['revoke breakglass-BreakGlassAdmin-1a2b3c4d done now', { kind: 'revoke', id: 'breakglass-BreakGlassAdmin-1a2b3c4d', reason: 'done now' }],
    ['BreakGlassAdmin 30m orders db is down', { kind: 'request', role: 'BreakGlassAdmin', duration: '30m', reason: 'orders db is down' }],
    ['PostHocAdmin 1h db down hard --ticket INC-1', { kind: 'request', role: 'PostHocAdmin', duration: '1h', reason: 'db down hard', ticket: 'INC-1' }],
    ['PostHocAdmin 1h --ticket=INC-2 db down hard', { kind: 'request', role: 'PostHocAdmin', duration: '1h', reason: 'db down hard', ticket: 'INC-2' }],
    ['BreakGlassAdmin\u00a030m\u00a0pasted with nbsp', { kind: 'request', role: 'BreakGlassAdmin', duration: '30m', reason: 'pasted with nbsp' }],
  ])('parses %j', (text, expected) => {
    expect(parseCommandText(text)).toEqual(expected);
  });

  it.each([
    'status not-an-id',
    'revoke',
    'revoke ../../etc/passwd',
    'list extra',
    'BreakGlassAdmin',
    'BreakGlassAdmin 30m',
    'BreakGlassAdmin soon please',
    '<!channel> 30m reason here ok',
    'BreakGlassAdmin 30m reason --ticket',
    'BreakGlassAdmin 30m reason --ticket a --ticket b',
  ])('refuses %j with a message', (text) => {
    const r = parseCommandText(text);
    expect(r.kind).toBe('error');
    if (r.kind === 'error') expect(r.message.length).toBeGreaterThan(5);
  });

  it('refuses oversized text without looking at it', () => {
    const r = parseCommandText(`BreakGlassAdmin 30m ${'x'.repeat(MAX_COMMAND_TEXT)}`);
    expect(r).toEqual({ kind: 'error', message: expect.stringContaining('too long') });
  });

  it('refuses non-strings', () => {
    expect(parseCommandText(undefined).kind).toBe('error');
    expect(parseCommandText(42).kind).toBe('error');
  });
});

describe('deterministic short ids', () => {
  it('maps a retried command (same trigger_id) to one id and different triggers to different ids', () => {
    const a = commandShortId({ team_id: 'T1', user_id: 'U1', text: 'x', trigger_id: 't1' });
    expect(commandShortId({ team_id: 'T1', user_id: 'U1', text: 'x', trigger_id: 't1' })).toBe(a);
    expect(commandShortId({ team_id: 'T1', user_id: 'U1', text: 'x', trigger_id: 't2' })).not.toBe(a);
    expect(viewShortId('T1', 'V1')).toBe(viewShortId('T1', 'V1'));
    expect(() => assertWorkflowId(`breakglass-BreakGlassAdmin-${a}`)).not.toThrow();
  });
});

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

describe('command fuzz', () => {
  const roles = ['BreakGlassAdmin', 'BreakGlassReadOnly', 'PostHocAdmin', 'breakglassadmin', 'NoSuchRole', 'B', '<!channel>', 'help', 'status', 'revoke', 'list', ''];
  const durations = ['30m', '1h', '4h', '4h1s', '5h', '0s', '9s', '10s', '1d', '366d', '367d', '99999999999999999999h', '1h30m', '30m1h', '1.5h', '-1h', 'm', '30', '1h 30m', '1H', '٣٠m'];
  const words = ['orders', 'db', 'down', '<!channel>', '<@U0000BOB>', '<https://evil|ok>', '&amp;', '--ticket', '--ticket=INC-1', 'INC-42', '-t', 'x'.repeat(300), '🔥', '\u0000', '\u202e', 'status', 'breakglass-BreakGlassAdmin-1a2b3c4d', '"', "'", '\\', '\n', '\t', ' '];
  const allowed = new Set(['UNKNOWN_ROLE', 'NOT_ALLOWED_TO_REQUEST', 'INVALID_DURATION', 'DURATION_OVER_MAXIMUM', 'REASON_TOO_SHORT', 'REASON_TOO_LONG', 'TICKET_REQUIRED', 'INVALID_TICKET', 'CONTROL_CHARACTER_IN_TEXT']);

  it('never throws, and never yields an invalid request (5,000 inputs)', () => {
    const rand = rng(0x5afe);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const started = Date.now();
    let requests = 0;
    let valid = 0;
    for (let i = 0; i < 5000; i++) {
      let text: string;
      const shape = rand();
      if (shape < 0.15) {
        // Random bytes of printable and odd characters.
        text = Array.from({ length: Math.floor(rand() * 200) }, () => String.fromCharCode(Math.floor(rand() * 0x3000))).join('');
      } else {
        const n = Math.floor(rand() * 12);
        text = [pick(roles), pick(durations), ...Array.from({ length: n }, () => pick(words))].join(pick([' ', '  ', '\u00a0', '\t']));
      }
      const parsed = parseCommandText(text);
      expect(typeof parsed.kind).toBe('string');
      if (parsed.kind !== 'request') continue;
      requests++;
      const requester = pick(['alice', 'bob', 'dave']);
      try {
        const input = buildBreakGlassInput(policy, { requester, role: parsed.role, duration: parsed.duration, reason: parsed.reason, via: 'slack', ...(parsed.ticket !== undefined ? { ticket: parsed.ticket } : {}) }, commandShortId({ user_id: 'U1', text, trigger_id: String(i) }));
        valid++;
        const role = getRole(policy, input.role.name)!;
        expect(canRequest(policy, requester, role.name)).toBe(true);
        expect(input.durationMs).toBeGreaterThanOrEqual(MIN_DURATION_MS);
        expect(input.durationMs).toBeLessThanOrEqual(role.maxDurationMs);
        expect(input.reason.length).toBeGreaterThanOrEqual(role.reasonMinLength);
        expect(input.reason.length).toBeLessThanOrEqual(MAX_REASON_LENGTH);
        expect(unsafeCharacterIn(input.reason)).toBeUndefined();
        if (role.ticketRequired) expect(input.ticket).toMatch(/^[\w.#:/-]{1,128}$/);
        expect(() => assertWorkflowId(input.grantId)).not.toThrow();
      } catch (err) {
        if (!(err instanceof SafeguardError) || !allowed.has(err.code)) throw err;
      }
    }
    expect(requests).toBeGreaterThan(500);
    expect(valid).toBeGreaterThan(20);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
