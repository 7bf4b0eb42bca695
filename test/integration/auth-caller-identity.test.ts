// The api's caller authentication against the AWS sandbox with moto's request authentication on:
// real signatures verified by moto's STS, plus the sandbox's own auth behaviour (forged signatures,
// trust policies, IAM permissions). Starts its own sandbox; does not use the global stack.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeleteRolePolicyCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { DeleteParameterCommand, DescribeSessionsCommand, GetParameterCommand, PutParameterCommand, SSMClient, StartSessionCommand, TerminateSessionCommand } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { AuthError, CallerIdentityVerifier, requestBinding } from '../../api/auth';
import type { AuthErrorCode, BoundRequest } from '../../api/auth';
import { decodeAuthHeader, encodeAuthHeader, signCallerIdentityRequest } from '../../cli/api-auth';
import type { SignedCallerIdentityRequest } from '../../cli/api-auth';
import { readSandboxFile, startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';

jest.setTimeout(60_000);

const SERVER_ID = 'safeguard-it-auth';
/** The api request the identity headers below are signed for and presented with. */
const WHOAMI: BoundRequest = { method: 'GET', path: '/v1/whoami', body: '' };
const APPROVE: BoundRequest = { method: 'POST', path: '/v1/breakglass/breakglass-BreakGlassAdmin-0123456789ab/approve', body: '{}' };

let sandbox: Sandbox;
let dataDir: string;
let verifier: CallerIdentityVerifier;

const clientConfig = (credentials: AwsCredentialIdentity) => ({ endpoint: sandbox.endpoint, region: sandbox.region, credentials, maxAttempts: 1 });
const userCreds = (u: { accessKeyId: string; secretAccessKey: string }): AwsCredentialIdentity => ({ accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey });

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-auth-test-'));
  sandbox = await startSandbox({ dataDir, authenticate: true });
  verifier = new CallerIdentityVerifier({ stsEndpoint: sandbox.endpoint, allowedStsHosts: [new URL(sandbox.endpoint).host], serverId: SERVER_ID });
}, 90_000);

afterAll(async () => {
  await sandbox?.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

function sign(credentials: AwsCredentialIdentity, over: { now?: Date; stsEndpoint?: string; request?: BoundRequest } = {}): Promise<SignedCallerIdentityRequest> {
  return signCallerIdentityRequest({
    credentials,
    region: sandbox.region,
    stsEndpoint: over.stsEndpoint ?? sandbox.endpoint,
    serverId: SERVER_ID,
    request: over.request ?? WHOAMI,
    ...(over.now ? { now: over.now } : {}),
  });
}

async function authErrorOf(p: Promise<unknown>): Promise<AuthError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthError);
  return err as AuthError;
}

async function expectAuthError(p: Promise<unknown>, code: AuthErrorCode): Promise<AuthError> {
  const e = await authErrorOf(p);
  expect(e.code).toBe(code);
  return e;
}

async function assumeAs(caller: AwsCredentialIdentity, roleArn: string, sessionName: string, extra: { SourceIdentity?: string; ExternalId?: string } = {}) {
  const out = await new STSClient(clientConfig(caller)).send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: 900, ...extra }),
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !out.AssumedRoleUser?.Arn) throw new Error('AssumeRole returned no credentials');
  return { creds: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken }, arn: out.AssumedRoleUser.Arn, sourceIdentity: out.SourceIdentity };
}

async function awsErrorName(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return (err as Error).name;
}

