// KMS customer-key rotation activities (KmsKeyTarget): automatic rotation on the target's period,
// an optional on-demand rotation as a drill, and a canary proving that data encrypted before the
// rotation still decrypts and new encryption round-trips. The canary's plaintext is a fixed,
// non-secret string, so its ciphertext may sit in workflow history.
import type { Logger } from 'pino';
import { accountClients as clientsFor } from '../aws/clients';
import type { AwsClients } from '../aws/clients';
import { decrypt, describeKey, enableKeyRotation, encrypt, keyRotationStatus, listKeyRotations, rotateKeyOnDemand } from '../aws/kms';
import type { KeyRotationEntry } from '../aws/kms';
import type { KeyMetadata } from '@aws-sdk/client-kms';
import type { KmsKeyTarget } from '../../workflows/key-rotation/targets';
import { RotationFailures, stop } from './failures';

export interface KmsActivityDeps {
  aws: AwsClients;
  logger: Logger;
}

export interface KmsKeyFacts {
  keyId: string;
  arn: string;
  keySpec: string;
  keyUsage: string;
  keyState: string;
  keyManager: string;
  origin: string;
}

export interface KeyRotationStatus {
  enabled: boolean;
  rotationPeriodDays?: number;
  nextRotationDate?: string;
  /** Set while an on-demand rotation is in progress. */
  onDemandRotationStartDate?: string;
}

/** AWS's range for RotationPeriodInDays. */
export const MIN_ROTATION_PERIOD_DAYS = 90;
export const MAX_ROTATION_PERIOD_DAYS = 2560;

export function canaryPlaintext(canaryId: string): string {
  return `safeguard-canary:${canaryId}`;
}

export function canaryContext(canaryId: string): Record<string, string> {
  return { safeguard: 'canary', canaryId };
}

/** A SYMMETRIC_DEFAULT key can only encrypt/decrypt; AWS always says so, moto 5.2.5 leaves KeyUsage out. */
function usageOf(m: KeyMetadata): string {
  return m.KeyUsage ?? (m.KeySpec === 'SYMMETRIC_DEFAULT' ? 'ENCRYPT_DECRYPT' : 'UNKNOWN');
}

