// The sandbox behaves like AWS where key rotation depends on it, end to end with the real SDK
// clients through the gateway: new IAM keys propagate before they work, KMS rotation settings and
// on-demand rotations follow AWS's rules and error shapes, Secrets Manager answers from AWSCURRENT,
// simulated consumers switch keys (or do not), and a policy's people, roles, service users and
// KMS keys are seeded. Starts its own sandboxes (no stack).

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  ConflictException,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  DisabledException,
  EnableKeyRotationCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  LimitExceededException,
  ListKeyRotationsCommand,
  ListKeysCommand,
  RotateKeyOnDemandCommand,
  UnsupportedOperationException,
} from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand, GetParameterCommand, PutParameterCommand, SSMClient, StartSessionCommand } from '@aws-sdk/client-ssm';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../../api/auth/sha256';
import { loadPolicyFile } from '../../config/policy';
import { readSandboxFile, sandboxControl, seedPlanFromPolicy, startSandbox } from '../../sandbox';
import type { Sandbox, SandboxConsumerView, SandboxControl, SandboxSeed } from '../../sandbox';
import { maskAccessKeyId } from '../../sandbox/aws-request';
import { REPO_ROOT } from '../../dev/temporal-server';
import { eventually, failure } from '../support/aws-calls';

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

jest.setTimeout(90_000);

const NEW_KEY_DELAY_MS = 2_500;
const ON_DEMAND_WINDOW_MS = 300;
const CONSUMER_INTERVAL_MS = 250;

let sandbox: Sandbox;
let control: SandboxControl;
let dataDir: string;

const config = (c: Credentials, sb: { endpoint: string } = sandbox) => ({ endpoint: sb.endpoint, region: 'us-east-1', credentials: c, maxAttempts: 1 });
const creds = (u: { accessKeyId?: string | undefined; secretAccessKey?: string | undefined }): Credentials => {
  if (!u.accessKeyId || !u.secretAccessKey) throw new Error('no key');
  return { accessKeyId: u.accessKeyId, secretAccessKey: u.secretAccessKey };
};
/** The key in an iam:CreateAccessKey answer. */
const issued = (k: { AccessKeyId?: string | undefined; SecretAccessKey?: string | undefined } | undefined): Credentials => creds({ accessKeyId: k?.AccessKeyId, secretAccessKey: k?.SecretAccessKey });
const whoAmI = (c: Credentials, sb: { endpoint: string } = sandbox) => new STSClient(config(c, sb)).send(new GetCallerIdentityCommand({}));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const statusOf = (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-rotation-realism-'));
  sandbox = await startSandbox({
    dataDir,
    newKeyDelayMs: NEW_KEY_DELAY_MS,
    kmsOnDemandRotationMs: ON_DEMAND_WINDOW_MS,
    consumers: { intervalMs: CONSUMER_INTERVAL_MS },
  });
  control = sandboxControl(sandbox.endpoint);
}, 90_000);

afterAll(async () => {
  await sandbox?.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

describe('IAM access keys', () => {
  it('refuses a new key as AWS does until it has propagated, then accepts it; refuses it again once inactive', async () => {
    const iam = new IAMClient(config(creds(sandbox.seed.broker)));
    const { dave } = sandbox.seed.people;
    const before = Date.now();
    const created = await iam.send(new CreateAccessKeyCommand({ UserName: 'dave' }));
    const key = issued(created.AccessKey);
    const id = key.accessKeyId;

    const sts = await failure(whoAmI(key));
    expect(sts.name).toBe('InvalidClientTokenId');
    expect(statusOf(sts)).toBe(403);
    expect(sts.message).toBe('The security token included in the request is invalid.');
    // JSON-protocol services say it their way.
    const ssm = await failure(new SSMClient(config(key)).send(new DescribeParametersCommand({})));
    expect({ name: ssm.name, status: statusOf(ssm) }).toEqual({ name: 'UnrecognizedClientException', status: 400 });

    const arn = await eventually('the new key to propagate', async () => (await whoAmI(key)).Arn);
    expect(arn).toBe(dave.arn);
    expect(Date.now() - before).toBeGreaterThanOrEqual(NEW_KEY_DELAY_MS);
    // Seeded keys never waited, and dave's first key is untouched.
    expect((await whoAmI(creds(dave))).Arn).toBe(dave.arn);

    const refused = (await control.calls({ service: 'sts', action: 'GetCallerIdentity' })).filter((c) => c.status === 403 && c.servedBy === 'gateway');
    expect(refused.length).toBeGreaterThan(0);

    await iam.send(new UpdateAccessKeyCommand({ UserName: 'dave', AccessKeyId: id, Status: 'Inactive' }));
    expect(await failure(whoAmI(key))).toMatchObject({ name: 'InvalidClientTokenId' });
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'dave', AccessKeyId: id }));
    expect(await failure(whoAmI(key))).toMatchObject({ name: 'InvalidClientTokenId' });
  });
});

