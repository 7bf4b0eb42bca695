// The api's caller authentication without network: the client signs a presigned
// sts:GetCallerIdentity, the verifier checks it offline and "forwards" it to a fake STS.

import { createHash, createHmac } from 'node:crypto';
import { decodeAuthHeader, encodeAuthHeader, signCallerIdentityRequest } from '../../cli/api-auth';
import type { SignedCallerIdentityRequest } from '../../cli/api-auth';
import { AuthError, CallerIdentityVerifier } from '../../api/auth';
import type { AuthErrorCode, BoundRequest, CallerIdentityVerifierOptions } from '../../api/auth';

const NOW = new Date('2026-03-01T12:00:00Z');
const STS = 'https://sts.us-east-1.amazonaws.com';
const SERVER_ID = 'safeguard.example.com';
const CREDS = { accessKeyId: 'AKIAEXAMPLEALICE0001', secretAccessKey: 'alice-secret-do-not-echo' };
const ARN = 'arn:aws:iam::123456789012:user/alice';

const OK_XML =
  '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
  `<Arn>${ARN}</Arn><UserId>AIDAALICE</UserId><Account>123456789012</Account>` +
  '</GetCallerIdentityResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>';

interface FakeCall {
  url: string;
  init: RequestInit;
}

function fakeSts(reply: { status: number; body: string } = { status: 200, body: OK_XML }): { fetch: typeof fetch; calls: FakeCall[] } {
  const calls: FakeCall[] = [];
  const f = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), init: init ?? {} });
    return new Response(reply.body, { status: reply.status, headers: { 'content-type': 'text/xml' } });
  }) as typeof fetch;
  return { fetch: f, calls };
}

function verifier(over: Partial<CallerIdentityVerifierOptions> = {}): { v: CallerIdentityVerifier; calls: FakeCall[] } {
  const sts = fakeSts();
  const v = new CallerIdentityVerifier({
    stsEndpoint: STS,
    allowedStsHosts: ['sts.us-east-1.amazonaws.com', 'sts.amazonaws.com'],
    serverId: SERVER_ID,
    fetch: sts.fetch,
    now: () => NOW,
    ...over,
  });
  return { v, calls: sts.calls };
}

/** The api request most tests sign for and present with. */
const WHOAMI: BoundRequest = { method: 'GET', path: '/v1/whoami', body: '' };
const APPROVE: BoundRequest = { method: 'POST', path: '/v1/breakglass/breakglass-BreakGlassAdmin-0123456789ab/approve', body: '{}' };
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const sign = (over: { now?: Date; serverId?: string; stsEndpoint?: string; request?: BoundRequest } = {}): Promise<SignedCallerIdentityRequest> =>
  signCallerIdentityRequest({
    credentials: CREDS,
    region: 'us-east-1',
    stsEndpoint: over.stsEndpoint ?? STS,
    serverId: over.serverId ?? SERVER_ID,
    request: over.request ?? WHOAMI,
    now: over.now ?? NOW,
  });

async function expectAuthError(p: Promise<unknown>, code: AuthErrorCode): Promise<AuthError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthError);
  const e = err as AuthError;
  expect(e.code).toBe(code);
  expect(e.status).toBe(401);
  // Never echo the signature, the secret or the session token.
  expect(e.message).not.toMatch(/[0-9a-f]{64}/);
  expect(e.message).not.toContain(CREDS.secretAccessKey);
  return e;
}

