// Verifies the SigV4 signature of a request the gateway received, against the key the directory
// knows for its access key id. The gateway checks every AWS call this way (moto, with its own
// authentication off, accepts any signature). Both forms are understood: the Authorization header
// (what the SDKs send, and what the api forwards byte-for-byte for its caller identity check) and
// presigned URLs (X-Amz-* query parameters). The signature is recomputed with @smithy/signature-v4
// over exactly the headers the client says it signed, and compared in constant time.

import { createHash, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../api/auth/sha256';
import type { MotoKey } from './moto-directory';

export type SigV4Verdict =
  /** The signature is the key's, fresh, over this request. */
  | 'ok'
  /** The Authorization header or X-Amz-* parameters are incomplete or do not parse. */
  | 'malformed'
  /** Signed with another secret, or the signed parts were changed after signing. */
  | 'mismatch'
  /** The session token is not the key's (or missing for temporary credentials, or present for a user key). */
  | 'bad-token'
  /** Signed more than 15 minutes ago, or a presigned URL past its X-Amz-Expires. */
  | 'expired'
  /** Signed more than 15 minutes in the future. */
  | 'not-yet-valid'
  /** x-amz-content-sha256 names a payload hash the body does not have. */
  | 'payload-mismatch';

export interface ReceivedRequest {
  method: string;
  /** Path plus query string as received (the raw request target). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface VerifyOptions {
  /** The verifier's clock; default now. */
  now?: Date;
}

/** AWS accepts a header signature whose X-Amz-Date is within 15 minutes of its own clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60_000;
/** A presigned URL may be valid for at most 7 days. */
const MAX_PRESIGN_EXPIRES_S = 7 * 24 * 3600;
const ALGORITHM = 'AWS4-HMAC-SHA256';
const SHA256_HEADER = 'x-amz-content-sha256';

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);

/** Where the signature is and what it claims, whichever form the request used. */
interface Claim {
  accessKeyId: string;
  region: string;
  service: string;
  scopeDate: string;
  amzDate: string;
  signedHeaders: string[];
  signature: string;
  sessionToken: string | undefined;
  /** Presigned URLs only: seconds the URL stays valid. */
  expiresS?: number;
}

export async function verifySigV4(req: ReceivedRequest, key: MotoKey, opts: VerifyOptions = {}): Promise<SigV4Verdict> {
  const target = splitTarget(req.url);
  const claim = one(req.headers['authorization']) !== undefined ? headerClaim(req) : presignedClaim(target.query);
  if (!claim || claim.accessKeyId !== key.accessKeyId) return 'malformed';
  const signedAt = parseAmzDate(claim.amzDate);
  if (signedAt === undefined || claim.amzDate.slice(0, 8) !== claim.scopeDate) return 'malformed';

  if ((key.sessionToken ?? undefined) !== claim.sessionToken) return 'bad-token';

  const headers: Record<string, string> = {};
  for (const name of claim.signedHeaders) {
    const v = one(req.headers[name]);
    if (v === undefined) return 'malformed';
    headers[name] = v;
  }
  if (headers['host'] === undefined) return 'malformed';

  const expected = claim.expiresS === undefined ? await headerSignature(req, key, claim, target, headers, signedAt) : await presignedSignature(req, key, claim, target, headers, signedAt);
  if (expected === undefined) return 'mismatch';
  const a = Buffer.from(expected, 'hex');
  const b = Buffer.from(claim.signature, 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return 'mismatch';

  // Freshness is judged only for a signature that is the key's own, as AWS does.
  const now = (opts.now ?? new Date()).getTime();
  if (claim.expiresS !== undefined) {
    if (now > signedAt + claim.expiresS * 1000) return 'expired';
  } else if (signedAt < now - MAX_CLOCK_SKEW_MS) {
    return 'expired';
  }
  if (signedAt > now + MAX_CLOCK_SKEW_MS) return 'not-yet-valid';

  // The signature covers x-amz-content-sha256, not the body itself: check the body has that hash.
  const declared = one(req.headers[SHA256_HEADER]);
  if (declared !== undefined && /^[0-9a-f]{64}$/i.test(declared)) {
    if (createHash('sha256').update(req.body).digest('hex') !== declared.toLowerCase()) return 'payload-mismatch';
  }
  return 'ok';
}

function headerClaim(req: ReceivedRequest): Claim | undefined {
  const authorization = (one(req.headers['authorization']) ?? '').trim();
  const m = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!m) return undefined;
  const scope = parseScope(m[1] ?? '');
  if (!scope) return undefined;
  return {
    ...scope,
    amzDate: one(req.headers['x-amz-date']) ?? '',
    signedHeaders: (m[2] ?? '').split(';'),
    signature: m[3] ?? '',
    sessionToken: one(req.headers['x-amz-security-token']),
  };
}

