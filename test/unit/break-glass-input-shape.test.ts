// Shape checks of everything that reaches a break-glass workflow from outside (DESIGN.md §6.7, §6.8):
// the start input, Update arguments and Signal arguments. A payload the codec refused (unencrypted:
// someone with access to Temporal but no key) decodes to `{ __refused: … }` and must be refused here.
import {
  assertDecisionShape,
  assertPersonField,
  inputShapeProblems,
  isAccessRefusal,
  isCredentialIssue,
  isLeaseRelease,
  isSessionReport,
  isWellFormedInput,
} from '../../workflows/break-glass/input-shape';
import type { BreakGlassInput } from '../../workflows/break-glass/definitions';
import { refusalType } from '../support/refusal';
import { roleSnapshot } from '../support/break-glass-input';

const WF = 'breakglass-BreakGlassAdmin-0123456789';
const T = '2026-03-01T12:00:00.000Z';

function good(): BreakGlassInput {
  return {
    grantId: WF,
    requester: 'alice',
    durationMs: 1_800_000,
    reason: 'orders database is down',
    via: 'cli',
    role: roleSnapshot({ approvers: ['bob', 'carol'] }),
  };
}

type Rec = Record<string, unknown>;
/** The good input with `over` merged in (a value of `undefined` deletes the key). */
function withTop(over: Rec): unknown {
  const v: Rec = { ...good() };
  for (const [k, x] of Object.entries(over)) if (x === undefined) delete v[k];
  else v[k] = x;
  return v;
}
function withRole(over: Rec): unknown {
  const role: Rec = { ...good().role };
  for (const [k, x] of Object.entries(over)) if (x === undefined) delete role[k];
  else role[k] = x;
  return { ...good(), role };
}

const malformedType = refusalType;

