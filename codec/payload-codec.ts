// Payload encryption for everything Safeguard puts in a workflow history (DESIGN.md §6.8).
// Each payload becomes { metadata: { encoding: binary/encrypted, encryption-key-id: <id> },
// data: iv(12) || AES-256-GCM ciphertext || tag(16) } whose plaintext is the protobuf encoding of
// the original payload (metadata included).
//
// Decode refuses unencrypted payloads: someone with network access to Temporal but no codec key
// (`temporal workflow start --input '{…}'`, `temporal workflow update execute --input …`) must not be
// able to hand a workflow an input or a decision. A refused payload is not an error (that would fail
// the workflow task and wedge the workflow, a denial of service for the real request); it decodes to
// the marker `{ "__refused": "…" }`, which every workflow's input and message checks reject. Only
// `binary/null` (an absent value; it carries nothing to forge) passes as it is.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { KeyRing } from './keyring';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type CodecErrorCode = 'CODEC_UNKNOWN_KEY_ID' | 'CODEC_MISSING_KEY_ID' | 'CODEC_MALFORMED_PAYLOAD' | 'CODEC_DECRYPT_FAILED';

export class CodecError extends Error {
  constructor(
    readonly code: CodecErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CodecError';
  }
}

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const text = (b: Uint8Array | null | undefined): string | undefined => (b ? Buffer.from(b).toString('utf8') : undefined);

/** True when the payload was produced by {@link EncryptionCodec.encode}. */
export function isEncryptedPayload(p: Payload): boolean {
  return text(p.metadata?.encoding) === ENCRYPTED_ENCODING;
}

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: KeyRing) {
    if (!keyring.keys.has(keyring.activeKeyId)) throw new CodecError('CODEC_UNKNOWN_KEY_ID', `active key id "${keyring.activeKeyId}" is not in the key ring`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keyring.activeKeyId;
    const key = this.keyring.keys.get(keyId);
    if (!key) throw new CodecError('CODEC_UNKNOWN_KEY_ID', `active key id "${keyId}" is not in the key ring`);
    return payloads.map((payload) => {
      const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return {
        metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(keyId) },
        data: new Uint8Array(Buffer.concat([iv, ciphertext, cipher.getAuthTag()])),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncryptedPayload(payload) ? this.decrypt(payload) : refuseUnencrypted(payload)));
  }

  private decrypt(payload: Payload): Payload {
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    if (!keyId) throw new CodecError('CODEC_MISSING_KEY_ID', `encrypted payload has no "${KEY_ID_METADATA}" metadata`);
    const key = this.keyring.keys.get(keyId);
    if (!key) {
      throw new CodecError('CODEC_UNKNOWN_KEY_ID', `payload was encrypted with key id "${keyId.slice(0, 64)}", which is not in the key ring (known ids: ${[...this.keyring.keys.keys()].join(', ')}); add the old key back to decrypt it`);
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new CodecError('CODEC_MALFORMED_PAYLOAD', `encrypted payload (key id "${keyId}") is ${data.length} bytes, too short to hold an IV and a tag`);
    const iv = data.subarray(0, IV_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    const ciphertext = data.subarray(IV_BYTES, data.length - TAG_BYTES);
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      throw new CodecError('CODEC_DECRYPT_FAILED', `encrypted payload (key id "${keyId}") failed authentication: it was altered or encrypted with a different key of the same id`);
    }
    let decoded: temporal.api.common.v1.Payload;
    try {
      decoded = temporal.api.common.v1.Payload.decode(plaintext);
    } catch {
      throw new CodecError('CODEC_MALFORMED_PAYLOAD', `encrypted payload (key id "${keyId}") does not hold a protobuf Payload`);
    }
    return { metadata: { ...decoded.metadata }, data: decoded.data };
  }
}

/** Encodings an unencrypted payload may have and still be decoded as it is. */
const PLAINTEXT_ALLOWED = new Set(['binary/null']);

/** What an unencrypted payload decodes to: a JSON marker every input check refuses. */
export const REFUSED_MARKER_KEY = '__refused';

function refuseUnencrypted(payload: Payload): Payload {
  const encoding = text(payload.metadata?.encoding) ?? '(none)';
  if (PLAINTEXT_ALLOWED.has(encoding)) return payload;
  const marker = { [REFUSED_MARKER_KEY]: `unencrypted ${encoding.slice(0, 40)} payload refused by the codec` };
  return { metadata: { encoding: utf8('json/plain') }, data: utf8(JSON.stringify(marker)) };
}

/** True for a value the codec substituted for an unencrypted payload. */
export function isRefusedPayloadValue(value: unknown): boolean {
  return typeof value === 'object' && value !== null && REFUSED_MARKER_KEY in value;
}

/**
 * The `dataConverter` option for Client, Worker and TestWorkflowEnvironment (`client.dataConverter`).
 * Every process that reads or writes Safeguard workflows must use the same key ring.
 */
export function dataConverterWithCodec(keyring: KeyRing): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(keyring)] };
}
