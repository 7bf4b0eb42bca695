// The credential report the gateway builds (sandbox/iam-credential-report.ts): AWS's columns and
// values from moto's facts and the root user, CSV quoting, and the report's life per account.

import {
  CREDENTIAL_REPORT_COLUMNS,
  CredentialReports,
  buildCredentialReport,
  csvField,
  parseCredentialReport,
  reportDate,
  userRow,
} from '../../sandbox/iam-credential-report';
import type { CredentialFacts, UserCredentialFacts } from '../../sandbox/moto-hooks';

const A = '111111111111';

const user = (over: Partial<UserCredentialFacts> = {}): UserCredentialFacts => ({
  name: 'alice',
  arn: `arn:aws:iam::${A}:user/alice`,
  created: '2025-01-02T03:04:05Z',
  passwordEnabled: false,
  passwordLastUsed: null,
  passwordLastChanged: null,
  mfaActive: false,
  accessKeys: [],
  certificates: [],
  ...over,
});

const facts = (users: UserCredentialFacts[], over: Partial<CredentialFacts> = {}): CredentialFacts => ({
  accountId: A,
  accountCreated: '2024-05-06T07:08:09Z',
  passwordMaxAgeDays: null,
  users,
  ...over,
});

describe('buildCredentialReport', () => {
  it("writes AWS's header in AWS's order, the root row first, then every user", () => {
    const csv = buildCredentialReport(facts([user(), user({ name: 'bob', arn: `arn:aws:iam::${A}:user/bob` })]), { mfaActive: true, accessKeysActive: 0 });
    const lines = csv.split('\n');
    expect(lines[0]).toBe(
      'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated',
    );
    expect(lines[1]).toBe(
      `<root_account>,arn:aws:iam::${A}:root,2024-05-06T07:08:09+00:00,not_supported,no_information,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`,
    );
    expect(lines[2]).toBe(`alice,arn:aws:iam::${A}:user/alice,2025-01-02T03:04:05+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`);
    expect(lines.slice(3)).toEqual([expect.stringMatching(/^bob,/) as string, '']);
  });

  it('shows a root user without MFA, with keys and a sign-in, as the control endpoint set it', () => {
    const [root] = parseCredentialReport(
      buildCredentialReport(facts([]), { mfaActive: false, accessKeysActive: 2, keysSince: '2026-01-01T00:00:00.000Z', passwordLastUsedAt: '2026-02-01T10:00:00.000Z' }),
    );
    expect(root).toMatchObject({
      user: '<root_account>',
      mfa_active: 'false',
      password_last_used: '2026-02-01T10:00:00+00:00',
      access_key_1_active: 'true',
      access_key_1_last_rotated: '2026-01-01T00:00:00+00:00',
      access_key_2_active: 'true',
      access_key_1_last_used_date: 'N/A',
    });
  });

  it("fills each key's slot with its state, age and last use, and N/A for a key never used", () => {
    const row = userRow(
      user({
        accessKeys: [
          { accessKeyId: 'AKIA1', active: true, created: '2025-02-01T00:00:00Z', lastUsed: { at: '2026-01-01T12:30:00Z', service: 's3', region: 'eu-west-1' } },
          { accessKeyId: 'AKIA2', active: false, created: '2025-03-01T00:00:00Z', lastUsed: null },
        ],
      }),
      null,
    );
    expect(row).toMatchObject({
      access_key_1_active: 'true',
      access_key_1_last_rotated: '2025-02-01T00:00:00+00:00',
      access_key_1_last_used_date: '2026-01-01T12:30:00+00:00',
      access_key_1_last_used_region: 'eu-west-1',
      access_key_1_last_used_service: 's3',
      access_key_2_active: 'false',
      access_key_2_last_rotated: '2025-03-01T00:00:00+00:00',
      access_key_2_last_used_date: 'N/A',
      access_key_2_last_used_region: 'N/A',
      access_key_2_last_used_service: 'N/A',
    });
  });

  it('password columns: N/A without a password, no_information when never used, the rotation date under a max-age policy', () => {
    expect(userRow(user(), 90)).toMatchObject({ password_enabled: 'false', password_last_used: 'N/A', password_last_changed: 'N/A', password_next_rotation: 'N/A' });
    const console = user({ passwordEnabled: true, passwordLastChanged: '2026-01-01T00:00:00Z', mfaActive: true });
    expect(userRow(console, null)).toMatchObject({ password_enabled: 'true', password_last_used: 'no_information', password_last_changed: '2026-01-01T00:00:00+00:00', password_next_rotation: 'N/A', mfa_active: 'true' });
    expect(userRow({ ...console, passwordLastUsed: '2026-03-04T05:06:07Z' }, 90)).toMatchObject({ password_last_used: '2026-03-04T05:06:07+00:00', password_next_rotation: '2026-04-01T00:00:00+00:00' });
    // AWS: a user without a password shows N/A even if it used one before.
    expect(userRow(user({ passwordLastUsed: '2026-03-04T05:06:07Z' }), null).password_last_used).toBe('N/A');
  });

  it('quotes fields with commas or quotes (IAM names may contain commas) and reads them back', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('plain')).toBe('plain');
    const odd = user({ name: 'ops,oncall', arn: `arn:aws:iam::${A}:user/ops,oncall` });
    const rows = parseCredentialReport(buildCredentialReport(facts([odd]), { mfaActive: true, accessKeysActive: 0 }));
    expect(rows[1]).toMatchObject({ user: 'ops,oncall', arn: `arn:aws:iam::${A}:user/ops,oncall` });
    expect(Object.keys(rows[1] ?? {})).toEqual([...CREDENTIAL_REPORT_COLUMNS]);
  });

  it('writes dates as AWS does: whole seconds with +00:00', () => {
    expect(reportDate('2026-01-02T03:04:05.678Z')).toBe('2026-01-02T03:04:05+00:00');
  });
});

