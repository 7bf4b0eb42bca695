// Secret redaction and detection shared by the logger, the evidence store and the test scanner.
// Invariant 1 (DESIGN.md §6): no secret access key, session token, Slack token or key material
// may reach a workflow history, a log line, a Slack message or an evidence file. Redaction by key
// name is the first line of defence; the shape heuristics below catch a secret that travels under
// an innocent key ("detail", "message") and are tuned to keep false positives low, because a
// false positive refuses legitimate evidence.

export const REDACTED = '[REDACTED]';

/**
 * Object keys whose values are secrets, matched case-insensitively on the whole key:
 * secretAccessKey, SecretAccessKey, sessionToken, SessionToken, token, password, signingSecret,
 * clientSecret, TokenValue, KeyMaterial, botToken, appToken, privateKey, apiKey, codecKey…
 * `accessKeyId` is an identifier, not a secret, and does not match. Pagination and idempotency
 * tokens are excluded separately by `isSecretKey`.
 */
export const SECRET_KEY_PATTERN =
  /^(?:[a-z0-9_-]*?)(?:secret(?:accesskey|string|binary)?|secretkey|token(?:value)?|authorization|password|passwd|passphrase|keymaterial|plaintext|privatekey|apikey|signingkey|codeckey|encryptionkey|credentialsecret)$/i;

/** Keys that end in "token" but carry no secret (AWS pagination and idempotency tokens). */
const NON_SECRET_TOKEN_KEYS = /^(?:next|pagination|continuation|clientrequest|idempotency|page|marker)_?token$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY_PATTERN.test(key) && !NON_SECRET_TOKEN_KEYS.test(key);
}

/** Key names for pino's `redact.paths`, at the top level and one or two levels down. */
const REDACT_KEY_NAMES = [
  'secretAccessKey', 'SecretAccessKey', 'sessionToken', 'SessionToken', 'token', 'Token', 'password', 'Password',
  'signingSecret', 'clientSecret', 'TokenValue', 'keyMaterial', 'KeyMaterial', 'Plaintext', 'botToken', 'appToken',
  'userToken', 'privateKey', 'apiKey', 'codecKey', 'secret', 'authorization', 'Authorization',
] as const;

export const redactPaths: string[] = REDACT_KEY_NAMES.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

/** Deep copy of `value` with every value under a secret key replaced by "[REDACTED]". */
export function redactSecrets<T>(value: T): T {
  return redactInner(value, new WeakMap()) as T;
}

function redactInner(value: unknown, seen: WeakMap<object, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return new Date(value.getTime());
  const existing = seen.get(value);
  if (existing !== undefined) return existing;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(redactInner(item, seen));
    return out;
  }
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redactInner(v, seen);
  }
  return out;
}

// ---- shape heuristics -------------------------------------------------------------------------

const B64 = 'A-Za-z0-9/+=';
/** 40-character runs of the base64 alphabet not preceded by ":" (ARN resource parts, URLs). */
export const AWS_SECRET_KEY_RE = new RegExp(`(?<![${B64}:])[${B64}]{40}(?![${B64}])`, 'g');
/** STS/moto session tokens start with a fixed base64 prefix (the encoded token header). */
export const SESSION_TOKEN_RE = new RegExp(`(?:FwoGZXIvYXdzE|FQoGZXIvYXdzE|IQoJb3JpZ2lu)[${B64}]{20,}`, 'g');
/** Any long unbroken base64 run. Only used on single values, never on whole documents. */
export const LONG_BASE64_RE = new RegExp(`(?<![${B64}])[${B64}]{100,}(?![${B64}])`, 'g');
export const SLACK_TOKEN_RE = /(?:xox[abeprs]-[A-Za-z0-9-]{10,}|xapp-\d+-[A-Za-z0-9-]{10,})/g;

const HEX_ONLY = /^[0-9a-fA-F]+$/;

/**
 * Whether a 40-character base64-alphabet run has the shape of an AWS secret access key: not hex
 * (a git sha1 is 40 hex chars) and random-looking — upper case, lower case and a digit or "/+".
 */
export function isAwsSecretKeyShape(run: string): boolean {
  if (run.length !== 40 || HEX_ONLY.test(run)) return false;
  if (!/[A-Z]/.test(run) || !/[a-z]/.test(run)) return false;
  if (!/[0-9/+]/.test(run)) return false;
  // Identifiers (CamelCaseNamesLikeThis2) are mostly runs of 4+ lower-case letters; random
  // keys rarely are (about 0.1% of random keys are missed; known-secret scans cover tests).
  const wordy = (run.match(/[a-z]{4,}/g) ?? []).reduce((n, w) => n + w.length, 0);
  if (wordy / run.length >= 0.5) return false;
  // Base64 of readable text (a JSON-encoded id in a history, `"safeguard-rotate-kms-…"`) is not a
  // key: a random key decodes to noise (about 37% printable bytes), readable text to ≥ 90%.
  return !decodesToText(run);
}

const B64_VALUES = new Map([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c, i]));

/** Whether a base64 run decodes to mostly printable ASCII. Plain code: this runs in workflow code too. */
function decodesToText(run: string): boolean {
  const body = run.replace(/=+$/, '');
  let bits = 0;
  let acc = 0;
  let bytes = 0;
  let printable = 0;
  for (const c of body) {
    const v = B64_VALUES.get(c);
    if (v === undefined) return false;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      const b = (acc >> bits) & 0xff;
      bytes++;
      if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09) printable++;
    }
  }
  return bytes > 0 && printable / bytes >= 0.9;
}

