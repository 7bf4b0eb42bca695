// Where consumers read the access key (targets.ts KeyStore): an SSM SecureString parameter or a
// Secrets Manager secret holding `{"accessKeyId","secretAccessKey"}`. Secrets pass through here in
// memory only: the functions return key ids and versions, except readSecretFor, whose caller signs
// one STS call with it and drops it. Error messages never quote a stored value.
//
// How each store tells "this rotation already wrote its key" (createAndStoreAccessKey's retry):
// - SSM: the parameter's Description is set to rotationMarker(rotationId) in the same PutParameter
//   that writes the value (one call, so never half done). SSM keeps the Description on later
//   overwrites that give none, so a marker only counts together with a key other than the old one.
//   This replaces whatever description the parameter had.
// - Secrets Manager: the version id is the ClientRequestToken rotationVersionId(rotationId); the
//   version is written with AWSPENDING only, so consumers (AWSCURRENT) see it only on promotion.
import { GetParameterCommand, GetParameterHistoryCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import type { ParameterHistory, SSMClient } from '@aws-sdk/client-ssm';
import type { AccountClients } from '../aws/clients';
import {
  STAGE_CURRENT,
  STAGE_PENDING,
  STAGE_PREVIOUS,
  existingSecretStages,
  getSecretVersion,
  moveStage,
  putPendingVersion,
  rotationVersionId,
  secretStages,
  versionWithStage,
} from '../aws/secrets-manager';
import type { KeyStore } from '../../workflows/key-rotation/targets';
import { RotationFailures, rotationCall, stop, unlessNotFound } from './failures';

/** The stored value. Only activities hold one, and only for as long as one call needs it. */
export interface StoredCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** A key id the store holds, and in which version (SSM version number or Secrets Manager VersionId). */
export interface StoredKeyRef {
  accessKeyId: string;
  version: string;
}

export interface StoreView {
  /** What consumers read: the parameter's value, or the secret's AWSCURRENT version. */
  current?: StoredKeyRef;
  /** Secrets Manager only: the AWSPENDING version (a rotation's new key before promotion). */
  pending?: StoredKeyRef;
}

export function storeName(store: KeyStore): string {
  return store.type === 'ssm-parameter' ? `SSM parameter ${store.name}` : `secret ${store.secretId}`;
}

export function rotationMarker(rotationId: string): string {
  return `Access key written by Safeguard rotation ${rotationId}`;
}

export function serializeCredentials(c: StoredCredentials): string {
  return JSON.stringify({ accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey });
}

/** Parses a stored value; the failure names the store and version, never the content. */
export function parseStoredValue(raw: string | undefined, where: string): StoredCredentials {
  let v: unknown;
  try {
    v = raw === undefined ? undefined : JSON.parse(raw);
  } catch {
    // JSON.parse's message quotes the text it choked on: never pass it on.
    return stop(RotationFailures.keyStoreUnreadable, `${where} is not JSON {"accessKeyId","secretAccessKey"}`);
  }
  const o = v as { accessKeyId?: unknown; secretAccessKey?: unknown } | null | undefined;
  if (!o || typeof o !== 'object' || typeof o.accessKeyId !== 'string' || typeof o.secretAccessKey !== 'string' || !o.accessKeyId || !o.secretAccessKey) {
    return stop(RotationFailures.keyStoreUnreadable, `${where} is not JSON {"accessKeyId","secretAccessKey"}`);
  }
  return { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey };
}

// ---- SSM parameter ----

async function ssmCurrent(ssm: SSMClient, name: string): Promise<{ value: string | undefined; version: string; type: string | undefined } | undefined> {
  const out = await rotationCall('GetParameter', () => unlessNotFound(ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true })), 'ParameterNotFound'));
  const p = out?.Parameter;
  return p ? { value: p.Value, version: String(p.Version ?? ''), type: p.Type } : undefined;
}

