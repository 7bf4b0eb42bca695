// The gateway's AWS rules with moto's own request authentication on (authenticate: true), where
// they take other paths: moto then verifies signatures itself but still accepts Inactive keys, and
// the gateway reads a role's inline policies from /moto-api/data.json (it cannot fake-sign queries).
// Starts its own sandbox.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateAccessKeyCommand, IAMClient, PutRolePolicyCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { failure } from '../support/aws-calls';

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

jest.setTimeout(60_000);

let sandbox: Sandbox;
let dataDir: string;

const clientConfig = (credentials: Credentials) => ({ endpoint: sandbox.endpoint, region: sandbox.region, credentials, maxAttempts: 1 });

const errorName = async (p: Promise<unknown>): Promise<string> => (await failure(p)).name;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-sandbox-authenticated-'));
  sandbox = await startSandbox({ dataDir, authenticate: true });
}, 90_000);

afterAll(async () => {
  await sandbox?.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

/** The worker's SafeguardExecution session, which may manage role policies. */
async function executionSession(): Promise<Credentials> {
  const { broker, roles, externalId } = sandbox.seed;
  const out = await new STSClient(clientConfig(broker)).send(
    new AssumeRoleCommand({ RoleArn: roles.SafeguardExecution, RoleSessionName: 'worker', ExternalId: externalId, DurationSeconds: 900 }),
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('AssumeRole returned no credentials');
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

it('refuses an Inactive key although moto would accept it', async () => {
  // BreakGlassAdmin's session may manage IAM keys ("*"); the broker can assume it with SourceIdentity.
  const { broker, roles } = sandbox.seed;
  const admin = await new STSClient(clientConfig(broker)).send(
    new AssumeRoleCommand({ RoleArn: roles.BreakGlassAdmin, RoleSessionName: 'key-admin', SourceIdentity: 'alice', DurationSeconds: 900 }),
  );
  const c = admin.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('AssumeRole returned no credentials');
  const iam = new IAMClient(clientConfig({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken }));
  const created = await iam.send(new CreateAccessKeyCommand({ UserName: 'carol' }));
  const key = { accessKeyId: created.AccessKey?.AccessKeyId ?? '', secretAccessKey: created.AccessKey?.SecretAccessKey ?? '' };
  const whoAmI = () => new STSClient(clientConfig(key)).send(new GetCallerIdentityCommand({}));
  expect((await whoAmI()).Arn).toBe(sandbox.seed.people.carol.arn);
  await iam.send(new UpdateAccessKeyCommand({ UserName: 'carol', AccessKeyId: key.accessKeyId, Status: 'Inactive' }));
  expect(await errorName(whoAmI())).toBe('InvalidClientTokenId');
});

it('enforces the role inline-policy quota from moto data', async () => {
  const iam = new IAMClient(clientConfig(await executionSession()));
  const filler = (n: number) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'x'.repeat(n), Effect: 'Deny', Action: 'ec2:TerminateInstances', Resource: '*' }] });
  await iam.send(new PutRolePolicyCommand({ RoleName: 'BreakGlassReadOnly', PolicyName: 'Filler', PolicyDocument: filler(9000) }));
  expect(
    await errorName(iam.send(new PutRolePolicyCommand({ RoleName: 'BreakGlassReadOnly', PolicyName: 'Overflow', PolicyDocument: filler(1500) }))),
  ).toBe('LimitExceededException');
  // A smaller one still fits.
  await iam.send(new PutRolePolicyCommand({ RoleName: 'BreakGlassReadOnly', PolicyName: 'Overflow', PolicyDocument: filler(10) }));
});
