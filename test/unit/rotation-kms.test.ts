// KMS rotation activities against an in-process KMS (test/support/rotation-fake-aws.ts).
import { createLogger } from '../../config/logger';
import { createRotationActivities } from '../../activities/rotation';
import type { KmsKeyTarget } from '../../workflows/key-rotation/targets';
import { FakeAws, awsError } from '../support/rotation-fake-aws';

function setup(opts: Parameters<FakeAws['addKmsKey']>[0] = {}, rotationPeriodDays = 180) {
  const fake = new FakeAws();
  const keyId = fake.addKmsKey({ alias: 'alias/orders', ...opts });
  const target: KmsKeyTarget = {
    accountId: '123456789012',
    executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecution',
    externalId: 'x',
    name: 'orders-data-key',
    keyRef: 'alias/orders',
    rotationPeriodDays,
    onDemandDrill: true,
  };
  const acts = createRotationActivities({ aws: fake.clients(), logger: createLogger('t', 'silent') });
  return { fake, keyId, target, acts };
}

describe('KMS rotation activities', () => {
  it('resolves an alias to the key', async () => {
    const { acts, target, keyId } = setup();
    expect(await acts.describeKmsKey(target)).toEqual({
      keyId,
      arn: expect.stringContaining(keyId),
      keySpec: 'SYMMETRIC_DEFAULT',
      keyUsage: 'ENCRYPT_DECRYPT',
      keyState: 'Enabled',
      keyManager: 'CUSTOMER',
      origin: 'AWS_KMS',
    });
  });

  it('enables rotation on the target period, and skips the call when already so', async () => {
    const { acts, target, keyId, fake } = setup();
    const first = await acts.ensureKeyRotation({ target, keyId });
    expect(first).toMatchObject({ enabled: true, rotationPeriodDays: 180, changed: true, nextRotationDate: expect.any(String) });
    fake.calls.length = 0;
    expect(await acts.ensureKeyRotation({ target, keyId })).toMatchObject({ enabled: true, rotationPeriodDays: 180, changed: false });
    expect(fake.calls).not.toContain('EnableKeyRotation');
    // a new period is applied
    expect(await acts.ensureKeyRotation({ target: { ...target, rotationPeriodDays: 365 }, keyId })).toMatchObject({ rotationPeriodDays: 365, changed: true });
  });

  it.each([
    [{ keySpec: 'RSA_2048' }, 'UnsupportedKeyType'],
    [{ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' }, 'UnsupportedKeyType'],
    [{ origin: 'EXTERNAL' }, 'UnsupportedKeyType'],
    [{ keyState: 'Disabled' }, 'KeyNotEnabled'],
    [{ keyState: 'PendingDeletion' }, 'KeyNotEnabled'],
    [{ keyManager: 'AWS' }, 'NotCustomerManagedKey'],
  ])('refuses to set rotation on %j (%s)', async (opts, type) => {
    const { acts, target, keyId, fake } = setup(opts);
    await expect(acts.ensureKeyRotation({ target, keyId })).rejects.toMatchObject({ type, nonRetryable: true });
    expect(fake.calls).not.toContain('EnableKeyRotation');
  });

  it.each([30, 89, 2561, 90.5])('refuses a rotation period of %d days', async (days) => {
    const { acts, target, keyId, fake } = setup({}, days);
    await expect(acts.ensureKeyRotation({ target, keyId })).rejects.toMatchObject({ type: 'InvalidRotationPeriod', nonRetryable: true });
    expect(fake.calls).toEqual([]);
  });

  it('maps a missing key to KeyNotFound', async () => {
    const { acts, target } = setup();
    await expect(acts.describeKmsKey({ ...target, keyRef: 'alias/nope' })).rejects.toMatchObject({ type: 'KeyNotFound', nonRetryable: true });
  });

  it('rotates on demand, lists the rotation, and does not rotate twice on a retry', async () => {
    const { acts, target, keyId, fake } = setup();
    const since = new Date(Date.now() - 1000).toISOString();
    const first = await acts.rotateKeyOnDemand({ target, keyId, since });
    expect(first.alreadyRequested).toBe(false);
    const retried = await acts.rotateKeyOnDemand({ target, keyId, since });
    expect(retried.alreadyRequested).toBe(true);
    expect(fake.calls.filter((c) => c === 'RotateKeyOnDemand')).toHaveLength(1);
    const { rotations } = await acts.listKeyRotations({ target, keyId });
    expect(rotations).toEqual([{ rotationDate: expect.any(String), rotationType: 'ON_DEMAND' }]);
  });

  it('pages through rotations', async () => {
    const { acts, target, keyId, fake } = setup();
    for (let i = 0; i < 230; i++) fake.kmsKey(keyId).rotations.push({ date: new Date(1_700_000_000_000 + i), type: 'AUTOMATIC' });
    expect((await acts.listKeyRotations({ target, keyId })).rotations).toHaveLength(230);
  });

  it('stops at the on-demand limit and retries a conflict', async () => {
    const { acts, target, keyId, fake } = setup();
    fake.onDemandLimit = 0;
    await expect(acts.rotateKeyOnDemand({ target, keyId })).rejects.toMatchObject({ type: 'OnDemandRotationLimit', nonRetryable: true });
    fake.failNext('RotateKeyOnDemand', awsError('ConflictException', 'in progress'));
    await expect(acts.rotateKeyOnDemand({ target, keyId })).rejects.toMatchObject({ type: 'RotationConflict', nonRetryable: false });
  });

  it('round-trips the canary and tells a foreign ciphertext from a failure', async () => {
    const { acts, target, keyId, fake } = setup();
    const { ciphertext } = await acts.encryptCanary({ target, keyId, canaryId: 'c1' });
    expect(Buffer.from(ciphertext, 'base64').length).toBeGreaterThan(0);
    expect(await acts.checkCanary({ target, keyId, canaryId: 'c1', ciphertext })).toMatchObject({ oldCiphertextDecrypts: true, newEncryptionRoundTrips: true });
    // another canary id is another encryption context: the old ciphertext does not decrypt under it
    expect(await acts.checkCanary({ target, keyId, canaryId: 'c2', ciphertext })).toMatchObject({ oldCiphertextDecrypts: false, newEncryptionRoundTrips: true });
    const other = fake.addKmsKey();
    expect(await acts.checkCanary({ target, keyId: other, canaryId: 'c1', ciphertext })).toMatchObject({ oldCiphertextDecrypts: false });
    fake.kmsKey(keyId).keyState = 'Disabled';
    await expect(acts.checkCanary({ target, keyId, canaryId: 'c1', ciphertext })).rejects.toMatchObject({ type: 'KeyNotEnabled' });
  });
});