/** Every version, oldest first, decrypted; empty when the parameter does not exist. */
async function ssmHistory(ssm: SSMClient, name: string): Promise<ParameterHistory[]> {
  const versions: ParameterHistory[] = [];
  let token: string | undefined;
  do {
    const out = await rotationCall('GetParameterHistory', () =>
      unlessNotFound(ssm.send(new GetParameterHistoryCommand({ Name: name, WithDecryption: true, MaxResults: 50, ...(token ? { NextToken: token } : {}) })), 'ParameterNotFound'),
    );
    if (!out) return [];
    versions.push(...(out.Parameters ?? []));
    token = out.NextToken;
  } while (token);
  return versions.sort((a, b) => (a.Version ?? 0) - (b.Version ?? 0));
}

/** Overwrites the parameter as a SecureString, keeping its KMS key (unless the target names one) and tier. */
async function ssmWrite(
  ssm: SSMClient,
  store: Extract<KeyStore, { type: 'ssm-parameter' }>,
  creds: StoredCredentials,
  description: string,
  latest: ParameterHistory | undefined,
): Promise<string> {
  const value = serializeCredentials(creds);
  const keyId = store.kmsKeyId ?? latest?.KeyId;
  const out = await rotationCall(
    'PutParameter',
    () =>
      ssm.send(
        new PutParameterCommand({
          Name: store.name,
          Type: 'SecureString',
          Value: value,
          Overwrite: true,
          Description: description,
          ...(keyId ? { KeyId: keyId } : {}),
          // An Advanced parameter cannot go back to Standard: say the tier it has.
          ...(latest?.Tier && latest.Tier !== 'Standard' ? { Tier: latest.Tier } : {}),
        }),
      ),
    {},
    [value, creds.secretAccessKey],
  );
  return String(out.Version ?? '');
}

function requireEncrypted(store: Extract<KeyStore, { type: 'ssm-parameter' }>, type: string | undefined): void {
  if (type !== undefined && type !== 'SecureString') {
    stop(RotationFailures.keyStoreNotEncrypted, `SSM parameter ${store.name} is a ${type}: an access key secret is only written to a SecureString`);
  }
}

// ---- both stores ----

/** The key ids the store holds now (no secrets). An absent parameter or secret holds nothing. */
export async function viewStore(clients: AccountClients, store: KeyStore): Promise<StoreView> {
  if (store.type === 'ssm-parameter') {
    const cur = await ssmCurrent(clients.ssm, store.name);
    if (!cur) return {};
    return { current: { accessKeyId: parseStoredValue(cur.value, `SSM parameter ${store.name} version ${cur.version}`).accessKeyId, version: cur.version } };
  }
  const sm = clients.secretsManager;
  const stages = await secretStages(sm, store.secretId);
  if (!stages) return {};
  const view: StoreView = {};
  for (const [stage, field] of [[STAGE_CURRENT, 'current'], [STAGE_PENDING, 'pending']] as const) {
    const versionId = versionWithStage(stages, stage);
    if (!versionId) continue;
    const v = await getSecretVersion(sm, store.secretId, versionId);
    if (!v) continue;
    view[field] = { accessKeyId: parseStoredValue(v.secretString, `secret ${store.secretId} version ${versionId}`).accessKeyId, version: versionId };
  }
  return view;
}

/** Fails before any key is created if the store could not take one (missing secret, plain String parameter). */
export async function checkWritable(clients: AccountClients, store: KeyStore): Promise<void> {
  if (store.type === 'ssm-parameter') {
    requireEncrypted(store, (await ssmCurrent(clients.ssm, store.name))?.type);
    return;
  }
  await existingSecretStages(clients.secretsManager, store.secretId);
}

/** The key this rotation already stored, if a previous attempt got that far. */
export async function findRotationKey(clients: AccountClients, store: KeyStore, rotationId: string, oldAccessKeyId: string): Promise<StoredKeyRef | undefined> {
  if (store.type === 'ssm-parameter') {
    const latest = (await ssmHistory(clients.ssm, store.name)).at(-1);
    if (!latest || latest.Description !== rotationMarker(rotationId)) return undefined;
    const { accessKeyId } = parseStoredValue(latest.Value, `SSM parameter ${store.name} version ${latest.Version ?? '?'}`);
    return accessKeyId === oldAccessKeyId ? undefined : { accessKeyId, version: String(latest.Version ?? '') };
  }
  const versionId = rotationVersionId(rotationId);
  const v = await getSecretVersion(clients.secretsManager, store.secretId, versionId);
  if (!v) return undefined;
  return { accessKeyId: parseStoredValue(v.secretString, `secret ${store.secretId} version ${versionId}`).accessKeyId, version: versionId };
}

