// The IAM credential report parser: columns by header name, AWS's "absent" sentinels, the root row,
// key slots only when they hold a key, errors a person can act on, and the report the sandbox writes.
import { CredentialReportError, parseCredentialReport, parseCsv } from '../../activities/reviews/credential-report';
import { CREDENTIAL_REPORT_COLUMNS, buildCredentialReport } from '../../sandbox/iam-credential-report';
import type { CredentialReportRow } from '../../sandbox/iam-credential-report';

const HEADER = CREDENTIAL_REPORT_COLUMNS;

type Row = Partial<CredentialReportRow>;

const EMPTY_KEY = { active: 'false', last_rotated: 'N/A', last_used_date: 'N/A', last_used_region: 'N/A', last_used_service: 'N/A' };

function row(user: string, over: Row = {}): string[] {
  const base: Record<string, string> = {
    user,
    arn: user === '<root_account>' ? 'arn:aws:iam::123456789012:root' : `arn:aws:iam::123456789012:user/${user}`,
    user_creation_time: '2023-01-02T03:04:05+00:00',
    password_enabled: 'false',
    password_last_used: 'N/A',
    password_last_changed: 'N/A',
    password_next_rotation: 'N/A',
    mfa_active: 'false',
    ...Object.fromEntries(Object.entries(EMPTY_KEY).flatMap(([k, v]) => [[`access_key_1_${k}`, v], [`access_key_2_${k}`, v]])),
    cert_1_active: 'false',
    cert_1_last_rotated: 'N/A',
    cert_2_active: 'false',
    cert_2_last_rotated: 'N/A',
    ...over,
  };
  return HEADER.map((h) => base[h] ?? '');
}

const csv = (rows: string[][], header: readonly string[] = HEADER): string => [header, ...rows].map((r) => r.join(',')).join('\n') + '\n';