function isLongBase64Shape(run: string): boolean {
  return !HEX_ONLY.test(run) && /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run);
}

export type SecretShape = 'aws-secret-key' | 'session-token' | 'slack-token';

export interface ShapeMatch {
  kind: SecretShape;
  index: number;
  text: string;
}

/**
 * Every secret-shaped substring of `s`. `longBase64` also reports any base64 run of 100+ chars as
 * a session token; right for a single value, wrong for documents that carry encoded payloads.
 */
export function findSecretShapes(s: string, opts: { longBase64?: boolean } = {}): ShapeMatch[] {
  const found: ShapeMatch[] = [];
  for (const m of s.matchAll(SLACK_TOKEN_RE)) found.push({ kind: 'slack-token', index: m.index, text: m[0] });
  for (const m of s.matchAll(SESSION_TOKEN_RE)) found.push({ kind: 'session-token', index: m.index, text: m[0] });
  if (opts.longBase64) {
    for (const m of s.matchAll(LONG_BASE64_RE)) {
      if (isLongBase64Shape(m[0]) && !found.some((f) => f.index <= m.index && m.index < f.index + f.text.length)) {
        found.push({ kind: 'session-token', index: m.index, text: m[0] });
      }
    }
  }
  for (const m of s.matchAll(AWS_SECRET_KEY_RE)) {
    if (isAwsSecretKeyShape(m[0])) found.push({ kind: 'aws-secret-key', index: m.index, text: m[0] });
  }
  return found.sort((a, b) => a.index - b.index);
}

/** Heuristic: does this string contain something shaped like an AWS secret key, STS session token or Slack token? */
export function looksLikeSecret(s: string): boolean {
  if (s.length < 10) return false;
  return findSecretShapes(s, { longBase64: true }).length > 0;
}

/** Mask for messages: never more than the first four characters of a secret. */
export function maskSecret(s: string): string {
  return `${s.slice(0, 4)}…`;
}

export class SecretDetectedError extends Error {
  override readonly name = 'SecretDetectedError';
  readonly code = 'SECRET_DETECTED';
  /** Where the secret was found, e.g. `evidence record.credentials.SecretAccessKey`; never the value. */
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(`secret-looking value at ${path}: ${reason}`, options);
    this.path = path;
  }
}

/**
 * Throws SecretDetectedError if `value` holds a secret: a non-empty string other than
 * "[REDACTED]" under a secret key, or any string (value or key) that looksLikeSecret.
 * The error names the path but never includes the secret.
 */
export function assertNoSecrets(value: unknown, where: string): void {
  walk(value, where, false, new WeakSet());
}

function walk(value: unknown, path: string, underSecretKey: boolean, seen: WeakSet<object>): void {
  if (typeof value === 'string') {
    if (underSecretKey && value !== '' && value !== REDACTED) {
      throw new SecretDetectedError(path, 'non-empty value under a secret key (redact it first)');
    }
    const shapes = findSecretShapes(value, { longBase64: true });
    const first = shapes[0];
    if (first) throw new SecretDetectedError(path, `value looks like a ${first.kind} (${maskSecret(first.text)})`);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, `${path}[${i}]`, underSecretKey, seen));
    return;
  }
  if (value instanceof Date) return;
  for (const [k, v] of Object.entries(value)) {
    if (looksLikeSecret(k)) throw new SecretDetectedError(`${path}.<key>`, 'an object key looks like a secret');
    walk(v, `${path}.${k}`, underSecretKey || isSecretKey(k), seen);
  }
}

/**
 * A copy of `value` with every secret removed: values under secret keys and secret-shaped
 * substrings (findSecretShapes) become "[REDACTED]", secret-shaped keys are renamed. Used where a
 * record must be kept even if someone pasted a secret into it (evidence): the secret goes, the
 * record stays, and `paths` says where something was removed.
 */
export function redactSecretShapes<T>(value: T): { value: T; paths: string[] } {
  const paths: string[] = [];
  const scrub = (v: unknown, path: string, underSecretKey: boolean): unknown => {
    if (typeof v === 'string') {
      if (underSecretKey && v !== '' && v !== REDACTED) {
        paths.push(path);
        return REDACTED;
      }
      const shapes = findSecretShapes(v, { longBase64: true });
      if (shapes.length === 0) return v;
      paths.push(path);
      let out = '';
      let at = 0;
      for (const m of shapes) {
        if (m.index < at) continue;
        out += v.slice(at, m.index) + REDACTED;
        at = m.index + m.text.length;
      }
      return out + v.slice(at);
    }
    if (v === null || typeof v !== 'object' || v instanceof Date) return v;
    if (Array.isArray(v)) return v.map((item, i) => scrub(item, `${path}[${i}]`, underSecretKey));
    const out: Record<string, unknown> = {};
    let n = 0;
    for (const [k, item] of Object.entries(v)) {
      const key = looksLikeSecret(k) ? `[REDACTED-KEY-${++n}]` : k;
      if (key !== k) paths.push(`${path}.<key>`);
      out[key] = scrub(item, `${path}.${key}`, underSecretKey || isSecretKey(k));
    }
    return out;
  };
  return { value: scrub(value, 'record', false) as T, paths };
}