/** Writes this rotation's new key: SSM as the parameter's new value, Secrets Manager as AWSPENDING. */
export async function writeRotationKey(clients: AccountClients, store: KeyStore, rotationId: string, key: StoredCredentials): Promise<string> {
  if (store.type === 'ssm-parameter') {
    const latest = (await ssmHistory(clients.ssm, store.name)).at(-1);
    requireEncrypted(store, latest?.Type);
    return ssmWrite(clients.ssm, store, key, rotationMarker(rotationId), latest);
  }
  return putPendingVersion(clients.secretsManager, store.secretId, rotationVersionId(rotationId), serializeCredentials(key), [key.secretAccessKey]);
}

/**
 * The stored credentials for `accessKeyId`: Secrets Manager's AWSPENDING version if it holds that
 * key (before promotion), else AWSCURRENT. Fails KeyNotInStore when neither does.
 */
export async function readSecretFor(clients: AccountClients, store: KeyStore, accessKeyId: string): Promise<StoredCredentials> {
  if (store.type === 'ssm-parameter') {
    const cur = await ssmCurrent(clients.ssm, store.name);
    const creds = cur ? parseStoredValue(cur.value, `SSM parameter ${store.name} version ${cur.version}`) : undefined;
    if (creds?.accessKeyId !== accessKeyId) stop(RotationFailures.keyNotInStore, `SSM parameter ${store.name} does not hold ${accessKeyId}`);
    return creds;
  }
  const sm = clients.secretsManager;
  const stages = await existingSecretStages(sm, store.secretId);
  for (const stage of [STAGE_PENDING, STAGE_CURRENT]) {
    const versionId = versionWithStage(stages, stage);
    const v = versionId ? await getSecretVersion(sm, store.secretId, versionId) : undefined;
    if (!v) continue;
    const creds = parseStoredValue(v.secretString, `secret ${store.secretId} version ${v.versionId}`);
    if (creds.accessKeyId === accessKeyId) return creds;
  }
  return stop(RotationFailures.keyNotInStore, `neither AWSPENDING nor AWSCURRENT of secret ${store.secretId} holds ${accessKeyId}`);
}

export interface PromoteResult {
  promoted: true;
  store: KeyStore['type'];
  storeVersion: string;
  /** Secrets Manager: the version AWSCURRENT moved from on this call (absent when it was already current). */
  previousVersion?: string;
}

/**
 * Makes the rotation's key the one consumers read. SSM: it already is (written at create); this
 * only checks. Secrets Manager: AWSCURRENT moves to the rotation's version (AWS moves AWSPREVIOUS to
 * the old one), then AWSPENDING comes off it. Each step is skipped when already done.
 */
export async function promote(clients: AccountClients, store: KeyStore, accessKeyId: string, rotationId: string): Promise<PromoteResult> {
  if (store.type === 'ssm-parameter') {
    const cur = await ssmCurrent(clients.ssm, store.name);
    const held = cur ? parseStoredValue(cur.value, `SSM parameter ${store.name} version ${cur.version}`).accessKeyId : undefined;
    if (!cur || held !== accessKeyId) stop(RotationFailures.keyNotInStore, `SSM parameter ${store.name} does not hold ${accessKeyId}`);
    return { promoted: true, store: store.type, storeVersion: cur.version };
  }
  const sm = clients.secretsManager;
  const versionId = rotationVersionId(rotationId);
  const stages = await existingSecretStages(sm, store.secretId);
  const v = await getSecretVersion(sm, store.secretId, versionId);
  if (!v || parseStoredValue(v.secretString, `secret ${store.secretId} version ${versionId}`).accessKeyId !== accessKeyId) {
    stop(RotationFailures.keyNotInStore, `secret ${store.secretId} has no version of rotation ${rotationId} holding ${accessKeyId}`);
  }
  const current = versionWithStage(stages, STAGE_CURRENT);
  const result: PromoteResult = { promoted: true, store: store.type, storeVersion: versionId };
  if (current !== versionId) {
    await moveStage(sm, store.secretId, STAGE_CURRENT, { moveTo: versionId, ...(current ? { removeFrom: current } : {}) });
    if (current) result.previousVersion = current;
  }
  if (stages[versionId]?.includes(STAGE_PENDING)) await moveStage(sm, store.secretId, STAGE_PENDING, { removeFrom: versionId });
  return result;
}

