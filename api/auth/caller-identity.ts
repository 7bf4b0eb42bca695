// Server side of the api's caller authentication (Vault AWS-auth style): checks a presigned
// sts:GetCallerIdentity request offline (target, action, signed headers, server id, the api request
// it is bound to, freshness), then forwards it to STS, whose answer names the caller. STS verifies
// the signature over every signed header; the api never sees the caller's secret. See
// docs/api-auth.md for the threat model.

import { AuthError } from './errors';
import { xmlText } from './xml';
import { FORM_CONTENT_TYPE, REQUEST_HEADER, SERVER_ID_HEADER, decodeAuthHeader, parseRequestBinding, requestBinding } from './signed-request';
import type { BoundRequest, SignedCallerIdentityRequest } from './signed-request';

export { AuthError } from './errors';
export type { AuthErrorCode } from './errors';

export interface CallerIdentity {
  arn: string;
  account: string;
  userId: string;
}

export interface CallerIdentityVerifierOptions {
  /** Where the api sends verified requests, e.g. https://sts.us-east-1.amazonaws.com. */
  stsEndpoint: string;
  /** Hosts (host[:port], exactly as in the signed URL) a request may be addressed to. */
  allowedStsHosts: string[];
  /** This api's server id; the signed `x-safeguard-server-id` header must equal it. */
  serverId: string;
  /** Accepted |X-Amz-Date − now|; default 5 minutes. */
  maxSkewMs?: number;
  fetch?: typeof fetch;
  now?: () => Date;
  /** Timeout of the STS call; default 10 s. */
  timeoutMs?: number;
}

const DEFAULT_MAX_SKEW_MS = 5 * 60_000;
const REQUIRED_SIGNED_HEADERS = ['host', 'x-amz-date', SERVER_ID_HEADER, REQUEST_HEADER] as const;
/** Headers never forwarded to STS (the fetch implementation sets its own). */
const NOT_FORWARDED = new Set(['content-length', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'expect']);

interface ParsedAuthorization {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
}

export class CallerIdentityVerifier {
  private readonly sts: URL;
  private readonly allowedHosts: Set<string>;
  private readonly maxSkewMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => Date;
  private readonly timeoutMs: number;

