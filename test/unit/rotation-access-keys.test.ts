// Access-key rotation activities against an in-process AWS (test/support/rotation-fake-aws.ts):
// idempotency across crashes, refusals, rollback, and no secret in results, failures or logs.
import { createLogger } from '../../config/logger';
import { createRotationActivities } from '../../activities/rotation';
import { rotationVersionId } from '../../activities/aws/secrets-manager';
import { parseStoredValue, rotationMarker } from '../../activities/rotation/key-store';
import { isTargetUserArn } from '../../activities/rotation/access-keys';
import { rotationFailure } from '../../activities/rotation/failures';
import type { AccessKeyTarget, KeyStore } from '../../workflows/key-rotation/targets';
import { FakeAws, awsError } from '../support/rotation-fake-aws';
import { formatFindings, scanForSecrets } from '../support/secret-scan';

const USER = 'svc-orders';

function target(store: KeyStore, userName = USER): AccessKeyTarget {
  return {
    accountId: '123456789012',
    executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecution',
    externalId: 'x',
    name: 'orders-app',
    userName,
    store,
    maxAgeMs: 90 * 86_400_000,
    gracePeriodMs: 86_400_000,
    switchTimeoutMs: 7 * 86_400_000,
    observePeriodMs: 86_400_000,
  };
}

const stores: Array<[string, KeyStore]> = [
  ['ssm-parameter', { type: 'ssm-parameter', name: '/apps/orders/aws-key' }],
  ['secrets-manager', { type: 'secrets-manager', secretId: 'apps/orders/aws-key' }],
];

interface World {
  fake: FakeAws;
  acts: ReturnType<typeof createRotationActivities>;
  logs: string[];
  old: { accessKeyId: string; secretAccessKey: string };
  t: AccessKeyTarget;
}

/** A user with one key, stored in `store` the way consumers expect. */
function world(store: KeyStore): World {
  const fake = new FakeAws();
  fake.addUser(USER);
  const old = fake.addKey(USER, { used: true });
  const value = JSON.stringify(old);
  if (store.type === 'ssm-parameter') fake.putParam(store.name, value);
  else fake.createSecret(store.secretId, value);
  const logs: string[] = [];
  const logger = createLogger('rotation-test', 'debug', { write: (s: string) => logs.push(s) });
  const acts = createRotationActivities({ aws: fake.clients(), logger, verifyTimeoutMs: 200, verifyIntervalMs: 1 });
  return { fake, acts, logs, old, t: target(store) };
}

/** The key id consumers read now. */
function storedKeyId(w: World): string | undefined {
  const s = w.t.store;
  const raw = s.type === 'ssm-parameter' ? w.fake.params.get(s.name)?.at(-1)?.Value : w.fake.secretValue(s.secretId, 'AWSCURRENT');
  return raw === undefined ? undefined : (JSON.parse(raw) as { accessKeyId: string }).accessKeyId;
}

function storeWrites(w: World): number {
  return w.fake.calls.filter((c) => c === 'PutParameter' || c === 'PutSecretValue').length;
}

const count = (calls: string[], name: string) => calls.filter((c) => c === name).length;

