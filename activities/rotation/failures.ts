// The failure types the rotation activities throw on purpose, and one wrapper that maps the AWS
// errors they expect to them (everything else goes through the project's toActivityFailure, so
// throttling, access denied and the like read the same as in break-glass).
//
// Non-retryable: a retry cannot change the answer, the workflow must stop (or roll back) and tell
// a person. Retryable: the condition passes by itself (a rotation in progress, IAM propagating a
// new key); the workflow's retry policy bounds how long it waits.
import { ApplicationFailure } from '@temporalio/activity';
import type { Duration } from '@temporalio/common';
import { redactSecretShapes } from '../../config/redact';
import { awsErrorName, toActivityFailure } from '../aws/errors';

export const RotationFailures = {
  // Access keys and their store (all non-retryable)
  /** Deleting the key consumers read from the store (AWSCURRENT or AWSPENDING) would break them. */
  refusedToDeleteStoredKey: 'RefusedToDeleteStoredKey',
  /** Deactivating the stored key would break every consumer at once. */
  refusedToDeactivateStoredKey: 'RefusedToDeactivateStoredKey',
  /** No free key slot: the user holds two keys and neither is an orphan of this rotation. */
  twoAccessKeys: 'TwoAccessKeys',
  /** A key that is in no store has been used: someone hands it out, so it is not ours to delete. */
  unknownKeyInUse: 'UnknownKeyInUse',
  /** The store now holds a key that is neither the old key nor this rotation's: someone else rotated. */
  storedKeyChanged: 'StoredKeyChanged',
  /** The store holds this rotation's key, but IAM no longer has it (deleted by hand or by a rollback). */
  rotationKeyMissing: 'RotationKeyMissing',
  /** The key to verify, promote or keep is not in the store. */
  keyNotInStore: 'KeyNotInStore',
  /** Rollback: no version of the store holds the old key any more. */
  previousKeyNotInStore: 'PreviousKeyNotInStore',
  /** The Secrets Manager secret does not exist (Safeguard does not create secrets). */
  keyStoreNotFound: 'KeyStoreNotFound',
  /** The stored value is not `{"accessKeyId","secretAccessKey"}` JSON. */
  keyStoreUnreadable: 'KeyStoreUnreadable',
  /** The SSM parameter is a plain String: an access key secret is never written unencrypted. */
  keyStoreNotEncrypted: 'KeyStoreNotEncrypted',
  /** The stored key authenticates, but as someone other than the target user. */
  verifiedWrongIdentity: 'VerifiedWrongIdentity',
  /** The IAM user does not exist. */
  userNotFound: 'UserNotFound',
  /** The access key or the KMS key does not exist. */
  keyNotFound: 'KeyNotFound',
  // KMS (non-retryable unless said)
  /** Rotation needs a symmetric encryption key with AWS_KMS key material that is not a replica. */
  unsupportedKeyType: 'UnsupportedKeyType',
  /** AWS managed keys rotate themselves yearly; their rotation cannot be configured. */
  notCustomerManagedKey: 'NotCustomerManagedKey',
  /** The key is disabled, pending deletion or otherwise not Enabled. */
  keyNotEnabled: 'KeyNotEnabled',
  /** RotationPeriodInDays outside 90–2560. */
  invalidRotationPeriod: 'InvalidRotationPeriod',
  /** KMS allows 25 on-demand rotations per key, ever: no retry will make room. */
  onDemandRotationLimit: 'OnDemandRotationLimit',
  // Retryable
  /** An on-demand rotation of the key is still in progress (KMS ConflictException). */
  rotationConflict: 'RotationConflict',
  /** Another attempt of the same rotation wrote the store's version first; the retry adopts it. */
  storeWriteConflict: 'StoreWriteConflict',
  /** The new key was still refused after the wait for IAM's eventual consistency. */
  accessKeyNotVerified: 'AccessKeyNotVerified',
} as const;

export type RotationFailureType = (typeof RotationFailures)[keyof typeof RotationFailures];

/** Stops the workflow's step: a non-retryable failure with a stable type. */
export function stop(type: RotationFailureType, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** `NoSuchEntityException` and `NoSuchEntity` (the SDK's class name and the wire code) are one error. */
export function errorKey(err: unknown): string | undefined {
  return awsErrorName(err)?.replace(/Exception$/, '');
}

/** A failure that passes by itself: Temporal retries the activity under the workflow's policy. */
export function retry(type: RotationFailureType, message: string, nextRetryDelay?: Duration): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: false, ...(nextRetryDelay ? { nextRetryDelay } : {}) });
}

export interface KnownError {
  type: RotationFailureType;
  nonRetryable: boolean;
  nextRetryDelay?: Duration;
}

/**
 * The activity failure for an AWS error, its message scrubbed of `secrets` and of anything shaped
 * like a secret: a call that carries one (PutParameter, PutSecretValue, a call signed with a stored
 * key) must not leak it through an error that echoes the request. Expected errors (`known`, keyed by
 * errorKey) become rotation failures; the rest map as awsCall maps them.
 */
export function rotationFailure(action: string, err: unknown, known: Readonly<Record<string, KnownError>> = {}, secrets: readonly string[] = []): ApplicationFailure {
  const name = awsErrorName(err);
  const raw = err instanceof Error ? err.message : String(err);
  const message = redactSecretShapes(secrets.reduce((m, s) => (s ? m.split(s).join('[REDACTED]') : m), raw)).value;
  const key = errorKey(err);
  const mapped = key !== undefined ? known[key] : undefined;
  if (mapped) {
    return ApplicationFailure.create({
      type: mapped.type,
      message: `${action}: ${name ?? 'Error'}: ${message}`,
      nonRetryable: mapped.nonRetryable,
      ...(mapped.nextRetryDelay ? { nextRetryDelay: mapped.nextRetryDelay } : {}),
    });
  }
  return toActivityFailure(action, Object.assign(new Error(message), { name: name ?? 'Error' }));
}

/** awsCall with rotationFailure's mapping and scrubbing. */
export async function rotationCall<T>(action: string, fn: () => Promise<T>, known: Readonly<Record<string, KnownError>> = {}, secrets: readonly string[] = []): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw rotationFailure(action, err, known, secrets);
  }
}

/** Undefined when the call fails with one of `keys` (errorKey: the "not there" answers). */
export async function unlessNotFound<T>(p: Promise<T>, ...keys: string[]): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    const key = errorKey(err);
    if (key !== undefined && keys.includes(key)) return undefined;
    throw err;
  }
}
