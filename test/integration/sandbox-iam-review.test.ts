// What access reviews read from IAM and IAM Identity Center, through the shared stack's sandbox
// gateway with the real SDK v3 clients, looks like AWS: the credential report (GeneratedTime, the
// <root_account> row, last-use region and service, per account), time travel for ages (everywhere
// the date shows), AWS managed policies, GetAccountAuthorizationDetails and ListUsers paging, and
// sso-admin / identitystore assignments. Works in an account of its own (created through the bulk
// control endpoint), so other tests' principals and reports are untouched. The last block starts a
// sandbox of its own whose plan names roles in another account, and seeds that account in bulk
// (bench/seed-principals.ts), as the review benchmark does.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  AttachUserPolicyCommand,
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountAuthorizationDetailsCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListRolesCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import type { GetAccountAuthorizationDetailsCommandOutput, RoleDetail, UserDetail } from '@aws-sdk/client-iam';
import { CreateGroupCommand, CreateUserCommand, DescribeGroupCommand, DescribeUserCommand, IdentitystoreClient, ListUsersCommand as ListIdentityStoreUsersCommand } from '@aws-sdk/client-identitystore';
import {
  AttachManagedPolicyToPermissionSetCommand,
  CreateAccountAssignmentCommand,
  CreatePermissionSetCommand,
  DeleteAccountAssignmentCommand,
  DescribeAccountAssignmentCreationStatusCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  DescribePermissionSetCommand,
  ListAccountAssignmentsCommand,
  ListInstancesCommand,
  ListManagedPoliciesInPermissionSetCommand,
  ListPermissionSetsCommand,
  SSOAdminClient,
} from '@aws-sdk/client-sso-admin';
import { DescribeSessionsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { seedPrincipals } from '../../bench/seed-principals';
import { CREDENTIAL_REPORT_COLUMNS, DEFAULT_SEED_PLAN, parseCredentialReport, sandboxControl, startSandbox } from '../../sandbox';
import type { CredentialReportRow, Sandbox, SandboxControl, SandboxPrincipalsResult, SandboxSeed } from '../../sandbox';
import { SandboxControlError } from '../../sandbox/client';
import { startGateway } from '../../sandbox/gateway';
import type { Gateway } from '../../sandbox/gateway';
import { failure } from '../support/aws-calls';
import { sandboxSeed, testStack } from '../support/stack';

jest.setTimeout(60_000);

/** This file's own account: nothing else in the stack lives in it. */
const ACCOUNT = '737373737373';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const DAY = 86_400_000;
const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] });

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const info = testStack();
const endpoint = info.awsEndpoint;
const config = (c: Credentials, region = 'us-east-1') => ({ endpoint, region, credentials: c, maxAttempts: 1 });
let control: SandboxControl;
let created: SandboxPrincipalsResult;
let admin: Credentials;
let iam: IAMClient;

const keyOf = (userName: string): Credentials => {
  const k = created.users.find((u) => u.name === userName)?.accessKeys[0];
  if (!k) throw new Error(`no key for ${userName}`);
  return k;
};
const daysAgo = (d: number) => new Date(Date.now() - d * DAY);
const isoSeconds = (d: Date) => `${d.toISOString().slice(0, 19)}+00:00`;

async function report(client: IAMClient = iam): Promise<{ rows: CredentialReportRow[]; generated: Date; csv: string }> {
  await client.send(new GenerateCredentialReportCommand({}));
  const r = await client.send(new GetCredentialReportCommand({}));
  const csv = Buffer.from(r.Content ?? new Uint8Array()).toString('utf8');
  if (!r.GeneratedTime) throw new Error('no GeneratedTime');
  return { rows: parseCredentialReport(csv), generated: r.GeneratedTime, csv };
}
const rowOf = (rows: CredentialReportRow[], user: string): CredentialReportRow => {
  const row = rows.find((r) => r.user === user);
  if (!row) throw new Error(`no report row for ${user}`);
  return row;
};