describe('inputShapeProblems (the start input)', () => {
  test('a well-formed input has no problems', () => {
    expect(inputShapeProblems(good(), WF)).toEqual([]);
    expect(isWellFormedInput(good(), WF)).toBe(true);
    const full = withTop({ ticket: 'INC-42', via: 'slack', role: { ...good().role, mode: 'post-hoc', ratificationDeadlineMs: 3_600_000, idleLimitMs: 0, stepUp: true } });
    expect(inputShapeProblems(full, WF)).toEqual([]);
    for (const via of ['cli', 'slack', 'api', 'drill']) expect(inputShapeProblems(withTop({ via }), WF)).toEqual([]);
  });

  test('refuses the payload codec\'s marker for an unencrypted input, saying so', () => {
    const problems = inputShapeProblems({ __refused: 'unencrypted json/plain payload refused by the codec' }, WF);
    expect(problems).toEqual(['the input was refused by the payload codec: unencrypted json/plain payload refused by the codec']);
    // Even next to otherwise well-formed fields.
    expect(inputShapeProblems({ ...good(), __refused: 'x'.repeat(200) }, WF)).toEqual([`the input was refused by the payload codec: ${'x'.repeat(80)}`]);
    expect(isWellFormedInput({ ...good(), __refused: 'x' }, WF)).toBe(false);
  });

  test.each<[string, unknown]>([
    ['null', null],
    ['a string', 'breakglass'],
    ['an array', [good()]],
    ['undefined', undefined],
  ])('refuses an input that is %s', (_name, v) => {
    expect(inputShapeProblems(v, WF)).toEqual(['the input is not an object (an unencrypted or malformed payload)']);
  });

  test.each<[string, Rec, string]>([
    ['a grant id that is not a request id', { grantId: 'breakglass-BreakGlassAdmin-XYZ' }, 'grantId is not a break-glass request id'],
    ['a grant id with a prefix', { grantId: `x${WF}` }, 'grantId is not a break-glass request id'],
    ['a grant id with a suffix', { grantId: `${WF}x` }, 'grantId is not a break-glass request id'],
    ['a grant id that is not text', { grantId: 42 }, 'grantId is not a break-glass request id'],
    ['a grant id longer than text may be', { grantId: `breakglass-B${'a'.repeat(5000)}-0123456789` }, 'grantId is not a break-glass request id'],
    ['a grant id that is not the workflow id', { grantId: 'breakglass-BreakGlassAdmin-abcdef' }, 'grantId is not the workflow id'],
    ['a requester that is not a person id', { requester: 'Alice' }, 'requester is not a person id'],
    ['a requester with a suffix', { requester: 'alice;bob' }, 'requester is not a person id'],
    ['a requester that is not text', { requester: ['alice'] }, 'requester is not a person id'],
    ['a negative duration', { durationMs: -1 }, 'durationMs is not a duration'],
    ['an infinite duration', { durationMs: Number.POSITIVE_INFINITY }, 'durationMs is not a duration'],
    ['a duration as text', { durationMs: '30m' }, 'durationMs is not a duration'],
    ['a missing reason', { reason: undefined }, 'reason is not text'],
    ['a reason over 4096 characters', { reason: 'r'.repeat(4097) }, 'reason is not text'],
    ['a ticket that is not text', { ticket: 42 }, 'ticket is not text'],
    ['a ticket over 256 characters', { ticket: 't'.repeat(257) }, 'ticket is not text'],
    ['an unknown channel', { via: 'temporal-cli' }, 'via is not a known channel'],
    ['a missing channel', { via: undefined }, 'via is not a known channel'],
  ])('refuses %s', (_name, over, problem) => {
    expect(inputShapeProblems(withTop(over), WF)).toEqual([problem]);
  });

  test('the limits themselves are allowed', () => {
    expect(inputShapeProblems(withTop({ reason: 'r'.repeat(4096), ticket: 't'.repeat(256), durationMs: 0 }), WF)).toEqual([]);
  });

  test('a role that is not an object stops the role checks', () => {
    expect(inputShapeProblems(withTop({ role: undefined }), WF)).toEqual(['role is not an object']);
    expect(inputShapeProblems(withTop({ role: [good().role] }), WF)).toEqual(['role is not an object']);
    expect(inputShapeProblems(withTop({ role: null, requester: 'Mallory' }), WF)).toEqual(['requester is not a person id', 'role is not an object']);
  });

  test.each<[string, Rec, string]>([
    ['a missing role name', { name: undefined }, 'role.name is not text'],
    ['an account id that is not text', { accountId: 123456789012 }, 'role.accountId is not text'],
    ['a role ARN over 2048 characters', { roleArn: 'a'.repeat(2049) }, 'role.roleArn is not text'],
    ['a missing execution role', { executionRoleArn: undefined }, 'role.executionRoleArn is not text'],
    ['a missing external id', { externalId: undefined }, 'role.externalId is not text'],
    ['an unknown mode', { mode: 'none' }, 'role.mode is not approval or post-hoc'],
    ['a quorum of zero', { quorum: 0 }, 'role.quorum is not a positive whole number'],
    ['a fractional quorum', { quorum: 1.5 }, 'role.quorum is not a positive whole number'],
    ['a quorum as text', { quorum: '1' }, 'role.quorum is not a positive whole number'],
    ['approvers that are not person ids', { approvers: ['bob', 'Mallory'] }, 'role.approvers is not a list of person ids'],
    ['approvers that are not a list', { approvers: 'bob' }, 'role.approvers is not a list of person ids'],
    ['more than 500 approvers', { approvers: Array.from({ length: 501 }, (_, i) => `p${i}`) }, 'role.approvers is not a list of person ids'],
    ['security people that are not text', { security: [7] }, 'role.security is not a list of person ids'],
    ['a missing maximum duration', { maxDurationMs: undefined }, 'role.maxDurationMs is not a duration'],
    ['a negative approval timeout', { approvalTimeoutMs: -5 }, 'role.approvalTimeoutMs is not a duration'],
    ['a reminder interval as text', { reminderIntervalMs: '5m' }, 'role.reminderIntervalMs is not a duration'],
    ['a NaN maximum session', { maxSessionDurationMs: Number.NaN }, 'role.maxSessionDurationMs is not a duration'],
    ['a negative ratification deadline', { ratificationDeadlineMs: -1 }, 'role.ratificationDeadlineMs is not a duration'],
    ['an idle limit as text', { idleLimitMs: '30m' }, 'role.idleLimitMs is not a duration'],
    ['a step-up flag that is not a boolean', { stepUp: 'yes' }, 'role.stepUp is not true or false'],
  ])('refuses a role with %s', (_name, over, problem) => {
    expect(inputShapeProblems(withRole(over), WF)).toEqual([problem]);
  });

  test('exactly 500 approvers and an empty security list are well-formed', () => {
    expect(inputShapeProblems(withRole({ approvers: Array.from({ length: 500 }, (_, i) => `p${i}`), security: [] }), WF)).toEqual([]);
  });

  test('reports every problem at once', () => {
    const problems = inputShapeProblems({ grantId: 1, requester: 1, durationMs: 'x', reason: 1, via: 'x', role: {} }, WF);
    expect(problems).toEqual([
      'grantId is not a break-glass request id',
      'requester is not a person id',
      'durationMs is not a duration',
      'reason is not text',
      'via is not a known channel',
      'role.name is not text',
      'role.accountId is not text',
      'role.roleArn is not text',
      'role.executionRoleArn is not text',
      'role.externalId is not text',
      'role.mode is not approval or post-hoc',
      'role.quorum is not a positive whole number',
      'role.approvers is not a list of person ids',
      'role.security is not a list of person ids',
      'role.maxDurationMs is not a duration',
      'role.approvalTimeoutMs is not a duration',
      'role.reminderIntervalMs is not a duration',
      'role.maxSessionDurationMs is not a duration',
    ]);
  });
});

