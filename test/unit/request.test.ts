import path from 'node:path';
import { SafeguardError } from '../../client/errors';
import { assertFreeText, assertWorkflowId, buildBreakGlassInput } from '../../client/request';
import { loadPolicyFile } from '../../config/policy';

const policy = loadPolicyFile(path.join(__dirname, '../../examples/policy.yaml'));
const ok = { requester: 'alice', role: 'BreakGlassAdmin', duration: '30m', reason: 'orders database is down', via: 'cli' as const };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof SafeguardError) return err.code;
    throw err;
  }
  return undefined;
}

describe('buildBreakGlassInput', () => {
  it('freezes the role policy into the workflow input', () => {
    const input = buildBreakGlassInput(policy, ok, 'abcdef12');
    expect(input.grantId).toBe('breakglass-BreakGlassAdmin-abcdef12');
    expect(input.durationMs).toBe(30 * 60_000);
    expect(input.role.roleArn).toBe('arn:aws:iam::123456789012:role/BreakGlassAdmin');
    expect(input.role.approvers).toEqual(expect.arrayContaining(['bob', 'carol']));
    expect(input.role.approvers).not.toContain('dave');
    expect(input.role.security).toContain('carol');
    expect(input.role.executionRoleArn).toMatch(/:role\/SafeguardExecution$/);
  });

  it('uses the role default duration when none is given', () => {
    const { duration: _d, ...noDuration } = ok;
    expect(buildBreakGlassInput(policy, noDuration).durationMs).toBe(policy.breakGlass.roles.find((r) => r.name === 'BreakGlassAdmin')?.defaultDurationMs);
  });

  it.each([
    ['-5m', 'INVALID_DURATION'],
    ['99999h', 'INVALID_DURATION'],
    ['abc', 'INVALID_DURATION'],
    ['', 'INVALID_DURATION'],
    ['5s', 'INVALID_DURATION'],
    ['48h', 'DURATION_OVER_MAXIMUM'],
  ])('refuses duration %j with %s', (duration, code) => {
    expect(codeOf(() => buildBreakGlassInput(policy, { ...ok, duration }))).toBe(code);
  });

  it('refuses an unknown role, naming the roles that exist', () => {
    expect(() => buildBreakGlassInput(policy, { ...ok, role: 'Root' })).toThrow(/unknown role "Root".*BreakGlassAdmin/);
  });

  it('refuses a person who is not a requester of the role', () => {
    expect(codeOf(() => buildBreakGlassInput(policy, { ...ok, requester: 'carol' }))).toBe('NOT_ALLOWED_TO_REQUEST');
  });

  it('refuses an unknown person', () => {
    expect(codeOf(() => buildBreakGlassInput(policy, { ...ok, requester: 'mallory' }))).toBe('UNKNOWN_PERSON');
  });

  it.each([
    ['', 'REASON_TOO_SHORT'],
    ['   fix   ', 'REASON_TOO_SHORT'],
    ['x'.repeat(5000), 'REASON_TOO_LONG'],
  ])('refuses reason of length %#', (reason, code) => {
    expect(codeOf(() => buildBreakGlassInput(policy, { ...ok, reason }))).toBe(code);
  });

  it.each([
    ['an ESC sequence', 'db down\x1b[2J\x1b]0;all approved\x07', 'U+001B at position 8'],
    ['a carriage return', 'db down, approved by bob\roverwritten', 'U+000D at position 25'],
    ['a C1 CSI', 'orders database \u009b31m is down', 'U+009B at position 17'],
    ['DEL', 'orders database is down\x7f', 'U+007F at position 24'],
    ['a bidi override', 'orders database \u202edown si', 'U+202E at position 17'],
    ['a bidi isolate', 'orders database is \u2066down\u2069', 'U+2066 at position 20'],
  ])('refuses a reason with %s, naming the character and where it is', (_what, reason, where) => {
    expect(() => buildBreakGlassInput(policy, { ...ok, reason })).toThrow(expect.objectContaining({ code: 'CONTROL_CHARACTER_IN_TEXT', message: expect.stringContaining(`the reason contains a control or bidi character (${where})`) }));
  });

  it('accepts a reason over several lines, with tabs', () => {
    expect(buildBreakGlassInput(policy, { ...ok, reason: 'orders database is down\n\tsee the incident channel' }, 'abcdef12').reason).toBe('orders database is down\n\tsee the incident channel');
  });

  it('refuses a ticket with characters that could mislead a reader', () => {
    expect(codeOf(() => buildBreakGlassInput(policy, { ...ok, ticket: '<!channel> INC 1' }))).toBe('INVALID_TICKET');
  });
});

describe('assertFreeText (every comment, reason and note a person types)', () => {
  it('refuses control and bidi characters with the field named', () => {
    expect(() => assertFreeText('comment', 'lgtm\u2067')).toThrow(expect.objectContaining({ code: 'CONTROL_CHARACTER_IN_TEXT', message: expect.stringMatching(/^the comment contains a control or bidi character \(U\+2067 at position 5\)/) }));
    expect(() => assertFreeText('note', 'paused\x1b[8m')).toThrow(expect.objectContaining({ code: 'CONTROL_CHARACTER_IN_TEXT' }));
  });

  it('still refuses secrets first, and accepts plain text or nothing', () => {
    expect(codeOf(() => assertFreeText('reason', 'key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\x1b'))).toBe('SECRET_IN_TEXT');
    expect(codeOf(() => assertFreeText('reason', 'approved after a call with carol'))).toBeUndefined();
    expect(codeOf(() => assertFreeText('reason', undefined))).toBeUndefined();
  });
});

describe('assertWorkflowId', () => {
  it.each(['nope', '', 'breakglass--x', 'breakglass-BreakGlassAdmin-ZZZZZZZZ', `breakglass-${'a'.repeat(200)}-abcdef12`])('refuses %j', (id) => {
    expect(() => assertWorkflowId(id)).toThrow(SafeguardError);
  });
  it('accepts an id the request builder makes', () => {
    expect(assertWorkflowId('breakglass-BreakGlassAdmin-0a1b2c3d')).toBe('breakglass-BreakGlassAdmin-0a1b2c3d');
  });
});