export function createKmsActivities(deps: KmsActivityDeps) {
  const { aws } = deps;
  const log = deps.logger.child({ component: 'rotation.kms' });
  const kmsFor = async (target: KmsKeyTarget) => (await clientsFor(aws, target)).kms;

  const status = async (target: KmsKeyTarget, keyId: string): Promise<KeyRotationStatus> => {
    const out = await keyRotationStatus(await kmsFor(target), keyId);
    return {
      enabled: out.KeyRotationEnabled === true,
      ...(out.RotationPeriodInDays !== undefined ? { rotationPeriodDays: out.RotationPeriodInDays } : {}),
      ...(out.NextRotationDate ? { nextRotationDate: out.NextRotationDate.toISOString() } : {}),
      ...(out.OnDemandRotationStartDate ? { onDemandRotationStartDate: out.OnDemandRotationStartDate.toISOString() } : {}),
    };
  };

  return {
    /** Resolves the target's keyRef (id, ARN or alias) to the key: every other KMS activity takes the key id. */
    async describeKmsKey(target: KmsKeyTarget): Promise<KmsKeyFacts> {
      const m = await describeKey(await kmsFor(target), target.keyRef);
      return {
        keyId: m.KeyId ?? '',
        arn: m.Arn ?? '',
        keySpec: m.KeySpec ?? 'UNKNOWN',
        keyUsage: usageOf(m),
        keyState: m.KeyState ?? 'UNKNOWN',
        keyManager: m.KeyManager ?? 'UNKNOWN',
        origin: m.Origin ?? 'UNKNOWN',
      };
    },

    /**
     * Automatic rotation on, on the target's period. Refuses, non-retryably, what AWS cannot rotate
     * (so the run stops with a clear reason rather than an AWS error): AWS managed keys, anything but
     * a symmetric encryption key with AWS_KMS key material, multi-Region replicas (rotation is set on
     * the primary), keys not Enabled, periods outside 90–2560 days.
     */
    async ensureKeyRotation(input: { target: KmsKeyTarget; keyId: string }): Promise<KeyRotationStatus & { changed: boolean }> {
      const { target, keyId } = input;
      const days = target.rotationPeriodDays;
      if (!Number.isInteger(days) || days < MIN_ROTATION_PERIOD_DAYS || days > MAX_ROTATION_PERIOD_DAYS) {
        stop(RotationFailures.invalidRotationPeriod, `rotation period ${days} days is outside ${MIN_ROTATION_PERIOD_DAYS}–${MAX_ROTATION_PERIOD_DAYS}`);
      }
      const kms = await kmsFor(target);
      const m = await describeKey(kms, keyId);
      if (m.KeyManager !== 'CUSTOMER') stop(RotationFailures.notCustomerManagedKey, `${keyId} is managed by ${m.KeyManager ?? 'unknown'}: its rotation cannot be configured`);
      if (m.KeySpec !== 'SYMMETRIC_DEFAULT' || usageOf(m) !== 'ENCRYPT_DECRYPT') {
        stop(RotationFailures.unsupportedKeyType, `${keyId} is ${m.KeySpec ?? '?'}/${usageOf(m)}: only symmetric encryption keys rotate automatically`);
      }
      if (m.Origin !== 'AWS_KMS') stop(RotationFailures.unsupportedKeyType, `${keyId} has ${m.Origin ?? 'unknown'} key material: only AWS_KMS key material rotates automatically`);
      if (m.MultiRegionConfiguration?.MultiRegionKeyType === 'REPLICA') stop(RotationFailures.unsupportedKeyType, `${keyId} is a multi-Region replica: set rotation on its primary key`);
      if (m.KeyState !== 'Enabled') stop(RotationFailures.keyNotEnabled, `${keyId} is ${m.KeyState ?? 'in an unknown state'}`);

      const before = await status(target, keyId);
      const changed = !(before.enabled && before.rotationPeriodDays === days);
      if (changed) {
        await enableKeyRotation(kms, keyId, days);
        log.info({ target: target.name, keyId, rotationPeriodDays: days, wasEnabled: before.enabled, previousPeriodDays: before.rotationPeriodDays }, 'enabled KMS key rotation');
      }
      return { ...(await status(target, keyId)), changed };
    },

    async keyRotationStatus(input: { target: KmsKeyTarget; keyId: string }): Promise<KeyRotationStatus> {
      return status(input.target, input.keyId);
    },

    /**
     * Starts an on-demand rotation (key material changes, old ciphertext keeps decrypting). With
     * `since` (an ISO time from the workflow, before its first attempt) a retry after a lost
     * response finds the rotation it already started, in progress or done, instead of spending
     * another of the key's 25. LimitExceeded → OnDemandRotationLimit (non-retryable); a rotation in
     * progress → RotationConflict (retryable, 30 s).
     */
    async rotateKeyOnDemand(input: { target: KmsKeyTarget; keyId: string; since?: string }): Promise<{ requestedAt: string; alreadyRequested: boolean }> {
      const { target, keyId, since } = input;
      const kms = await kmsFor(target);
      if (since !== undefined) {
        const sinceMs = Date.parse(since);
        const st = await status(target, keyId);
        if (st.onDemandRotationStartDate && Date.parse(st.onDemandRotationStartDate) >= sinceMs) {
          return { requestedAt: st.onDemandRotationStartDate, alreadyRequested: true };
        }
        const done = (await listKeyRotations(kms, keyId)).filter((r) => r.rotationType === 'ON_DEMAND' && Date.parse(r.rotationDate) >= sinceMs).at(-1);
        if (done) return { requestedAt: done.rotationDate, alreadyRequested: true };
      }
      const requestedAt = new Date().toISOString();
      await rotateKeyOnDemand(kms, keyId);
      log.info({ target: target.name, keyId, requestedAt }, 'started on-demand KMS key rotation');
      return { requestedAt, alreadyRequested: false };
    },

    async listKeyRotations(input: { target: KmsKeyTarget; keyId: string }): Promise<{ rotations: KeyRotationEntry[] }> {
      return { rotations: await listKeyRotations(await kmsFor(input.target), input.keyId) };
    },

    async encryptCanary(input: { target: KmsKeyTarget; keyId: string; canaryId: string }): Promise<{ ciphertext: string; encryptedAt: string }> {
      const { target, keyId, canaryId } = input;
      const blob = await encrypt(await kmsFor(target), keyId, canaryPlaintext(canaryId), canaryContext(canaryId));
      return { ciphertext: Buffer.from(blob).toString('base64'), encryptedAt: new Date().toISOString() };
    },

    /** A ciphertext that no longer decrypts is an answer (false), not a failure: the workflow reports it. */
    async checkCanary(input: { target: KmsKeyTarget; keyId: string; canaryId: string; ciphertext: string }): Promise<{
      oldCiphertextDecrypts: boolean;
      newEncryptionRoundTrips: boolean;
      checkedAt: string;
    }> {
      const { target, keyId, canaryId, ciphertext } = input;
      const kms = await kmsFor(target);
      const expected = canaryPlaintext(canaryId);
      const context = canaryContext(canaryId);
      const old = await decrypt(kms, keyId, Buffer.from(ciphertext, 'base64'), context);
      const fresh = await encrypt(kms, keyId, expected, context);
      const roundTrip = await decrypt(kms, keyId, fresh, context);
      const result = { oldCiphertextDecrypts: old === expected, newEncryptionRoundTrips: roundTrip === expected, checkedAt: new Date().toISOString() };
      log.info({ target: target.name, keyId, canaryId, ...result }, 'checked KMS canary');
      return result;
    },
  };
}