describe('sandbox with authenticate: true', () => {
  it('says so in the sandbox handle and sandbox.json', async () => {
    expect(sandbox.authenticated).toBe(true);
    expect((await readSandboxFile(dataDir)).authenticated).toBe(true);
  });

  it('moto refuses a GetCallerIdentity signed with the wrong secret, or by an unknown key', async () => {
    const alice = userCreds(sandbox.seed.people.alice);
    expect(await awsErrorName(new STSClient(clientConfig({ ...alice, secretAccessKey: 'not-alices-secret' })).send(new GetCallerIdentityCommand({})))).toBe(
      'SignatureDoesNotMatch',
    );
    expect(
      await awsErrorName(new STSClient(clientConfig({ accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x' })).send(new GetCallerIdentityCommand({}))),
    ).toBe('InvalidClientTokenId');
    const me = await new STSClient(clientConfig(alice)).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(sandbox.seed.people.alice.arn);
  });

  it('alice cannot assume BreakGlassAdmin herself, even naming herself as SourceIdentity', async () => {
    const alice = userCreds(sandbox.seed.people.alice);
    const err = await assumeAs(alice, sandbox.seed.roles.BreakGlassAdmin, 'alice-self', { SourceIdentity: 'alice' }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('AccessDenied');
  });

  it('the broker assumes BreakGlassAdmin with SourceIdentity; the session is who GetCallerIdentity says', async () => {
    const broker = userCreds(sandbox.seed.broker);
    const session = await assumeAs(broker, sandbox.seed.roles.BreakGlassAdmin, 'grant-it-1', { SourceIdentity: 'alice' });
    expect(session.arn).toBe(`arn:aws:sts::${sandbox.seed.accountId}:assumed-role/BreakGlassAdmin/grant-it-1`);
    expect(session.sourceIdentity).toBe('alice');
    const me = await new STSClient(clientConfig(session.creds)).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(session.arn);
    // Broad permissions: it can write a parameter, which alice cannot.
    await new SSMClient(clientConfig(session.creds)).send(new PutParameterCommand({ Name: '/it/auth', Value: 'v', Type: 'String', Overwrite: true }));
    expect(await awsErrorName(new SSMClient(clientConfig(userCreds(sandbox.seed.people.alice))).send(new GetParameterCommand({ Name: '/it/auth' })))).toBe(
      'AccessDenied',
    );
    // A session token that is not the session's is refused.
    expect(
      await awsErrorName(new STSClient(clientConfig({ ...session.creds, sessionToken: 'forged' })).send(new GetCallerIdentityCommand({}))),
    ).toBe('InvalidClientTokenId');
  });

  it('the broker cannot assume a break-glass role without SourceIdentity (gateway trust check)', async () => {
    const broker = userCreds(sandbox.seed.broker);
    const err = await assumeAs(broker, sandbox.seed.roles.BreakGlassAdmin, 'no-source').catch((e: unknown) => e as Error);
    expect((err as Error).name).toBe('AccessDenied');
  });

  it('SafeguardExecution manages role policies and sessions; the SSM session APIs check signatures', async () => {
    const broker = userCreds(sandbox.seed.broker);
    expect(
      await awsErrorName(assumeAs(broker, sandbox.seed.roles.SafeguardExecution, 'worker', { ExternalId: 'wrong' })),
    ).toBe('AccessDenied');
    const exec = await assumeAs(broker, sandbox.seed.roles.SafeguardExecution, 'worker', { ExternalId: sandbox.seed.externalId });
    const iam = new IAMClient(clientConfig(exec.creds));
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'It', Effect: 'Deny', Action: 'ec2:TerminateInstances', Resource: '*' }] });
    await iam.send(new PutRolePolicyCommand({ RoleName: 'BreakGlassReadOnly', PolicyName: 'it-auth', PolicyDocument: policy }));
    const got = await iam.send(new GetRolePolicyCommand({ RoleName: 'BreakGlassReadOnly', PolicyName: 'it-auth' }));
    expect(decodeURIComponent(got.PolicyDocument ?? '')).toBe(policy);
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'BreakGlassReadOnly', PolicyName: 'it-auth' }));
    // …but it is no administrator: it may write key-store parameters (rotation), not delete one
    // (moto's JSON-protocol AccessDenied is translated to JSON by the gateway).
    expect(await awsErrorName(new SSMClient(clientConfig(exec.creds)).send(new DeleteParameterCommand({ Name: '/it/x' })))).toBe('AccessDenied');

    const grant = await assumeAs(broker, sandbox.seed.roles.BreakGlassAdmin, 'grant-it-2', { SourceIdentity: 'bob' });
    const target = sandbox.seed.instances[0] ?? '';
    const started = await new SSMClient(clientConfig(grant.creds)).send(new StartSessionCommand({ Target: target }));
    expect(started.SessionId).toMatch(/^grant-it-2-/);
    expect(
      await awsErrorName(new SSMClient(clientConfig({ ...grant.creds, secretAccessKey: 'forged' })).send(new StartSessionCommand({ Target: target }))),
    ).toBe('InvalidSignatureException');
    const ssm = new SSMClient(clientConfig(exec.creds));
    const listed = await ssm.send(new DescribeSessionsCommand({ State: 'Active', Filters: [{ key: 'Owner', value: grant.arn }] }));
    expect(listed.Sessions?.map((s) => s.SessionId)).toEqual([started.SessionId]);
    await ssm.send(new TerminateSessionCommand({ SessionId: started.SessionId }));
    const after = await ssm.send(new DescribeSessionsCommand({ State: 'Active', Filters: [{ key: 'Owner', value: grant.arn }] }));
    expect(after.Sessions).toEqual([]);
  });
});