async function allAuthorizationDetails(maxItems: number): Promise<{ pages: GetAccountAuthorizationDetailsCommandOutput[]; users: UserDetail[]; roles: RoleDetail[]; groups: string[] }> {
  const pages: GetAccountAuthorizationDetailsCommandOutput[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User', 'Role', 'Group'], MaxItems: maxItems, Marker: marker }));
    pages.push(page);
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker !== undefined && pages.length < 100);
  return {
    pages,
    users: pages.flatMap((p) => p.UserDetailList ?? []),
    roles: pages.flatMap((p) => p.RoleDetailList ?? []),
    groups: pages.flatMap((p) => (p.GroupDetailList ?? []).map((g) => g.GroupName ?? '')),
  };
}

beforeAll(async () => {
  control = sandboxControl(endpoint);
  created = await control.createPrincipals({
    accountId: ACCOUNT,
    groups: [{ name: 'it-readers', managedPolicies: [READ_ONLY] }, { name: 'it-devs' }],
    users: [
      { name: 'it-admin', accessKeys: 1, managedPolicies: [ADMIN] },
      { name: 'it-console', accessKeys: 1, loginProfile: true, mfa: false, tags: [{ Key: 'owner', Value: 'bob' }], groups: ['it-readers'], inlinePolicies: { ReadLogs: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'logs:Get*', Resource: '*' }] }) } },
      { name: 'it-user', accessKeys: 1 },
      { name: 'it-travel', accessKeys: 2, loginProfile: true },
      { name: 'it-newcomer', accessKeys: 1 },
      ...Array.from({ length: 12 }, (_, i) => ({ name: `it-bulk-${i}`, accessKeys: 1, groups: [i % 2 === 0 ? 'it-readers' : 'it-devs'], tags: [{ Key: 'owner', Value: ['alice', 'carol'][i % 2] ?? 'alice' }] })),
    ],
    roles: [
      { name: 'it-deploy', trustPolicy: trust, tags: [{ Key: 'owner', Value: 'carol' }], managedPolicies: [READ_ONLY] },
      ...Array.from({ length: 9 }, (_, i) => ({ name: `it-role-${i}`, trustPolicy: trust })),
    ],
  });
  admin = keyOf('it-admin');
  iam = new IAMClient(config(admin));
});

afterAll(async () => {
  await control?.clearIamAges(ACCOUNT);
  iam?.destroy();
});

