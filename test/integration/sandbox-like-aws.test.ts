// Where moto is laxer than AWS and the gateway makes the sandbox answer like AWS, end to end with
// real SDK clients (moto's own authentication off, the default): every call's signature and key
// status are verified, the role inline-policy quota holds, a session can refuse to die, and the
// call log names callers without serving access key ids. Starts its own sandbox.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  DeleteAccessKeyCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { DescribeSessionsCommand, PutParameterCommand, SSMClient, StartSessionCommand, TerminateSessionCommand } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../../api/auth/sha256';
import { sandboxControl, startSandbox } from '../../sandbox';
import type { Sandbox, SandboxControl } from '../../sandbox';
import { inMotoAccount } from '../../sandbox/moto-account';
import { SEED_CREDENTIALS } from '../../sandbox/seed';

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

jest.setTimeout(60_000);

let sandbox: Sandbox;
let control: SandboxControl;
let dataDir: string;
/** Every access key id any test used, to prove none reaches the call log. */
const keyIdsSeen = new Set<string>();

const clientConfig = (credentials: Credentials) => {
  keyIdsSeen.add(credentials.accessKeyId);
  return { endpoint: sandbox.endpoint, region: sandbox.region, credentials, maxAttempts: 1 };
};
const creds = (u: { accessKeyId: string; secretAccessKey: string }): Credentials => ({ accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey });
const whoAmI = (c: Credentials) => new STSClient(clientConfig(c)).send(new GetCallerIdentityCommand({}));

/** The AWS error an SDK call failed with: its name and HTTP status. */
async function failure(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof Error)) throw new Error('expected the call to fail');
  return { name: err.name, status: (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, message: err.message };
}