describe('KMS key rotation', () => {
  const kms = () => new KMSClient(config(creds(sandbox.seed.people.alice)));

  it('stores and validates RotationPeriodInDays and reports every GetKeyRotationStatus field', async () => {
    const client = kms();
    const phi = sandbox.seed.kmsKeys['alias/safeguard-phi'];
    if (!phi) throw new Error('alias/safeguard-phi was not seeded');
    const KeyId = phi.keyId;

    for (const [days, bound] of [
      [30, 'greater than or equal to 90'],
      [2561, 'less than or equal to 2560'],
    ] as const) {
      const err = await failure(client.send(new EnableKeyRotationCommand({ KeyId, RotationPeriodInDays: days })));
      expect(err.name).toBe('ValidationException');
      expect(statusOf(err)).toBe(400);
      expect(err.message).toBe(`1 validation error detected: Value '${days}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value ${bound}`);
    }
    // Refused before moto saw it: rotation is still off.
    expect((await client.send(new GetKeyRotationStatusCommand({ KeyId }))).KeyRotationEnabled).toBe(false);

    const enabledAt = Date.now();
    await client.send(new EnableKeyRotationCommand({ KeyId, RotationPeriodInDays: 180 }));
    const status = await client.send(new GetKeyRotationStatusCommand({ KeyId }));
    expect(status).toMatchObject({ KeyRotationEnabled: true, KeyId, RotationPeriodInDays: 180 });
    expect(status.OnDemandRotationStartDate).toBeUndefined();
    const next = status.NextRotationDate?.getTime() ?? 0;
    expect(Math.abs(next - (enabledAt + 180 * 86_400_000))).toBeLessThan(60_000);

    // The bounds themselves are allowed; no period means AWS's default.
    await client.send(new EnableKeyRotationCommand({ KeyId, RotationPeriodInDays: 2560 }));
    expect((await client.send(new GetKeyRotationStatusCommand({ KeyId }))).RotationPeriodInDays).toBe(2560);
    await client.send(new EnableKeyRotationCommand({ KeyId }));
    expect((await client.send(new GetKeyRotationStatusCommand({ KeyId }))).RotationPeriodInDays).toBe(365);

    await client.send(new DisableKeyRotationCommand({ KeyId }));
    const off = await client.send(new GetKeyRotationStatusCommand({ KeyId }));
    expect(off).toMatchObject({ KeyRotationEnabled: false, KeyId });
    expect(off.RotationPeriodInDays).toBeUndefined();
    expect(off.NextRotationDate).toBeUndefined();
  });

  it('answers errors in the AwsJson1_1 shape: HTTP 400, __type and message', async () => {
    const phi = sandbox.seed.kmsKeys['alias/safeguard-phi'];
    const url = new URL(sandbox.endpoint);
    const body = JSON.stringify({ KeyId: phi?.keyId, RotationPeriodInDays: 89 });
    const headers = { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.EnableKeyRotation' };
    const signed = await new SignatureV4({ credentials: creds(sandbox.seed.people.alice), region: 'us-east-1', service: 'kms', sha256: Sha256, applyChecksum: false }).sign({
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      headers,
      body,
    });
    const res = await fetch(`${sandbox.endpoint}/`, { method: 'POST', headers: signed.headers, body });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await res.json()).toEqual({
      __type: 'ValidationException',
      message: "1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90",
    });
  });

  it('refuses asymmetric and HMAC keys (UnsupportedOperationException) and disabled keys (DisabledException)', async () => {
    const client = kms();
    const rsa = (await client.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata?.KeyId;
    const hmac = (await client.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }))).KeyMetadata?.KeyId;
    const disabled = (await client.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    await client.send(new DisableKeyCommand({ KeyId: disabled }));

    for (const KeyId of [rsa, hmac]) {
      const enable = await failure(client.send(new EnableKeyRotationCommand({ KeyId, RotationPeriodInDays: 365 })));
      expect(enable).toBeInstanceOf(UnsupportedOperationException);
      expect(statusOf(enable)).toBe(400);
      expect(await failure(client.send(new RotateKeyOnDemandCommand({ KeyId })))).toBeInstanceOf(UnsupportedOperationException);
    }
    const err = await failure(client.send(new EnableKeyRotationCommand({ KeyId: disabled })));
    expect(err).toBeInstanceOf(DisabledException);
    expect(err.message).toMatch(/is disabled\.$/);
    expect(await failure(client.send(new RotateKeyOnDemandCommand({ KeyId: disabled })))).toBeInstanceOf(DisabledException);
    // Unknown keys stay moto's to refuse.
    expect(await failure(client.send(new EnableKeyRotationCommand({ KeyId: '00000000-0000-0000-0000-000000000000' })))).toMatchObject({ name: 'NotFoundException' });
  });

  it('runs one on-demand rotation at a time (ConflictException) and at most 25 per key (LimitExceededException)', async () => {
    const client = kms();
    const KeyId = (await client.send(new CreateKeyCommand({ Description: 'on-demand drill' }))).KeyMetadata?.KeyId;
    const startedAt = Date.now();
    await client.send(new RotateKeyOnDemandCommand({ KeyId }));
    const conflict = await failure(client.send(new RotateKeyOnDemandCommand({ KeyId })));
    expect(conflict).toBeInstanceOf(ConflictException);
    expect(statusOf(conflict)).toBe(400);
    const during = await client.send(new GetKeyRotationStatusCommand({ KeyId }));
    const onDemandStart = during.OnDemandRotationStartDate?.getTime() ?? 0;
    expect(onDemandStart).toBeGreaterThanOrEqual(startedAt - 1_000);
    expect(onDemandStart).toBeLessThanOrEqual(Date.now());

    // 24 more, each once the previous one is no longer in progress.
    let done = 1;
    for (let attempt = 0; done < 25 && attempt < 500; attempt++) {
      const err = await client.send(new RotateKeyOnDemandCommand({ KeyId })).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (err === undefined) done++;
      else if (err instanceof ConflictException) await sleep(ON_DEMAND_WINDOW_MS / 3);
      else throw err;
    }
    expect(done).toBe(25);
    await sleep(ON_DEMAND_WINDOW_MS + 50);
    const limit = await failure(client.send(new RotateKeyOnDemandCommand({ KeyId })));
    expect(limit).toBeInstanceOf(LimitExceededException);
    expect(statusOf(limit)).toBe(400);
    expect((await client.send(new GetKeyRotationStatusCommand({ KeyId }))).OnDemandRotationStartDate).toBeUndefined();

    const listed = await client.send(new ListKeyRotationsCommand({ KeyId }));
    expect(listed.Rotations).toHaveLength(25);
    expect(listed.Rotations?.every((r) => r.RotationType === 'ON_DEMAND')).toBe(true);
  });
});

