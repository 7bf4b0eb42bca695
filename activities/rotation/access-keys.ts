// Access-key rotation activities (AccessKeyTarget). Invariant (DESIGN.md §6.1): a new key's secret
// goes from CreateAccessKey straight into the store inside createAndStoreAccessKey, and from the
// store into one signed STS call inside verifyAccessKey; no return value, log line or failure
// message carries it. Every call runs as the account's execution role.
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { Logger } from 'pino';
import { accountClients as clientsFor } from '../aws/clients';
import type { AwsClients } from '../aws/clients';
import { accessKeyLastUsed, createAccessKey, deleteAccessKey, listAccessKeys, setAccessKeyStatus } from '../aws/access-keys';
import type { AccessKeyStatus, AccessKeyUse } from '../aws/access-keys';
import { pause } from '../heartbeat';
import type { AccessKeyFacts } from '../../workflows/key-rotation/precheck';
import type { AccessKeyTarget } from '../../workflows/key-rotation/targets';
import { RotationFailures, errorKey, retry, rotationFailure, stop } from './failures';
import { checkWritable, findRotationKey, promote, readSecretFor, restorePrevious, storeName, viewStore, writeRotationKey } from './key-store';
import type { PromoteResult, RestoreResult } from './key-store';

export interface AccessKeyActivityDeps {
  aws: AwsClients;
  logger: Logger;
  /** How long verifyAccessKey waits out IAM's eventual consistency for a new key. Default 30 s. */
  verifyTimeoutMs?: number;
  /** Pause between verification attempts. Default 2 s. */
  verifyIntervalMs?: number;
}

export interface AccessKeyInspection {
  keys: AccessKeyFacts[];
  /** The key consumers read now (SSM value, Secrets Manager AWSCURRENT); absent when the store holds none. */
  storedAccessKeyId?: string;
}

export interface CreatedAccessKey {
  accessKeyId: string;
  createdAt: string;
  /** SSM parameter version or Secrets Manager VersionId holding the new key. */
  storeVersion: string;
}

export interface AccessKeyVerification {
  verifiedAt: string;
  arn: string;
}

/** A new key's first seconds: IAM has it, STS does not know it yet (AWS says seconds, rarely a minute). */
const NOT_YET_VALID = new Set(['InvalidClientTokenId', 'SignatureDoesNotMatch']);

/** `arn:aws:iam::<account>:user/<path/>name` of the target's user. */
export function isTargetUserArn(arn: string, target: Pick<AccessKeyTarget, 'accountId' | 'userName'>): boolean {
  const m = /^arn:[^:]+:iam::(\d{12}):user\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m !== null && m[1] === target.accountId && m[2] === target.userName;
}

