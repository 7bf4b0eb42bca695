// The AES-256 key ring behind the payload codec (DESIGN.md §6.8). Every key has an id; new
// payloads are encrypted with the active key and carry its id, so old histories stay readable for
// as long as their key remains in the ring. Key material never appears in an error message.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const KEY_BYTES = 32;

export interface KeyRing {
  /** Id of the key new payloads are encrypted with. */
  activeKeyId: string;
  /** Every key that may be needed to decrypt: the active one and retired ones. */
  keys: Map<string, Buffer>;
}

export type KeyRingErrorCode =
  | 'CODEC_KEY_MISSING'
  | 'CODEC_KEY_WRONG_LENGTH'
  | 'CODEC_KEY_UNKNOWN_ACTIVE_ID'
  | 'CODEC_KEY_MALFORMED_ENTRY'
  | 'CODEC_KEY_FILE_PERMISSIONS'
  | 'CODEC_KEY_FILE_UNREADABLE'
  | 'CODEC_KEY_FILE_EXISTS';

export class KeyRingError extends Error {
  constructor(
    readonly code: KeyRingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KeyRingError';
  }
}

export const ENV_KEYS = 'SAFEGUARD_CODEC_KEYS';
export const ENV_ACTIVE_KEY = 'SAFEGUARD_CODEC_ACTIVE_KEY';
export const ENV_KEY_FILE = 'SAFEGUARD_CODEC_KEY_FILE';

/** Key ids travel in payload metadata: keep them short and printable. */
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** Standard or URL-safe base64, optionally padded. */
const BASE64 = /^(?:[A-Za-z0-9+/]|[A-Za-z0-9_-])+={0,2}$/;

function checkKeyId(id: string, where: string): void {
  if (!KEY_ID.test(id)) throw new KeyRingError('CODEC_KEY_MALFORMED_ENTRY', `${where}: key id must be 1-64 characters of A-Z a-z 0-9 . _ - (got ${JSON.stringify(id.slice(0, 64))})`);
}

function decodeKey(id: string, base64: string, where: string): Buffer {
  const text = base64.trim();
  if (text === '') throw new KeyRingError('CODEC_KEY_MISSING', `${where}: key "${id}" is empty`);
  if (!BASE64.test(text)) throw new KeyRingError('CODEC_KEY_MALFORMED_ENTRY', `${where}: key "${id}" is not base64`);
  const key = Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES) throw new KeyRingError('CODEC_KEY_WRONG_LENGTH', `${where}: key "${id}" decodes to ${key.length} bytes; AES-256 needs exactly ${KEY_BYTES}`);
  return key;
}

/**
 * Builds a validated key ring from key ids → base64 keys. `activeKeyId` defaults to the first key.
 * `where` names the source in error messages (an env var or a file path, never the key).
 */
export function createKeyRing(entries: Iterable<[string, string]>, activeKeyId?: string, where = 'codec key ring'): KeyRing {
  const keys = new Map<string, Buffer>();
  for (const [id, base64] of entries) {
    checkKeyId(id, where);
    if (keys.has(id)) throw new KeyRingError('CODEC_KEY_MALFORMED_ENTRY', `${where}: key id "${id}" appears twice`);
    keys.set(id, decodeKey(id, base64, where));
  }
  const first = keys.keys().next();
  if (first.done) throw new KeyRingError('CODEC_KEY_MISSING', `${where}: no keys`);
  const active = activeKeyId?.trim() || first.value;
  if (!keys.has(active)) throw new KeyRingError('CODEC_KEY_UNKNOWN_ACTIVE_ID', `${where}: active key id "${active}" is not in the ring (known ids: ${[...keys.keys()].join(', ')})`);
  return { activeKeyId: active, keys };
}

/** Parses `keyId:base64key,keyId:base64key` (whitespace around entries is ignored). */
export function parseKeyList(text: string, activeKeyId?: string, where = ENV_KEYS): KeyRing {
  const entries: Array<[string, string]> = [];
  const parts = text.split(',').map((s) => s.trim());
  parts.forEach((part, i) => {
    if (part === '' && parts.length === 1) return;
    const colon = part.indexOf(':');
    // Name the entry by position only: an entry without a colon may be a bare key.
    if (colon <= 0) throw new KeyRingError('CODEC_KEY_MALFORMED_ENTRY', `${where}: entry ${i + 1} is not of the form keyId:base64key`);
    entries.push([part.slice(0, colon).trim(), part.slice(colon + 1)]);
  });
  return createKeyRing(entries, activeKeyId, where);
}

interface KeyFileJson {
  active?: unknown;
  keys?: unknown;
}

