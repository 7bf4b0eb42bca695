// The AWS sandbox end to end: real SDK clients → gateway → moto (or the gateway's own SSM APIs).
// Starts its own sandbox; does not depend on the integration global setup.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  DescribeSessionsCommand,
  GetParameterCommand,
  PutParameterCommand,
  SSMClient,
  StartSessionCommand,
  TerminateSessionCommand,
} from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { readSandboxFile, sandboxControl, startSandbox } from '../../sandbox';
import type { Sandbox, SandboxControl } from '../../sandbox';

interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

jest.setTimeout(60_000);

let sandbox: Sandbox;
let control: SandboxControl;
let dataDir: string;

const clientConfig = (credentials: AwsCredentialIdentity) => ({
  endpoint: sandbox.endpoint,
  region: sandbox.region,
  credentials,
  maxAttempts: 1,
});

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-sandbox-test-'));
  sandbox = await startSandbox({ dataDir });
  control = sandboxControl(sandbox.endpoint);
}, 90_000);

afterAll(async () => {
  await sandbox?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

afterEach(async () => {
  await control.clearFaults();
});

async function assumeBreakGlass(sessionName: string): Promise<{ creds: AwsCredentialIdentity; arn: string }> {
  const { broker, roles } = sandbox.seed;
  const sts = new STSClient(clientConfig({ accessKeyId: broker.accessKeyId, secretAccessKey: broker.secretAccessKey }));
  const out = await sts.send(
    new AssumeRoleCommand({
      RoleArn: roles.BreakGlassAdmin,
      RoleSessionName: sessionName,
      SourceIdentity: 'alice',
      DurationSeconds: 900,
      Tags: [
        { Key: 'safeguard:grant', Value: sessionName },
        { Key: 'safeguard:ticket', Value: 'INC-1' },
      ],
    }),
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !out.AssumedRoleUser?.Arn) throw new Error('no credentials');
  return {
    creds: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
    arn: out.AssumedRoleUser.Arn,
  };
}

it('is healthy and wrote sandbox.json', async () => {
  expect(await control.health()).toBe(true);
  const file = await readSandboxFile(dataDir);
  expect(file.endpoint).toBe(sandbox.endpoint);
  expect(file.people.alice.arn).toBe('arn:aws:iam::123456789012:user/alice');
  expect(file.instances).toHaveLength(2);
  expect(file.roles.BreakGlassAdmin).toBe('arn:aws:iam::123456789012:role/BreakGlassAdmin');
});

it("answers GetCallerIdentity with alice's ARN for alice's keys", async () => {
  const { alice } = sandbox.seed.people;
  const sts = new STSClient(clientConfig({ accessKeyId: alice.accessKeyId, secretAccessKey: alice.secretAccessKey }));
  const id = await sts.send(new GetCallerIdentityCommand({}));
  expect(id.Arn).toBe(alice.arn);
  expect(id.Account).toBe(sandbox.seed.accountId);
});

it('lets the broker assume BreakGlassAdmin with SourceIdentity and logs the call without secrets', async () => {
  const since = Math.max(0, ...(await control.calls()).map((c) => c.seq));
  const { creds, arn } = await assumeBreakGlass('grant-assume');
  expect(arn).toBe(`arn:aws:sts::${sandbox.seed.accountId}:assumed-role/BreakGlassAdmin/grant-assume`);

  const sts = new STSClient(clientConfig(creds));
  const id = await sts.send(new GetCallerIdentityCommand({}));
  expect(id.Arn).toBe(arn);

  const calls = await control.calls({ since, service: 'sts', action: 'AssumeRole' });
  expect(calls).toHaveLength(1);
  expect(calls[0]).toMatchObject({
    service: 'sts',
    action: 'AssumeRole',
    status: 200,
    caller: sandbox.seed.broker.arn,
    params: expect.objectContaining({ SourceIdentity: 'alice', RoleSessionName: 'grant-assume', 'Tags.member.1.Key': 'safeguard:grant' }),
  });
  const everything = JSON.stringify(await control.calls());
  expect(everything).not.toContain(creds.secretAccessKey);
  expect(everything).not.toContain(creds.sessionToken);
  expect(everything).not.toContain(sandbox.seed.broker.secretAccessKey);
});

it('enforces the break-glass trust policy like AWS (moto does not)', async () => {
  const { alice, bob } = sandbox.seed.people;
  const { broker, roles, externalId } = sandbox.seed;
  const asAlice = new STSClient(clientConfig({ accessKeyId: alice.accessKeyId, secretAccessKey: alice.secretAccessKey }));
  await expect(
    asAlice.send(new AssumeRoleCommand({ RoleArn: roles.BreakGlassAdmin, RoleSessionName: 'self-serve', SourceIdentity: 'alice' })),
  ).rejects.toMatchObject({ name: 'AccessDenied', $metadata: expect.objectContaining({ httpStatusCode: 403 }) });

  const asBroker = new STSClient(clientConfig({ accessKeyId: broker.accessKeyId, secretAccessKey: broker.secretAccessKey }));
  // SourceIdentity is mandatory on break-glass roles.
  await expect(asBroker.send(new AssumeRoleCommand({ RoleArn: roles.BreakGlassReadOnly, RoleSessionName: 'no-source' }))).rejects.toMatchObject({
    name: 'AccessDenied',
  });
  // Longer than the role's MaxSessionDuration.
  await expect(
    asBroker.send(new AssumeRoleCommand({ RoleArn: roles.BreakGlassAdmin, RoleSessionName: 'long', SourceIdentity: 'bob', DurationSeconds: 7200 })),
  ).rejects.toMatchObject({ name: 'ValidationError' });
  // The execution role needs the ExternalId; a role that does not exist cannot be assumed.
  await expect(asBroker.send(new AssumeRoleCommand({ RoleArn: roles.SafeguardExecution, RoleSessionName: 'w' }))).rejects.toMatchObject({
    name: 'AccessDenied',
  });
  const exec = await asBroker.send(new AssumeRoleCommand({ RoleArn: roles.SafeguardExecution, RoleSessionName: 'worker', ExternalId: externalId }));
  expect(exec.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${sandbox.seed.accountId}:assumed-role/SafeguardExecution/worker`);
  await expect(
    asBroker.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${sandbox.seed.accountId}:role/DoesNotExist`, RoleSessionName: 'x' })),
  ).rejects.toMatchObject({ name: 'AccessDenied' });

  // AWS echoes SourceIdentity in the AssumeRole result; the gateway adds it to moto's answer.
  const ok = await asBroker.send(
    new AssumeRoleCommand({ RoleArn: roles.BreakGlassReadOnly, RoleSessionName: 'ro', SourceIdentity: 'bob', Tags: [{ Key: 'k', Value: 'v' }] }),
  );
  expect(ok.SourceIdentity).toBe('bob');
  expect(bob.userName).toBe('bob');
});

