// The api's caller authentication without network: the client signs a presigned
// sts:GetCallerIdentity, the verifier checks it offline and "forwards" it to a fake STS.

import { createHash, createHmac } from 'node:crypto';
import { decodeAuthHeader, encodeAuthHeader, signCallerIdentityRequest } from '../../cli/api-auth';
import type { SignedCallerIdentityRequest } from '../../cli/api-auth';
import { AuthError, CallerIdentityVerifier } from '../../api/auth';
import type { AuthErrorCode, CallerIdentityVerifierOptions } from '../../api/auth';

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

const sign = (over: { now?: Date; serverId?: string; stsEndpoint?: string } = {}): Promise<SignedCallerIdentityRequest> =>
  signCallerIdentityRequest({
    credentials: CREDS,
    region: 'us-east-1',
    stsEndpoint: over.stsEndpoint ?? STS,
    serverId: over.serverId ?? SERVER_ID,
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
  it('produces a SigV4-signed GetCallerIdentity POST that signs host, x-amz-date and the server id', async () => {
    const req = await sign();
    expect(req.method).toBe('POST');
    expect(req.url).toBe('https://sts.us-east-1.amazonaws.com/');
    expect(req.body).toBe('Action=GetCallerIdentity&Version=2011-06-15');
    expect(req.headers).toMatchObject({
      host: 'sts.us-east-1.amazonaws.com',
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'x-amz-date': '20260301T120000Z',
      'x-safeguard-server-id': SERVER_ID,
    });
    const auth = req.headers['authorization'] ?? '';
    expect(auth).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEALICE0001\/20260301\/us-east-1\/sts\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/);
    const signed = (/SignedHeaders=([^,]+)/.exec(auth)?.[1] ?? '').split(';');
    expect(signed).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'x-safeguard-server-id', 'content-type']));
    expect(/Signature=([0-9a-f]{64})/.exec(auth)?.[1]).toBe(expectedSignature(req, CREDS.secretAccessKey));
    expect(JSON.stringify(req)).not.toContain(CREDS.secretAccessKey);
  });

  it('signs the session token of temporary credentials', async () => {
    const req = await signCallerIdentityRequest({
      credentials: { ...CREDS, sessionToken: 'tok' },
      region: 'us-east-1',
      stsEndpoint: 'http://127.0.0.1:4566',
      serverId: SERVER_ID,
      now: NOW,
    });
    expect(req.url).toBe('http://127.0.0.1:4566/');
    expect(req.headers['host']).toBe('127.0.0.1:4566');
    expect(req.headers['x-amz-security-token']).toBe('tok');
    expect(req.headers['authorization']).toContain('x-amz-security-token');
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
    await expect(v.verify(req)).resolves.toEqual({ arn: ARN, account: '123456789012', userId: 'AIDAALICE' });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('https://sts.us-east-1.amazonaws.com/');
    expect(calls[0]?.init.body).toBe(req.body);
    expect(calls[0]?.init.headers).toMatchObject({ host: 'sts.us-east-1.amazonaws.com', authorization: req.headers['authorization'] });
    expect(calls[0]?.init.redirect).toBe('manual');
  });

  it('accepts the header form and small clock differences', async () => {
    const { v } = verifier();
    await expect(v.verifyHeader(encodeAuthHeader(await sign({ now: new Date(NOW.getTime() - 4 * 60_000) })))).resolves.toMatchObject({ arn: ARN });
    await expect(v.verifyHeader(encodeAuthHeader(await sign({ now: new Date(NOW.getTime() + 4 * 60_000) })))).resolves.toMatchObject({ arn: ARN });
  });

  it('sends requests for its own host to its configured endpoint, keeping the signed Host header', async () => {
    const { v, calls } = verifier({ stsEndpoint: 'https://vpce-123.sts.us-east-1.vpce.amazonaws.com', allowedStsHosts: ['sts.us-east-1.amazonaws.com'] });
    await v.verify(await sign());
    // Different host from the configured endpoint: sent to the signed host itself, over HTTPS.
    expect(calls[0]?.url).toBe('https://sts.us-east-1.amazonaws.com/');
    const { v: v2, calls: calls2 } = verifier({ stsEndpoint: 'http://127.0.0.1:4566' , allowedStsHosts: ['127.0.0.1:4566'] });
    await v2.verify(await sign({ stsEndpoint: 'http://127.0.0.1:4566' }));
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
    ['an unsigned x-amz-date', 'AUTH_UNSIGNED_HEADER', (r) => ({ ...r, headers: { ...r.headers, authorization: (r.headers['authorization'] ?? '').replace(';x-amz-date', '') } })],
    ['a server id header missing altogether', 'AUTH_MALFORMED', (r) => ({ ...r, headers: omit(r.headers, 'x-safeguard-server-id') })],
    ['a header given twice in different case', 'AUTH_MALFORMED', (r) => ({ ...r, headers: { ...r.headers, 'X-Amz-Date': '20260301T120000Z' } })],
    ['an unparseable X-Amz-Date', 'AUTH_MALFORMED', (r) => ({ ...r, headers: { ...r.headers, 'x-amz-date': 'yesterday' } })],
  ];

  it.each(refusals)('refuses %s (%s) without calling STS', async (_name, code, mutate) => {
    const { v, calls } = verifier();
    await expectAuthError(v.verify(mutate(await sign())), code);
    expect(calls).toHaveLength(0);
  });

  it('refuses a request signed for another Safeguard server', async () => {
    const { v, calls } = verifier();
    await expectAuthError(v.verify(await sign({ serverId: 'other-service' })), 'AUTH_WRONG_SERVER');
    expect(calls).toHaveLength(0);
  });

  it('refuses a stale request (signed 6 minutes ago) and a future one (6 minutes ahead)', async () => {
    const { v, calls } = verifier();
    const stale = await expectAuthError(v.verify(await sign({ now: new Date(NOW.getTime() - 6 * 60_000) })), 'AUTH_STALE');
    expect(stale.message).toMatch(/360 s old/);
    await expectAuthError(v.verify(await sign({ now: new Date(NOW.getTime() + 6 * 60_000) })), 'AUTH_FUTURE');
    expect(calls).toHaveLength(0);
  });

  it('honours maxSkewMs', async () => {
    const { v } = verifier({ maxSkewMs: 30_000 });
    await expectAuthError(v.verify(await sign({ now: new Date(NOW.getTime() - 60_000) })), 'AUTH_STALE');
  });

  it('refuses malformed headers passed to verifyHeader', async () => {
    const { v } = verifier();
    await expectAuthError(v.verifyHeader(undefined), 'AUTH_MISSING');
    await expectAuthError(v.verifyHeader('%%%'), 'AUTH_MALFORMED');
  });

  it('reports STS refusals with the STS error code', async () => {
    const sts = fakeSts({
      status: 403,
      body: '<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>nope</Message></Error></ErrorResponse>',
    });
    const { v } = verifier({ fetch: sts.fetch });
    const e = await expectAuthError(v.verify(await sign()), 'AUTH_REJECTED_BY_STS');
    expect(e.stsCode).toBe('SignatureDoesNotMatch');
    expect(e.message).toContain('SignatureDoesNotMatch');
  });

  it('reports an unreachable or failing STS as retryable (503), not as a bad caller', async () => {
    const down = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    const e1 = await verifier({ fetch: down }).v.verify(await sign()).catch((e: unknown) => e as AuthError);
    expect(e1).toMatchObject({ code: 'AUTH_STS_UNAVAILABLE', status: 503 });
    const e2 = await verifier({ fetch: fakeSts({ status: 503, body: '<Error><Code>ServiceUnavailable</Code></Error>' }).fetch })
      .v.verify(await sign())
      .catch((e: unknown) => e as AuthError);
    expect(e2).toMatchObject({ code: 'AUTH_STS_UNAVAILABLE', status: 503 });
  });
});

function omit(h: Record<string, string>, key: string): Record<string, string> {
  const out = { ...h };
  delete out[key];
  return out;
}