/** Reads a key file `{ "active": "k1", "keys": { "k1": "<base64 32 bytes>" } }`; refuses files group/other can access. */
export function loadKeyFile(file: string, label = 'codec key file'): KeyRing {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KeyRingError('CODEC_KEY_MISSING', `${label} ${file} does not exist`);
    throw new KeyRingError('CODEC_KEY_FILE_UNREADABLE', `${label} ${file} cannot be read (${code ?? 'error'})`);
  }
  if (!stat.isFile()) throw new KeyRingError('CODEC_KEY_FILE_UNREADABLE', `${label} ${file} is not a regular file`);
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    throw new KeyRingError('CODEC_KEY_FILE_PERMISSIONS', `${label} ${file} is accessible by group or others (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}); run: chmod 600 ${file}`);
  }
  let parsed: KeyFileJson;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFileJson;
  } catch (err) {
    // Never echo the parser message: it can quote the file's content.
    const code = (err as NodeJS.ErrnoException).code;
    if (code) throw new KeyRingError('CODEC_KEY_FILE_UNREADABLE', `${label} ${file} cannot be read (${code})`);
    throw new KeyRingError('CODEC_KEY_MALFORMED_ENTRY', `${label} ${file} is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new KeyRingError('CODEC_KEY_MALFORMED_ENTRY', `${label} ${file} must hold a JSON object { "active": "<id>", "keys": { "<id>": "<base64>" } }`);
  const { active, keys } = parsed;
  if (keys === null || typeof keys !== 'object' || Array.isArray(keys)) throw new KeyRingError('CODEC_KEY_MISSING', `${label} ${file} has no "keys" object`);
  if (active !== undefined && typeof active !== 'string') throw new KeyRingError('CODEC_KEY_MALFORMED_ENTRY', `${label} ${file}: "active" must be a key id string`);
  const entries: Array<[string, string]> = [];
  for (const [id, value] of Object.entries(keys as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new KeyRingError('CODEC_KEY_MALFORMED_ENTRY', `${label} ${file}: key "${id}" must be a base64 string`);
    entries.push([id, value]);
  }
  return createKeyRing(entries, active, `${label} ${file}`);
}

/**
 * Loads the key ring from the environment: `SAFEGUARD_CODEC_KEYS` (`id:base64,...`, active key from
 * `SAFEGUARD_CODEC_ACTIVE_KEY`, default the first) or `SAFEGUARD_CODEC_KEY_FILE` (JSON key file).
 * Setting both is refused so there is never doubt about which keys are in use.
 */
export function keyRingFromEnv(env: NodeJS.ProcessEnv = process.env): KeyRing {
  const list = env[ENV_KEYS]?.trim();
  const file = env[ENV_KEY_FILE]?.trim();
  if (list && file) throw new KeyRingError('CODEC_KEY_MALFORMED_ENTRY', `set either ${ENV_KEYS} or ${ENV_KEY_FILE}, not both`);
  if (list) return parseKeyList(list, env[ENV_ACTIVE_KEY], ENV_KEYS);
  if (file) return withActiveKey(loadKeyFile(file), env[ENV_ACTIVE_KEY], ENV_ACTIVE_KEY, `codec key file ${file}`);
  throw new KeyRingError('CODEC_KEY_MISSING', `no payload encryption key: set ${ENV_KEY_FILE} (a JSON key file, mode 0600) or ${ENV_KEYS} (keyId:base64key,...)`);
}

/** A ring whose active key an environment variable overrides (`activeVar` names it in errors). */
export function withActiveKey(ring: KeyRing, active: string | undefined, activeVar: string, where: string): KeyRing {
  const id = active?.trim();
  if (!id) return ring;
  if (!ring.keys.has(id)) throw new KeyRingError('CODEC_KEY_UNKNOWN_ACTIVE_ID', `${activeVar}: key id "${id}" is not in ${where}`);
  return { activeKeyId: id, keys: ring.keys };
}

/** True when the environment names a key source (for callers that fall back to a dev key file). */
export function hasKeyRingEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env[ENV_KEYS]?.trim() || env[ENV_KEY_FILE]?.trim());
}

/**
 * Creates a key file with one random key (id `keyId`, default `k1`), mode 0600, in a directory
 * created with mode 0700 if missing. Refuses to overwrite an existing file.
 */
export function generateKeyFile(file: string, keyId = 'k1', label = 'codec key file'): KeyRing {
  checkKeyId(keyId, 'generateKeyFile');
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  const body = `${JSON.stringify({ active: keyId, keys: { [keyId]: key.toString('base64') } }, null, 2)}\n`;
  try {
    fs.writeFileSync(file, body, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new KeyRingError('CODEC_KEY_FILE_EXISTS', `${label} ${file} already exists; not overwriting it`);
    throw err;
  }
  fs.chmodSync(file, 0o600);
  return { activeKeyId: keyId, keys: new Map([[keyId, key]]) };
}

/** Dev-stack helper: loads the key file, creating it with a fresh key on first start. */
export function loadOrCreateKeyFile(file: string, label = 'codec key file'): KeyRing {
  if (!fs.existsSync(file)) {
    try {
      return generateKeyFile(file, 'k1', label);
    } catch (err) {
      // Another process created it between the check and the write: read theirs.
      if (!(err instanceof KeyRingError && err.code === 'CODEC_KEY_FILE_EXISTS')) throw err;
    }
  }
  return loadKeyFile(file, label);
}