describe('the credential report', () => {
  it('is generated now, per account, with the root row first and AWS columns in order', async () => {
    const before = Date.now();
    const first = await iam.send(new GenerateCredentialReportCommand({}));
    expect(first.State).toBe('STARTED');
    const got = await iam.send(new GetCredentialReportCommand({}));
    expect(got.ReportFormat).toBe('text/csv');
    // Not moto's 2015-02-02T20:02:02Z: when it was generated (whole seconds, as AWS).
    expect(got.GeneratedTime?.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(got.GeneratedTime?.getTime()).toBeLessThanOrEqual(Date.now());
    const csv = Buffer.from(got.Content ?? new Uint8Array()).toString('utf8');
    expect(csv.split('\n')[0]).toBe(CREDENTIAL_REPORT_COLUMNS.join(','));
    const rows = parseCredentialReport(csv);
    expect(rows[0]).toMatchObject({
      user: '<root_account>',
      arn: `arn:aws:iam::${ACCOUNT}:root`,
      password_enabled: 'not_supported',
      mfa_active: 'true',
      access_key_1_active: 'false',
      access_key_2_active: 'false',
    });
    expect(rows.slice(1).map((r) => r.user).sort()).toEqual(created.users.map((u) => u.name).sort());
    // A later Generate makes a new report.
    expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('COMPLETE');

    // Another account's caller reads its own account's report.
    const broker = sandboxSeed(info).broker;
    const { rows: mainRows } = await report(new IAMClient(config(broker)));
    expect(mainRows[0]?.arn).toBe(`arn:aws:iam::${sandboxSeed(info).accountId}:root`);
    expect(mainRows.map((r) => r.user)).toContain('alice');
    expect(mainRows.map((r) => r.user)).not.toContain('it-admin');
  });

  it('fills password columns as AWS does: N/A without a password, no_information when never used', async () => {
    const { rows } = await report();
    expect(rowOf(rows, 'it-user')).toMatchObject({ password_enabled: 'false', password_last_used: 'N/A', password_last_changed: 'N/A', password_next_rotation: 'N/A', mfa_active: 'false' });
    const consoleRow = rowOf(rows, 'it-console');
    expect(consoleRow).toMatchObject({ password_enabled: 'true', password_last_used: 'no_information', mfa_active: 'false' });
    expect(consoleRow.password_last_changed).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/);
  });

  it("reflects the root user the control endpoint sets, as GetAccountSummary does", async () => {
    await control.setIamAges({ accountId: ACCOUNT, root: { mfaActive: false, accessKeysActive: 1 } });
    const { rows } = await report();
    expect(rows[0]).toMatchObject({ user: '<root_account>', mfa_active: 'false', access_key_1_active: 'true', access_key_2_active: 'false' });
    const summary = (await iam.send(new GetAccountSummaryCommand({}))).SummaryMap;
    expect(summary).toMatchObject({ AccountMFAEnabled: 0, AccountAccessKeysPresent: 1 });

    await control.clearIamAges(ACCOUNT);
    expect((await report()).rows[0]).toMatchObject({ mfa_active: 'true', access_key_1_active: 'false' });
    expect((await iam.send(new GetAccountSummaryCommand({}))).SummaryMap).toMatchObject({ AccountMFAEnabled: 1, AccountAccessKeysPresent: 0 });
  });

  it("fills a key's last-use region and service once it is used, from moto's calls and the gateway's own", async () => {
    const key = keyOf('it-user');
    const before = (await report()).rows;
    expect(rowOf(before, 'it-user')).toMatchObject({ access_key_1_last_used_date: 'N/A', access_key_1_last_used_region: 'N/A', access_key_1_last_used_service: 'N/A' });

    // A call moto answers, signed for eu-west-1.
    await new STSClient(config(key, 'eu-west-1')).send(new GetCallerIdentityCommand({}));
    const byMoto = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.accessKeyId }));
    expect(byMoto).toMatchObject({ UserName: 'it-user', AccessKeyLastUsed: { ServiceName: 'sts', Region: 'eu-west-1' } });
    expect(Date.now() - (byMoto.AccessKeyLastUsed?.LastUsedDate?.getTime() ?? 0)).toBeLessThan(60_000);
    expect(rowOf((await report()).rows, 'it-user')).toMatchObject({ access_key_1_last_used_region: 'eu-west-1', access_key_1_last_used_service: 'sts' });

    // A call the gateway answers itself (SSM sessions) counts too.
    await new SSMClient(config(key, 'us-west-2')).send(new DescribeSessionsCommand({ State: 'Active' }));
    expect((await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.accessKeyId }))).AccessKeyLastUsed).toMatchObject({ ServiceName: 'ssm', Region: 'us-west-2' });
    expect(rowOf((await report()).rows, 'it-user')).toMatchObject({ access_key_1_last_used_region: 'us-west-2', access_key_1_last_used_service: 'ssm' });
  });

  it('answers ReportInProgress while an account\'s first report is generated (a gateway with a generation time)', async () => {
    let slow: Gateway | undefined;
    try {
      slow = await startGateway({ motoEndpoint: sandboxSeed(info).motoEndpoint, credentialReportMs: 1_500 });
      const client = new IAMClient({ ...config(admin), endpoint: slow.endpoint });
      expect((await client.send(new GenerateCredentialReportCommand({}))).State).toBe('STARTED');
      // AWS's error code ReportInProgress, which the SDK models as CredentialReportNotReadyException.
      const inProgress = await failure(client.send(new GetCredentialReportCommand({})));
      expect(inProgress).toMatchObject({ name: 'CredentialReportNotReadyException', Code: 'ReportInProgress', $metadata: { httpStatusCode: 404 } });
      expect((await client.send(new GenerateCredentialReportCommand({}))).State).toBe('INPROGRESS');
      await new Promise((r) => setTimeout(r, 1_600));
      expect((await client.send(new GetCredentialReportCommand({}))).Content?.length).toBeGreaterThan(0);
      client.destroy();
    } finally {
      await slow?.stop();
    }
  });
});

