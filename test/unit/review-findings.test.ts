// The access review's findings, rule by rule, on both sides of every threshold, and together: the
// rules must raise exactly what a reviewer needs to see, never more.
import {
  DAY_MS,
  accessKeysOld,
  accessKeysUnused,
  adminOnHuman,
  breakGlassTrustDrift,
  consoleWithoutMfa,
  findingsFor,
  inactiveUserWithKeys,
  isAdministratorPolicy,
  maskAccessKeyId,
  principalUnused,
  rootFindings,
  type FindingContext,
} from '../../activities/reviews/findings';
import type { AccessKeyFacts, Principal } from '../../workflows/access-review/inventory';

const NOW = Date.parse('2024-06-01T00:00:00.000Z');
const ago = (ms: number): string => new Date(NOW - ms).toISOString();
const BROKER = 'arn:aws:iam::123456789012:user/safeguard-broker';
const BREAK_GLASS = 'arn:aws:iam::123456789012:role/BreakGlassAdmin';
const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';

const ctx = (over: Partial<FindingContext> = {}): FindingContext => ({
  now: NOW,
  keyMaxAgeMs: 90 * DAY_MS,
  unusedAfterMs: 90 * DAY_MS,
  isHuman: () => true,
  breakGlass: { roleArns: new Set([BREAK_GLASS]), brokerArn: BROKER },
  ...over,
});

const user = (over: Partial<Principal> = {}): Principal => ({
  key: 'arn:aws:iam::123456789012:user/alice',
  type: 'user',
  accountId: '123456789012',
  name: 'alice',
  arn: 'arn:aws:iam::123456789012:user/alice',
  createdAt: ago(400 * DAY_MS),
  tags: {},
  console: { enabled: true, lastUsedAt: ago(DAY_MS) },
  mfaActive: true,
  accessKeys: [],
  managedPolicies: [],
  inlinePolicies: [],
  groups: [],
  groupPolicies: [],
  ...over,
});

const role = (over: Partial<Principal> = {}): Principal => ({
  key: 'arn:aws:iam::123456789012:role/app',
  type: 'role',
  accountId: '123456789012',
  name: 'app',
  arn: 'arn:aws:iam::123456789012:role/app',
  createdAt: ago(400 * DAY_MS),
  tags: {},
  accessKeys: [],
  managedPolicies: [],
  inlinePolicies: [],
  groups: [],
  groupPolicies: [],
  lastUsedAt: ago(DAY_MS),
  ...over,
});

const key = (over: Partial<AccessKeyFacts> = {}): AccessKeyFacts => ({ slot: 1, accessKeyId: KEY_ID, active: true, createdAt: ago(10 * DAY_MS), lastUsedAt: ago(DAY_MS), ...over });
const codes = (fs: { code: string }[]): string[] => fs.map((f) => f.code);

describe('console user without MFA', () => {
  it('flags a console password without MFA as high', () => {
    expect(consoleWithoutMfa(user({ mfaActive: false }))).toEqual([{ code: 'console-without-mfa', severity: 'high', detail: 'console password without MFA (last signed in 2024-05-31)' }]);
    expect(consoleWithoutMfa(user({ mfaActive: false, console: { enabled: true } }))[0]?.detail).toBe('console password without MFA (never signed in)');
  });

  it('leaves users with MFA, users without a console password, and roles alone', () => {
    expect(consoleWithoutMfa(user({ mfaActive: true }))).toEqual([]);
    expect(consoleWithoutMfa(user({ mfaActive: false, console: { enabled: false, lastUsedAt: ago(DAY_MS) } }))).toEqual([]);
    expect(consoleWithoutMfa(user({ mfaActive: false, console: undefined as never }))).toEqual([]);
    expect(consoleWithoutMfa(role({ mfaActive: false, console: { enabled: true } }))).toEqual([]);
  });
});