function presignedClaim(query: URLSearchParams): Claim | undefined {
  if (query.get('X-Amz-Algorithm') !== ALGORITHM) return undefined;
  const scope = parseScope(query.get('X-Amz-Credential') ?? '');
  const signature = query.get('X-Amz-Signature') ?? '';
  const expiresS = Number(query.get('X-Amz-Expires') ?? '');
  const signedHeaders = query.get('X-Amz-SignedHeaders') ?? '';
  if (!scope || !/^[0-9a-f]{64}$/.test(signature) || signedHeaders === '') return undefined;
  if (!Number.isInteger(expiresS) || expiresS < 1 || expiresS > MAX_PRESIGN_EXPIRES_S) return undefined;
  return {
    ...scope,
    amzDate: query.get('X-Amz-Date') ?? '',
    signedHeaders: signedHeaders.split(';'),
    signature,
    sessionToken: query.get('X-Amz-Security-Token') ?? undefined,
    expiresS,
  };
}

function parseScope(credential: string): Pick<Claim, 'accessKeyId' | 'scopeDate' | 'region' | 'service'> | undefined {
  const [accessKeyId, scopeDate, region, service, terminator, ...rest] = credential.split('/');
  if (!accessKeyId || !scopeDate || !region || !service || terminator !== 'aws4_request' || rest.length > 0) return undefined;
  return { accessKeyId, scopeDate, region, service };
}

function signerFor(key: MotoKey, claim: Claim): SignatureV4 {
  return new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, ...(key.sessionToken ? { sessionToken: key.sessionToken } : {}) },
    region: claim.region,
    service: claim.service,
    sha256: Sha256,
    applyChecksum: false,
    // S3 signs the path as sent (encoded once); every other service encodes it again.
    uriEscapePath: claim.service !== 's3',
  });
}

/**
 * Signs exactly the headers the client listed: its SignedHeaders may include headers the signer
 * would skip (user-agent) or leave out ones it would add (an unsigned x-amz-security-token).
 */
function headerScope(claim: Claim, present: Iterable<string>): { signableHeaders: Set<string>; unsignableHeaders: Set<string> } {
  const signed = new Set(claim.signedHeaders);
  return { signableHeaders: signed, unsignableHeaders: new Set([...present].filter((h) => !signed.has(h))) };
}

async function headerSignature(
  req: ReceivedRequest,
  key: MotoKey,
  claim: Claim,
  target: Target,
  headers: Record<string, string>,
  signedAt: number,
): Promise<string | undefined> {
  const toSign = { ...headers };
  const declared = one(req.headers[SHA256_HEADER]);
  // The signer hashes the body unless x-amz-content-sha256 says what to use (even when unsigned).
  if (declared !== undefined) toSign[SHA256_HEADER] = declared;
  const signed = await signerFor(key, claim).sign(
    { method: req.method, protocol: 'http:', hostname: headers['host'] ?? 'localhost', path: target.path, query: queryRecord(target.query), headers: toSign, body: req.body },
    {
      signingDate: new Date(signedAt),
      signingRegion: claim.region,
      signingService: claim.service,
      ...headerScope(claim, [...Object.keys(toSign), 'x-amz-date', 'x-amz-security-token']),
    },
  );
  const m = /SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})/.exec(signed.headers['authorization'] ?? '');
  return m && m[1] === claim.signedHeaders.join(';') ? m[2] : undefined;
}

async function presignedSignature(
  req: ReceivedRequest,
  key: MotoKey,
  claim: Claim,
  target: Target,
  headers: Record<string, string>,
  signedAt: number,
): Promise<string | undefined> {
  const query = queryRecord(target.query);
  delete query['X-Amz-Signature'];
  const toSign = { ...headers };
  // Presigned S3 URLs sign no payload; other services sign the (usually empty) body.
  if (claim.service === 's3') toSign[SHA256_HEADER] = 'UNSIGNED-PAYLOAD';
  const present = Object.keys(toSign);
  const presigned = await signerFor(key, claim).presign(
    { method: req.method, protocol: 'http:', hostname: headers['host'] ?? 'localhost', path: target.path, query, headers: toSign, body: req.body },
    {
      signingDate: new Date(signedAt),
      expiresIn: claim.expiresS ?? 0,
      signingRegion: claim.region,
      signingService: claim.service,
      // Signed x-amz-* headers stay headers (the signer would otherwise hoist them into the query).
      unhoistableHeaders: new Set(present),
      ...headerScope(claim, present),
    },
  );
  const signature = presigned.query?.['X-Amz-Signature'];
  return presigned.query?.['X-Amz-SignedHeaders'] === claim.signedHeaders.join(';') && typeof signature === 'string' ? signature : undefined;
}

interface Target {
  /** The path exactly as received: still percent-encoded, as the client signed it. */
  path: string;
  query: URLSearchParams;
}

function splitTarget(url: string): Target {
  const absolute = /^[a-z][a-z0-9+.-]*:\/\//i.test(url);
  const raw = absolute ? url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '') : url;
  const q = raw.indexOf('?');
  const path = (q < 0 ? raw : raw.slice(0, q)) || '/';
  return { path, query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of params) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return query;
}

/** `20260101T120000Z` → epoch ms. */
function parseAmzDate(v: string): number | undefined {
  const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  if (!d) return undefined;
  const t = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(d[4]), Number(d[5]), Number(d[6]));
  return Number.isFinite(t) ? t : undefined;
}