describe.each(stores)('access-key activities with an %s store', (_label, store) => {
  it('inspects keys with their last use and the stored key id, never a secret', async () => {
    const w = world(store);
    const out = await w.acts.inspectAccessKeys(w.t);
    expect(out.storedAccessKeyId).toBe(w.old.accessKeyId);
    expect(out.keys).toEqual([{ accessKeyId: w.old.accessKeyId, status: 'Active', createdAt: expect.any(String), lastUsedAt: expect.any(String), lastUsedService: 's3' }]);
    expect(JSON.stringify(out)).not.toContain(w.old.secretAccessKey);
  });

  it('runs the happy path: create+store, verify, promote, deactivate and delete the old key', async () => {
    const w = world(store);
    const rotationId = 'keyrotation-orders-app-1';
    const created = await w.acts.createAndStoreAccessKey({ target: w.t, rotationId, oldAccessKeyId: w.old.accessKeyId });
    expect(created.accessKeyId).not.toBe(w.old.accessKeyId);
    expect(Object.keys(created).sort()).toEqual(['accessKeyId', 'createdAt', 'storeVersion']);
    if (store.type === 'secrets-manager') {
      // consumers still read the old key until promotion
      expect(created.storeVersion).toBe(rotationVersionId(rotationId));
      expect(storedKeyId(w)).toBe(w.old.accessKeyId);
    } else {
      expect(created.storeVersion).toBe('2');
      expect(w.fake.params.get(store.name)?.at(-1)?.Description).toBe(rotationMarker(rotationId));
    }

    const verified = await w.acts.verifyAccessKey({ target: w.t, accessKeyId: created.accessKeyId });
    expect(verified.arn).toBe(`arn:aws:iam::123456789012:user/${USER}`);

    const promoted = await w.acts.promoteStoredKey({ target: w.t, accessKeyId: created.accessKeyId, rotationId });
    expect(promoted).toMatchObject({ promoted: true, store: store.type });
    expect(storedKeyId(w)).toBe(created.accessKeyId);
    if (store.type === 'secrets-manager') {
      const stages = w.fake.stagesOf(store.secretId);
      expect(stages[rotationVersionId(rotationId)]).toEqual(['AWSCURRENT']);
      expect(Object.values(stages).flat().sort()).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
      // promoting again changes nothing
      const before = w.fake.calls.length;
      await w.acts.promoteStoredKey({ target: w.t, accessKeyId: created.accessKeyId, rotationId });
      expect(w.fake.calls.slice(before)).not.toContain('UpdateSecretVersionStage');
    }

    expect(await w.acts.inspectAccessKeys(w.t)).toMatchObject({ storedAccessKeyId: created.accessKeyId });
    expect(await w.acts.setAccessKeyStatus({ target: w.t, accessKeyId: w.old.accessKeyId, status: 'Inactive' })).toEqual({ accessKeyId: w.old.accessKeyId, status: 'Inactive' });
    expect(await w.acts.deleteAccessKey({ target: w.t, accessKeyId: w.old.accessKeyId })).toEqual({ deleted: true });
    expect(await w.acts.deleteAccessKey({ target: w.t, accessKeyId: w.old.accessKeyId })).toEqual({ deleted: false });
    expect(w.fake.keyIds(USER)).toEqual([created.accessKeyId]);
  });

  it('is idempotent: a second call with the same rotation id returns the same key and writes nothing', async () => {
    const w = world(store);
    const input = { target: w.t, rotationId: 'r-idem', oldAccessKeyId: w.old.accessKeyId };
    const first = await w.acts.createAndStoreAccessKey(input);
    const second = await w.acts.createAndStoreAccessKey(input);
    expect(second).toEqual(first);
    expect(count(w.fake.calls, 'CreateAccessKey')).toBe(1);
    expect(storeWrites(w)).toBe(1);
    expect(w.fake.keyIds(USER).sort()).toEqual([w.old.accessKeyId, first.accessKeyId].sort());
  });

  it('recovers from a crash between create and store: the orphan goes, exactly one new key is stored', async () => {
    const w = world(store);
    const input = { target: w.t, rotationId: 'r-crash', oldAccessKeyId: w.old.accessKeyId };
    w.fake.failNext(store.type === 'ssm-parameter' ? 'PutParameter' : 'PutSecretValue');
    await expect(w.acts.createAndStoreAccessKey(input)).rejects.toThrow(/simulated crash/);
    const [orphan] = w.fake.keyIds(USER).filter((id) => id !== w.old.accessKeyId);
    expect(orphan).toBeDefined();
    expect(storedKeyId(w)).toBe(w.old.accessKeyId);

    w.fake.calls.length = 0;
    const created = await w.acts.createAndStoreAccessKey(input);
    expect(created.accessKeyId).not.toBe(orphan);
    expect(w.fake.keyIds(USER).sort()).toEqual([w.old.accessKeyId, created.accessKeyId].sort());
    expect(storeWrites(w)).toBe(1);
    // the stored secret is the new key's, so it verifies
    await expect(w.acts.verifyAccessKey({ target: w.t, accessKeyId: created.accessKeyId })).resolves.toMatchObject({ arn: expect.stringContaining(USER) });
    expect(w.logs.join('')).toContain('crashed attempt');
  });

  it('recovers from a crash after the store write: the stored key is returned, nothing new is created', async () => {
    const w = world(store);
    const input = { target: w.t, rotationId: 'r-late-crash', oldAccessKeyId: w.old.accessKeyId };
    const first = await w.acts.createAndStoreAccessKey(input);
    // a retry whose first attempt died after the write (its result lost)
    const calls = w.fake.calls.length;
    const again = await w.acts.createAndStoreAccessKey(input);
    expect(again.accessKeyId).toBe(first.accessKeyId);
    expect(w.fake.calls.slice(calls)).not.toContain('CreateAccessKey');
    expect(w.fake.calls.slice(calls)).not.toContain('DeleteAccessKey');
  });

  it('will not delete a key in no store that has been used: someone hands it out', async () => {
    const w = world(store);
    const stray = w.fake.addKey(USER, { used: true });
    await expect(w.acts.createAndStoreAccessKey({ target: w.t, rotationId: 'r-stray', oldAccessKeyId: w.old.accessKeyId })).rejects.toMatchObject({
      type: 'UnknownKeyInUse',
      nonRetryable: true,
    });
    expect(w.fake.keyIds(USER)).toContain(stray.accessKeyId);
    expect(count(w.fake.calls, 'CreateAccessKey')).toBe(0);
  });

  it('stops when the store no longer holds the old key', async () => {
    const w = world(store);
    await expect(w.acts.createAndStoreAccessKey({ target: w.t, rotationId: 'r-x', oldAccessKeyId: 'AKIANOTTHEOLDONE000' })).rejects.toMatchObject({
      type: 'StoredKeyChanged',
      nonRetryable: true,
    });
    expect(count(w.fake.calls, 'CreateAccessKey')).toBe(0);
  });

  it('refuses to delete or deactivate the stored key', async () => {
    const w = world(store);
    await expect(w.acts.deleteAccessKey({ target: w.t, accessKeyId: w.old.accessKeyId })).rejects.toMatchObject({ type: 'RefusedToDeleteStoredKey', nonRetryable: true });
    await expect(w.acts.setAccessKeyStatus({ target: w.t, accessKeyId: w.old.accessKeyId, status: 'Inactive' })).rejects.toMatchObject({
      type: 'RefusedToDeactivateStoredKey',
      nonRetryable: true,
    });
    expect(w.fake.keyIds(USER)).toEqual([w.old.accessKeyId]);
    // re-activating is always allowed
    await expect(w.acts.setAccessKeyStatus({ target: w.t, accessKeyId: w.old.accessKeyId, status: 'Active' })).resolves.toMatchObject({ status: 'Active' });
  });

  it('deletes an old inactive key that is in no store (the precheck case)', async () => {
    const w = world(store);
    const idle = w.fake.addKey(USER, { status: 'Inactive' });
    expect(await w.acts.deleteAccessKey({ target: w.t, accessKeyId: idle.accessKeyId })).toEqual({ deleted: true });
  });

  it('waits out IAM eventual consistency when verifying a new key', async () => {
    const w = world(store);
    w.fake.newKeyRefusals = 3;
    const created = await w.acts.createAndStoreAccessKey({ target: w.t, rotationId: 'r-ec', oldAccessKeyId: w.old.accessKeyId });
    await expect(w.acts.verifyAccessKey({ target: w.t, accessKeyId: created.accessKeyId })).resolves.toMatchObject({ arn: expect.stringContaining(USER) });
    expect(count(w.fake.calls, 'GetCallerIdentity')).toBe(4);
  });

  it('fails retryably when the new key is still refused after the wait', async () => {
    const w = world(store);
    w.fake.newKeyRefusals = 10_000;
    const created = await w.acts.createAndStoreAccessKey({ target: w.t, rotationId: 'r-never', oldAccessKeyId: w.old.accessKeyId });
    await expect(w.acts.verifyAccessKey({ target: w.t, accessKeyId: created.accessKeyId })).rejects.toMatchObject({ type: 'AccessKeyNotVerified', nonRetryable: false });
  });

  it('refuses to verify a key the store does not hold', async () => {
    const w = world(store);
    await expect(w.acts.verifyAccessKey({ target: w.t, accessKeyId: 'AKIASOMETHINGELSE00' })).rejects.toMatchObject({ type: 'KeyNotInStore', nonRetryable: true });
  });

  it('rolls back: consumers read the old key again and no new key waits in the store', async () => {
    const w = world(store);
    const rotationId = 'r-rollback';
    const created = await w.acts.createAndStoreAccessKey({ target: w.t, rotationId, oldAccessKeyId: w.old.accessKeyId });
    await w.acts.promoteStoredKey({ target: w.t, accessKeyId: created.accessKeyId, rotationId });
    expect(storedKeyId(w)).toBe(created.accessKeyId);

    expect(await w.acts.restorePreviousStoredKey({ target: w.t, oldAccessKeyId: w.old.accessKeyId })).toMatchObject({ restored: true });
    expect(storedKeyId(w)).toBe(w.old.accessKeyId);
    expect(await w.acts.restorePreviousStoredKey({ target: w.t, oldAccessKeyId: w.old.accessKeyId })).toMatchObject({ restored: false });
    if (store.type === 'secrets-manager') expect(Object.values(w.fake.stagesOf(store.secretId)).flat()).not.toContain('AWSPENDING');
    // the rolled-back key is in no store now, so it may be deleted
    expect(await w.acts.deleteAccessKey({ target: w.t, accessKeyId: created.accessKeyId })).toEqual({ deleted: true });
    // and the restored value still authenticates as the old key
    await expect(w.acts.verifyAccessKey({ target: w.t, accessKeyId: w.old.accessKeyId })).resolves.toBeDefined();
  });

  it('never returns, logs or reports a secret', async () => {
    const w = world(store);
    const results: unknown[] = [];
    const failures: string[] = [];
    const rotationId = 'r-secrets';
    const keep = async <T>(p: Promise<T>) => {
      try {
        const r = await p;
        results.push(r);
        return r;
      } catch (err) {
        failures.push(String(err), JSON.stringify(err));
        return undefined;
      }
    };
    // an AWS error that echoes the request: the value written, and the bare secret in it
    w.fake.failNext(store.type === 'ssm-parameter' ? 'PutParameter' : 'PutSecretValue', (input) => {
      const value = String(input.Value ?? input.SecretString);
      const secret = (JSON.parse(value) as { secretAccessKey: string }).secretAccessKey;
      return awsError('ValidationException', `value ${value} rejected; ${secret} is not allowed`);
    });
    await keep(w.acts.createAndStoreAccessKey({ target: w.t, rotationId, oldAccessKeyId: w.old.accessKeyId }));
    await keep(w.acts.inspectAccessKeys(w.t));
    const created = await keep(w.acts.createAndStoreAccessKey({ target: w.t, rotationId, oldAccessKeyId: w.old.accessKeyId }));
    await keep(w.acts.verifyAccessKey({ target: w.t, accessKeyId: created!.accessKeyId }));
    await keep(w.acts.promoteStoredKey({ target: w.t, accessKeyId: created!.accessKeyId, rotationId }));
    await keep(w.acts.accessKeyLastUsed({ target: w.t, accessKeyId: created!.accessKeyId }));
    await keep(w.acts.restorePreviousStoredKey({ target: w.t, oldAccessKeyId: w.old.accessKeyId }));
    await keep(w.acts.deleteAccessKey({ target: w.t, accessKeyId: w.old.accessKeyId }));
    await keep(w.acts.inspectAccessKeys(w.t));

    expect(failures.length).toBeGreaterThanOrEqual(2); // the injected error, the refused delete
    expect(failures.join('\n')).toContain('[REDACTED]');
    const known = [...w.fake.allSecrets(), w.old.secretAccessKey];
    const text = [JSON.stringify(results), ...failures, ...w.logs].join('\n');
    const findings = scanForSecrets(text, { known });
    expect(formatFindings(findings)).toBe('');
    expect(w.logs.length).toBeGreaterThan(3);
  });
});

