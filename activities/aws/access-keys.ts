// IAM access-key calls for rotation (break-glass's role calls are in iam.ts). Each maps its AWS
// errors once: a missing user or key is a stable non-retryable type, the rest goes through
// toActivityFailure. The one call that sees a secret (CreateAccessKey) hands it straight back to
// its caller, which stores it; nothing here logs.
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { AccessKeyFacts } from '../../workflows/key-rotation/precheck';
import { RotationFailures, rotationCall, unlessNotFound } from '../rotation/failures';

export type AccessKeyStatus = AccessKeyFacts['status'];

export interface AccessKeyListing {
  accessKeyId: string;
  status: AccessKeyStatus;
  createdAt: string;
}

export interface AccessKeyUse {
  lastUsedAt?: string;
  service?: string;
  region?: string;
}

/** A new key with its secret: lives only inside the activity that stores it. */
export interface NewAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  createdAt: string;
}

const userNotFound = { NoSuchEntity: { type: RotationFailures.userNotFound, nonRetryable: true } } as const;
const keyNotFound = { NoSuchEntity: { type: RotationFailures.keyNotFound, nonRetryable: true } } as const;

function iso(d: Date | undefined): string {
  return (d ?? new Date(0)).toISOString();
}

export async function listAccessKeys(iam: IAMClient, userName: string): Promise<AccessKeyListing[]> {
  const keys: AccessKeyListing[] = [];
  let marker: string | undefined;
  do {
    const out = await rotationCall('ListAccessKeys', () => iam.send(new ListAccessKeysCommand({ UserName: userName, ...(marker ? { Marker: marker } : {}) })), userNotFound);
    for (const k of out.AccessKeyMetadata ?? []) {
      if (!k.AccessKeyId) continue;
      keys.push({ accessKeyId: k.AccessKeyId, status: k.Status === 'Active' ? 'Active' : 'Inactive', createdAt: iso(k.CreateDate) });
    }
    marker = out.IsTruncated ? out.Marker : undefined;
  } while (marker);
  return keys;
}

/** IAM's "N/A" (never used, or used before IAM tracked it) becomes absent fields; undefined when the key does not exist. */
export async function accessKeyLastUsed(iam: IAMClient, accessKeyId: string): Promise<AccessKeyUse | undefined> {
  const out = await rotationCall('GetAccessKeyLastUsed', () => unlessNotFound(iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId })), 'NoSuchEntity'));
  if (!out) return undefined;
  const u = out.AccessKeyLastUsed;
  const use: AccessKeyUse = {};
  if (u?.LastUsedDate) use.lastUsedAt = u.LastUsedDate.toISOString();
  if (u?.ServiceName && u.ServiceName !== 'N/A') use.service = u.ServiceName;
  if (u?.Region && u.Region !== 'N/A') use.region = u.Region;
  return use;
}

export async function createAccessKey(iam: IAMClient, userName: string): Promise<NewAccessKey> {
  const out = await rotationCall('CreateAccessKey', () => iam.send(new CreateAccessKeyCommand({ UserName: userName })), {
    ...userNotFound,
    // Someone made a key between our listing and this call: the slot we counted on is gone.
    LimitExceeded: { type: RotationFailures.twoAccessKeys, nonRetryable: true },
  });
  const k = out.AccessKey;
  if (!k?.AccessKeyId || !k.SecretAccessKey) throw new Error('CreateAccessKey returned no key');
  return { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey, createdAt: iso(k.CreateDate ?? new Date()) };
}

/** False when the key was already gone (a retried delete). */
export async function deleteAccessKey(iam: IAMClient, userName: string, accessKeyId: string): Promise<boolean> {
  const out = await rotationCall('DeleteAccessKey', () =>
    unlessNotFound(iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId })), 'NoSuchEntity'),
  );
  return out !== undefined;
}

export async function setAccessKeyStatus(iam: IAMClient, userName: string, accessKeyId: string, status: AccessKeyStatus): Promise<void> {
  await rotationCall('UpdateAccessKey', () => iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status })), keyNotFound);
}