describe('CallerIdentityVerifier against the sandbox STS', () => {
  it("verifies alice's signed request and returns her ARN", async () => {
    const req = await sign(userCreds(sandbox.seed.people.alice));
    const id = await verifier.verifyHeader(encodeAuthHeader(req), WHOAMI);
    expect(id).toEqual({ arn: sandbox.seed.people.alice.arn, account: sandbox.seed.accountId, userId: expect.any(String) as string });
  });

  it('verifies temporary (assumed-role) credentials too', async () => {
    const session = await assumeAs(userCreds(sandbox.seed.broker), sandbox.seed.roles.BreakGlassReadOnly, 'grant-it-3', { SourceIdentity: 'carol' });
    const id = await verifier.verify(await sign(session.creds), WHOAMI);
    expect(id.arn).toBe(session.arn);
  });

  it('refuses a request signed with the wrong secret (STS says no)', async () => {
    const req = await sign({ ...userCreds(sandbox.seed.people.alice), secretAccessKey: 'guessed' });
    const e = await expectAuthError(verifier.verify(req, WHOAMI), 'AUTH_REJECTED_BY_STS');
    expect(e.stsCode).toBe('SignatureDoesNotMatch');
  });

  it('refuses a request whose signed parts were altered after signing', async () => {
    const req = await sign(userCreds(sandbox.seed.people.bob));
    // Same parameters, different bytes: passes the offline checks, fails the signature at STS.
    const reordered = { ...req, body: 'Version=2011-06-15&Action=GetCallerIdentity' };
    expect((await expectAuthError(verifier.verify(reordered, WHOAMI), 'AUTH_REJECTED_BY_STS')).stsCode).toBe('SignatureDoesNotMatch');
    // Content-type changed after signing.
    const retyped = { ...req, headers: { ...req.headers, 'content-type': 'application/x-www-form-urlencoded' } };
    expect((await expectAuthError(verifier.verify(retyped, WHOAMI), 'AUTH_REJECTED_BY_STS')).stsCode).toBe('SignatureDoesNotMatch');
    // Another action is refused before STS is asked.
    await expectAuthError(verifier.verify({ ...req, body: 'Action=GetSessionToken&Version=2011-06-15' }, WHOAMI), 'AUTH_WRONG_ACTION');
  });

  it('refuses an old captured request (signed 7 minutes ago), although STS would still accept it', async () => {
    const req = await sign(userCreds(sandbox.seed.people.alice), { now: new Date(Date.now() - 7 * 60_000) });
    await expectAuthError(verifier.verify(req, WHOAMI), 'AUTH_STALE');
    // STS alone (15 min window; moto does not check) accepts it: the api's bound is what protects.
    const lax = new CallerIdentityVerifier({ stsEndpoint: sandbox.endpoint, allowedStsHosts: [new URL(sandbox.endpoint).host], serverId: SERVER_ID, maxSkewMs: 15 * 60_000 });
    await expect(lax.verify(req, WHOAMI)).resolves.toMatchObject({ arn: sandbox.seed.people.alice.arn });
  });

  it('refuses a request aimed at another host, and one for another server id', async () => {
    const elsewhere = await sign(userCreds(sandbox.seed.people.alice), { stsEndpoint: 'http://127.0.0.1:9' });
    await expectAuthError(verifier.verify(elsewhere, WHOAMI), 'AUTH_WRONG_HOST');
    const other = await signCallerIdentityRequest({
      credentials: userCreds(sandbox.seed.people.alice),
      region: sandbox.region,
      stsEndpoint: sandbox.endpoint,
      serverId: 'another-service',
      request: WHOAMI,
    });
    await expectAuthError(verifier.verify(other, WHOAMI), 'AUTH_WRONG_SERVER');
  });

  it('a captured header replayed to the same request within its window still works (documented: ≤ 5 min)', async () => {
    const header = encodeAuthHeader(await sign(userCreds(sandbox.seed.people.dave)));
    const first = await verifier.verify(decodeAuthHeader(header), WHOAMI);
    const second = await verifier.verify(decodeAuthHeader(header), WHOAMI);
    expect(second).toEqual(first);
  });

  it('a captured whoami header cannot authenticate an approval, even with its binding rewritten', async () => {
    const captured = decodeAuthHeader(encodeAuthHeader(await sign(userCreds(sandbox.seed.people.bob), { request: WHOAMI })));
    // As captured: refused offline, before STS is asked.
    await expectAuthError(verifier.verify(captured, APPROVE), 'AUTH_WRONG_REQUEST');
    // Rewritten to name the approval: the api's checks pass, but the signature no longer does.
    const rewritten = { ...captured, headers: { ...captured.headers, 'x-safeguard-request': requestBinding(APPROVE) } };
    expect((await expectAuthError(verifier.verify(rewritten, APPROVE), 'AUTH_REJECTED_BY_STS')).stsCode).toBe('SignatureDoesNotMatch');
    // The genuine approval header works.
    await expect(verifier.verify(await sign(userCreds(sandbox.seed.people.bob), { request: APPROVE }), APPROVE)).resolves.toMatchObject({ arn: sandbox.seed.people.bob.arn });
  });
});
