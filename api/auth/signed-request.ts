// The wire form of a presigned sts:GetCallerIdentity request (Vault AWS-auth style) and its
// encoding in the `X-Safeguard-Auth` HTTP header: base64url(JSON).

import { createHash } from 'node:crypto';
import { AuthError } from './errors';

export const AUTH_HEADER = 'x-safeguard-auth';
export const SERVER_ID_HEADER = 'x-safeguard-server-id';
/** Signed header binding the identity to one api request: `<METHOD> <path?query> <sha256 hex of the body>`. */
export const REQUEST_HEADER = 'x-safeguard-request';
export const GET_CALLER_IDENTITY_BODY = 'Action=GetCallerIdentity&Version=2011-06-15';
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded; charset=utf-8';

export interface SignedCallerIdentityRequest {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The api request an identity header is for: what the client sends and what the api received. */
export interface BoundRequest {
  /** HTTP method, e.g. `POST`. */
  method: string;
  /** The request target as sent on the wire: path and query, e.g. `/v1/breakglass?active=true`. */
  path: string;
  /** The exact HTTP body bytes (a string is taken as UTF-8); empty when there is none. */
  body: string | Uint8Array;
}

/** The `x-safeguard-request` value for a request. Client and api compute it the same way. */
export function requestBinding(r: BoundRequest): string {
  const method = r.method.toUpperCase();
  if (!/^[A-Z]{1,16}$/.test(method)) throw new Error(`not an HTTP method: ${JSON.stringify(r.method.slice(0, 32))}`);
  // No whitespace or control characters: the value is split on single spaces.
  if (!/^\/[\x21-\x7e]*$/.test(r.path)) throw new Error('the request path must start with "/" and contain no spaces or non-ASCII characters (percent-encode them)');
  const bodyHash = createHash('sha256').update(typeof r.body === 'string' ? Buffer.from(r.body, 'utf8') : r.body).digest('hex');
  return `${method} ${r.path} ${bodyHash}`;
}

/** Splits an `x-safeguard-request` value; undefined when it is not of the form requestBinding makes. */
export function parseRequestBinding(value: string): { method: string; path: string; bodyHash: string } | undefined {
  const m = /^([A-Z]{1,16}) (\/[\x21-\x7e]*) ([0-9a-f]{64})$/.exec(value);
  if (!m) return undefined;
  return { method: m[1] ?? '', path: m[2] ?? '', bodyHash: m[3] ?? '' };
}

/** Upper bound on the decoded header; a real one is ~1.5 KB (~3 KB with a session token). */
const MAX_HEADER_CHARS = 16 * 1024;

export function encodeAuthHeader(req: SignedCallerIdentityRequest): string {
  return Buffer.from(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: req.body }), 'utf8').toString(
    'base64url',
  );
}

/** Parses an `X-Safeguard-Auth` value. Throws AuthError AUTH_MISSING / AUTH_MALFORMED. */
export function decodeAuthHeader(value: string | string[] | undefined | null): SignedCallerIdentityRequest {
  if (Array.isArray(value)) {
    if (value.length !== 1) throw new AuthError(value.length === 0 ? 'AUTH_MISSING' : 'AUTH_MALFORMED', 'exactly one X-Safeguard-Auth header is required');
    value = value[0];
  }
  if (value === undefined || value === null || value.trim() === '') {
    throw new AuthError('AUTH_MISSING', 'the X-Safeguard-Auth header is missing: sign in with `safeguard` (a presigned sts:GetCallerIdentity request)');
  }
  const v = value.trim();
  if (v.length > MAX_HEADER_CHARS) throw new AuthError('AUTH_MALFORMED', 'the X-Safeguard-Auth header is too long');
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(v)) throw new AuthError('AUTH_MALFORMED', 'the X-Safeguard-Auth header is not base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(v, 'base64url').toString('utf8'));
  } catch {
    throw new AuthError('AUTH_MALFORMED', 'the X-Safeguard-Auth header is not base64url-encoded JSON');
  }
  return asSignedRequest(parsed);
}

/** Validates the shape (not the content) of a decoded signed request. */
export function asSignedRequest(parsed: unknown): SignedCallerIdentityRequest {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AuthError('AUTH_MALFORMED', 'the signed request must be a JSON object');
  }
  const o = parsed as Record<string, unknown>;
  if (o['method'] !== 'POST') throw new AuthError('AUTH_MALFORMED', 'the signed request must be a POST');
  if (typeof o['url'] !== 'string') throw new AuthError('AUTH_MALFORMED', 'the signed request has no url');
  if (typeof o['body'] !== 'string') throw new AuthError('AUTH_MALFORMED', 'the signed request has no body');
  const rawHeaders = o['headers'];
  if (rawHeaders === null || typeof rawHeaders !== 'object' || Array.isArray(rawHeaders)) {
    throw new AuthError('AUTH_MALFORMED', 'the signed request has no headers object');
  }
  const headers: Record<string, string> = {};
  for (const [k, val] of Object.entries(rawHeaders as Record<string, unknown>)) {
    if (typeof val !== 'string') throw new AuthError('AUTH_MALFORMED', `signed request header ${JSON.stringify(k.slice(0, 64))} is not a string`);
    headers[k] = val;
  }
  return { method: 'POST', url: o['url'], headers, body: o['body'] };
}