describe('CredentialReports', () => {
  it('has no report before the first Generate, then STARTED; later Generates make a new report (COMPLETE)', async () => {
    let now = Date.parse('2026-06-01T00:00:00Z');
    const reports = new CredentialReports({ now: () => now });
    expect(reports.get(A)).toEqual({ state: 'absent' });
    expect(await reports.generate(A, () => Promise.resolve('v1'))).toBe('STARTED');
    expect(reports.get(A)).toEqual({ state: 'ready', csv: 'v1', generatedAt: now });
    now += 60_000;
    expect(await reports.generate(A, () => Promise.resolve('v2'))).toBe('COMPLETE');
    expect(reports.get(A)).toEqual({ state: 'ready', csv: 'v2', generatedAt: now });
    expect(reports.get('222222222222')).toEqual({ state: 'absent' });
  });

  it("keeps an account's first report in progress for generationMs: ReportInProgress, and Generate says INPROGRESS", async () => {
    let now = 1_000_000;
    const reports = new CredentialReports({ generationMs: 5_000, now: () => now });
    expect(await reports.generate(A, () => Promise.resolve('csv'))).toBe('STARTED');
    expect(reports.get(A)).toEqual({ state: 'in-progress' });
    now += 1_000;
    expect(await reports.generate(A, () => Promise.reject(new Error('not rebuilt while in progress')))).toBe('INPROGRESS');
    now += 4_000;
    expect(reports.get(A)).toEqual({ state: 'ready', csv: 'csv', generatedAt: 1_000_000 });
    // Later reports are ready at once.
    expect(await reports.generate(A, () => Promise.resolve('csv2'))).toBe('COMPLETE');
    expect(reports.get(A)).toMatchObject({ state: 'ready', csv: 'csv2' });
  });

  it('shares one build between concurrent Generates of an account', async () => {
    const reports = new CredentialReports();
    let builds = 0;
    let release: (csv: string) => void = () => undefined;
    const build = () => {
      builds++;
      return new Promise<string>((r) => (release = r));
    };
    const first = reports.generate(A, build);
    const second = reports.generate(A, build);
    release('csv');
    expect(await Promise.all([first, second])).toEqual(['STARTED', 'STARTED']);
    expect(builds).toBe(1);
  });
});
