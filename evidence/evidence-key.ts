// The evidence chain's key (DESIGN.md §6.9): every entry's link is an HMAC under it, so nobody who
// can write the evidence file but lacks the key can re-chain it after deleting or editing a record.
// It is a key ring like the payload codec's (ids, so the key can be rotated while old entries still
// verify) but a separate one: reading histories and vouching for evidence are different powers.
//
// Production: `SAFEGUARD_EVIDENCE_KMS_KEYS=e1:<base64 CiphertextBlob>` (wrapped by the hub's KMS key
// under the encryption context {purpose: safeguard-evidence-chain, keyId}; `safeguard codec new-key
// --purpose evidence` makes one), unwrapped once at start-up. Dev and tests:
// `SAFEGUARD_EVIDENCE_KEY_FILE` (a JSON key file, mode 0600, as the codec's). Active key:
// SAFEGUARD_EVIDENCE_ACTIVE_KEY, default the first.
import { KeyRingError, createKeyRing, loadKeyFile, withActiveKey } from '../codec/keyring';
import type { KeyRing } from '../codec/keyring';
import { kmsClientFromEnv, unwrapKeyList } from '../codec/kms-keyring';

export const EVIDENCE_KEY_PURPOSE = 'safeguard-evidence-chain';
export const ENV_EVIDENCE_KEY_FILE = 'SAFEGUARD_EVIDENCE_KEY_FILE';
export const ENV_EVIDENCE_KMS_KEYS = 'SAFEGUARD_EVIDENCE_KMS_KEYS';
export const ENV_EVIDENCE_ACTIVE_KEY = 'SAFEGUARD_EVIDENCE_ACTIVE_KEY';
export const EVIDENCE_KEY_FILE_LABEL = 'evidence key file';

export type EvidenceKeyRing = KeyRing;

export function hasEvidenceKeyEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env[ENV_EVIDENCE_KEY_FILE]?.trim() || env[ENV_EVIDENCE_KMS_KEYS]?.trim());
}

/** The evidence key ring the environment names, or undefined when it names none. Both sources at once are refused. */
export async function evidenceKeyRingFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<EvidenceKeyRing | undefined> {
  const file = env[ENV_EVIDENCE_KEY_FILE]?.trim();
  const wrapped = env[ENV_EVIDENCE_KMS_KEYS]?.trim();
  if (file && wrapped) throw new KeyRingError('CODEC_KEY_MALFORMED_ENTRY', `set either ${ENV_EVIDENCE_KMS_KEYS} or ${ENV_EVIDENCE_KEY_FILE}, not both`);
  const active = env[ENV_EVIDENCE_ACTIVE_KEY]?.trim();
  if (file) return withActiveKey(loadKeyFile(file, EVIDENCE_KEY_FILE_LABEL), active, ENV_EVIDENCE_ACTIVE_KEY, `${EVIDENCE_KEY_FILE_LABEL} ${file}`);
  if (!wrapped) return undefined;
  const client = kmsClientFromEnv(env);
  try {
    return createKeyRing(await unwrapKeyList(wrapped, client, EVIDENCE_KEY_PURPOSE, ENV_EVIDENCE_KMS_KEYS), active, ENV_EVIDENCE_KMS_KEYS);
  } finally {
    client.destroy();
  }
}

/** For the processes that write evidence (worker, api): a keyed chain is not optional there. */
export async function requireEvidenceKeyRing(env: NodeJS.ProcessEnv = process.env): Promise<EvidenceKeyRing> {
  const ring = await evidenceKeyRingFromEnv(env);
  if (!ring) {
    throw new KeyRingError(
      'CODEC_KEY_MISSING',
      `no evidence key: set ${ENV_EVIDENCE_KMS_KEYS} (production: data keys wrapped by KMS, see docs/audit.md) or ${ENV_EVIDENCE_KEY_FILE} (a JSON key file, mode 0600)`,
    );
  }
  return ring;
}
