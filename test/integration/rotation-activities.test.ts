// The key-rotation activities against the AWS sandbox with the real SDK: every call goes broker →
// AssumeRole(SafeguardExecution, ExternalId) → the gateway → moto, as in production. Starts its own
// sandbox (new keys refused for a few seconds, as IAM does; short KMS on-demand rotations) and makes
// its own users, parameters, secrets and keys through BreakGlassAdmin. Does not use the stack the
// integration global setup starts.
//
// Written to be right for AWS; where the sandbox differs, the assertion says so.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, ListAccessKeysCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateSecretCommand, GetSecretValueCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterHistoryCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { ApplicationFailure } from '@temporalio/common';
import { AwsClients } from '../../activities/aws/clients';
import { createRotationActivities } from '../../activities/rotation';
import type { RotationActivities } from '../../activities/rotation';
import { createLogger } from '../../config/logger';
import { startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { precheck } from '../../workflows/key-rotation/precheck';
import type { AccessKeyTarget, KeyStore, KmsKeyTarget } from '../../workflows/key-rotation/targets';
import { formatFindings, scanForSecrets } from '../support/secret-scan';

jest.setTimeout(120_000);

/** How long the sandbox refuses a new key (AWS: "a few seconds"). */
const NEW_KEY_DELAY_MS = 3_000;

interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

let sandbox: Sandbox;
let dataDir: string;
let aws: AwsClients;
let acts: RotationActivities;
const logLines: string[] = [];
/** Every value an activity returned, and every failure it threw, for the secret scan. */
const outputs: unknown[] = [];
const admin = {} as { iam: IAMClient; ssm: SSMClient; sm: SecretsManagerClient; kms: KMSClient };
/** Every key store the tests made, to read back every secret ever stored. */
const storesMade: KeyStore[] = [];
const knownSecrets = new Set<string>();

const cfg = (credentials: Creds) => ({ region: sandbox.region, endpoint: sandbox.endpoint, credentials, maxAttempts: 1 });

/** Calls an activity, keeping what it returned (or threw) for the secret scan. */
async function run<T>(p: Promise<T>): Promise<T> {
  try {
    const out = await p;
    outputs.push(out);
    return out;
  } catch (err) {
    outputs.push({ failure: String(err), type: (err as ApplicationFailure).type });
    throw err;
  }
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-rotation-it-'));
  sandbox = await startSandbox({ dataDir, newKeyDelayMs: NEW_KEY_DELAY_MS, kmsOnDemandRotationMs: 1_000 });
  const { broker, roles } = sandbox.seed;
  knownSecrets.add(broker.secretAccessKey);
  // Fixtures (users, stores, keys) are made as an administrator would, through BreakGlassAdmin.
  const sts = new STSClient(cfg({ accessKeyId: broker.accessKeyId, secretAccessKey: broker.secretAccessKey }));
  const assumed = await sts.send(
    new AssumeRoleCommand({ RoleArn: roles.BreakGlassAdmin, RoleSessionName: 'rotation-it-fixtures', SourceIdentity: 'alice', DurationSeconds: 900 }),
  );
  const c = assumed.Credentials!;
  const adminCreds = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  admin.iam = new IAMClient(cfg(adminCreds));
  admin.ssm = new SSMClient(cfg(adminCreds));
  admin.sm = new SecretsManagerClient(cfg(adminCreds));
  admin.kms = new KMSClient(cfg(adminCreds));
  // The worker's own setup (dev/stack.ts): broker credentials, the gateway as endpoint.
  aws = new AwsClients({ region: sandbox.region, endpoint: sandbox.endpoint, brokerCredentials: { accessKeyId: broker.accessKeyId, secretAccessKey: broker.secretAccessKey } });
  const logger = createLogger('rotation-it', 'debug', { write: (s: string) => logLines.push(s) });
  // Verification must outlast the sandbox's new-key delay.
  acts = createRotationActivities({ aws, logger, verifyTimeoutMs: 20_000, verifyIntervalMs: 500 });
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

const suffix = () => randomBytes(4).toString('hex');

function accountRef() {
  return { accountId: sandbox.seed.accountId, executionRoleArn: sandbox.seed.roles.SafeguardExecution, externalId: sandbox.seed.externalId };
}

async function createKey(userName: string): Promise<Creds> {
  const out = await admin.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  const k = { accessKeyId: out.AccessKey!.AccessKeyId!, secretAccessKey: out.AccessKey!.SecretAccessKey! };
  knownSecrets.add(k.secretAccessKey);
  return k;
}

async function keyIdsOf(userName: string): Promise<string[]> {
  const out = await admin.iam.send(new ListAccessKeysCommand({ UserName: userName }));
  return (out.AccessKeyMetadata ?? []).map((k) => k.AccessKeyId!).sort();
}

/** A service user with one key, stored where its consumers read it. */
async function serviceUser(kind: KeyStore['type']): Promise<{ target: AccessKeyTarget; old: Creds }> {
  const userName = `svc-rot-${suffix()}`;
  await admin.iam.send(new CreateUserCommand({ UserName: userName }));
  const old = await createKey(userName);
  const value = JSON.stringify(old);
  let store: KeyStore;
  if (kind === 'ssm-parameter') {
    store = { type: 'ssm-parameter', name: `/rotation-it/${userName}/aws-key` };
    await admin.ssm.send(new PutParameterCommand({ Name: store.name, Type: 'SecureString', Value: value }));
  } else {
    store = { type: 'secrets-manager', secretId: `rotation-it/${userName}/aws-key` };
    await admin.sm.send(new CreateSecretCommand({ Name: store.secretId, SecretString: value }));
  }
  storesMade.push(store);
  return {
    old,
    target: {
      ...accountRef(),
      name: `it-${userName}`,
      userName,
      store,
      maxAgeMs: 90 * 86_400_000,
      gracePeriodMs: 60_000,
      switchTimeoutMs: 600_000,
      observePeriodMs: 60_000,
    },
  };
}

/** The key id consumers read now, read as a consumer would (always with an explicit stage: see the facts note). */
async function consumerKeyId(store: KeyStore): Promise<string> {
  if (store.type === 'ssm-parameter') {
    const h = await admin.ssm.send(new GetParameterHistoryCommand({ Name: store.name, WithDecryption: true }));
    return (JSON.parse(h.Parameters!.at(-1)!.Value!) as Creds).accessKeyId;
  }
  const out = await admin.sm.send(new GetSecretValueCommand({ SecretId: store.secretId, VersionStage: 'AWSCURRENT' }));
  return (JSON.parse(out.SecretString!) as Creds).accessKeyId;
}

async function storeVersionCount(store: KeyStore): Promise<number> {
  if (store.type === 'ssm-parameter') return (await admin.ssm.send(new GetParameterHistoryCommand({ Name: store.name }))).Parameters?.length ?? 0;
  return (await admin.sm.send(new ListSecretVersionIdsCommand({ SecretId: store.secretId, IncludeDeprecated: true }))).Versions?.length ?? 0;
}

async function whoAmI(c: Creds): Promise<string | undefined> {
  const sts = new STSClient(cfg(c));
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  } finally {
    sts.destroy();
  }
}

describe.each<KeyStore['type']>(['ssm-parameter', 'secrets-manager'])('access-key rotation with a %s store', (kind) => {
  it('rotates end to end: inspect, precheck, create+store, verify, promote, deactivate and delete the old key', async () => {
    const { target, old } = await serviceUser(kind);
    const seen = await run(acts.inspectAccessKeys(target));
    expect(seen.storedAccessKeyId).toBe(old.accessKeyId);
    expect(seen.keys).toEqual([expect.objectContaining({ accessKeyId: old.accessKeyId, status: 'Active', createdAt: expect.any(String) })]);
    const decision = precheck(seen.keys, seen.storedAccessKeyId);
    expect(decision).toMatchObject({ action: 'proceed', old: { accessKeyId: old.accessKeyId } });

    const rotationId = `it-${suffix()}`;
    const created = await run(acts.createAndStoreAccessKey({ target, rotationId, oldAccessKeyId: old.accessKeyId }));
    expect(await keyIdsOf(target.userName)).toEqual([old.accessKeyId, created.accessKeyId].sort());
    // Secrets Manager: consumers (AWSCURRENT) keep the old key until promotion. SSM: the value is written at once.
    expect(await consumerKeyId(target.store)).toBe(kind === 'ssm-parameter' ? created.accessKeyId : old.accessKeyId);

    // The sandbox refuses the new key for NEW_KEY_DELAY_MS, as IAM does: verification waits it out.
    const started = Date.now();
    const verified = await run(acts.verifyAccessKey({ target, accessKeyId: created.accessKeyId }));
    expect(verified.arn).toBe(`arn:aws:iam::${sandbox.seed.accountId}:user/${target.userName}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(NEW_KEY_DELAY_MS - 1_500);

    expect(await run(acts.promoteStoredKey({ target, accessKeyId: created.accessKeyId, rotationId }))).toMatchObject({ promoted: true, store: kind });
    expect(await consumerKeyId(target.store)).toBe(created.accessKeyId);
    // promoting again is harmless
    await run(acts.promoteStoredKey({ target, accessKeyId: created.accessKeyId, rotationId }));
    expect(await consumerKeyId(target.store)).toBe(created.accessKeyId);
    if (target.store.type === 'secrets-manager') {
      const versions = (await admin.sm.send(new ListSecretVersionIdsCommand({ SecretId: target.store.secretId }))).Versions ?? [];
      expect(versions.map((v) => v.VersionStages?.slice().sort()).sort()).toEqual([['AWSCURRENT'], ['AWSPREVIOUS']]);
    }
    expect((await run(acts.inspectAccessKeys(target))).storedAccessKeyId).toBe(created.accessKeyId);

    // The consumers' switch is the workflow's business; here, the old key's end.
    await run(acts.setAccessKeyStatus({ target, accessKeyId: old.accessKeyId, status: 'Inactive' }));
    await expect(whoAmI(old)).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
    expect(await run(acts.deleteAccessKey({ target, accessKeyId: old.accessKeyId }))).toEqual({ deleted: true });
    expect(await run(acts.deleteAccessKey({ target, accessKeyId: old.accessKeyId }))).toEqual({ deleted: false });
    expect(await keyIdsOf(target.userName)).toEqual([created.accessKeyId]);
    // The verification call shows as the new key's use (workflows watching consumers must discount it).
    expect(await run(acts.accessKeyLastUsed({ target, accessKeyId: created.accessKeyId }))).toMatchObject({ lastUsedAt: expect.any(String), service: 'sts' });
  });

  it('is idempotent per rotation id: one new key, the store written once', async () => {
    const { target, old } = await serviceUser(kind);
    const versionsBefore = await storeVersionCount(target.store);
    const input = { target, rotationId: `it-${suffix()}`, oldAccessKeyId: old.accessKeyId };
    const first = await run(acts.createAndStoreAccessKey(input));
    const second = await run(acts.createAndStoreAccessKey(input));
    expect(second).toEqual(first);
    expect(await keyIdsOf(target.userName)).toEqual([old.accessKeyId, first.accessKeyId].sort());
    expect(await storeVersionCount(target.store)).toBe(versionsBefore + 1);
  });

  it('cleans up after a crash between create and store: the orphan is deleted, exactly one new key stored', async () => {
    const { target, old } = await serviceUser(kind);
    const versionsBefore = await storeVersionCount(target.store);
    // What a worker that died right after CreateAccessKey leaves: a key whose secret nobody has.
    const orphan = await createKey(target.userName);
    const created = await run(acts.createAndStoreAccessKey({ target, rotationId: `it-${suffix()}`, oldAccessKeyId: old.accessKeyId }));
    expect(created.accessKeyId).not.toBe(orphan.accessKeyId);
    expect(await keyIdsOf(target.userName)).toEqual([old.accessKeyId, created.accessKeyId].sort());
    expect(await storeVersionCount(target.store)).toBe(versionsBefore + 1);
    await expect(run(acts.verifyAccessKey({ target, accessKeyId: created.accessKeyId }))).resolves.toMatchObject({ arn: expect.stringContaining(target.userName) });
  });

  it('rolls back a failed rotation: consumers read the old key again, the new key can go', async () => {
    const { target, old } = await serviceUser(kind);
    const rotationId = `it-${suffix()}`;
    const created = await run(acts.createAndStoreAccessKey({ target, rotationId, oldAccessKeyId: old.accessKeyId }));
    await run(acts.promoteStoredKey({ target, accessKeyId: created.accessKeyId, rotationId }));
    // The stored key cannot be deleted out from under its consumers.
    await expect(run(acts.deleteAccessKey({ target, accessKeyId: created.accessKeyId }))).rejects.toMatchObject({ type: 'RefusedToDeleteStoredKey', nonRetryable: true });

    expect(await run(acts.restorePreviousStoredKey({ target, oldAccessKeyId: old.accessKeyId }))).toMatchObject({ restored: true, store: kind });
    expect(await consumerKeyId(target.store)).toBe(old.accessKeyId);
    expect(await run(acts.restorePreviousStoredKey({ target, oldAccessKeyId: old.accessKeyId }))).toMatchObject({ restored: false });
    expect(await run(acts.deleteAccessKey({ target, accessKeyId: created.accessKeyId }))).toEqual({ deleted: true });
    // what the store holds again is the old key, and it still works
    await expect(run(acts.verifyAccessKey({ target, accessKeyId: old.accessKeyId }))).resolves.toMatchObject({ arn: expect.stringContaining(target.userName) });
  });
});

describe('access-key precheck on real keys', () => {
  it('stops on two active keys, and deletes an inactive second key first', async () => {
    const { target, old } = await serviceUser('ssm-parameter');
    const second = await createKey(target.userName);

    const two = await run(acts.inspectAccessKeys(target));
    expect(precheck(two.keys, two.storedAccessKeyId)).toMatchObject({ action: 'stop', finding: { code: 'TwoActiveKeys' } });
    // and the rotation itself refuses to treat a used, unstored key as an orphan
    // someone signs with it (once IAM has propagated it), so IAM records a use
    await new Promise((r) => setTimeout(r, NEW_KEY_DELAY_MS));
    expect(await whoAmI(second)).toContain(target.userName);
    await expect(run(acts.createAndStoreAccessKey({ target, rotationId: `it-${suffix()}`, oldAccessKeyId: old.accessKeyId }))).rejects.toMatchObject({
      type: 'UnknownKeyInUse',
      nonRetryable: true,
    });

    await admin.iam.send(new UpdateAccessKeyCommand({ UserName: target.userName, AccessKeyId: second.accessKeyId, Status: 'Inactive' }));
    const idle = await run(acts.inspectAccessKeys(target));
    const decision = precheck(idle.keys, idle.storedAccessKeyId);
    expect(decision).toEqual({ action: 'delete-inactive-first', keyId: second.accessKeyId });
    expect(await run(acts.deleteAccessKey({ target, accessKeyId: second.accessKeyId }))).toEqual({ deleted: true });
    const after = await run(acts.inspectAccessKeys(target));
    expect(precheck(after.keys, after.storedAccessKeyId)).toMatchObject({ action: 'proceed', old: { accessKeyId: old.accessKeyId } });
  });
});

describe('KMS key rotation', () => {
  async function kmsTarget(keySpec?: 'RSA_2048'): Promise<{ target: KmsKeyTarget; keyId: string }> {
    const key = await admin.kms.send(new CreateKeyCommand(keySpec ? { KeySpec: keySpec, KeyUsage: 'SIGN_VERIFY' } : {}));
    const keyId = key.KeyMetadata!.KeyId!;
    const alias = `alias/rotation-it-${suffix()}`;
    await admin.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
    return { keyId, target: { ...accountRef(), name: `it-${alias}`, keyRef: alias, rotationPeriodDays: 180, onDemandDrill: true } };
  }

  it('ensures rotation, keeps a canary readable across an on-demand rotation, and lists it', async () => {
    const { target, keyId } = await kmsTarget();
    const facts = await run(acts.describeKmsKey(target));
    expect(facts).toMatchObject({ keyId, keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', keyState: 'Enabled', keyManager: 'CUSTOMER' });
    expect(facts.arn).toContain(keyId);

    const ensured = await run(acts.ensureKeyRotation({ target, keyId: facts.keyId }));
    expect(ensured).toMatchObject({ enabled: true, changed: true });
    // AWS (and the sandbox's gateway; not moto alone) report the period and the next rotation.
    expect(await run(acts.keyRotationStatus({ target, keyId }))).toMatchObject({ enabled: true, rotationPeriodDays: 180, nextRotationDate: expect.any(String) });
    expect(await run(acts.ensureKeyRotation({ target, keyId }))).toMatchObject({ enabled: true, changed: false });

    const canaryId = `canary-${suffix()}`;
    const { ciphertext } = await run(acts.encryptCanary({ target, keyId, canaryId }));
    const since = new Date(Date.now() - 1_000).toISOString();
    const requested = await run(acts.rotateKeyOnDemand({ target, keyId, since }));
    expect(requested.alreadyRequested).toBe(false);
    // a retry of the same step does not spend another of the key's on-demand rotations
    expect(await run(acts.rotateKeyOnDemand({ target, keyId, since }))).toMatchObject({ alreadyRequested: true });
    // while one runs, another is a (retryable) conflict, as on AWS
    await expect(run(acts.rotateKeyOnDemand({ target, keyId }))).rejects.toMatchObject({ type: 'RotationConflict', nonRetryable: false });

    const deadline = Date.now() + 30_000;
    while ((await run(acts.keyRotationStatus({ target, keyId }))).onDemandRotationStartDate && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const { rotations } = await run(acts.listKeyRotations({ target, keyId }));
    expect(rotations.filter((r) => r.rotationType === 'ON_DEMAND')).toHaveLength(1);

    expect(await run(acts.checkCanary({ target, keyId, canaryId, ciphertext }))).toMatchObject({ oldCiphertextDecrypts: true, newEncryptionRoundTrips: true });
    // the encryption context is part of the canary: another canary id does not decrypt it
    expect(await run(acts.checkCanary({ target, keyId, canaryId: `${canaryId}-other`, ciphertext }))).toMatchObject({ oldCiphertextDecrypts: false, newEncryptionRoundTrips: true });
  });

  it('refuses to set rotation on an asymmetric key', async () => {
    const { target, keyId } = await kmsTarget('RSA_2048');
    await expect(run(acts.ensureKeyRotation({ target, keyId }))).rejects.toMatchObject({ type: 'UnsupportedKeyType', nonRetryable: true });
  });
});

describe('secrets (DESIGN.md §6.1)', () => {
  // Runs last: scans what every test above returned and logged, plus a rotation of its own (so it
  // proves something when run alone).
  it('no secret access key ever appears in an activity result, failure or log line', async () => {
    for (const kind of ['ssm-parameter', 'secrets-manager'] as const) {
      const { target, old } = await serviceUser(kind);
      const rotationId = `it-${suffix()}`;
      await run(acts.inspectAccessKeys(target));
      const created = await run(acts.createAndStoreAccessKey({ target, rotationId, oldAccessKeyId: old.accessKeyId }));
      await run(acts.verifyAccessKey({ target, accessKeyId: created.accessKeyId }));
      await run(acts.promoteStoredKey({ target, accessKeyId: created.accessKeyId, rotationId }));
      await run(acts.deleteAccessKey({ target, accessKeyId: created.accessKeyId })).catch(() => undefined);
      await run(acts.restorePreviousStoredKey({ target, oldAccessKeyId: old.accessKeyId }));
      await run(acts.inspectAccessKeys(target));
    }
    // every secret ever stored by the activities, read back from the stores as an administrator
    for (const store of storesMade) {
      if (store.type === 'ssm-parameter') {
        const h = await admin.ssm.send(new GetParameterHistoryCommand({ Name: store.name, WithDecryption: true }));
        for (const p of h.Parameters ?? []) knownSecrets.add((JSON.parse(p.Value!) as Creds).secretAccessKey);
      } else {
        const versions = (await admin.sm.send(new ListSecretVersionIdsCommand({ SecretId: store.secretId, IncludeDeprecated: true }))).Versions ?? [];
        for (const v of versions) {
          const out = await admin.sm.send(new GetSecretValueCommand({ SecretId: store.secretId, VersionId: v.VersionId! }));
          knownSecrets.add((JSON.parse(out.SecretString!) as Creds).secretAccessKey);
        }
      }
    }
    expect(knownSecrets.size).toBeGreaterThan(2 * storesMade.length);
    expect(outputs.length).toBeGreaterThan(12);
    expect(logLines.length).toBeGreaterThan(8);
    const text = [JSON.stringify(outputs), ...logLines].join('\n');
    expect(formatFindings(scanForSecrets(text, { known: [...knownSecrets] }))).toBe('');
  });
});