describe('Update argument checks', () => {
  test('a well-formed decision passes', () => {
    expect(malformedType(() => assertDecisionShape({ approver: 'bob', round: 'grant', comment: 'ok', via: 'slack' }, 'comment'))).toBeUndefined();
    expect(malformedType(() => assertDecisionShape({ approver: 'bob', round: 'grant', reason: 'no', via: 'cli' }, 'reason'))).toBeUndefined();
    expect(malformedType(() => assertDecisionShape({ approver: 'bob', via: 'api' }, 'comment'))).toBeUndefined();
    expect(malformedType(() => assertDecisionShape({ approver: 'bob', round: 'r'.repeat(64), comment: 'c'.repeat(5000) }, 'comment'))).toBeUndefined();
  });

  test.each<[string, unknown, 'comment' | 'reason']>([
    ['the codec refusal marker', { __refused: 'unencrypted json/plain payload refused by the codec' }, 'comment'],
    ['null', null, 'comment'],
    ['an array', [{ approver: 'bob' }], 'comment'],
    ['no approver', { round: 'grant' }, 'comment'],
    ['an approver that is not a person id', { approver: 'Bob' }, 'comment'],
    ['an approver with a suffix', { approver: 'bob carol' }, 'comment'],
    ['an approver over 64 characters', { approver: `b${'o'.repeat(64)}` }, 'comment'],
    ['a round that is not text', { approver: 'bob', round: 1 }, 'comment'],
    ['a round over 64 characters', { approver: 'bob', round: 'r'.repeat(65) }, 'comment'],
    ['a comment that is not text', { approver: 'bob', comment: { text: 'x' } }, 'comment'],
    ['a comment over 5000 characters', { approver: 'bob', comment: 'c'.repeat(5001) }, 'comment'],
    ['a reason that is not text', { approver: 'bob', reason: 42 }, 'reason'],
    ['an unknown channel', { approver: 'bob', via: 'temporal' }, 'comment'],
  ])('refuses a decision that is %s', (_name, d, field) => {
    expect(malformedType(() => assertDecisionShape(d, field))).toBe('MalformedRequest');
  });

  test('a person field (revoke, extend, reserve) must be a person id, with an optional text reason', () => {
    expect(malformedType(() => assertPersonField({ by: 'alice' }, 'by'))).toBeUndefined();
    expect(malformedType(() => assertPersonField({ requester: 'alice', reason: 'r'.repeat(5000) }, 'requester'))).toBeUndefined();
    for (const d of [null, 'alice', {}, { by: 'Alice' }, { by: 'alice!' }, { by: `a${'l'.repeat(64)}` }, { by: 7 }, { by: 'alice', reason: 7 }, { by: 'alice', reason: 'r'.repeat(5001) }, { __refused: 'x' }]) {
      expect(malformedType(() => assertPersonField(d, 'by'))).toBe('MalformedRequest');
    }
  });
});

