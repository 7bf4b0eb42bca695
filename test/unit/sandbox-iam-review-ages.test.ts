// The time-travel control body (POST /_sandbox/iam/ages, sandbox/iam-ages.ts): what it turns into
// for moto and the root users, and the exact 400 messages for what it refuses.

import { DEFAULT_LAST_USED_SERVICE, IamAgesValidationError, RootAccounts, parseIamAges } from '../../sandbox/iam-ages';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const opts = { now: NOW, defaultRegion: 'us-east-1' };
const A = '111111111111';
const KEY = 'AKIAIOSFODNN7EXAMPLE';

const refused = (body: unknown): string => {
  try {
    parseIamAges(body, opts);
  } catch (err) {
    if (err instanceof IamAgesValidationError) return err.message;
    throw err;
  }
  throw new Error('expected a validation error');
};

describe('parseIamAges', () => {
  it("turns a key body into a key override, with the use's service and region", () => {
    expect(
      parseIamAges({ accountId: A, userName: 'alice', accessKeyId: KEY, createdAt: '2026-01-01T00:00:00Z', lastUsedAt: '2026-02-01T00:00:00+01:00', lastUsedService: 's3', lastUsedRegion: 'eu-west-1' }, opts),
    ).toEqual({
      overrides: [
        {
          kind: 'key',
          accountId: A,
          userName: 'alice',
          accessKeyId: KEY,
          createdAt: '2026-01-01T00:00:00.000Z',
          lastUsed: { at: '2026-01-31T23:00:00.000Z', service: 's3', region: 'eu-west-1' },
        },
      ],
      root: [],
    });
  });

  it('defaults a use to sts in the sandbox region; null means never used', () => {
    const [used] = parseIamAges({ accountId: A, userName: 'alice', accessKeyId: KEY, lastUsedAt: '2026-02-01T00:00:00Z' }, opts).overrides;
    expect(used).toMatchObject({ lastUsed: { service: DEFAULT_LAST_USED_SERVICE, region: 'us-east-1' } });
    const [never] = parseIamAges({ accountId: A, userName: 'alice', accessKeyId: KEY, lastUsedAt: null }, opts).overrides;
    expect(never).toEqual({ kind: 'key', accountId: A, userName: 'alice', accessKeyId: KEY, lastUsed: null });
  });

  it("splits a key body carrying its user's password use into a key and a user override", () => {
    expect(parseIamAges({ accountId: A, userName: 'alice', accessKeyId: KEY, createdAt: '2026-01-01T00:00:00Z', passwordLastUsedAt: null }, opts).overrides).toEqual([
      { kind: 'key', accountId: A, userName: 'alice', accessKeyId: KEY, createdAt: '2026-01-01T00:00:00.000Z' },
      { kind: 'user', accountId: A, userName: 'alice', passwordLastUsedAt: null },
    ]);
  });

  it('reads user, role and root bodies, one or an array', () => {
    const parsed = parseIamAges(
      [
        { accountId: A, userName: 'bob', createdAt: '2025-01-01T00:00:00Z', passwordLastUsedAt: '2025-03-01T00:00:00Z' },
        { accountId: A, roleName: 'Deploy', createdAt: '2025-01-01T00:00:00Z', lastUsedAt: '2025-02-01T00:00:00Z', lastUsedRegion: 'us-west-2' },
        { accountId: A, roleName: 'Idle', lastUsedAt: null },
        { accountId: A, root: { mfaActive: false, accessKeysActive: 2 } },
      ],
      opts,
    );
    expect(parsed.overrides).toEqual([
      { kind: 'user', accountId: A, userName: 'bob', createdAt: '2025-01-01T00:00:00.000Z', passwordLastUsedAt: '2025-03-01T00:00:00.000Z' },
      { kind: 'role', accountId: A, roleName: 'Deploy', createdAt: '2025-01-01T00:00:00.000Z', lastUsed: { at: '2025-02-01T00:00:00.000Z', region: 'us-west-2' } },
      { kind: 'role', accountId: A, roleName: 'Idle', lastUsed: null },
    ]);
    expect(parsed.root).toEqual([{ accountId: A, mfaActive: false, accessKeysActive: 2 }]);
  });

  it.each([
    [{ userName: 'alice', createdAt: '2026-01-01T00:00:00Z' }, 'accountId must be a 12-digit account id (a string), got nothing'],
    [{ accountId: 111111111111, userName: 'alice' }, 'accountId must be a 12-digit account id (a string), got 111111111111'],
    [{ accountId: A, createdAt: '2026-01-01T00:00:00Z' }, 'name what to change: userName (a user or, with accessKeyId, its key), roleName or root'],
    [{ accountId: A, userName: 'a', roleName: 'r', createdAt: '2026-01-01T00:00:00Z' }, 'name one of userName, roleName or root, not userName and roleName'],
    [{ accountId: A, userName: 'alice' }, 'nothing to set for user alice: give createdAt, passwordLastUsedAt, or accessKeyId with createdAt/lastUsedAt'],
    [{ accountId: A, userName: 'alice', lastUsedAt: '2026-01-01T00:00:00Z' }, "a user has no lastUsedAt: give accessKeyId for a key's last use, or passwordLastUsedAt for the console password's"],
    [{ accountId: A, userName: 'al ice', createdAt: '2026-01-01T00:00:00Z' }, 'userName must be an IAM name (1-64 of letters, digits and +=,.@_-), got "al ice"'],
    [{ accountId: A, userName: 'alice', accessKeyId: 'ASIAIOSFODNN7EXAMPLE', createdAt: '2026-01-01T00:00:00Z' }, 'accessKeyId must be an IAM user\'s access key id (AKIA and 16 letters or digits), got "ASIAIOSFODNN7EXAMPLE"'],
    [{ accountId: A, userName: 'alice', accessKeyId: KEY, createdAt: 'yesterday' }, 'createdAt must be an ISO 8601 date-time with a time zone, e.g. "2026-01-01T00:00:00Z", got "yesterday"'],
    [{ accountId: A, userName: 'alice', accessKeyId: KEY, createdAt: '2026-01-01T00:00:00' }, 'createdAt must be an ISO 8601 date-time with a time zone, e.g. "2026-01-01T00:00:00Z", got "2026-01-01T00:00:00"'],
    [{ accountId: A, userName: 'alice', accessKeyId: KEY, createdAt: '2026-02-30T00:00:00Z' }, 'createdAt is not a real date: "2026-02-30T00:00:00Z"'],
    [{ accountId: A, userName: 'alice', accessKeyId: KEY, lastUsedAt: '2026-07-01T00:00:00Z' }, 'lastUsedAt 2026-07-01T00:00:00Z is in the future: IAM reports only what has happened'],
    [{ accountId: A, userName: 'alice', accessKeyId: KEY, createdAt: '1970-01-01T00:00:00Z' }, 'createdAt 1970-01-01T00:00:00Z is before 2006, when no AWS account existed'],
    [
      { accountId: A, userName: 'alice', accessKeyId: KEY, createdAt: '2026-03-01T00:00:00Z', lastUsedAt: '2026-02-01T00:00:00Z' },
      'lastUsedAt 2026-02-01T00:00:00.000Z is before createdAt 2026-03-01T00:00:00.000Z: the key cannot be used before it exists',
    ],
    [{ accountId: A, userName: 'alice', accessKeyId: KEY, lastUsedService: 's3' }, 'lastUsedService needs lastUsedAt (the date of that use)'],
    [{ accountId: A, userName: 'alice', accessKeyId: KEY, lastUsedAt: '2026-01-01T00:00:00Z', lastUsedService: 'Amazon S3' }, 'lastUsedService must be a service namespace such as "s3" or "ec2", got "Amazon S3"'],
    [{ accountId: A, userName: 'alice', accessKeyId: KEY, lastUsedAt: '2026-01-01T00:00:00Z', lastUsedRegion: 'Virginia' }, 'lastUsedRegion must be a region such as "us-east-1", got "Virginia"'],
    [{ accountId: A, userName: 'alice', accessKeyId: KEY, createdAt: '2026-01-01T00:00:00Z', age: 3 }, 'unknown field "age" in a key override (allowed: accountId, userName, accessKeyId, createdAt, lastUsedAt, lastUsedService, lastUsedRegion, passwordLastUsedAt)'],
    [{ accountId: A, roleName: 'Deploy', lastUsedAt: '2026-01-01T00:00:00Z', lastUsedService: 'sts' }, 'RoleLastUsed has no service: lastUsedService is for access keys'],
    [{ accountId: A, roleName: 'Deploy' }, 'nothing to set for role Deploy: give createdAt or lastUsedAt'],
    [{ accountId: A, root: { accessKeysActive: 3 } }, 'root.accessKeysActive must be 0, 1 or 2 (a root user has at most two keys), got 3'],
    [{ accountId: A, root: { mfaActive: 'no' } }, 'root.mfaActive must be true or false, got "no"'],
    [{ accountId: A, root: {} }, 'root sets nothing: give mfaActive, accessKeysActive or passwordLastUsedAt'],
    [{ accountId: A, root: true }, 'root must be an object: {"mfaActive": true|false, "accessKeysActive": 0|1|2, "passwordLastUsedAt": "…"}'],
    [[], 'the body is an empty list: give at least one override'],
    ['alice', 'an override must be a JSON object'],
  ])('refuses %j: %s', (body, message) => {
    expect(refused(body)).toBe(message);
  });

  it('names the position of a bad item in an array', () => {
    expect(refused([{ accountId: A, userName: 'alice', createdAt: '2026-01-01T00:00:00Z' }, { accountId: A, roleName: 'x' }])).toBe('[1] nothing to set for role x: give createdAt or lastUsedAt');
  });
});

describe('RootAccounts', () => {
  it('defaults to MFA on and no keys, applies changes per account and clears them', () => {
    const roots = new RootAccounts();
    expect(roots.get(A)).toEqual({ mfaActive: true, accessKeysActive: 0 });
    const at = Date.parse('2026-05-01T00:00:00Z');
    expect(roots.apply({ accountId: A, mfaActive: false, accessKeysActive: 1, passwordLastUsedAt: '2026-04-01T00:00:00.000Z' }, at)).toEqual({
      mfaActive: false,
      accessKeysActive: 1,
      keysSince: '2026-05-01T00:00:00.000Z',
      passwordLastUsedAt: '2026-04-01T00:00:00.000Z',
    });
    expect(roots.get('222222222222')).toEqual({ mfaActive: true, accessKeysActive: 0 });
    expect(roots.apply({ accountId: A, accessKeysActive: 0, passwordLastUsedAt: null }, at)).toEqual({ mfaActive: false, accessKeysActive: 0 });
    expect(roots.list()).toEqual([{ accountId: A, mfaActive: false, accessKeysActive: 0 }]);
    expect(roots.clear(A)).toBe(1);
    expect(roots.get(A)).toEqual({ mfaActive: true, accessKeysActive: 0 });
  });
});