export function createAccessKeyActivities(deps: AccessKeyActivityDeps) {
  const { aws } = deps;
  const log = deps.logger.child({ component: 'rotation.access-keys' });
  const verifyTimeoutMs = deps.verifyTimeoutMs ?? 30_000;
  const verifyIntervalMs = deps.verifyIntervalMs ?? 2_000;

  return {
    async inspectAccessKeys(target: AccessKeyTarget): Promise<AccessKeyInspection> {
      const clients = await clientsFor(aws, target);
      const keys: AccessKeyFacts[] = [];
      for (const k of await listAccessKeys(clients.iam, target.userName)) {
        const use = await accessKeyLastUsed(clients.iam, k.accessKeyId);
        if (!use) continue; // deleted since the listing
        keys.push({
          accessKeyId: k.accessKeyId,
          status: k.status,
          createdAt: k.createdAt,
          ...(use.lastUsedAt ? { lastUsedAt: use.lastUsedAt } : {}),
          ...(use.service ? { lastUsedService: use.service } : {}),
        });
      }
      const view = await viewStore(clients, target.store);
      return { keys, ...(view.current ? { storedAccessKeyId: view.current.accessKeyId } : {}) };
    },

    /** Idempotent (an already deleted key answers `deleted: false`); never deletes a key the store holds. */
    async deleteAccessKey(input: { target: AccessKeyTarget; accessKeyId: string }): Promise<{ deleted: boolean }> {
      const { target, accessKeyId } = input;
      const clients = await clientsFor(aws, target);
      const view = await viewStore(clients, target.store);
      for (const [where, ref] of [['current', view.current], ['pending', view.pending]] as const) {
        if (ref?.accessKeyId === accessKeyId) {
          stop(RotationFailures.refusedToDeleteStoredKey, `${accessKeyId} is the ${where} key in ${storeName(target.store)}: deleting it would break its consumers`);
        }
      }
      const deleted = await deleteAccessKey(clients.iam, target.userName, accessKeyId);
      log.info({ target: target.name, userName: target.userName, accessKeyId, deleted }, deleted ? 'deleted access key' : 'access key was already deleted');
      return { deleted };
    },

    /**
     * Creates the new key and writes it to the store in one activity, so its secret never leaves.
     * Safe to retry after a crash at any point, and ends with exactly one new key in IAM and in the
     * store:
     * 1. the store already holds this rotation's key and IAM has it → that key;
     * 2. a key on the user that is neither the old key nor in the store is an orphan of an attempt
     *    that died between create and store (its secret is lost, nobody can use it) → delete it,
     *    unless IAM has seen it used, which means someone else hands it out (UnknownKeyInUse);
     * 3. create, store, return.
     * Limits: IAM's last-used date can lag (AWS: up to hours), so step 2 guards against deleting a
     * stranger's key, not against every case; and an attempt still running after Temporal gave up on
     * it (no heartbeat) can race its retry. The workflow runs this with a heartbeat timeout, and
     * verifyAccessKey catches a store that ended up holding another key (KeyNotInStore).
     */
    async createAndStoreAccessKey(input: { target: AccessKeyTarget; rotationId: string; oldAccessKeyId: string }): Promise<CreatedAccessKey> {
      const { target, rotationId, oldAccessKeyId } = input;
      const clients = await clientsFor(aws, target);
      const where = storeName(target.store);
      const ctx = { target: target.name, userName: target.userName, rotationId, store: target.store.type };
      await checkWritable(clients, target.store);

      let keys = await listAccessKeys(clients.iam, target.userName);
      const mine = await findRotationKey(clients, target.store, rotationId, oldAccessKeyId);
      const mineInIam = mine ? keys.find((k) => k.accessKeyId === mine.accessKeyId) : undefined;
      if (mine && mineInIam) {
        log.info({ ...ctx, accessKeyId: mine.accessKeyId, storeVersion: mine.version }, 'new access key already stored by an earlier attempt');
        return { accessKeyId: mine.accessKeyId, createdAt: mineInIam.createdAt, storeVersion: mine.version };
      }
      if (mine && target.store.type === 'secrets-manager') {
        // The rotation's version id is taken by a key IAM no longer has; Secrets Manager will not
        // let the same token hold another value, so this rotation cannot store a key any more.
        stop(RotationFailures.rotationKeyMissing, `${where} holds ${mine.accessKeyId} for rotation ${rotationId}, but the user no longer has that key`);
      }

      const view = await viewStore(clients, target.store);
      if (view.current && view.current.accessKeyId !== oldAccessKeyId && view.current.accessKeyId !== mine?.accessKeyId) {
        stop(RotationFailures.storedKeyChanged, `${where} now holds ${view.current.accessKeyId}, not the old key ${oldAccessKeyId}: someone else changed it`);
      }
      const stored = new Set([oldAccessKeyId, view.current?.accessKeyId, view.pending?.accessKeyId].filter((id): id is string => id !== undefined));
      for (const orphan of keys.filter((k) => !stored.has(k.accessKeyId))) {
        const use: AccessKeyUse | undefined = await accessKeyLastUsed(clients.iam, orphan.accessKeyId);
        if (use?.lastUsedAt) {
          stop(RotationFailures.unknownKeyInUse, `${orphan.accessKeyId} is in no store but was used ${use.lastUsedAt}${use.service ? ` (${use.service})` : ''}: not deleting it`);
        }
        if (use) {
          const deleted = await deleteAccessKey(clients.iam, target.userName, orphan.accessKeyId);
          log.warn({ ...ctx, accessKeyId: orphan.accessKeyId, createdAt: orphan.createdAt, deleted }, 'deleted an unused access key in no store (left by a crashed attempt)');
        }
      }
      keys = await listAccessKeys(clients.iam, target.userName);
      if (keys.length >= 2) {
        stop(RotationFailures.twoAccessKeys, `the user already has two keys (${keys.map((k) => k.accessKeyId).join(', ')}) and neither is an orphan to clean up (${where}): no slot for a new one`);
      }

      const key = await createAccessKey(clients.iam, target.userName);
      const storeVersion = await writeRotationKey(clients, target.store, rotationId, key);
      log.info({ ...ctx, accessKeyId: key.accessKeyId, storeVersion }, 'created and stored a new access key');
      return { accessKeyId: key.accessKeyId, createdAt: key.createdAt, storeVersion };
    },

    /**
     * Proves the stored key works and is the target user's: one STS GetCallerIdentity signed with
     * the stored secret. A new key is refused for a few seconds after creation (IAM eventual
     * consistency), so refusals are retried for verifyTimeoutMs, heartbeating; after that the failure
     * is retryable (AccessKeyNotVerified) and the workflow's retry policy decides when to roll back.
     * This call marks the key as used by `sts`: ignore that use when watching for consumers.
     */
    async verifyAccessKey(input: { target: AccessKeyTarget; accessKeyId: string }): Promise<AccessKeyVerification> {
      const { target, accessKeyId } = input;
      const clients = await clientsFor(aws, target);
      const creds = await readSecretFor(clients, target.store, accessKeyId);
      const sts = aws.stsWith({ accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey });
      const deadline = Date.now() + verifyTimeoutMs;
      let arn: string | undefined;
      let attempt = 0;
      try {
        while (arn === undefined) {
          attempt++;
          try {
            arn = (await sts.send(new GetCallerIdentityCommand({}))).Arn ?? '';
          } catch (err) {
            const key = errorKey(err);
            if (key === undefined || !NOT_YET_VALID.has(key)) throw rotationFailure('GetCallerIdentity(stored key)', err, {}, [creds.secretAccessKey]);
            if (Date.now() + verifyIntervalMs > deadline) {
              retry(RotationFailures.accessKeyNotVerified, `${accessKeyId} still refused (${key}) after ${attempt} attempts over ${verifyTimeoutMs} ms`);
            }
            await pause(verifyIntervalMs);
          }
        }
      } finally {
        sts.destroy();
      }
      if (!isTargetUserArn(arn, target)) {
        stop(RotationFailures.verifiedWrongIdentity, `${accessKeyId} authenticates as ${arn || '(no ARN)'}, not as user ${target.userName} in ${target.accountId}`);
      }
      log.info({ target: target.name, accessKeyId, attempts: attempt }, 'verified access key');
      return { verifiedAt: new Date().toISOString(), arn };
    },

    async promoteStoredKey(input: { target: AccessKeyTarget; accessKeyId: string; rotationId: string }): Promise<PromoteResult> {
      const { target, accessKeyId, rotationId } = input;
      const result = await promote(await clientsFor(aws, target), target.store, accessKeyId, rotationId);
      log.info({ target: target.name, accessKeyId, rotationId, store: result.store, storeVersion: result.storeVersion }, 'promoted the new access key in the store');
      return result;
    },

    async restorePreviousStoredKey(input: { target: AccessKeyTarget; oldAccessKeyId: string }): Promise<RestoreResult> {
      const { target, oldAccessKeyId } = input;
      const result = await restorePrevious(await clientsFor(aws, target), target.store, oldAccessKeyId);
      log.warn({ target: target.name, accessKeyId: oldAccessKeyId, restored: result.restored, store: result.store, storeVersion: result.storeVersion }, 'restored the previous access key in the store');
      return result;
    },

    async accessKeyLastUsed(input: { target: AccessKeyTarget; accessKeyId: string }): Promise<AccessKeyUse> {
      const clients = await clientsFor(aws, input.target);
      const use = await accessKeyLastUsed(clients.iam, input.accessKeyId);
      return use ?? stop(RotationFailures.keyNotFound, `access key ${input.accessKeyId} does not exist`);
    },

    /** Deactivating the key consumers read from the store is refused; re-activating always works. */
    async setAccessKeyStatus(input: { target: AccessKeyTarget; accessKeyId: string; status: AccessKeyStatus }): Promise<{ accessKeyId: string; status: AccessKeyStatus }> {
      const { target, accessKeyId, status } = input;
      const clients = await clientsFor(aws, target);
      if (status === 'Inactive') {
        const view = await viewStore(clients, target.store);
        if (view.current?.accessKeyId === accessKeyId) {
          stop(RotationFailures.refusedToDeactivateStoredKey, `${accessKeyId} is the key consumers read from ${storeName(target.store)}`);
        }
      }
      await setAccessKeyStatus(clients.iam, target.userName, accessKeyId, status);
      log.info({ target: target.name, userName: target.userName, accessKeyId, status }, 'set access key status');
      return { accessKeyId, status };
    },
  };
}