describe('time travel', () => {
  it('sets key, password and role ages everywhere IAM shows them, and clears them', async () => {
    const [k1, k2] = created.users.find((u) => u.name === 'it-travel')?.accessKeys ?? [];
    if (!k1 || !k2) throw new Error('it-travel has no keys');
    const keyCreated = daysAgo(200);
    const keyUsed = daysAgo(150);
    const passwordUsed = daysAgo(120);
    const roleCreated = daysAgo(300);
    const roleUsed = daysAgo(100);
    // Once: computed again at the assertion, a second boundary crossed in between would fail it.
    const key2Created = daysAgo(10);
    await control.setIamAges([
      { accountId: ACCOUNT, userName: 'it-travel', accessKeyId: k1.accessKeyId, createdAt: keyCreated, lastUsedAt: keyUsed, lastUsedService: 's3', lastUsedRegion: 'eu-west-1' },
      { accountId: ACCOUNT, userName: 'it-travel', accessKeyId: k2.accessKeyId, createdAt: key2Created, lastUsedAt: null },
      { accountId: ACCOUNT, userName: 'it-travel', passwordLastUsedAt: passwordUsed },
      { accountId: ACCOUNT, roleName: 'it-deploy', createdAt: roleCreated, lastUsedAt: roleUsed, lastUsedRegion: 'us-west-2' },
    ]);
    const sec = (d: Date | undefined) => Math.floor((d?.getTime() ?? 0) / 1000);

    const keys = (await iam.send(new ListAccessKeysCommand({ UserName: 'it-travel' }))).AccessKeyMetadata ?? [];
    expect(sec(keys.find((k) => k.AccessKeyId === k1.accessKeyId)?.CreateDate)).toBe(sec(keyCreated));
    const lastUsed = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k1.accessKeyId }));
    expect(lastUsed.AccessKeyLastUsed).toMatchObject({ ServiceName: 's3', Region: 'eu-west-1' });
    expect(sec(lastUsed.AccessKeyLastUsed?.LastUsedDate)).toBe(sec(keyUsed));

    // A key cannot be older than its user: the user's creation moved back with it.
    const user = (await iam.send(new GetUserCommand({ UserName: 'it-travel' }))).User;
    expect(sec(user?.CreateDate)).toBe(sec(keyCreated));
    expect(sec(user?.PasswordLastUsed)).toBe(sec(passwordUsed));
    const listed = await allUsers();
    expect(sec(listed.find((u) => u.UserName === 'it-travel')?.PasswordLastUsed)).toBe(sec(passwordUsed));

    const role = (await iam.send(new GetRoleCommand({ RoleName: 'it-deploy' }))).Role;
    expect(sec(role?.CreateDate)).toBe(sec(roleCreated));
    expect(sec(role?.RoleLastUsed?.LastUsedDate)).toBe(sec(roleUsed));
    expect(role?.RoleLastUsed?.Region).toBe('us-west-2');
    const detailed = (await allAuthorizationDetails(1000)).roles.find((r) => r.RoleName === 'it-deploy');
    expect(sec(detailed?.RoleLastUsed?.LastUsedDate)).toBe(sec(roleUsed));

    expect(rowOf((await report()).rows, 'it-travel')).toMatchObject({
      user_creation_time: isoSeconds(keyCreated),
      password_last_used: isoSeconds(passwordUsed),
      access_key_1_last_rotated: isoSeconds(keyCreated),
      access_key_1_last_used_date: isoSeconds(keyUsed),
      access_key_1_last_used_region: 'eu-west-1',
      access_key_1_last_used_service: 's3',
      access_key_2_last_rotated: isoSeconds(key2Created),
      access_key_2_last_used_date: 'N/A',
    });
    expect((await control.iamAges()).overrides.filter((o) => o.accountId === ACCOUNT && o.inForce).length).toBeGreaterThanOrEqual(7);

    // A real use after the travel is the key's last use, as in AWS; clearing keeps it.
    await new STSClient(config(k1)).send(new GetCallerIdentityCommand({}));
    expect((await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k1.accessKeyId }))).AccessKeyLastUsed?.ServiceName).toBe('sts');
    await control.clearIamAges(ACCOUNT);
    const after = (await iam.send(new ListAccessKeysCommand({ UserName: 'it-travel' }))).AccessKeyMetadata ?? [];
    expect(Date.now() - (after.find((k) => k.AccessKeyId === k1.accessKeyId)?.CreateDate?.getTime() ?? 0)).toBeLessThan(DAY);
    expect((await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k1.accessKeyId }))).AccessKeyLastUsed?.ServiceName).toBe('sts');
    expect((await iam.send(new GetUserCommand({ UserName: 'it-travel' }))).User?.PasswordLastUsed).toBeUndefined();
    expect((await iam.send(new GetRoleCommand({ RoleName: 'it-deploy' }))).Role?.RoleLastUsed?.LastUsedDate).toBeUndefined();
  });

  it('refuses bad input with 400 and the problem, and unknown principals with 404, changing nothing', async () => {
    const bad = await failure(control.setIamAges({ accountId: ACCOUNT, userName: 'it-user', accessKeyId: keyOf('it-user').accessKeyId, createdAt: 'last spring' }));
    expect(bad).toBeInstanceOf(SandboxControlError);
    expect((bad as SandboxControlError).status).toBe(400);
    expect(bad.message).toContain('createdAt must be an ISO 8601 date-time with a time zone');

    const unknown = await failure(
      control.setIamAges([
        { accountId: ACCOUNT, userName: 'it-user', passwordLastUsedAt: null },
        { accountId: ACCOUNT, userName: 'it-nobody', createdAt: daysAgo(5) },
      ]),
    );
    expect((unknown as SandboxControlError).status).toBe(404);
    expect(unknown.message).toContain(`no user it-nobody in account ${ACCOUNT}`);

    const before = await failure(control.setIamAges({ accountId: ACCOUNT, roleName: 'it-role-0', lastUsedAt: daysAgo(400) }));
    expect((before as SandboxControlError).status).toBe(400);
    expect(before.message).toContain('before it was created');
    expect((await control.iamAges()).overrides.filter((o) => o.accountId === ACCOUNT)).toEqual([]);

    const raw = await fetch(`${endpoint}/_sandbox/iam/ages`, { method: 'POST', body: '{not json' });
    expect(raw.status).toBe(400);
  });
});

