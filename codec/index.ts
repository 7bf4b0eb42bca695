// Payload encryption (DESIGN.md §6.8): key ring loaders and the Temporal payload codec.
export { KEY_BYTES, ENV_KEYS, ENV_ACTIVE_KEY, ENV_KEY_FILE, KeyRingError, createKeyRing, parseKeyList, loadKeyFile, keyRingFromEnv, hasKeyRingEnv, generateKeyFile, loadOrCreateKeyFile } from './keyring';
export type { KeyRing, KeyRingErrorCode } from './keyring';
export { ENCRYPTED_ENCODING, KEY_ID_METADATA, REFUSED_MARKER_KEY, CodecError, EncryptionCodec, isEncryptedPayload, isRefusedPayloadValue, dataConverterWithCodec } from './payload-codec';
export type { CodecErrorCode } from './payload-codec';
