// KMS calls for customer-key rotation and the canary. Key-state errors become stable rotation
// failures here, once.
import {
  DecryptCommand,
  DescribeKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetKeyRotationStatusCommand,
  ListKeyRotationsCommand,
  RotateKeyOnDemandCommand,
} from '@aws-sdk/client-kms';
import type { GetKeyRotationStatusResponse, KMSClient, KeyMetadata } from '@aws-sdk/client-kms';
import type { KnownError } from '../rotation/failures';
import { RotationFailures, rotationCall, unlessNotFound } from '../rotation/failures';

const KEY_STATE: Readonly<Record<string, KnownError>> = {
  NotFound: { type: RotationFailures.keyNotFound, nonRetryable: true },
  Disabled: { type: RotationFailures.keyNotEnabled, nonRetryable: true },
  // Pending deletion, pending import, unavailable: none of them passes while a rotation waits.
  KMSInvalidState: { type: RotationFailures.keyNotEnabled, nonRetryable: true },
  UnsupportedOperation: { type: RotationFailures.unsupportedKeyType, nonRetryable: true },
};

/** DescribeKey accepts a key id, key ARN, alias name or alias ARN. */
export async function describeKey(kms: KMSClient, keyRef: string): Promise<KeyMetadata> {
  const out = await rotationCall('DescribeKey', () => kms.send(new DescribeKeyCommand({ KeyId: keyRef })), KEY_STATE);
  if (!out.KeyMetadata?.KeyId) throw new Error(`DescribeKey ${keyRef} returned no key`);
  return out.KeyMetadata;
}

export async function keyRotationStatus(kms: KMSClient, keyId: string): Promise<GetKeyRotationStatusResponse> {
  return rotationCall('GetKeyRotationStatus', () => kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId })), KEY_STATE);
}

export async function enableKeyRotation(kms: KMSClient, keyId: string, rotationPeriodDays: number): Promise<void> {
  await rotationCall('EnableKeyRotation', () => kms.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: rotationPeriodDays })), KEY_STATE);
}

export async function rotateKeyOnDemand(kms: KMSClient, keyId: string): Promise<void> {
  await rotationCall('RotateKeyOnDemand', () => kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId })), {
    ...KEY_STATE,
    LimitExceeded: { type: RotationFailures.onDemandRotationLimit, nonRetryable: true },
    // One on-demand rotation at a time per key; the running one finishes by itself.
    Conflict: { type: RotationFailures.rotationConflict, nonRetryable: false, nextRetryDelay: '30s' },
  });
}

export interface KeyRotationEntry {
  rotationDate: string;
  rotationType: string;
}

export async function listKeyRotations(kms: KMSClient, keyId: string): Promise<KeyRotationEntry[]> {
  const rotations: KeyRotationEntry[] = [];
  let marker: string | undefined;
  do {
    const out = await rotationCall('ListKeyRotations', () => kms.send(new ListKeyRotationsCommand({ KeyId: keyId, Limit: 100, ...(marker ? { Marker: marker } : {}) })), KEY_STATE);
    for (const r of out.Rotations ?? []) {
      rotations.push({ rotationDate: (r.RotationDate ?? new Date(0)).toISOString(), rotationType: r.RotationType ?? 'UNKNOWN' });
    }
    marker = out.Truncated ? out.NextMarker : undefined;
  } while (marker);
  return rotations;
}

export async function encrypt(kms: KMSClient, keyId: string, plaintext: string, context: Record<string, string>): Promise<Uint8Array> {
  const out = await rotationCall(
    'Encrypt',
    () => kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(plaintext, 'utf8'), EncryptionContext: context })),
    KEY_STATE,
  );
  if (!out.CiphertextBlob) throw new Error('Encrypt returned no ciphertext');
  return out.CiphertextBlob;
}

/** The plaintext, or undefined when KMS says this ciphertext does not decrypt (with this key and context). */
export async function decrypt(kms: KMSClient, keyId: string, ciphertext: Uint8Array, context: Record<string, string>): Promise<string | undefined> {
  const out = await rotationCall(
    'Decrypt',
    () => unlessNotFound(kms.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: ciphertext, EncryptionContext: context })), 'InvalidCiphertext', 'IncorrectKey'),
    KEY_STATE,
  );
  return out?.Plaintext ? Buffer.from(out.Plaintext).toString('utf8') : undefined;
}