async function allUsers() {
  const users = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListUsersCommand({ Marker: marker, MaxItems: 7 }));
    users.push(...(page.Users ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker !== undefined);
  return users;
}

describe('AWS managed policies', () => {
  it('can be attached (moto loads them) and show in GetAccountAuthorizationDetails, the unused ones left out', async () => {
    await iam.send(new AttachUserPolicyCommand({ UserName: 'it-newcomer', PolicyArn: ADMIN }));
    const attached = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'it-newcomer' }));
    expect(attached.AttachedPolicies).toEqual([{ PolicyName: 'AdministratorAccess', PolicyArn: ADMIN }]);
    const policies = (await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['AWSManagedPolicy'], MaxItems: 1000 }))).Policies ?? [];
    expect(policies.map((p) => p.Arn).sort()).toEqual([ADMIN, READ_ONLY]);
    // it-admin's and it-newcomer's.
    expect(policies.find((p) => p.Arn === ADMIN)?.AttachmentCount).toBe(2);
  });
});

describe('GetAccountAuthorizationDetails', () => {
  it('pages users, groups and roles by MaxItems with IsTruncated and Marker, each once', async () => {
    const { pages, users, roles, groups } = await allAuthorizationDetails(5);
    const expected = created.users.length + created.roles.length + created.groups.length;
    expect(pages.length).toBe(Math.ceil(expected / 5));
    for (const p of pages.slice(0, -1)) {
      expect(p.IsTruncated).toBe(true);
      expect(p.Marker).toEqual(expect.any(String));
      expect((p.UserDetailList?.length ?? 0) + (p.RoleDetailList?.length ?? 0) + (p.GroupDetailList?.length ?? 0)).toBe(5);
    }
    expect(pages.at(-1)?.IsTruncated).toBe(false);
    expect(pages.at(-1)?.Marker).toBeUndefined();
    expect(users.map((u) => u.UserName).sort()).toEqual(created.users.map((u) => u.name).sort());
    expect(roles.map((r) => r.RoleName).sort()).toEqual(created.roles.map((r) => r.name).sort());
    expect(groups.sort()).toEqual(['it-devs', 'it-readers']);

    // Without MaxItems, AWS answers at most 100 items; a bad MaxItems is IAM's ValidationError.
    const whole = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User'] }));
    expect(whole.IsTruncated).toBe(false);
    expect(whole.UserDetailList).toHaveLength(created.users.length);
    expect(await failure(iam.send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 0 })))).toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    expect(await failure(iam.send(new GetAccountAuthorizationDetailsCommand({ Marker: 'made-up' })))).toMatchObject({ name: 'ValidationError' });
  });

  it("shows what a review needs of users and roles, as AWS writes it", async () => {
    const { users, roles } = await allAuthorizationDetails(1000);
    const consoleUser = users.find((u) => u.UserName === 'it-console');
    expect(consoleUser).toMatchObject({
      Arn: `arn:aws:iam::${ACCOUNT}:user/it-console`,
      GroupList: ['it-readers'],
      Tags: [{ Key: 'owner', Value: 'bob' }],
      UserPolicyList: [{ PolicyName: 'ReadLogs' }],
    });
    expect(JSON.parse(decodeURIComponent(consoleUser?.UserPolicyList?.[0]?.PolicyDocument ?? ''))).toMatchObject({ Statement: [{ Action: 'logs:Get*' }] });
    expect(users.find((u) => u.UserName === 'it-admin')?.AttachedManagedPolicies).toEqual([{ PolicyName: 'AdministratorAccess', PolicyArn: ADMIN }]);

    const deploy = roles.find((r) => r.RoleName === 'it-deploy');
    expect(deploy).toMatchObject({ Tags: [{ Key: 'owner', Value: 'carol' }], AttachedManagedPolicies: [{ PolicyName: 'ReadOnlyAccess', PolicyArn: READ_ONLY }], RolePolicyList: [] });
    expect(deploy?.RoleLastUsed).toBeDefined();
    // URL-encoded, as IAM sends every policy document (moto sends this one as plain JSON).
    expect(deploy?.AssumeRolePolicyDocument).toMatch(/^%7B/);
    expect(JSON.parse(decodeURIComponent(deploy?.AssumeRolePolicyDocument ?? ''))).toEqual(JSON.parse(trust));
    const listed = (await iam.send(new ListRolesCommand({ MaxItems: 1000 }))).Roles?.find((r) => r.RoleName === 'it-deploy');
    expect(listed?.AssumeRolePolicyDocument).toMatch(/^%7B/);
  });
});