describe('Secrets Manager', () => {
  it('answers a plain GetSecretValue from the version labelled AWSCURRENT after UpdateSecretVersionStage', async () => {
    const sm = new SecretsManagerClient(config(creds(sandbox.seed.people.carol)));
    const SecretId = 'it/stage-move';
    const v1 = await sm.send(new CreateSecretCommand({ Name: SecretId, SecretString: 'first' }));
    const v2 = await sm.send(new PutSecretValueCommand({ SecretId, SecretString: 'second', VersionStages: ['AWSPENDING'] }));
    expect((await sm.send(new GetSecretValueCommand({ SecretId }))).SecretString).toBe('first');

    await sm.send(new UpdateSecretVersionStageCommand({ SecretId, VersionStage: 'AWSCURRENT', MoveToVersionId: v2.VersionId, RemoveFromVersionId: v1.VersionId }));
    const current = await sm.send(new GetSecretValueCommand({ SecretId }));
    expect(current).toMatchObject({ SecretString: 'second', VersionId: v2.VersionId });
    expect(current.VersionStages).toContain('AWSCURRENT');
    // Explicit stages and versions are moto's, unchanged.
    expect((await sm.send(new GetSecretValueCommand({ SecretId, VersionStage: 'AWSPREVIOUS' }))).SecretString).toBe('first');
    expect((await sm.send(new GetSecretValueCommand({ SecretId, VersionId: v1.VersionId }))).SecretString).toBe('first');
  });
});