describe('access key older than keyMaxAgeMs', () => {
  it('flags an active key just over the limit, naming it masked with its age', () => {
    expect(accessKeysOld(user({ accessKeys: [key({ createdAt: ago(140 * DAY_MS) })] }), ctx())).toEqual([{ code: 'access-key-old', severity: 'medium', detail: 'key AKIA…MPLE is 140 days old (limit 90)' }]);
    expect(accessKeysOld(user({ accessKeys: [key({ createdAt: ago(90 * DAY_MS + 1) })] }), ctx())).toHaveLength(1);
  });

  it('does not flag a key exactly at the limit or younger', () => {
    expect(accessKeysOld(user({ accessKeys: [key({ createdAt: ago(90 * DAY_MS) })] }), ctx())).toEqual([]);
    expect(accessKeysOld(user({ accessKeys: [key({ createdAt: ago(89 * DAY_MS) })] }), ctx())).toEqual([]);
  });

  it('ignores inactive keys and keys of unknown age, and names a key without an id by its slot', () => {
    expect(accessKeysOld(user({ accessKeys: [key({ active: false, createdAt: ago(400 * DAY_MS) })] }), ctx())).toEqual([]);
    expect(accessKeysOld(user({ accessKeys: [key({ createdAt: undefined as never })] }), ctx())).toEqual([]);
    expect(accessKeysOld(user({ accessKeys: [key({ createdAt: 'garbage' })] }), ctx())).toEqual([]);
    const { accessKeyId: _id, ...noId } = key({ slot: 2, createdAt: ago(100 * DAY_MS) });
    expect(accessKeysOld(user({ accessKeys: [noId] }), ctx())[0]?.detail).toBe('key in slot 2 is 100 days old (limit 90)');
  });

  it('follows the configured limit', () => {
    expect(accessKeysOld(user({ accessKeys: [key({ createdAt: ago(31 * DAY_MS) })] }), ctx({ keyMaxAgeMs: 30 * DAY_MS }))[0]?.detail).toBe('key AKIA…MPLE is 31 days old (limit 30)');
  });
});

describe('access key unused', () => {
  it('flags an active key last used just over unusedAfterMs ago', () => {
    expect(accessKeysUnused(user({ accessKeys: [key({ lastUsedAt: ago(120 * DAY_MS) })] }), ctx())).toEqual([{ code: 'access-key-unused', severity: 'medium', detail: 'key AKIA…MPLE last used 120 days ago' }]);
    expect(accessKeysUnused(user({ accessKeys: [key({ lastUsedAt: ago(90 * DAY_MS + 1) })] }), ctx())).toHaveLength(1);
  });

  it('does not flag a key used exactly unusedAfterMs ago or more recently', () => {
    expect(accessKeysUnused(user({ accessKeys: [key({ lastUsedAt: ago(90 * DAY_MS) })] }), ctx())).toEqual([]);
    expect(accessKeysUnused(user({ accessKeys: [key({ lastUsedAt: ago(DAY_MS) })] }), ctx())).toEqual([]);
  });

  it('judges a never-used key by its creation, on both sides of the threshold', () => {
    const { lastUsedAt: _u, ...neverUsed } = key();
    expect(accessKeysUnused(user({ accessKeys: [{ ...neverUsed, createdAt: ago(91 * DAY_MS) }] }), ctx())).toEqual([{ code: 'access-key-unused', severity: 'medium', detail: 'key AKIA…MPLE never used, created 91 days ago' }]);
    expect(accessKeysUnused(user({ accessKeys: [{ ...neverUsed, createdAt: ago(90 * DAY_MS) }] }), ctx())).toEqual([]);
  });

  it('judges a key by its use, not its creation, once it has been used', () => {
    expect(accessKeysUnused(user({ accessKeys: [key({ createdAt: ago(500 * DAY_MS), lastUsedAt: ago(2 * DAY_MS) })] }), ctx())).toEqual([]);
  });

  it('ignores inactive keys', () => {
    expect(accessKeysUnused(user({ accessKeys: [key({ active: false, lastUsedAt: ago(400 * DAY_MS) })] }), ctx())).toEqual([]);
  });
});

