// Production key source for the payload codec: data keys wrapped by an AWS KMS key (envelope
// encryption, docs/codec.md). Only the wrapped form (KMS ciphertext) is configured; each process
// unwraps it with kms:Decrypt at start-up and keeps the plaintext in memory only, so CloudTrail
// records every process that could read histories, and disabling the KMS key stops new ones.
//
// `SAFEGUARD_CODEC_KMS_KEYS=k2:<base64 CiphertextBlob>,k1:<…>` (active: SAFEGUARD_CODEC_ACTIVE_KEY,
// default the first). Every wrap and unwrap carries the encryption context below, so a blob wrapped
// for another purpose, or under another key id, does not unwrap here.
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { ENV_ACTIVE_KEY, ENV_KEY_FILE, ENV_KEYS, KeyRingError, createKeyRing, keyRingFromEnv } from './keyring';
import type { KeyRing } from './keyring';

export const ENV_KMS_KEYS = 'SAFEGUARD_CODEC_KMS_KEYS';
export const CODEC_KEY_PURPOSE = 'safeguard-payload-codec';

export function encryptionContext(keyId: string, purpose = CODEC_KEY_PURPOSE): Record<string, string> {
  return { purpose, keyId };
}

/** `id:base64,id:base64` → entries, with the same key-id rules as the plain key list. `envName` names the variable in errors. */
export function parseWrappedList(text: string, envName = ENV_KMS_KEYS): Array<[string, string]> {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((part, i) => {
      const colon = part.indexOf(':');
      if (colon <= 0) throw new KeyRingError('CODEC_KEY_MALFORMED_ENTRY', `${envName}: entry ${i + 1} is not of the form keyId:base64CiphertextBlob`);
      const blob = part.slice(colon + 1).trim();
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) throw new KeyRingError('CODEC_KEY_MALFORMED_ENTRY', `${envName}: key "${part.slice(0, colon)}" is not base64`);
      return [part.slice(0, colon).trim(), blob];
    });
}

export function hasKmsKeyRingEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env[ENV_KMS_KEYS]?.trim());
}

/**
 * The key ring from the environment, whichever source it names: KMS-wrapped keys (unwrapped here,
 * one kms:Decrypt per key), or the plain key list or key file (keyRingFromEnv). Naming two sources
 * is refused, so there is never doubt about which keys are in use.
 */
export async function loadKeyRing(env: NodeJS.ProcessEnv, kms: () => KMSClient): Promise<KeyRing> {
  const wrapped = env[ENV_KMS_KEYS]?.trim();
  if (!wrapped) return keyRingFromEnv(env);
  if (env[ENV_KEYS]?.trim() || env[ENV_KEY_FILE]?.trim()) {
    throw new KeyRingError('CODEC_KEY_MALFORMED_ENTRY', `set one of ${ENV_KMS_KEYS}, ${ENV_KEYS} or ${ENV_KEY_FILE}, not several`);
  }
  const plain = await unwrapKeyList(wrapped, kms(), CODEC_KEY_PURPOSE, ENV_KMS_KEYS);
  return createKeyRing(plain, env[ENV_ACTIVE_KEY], ENV_KMS_KEYS);
}

/**
 * Unwraps `id:base64CiphertextBlob,…` with one kms:Decrypt per key, each under the encryption
 * context {purpose, keyId}: a blob wrapped for another purpose or key id does not unwrap. Returns
 * id → base64 plaintext for createKeyRing. Shared by the codec's keys and the evidence chain's.
 */
export async function unwrapKeyList(wrapped: string, client: KMSClient, purpose: string, envName: string): Promise<Array<[string, string]>> {
  const entries = parseWrappedList(wrapped, envName);
  if (entries.length === 0) throw new KeyRingError('CODEC_KEY_MISSING', `${envName}: no keys`);
  return Promise.all(
    entries.map(async ([id, blob]): Promise<[string, string]> => {
      try {
        const out = await client.send(new DecryptCommand({ CiphertextBlob: Buffer.from(blob, 'base64'), EncryptionContext: encryptionContext(id, purpose) }));
        if (!out.Plaintext) throw new Error('KMS returned no plaintext');
        return [id, Buffer.from(out.Plaintext).toString('base64')];
      } catch (err) {
        // The AWS error names the cause (AccessDenied, InvalidCiphertext: wrong context or key id) and never the key.
        const e = err as { name?: string; message?: string };
        throw new KeyRingError('CODEC_KEY_FILE_UNREADABLE', `${envName}: key "${id}" cannot be unwrapped with kms:Decrypt (${e.name ?? 'Error'}: ${e.message ?? String(err)})`);
      }
    }),
  );
}

/** A KMS client configured the way the process's other AWS clients are (AWS_REGION, SAFEGUARD_AWS_ENDPOINT, the default credential chain). */
export function kmsClientFromEnv(env: NodeJS.ProcessEnv): KMSClient {
  return new KMSClient({ region: env.AWS_REGION ?? 'us-east-1', ...(env.SAFEGUARD_AWS_ENDPOINT ? { endpoint: env.SAFEGUARD_AWS_ENDPOINT } : {}) });
}

/**
 * A new 256-bit data key wrapped by `kmsKeyId` (alias, id or ARN), for `safeguard codec new-key`:
 * returns only the wrapped form, `id:base64CiphertextBlob`, ready to add to SAFEGUARD_CODEC_KMS_KEYS.
 * The plaintext KMS returns is dropped here.
 */
export async function newWrappedDataKey(kms: KMSClient, kmsKeyId: string, keyId: string, purpose = CODEC_KEY_PURPOSE): Promise<{ entry: string; kmsKeyArn: string }> {
  createKeyRing([[keyId, Buffer.alloc(32).toString('base64')]]); // validates the id the same way the ring will
  const out = await kms.send(new GenerateDataKeyCommand({ KeyId: kmsKeyId, KeySpec: 'AES_256', EncryptionContext: encryptionContext(keyId, purpose) }));
  out.Plaintext?.fill(0);
  if (!out.CiphertextBlob) throw new Error(`KMS returned no CiphertextBlob for ${kmsKeyId}`);
  return { entry: `${keyId}:${Buffer.from(out.CiphertextBlob).toString('base64')}`, kmsKeyArn: out.KeyId ?? kmsKeyId };
}

/**
 * loadKeyRing with a KMS client configured the way the process's other AWS clients are (AWS_REGION,
 * SAFEGUARD_AWS_ENDPOINT, the SDK's default credential chain): what every process's main calls.
 */
export async function keyRingForProcess(env: NodeJS.ProcessEnv = process.env): Promise<KeyRing> {
  let client: KMSClient | undefined;
  try {
    return await loadKeyRing(env, () => {
      client = kmsClientFromEnv(env);
      return client;
    });
  } finally {
    client?.destroy();
  }
}