describe('simulated consumers', () => {
  const iam = () => new IAMClient(config(creds(sandbox.seed.broker)));
  const consumer = async (userName: string): Promise<SandboxConsumerView> => {
    const c = (await control.consumers()).find((v) => v.userName === userName);
    if (!c) throw new Error(`no consumer ${userName}`);
    return c;
  };
  const lastUsed = async (AccessKeyId: string): Promise<number | undefined> =>
    (await iam().send(new GetAccessKeyLastUsedCommand({ AccessKeyId }))).AccessKeyLastUsed?.LastUsedDate?.getTime();
  const newKeyFor = async (UserName: string): Promise<Credentials> => issued((await iam().send(new CreateAccessKeyCommand({ UserName }))).AccessKey);
  const stored = (k: Credentials) => JSON.stringify({ accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey });

  it('runs one consumer per seeded service user; refuses unknown users and bad bodies', async () => {
    const all = await control.consumers();
    expect(all.map((c) => [c.userName, c.mode, c.store.type, c.running])).toEqual([
      ['svc-reporting', 'switching', 'ssm-parameter', true],
      ['svc-legacy-etl', 'switching', 'secrets-manager', true],
    ]);
    const reporting = await eventually('a first call', async () => ((await consumer('svc-reporting')).calls > 0 ? consumer('svc-reporting') : undefined));
    const svc = sandbox.seed.serviceUsers['svc-reporting'];
    expect(reporting).toMatchObject({ keyInUse: maskAccessKeyId(svc?.accessKeyId ?? ''), lastCallerArn: svc?.arn });

    await expect(control.setConsumerMode('svc-nobody', 'stuck')).rejects.toMatchObject({ status: 404 });
    const bad = await fetch(`${sandbox.endpoint}/_sandbox/consumers/svc-reporting/mode`, { method: 'POST', body: '{"mode":"frozen"}' });
    expect(bad.status).toBe(400);
  });

  it('a switching consumer moves to the key its store now holds: the new key is used, the old one no longer', async () => {
    const svc = sandbox.seed.serviceUsers['svc-reporting'];
    if (!svc || svc.store.type !== 'ssm-parameter') throw new Error('svc-reporting was not seeded with an SSM store');
    const old = svc.accessKeyId;
    await eventually('the old key in use', () => lastUsed(old));

    const next = await newKeyFor(svc.userName);
    expect(await lastUsed(next.accessKeyId)).toBeUndefined();
    const since = (await control.calls()).reduce((m, c) => Math.max(m, c.seq), 0);
    await new SSMClient(config(creds(sandbox.seed.broker))).send(new PutParameterCommand({ Name: svc.store.name, Type: 'SecureString', Value: stored(next), Overwrite: true }));

    // After the propagation delay the consumer's calls with the new key succeed.
    const firstUse = await eventually('the new key in use', () => lastUsed(next.accessKeyId), NEW_KEY_DELAY_MS + 10_000);
    expect(await consumer(svc.userName)).toMatchObject({ keyInUse: maskAccessKeyId(next.accessKeyId), lastCallerArn: svc.arn });

    const oldThen = await lastUsed(old);
    await sleep(4 * CONSUMER_INTERVAL_MS + 1_100);
    expect(await lastUsed(old)).toBe(oldThen);
    expect((await lastUsed(next.accessKeyId)) ?? 0).toBeGreaterThan(firstUse);

    // The call log names the service user as the caller of its consumer's calls.
    const calls = await control.calls({ since, service: 'sts', action: 'GetCallerIdentity' });
    expect(calls.some((c) => c.caller === svc.arn && c.status === 200)).toBe(true);
    const parameter = svc.store.name;
    const reads = await control.calls({ since, service: 'ssm', action: 'GetParameter' });
    expect(reads.some((c) => c.caller === sandbox.seed.consumerReader.arn && c.params['Name'] === parameter)).toBe(true);
  });

  it('a stuck consumer keeps the key it holds, fails once that key is inactive, and recovers when switching again', async () => {
    const svc = sandbox.seed.serviceUsers['svc-legacy-etl'];
    if (!svc || svc.store.type !== 'secrets-manager') throw new Error('svc-legacy-etl was not seeded with a secret');
    const old = svc.accessKeyId;
    expect(await control.setConsumerMode(svc.userName, 'stuck')).toMatchObject({ mode: 'stuck', keyInUse: maskAccessKeyId(old) });

    const next = await newKeyFor(svc.userName);
    // A plain PutSecretValue makes the new value AWSCURRENT.
    await new SecretsManagerClient(config(creds(sandbox.seed.broker))).send(new PutSecretValueCommand({ SecretId: svc.store.secretId, SecretString: stored(next) }));
    const reader = new SecretsManagerClient(config(creds(sandbox.seed.consumerReader)));
    expect(JSON.parse((await reader.send(new GetSecretValueCommand({ SecretId: svc.store.secretId }))).SecretString ?? '{}')).toMatchObject({ accessKeyId: next.accessKeyId });

    await sleep(NEW_KEY_DELAY_MS + 4 * CONSUMER_INTERVAL_MS);
    const oldThen = (await lastUsed(old)) ?? 0;
    await sleep(4 * CONSUMER_INTERVAL_MS + 1_100);
    expect((await lastUsed(old)) ?? 0).toBeGreaterThan(oldThen);
    expect(await lastUsed(next.accessKeyId)).toBeUndefined();
    expect(await consumer(svc.userName)).toMatchObject({ mode: 'stuck', keyInUse: maskAccessKeyId(old) });

    const deactivatedAt = new Date().toISOString();
    await iam().send(new UpdateAccessKeyCommand({ UserName: svc.userName, AccessKeyId: old, Status: 'Inactive' }));
    const failed = await eventually('the stuck consumer to fail', async () => {
      const c = await consumer(svc.userName);
      return c.lastError && c.lastError.at > deactivatedAt ? c.lastError : undefined;
    });
    expect(failed).toMatchObject({ stage: 'call', code: 'InvalidClientTokenId' });

    await control.setConsumerMode(svc.userName, 'switching');
    await eventually('the consumer to use the new key', () => lastUsed(next.accessKeyId));
    expect(await consumer(svc.userName)).toMatchObject({ mode: 'switching', keyInUse: maskAccessKeyId(next.accessKeyId) });
  });
});