describe('principal unused', () => {
  it('judges a user by the newest of console sign-in and any key use', () => {
    const p = user({ console: { enabled: true, lastUsedAt: ago(200 * DAY_MS) }, accessKeys: [key({ lastUsedAt: ago(95 * DAY_MS) }), key({ slot: 2, active: false, lastUsedAt: ago(150 * DAY_MS) })] });
    expect(principalUnused(p, ctx())).toEqual({ code: 'principal-unused', severity: 'low', detail: 'user unused for 95 days (last: key AKIA…MPLE use on 2024-02-27)' });
    expect(principalUnused(p, ctx({ unusedAfterMs: 95 * DAY_MS }))).toBeUndefined();
    expect(principalUnused(user({ console: { enabled: false, lastUsedAt: ago(10 * DAY_MS) } }), ctx())).toBeUndefined();
  });

  it('counts a deactivated key’s recent use as activity', () => {
    expect(principalUnused(user({ console: { enabled: false }, accessKeys: [key({ active: false, lastUsedAt: ago(5 * DAY_MS) })] }), ctx())).toBeUndefined();
  });

  it('judges a never-used user by its creation, on both sides of the threshold', () => {
    const never = (createdMs: number): Principal => user({ createdAt: ago(createdMs), console: { enabled: false }, accessKeys: [] });
    expect(principalUnused(never(91 * DAY_MS), ctx())?.detail).toBe('user never used, created 91 days ago');
    expect(principalUnused(never(90 * DAY_MS), ctx())).toBeUndefined();
  });

  it('judges a role by RoleLastUsed, else its creation', () => {
    expect(principalUnused(role({ lastUsedAt: ago(90 * DAY_MS + 1) }), ctx())?.detail).toBe('role unused for 90 days (last: role use on 2024-03-02)');
    expect(principalUnused(role({ lastUsedAt: ago(90 * DAY_MS) }), ctx())).toBeUndefined();
    expect(principalUnused(role({ lastUsedAt: undefined as never, createdAt: ago(100 * DAY_MS) }), ctx())?.detail).toBe('role never used, created 100 days ago');
    expect(principalUnused(role({ lastUsedAt: undefined as never, createdAt: ago(10 * DAY_MS) }), ctx())).toBeUndefined();
  });

  it('raises nothing when nothing says when the principal was last active (Identity Center assignments)', () => {
    expect(principalUnused(role({ lastUsedAt: undefined as never, createdAt: undefined as never }), ctx())).toBeUndefined();
    expect(principalUnused({ ...role(), type: 'sso-assignment', key: 'sso:123456789012:Admin:USER:u-1' }, ctx())).toBeUndefined();
  });
});

describe('administrator policies on a human', () => {
  const admin = { name: 'AdministratorAccess', arn: 'arn:aws:iam::aws:policy/AdministratorAccess' };
  const iamFull = { name: 'IAMFullAccess', arn: 'arn:aws:iam::aws:policy/IAMFullAccess' };

  it('flags AdministratorAccess attached to a person’s user, and IAMFullAccess through a group', () => {
    expect(adminOnHuman(user({ managedPolicies: [admin] }), ctx())).toEqual([{ code: 'admin-on-human', severity: 'high', detail: "administrator policies on a person's user: AdministratorAccess (attached)" }]);
    expect(adminOnHuman(user({ groups: ['admins'], groupPolicies: [iamFull] }), ctx())[0]?.detail).toBe("administrator policies on a person's user: IAMFullAccess (through a group)");
  });

  it('does not flag the same policies on a principal no person uses', () => {
    expect(adminOnHuman(role({ managedPolicies: [admin] }), ctx({ isHuman: () => false }))).toEqual([]);
  });

  it('counts only the AWS-managed administrator policies, in any partition', () => {
    expect(isAdministratorPolicy('arn:aws:iam::aws:policy/AdministratorAccess')).toBe(true);
    expect(isAdministratorPolicy('arn:aws-us-gov:iam::aws:policy/IAMFullAccess')).toBe(true);
    expect(isAdministratorPolicy('arn:aws:iam::aws:policy/PowerUserAccess')).toBe(false);
    expect(isAdministratorPolicy('arn:aws:iam::aws:policy/ReadOnlyAccess')).toBe(false);
    expect(isAdministratorPolicy('arn:aws:iam::123456789012:policy/AdministratorAccess')).toBe(false);
    expect(isAdministratorPolicy('arn:aws:iam::aws:policy/AdministratorAccess-Amplify')).toBe(false);
    expect(adminOnHuman(user({ managedPolicies: [{ name: 'PowerUserAccess', arn: 'arn:aws:iam::aws:policy/PowerUserAccess' }] }), ctx())).toEqual([]);
  });
});

describe('break-glass trust drift', () => {
  const trust = (principal: unknown): string =>
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'], Condition: { Null: { 'sts:SourceIdentity': 'false' } } }] });
  const bg = (trustPolicy: string): Principal => role({ key: BREAK_GLASS, arn: BREAK_GLASS, name: 'BreakGlassAdmin', trustPolicy });

  it('flags a break-glass role that trusts more than the broker', () => {
    const found = breakGlassTrustDrift(bg(trust({ AWS: [BROKER, 'arn:aws:iam::123456789012:root'] })), ctx());
    expect(found).toEqual([{ code: 'break-glass-trust-drift', severity: 'high', detail: expect.stringContaining('account root arn:aws:iam::123456789012:root') }]);
  });

  it('does not flag a break-glass role trusted as Safeguard requires, nor other roles', () => {
    expect(breakGlassTrustDrift(bg(trust({ AWS: BROKER })), ctx())).toEqual([]);
    expect(breakGlassTrustDrift(role({ trustPolicy: trust('*') }), ctx())).toEqual([]);
  });
});