/** Independent SigV4 (node:crypto only) to check the signer's output. */
function expectedSignature(req: SignedCallerIdentityRequest, secret: string): string {
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(req.headers['authorization'] ?? '')?.[1] ?? '';
  const names = signedHeaders.split(';');
  const canonicalHeaders = names.map((n) => `${n}:${(req.headers[n] ?? '').trim()}\n`).join('');
  const canonical = ['POST', '/', '', canonicalHeaders, signedHeaders, createHash('sha256').update(req.body).digest('hex')].join('\n');
  const amzDate = req.headers['x-amz-date'] ?? '';
  const scope = `${amzDate.slice(0, 8)}/us-east-1/sts/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(amzDate.slice(0, 8)).digest();
  for (const part of ['us-east-1', 'sts', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('signCallerIdentityRequest', () => {
  it('produces a SigV4-signed GetCallerIdentity POST that signs host, x-amz-date, the server id and the api request', async () => {
    const req = await sign();
    expect(req.method).toBe('POST');
    expect(req.url).toBe('https://sts.us-east-1.amazonaws.com/');
    expect(req.body).toBe('Action=GetCallerIdentity&Version=2011-06-15');
    expect(req.headers).toMatchObject({
      host: 'sts.us-east-1.amazonaws.com',
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'x-amz-date': '20260301T120000Z',
      'x-safeguard-server-id': SERVER_ID,
      'x-safeguard-request': `GET /v1/whoami ${EMPTY_SHA256}`,
    });
    const auth = req.headers['authorization'] ?? '';
    expect(auth).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEALICE0001\/20260301\/us-east-1\/sts\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/);
    const signed = (/SignedHeaders=([^,]+)/.exec(auth)?.[1] ?? '').split(';');
    expect(signed).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'x-safeguard-server-id', 'x-safeguard-request', 'content-type']));
    expect(/Signature=([0-9a-f]{64})/.exec(auth)?.[1]).toBe(expectedSignature(req, CREDS.secretAccessKey));
    expect(JSON.stringify(req)).not.toContain(CREDS.secretAccessKey);
  });

  it('signs the session token of temporary credentials', async () => {
    const req = await signCallerIdentityRequest({
      credentials: { ...CREDS, sessionToken: 'tok' },
      region: 'us-east-1',
      stsEndpoint: 'http://127.0.0.1:4566',
      serverId: SERVER_ID,
      request: WHOAMI,
      now: NOW,
    });
    expect(req.url).toBe('http://127.0.0.1:4566/');
    expect(req.headers['host']).toBe('127.0.0.1:4566');
    expect(req.headers['x-amz-security-token']).toBe('tok');
    expect(req.headers['authorization']).toContain('x-amz-security-token');
  });

  it('binds the method, the path with its query and the SHA-256 of the exact body', async () => {
    const body = '{"comment":"ok ✓"}';
    const req = await sign({ request: { method: 'post', path: '/v1/breakglass?active=true', body } });
    const hash = createHash('sha256').update(Buffer.from(body, 'utf8')).digest('hex');
    expect(req.headers['x-safeguard-request']).toBe(`POST /v1/breakglass?active=true ${hash}`);
    // Bytes and the same text hash alike.
    const asBytes = await sign({ request: { method: 'POST', path: '/v1/breakglass?active=true', body: Buffer.from(body, 'utf8') } });
    expect(asBytes.headers['x-safeguard-request']).toBe(req.headers['x-safeguard-request']);
  });

  it('refuses to sign a request target that cannot be sent as is', async () => {
    await expect(sign({ request: { method: 'GET', path: 'v1/whoami', body: '' } })).rejects.toThrow(/must start with "\/"/);
    await expect(sign({ request: { method: 'GET', path: '/v1/who ami', body: '' } })).rejects.toThrow(/no spaces/);
    await expect(sign({ request: { method: 'GET /x', path: '/v1/whoami', body: '' } })).rejects.toThrow(/not an HTTP method/);
  });

  it('round-trips through the X-Safeguard-Auth header (base64url JSON)', async () => {
    const req = await sign();
    const header = encodeAuthHeader(req);
    expect(header).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeAuthHeader(header)).toEqual(req);
  });
});

describe('decodeAuthHeader', () => {
  it('refuses a missing header', () => {
    for (const v of [undefined, null, '', '  ', []]) {
      expect(() => decodeAuthHeader(v)).toThrow(expect.objectContaining({ code: 'AUTH_MISSING' }) as Error);
    }
  });
  it('refuses malformed headers', () => {
    const b64 = (s: string): string => Buffer.from(s).toString('base64url');
    for (const v of ['not base64!', b64('not json'), b64('[]'), b64('{"method":"GET","url":"x","headers":{},"body":""}'), b64('{"method":"POST","url":"x","headers":{"a":1},"body":""}'), 'a'.repeat(20_000), ['a', 'b']]) {
      expect(() => decodeAuthHeader(v)).toThrow(expect.objectContaining({ code: 'AUTH_MALFORMED' }) as Error);
    }
  });
});

describe('CallerIdentityVerifier', () => {
  it('accepts a fresh, well-formed request and returns the identity STS names', async () => {
    const { v, calls } = verifier();
    const req = await sign();
    await expect(v.verify(req, WHOAMI)).resolves.toEqual({ arn: ARN, account: '123456789012', userId: 'AIDAALICE' });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('https://sts.us-east-1.amazonaws.com/');
    expect(calls[0]?.init.body).toBe(req.body);
    expect(calls[0]?.init.headers).toMatchObject({ host: 'sts.us-east-1.amazonaws.com', authorization: req.headers['authorization'] });
    expect(calls[0]?.init.redirect).toBe('manual');
  });

  it('accepts the header form and small clock differences', async () => {
    const { v } = verifier();
    await expect(v.verifyHeader(encodeAuthHeader(await sign({ now: new Date(NOW.getTime() - 4 * 60_000) })), WHOAMI)).resolves.toMatchObject({ arn: ARN });
    await expect(v.verifyHeader(encodeAuthHeader(await sign({ now: new Date(NOW.getTime() + 4 * 60_000) })), WHOAMI)).resolves.toMatchObject({ arn: ARN });
  });

  it('sends requests for its own host to its configured endpoint, keeping the signed Host header', async () => {
    const { v, calls } = verifier({ stsEndpoint: 'https://vpce-123.sts.us-east-1.vpce.amazonaws.com', allowedStsHosts: ['sts.us-east-1.amazonaws.com'] });
    await v.verify(await sign(), WHOAMI);
    // Different host from the configured endpoint: sent to the signed host itself, over HTTPS.
    expect(calls[0]?.url).toBe('https://sts.us-east-1.amazonaws.com/');
    const { v: v2, calls: calls2 } = verifier({ stsEndpoint: 'http://127.0.0.1:4566' , allowedStsHosts: ['127.0.0.1:4566'] });
    await v2.verify(await sign({ stsEndpoint: 'http://127.0.0.1:4566' }), WHOAMI);
    expect(calls2[0]?.url).toBe('http://127.0.0.1:4566/');
  });

  const refusals: Array<[string, AuthErrorCode, (r: SignedCallerIdentityRequest) => SignedCallerIdentityRequest]> = [
    ['a host outside the allow-list', 'AUTH_WRONG_HOST', (r) => ({ ...r, url: 'https://sts.attacker.example/', headers: { ...r.headers, host: 'sts.attacker.example' } })],
    ['a URL host that differs from the signed Host header', 'AUTH_WRONG_HOST', (r) => ({ ...r, url: 'https://sts.amazonaws.com/' })],
    ['a non-http scheme', 'AUTH_WRONG_HOST', (r) => ({ ...r, url: 'file:///etc/passwd' })],
    ['user info in the URL', 'AUTH_WRONG_HOST', (r) => ({ ...r, url: 'https://x:y@sts.us-east-1.amazonaws.com/' })],
    ['another path', 'AUTH_WRONG_ACTION', (r) => ({ ...r, url: 'https://sts.us-east-1.amazonaws.com/other' })],
    ['a query string', 'AUTH_WRONG_ACTION', (r) => ({ ...r, url: 'https://sts.us-east-1.amazonaws.com/?Action=AssumeRole' })],
    ['another action', 'AUTH_WRONG_ACTION', (r) => ({ ...r, body: 'Action=AssumeRole&Version=2011-06-15' })],
    ['another version', 'AUTH_WRONG_ACTION', (r) => ({ ...r, body: 'Action=GetCallerIdentity&Version=2099-01-01' })],
    ['extra parameters', 'AUTH_WRONG_ACTION', (r) => ({ ...r, body: `${r.body}&RoleArn=x` })],
    ['a repeated Action', 'AUTH_WRONG_ACTION', (r) => ({ ...r, body: 'Action=GetCallerIdentity&Action=GetCallerIdentity&Version=2011-06-15' })],
    ['a JSON body', 'AUTH_WRONG_ACTION', (r) => ({ ...r, headers: { ...r.headers, 'content-type': 'application/x-amz-json-1.1' } })],
    ['no Authorization header', 'AUTH_MALFORMED', (r) => ({ ...r, headers: omit(r.headers, 'authorization') })],
    ['a non-SigV4 Authorization', 'AUTH_MALFORMED', (r) => ({ ...r, headers: { ...r.headers, authorization: 'Bearer abc' } })],
    ['a signature for another service', 'AUTH_WRONG_ACTION', (r) => ({ ...r, headers: { ...r.headers, authorization: (r.headers['authorization'] ?? '').replace('/sts/', '/iam/') } })],
    [
      'a server id header outside the signed headers',
      'AUTH_UNSIGNED_HEADER',
      (r) => ({ ...r, headers: { ...r.headers, authorization: (r.headers['authorization'] ?? '').replace(';x-safeguard-server-id', '') } }),
    ],
    [
      'an api-request binding outside the signed headers',
      'AUTH_UNSIGNED_HEADER',
      (r) => ({ ...r, headers: { ...r.headers, authorization: (r.headers['authorization'] ?? '').replace(';x-safeguard-request', '') } }),
    ],
    ['an api-request binding missing altogether', 'AUTH_MALFORMED', (r) => ({ ...r, headers: omit(r.headers, 'x-safeguard-request') })],
    ['an api-request binding of the wrong form', 'AUTH_MALFORMED', (r) => ({ ...r, headers: { ...r.headers, 'x-safeguard-request': 'GET /v1/whoami' } })],
    ['an unsigned x-amz-date', 'AUTH_UNSIGNED_HEADER', (r) => ({ ...r, headers: { ...r.headers, authorization: (r.headers['authorization'] ?? '').replace(';x-amz-date', '') } })],
    ['a server id header missing altogether', 'AUTH_MALFORMED', (r) => ({ ...r, headers: omit(r.headers, 'x-safeguard-server-id') })],
    ['a header given twice in different case', 'AUTH_MALFORMED', (r) => ({ ...r, headers: { ...r.headers, 'X-Amz-Date': '20260301T120000Z' } })],
    ['an unparseable X-Amz-Date', 'AUTH_MALFORMED', (r) => ({ ...r, headers: { ...r.headers, 'x-amz-date': 'yesterday' } })],
  ];

  it.each(refusals)('refuses %s (%s) without calling STS', async (_name, code, mutate) => {
    const { v, calls } = verifier();
    await expectAuthError(v.verify(mutate(await sign()), WHOAMI), code);
    expect(calls).toHaveLength(0);
  });

  it('refuses a request signed for another Safeguard server', async () => {
    const { v, calls } = verifier();
    await expectAuthError(v.verify(await sign({ serverId: 'other-service' }), WHOAMI), 'AUTH_WRONG_SERVER');
    expect(calls).toHaveLength(0);
  });

  describe('binding to one api request', () => {
    it('refuses a header captured from GET /v1/whoami when replayed to approve a request', async () => {
      const { v, calls } = verifier();
      const captured = encodeAuthHeader(await sign({ request: WHOAMI }));
      const e = await expectAuthError(v.verifyHeader(captured, APPROVE), 'AUTH_WRONG_REQUEST');
      expect(e.message).toMatch(/method, path, body differ/);
      expect(calls).toHaveLength(0);
      // The same header still works for the request it was signed for.
      await expect(v.verifyHeader(captured, WHOAMI)).resolves.toMatchObject({ arn: ARN });
    });

    it('refuses the same route with another body, another path or another query', async () => {
      const { v, calls } = verifier();
      const approve = await sign({ request: APPROVE });
      await expect(v.verify(approve, APPROVE)).resolves.toMatchObject({ arn: ARN });
      expect((await expectAuthError(v.verify(approve, { ...APPROVE, body: '{"comment":"x"}' }), 'AUTH_WRONG_REQUEST')).message).toMatch(/its body differs/);
      expect((await expectAuthError(v.verify(approve, { ...APPROVE, path: APPROVE.path.replace('approve', 'deny') }), 'AUTH_WRONG_REQUEST')).message).toMatch(/its path differs/);
      expect((await expectAuthError(v.verify(approve, { ...APPROVE, method: 'PUT' }), 'AUTH_WRONG_REQUEST')).message).toMatch(/its method differs/);
      const list = await sign({ request: { method: 'GET', path: '/v1/breakglass?active=true', body: '' } });
      await expectAuthError(v.verify(list, { method: 'GET', path: '/v1/breakglass', body: '' }), 'AUTH_WRONG_REQUEST');
      expect(calls).toHaveLength(1);
    });

    it('compares the exact body bytes the api received', async () => {
      const { v } = verifier();
      const body = '{"comment":"café"}';
      const req = await sign({ request: { ...APPROVE, body } });
      await expect(v.verify(req, { ...APPROVE, body: Buffer.from(body, 'utf8') })).resolves.toMatchObject({ arn: ARN });
      // Same JSON value, other bytes: refused (the api parses what was signed, nothing else).
      await expectAuthError(v.verify(req, { ...APPROVE, body: Buffer.from('{"comment": "café"}', 'utf8') }), 'AUTH_WRONG_REQUEST');
    });

    it('refuses a request target no client can have signed', async () => {
      const { v } = verifier();
      const e = await expectAuthError(v.verify(await sign(), { method: 'GET', path: 'http://api.example/v1/whoami', body: '' }), 'AUTH_WRONG_REQUEST');
      expect(e.message).toMatch(/cannot be bound/);
    });
  });

  it('refuses a stale request (signed 6 minutes ago) and a future one (6 minutes ahead)', async () => {
    const { v, calls } = verifier();
    const stale = await expectAuthError(v.verify(await sign({ now: new Date(NOW.getTime() - 6 * 60_000) }), WHOAMI), 'AUTH_STALE');
    expect(stale.message).toMatch(/360 s old/);
    await expectAuthError(v.verify(await sign({ now: new Date(NOW.getTime() + 6 * 60_000) }), WHOAMI), 'AUTH_FUTURE');
    expect(calls).toHaveLength(0);
  });

  it('honours maxSkewMs', async () => {
    const { v } = verifier({ maxSkewMs: 30_000 });
    await expectAuthError(v.verify(await sign({ now: new Date(NOW.getTime() - 60_000) }), WHOAMI), 'AUTH_STALE');
  });

  it('refuses malformed headers passed to verifyHeader', async () => {
    const { v } = verifier();
    await expectAuthError(v.verifyHeader(undefined, WHOAMI), 'AUTH_MISSING');
    await expectAuthError(v.verifyHeader('%%%', WHOAMI), 'AUTH_MALFORMED');
  });

  it('reports STS refusals with the STS error code', async () => {
    const sts = fakeSts({
      status: 403,
      body: '<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>nope</Message></Error></ErrorResponse>',
    });
    const { v } = verifier({ fetch: sts.fetch });
    const e = await expectAuthError(v.verify(await sign(), WHOAMI), 'AUTH_REJECTED_BY_STS');
    expect(e.stsCode).toBe('SignatureDoesNotMatch');
    expect(e.message).toContain('SignatureDoesNotMatch');
  });

  it('reports an unreachable or failing STS as retryable (503), not as a bad caller', async () => {
    const down = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    const e1 = await verifier({ fetch: down }).v.verify(await sign(), WHOAMI).catch((e: unknown) => e as AuthError);
    expect(e1).toMatchObject({ code: 'AUTH_STS_UNAVAILABLE', status: 503 });
    const e2 = await verifier({ fetch: fakeSts({ status: 503, body: '<Error><Code>ServiceUnavailable</Code></Error>' }).fetch })
      .v.verify(await sign(), WHOAMI)
      .catch((e: unknown) => e as AuthError);
    expect(e2).toMatchObject({ code: 'AUTH_STS_UNAVAILABLE', status: 503 });
  });
});

function omit(h: Record<string, string>, key: string): Record<string, string> {
  const out = { ...h };
  delete out[key];
  return out;
}

describe('CallerIdentityVerifier: configuration', () => {
  const opts = (over: Partial<CallerIdentityVerifierOptions>): CallerIdentityVerifierOptions => ({ stsEndpoint: STS, allowedStsHosts: ['sts.us-east-1.amazonaws.com'], serverId: SERVER_ID, ...over });

  it('refuses an STS endpoint that is not http(s), an empty server id and an empty host allow-list', () => {
    expect(() => new CallerIdentityVerifier(opts({ stsEndpoint: 'ftp://sts.us-east-1.amazonaws.com' }))).toThrow(/stsEndpoint must be http\(s\)/);
    expect(() => new CallerIdentityVerifier(opts({ serverId: '' }))).toThrow(/serverId must not be empty/);
    expect(() => new CallerIdentityVerifier(opts({ serverId: '   ' }))).toThrow(/serverId must not be empty/);
    expect(() => new CallerIdentityVerifier(opts({ allowedStsHosts: [] }))).toThrow(/allowedStsHosts must not be empty/);
    expect(() => new CallerIdentityVerifier(opts({}))).not.toThrow();
    expect(() => new CallerIdentityVerifier(opts({ stsEndpoint: 'http://127.0.0.1:4566' }))).not.toThrow();
  });
});

describe('CallerIdentityVerifier: more offline refusals', () => {
  const auth = (r: SignedCallerIdentityRequest): string => r.headers['authorization'] ?? '';
  const withAuth = (r: SignedCallerIdentityRequest, authorization: string): SignedCallerIdentityRequest => ({ ...r, headers: { ...r.headers, authorization } });
  const signature = (r: SignedCallerIdentityRequest): string => /Signature=([0-9a-f]{64})/.exec(auth(r))?.[1] ?? '';

  const more: Array<[string, AuthErrorCode, (r: SignedCallerIdentityRequest) => SignedCallerIdentityRequest]> = [
    ['a GET instead of a POST', 'AUTH_MALFORMED', (r) => ({ ...r, method: 'GET' as 'POST' })],
    ['a header value that is not a string', 'AUTH_MALFORMED', (r) => ({ ...r, headers: { ...r.headers, 'x-extra': 5 as unknown as string } })],
    ['a header name with a space', 'AUTH_MALFORMED', (r) => ({ ...r, headers: { ...r.headers, 'x extra': 'v' } })],
    ['a header name starting with a separator', 'AUTH_MALFORMED', (r) => ({ ...r, headers: { ...r.headers, '(x-extra': 'v' } })],
    ['a header name ending with a separator', 'AUTH_MALFORMED', (r) => ({ ...r, headers: { ...r.headers, 'x-extra(': 'v' } })],
    ['a header value with a line break (header injection)', 'AUTH_MALFORMED', (r) => ({ ...r, headers: { ...r.headers, 'x-extra': 'v\r\nx-amz-security-token: t' } })],
    ['a URL that is not a URL', 'AUTH_MALFORMED', (r) => ({ ...r, url: 'not a url' })],
    ['an allowed host over another scheme', 'AUTH_WRONG_HOST', (r) => ({ ...r, url: 'ftp://sts.us-east-1.amazonaws.com/' })],
    ['a user name in the URL', 'AUTH_WRONG_HOST', (r) => ({ ...r, url: 'https://x@sts.us-east-1.amazonaws.com/' })],
    ['a password in the URL', 'AUTH_WRONG_HOST', (r) => ({ ...r, url: 'https://:y@sts.us-east-1.amazonaws.com/' })],
    ['no Host header', 'AUTH_WRONG_HOST', (r) => ({ ...r, headers: omit(r.headers, 'host') })],
    ['a fragment in the URL', 'AUTH_WRONG_ACTION', (r) => ({ ...r, url: 'https://sts.us-east-1.amazonaws.com/#x' })],
    ['an X-Amz-Date on another day than the credential scope', 'AUTH_MALFORMED', (r) => withAuth(r, auth(r).replace('/20260301/', '/20260302/'))],
    ['an X-Amz-Date that is not a full timestamp', 'AUTH_MALFORMED', (r) => ({ ...r, headers: { ...r.headers, 'x-amz-date': '20260301T1200Z' } })],
    ['an X-Amz-Date with trailing text', 'AUTH_MALFORMED', (r) => ({ ...r, headers: { ...r.headers, 'x-amz-date': '20260301T120000Z1' } })],
    ['an Authorization with text before the scheme', 'AUTH_MALFORMED', (r) => withAuth(r, `X${auth(r)}`)],
    ['an Authorization field without a value', 'AUTH_MALFORMED', (r) => withAuth(r, `${auth(r)}, junk`)],
    ['an Authorization field without a name', 'AUTH_MALFORMED', (r) => withAuth(r, `${auth(r)}, =junk`)],
    ['an Authorization with an extra field', 'AUTH_MALFORMED', (r) => withAuth(r, `${auth(r)}, Foo=bar`)],
    ['an Authorization without a signature', 'AUTH_MALFORMED', (r) => withAuth(r, auth(r).replace(/, Signature=[0-9a-f]{64}$/, ''))],
    // Two SignedHeaders: the api could check one list and STS sign with the other.
    ['an Authorization that repeats a field', 'AUTH_MALFORMED', (r) => withAuth(r, auth(r).replace(/, Signature=/, ', SignedHeaders=host;x-amz-date, Signature='))],
    ['a signature that is not 64 hex digits', 'AUTH_MALFORMED', (r) => withAuth(r, auth(r).replace(signature(r), signature(r).slice(1)))],
    ['a signature with a prefix', 'AUTH_MALFORMED', (r) => withAuth(r, auth(r).replace(signature(r), `x${signature(r)}`))],
    ['a signature with a suffix', 'AUTH_MALFORMED', (r) => withAuth(r, auth(r).replace(signature(r), `${signature(r)}0`))],
    ['a credential scope with another terminator', 'AUTH_MALFORMED', (r) => withAuth(r, auth(r).replace('/aws4_request', '/aws4_requesx'))],
    ['a credential scope with an extra part', 'AUTH_MALFORMED', (r) => withAuth(r, auth(r).replace('/sts/aws4_request', '/sts/extra/aws4_request'))],
    ['a credential scope with a trailing part', 'AUTH_MALFORMED', (r) => withAuth(r, auth(r).replace('/sts/aws4_request', '/sts/aws4_request/x'))],
    ['a lower-case access key id', 'AUTH_MALFORMED', (r) => withAuth(r, auth(r).replace('AKIAEXAMPLEALICE0001', 'akiaEXAMPLEALICE0001'))],
    ['an access key id with a suffix', 'AUTH_MALFORMED', (r) => withAuth(r, auth(r).replace('AKIAEXAMPLEALICE0001', 'AKIAEXAMPLEALICE0001-x'))],
    ['an access key id that is too short', 'AUTH_MALFORMED', (r) => withAuth(r, auth(r).replace('AKIAEXAMPLEALICE0001', 'AKIA'))],
    ['a credential scope date that is not 8 digits', 'AUTH_MALFORMED', (r) => withAuth(r, auth(r).replace('/20260301/', '/2026031/'))],
    ['an empty entry in SignedHeaders', 'AUTH_MALFORMED', (r) => withAuth(r, auth(r).replace('SignedHeaders=', 'SignedHeaders=;'))],
    ['an upper-case name in SignedHeaders', 'AUTH_MALFORMED', (r) => withAuth(r, auth(r).replace('SignedHeaders=', 'SignedHeaders=X-Extra;'))],
    ['a signed header the request does not carry', 'AUTH_MALFORMED', (r) => withAuth(r, auth(r).replace('SignedHeaders=', 'SignedHeaders=x-extra;'))],
  ];

  it.each(more)('refuses %s (%s) without calling STS', async (_name, code, mutate) => {
    const { v, calls } = verifier();
    await expectAuthError(v.verify(mutate(await sign()), WHOAMI), code);
    expect(calls).toHaveLength(0);
  });

  it('accepts a request signed exactly 5 minutes ago or ahead, and refuses one a second beyond', async () => {
    const { v } = verifier();
    await expect(v.verify(await sign({ now: new Date(NOW.getTime() - 5 * 60_000) }), WHOAMI)).resolves.toMatchObject({ arn: ARN });
    await expect(v.verify(await sign({ now: new Date(NOW.getTime() + 5 * 60_000) }), WHOAMI)).resolves.toMatchObject({ arn: ARN });
    await expectAuthError(v.verify(await sign({ now: new Date(NOW.getTime() - 5 * 60_000 - 1000) }), WHOAMI), 'AUTH_STALE');
    const future = await expectAuthError(v.verify(await sign({ now: new Date(NOW.getTime() + 6 * 60_000) }), WHOAMI), 'AUTH_FUTURE');
    expect(future.message).toMatch(/360 s in the future \(more than 300 s\)/);
  });
});

describe('CallerIdentityVerifier: what is sent to STS', () => {
  it('POSTs without the hop-by-hop headers, and with every other header as signed', async () => {
    const { v, calls } = verifier();
    const req = await sign();
    const hopByHop = { 'content-length': '43', connection: 'close', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', upgrade: 'h2c', te: 'trailers', trailer: 'x', expect: '100-continue' };
    await v.verify({ ...req, headers: { ...req.headers, ...hopByHop } }, WHOAMI);
    expect(calls[0]?.init.method).toBe('POST');
    expect(calls[0]?.init.headers).toEqual(req.headers);
  });

  it('sends a request for its own host to its configured endpoint, at "/"', async () => {
    const local = 'http://localhost:4566';
    const { v, calls } = verifier({ stsEndpoint: `${local}/some/base/`, allowedStsHosts: ['localhost:4566'] });
    await v.verify(await sign({ stsEndpoint: local }), WHOAMI);
    expect(calls[0]?.url).toBe('http://localhost:4566/');
  });
});

describe('CallerIdentityVerifier: reading what STS answers', () => {
  const verifyWith = async (reply: { status: number; body: string }): Promise<unknown> => {
    const { v } = verifier({ fetch: fakeSts(reply).fetch });
    return v.verify(await sign(), WHOAMI).catch((e: unknown) => e);
  };

  it('reads the identity from pretty-printed XML, as STS writes it', async () => {
    const body = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>${ARN}</Arn>
    <UserId>AIDAALICE</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>r-1</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
`;
    expect(await verifyWith({ status: 200, body })).toEqual({ arn: ARN, account: '123456789012', userId: 'AIDAALICE' });
  });

  it('fails closed on a 200 that names no caller (retryable, never an identity)', async () => {
    const bodies = [
      '',
      'not xml',
      // An identity outside the result element does not count.
      `<Other><Arn>${ARN}</Arn><UserId>AIDAALICE</UserId><Account>123456789012</Account></Other>`,
      OK_XML.replace(`<Arn>${ARN}</Arn>`, ''),
      OK_XML.replace('<Account>123456789012</Account>', ''),
      OK_XML.replace('<UserId>AIDAALICE</UserId>', ''),
    ];
    for (const body of bodies) expect(await verifyWith({ status: 200, body })).toMatchObject({ code: 'AUTH_STS_UNAVAILABLE', status: 503 });
  });

  it('reports the STS error code from XML or JSON error bodies, else the HTTP status', async () => {
    expect(await verifyWith({ status: 403, body: '{"__type":"com.amazonaws.sts#InvalidClientTokenId","message":"x"}' })).toMatchObject({ code: 'AUTH_REJECTED_BY_STS', stsCode: 'InvalidClientTokenId' });
    expect(await verifyWith({ status: 403, body: '{"__type":"ExpiredToken"}' })).toMatchObject({ code: 'AUTH_REJECTED_BY_STS', stsCode: 'ExpiredToken' });
    expect(await verifyWith({ status: 403, body: '{"Error":{"Code":"SignatureDoesNotMatch"}}' })).toMatchObject({ code: 'AUTH_REJECTED_BY_STS', stsCode: 'SignatureDoesNotMatch' });
    expect(await verifyWith({ status: 403, body: '{"Error":{"Code":7}}' })).toMatchObject({ code: 'AUTH_REJECTED_BY_STS', stsCode: 'HTTP403' });
    expect(await verifyWith({ status: 403, body: 'Forbidden' })).toMatchObject({ code: 'AUTH_REJECTED_BY_STS', stsCode: 'HTTP403', status: 401 });
    expect(await verifyWith({ status: 302, body: '' })).toMatchObject({ code: 'AUTH_REJECTED_BY_STS', stsCode: 'HTTP302' });
  });

  it.each<[string, { status: number; body: string }, string]>([
    ['a 500', { status: 500, body: '' }, 'HTTP500'],
    ['a 502', { status: 502, body: 'Bad Gateway' }, 'HTTP502'],
    ['a 429', { status: 429, body: '' }, 'HTTP429'],
    ['Throttling', { status: 400, body: '<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>' }, 'Throttling'],
    ['ThrottlingException', { status: 400, body: '{"__type":"ThrottlingException"}' }, 'ThrottlingException'],
    ['ServiceUnavailable', { status: 400, body: '<Error><Code>ServiceUnavailable</Code></Error>' }, 'ServiceUnavailable'],
  ])('treats %s from STS as retryable (503), not as a bad caller', async (_name, reply, stsCode) => {
    expect(await verifyWith(reply)).toMatchObject({ code: 'AUTH_STS_UNAVAILABLE', status: 503, stsCode });
  });

  it('a 499 or another client error is the caller\'s problem (401)', async () => {
    expect(await verifyWith({ status: 499, body: '' })).toMatchObject({ code: 'AUTH_REJECTED_BY_STS', status: 401 });
    expect(await verifyWith({ status: 400, body: '<Error><Code>InvalidAction</Code></Error>' })).toMatchObject({ code: 'AUTH_REJECTED_BY_STS', stsCode: 'InvalidAction' });
  });

  it('keeps the network error as the cause of an unreachable STS', async () => {
    const boom = new TypeError('fetch failed');
    const down = (async () => {
      throw boom;
    }) as typeof fetch;
    const e = (await verifier({ fetch: down }).v.verify(await sign(), WHOAMI).catch((err: unknown) => err)) as AuthError;
    expect(e).toMatchObject({ code: 'AUTH_STS_UNAVAILABLE' });
    expect(e.cause).toBe(boom);
    expect(e.message).toContain('fetch failed');
  });
});