  constructor(private readonly opts: CallerIdentityVerifierOptions) {
    this.sts = new URL(opts.stsEndpoint);
    if (this.sts.protocol !== 'https:' && this.sts.protocol !== 'http:') throw new Error(`stsEndpoint must be http(s): ${opts.stsEndpoint}`);
    if (opts.serverId.trim() === '') throw new Error('serverId must not be empty');
    if (opts.allowedStsHosts.length === 0) throw new Error('allowedStsHosts must not be empty');
    this.allowedHosts = new Set(opts.allowedStsHosts.map((h) => h.toLowerCase()));
    this.maxSkewMs = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    this.fetchImpl = opts.fetch ?? fetch;
    this.now = opts.now ?? (() => new Date());
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /**
   * Decodes an `X-Safeguard-Auth` header value and verifies it for `received`, the api request it
   * came with (method, request target and exact body bytes).
   */
  async verifyHeader(value: string | string[] | undefined | null, received: BoundRequest): Promise<CallerIdentity> {
    return this.verify(decodeAuthHeader(value), received);
  }

  async verify(req: SignedCallerIdentityRequest, received: BoundRequest): Promise<CallerIdentity> {
    const { target, headers } = this.check(req, received);
    return this.forward(target, headers, req.body);
  }

  /** Every offline check; returns where to send the request and the headers to send. */
  private check(req: SignedCallerIdentityRequest, received: BoundRequest): { target: URL; headers: Record<string, string> } {
    if ((req as { method: unknown }).method !== 'POST') throw new AuthError('AUTH_MALFORMED', 'the signed request must be a POST');

    // Headers: case-insensitive, one value each.
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      const name = k.toLowerCase();
      if (typeof v !== 'string') throw new AuthError('AUTH_MALFORMED', 'signed request header values must be strings');
      if (name in headers) throw new AuthError('AUTH_MALFORMED', `signed request header "${name}" appears twice`);
      if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name) || /[\r\n\0]/.test(v)) throw new AuthError('AUTH_MALFORMED', 'signed request has an invalid header');
      headers[name] = v;
    }

    // Target: an allow-listed STS host, path "/", no query, no credentials in the URL.
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      throw new AuthError('AUTH_MALFORMED', 'the signed request URL is not a URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AuthError('AUTH_WRONG_HOST', `the signed request must go to STS over http(s), not ${url.protocol}`);
    if (url.username !== '' || url.password !== '') throw new AuthError('AUTH_WRONG_HOST', 'the signed request URL must not carry user info');
    const host = url.host.toLowerCase();
    if (!this.allowedHosts.has(host)) {
      throw new AuthError('AUTH_WRONG_HOST', `the signed request is addressed to ${host}, which is not an STS endpoint this api accepts`);
    }
    const hostHeader = headers['host'];
    if (hostHeader === undefined || hostHeader.toLowerCase() !== host) {
      throw new AuthError('AUTH_WRONG_HOST', 'the signed Host header does not match the request URL');
    }
    if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
      throw new AuthError('AUTH_WRONG_ACTION', 'the signed request must be a POST to "/" with no query string (sts:GetCallerIdentity)');
    }

    // Body: exactly Action=GetCallerIdentity&Version=2011-06-15.
    const contentType = (headers['content-type'] ?? '').toLowerCase().replace(/\s+/g, '');
    if (!contentType.startsWith('application/x-www-form-urlencoded')) {
      throw new AuthError('AUTH_WRONG_ACTION', `the signed request must be a form POST (${FORM_CONTENT_TYPE})`);
    }
    const form = [...new URLSearchParams(req.body)];
    const action = form.filter(([k]) => k === 'Action');
    const version = form.filter(([k]) => k === 'Version');
    if (form.length !== 2 || action.length !== 1 || version.length !== 1 || action[0]?.[1] !== 'GetCallerIdentity' || version[0]?.[1] !== '2011-06-15') {
      throw new AuthError('AUTH_WRONG_ACTION', 'the signed request body must be exactly Action=GetCallerIdentity&Version=2011-06-15');
    }

    // Authorization: SigV4 for sts, signing host, x-amz-date and the server id.
    const auth = parseAuthorization(headers['authorization']);
    if (auth.service !== 'sts') throw new AuthError('AUTH_WRONG_ACTION', `the request is signed for service "${auth.service}", not sts`);
    for (const h of REQUIRED_SIGNED_HEADERS) {
      if (!auth.signedHeaders.includes(h)) throw new AuthError('AUTH_UNSIGNED_HEADER', `the signature does not cover the "${h}" header`);
    }
    for (const h of auth.signedHeaders) {
      if (!(h in headers)) throw new AuthError('AUTH_MALFORMED', `signed header "${h}" is missing from the request`);
    }
    if (headers[SERVER_ID_HEADER] !== this.opts.serverId) {
      throw new AuthError('AUTH_WRONG_SERVER', 'the request was signed for another Safeguard server (x-safeguard-server-id does not match this api)');
    }
    checkRequestBinding(headers[REQUEST_HEADER] ?? '', received);

    // Freshness: X-Amz-Date within ±maxSkew (STS alone would accept 15 minutes).
    const amzDate = headers['x-amz-date'] ?? '';
    const signedAt = parseAmzDate(amzDate);
    if (signedAt === undefined) throw new AuthError('AUTH_MALFORMED', 'X-Amz-Date is not a YYYYMMDDTHHMMSSZ timestamp');
    if (amzDate.slice(0, 8) !== auth.scopeDate) throw new AuthError('AUTH_MALFORMED', 'the credential scope date does not match X-Amz-Date');
    const now = this.now().getTime();
    const skewS = Math.round(this.maxSkewMs / 1000);
    if (signedAt < now - this.maxSkewMs) {
      throw new AuthError('AUTH_STALE', `the signed request is ${Math.round((now - signedAt) / 1000)} s old; requests are accepted for ${skewS} s: sign a new one`);
    }
    if (signedAt > now + this.maxSkewMs) {
      throw new AuthError('AUTH_FUTURE', `the signed request is dated ${Math.round((signedAt - now) / 1000)} s in the future (more than ${skewS} s): check the client's clock`);
    }

    // Where to send it: our own configured endpoint for its host; other allowed hosts over HTTPS only.
    const target = host === this.sts.host.toLowerCase() ? new URL('/', this.sts) : new URL(`https://${host}/`);
    const forwarded: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (!NOT_FORWARDED.has(k)) forwarded[k] = v;
    return { target, headers: forwarded };
  }

  private async forward(target: URL, headers: Record<string, string>, body: string): Promise<CallerIdentity> {
    let status: number;
    let text: string;
    try {
      const res = await this.fetchImpl(target.toString(), {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      throw new AuthError('AUTH_STS_UNAVAILABLE', `could not reach STS at ${target.host} to verify the caller: ${(err as Error).message}`, { cause: err });
    }
    if (status === 200) {
      const result = /<GetCallerIdentityResult>([\s\S]*?)<\/GetCallerIdentityResult>/.exec(text)?.[1] ?? '';
      const arn = xmlText(result, 'Arn');
      const account = xmlText(result, 'Account');
      const userId = xmlText(result, 'UserId');
      if (!arn || !account || !userId) throw new AuthError('AUTH_STS_UNAVAILABLE', `STS at ${target.host} answered 200 without a caller identity`);
      return { arn, account, userId };
    }
    const code = xmlText(text, 'Code') ?? jsonErrorCode(text) ?? `HTTP${status}`;
    if (status >= 500 || status === 429 || code === 'Throttling' || code === 'ThrottlingException' || code === 'ServiceUnavailable') {
      throw new AuthError('AUTH_STS_UNAVAILABLE', `STS at ${target.host} could not verify the caller (${code}); try again`, { stsCode: code });
    }
    throw new AuthError('AUTH_REJECTED_BY_STS', `STS refused the signed request: ${code}`, { stsCode: code });
  }
}

/**
 * The signed `x-safeguard-request` must describe the api request the header arrived with, so a
 * header captured from one request (say GET /v1/whoami) cannot authenticate another (an approval).
 */
function checkRequestBinding(signed: string, received: BoundRequest): void {
  const claimed = parseRequestBinding(signed);
  if (!claimed) throw new AuthError('AUTH_MALFORMED', `the ${REQUEST_HEADER} header is not "<METHOD> <path> <sha256 hex of the body>"`);
  let actual: ReturnType<typeof parseRequestBinding>;
  try {
    actual = parseRequestBinding(requestBinding(received));
  } catch {
    actual = undefined;
  }
  // A request target no client can sign (absolute-form, raw spaces or non-ASCII) matches nothing.
  if (!actual) throw new AuthError('AUTH_WRONG_REQUEST', 'this request\'s method or target cannot be bound to an identity header: send a plain "/path?query" target');
  const differs = [
    actual.method !== claimed.method ? 'method' : undefined,
    actual.path !== claimed.path ? 'path' : undefined,
    actual.bodyHash !== claimed.bodyHash ? 'body' : undefined,
  ].filter((d): d is string => d !== undefined);
  if (differs.length > 0) {
    // Names which part differs, never the hashes: enough for a client author to find the bug.
    throw new AuthError('AUTH_WRONG_REQUEST', `the identity header was signed for another request (its ${differs.join(', ')} differ${differs.length === 1 ? 's' : ''}): sign each api request separately`);
  }
}

function parseAuthorization(value: string | undefined): ParsedAuthorization {
  if (value === undefined || value.trim() === '') throw new AuthError('AUTH_MALFORMED', 'the signed request has no Authorization header');
  const m = /^AWS4-HMAC-SHA256\s+(.*)$/.exec(value.trim());
  if (!m) throw new AuthError('AUTH_MALFORMED', 'the Authorization header is not AWS4-HMAC-SHA256');
  const fields = new Map<string, string>();
  for (const part of (m[1] ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new AuthError('AUTH_MALFORMED', 'the Authorization header is malformed');
    const key = part.slice(0, eq).trim();
    if (fields.has(key)) throw new AuthError('AUTH_MALFORMED', 'the Authorization header repeats a field');
    fields.set(key, part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature || fields.size !== 3) {
    throw new AuthError('AUTH_MALFORMED', 'the Authorization header needs exactly Credential, SignedHeaders and Signature');
  }
  if (!/^[0-9a-f]{64}$/.test(signature)) throw new AuthError('AUTH_MALFORMED', 'the Authorization signature is not 64 hex digits');
  const scope = credential.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request' || !/^[A-Z0-9]{16,128}$/.test(scope[0] ?? '') || !/^\d{8}$/.test(scope[1] ?? '')) {
    throw new AuthError('AUTH_MALFORMED', 'the Authorization credential scope is malformed');
  }
  const list = signedHeaders.split(';');
  if (list.some((h) => h === '' || h !== h.toLowerCase())) throw new AuthError('AUTH_MALFORMED', 'SignedHeaders is malformed');
  return {
    accessKeyId: scope[0] ?? '',
    scopeDate: scope[1] ?? '',
    region: scope[2] ?? '',
    service: scope[3] ?? '',
    signedHeaders: list,
  };
}

/** `20260101T120000Z` → epoch ms. */
function parseAmzDate(v: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isFinite(t) ? t : undefined;
}


function jsonErrorCode(text: string): string | undefined {
  try {
    const j = JSON.parse(text) as { __type?: unknown; Error?: { Code?: unknown } };
    if (typeof j.__type === 'string') return j.__type.slice(j.__type.lastIndexOf('#') + 1);
    if (typeof j.Error?.Code === 'string') return j.Error.Code;
  } catch {
    /* not JSON */
  }
  return undefined;
}