describe('seeding from a policy', () => {
  const CUSTOM_KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
  const CUSTOM_KEY_ARN = `arn:aws:kms:us-east-1:123456789012:key/${CUSTOM_KEY_ID}`;
  let sb: Sandbox<SandboxSeed>;
  let dir: string;
  let policy: ReturnType<typeof loadPolicyFile>;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-policy-seed-'));
    // The example policy, plus a person, a break-glass role, a service user and a KMS key named by ARN.
    const doc = parseYaml(await fs.readFile(path.join(REPO_ROOT, 'examples/policy.yaml'), 'utf8')) as {
      people: Record<string, unknown>[];
      breakGlass: { roles: Record<string, unknown>[] };
      rotation: { accessKeys: Record<string, unknown>[]; kmsKeys: Record<string, unknown>[] };
    };
    doc.people.push({ id: 'erin', name: 'Erin Example', awsPrincipals: ['arn:aws:iam::123456789012:user/ops/erin'], groups: ['oncall'] });
    const template = doc.breakGlass.roles[1] ?? {};
    doc.breakGlass.roles.push({ ...template, name: 'ErinOps', roleArn: 'arn:aws:iam::123456789012:role/ErinOps' });
    doc.rotation.accessKeys.push({
      name: 'erin-exporter',
      account: '123456789012',
      user: 'svc-erin',
      store: { type: 'ssm-parameter', name: '/safeguard/erin/access-key', kmsKeyId: CUSTOM_KEY_ARN },
      maxAge: '90d',
      gracePeriod: '20s',
      switchTimeout: '2m',
      observePeriod: '15s',
    });
    doc.rotation.kmsKeys.push({ name: 'erin-data', account: '123456789012', key: CUSTOM_KEY_ARN, rotationPeriod: '365d' });
    const file = path.join(dir, 'policy.yaml');
    await fs.writeFile(file, stringifyYaml(doc));
    policy = loadPolicyFile(file);
    sb = await startSandbox({ dataDir: dir, plan: seedPlanFromPolicy(policy) });
  }, 90_000);

  afterAll(async () => {
    await sb?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("creates every person the policy names: erin's user and key exist and sign as erin", async () => {
    const erin = sb.seed.people['erin'];
    if (!erin) throw new Error('erin was not seeded');
    expect(erin.arn).toBe('arn:aws:iam::123456789012:user/ops/erin');
    expect((await whoAmI(creds(erin), sb)).Arn).toBe(erin.arn);
    const iam = new IAMClient(config(creds(sb.seed.broker), sb));
    expect((await iam.send(new GetUserCommand({ UserName: 'erin' }))).User?.Arn).toBe(erin.arn);
    expect((await iam.send(new ListAccessKeysCommand({ UserName: 'erin' }))).AccessKeyMetadata?.map((k) => k.AccessKeyId)).toEqual([erin.accessKeyId]);
    // What `--as erin` reads.
    expect((await readSandboxFile<SandboxSeed>(dir)).people['erin']?.accessKeyId).toBe(erin.accessKeyId);
    expect(Object.keys(sb.seed.people).sort()).toEqual(policy.people.map((p) => p.id).sort());
  });

  it("creates the policy's break-glass roles (trusting the broker) and knows its SSM targets", async () => {
    const iam = new IAMClient(config(creds(sb.seed.broker), sb));
    expect((await iam.send(new GetRoleCommand({ RoleName: 'ErinOps' }))).Role?.Arn).toBe('arn:aws:iam::123456789012:role/ErinOps');
    const assumed = await new STSClient(config(creds(sb.seed.broker), sb)).send(
      new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/ErinOps', RoleSessionName: 'erin-grant', SourceIdentity: 'erin' }),
    );
    expect(assumed.AssumedRoleUser?.Arn).toBe('arn:aws:sts::123456789012:assumed-role/ErinOps/erin-grant');
    const target = policy.breakGlass.roles.flatMap((r) => r.ssmTargets)[0];
    if (!target) throw new Error('the example policy names no SSM target');
    const c = assumed.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('AssumeRole returned no credentials');
    const ssm = new SSMClient(config({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken }, sb));
    await expect(ssm.send(new StartSessionCommand({ Target: target }))).resolves.toMatchObject({ SessionId: expect.any(String) as string });
  });

  it("creates the policy's service users with their key in the store, and its KMS keys under the ids it chose", async () => {
    const svc = sb.seed.serviceUsers['svc-erin'];
    if (!svc) throw new Error('svc-erin was not seeded');
    const param = await new SSMClient(config(creds(sb.seed.consumerReader), sb)).send(new GetParameterCommand({ Name: '/safeguard/erin/access-key', WithDecryption: true }));
    expect(JSON.parse(param.Parameter?.Value ?? '{}')).toEqual({ accessKeyId: svc.accessKeyId, secretAccessKey: svc.secretAccessKey });
    expect((await whoAmI(creds(svc), sb)).Arn).toBe(svc.arn);
    expect(Object.keys(sb.seed.serviceUsers).sort()).toEqual(['svc-erin', 'svc-legacy-etl', 'svc-reporting']);
    expect((await sandboxControl(sb.endpoint).consumers()).map((c) => c.userName)).toContain('svc-erin');

    expect(sb.seed.kmsKeys[CUSTOM_KEY_ARN]).toMatchObject({ keyId: CUSTOM_KEY_ID, arn: CUSTOM_KEY_ARN });
    const kms = new KMSClient(config(creds(sb.seed.people['alice'] ?? sb.seed.broker), sb));
    for (const KeyId of [CUSTOM_KEY_ID, CUSTOM_KEY_ARN]) {
      expect((await kms.send(new DescribeKeyCommand({ KeyId }))).KeyMetadata).toMatchObject({ KeyId: CUSTOM_KEY_ID, Arn: CUSTOM_KEY_ARN });
    }
    await kms.send(new EnableKeyRotationCommand({ KeyId: CUSTOM_KEY_ARN, RotationPeriodInDays: 90 }));
    expect(await kms.send(new GetKeyRotationStatusCommand({ KeyId: CUSTOM_KEY_ID }))).toMatchObject({ KeyRotationEnabled: true, KeyId: CUSTOM_KEY_ID, RotationPeriodInDays: 90 });
    expect((await kms.send(new ListKeysCommand({}))).Keys?.map((k) => k.KeyId)).toContain(CUSTOM_KEY_ID);
    expect(sb.seed.kmsKeys['alias/safeguard-audit']).toMatchObject({ alias: 'alias/safeguard-audit' });
  });
});