describe('inactive user with keys', () => {
  const unused = { code: 'principal-unused', severity: 'low', detail: 'x' } as const;

  it('escalates an unused user that still has an active key', () => {
    expect(inactiveUserWithKeys(user({ accessKeys: [key(), key({ slot: 2, accessKeyId: 'AKIAZZZZZZZZZZZZ9999' })] }), unused)).toEqual([
      { code: 'inactive-user-with-keys', severity: 'high', detail: 'unused user still has 2 active keys: key AKIA…MPLE, key AKIA…9999' },
    ]);
  });

  it('does not flag a used user, or an unused one whose keys are all inactive', () => {
    expect(inactiveUserWithKeys(user({ accessKeys: [key()] }), undefined)).toEqual([]);
    expect(inactiveUserWithKeys(user({ accessKeys: [key({ active: false })] }), unused)).toEqual([]);
  });
});

describe('root', () => {
  it('flags root access keys and root without MFA', () => {
    expect(rootFindings({ mfaActive: false, accessKeysActive: 1 }, '123456789012')).toEqual([
      { code: 'root-access-keys', severity: 'high', detail: 'root of account 123456789012 has 1 active access key' },
      { code: 'root-without-mfa', severity: 'high', detail: 'root of account 123456789012 has no MFA' },
    ]);
  });

  it('raises nothing for a root with MFA and no keys, or when the report had no root row', () => {
    expect(rootFindings({ mfaActive: true, accessKeysActive: 0 }, '123456789012')).toEqual([]);
    expect(rootFindings(undefined, '123456789012')).toEqual([]);
  });
});

describe('maskAccessKeyId', () => {
  it('shows at most the first 4 and last 4 characters', () => {
    expect(maskAccessKeyId(KEY_ID)).toBe('AKIA…MPLE');
    expect(maskAccessKeyId('SHORTKEY123')).toBe('…');
  });
});

describe('findingsFor', () => {
  it('raises exactly the expected findings for an inactive console user with an old, unused key', () => {
    const p = user({
      mfaActive: false,
      console: { enabled: true, lastUsedAt: ago(200 * DAY_MS) },
      accessKeys: [key({ createdAt: ago(300 * DAY_MS), lastUsedAt: ago(150 * DAY_MS) })],
    });
    expect(findingsFor(p, ctx({ isHuman: () => false }))).toEqual([
      { code: 'console-without-mfa', severity: 'high', detail: 'console password without MFA (last signed in 2023-11-14)' },
      { code: 'access-key-old', severity: 'medium', detail: 'key AKIA…MPLE is 300 days old (limit 90)' },
      { code: 'access-key-unused', severity: 'medium', detail: 'key AKIA…MPLE last used 150 days ago' },
      { code: 'principal-unused', severity: 'low', detail: 'user unused for 150 days (last: key AKIA…MPLE use on 2024-01-03)' },
      { code: 'inactive-user-with-keys', severity: 'high', detail: 'unused user still has 1 active key: key AKIA…MPLE' },
    ]);
  });

  it('raises nothing for a healthy user, and never shows a whole key id', () => {
    expect(findingsFor(user({ accessKeys: [key()] }), ctx())).toEqual([]);
    const all = findingsFor(user({ mfaActive: false, accessKeys: [key({ createdAt: ago(300 * DAY_MS), lastUsedAt: ago(300 * DAY_MS) })] }), ctx());
    expect(codes(all)).toContain('access-key-old');
    expect(JSON.stringify(all)).not.toContain(KEY_ID);
  });

  it('raises admin and drift findings on a break-glass role a person uses', () => {
    const p = role({ key: BREAK_GLASS, arn: BREAK_GLASS, trustPolicy: '{}', managedPolicies: [{ name: 'AdministratorAccess', arn: 'arn:aws:iam::aws:policy/AdministratorAccess' }] });
    expect(codes(findingsFor(p, ctx()))).toEqual(['admin-on-human', 'break-glass-trust-drift']);
  });
});