describe('key stores that cannot take a key', () => {
  it('refuses a plain String SSM parameter before creating any key', async () => {
    const fake = new FakeAws();
    fake.addUser(USER);
    const old = fake.addKey(USER);
    fake.putParam('/plain', JSON.stringify(old), 'String');
    const acts = createRotationActivities({ aws: fake.clients(), logger: createLogger('t', 'silent') });
    await expect(acts.createAndStoreAccessKey({ target: target({ type: 'ssm-parameter', name: '/plain' }), rotationId: 'r', oldAccessKeyId: old.accessKeyId })).rejects.toMatchObject({
      type: 'KeyStoreNotEncrypted',
      nonRetryable: true,
    });
    expect(fake.keyIds(USER)).toEqual([old.accessKeyId]);
  });

  it('refuses a missing secret before creating any key; inspect reports nothing stored', async () => {
    const fake = new FakeAws();
    fake.addUser(USER);
    const old = fake.addKey(USER);
    const acts = createRotationActivities({ aws: fake.clients(), logger: createLogger('t', 'silent') });
    const t = target({ type: 'secrets-manager', secretId: 'missing' });
    expect((await acts.inspectAccessKeys(t)).storedAccessKeyId).toBeUndefined();
    await expect(acts.createAndStoreAccessKey({ target: t, rotationId: 'r', oldAccessKeyId: old.accessKeyId })).rejects.toMatchObject({ type: 'KeyStoreNotFound', nonRetryable: true });
    expect(fake.keyIds(USER)).toEqual([old.accessKeyId]);
  });

  it('creates a missing SSM parameter as a SecureString with the target KMS key', async () => {
    const fake = new FakeAws();
    fake.addUser(USER);
    const acts = createRotationActivities({ aws: fake.clients(), logger: createLogger('t', 'silent') });
    const t = target({ type: 'ssm-parameter', name: '/new', kmsKeyId: 'alias/app' });
    const created = await acts.createAndStoreAccessKey({ target: t, rotationId: 'r', oldAccessKeyId: 'AKIANONE' });
    expect(fake.params.get('/new')?.at(-1)).toMatchObject({ Type: 'SecureString', KeyId: 'alias/app', Version: 1 });
    expect(created.storeVersion).toBe('1');
  });

  it('reports an unreadable stored value without quoting it', async () => {
    const fake = new FakeAws();
    fake.addUser(USER);
    fake.addKey(USER);
    const secretish = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    fake.putParam('/bad', `not json ${secretish}`);
    const acts = createRotationActivities({ aws: fake.clients(), logger: createLogger('t', 'silent') });
    const err: unknown = await acts.inspectAccessKeys(target({ type: 'ssm-parameter', name: '/bad' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'KeyStoreUnreadable', nonRetryable: true });
    expect(String((err as Error).message)).not.toContain(secretish);
    expect(() => parseStoredValue('{"accessKeyId":"A"}', 'x')).toThrow(/not JSON/);
  });

  it('refuses a key that authenticates as another user', async () => {
    const fake = new FakeAws();
    fake.addUser(USER);
    fake.addUser('someone-else');
    const theirs = fake.addKey('someone-else');
    fake.putParam('/wrong', JSON.stringify(theirs));
    const acts = createRotationActivities({ aws: fake.clients(), logger: createLogger('t', 'silent'), verifyIntervalMs: 1 });
    await expect(acts.verifyAccessKey({ target: target({ type: 'ssm-parameter', name: '/wrong' }), accessKeyId: theirs.accessKeyId })).rejects.toMatchObject({
      type: 'VerifiedWrongIdentity',
      nonRetryable: true,
    });
  });

  it('Secrets Manager rollback before promotion only drops AWSPENDING', async () => {
    const fake = new FakeAws();
    fake.addUser(USER);
    const old = fake.addKey(USER);
    fake.createSecret('s', JSON.stringify(old));
    const acts = createRotationActivities({ aws: fake.clients(), logger: createLogger('t', 'silent') });
    const t = target({ type: 'secrets-manager', secretId: 's' });
    const created = await acts.createAndStoreAccessKey({ target: t, rotationId: 'r', oldAccessKeyId: old.accessKeyId });
    await expect(acts.deleteAccessKey({ target: t, accessKeyId: created.accessKeyId })).rejects.toMatchObject({ type: 'RefusedToDeleteStoredKey' });
    expect(await acts.restorePreviousStoredKey({ target: t, oldAccessKeyId: old.accessKeyId })).toMatchObject({ restored: false });
    expect(Object.values(fake.stagesOf('s')).flat()).toEqual(['AWSCURRENT']);
    expect(await acts.deleteAccessKey({ target: t, accessKeyId: created.accessKeyId })).toEqual({ deleted: true });
  });

  it('derives a UUID-shaped Secrets Manager version id from the rotation id', () => {
    const a = rotationVersionId('keyrotation-orders-app-2026-12-01');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(rotationVersionId('keyrotation-orders-app-2026-12-01')).toBe(a);
    expect(rotationVersionId('keyrotation-orders-app-2026-12-02')).not.toBe(a);
  });
});

describe('rotation helpers', () => {
  it('recognises the target user ARN, with or without a path, in the target account only', () => {
    const t = { accountId: '123456789012', userName: 'svc-orders' };
    expect(isTargetUserArn('arn:aws:iam::123456789012:user/svc-orders', t)).toBe(true);
    expect(isTargetUserArn('arn:aws:iam::123456789012:user/apps/prod/svc-orders', t)).toBe(true);
    expect(isTargetUserArn('arn:aws-us-gov:iam::123456789012:user/svc-orders', t)).toBe(true);
    expect(isTargetUserArn('arn:aws:iam::210987654321:user/svc-orders', t)).toBe(false);
    expect(isTargetUserArn('arn:aws:iam::123456789012:user/svc-orders-2', t)).toBe(false);
    expect(isTargetUserArn('arn:aws:sts::123456789012:assumed-role/svc-orders/x', t)).toBe(false);
    expect(isTargetUserArn('arn:aws:sts::123456789012:user/moto', t)).toBe(false);
  });

  it('maps expected AWS errors to rotation failures and scrubs secrets from every message', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const known = { Conflict: { type: 'RotationConflict' as const, nonRetryable: false, nextRetryDelay: '30s' as const } };
    const mapped = rotationFailure('RotateKeyOnDemand', awsError('ConflictException', 'busy'), known);
    expect(mapped).toMatchObject({ type: 'RotationConflict', nonRetryable: false });
    const echoed = rotationFailure('PutParameter', awsError('ValidationException', `bad value {"secretAccessKey":"${secret}"} and x${secret.slice(0, 39)}`), {}, ['x' + secret.slice(0, 39)]);
    expect(echoed.message).not.toContain(secret);
    expect(echoed.message).not.toContain(secret.slice(0, 39));
    expect(echoed).toMatchObject({ type: 'AwsError' });
    expect(rotationFailure('ListAccessKeys', awsError('NoSuchEntityException', 'no user'))).toMatchObject({ type: 'AwsNoSuchEntity', nonRetryable: true });
    expect(rotationFailure('ListAccessKeys', awsError('Throttling', 'slow down'))).toMatchObject({ type: 'AwsThrottling' });
  });
});