describe('parseCredentialReport', () => {
  it('reads a console user with MFA, a used key in slot 1 and an empty slot 2', () => {
    const report = parseCredentialReport(
      csv([
        row('alice', {
          password_enabled: 'true',
          password_last_used: '2024-04-30T10:00:00+00:00',
          mfa_active: 'true',
          access_key_1_active: 'true',
          access_key_1_last_rotated: '2024-01-01T00:00:00+00:00',
          access_key_1_last_used_date: '2024-04-29T08:00:00+00:00',
          access_key_1_last_used_region: 'eu-west-1',
          access_key_1_last_used_service: 's3',
        }),
      ]),
    );
    expect(report.users.get('alice')).toEqual({
      user: 'alice',
      arn: 'arn:aws:iam::123456789012:user/alice',
      createdAt: '2023-01-02T03:04:05.000Z',
      console: { enabled: true, lastUsedAt: '2024-04-30T10:00:00.000Z' },
      mfaActive: true,
      accessKeys: [{ slot: 1, active: true, createdAt: '2024-01-01T00:00:00.000Z', lastUsedAt: '2024-04-29T08:00:00.000Z', lastUsedRegion: 'eu-west-1', lastUsedService: 's3' }],
    });
    expect(report.root).toBeUndefined();
    expect(report.generatedAt).toBeUndefined();
  });

  it('treats N/A, no_information and not_supported as absent, leaving the optional fields out', () => {
    const report = parseCredentialReport(
      csv([
        row('svc', {
          password_last_used: 'no_information',
          access_key_2_active: 'true',
          access_key_2_last_rotated: '2024-02-01T00:00:00+00:00',
          access_key_2_last_used_date: 'N/A',
          access_key_2_last_used_region: 'not_supported',
          access_key_2_last_used_service: 'not_supported',
        }),
      ]),
    );
    const svc = report.users.get('svc');
    expect(svc?.console).toEqual({ enabled: false });
    expect(svc?.accessKeys).toEqual([{ slot: 2, active: true, createdAt: '2024-02-01T00:00:00.000Z' }]);
    expect(Object.keys(svc?.accessKeys[0] ?? {})).toEqual(['slot', 'active', 'createdAt']);
  });

  it('keeps a deactivated key (it has a rotation date) and drops a slot that never held one', () => {
    const report = parseCredentialReport(csv([row('bob', { access_key_1_active: 'false', access_key_1_last_rotated: '2022-06-01T00:00:00+00:00' })]));
    expect(report.users.get('bob')?.accessKeys).toEqual([{ slot: 1, active: false, createdAt: '2022-06-01T00:00:00.000Z' }]);
    expect(parseCredentialReport(csv([row('carol')])).users.get('carol')?.accessKeys).toEqual([]);
  });

  it('turns the <root_account> row into root, not a user', () => {
    const report = parseCredentialReport(
      csv([
        row('<root_account>', { password_enabled: 'not_supported', password_last_used: '2024-03-03T00:00:00+00:00', mfa_active: 'false', access_key_1_active: 'true', access_key_1_last_rotated: '2019-01-01T00:00:00+00:00', access_key_2_active: 'true', access_key_2_last_rotated: '2019-01-01T00:00:00+00:00' }),
        row('alice'),
      ]),
    );
    expect(report.root).toEqual({ mfaActive: false, accessKeysActive: 2, passwordLastUsedAt: '2024-03-03T00:00:00.000Z' });
    expect([...report.users.keys()]).toEqual(['alice']);
  });

  it('reads columns by name, whatever their order, and ignores columns it does not know', () => {
    const shuffled = [...HEADER].reverse();
    const extra = [...shuffled, 'some_future_column'];
    const r = row('dave', { mfa_active: 'true', password_enabled: 'true' });
    const byName = Object.fromEntries(HEADER.map((h, i) => [h, r[i]]));
    const text = csv([[...shuffled.map((h) => byName[h] ?? ''), 'whatever']], extra);
    expect(parseCredentialReport(text).users.get('dave')).toMatchObject({ mfaActive: true, console: { enabled: true } });
  });

  it('accepts moto-style not_supported region and service and the CRLF line ends and BOM of a downloaded report', () => {
    const text = '\uFEFF' + csv([row('erin', { access_key_1_active: 'true', access_key_1_last_rotated: '2024-01-01T00:00:00+00:00', access_key_1_last_used_date: '2024-01-02T00:00:00+00:00', access_key_1_last_used_region: 'not_supported', access_key_1_last_used_service: 'not_supported' })]).replace(/\n/g, '\r\n');
    expect(parseCredentialReport(text).users.get('erin')?.accessKeys).toEqual([{ slot: 1, active: true, createdAt: '2024-01-01T00:00:00.000Z', lastUsedAt: '2024-01-02T00:00:00.000Z' }]);
  });

  it('passes GeneratedTime through as ISO, since the CSV does not carry it', () => {
    expect(parseCredentialReport(csv([]), { generatedAt: new Date('2024-05-01T00:00:00Z') }).generatedAt).toBe('2024-05-01T00:00:00.000Z');
    expect(() => parseCredentialReport(csv([]), { generatedAt: 'soon' })).toThrow('GeneratedTime "soon" is not a date');
  });

  it('reads a user name with a comma when the field is quoted', () => {
    const r = row('x');
    r[0] = '"ops,east"';
    r[1] = '"arn:aws:iam::123456789012:user/ops,east"';
    expect(parseCredentialReport(csv([r])).users.get('ops,east')?.arn).toBe('arn:aws:iam::123456789012:user/ops,east');
  });

  it('names every missing required column', () => {
    const header = HEADER.filter((h) => h !== 'mfa_active' && h !== 'access_key_2_last_used_date');
    expect(() => parseCredentialReport(csv([], header))).toThrow(CredentialReportError);
    expect(() => parseCredentialReport(csv([], header))).toThrow(/missing required columns mfa_active, access_key_2_last_used_date/);
    expect(() => parseCredentialReport('')).toThrow('credential report is empty');
  });

  it('does not need the optional region, service and certificate columns', () => {
    const header = HEADER.filter((h) => !/region|service|cert_/.test(h));
    const r = row('fay', { access_key_1_active: 'true', access_key_1_last_rotated: '2024-01-01T00:00:00+00:00' });
    const byName = Object.fromEntries(HEADER.map((h, i) => [h, r[i]]));
    expect(parseCredentialReport(csv([header.map((h) => byName[h] ?? '')], header)).users.get('fay')?.accessKeys).toEqual([{ slot: 1, active: true, createdAt: '2024-01-01T00:00:00.000Z' }]);
  });

  it('refuses what it cannot read rather than guessing: a bad date, a bad boolean, a short row, a repeated user', () => {
    expect(() => parseCredentialReport(csv([row('a', { password_last_used: 'last week' })]))).toThrow('line 2, column password_last_used: "last week" is not a date');
    expect(() => parseCredentialReport(csv([row('a'), row('b', { mfa_active: 'yes' })]))).toThrow('line 3, column mfa_active: "yes" is not true or false');
    expect(() => parseCredentialReport(csv([row('a').slice(0, 5)]))).toThrow('line 2 has 5 fields; the header has 22');
    expect(() => parseCredentialReport(csv([row('a'), row('a')]))).toThrow('line 3 repeats user a');
  });

  it('parses 5,000 users quickly', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => row(`user-${i}`, { access_key_1_active: 'true', access_key_1_last_rotated: '2024-01-01T00:00:00+00:00' }));
    const started = Date.now();
    expect(parseCredentialReport(csv(rows)).users.size).toBe(5000);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('the sandbox report, read back', () => {
  it("reads what the sandbox's gateway writes: the root, a quoted name, console, MFA, a used key and a deactivated one", () => {
    const text = buildCredentialReport(
      {
        accountId: '123456789012',
        accountCreated: '2022-01-01T00:00:00Z',
        passwordMaxAgeDays: 90,
        users: [
          {
            name: 'ops,east',
            arn: 'arn:aws:iam::123456789012:user/ops,east',
            created: '2023-01-02T03:04:05Z',
            passwordEnabled: true,
            passwordLastUsed: '2024-04-30T10:00:00Z',
            passwordLastChanged: '2024-01-01T00:00:00Z',
            mfaActive: true,
            accessKeys: [
              { accessKeyId: 'AKIA1', active: true, created: '2024-01-01T00:00:00Z', lastUsed: { at: '2024-04-29T08:00:00Z', service: 's3', region: 'eu-west-1' } },
              { accessKeyId: 'AKIA2', active: false, created: '2022-06-01T00:00:00Z', lastUsed: null },
            ],
            certificates: [],
          },
          { name: 'svc', arn: 'arn:aws:iam::123456789012:user/svc', created: '2023-02-01T00:00:00Z', passwordEnabled: false, passwordLastUsed: null, passwordLastChanged: null, mfaActive: false, accessKeys: [], certificates: [] },
        ],
      },
      { mfaActive: false, accessKeysActive: 1, keysSince: '2019-01-01T00:00:00Z', passwordLastUsedAt: '2024-03-03T00:00:00Z' },
    );
    const report = parseCredentialReport(text);
    expect(report.root).toEqual({ mfaActive: false, accessKeysActive: 1, passwordLastUsedAt: '2024-03-03T00:00:00.000Z' });
    expect([...report.users.keys()]).toEqual(['ops,east', 'svc']);
    expect(report.users.get('ops,east')).toEqual({
      user: 'ops,east',
      arn: 'arn:aws:iam::123456789012:user/ops,east',
      createdAt: '2023-01-02T03:04:05.000Z',
      console: { enabled: true, lastUsedAt: '2024-04-30T10:00:00.000Z' },
      mfaActive: true,
      accessKeys: [
        { slot: 1, active: true, createdAt: '2024-01-01T00:00:00.000Z', lastUsedAt: '2024-04-29T08:00:00.000Z', lastUsedRegion: 'eu-west-1', lastUsedService: 's3' },
        { slot: 2, active: false, createdAt: '2022-06-01T00:00:00.000Z' },
      ],
    });
    expect(report.users.get('svc')).toEqual({ user: 'svc', arn: 'arn:aws:iam::123456789012:user/svc', createdAt: '2023-02-01T00:00:00.000Z', console: { enabled: false }, mfaActive: false, accessKeys: [] });
  });
});

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, embedded line breaks and a missing final newline', () => {
    expect(parseCsv('a,"b,c","d ""e""","f\r\ng"\r\nh,,i')).toEqual([
      ['a', 'b,c', 'd "e"', 'f\r\ng'],
      ['h', '', 'i'],
    ]);
  });

  it('refuses a quote that never closes', () => {
    expect(() => parseCsv('a,"b\n')).toThrow('ends inside a quoted field');
  });
});