export interface RestoreResult {
  /** False when the store already served the old key (nothing was written). */
  restored: boolean;
  store: KeyStore['type'];
  storeVersion?: string;
}

/**
 * Rollback: consumers read `oldAccessKeyId` again, and no new key waits in the store.
 * SSM: re-writes the newest earlier version that held the old key, only if the current value holds
 * another key. Secrets Manager: moves AWSCURRENT back to the version holding the old key
 * (AWSPREVIOUS first) and takes AWSPENDING off any version that holds another key.
 */
export async function restorePrevious(clients: AccountClients, store: KeyStore, oldAccessKeyId: string): Promise<RestoreResult> {
  if (store.type === 'ssm-parameter') {
    const history = await ssmHistory(clients.ssm, store.name);
    const latest = history.at(-1);
    const where = (h: ParameterHistory) => `SSM parameter ${store.name} version ${h.Version ?? '?'}`;
    if (latest && parseStoredValue(latest.Value, where(latest)).accessKeyId === oldAccessKeyId) {
      return { restored: false, store: store.type, storeVersion: String(latest.Version ?? '') };
    }
    let previous: StoredCredentials | undefined;
    for (const h of [...history].reverse()) {
      try {
        const c = parseStoredValue(h.Value, where(h));
        if (c.accessKeyId === oldAccessKeyId) {
          previous = c;
          break;
        }
      } catch {
        // an unreadable old version is simply not the one we want
      }
    }
    if (!previous) return stop(RotationFailures.previousKeyNotInStore, `no version of SSM parameter ${store.name} holds ${oldAccessKeyId}`);
    requireEncrypted(store, latest?.Type);
    const storeVersion = await ssmWrite(clients.ssm, store, previous, `Access key restored by Safeguard (rollback to ${oldAccessKeyId})`, latest);
    return { restored: true, store: store.type, storeVersion };
  }
  const sm = clients.secretsManager;
  const stages = await existingSecretStages(sm, store.secretId);
  const keyOf = async (versionId: string | undefined): Promise<string | undefined> => {
    const v = versionId ? await getSecretVersion(sm, store.secretId, versionId) : undefined;
    return v ? parseStoredValue(v.secretString, `secret ${store.secretId} version ${versionId}`).accessKeyId : undefined;
  };
  const current = versionWithStage(stages, STAGE_CURRENT);
  let restored = false;
  let storeVersion = current;
  if ((await keyOf(current)) !== oldAccessKeyId) {
    const candidates = [versionWithStage(stages, STAGE_PREVIOUS), ...Object.keys(stages)].filter((v): v is string => v !== undefined && v !== current);
    let target: string | undefined;
    for (const c of new Set(candidates)) {
      if ((await keyOf(c)) === oldAccessKeyId) {
        target = c;
        break;
      }
    }
    if (!target) return stop(RotationFailures.previousKeyNotInStore, `no labelled version of secret ${store.secretId} holds ${oldAccessKeyId}`);
    await moveStage(sm, store.secretId, STAGE_CURRENT, { moveTo: target, ...(current ? { removeFrom: current } : {}) });
    restored = true;
    storeVersion = target;
  }
  const pending = versionWithStage(stages, STAGE_PENDING);
  if (pending && pending !== storeVersion) await moveStage(sm, store.secretId, STAGE_PENDING, { removeFrom: pending });
  return { restored, store: store.type, ...(storeVersion ? { storeVersion } : {}) };
}