it('serves SSM sessions: start, list by owner, terminate, unknown target', async () => {
  const { creds, arn } = await assumeBreakGlass('grant-ssm');
  const ssm = new SSMClient(clientConfig(creds));
  const target = sandbox.seed.instances[0] ?? '';

  const started = await ssm.send(new StartSessionCommand({ Target: target }));
  expect(started.SessionId).toMatch(/^grant-ssm-[0-9a-f]+$/);
  expect(started.TokenValue).toBeTruthy();
  expect(started.StreamUrl).toMatch(/^wss:\/\//);

  const active = await ssm.send(new DescribeSessionsCommand({ State: 'Active', Filters: [{ key: 'Owner', value: arn }] }));
  expect(active.Sessions?.map((s) => s.SessionId)).toEqual([started.SessionId]);
  expect(active.Sessions?.[0]).toMatchObject({ Target: target, Status: 'Connected', Owner: arn });
  expect(active.Sessions?.[0]?.StartDate).toBeInstanceOf(Date);

  const term = await ssm.send(new TerminateSessionCommand({ SessionId: started.SessionId }));
  expect(term.SessionId).toBe(started.SessionId);
  await ssm.send(new TerminateSessionCommand({ SessionId: started.SessionId })); // idempotent

  const stillActive = await ssm.send(new DescribeSessionsCommand({ State: 'Active', Filters: [{ key: 'Owner', value: arn }] }));
  expect(stillActive.Sessions).toEqual([]);
  const history = await ssm.send(new DescribeSessionsCommand({ State: 'History', Filters: [{ key: 'Owner', value: arn }] }));
  expect(history.Sessions?.[0]).toMatchObject({ SessionId: started.SessionId, Status: 'Terminated' });
  expect(history.Sessions?.[0]?.EndDate).toBeInstanceOf(Date);

  await expect(ssm.send(new StartSessionCommand({ Target: 'i-00000000000000000' }))).rejects.toMatchObject({
    name: 'TargetNotConnected',
    $metadata: expect.objectContaining({ httpStatusCode: 400 }),
  });

  const all = await control.sessions();
  expect(all.find((s) => s.SessionId === started.SessionId)).toMatchObject({ Status: 'Terminated', Owner: arn });
  const everything = JSON.stringify(await control.calls());
  expect(everything).not.toContain(started.TokenValue);
});

it('injects throttling and clears it; rejects bad fault bodies', async () => {
  const { bob } = sandbox.seed.people;
  const sts = new STSClient(clientConfig({ accessKeyId: bob.accessKeyId, secretAccessKey: bob.secretAccessKey }));

  const { id } = await control.addFault({ service: 'sts', kind: 'throttle', rate: 1 });
  expect(id).toBeTruthy();
  const err: unknown = await sts.send(new GetCallerIdentityCommand({})).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ name: 'Throttling', $metadata: expect.objectContaining({ httpStatusCode: 400 }) });
  const [faulted] = await control.calls({ service: 'sts', action: 'GetCallerIdentity' }).then((c) => c.slice(-1));
  expect(faulted).toMatchObject({ status: 400, error: 'Throttling', fault: { id, kind: 'throttle' } });

  await control.clearFaults();
  expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(bob.arn);

  const bad = await fetch(`${sandbox.endpoint}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ service: 'sts', kind: 'explode', rate: 3 }),
  });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: string }).error).toMatch(/kind/);
});

it('injects SSM 5xx in the JSON protocol format', async () => {
  const { creds } = await assumeBreakGlass('grant-5xx');
  const ssm = new SSMClient(clientConfig(creds));
  await control.addFault({ service: 'ssm', action: 'DescribeSessions', kind: '5xx', rate: 1 });
  await expect(ssm.send(new DescribeSessionsCommand({ State: 'Active' }))).rejects.toMatchObject({
    $metadata: expect.objectContaining({ httpStatusCode: 503 }),
  });
});

it('round-trips PutRolePolicy/GetRolePolicy on BreakGlassAdmin', async () => {
  const { broker } = sandbox.seed;
  const iam = new IAMClient(clientConfig({ accessKeyId: broker.accessKeyId, secretAccessKey: broker.secretAccessKey }));
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'RevokeAliceBefore',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceIdentity': 'alice' }, DateLessThan: { 'aws:TokenIssueTime': '2026-01-01T00:00:00Z' } },
      },
    ],
  };
  await iam.send(new PutRolePolicyCommand({ RoleName: 'BreakGlassAdmin', PolicyName: 'SafeguardRevoke', PolicyDocument: JSON.stringify(policy) }));
  const got = await iam.send(new GetRolePolicyCommand({ RoleName: 'BreakGlassAdmin', PolicyName: 'SafeguardRevoke' }));
  expect(JSON.parse(decodeURIComponent(got.PolicyDocument ?? ''))).toEqual(policy);
  const calls = await control.calls({ service: 'iam', action: 'PutRolePolicy' });
  expect(calls.at(-1)).toMatchObject({ status: 200, params: expect.objectContaining({ RoleName: 'BreakGlassAdmin', PolicyName: 'SafeguardRevoke' }) });
});

it('forwards other JSON-protocol SSM calls to moto and redacts SecureString values in the log', async () => {
  const { carol } = sandbox.seed.people;
  const ssm = new SSMClient(clientConfig({ accessKeyId: carol.accessKeyId, secretAccessKey: carol.secretAccessKey }));
  await ssm.send(new PutParameterCommand({ Name: '/sandbox/test/secret', Type: 'SecureString', Value: 'correct-horse-battery' }));
  const got = await ssm.send(new GetParameterCommand({ Name: '/sandbox/test/secret', WithDecryption: true }));
  expect(got.Parameter?.Value).toBe('correct-horse-battery');
  const [put] = await control.calls({ service: 'ssm', action: 'PutParameter' });
  expect(put).toMatchObject({ status: 200, servedBy: 'moto', params: { Name: '/sandbox/test/secret', Value: '[REDACTED]' } });
  expect(JSON.stringify(await control.calls())).not.toContain('correct-horse-battery');
});

it('injects latency and filters the call log by seq', async () => {
  const { dave } = sandbox.seed.people;
  const iam = new IAMClient(clientConfig({ accessKeyId: dave.accessKeyId, secretAccessKey: dave.secretAccessKey }));
  const before = await control.calls();
  const since = before.at(-1)?.seq ?? 0;
  await control.addFault({ service: 'iam', action: 'GetRole', kind: 'latency', rate: 1, latencyMs: 250 });
  const started = Date.now();
  const role = await iam.send(new GetRoleCommand({ RoleName: 'BreakGlassAdmin' }));
  expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  expect(role.Role?.MaxSessionDuration).toBe(3600);
  const calls = await control.calls({ since });
  expect(calls).toHaveLength(1);
  expect(calls[0]).toMatchObject({ service: 'iam', action: 'GetRole', status: 200, fault: { kind: 'latency' } });

  await control.clearCalls();
  expect(await control.calls()).toEqual([]);
});