describe('with moto authenticating requests (IAM policies enforced)', () => {
  let sb: Sandbox;
  let dir: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-rotation-auth-'));
    sb = await startSandbox({ dataDir: dir, authenticate: true, consumers: { intervalMs: CONSUMER_INTERVAL_MS } });
  }, 90_000);

  afterAll(async () => {
    await sb?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('lets SafeguardExecution make the rotation calls, and the consumers read their stores as the reader', async () => {
    const assumed = await new STSClient(config(creds(sb.seed.broker), sb)).send(
      new AssumeRoleCommand({ RoleArn: sb.seed.roles.SafeguardExecution, RoleSessionName: 'rotation-it', ExternalId: sb.seed.externalId }),
    );
    const c = assumed.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('AssumeRole returned no credentials');
    const exec = config({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken }, sb);

    const reporting = sb.seed.serviceUsers['svc-reporting'];
    const etl = sb.seed.serviceUsers['svc-legacy-etl'];
    if (!reporting || reporting.store.type !== 'ssm-parameter' || !etl || etl.store.type !== 'secrets-manager') throw new Error('service users not seeded');
    const iam = new IAMClient(exec);
    const made = await iam.send(new CreateAccessKeyCommand({ UserName: reporting.userName }));
    expect((await iam.send(new ListAccessKeysCommand({ UserName: reporting.userName }))).AccessKeyMetadata).toHaveLength(2);
    await iam.send(new UpdateAccessKeyCommand({ UserName: reporting.userName, AccessKeyId: made.AccessKey?.AccessKeyId, Status: 'Inactive' }));
    await iam.send(new DeleteAccessKeyCommand({ UserName: reporting.userName, AccessKeyId: made.AccessKey?.AccessKeyId }));
    expect((await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: reporting.accessKeyId }))).UserName).toBe(reporting.userName);

    const kms = new KMSClient(exec);
    const KeyId = sb.seed.kmsKeys['alias/safeguard-audit']?.keyId;
    await kms.send(new EnableKeyRotationCommand({ KeyId, RotationPeriodInDays: 180 }));
    expect(await kms.send(new GetKeyRotationStatusCommand({ KeyId }))).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 180 });
    await kms.send(new RotateKeyOnDemandCommand({ KeyId }));

    const ssm = new SSMClient(exec);
    const current = await ssm.send(new GetParameterCommand({ Name: reporting.store.name, WithDecryption: true }));
    expect(JSON.parse(current.Parameter?.Value ?? '{}')).toMatchObject({ accessKeyId: reporting.accessKeyId });
    const sm = new SecretsManagerClient(exec);
    const value = (await sm.send(new GetSecretValueCommand({ SecretId: etl.store.secretId }))).SecretString;
    await sm.send(new PutSecretValueCommand({ SecretId: etl.store.secretId, SecretString: value }));

    const views = await eventually('both consumers to have called', async () => {
      const all = await sandboxControl(sb.endpoint).consumers();
      return all.length === 2 && all.every((v) => v.calls > 0) ? all : undefined;
    });
    for (const v of views) expect(v.lastError).toBeUndefined();
  });
});