/** A raw signed STS GetCallerIdentity, for what an SDK will not send (flipped signatures, no signature). */
async function rawGetCallerIdentity(c: Credentials | undefined, tamper: (headers: Record<string, string>) => void = () => undefined): Promise<{ status: number; text: string }> {
  const url = new URL(sandbox.endpoint);
  const body = 'Action=GetCallerIdentity&Version=2011-06-15';
  let headers: Record<string, string> = { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
  if (c) {
    const signed = await new SignatureV4({ credentials: c, region: sandbox.region, service: 'sts', sha256: Sha256, applyChecksum: false }).sign({
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      headers,
      body,
    });
    headers = signed.headers;
  }
  tamper(headers);
  const res = await fetch(`${sandbox.endpoint}/`, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-sandbox-like-aws-'));
  sandbox = await startSandbox({ dataDir });
  control = sandboxControl(sandbox.endpoint);
  for (const u of [...Object.values(sandbox.seed.people), sandbox.seed.broker]) keyIdsSeen.add(u.accessKeyId);
}, 90_000);

afterAll(async () => {
  await sandbox?.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

describe('signatures are verified on every call', () => {
  it('refuses a flipped signature (STS, query protocol)', async () => {
    const alice = creds(sandbox.seed.people.alice);
    expect((await rawGetCallerIdentity(alice)).status).toBe(200);
    const flipped = await rawGetCallerIdentity(alice, (h) => {
      const auth = h['authorization'] ?? '';
      h['authorization'] = `${auth.slice(0, -1)}${auth.endsWith('0') ? '1' : '0'}`;
    });
    expect(flipped.status).toBe(403);
    expect(flipped.text).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it("refuses another person's key id signed with my secret, on forwarded and gateway-served calls", async () => {
    const { alice, bob } = sandbox.seed.people;
    const mallory: Credentials = { accessKeyId: alice.accessKeyId, secretAccessKey: bob.secretAccessKey };
    expect(await failure(whoAmI(mallory))).toMatchObject({ name: 'SignatureDoesNotMatch', status: 403 });
    expect(await failure(new IAMClient(clientConfig(mallory)).send(new GetRoleCommand({ RoleName: 'BreakGlassAdmin' })))).toMatchObject({
      name: 'SignatureDoesNotMatch',
      status: 403,
    });
    const ssm = new SSMClient(clientConfig(mallory));
    expect(await failure(ssm.send(new PutParameterCommand({ Name: '/mallory', Value: 'x', Type: 'String' })))).toMatchObject({
      name: 'InvalidSignatureException',
      status: 400,
    });
    expect(await failure(ssm.send(new DescribeSessionsCommand({ State: 'Active' })))).toMatchObject({ name: 'InvalidSignatureException', status: 400 });
  });

  it('refuses unknown keys, missing signatures and forged session tokens', async () => {
    const stranger: Credentials = { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'whatever' };
    expect(await failure(whoAmI(stranger))).toMatchObject({ name: 'InvalidClientTokenId', status: 403 });
    expect(await failure(new SSMClient(clientConfig(stranger)).send(new DescribeSessionsCommand({ State: 'Active' })))).toMatchObject({
      name: 'UnrecognizedClientException',
      status: 400,
    });
    const unsigned = await rawGetCallerIdentity(undefined);
    expect(unsigned.status).toBe(403);
    expect(unsigned.text).toContain('<Code>MissingAuthenticationToken</Code>');

    const { broker, roles } = sandbox.seed;
    const out = await new STSClient(clientConfig(creds(broker))).send(
      new AssumeRoleCommand({ RoleArn: roles.BreakGlassReadOnly, RoleSessionName: 'token-check', SourceIdentity: 'carol', DurationSeconds: 900 }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('AssumeRole returned no credentials');
    const session: Credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
    expect((await whoAmI(session)).Arn).toBe(out.AssumedRoleUser?.Arn);
    expect(await failure(whoAmI({ ...session, sessionToken: 'forged' }))).toMatchObject({ name: 'InvalidClientTokenId' });
    const { sessionToken: _dropped, ...withoutToken } = session;
    expect(await failure(whoAmI(withoutToken))).toMatchObject({ name: 'InvalidClientTokenId' });
  });

  it('refuses an Inactive key, accepts it again once reactivated, and refuses it once deleted', async () => {
    const iam = new IAMClient(clientConfig(creds(sandbox.seed.broker)));
    const created = await iam.send(new CreateAccessKeyCommand({ UserName: 'dave' }));
    const id = created.AccessKey?.AccessKeyId;
    const secret = created.AccessKey?.SecretAccessKey;
    if (!id || !secret) throw new Error('CreateAccessKey returned no key');
    const second: Credentials = { accessKeyId: id, secretAccessKey: secret };
    const dave = sandbox.seed.people.dave;
    expect((await whoAmI(second)).Arn).toBe(dave.arn);

    await iam.send(new UpdateAccessKeyCommand({ UserName: 'dave', AccessKeyId: id, Status: 'Inactive' }));
    expect(await failure(whoAmI(second))).toMatchObject({ name: 'InvalidClientTokenId', status: 403 });
    expect(await failure(new SSMClient(clientConfig(second)).send(new DescribeSessionsCommand({ State: 'Active' })))).toMatchObject({
      name: 'UnrecognizedClientException',
    });
    // dave's other key is untouched.
    expect((await whoAmI(creds(dave))).Arn).toBe(dave.arn);

    await iam.send(new UpdateAccessKeyCommand({ UserName: 'dave', AccessKeyId: id, Status: 'Active' }));
    expect((await whoAmI(second)).Arn).toBe(dave.arn);

    await iam.send(new DeleteAccessKeyCommand({ UserName: 'dave', AccessKeyId: id }));
    expect(await failure(whoAmI(second))).toMatchObject({ name: 'InvalidClientTokenId', status: 403 });
    expect((await whoAmI(creds(dave))).Arn).toBe(dave.arn);

    const refused = (await control.calls({ service: 'sts', action: 'GetCallerIdentity' })).filter((c) => c.status === 403);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused.every((c) => c.caller === undefined && c.servedBy === 'gateway')).toBe(true);
  });
});

describe('AssumeRole across accounts', () => {
  const OTHER = '210000000042';
  /** IAM in another of moto's accounts, straight to moto (as the seed does). */
  const iamIn = (account: string): IAMClient =>
    inMotoAccount(new IAMClient({ endpoint: sandbox.motoEndpoint, region: sandbox.region, credentials: SEED_CREDENTIALS, maxAttempts: 1 }), account);

  it("judges another account's role by its trust policy, and refuses a role that does not exist there", async () => {
    const broker = sandbox.seed.broker;
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: broker.arn }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'x-acct' } } }] });
    await iamIn(OTHER).send(new CreateRoleCommand({ RoleName: 'CrossAccountProbe', AssumeRolePolicyDocument: trust }));
    const sts = new STSClient(clientConfig(creds(broker)));
    const roleArn = `arn:aws:iam::${OTHER}:role/CrossAccountProbe`;
    const ok = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'probe', ExternalId: 'x-acct' }));
    expect(ok.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${OTHER}:assumed-role/CrossAccountProbe/probe`);
    expect(await failure(sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'probe', ExternalId: 'wrong' })))).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(await failure(sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${OTHER}:role/NoSuchRole`, RoleSessionName: 'probe' })))).toMatchObject({ name: 'AccessDenied', status: 403 });
    // Someone the trust does not name, from the role's own account or another, is refused too.
    const alice = sandbox.seed.people['alice'];
    if (!alice) throw new Error('no alice in the seed');
    expect(await failure(new STSClient(clientConfig(creds(alice))).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'probe', ExternalId: 'x-acct' })))).toMatchObject({ name: 'AccessDenied' });
  });
});