describe('Signal argument checks (malformed signals are dropped)', () => {
  const cred = { accessKeyId: 'ASIAEXAMPLE000000001', expiresAt: T, issuedAt: T };

  test('credential issues: key id, expiry and issue time, optional lease and delivery flag', () => {
    expect(isCredentialIssue(cred)).toBe(true);
    expect(isCredentialIssue({ ...cred, leaseId: 'l'.repeat(64), delivered: false })).toBe(true);
    // Whole seconds or milliseconds, as STS and Date#toISOString write them.
    expect(isCredentialIssue({ ...cred, expiresAt: '2026-03-01T13:00:00Z', issuedAt: '2026-03-01T12:00:00.5Z' })).toBe(true);
    for (const bad of [
      null,
      { __refused: 'x' },
      { ...cred, accessKeyId: 'asia-lowercase-key' },
      { ...cred, accessKeyId: 'ASIASHORT' },
      { ...cred, accessKeyId: `x${cred.accessKeyId}` },
      { ...cred, accessKeyId: `${cred.accessKeyId}!` },
      { ...cred, accessKeyId: 'A'.repeat(129) },
      { ...cred, accessKeyId: 1 },
      { ...cred, expiresAt: 'tomorrow' },
      { ...cred, expiresAt: `${T}Z` },
      { ...cred, issuedAt: undefined },
      { ...cred, issuedAt: `x${T}` },
      { ...cred, leaseId: 7 },
      { ...cred, leaseId: 'l'.repeat(65) },
      { ...cred, delivered: 'no' },
    ]) {
      expect(isCredentialIssue(bad)).toBe(false);
    }
  });

  test('session reports: an SSM session id and an instance target', () => {
    const ok = { sessionId: 'alice-0a1b2c3d4e5f', target: 'i-0123456789abcdef0' };
    expect(isSessionReport(ok)).toBe(true);
    expect(isSessionReport({ ...ok, target: 'mi-0123456789abcdef0', verified: true })).toBe(true);
    for (const bad of [
      null,
      { __refused: 'x' },
      { ...ok, sessionId: 'has space' },
      { ...ok, sessionId: '' },
      { ...ok, sessionId: 's'.repeat(129) },
      { ...ok, target: 'i-XYZ' },
      { ...ok, target: 'x-0123456789abcdef0' },
      { ...ok, target: `${ok.target}0` },
      { ...ok, target: `;${ok.target}` },
      { ...ok, target: 'i-0123' },
      { ...ok, verified: 'yes' },
      { target: ok.target },
    ]) {
      expect(isSessionReport(bad)).toBe(false);
    }
  });

  test('refused uses: who, a code and what was refused', () => {
    expect(isAccessRefusal({ by: 'alice', code: 'GrantNotActive', what: 'credentials' })).toBe(true);
    expect(isAccessRefusal({ by: 'alice', code: 'GrantNotActive', what: 'console-link' })).toBe(true);
    expect(isAccessRefusal({ by: 'alice', code: 'GrantNotActive', what: 'session' })).toBe(true);
    for (const bad of [null, { __refused: 'x' }, { by: 'alice', code: 'X', what: 'root' }, { by: 'a'.repeat(65), code: 'X', what: 'session' }, { by: 'alice', code: 'c'.repeat(65), what: 'session' }, { by: 'alice', what: 'session' }, { code: 'X', what: 'session' }]) {
      expect(isAccessRefusal(bad)).toBe(false);
    }
  });

  test('lease releases: a lease id', () => {
    expect(isLeaseRelease({ leaseId: 'l'.repeat(64) })).toBe(true);
    for (const bad of [null, [], { __refused: 'x' }, { leaseId: 7 }, { leaseId: 'l'.repeat(65) }]) expect(isLeaseRelease(bad)).toBe(false);
  });
});