describe('IAM Identity Center', () => {
  it('passes sso-admin and identitystore through; an assignment is created once, deleted with its own request, and gone', async () => {
    const sso = new SSOAdminClient(config(admin));
    const ids = new IdentitystoreClient(config(admin));
    const [instance] = (await sso.send(new ListInstancesCommand({}))).Instances ?? [];
    const InstanceArn = instance?.InstanceArn;
    const IdentityStoreId = instance?.IdentityStoreId;
    expect(InstanceArn).toMatch(/^arn:aws:sso:::instance\/ssoins-/);

    const ps = (await sso.send(new CreatePermissionSetCommand({ InstanceArn, Name: 'ItAdmin', SessionDuration: 'PT4H' }))).PermissionSet;
    const PermissionSetArn = ps?.PermissionSetArn;
    await sso.send(new AttachManagedPolicyToPermissionSetCommand({ InstanceArn, PermissionSetArn, ManagedPolicyArn: ADMIN }));
    expect((await sso.send(new ListPermissionSetsCommand({ InstanceArn }))).PermissionSets).toContain(PermissionSetArn);
    expect((await sso.send(new DescribePermissionSetCommand({ InstanceArn, PermissionSetArn }))).PermissionSet).toMatchObject({ Name: 'ItAdmin', SessionDuration: 'PT4H' });
    expect((await sso.send(new ListManagedPoliciesInPermissionSetCommand({ InstanceArn, PermissionSetArn }))).AttachedManagedPolicies).toEqual([{ Name: 'AdministratorAccess', Arn: ADMIN }]);

    const UserId = (await ids.send(new CreateUserCommand({ IdentityStoreId, UserName: 'erin', DisplayName: 'Erin Example', Name: { GivenName: 'Erin', FamilyName: 'Example' }, Emails: [{ Value: 'erin@example.com', Primary: true }] }))).UserId;
    expect((await ids.send(new DescribeUserCommand({ IdentityStoreId, UserId }))).Emails?.[0]?.Value).toBe('erin@example.com');
    expect((await ids.send(new ListIdentityStoreUsersCommand({ IdentityStoreId }))).Users?.map((u) => u.UserName)).toContain('erin');
    const GroupId = (await ids.send(new CreateGroupCommand({ IdentityStoreId, DisplayName: 'it-oncall' }))).GroupId;
    expect((await ids.send(new DescribeGroupCommand({ IdentityStoreId, GroupId }))).DisplayName).toBe('it-oncall');

    const assignment = { InstanceArn, PermissionSetArn, TargetId: ACCOUNT, TargetType: 'AWS_ACCOUNT' as const };
    const created1 = (await sso.send(new CreateAccountAssignmentCommand({ ...assignment, PrincipalType: 'USER', PrincipalId: UserId }))).AccountAssignmentCreationStatus;
    expect(created1).toMatchObject({ Status: 'SUCCEEDED', PrincipalId: UserId });
    await sso.send(new CreateAccountAssignmentCommand({ ...assignment, PrincipalType: 'GROUP', PrincipalId: GroupId }));
    // Assigning again is no second assignment (moto would list it twice).
    const again = (await sso.send(new CreateAccountAssignmentCommand({ ...assignment, PrincipalType: 'USER', PrincipalId: UserId }))).AccountAssignmentCreationStatus;
    expect(again?.Status).toBe('SUCCEEDED');

    const listed = [];
    let NextToken: string | undefined;
    do {
      const page = await sso.send(new ListAccountAssignmentsCommand({ InstanceArn, AccountId: ACCOUNT, PermissionSetArn, MaxResults: 1, NextToken }));
      listed.push(...(page.AccountAssignments ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    expect(listed.map((a) => `${a.PrincipalType}:${a.PrincipalId}`).sort()).toEqual([`GROUP:${GroupId}`, `USER:${UserId}`]);

    const deletion = (await sso.send(new DeleteAccountAssignmentCommand({ ...assignment, PrincipalType: 'USER', PrincipalId: UserId }))).AccountAssignmentDeletionStatus;
    expect(deletion?.RequestId).toEqual(expect.any(String));
    expect(deletion?.RequestId).not.toBe(created1?.RequestId);
    expect((await sso.send(new DescribeAccountAssignmentDeletionStatusCommand({ InstanceArn, AccountAssignmentDeletionRequestId: deletion?.RequestId }))).AccountAssignmentDeletionStatus).toMatchObject({
      Status: 'SUCCEEDED',
      PrincipalId: UserId,
    });
    expect((await sso.send(new DescribeAccountAssignmentCreationStatusCommand({ InstanceArn, AccountAssignmentCreationRequestId: created1?.RequestId }))).AccountAssignmentCreationStatus?.Status).toBe('SUCCEEDED');
    const remaining = (await sso.send(new ListAccountAssignmentsCommand({ InstanceArn, AccountId: ACCOUNT, PermissionSetArn }))).AccountAssignments ?? [];
    expect(remaining.map((a) => a.PrincipalId)).toEqual([GroupId]);

    const gone = await failure(sso.send(new DeleteAccountAssignmentCommand({ ...assignment, PrincipalType: 'USER', PrincipalId: UserId })));
    expect(gone.name).toBe('ResourceNotFoundException');
    expect(gone.message).toBe('The specified account assignment does not exist.');

    const calls = await control.calls({ service: 'sso', action: 'DeleteAccountAssignment' });
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect((await control.calls({ service: 'identitystore', action: 'CreateUser' })).length).toBeGreaterThanOrEqual(1);
    sso.destroy();
    ids.destroy();
  });
});

describe("a policy's other accounts", () => {
  const OTHER = '111111111111';
  let sb: Sandbox<SandboxSeed>;
  let dir: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-iam-review-'));
    sb = await startSandbox({
      dataDir: dir,
      plan: {
        ...DEFAULT_SEED_PLAN,
        executionRoleArns: [`arn:aws:iam::${OTHER}:role/SafeguardExecution`],
        roleArns: [...DEFAULT_SEED_PLAN.roleArns, `arn:aws:iam::${OTHER}:role/BreakGlassAdmin`],
        rdsInstances: [],
        dynamoTables: [],
        backupVaults: [],
      },
    });
  }, 90_000);

  afterAll(async () => {
    await sb?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('seeds their roles there; the execution role there reads a bulk-seeded inventory and its own account\'s report', async () => {
    const seeded = await seedPrincipals({ endpoint: sb.endpoint, accounts: [OTHER], perAccount: 30, people: ['alice', 'bob'] });
    expect(seeded.accounts[0]).toMatchObject({ accountId: OTHER, users: 30, roles: 30, groups: 3 });

    const assumed = await new STSClient({ ...config(sb.seed.broker), endpoint: sb.endpoint }).send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${OTHER}:role/SafeguardExecution`, RoleSessionName: 'review-inventory', ExternalId: sb.seed.externalId }),
    );
    const c = assumed.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('AssumeRole returned no credentials');
    const exec = { endpoint: sb.endpoint, region: 'us-east-1', credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken }, maxAttempts: 1 };
    expect((await new STSClient(exec).send(new GetCallerIdentityCommand({}))).Account).toBe(OTHER);

    const other = new IAMClient(exec);
    const role = (await other.send(new GetRoleCommand({ RoleName: 'BreakGlassAdmin' }))).Role;
    expect(role?.Arn).toBe(`arn:aws:iam::${OTHER}:role/BreakGlassAdmin`);
    expect(JSON.parse(decodeURIComponent(role?.AssumeRolePolicyDocument ?? ''))).toMatchObject({ Statement: [{ Principal: { AWS: sb.seed.broker.arn } }] });
    // The session's use shows on the role it came from, with its region (moto records no region).
    const exe = (await other.send(new GetRoleCommand({ RoleName: 'SafeguardExecution' }))).Role;
    expect(exe?.RoleLastUsed?.Region).toBe('us-east-1');

    const users = [];
    let Marker: string | undefined;
    do {
      const page = await other.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User'], MaxItems: 7, Marker }));
      users.push(...(page.UserDetailList ?? []));
      Marker = page.IsTruncated ? page.Marker : undefined;
    } while (Marker !== undefined);
    expect(users).toHaveLength(30);
    expect(users.every((u) => u.Arn?.startsWith(`arn:aws:iam::${OTHER}:user/sg-user-`))).toBe(true);
    expect(users.some((u) => u.Tags?.some((t) => t.Key === 'owner' && ['alice', 'bob'].includes(t.Value ?? '')))).toBe(true);

    const { rows } = await report(other);
    expect(rows[0]?.arn).toBe(`arn:aws:iam::${OTHER}:root`);
    expect(rows).toHaveLength(31);
    // Seeded ages: every user and key is dated in the past, some keys never used, some over 90 days ago.
    const keyUse = rows.slice(1).map((r) => r.access_key_1_last_used_date);
    expect(keyUse.some((d) => d === 'N/A' || Date.now() - Date.parse(d) > 90 * DAY)).toBe(true);
    expect(rows.slice(1).every((r) => Date.now() - Date.parse(r.user_creation_time) >= 29 * DAY)).toBe(true);
    other.destroy();
  });
});