describe('IAM inline policy quota', () => {
  /** A policy of exactly `size` characters, white space excluded. */
  function policyOfSize(size: number): string {
    const skeleton = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: '', Effect: 'Deny', Action: 'ec2:TerminateInstances', Resource: '*' }] });
    return skeleton.replace('"Sid":""', `"Sid":"${'x'.repeat(size - skeleton.length)}"`);
  }

  it('refuses a PutRolePolicy that would take the role past 10,240 characters, accepts one that fits', async () => {
    const iam = new IAMClient(clientConfig(creds(sandbox.seed.broker)));
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'QuotaProbe',
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: sandbox.seed.broker.arn }, Action: 'sts:AssumeRole' }] }),
      }),
    );
    const put = (name: string, document: string) => iam.send(new PutRolePolicyCommand({ RoleName: 'QuotaProbe', PolicyName: name, PolicyDocument: document }));
    await put('First', policyOfSize(6000));
    // White space does not count: 4,240 characters of policy, pretty-printed.
    const pretty = JSON.stringify(JSON.parse(policyOfSize(4240)), null, 2);
    expect(pretty.length).toBeGreaterThan(4240);
    await put('Second', pretty); // 10,240 exactly: accepted

    const tooMuch = await failure(put('Third', policyOfSize(200)));
    expect(tooMuch).toEqual({ name: 'LimitExceededException', status: 409, message: 'Maximum policy size of 10240 bytes exceeded for role QuotaProbe' });
    // Replacing a policy counts its new document instead of the old one.
    expect(await failure(put('Second', policyOfSize(4241)))).toMatchObject({ name: 'LimitExceededException' });
    await put('Second', policyOfSize(4000));
    await put('Third', policyOfSize(240));

    const calls = await control.calls({ service: 'iam', action: 'PutRolePolicy' });
    expect(calls.filter((c) => c.error === 'LimitExceeded').map((c) => [c.status, c.servedBy, c.params['PolicyName']])).toEqual([
      [409, 'gateway', 'Third'],
      [409, 'gateway', 'Second'],
    ]);
  });
});

describe('stuck SSM sessions', () => {
  it('survive TerminateSession while stuck, and end once unstuck and terminated again', async () => {
    const { broker, roles } = sandbox.seed;
    const assumed = await new STSClient(clientConfig(creds(broker))).send(
      new AssumeRoleCommand({ RoleArn: roles.BreakGlassAdmin, RoleSessionName: 'grant-stuck', SourceIdentity: 'alice', DurationSeconds: 900 }),
    );
    const c = assumed.Credentials;
    const owner = assumed.AssumedRoleUser?.Arn ?? '';
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('AssumeRole returned no credentials');
    const ssm = new SSMClient(clientConfig({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken }));
    const active = async () =>
      (await ssm.send(new DescribeSessionsCommand({ State: 'Active', Filters: [{ key: 'Owner', value: owner }] }))).Sessions?.map((s) => s.SessionId) ?? [];

    const { SessionId } = await ssm.send(new StartSessionCommand({ Target: sandbox.seed.instances[0] ?? '' }));
    if (!SessionId) throw new Error('StartSession returned no session id');
    await control.setSessionStuck(SessionId, true);
    expect((await control.sessions()).find((s) => s.SessionId === SessionId)).toMatchObject({ Status: 'Connected', Stuck: true });

    expect((await ssm.send(new TerminateSessionCommand({ SessionId }))).SessionId).toBe(SessionId);
    expect(await active()).toEqual([SessionId]);

    await control.setSessionStuck(SessionId, false);
    expect(await active()).toEqual([SessionId]);
    await ssm.send(new TerminateSessionCommand({ SessionId }));
    expect(await active()).toEqual([]);

    await expect(control.setSessionStuck('no-such-session-0', true)).rejects.toMatchObject({ status: 404 });
    const bad = await fetch(`${sandbox.endpoint}/_sandbox/sessions/${SessionId}/stuck`, { method: 'POST', body: '{"stuck":"yes"}' });
    expect(bad.status).toBe(400);
  });
});

describe('the call log', () => {
  it('names callers by ARN and serves no access key id', async () => {
    const { alice } = sandbox.seed.people;
    await whoAmI(creds(alice));
    const calls = await control.calls({ service: 'sts', action: 'GetCallerIdentity' });
    expect(calls.at(-1)).toMatchObject({ status: 200, caller: alice.arn });
    expect(calls.some((c) => c.caller === sandbox.seed.people.dave.arn)).toBe(true);

    const raw = await (await fetch(`${sandbox.endpoint}/_sandbox/calls`)).text();
    expect(raw).not.toContain('"accessKeyId"');
    expect(raw).not.toMatch(/\b(AKIA|ASIA)[A-Z0-9]{16}\b/);
    expect(keyIdsSeen.size).toBeGreaterThan(8);
    for (const id of keyIdsSeen) expect(raw).not.toContain(id);
  });
});
