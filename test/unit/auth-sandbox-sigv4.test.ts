// The sandbox gateway's SigV4 check (run on every AWS call): real SDK-style signatures verify —
// header and presigned forms, session tokens, x-amz-content-sha256, encoded paths, the api's
// forwarded identity requests — and tampering, wrong tokens and stale signatures do not.

import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../../api/auth/sha256';
import { verifySigV4 } from '../../sandbox/sigv4-verify';
import type { ReceivedRequest } from '../../sandbox/sigv4-verify';
import type { MotoKey } from '../../sandbox/moto-directory';

const KEY: MotoKey = {
  accessKeyId: 'ASIAEXAMPLE000000001',
  secretAccessKey: 'session-secret',
  sessionToken: 'session-token',
  arn: 'arn:aws:sts::123456789012:assumed-role/BreakGlassAdmin/g-1',
};
const USER: MotoKey = { accessKeyId: 'AKIAEXAMPLE000000001', secretAccessKey: 's', arn: 'arn:aws:iam::123456789012:user/alice' };
const HOST = '127.0.0.1:4566';

function signer(key: MotoKey, service: string, uriEscapePath = true): SignatureV4 {
  return new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, ...(key.sessionToken ? { sessionToken: key.sessionToken } : {}) },
    region: 'us-east-1',
    service,
    sha256: Sha256,
    applyChecksum: false,
    uriEscapePath,
  });
}

interface ToSign {
  method?: string;
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  service?: string;
  signingDate?: Date;
  uriEscapePath?: boolean;
}

/** What the gateway receives for a request signed like the SDK signs it. */
async function signed(key: MotoKey, r: ToSign = {}): Promise<ReceivedRequest> {
  const body = r.body ?? '{"Target":"i-0123"}';
  const path = r.path ?? '/';
  const query = r.query ?? {};
  const out = await signer(key, r.service ?? 'ssm', r.uriEscapePath).sign(
    {
      method: r.method ?? 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 4566,
      path,
      query,
      headers: { host: HOST, ...(r.headers ?? { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.StartSession' }) },
      body,
    },
    r.signingDate ? { signingDate: r.signingDate } : {},
  );
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(out.headers)) headers[k.toLowerCase()] = v;
  // What the gateway receives also carries unsigned headers.
  headers['user-agent'] = 'aws-sdk-js/3';
  const qs = new URLSearchParams(query).toString().replace(/\+/g, '%20');
  return { method: r.method ?? 'POST', url: `${path}${qs ? `?${qs}` : ''}`, headers, body: Buffer.from(body) };
}

describe('verifySigV4: header signatures', () => {
  it('accepts a correctly signed request, with or without a session token', async () => {
    expect(await verifySigV4(await signed(KEY), KEY)).toBe('ok');
    expect(await verifySigV4(await signed(USER), USER)).toBe('ok');
  });

  it('refuses a wrong secret, an altered body or an altered signed header', async () => {
    const forged = await signed({ ...KEY, secretAccessKey: 'guess' });
    expect(await verifySigV4(forged, KEY)).toBe('mismatch');
    const req = await signed(KEY);
    expect(await verifySigV4({ ...req, body: Buffer.from('{"Target":"i-9999"}') }, KEY)).toBe('mismatch');
    expect(await verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-target': 'AmazonSSM.TerminateSession' } }, KEY)).toBe('mismatch');
  });

  it('refuses a flipped signature character', async () => {
    const req = await signed(USER);
    const auth = String(req.headers['authorization']);
    const last = auth.slice(-1);
    const flipped = `${auth.slice(0, -1)}${last === '0' ? '1' : '0'}`;
    expect(await verifySigV4({ ...req, headers: { ...req.headers, authorization: flipped } }, USER)).toBe('mismatch');
  });

  it("refuses another key id's signature made with my secret", async () => {
    // Mallory knows alice's key id (not her secret) and signs with his own secret.
    const mallory = await signed({ ...USER, secretAccessKey: 'mallorys-own-secret' });
    expect(await verifySigV4(mallory, USER)).toBe('mismatch');
  });

  it('refuses a missing or wrong session token and malformed authorization', async () => {
    const req = await signed(KEY);
    expect(await verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-security-token': 'other' } }, KEY)).toBe('bad-token');
    expect(await verifySigV4(req, { ...KEY, sessionToken: 'other' })).toBe('bad-token');
    const { ['x-amz-security-token']: _token, ...withoutToken } = req.headers;
    expect(await verifySigV4({ ...req, headers: withoutToken }, KEY)).toBe('bad-token');
    expect(await verifySigV4({ ...req, headers: { ...req.headers, authorization: 'AWS4-HMAC-SHA256 nope' } }, KEY)).toBe('malformed');
    expect(await verifySigV4(req, { ...KEY, accessKeyId: 'ASIAOTHER00000000001' })).toBe('malformed');
    const { ['x-amz-date']: _date, ...withoutDate } = req.headers;
    expect(await verifySigV4({ ...req, headers: withoutDate }, KEY)).toBe('malformed');
  });

  it('refuses signatures more than 15 minutes old or in the future, like AWS', async () => {
    const now = new Date('2026-03-01T12:00:00Z');
    const at = (minutes: number) => signed(USER, { signingDate: new Date(now.getTime() + minutes * 60_000) });
    expect(await verifySigV4(await at(-14), USER, { now })).toBe('ok');
    expect(await verifySigV4(await at(14), USER, { now })).toBe('ok');
    expect(await verifySigV4(await at(-16), USER, { now })).toBe('expired');
    expect(await verifySigV4(await at(16), USER, { now })).toBe('not-yet-valid');
  });

  it('verifies the api-forwarded GetCallerIdentity with its extra signed headers', async () => {
    // What the CLI signs (cli/api-auth.ts) and the api forwards byte-for-byte.
    const cli = await signed(USER, {
      service: 'sts',
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        'x-safeguard-server-id': 'safeguard-sandbox',
        'x-safeguard-request': `POST /v1/whoami ${'0'.repeat(64)}`,
      },
    });
    expect(String(cli.headers['authorization'])).toContain('x-safeguard-request;x-safeguard-server-id');
    // The api's fetch adds headers of its own; they are not signed and do not matter.
    const forwarded = { ...cli, headers: { ...cli.headers, accept: '*/*', 'accept-encoding': 'gzip, deflate', 'sec-fetch-mode': 'cors' } };
    expect(await verifySigV4(forwarded, USER)).toBe('ok');
    expect(await verifySigV4({ ...forwarded, headers: { ...forwarded.headers, 'x-safeguard-server-id': 'another-api' } }, USER)).toBe('mismatch');
  });

  it('honours x-amz-content-sha256 and checks the body against it', async () => {
    const body = '{"a":1}';
    const hash = createHash('sha256').update(body).digest('hex');
    const req = await signed(USER, { body, headers: { 'content-type': 'application/json', 'x-amz-content-sha256': hash } });
    expect(await verifySigV4(req, USER)).toBe('ok');
    expect(await verifySigV4({ ...req, body: Buffer.from('{"a":2}') }, USER)).toBe('payload-mismatch');
    const unsignedPayload = await signed(USER, { body, headers: { 'content-type': 'application/json', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    expect(await verifySigV4({ ...unsignedPayload, body: Buffer.from('anything') }, USER)).toBe('ok');
  });

  it('signs paths as sent: encoded segments (rest-json) and S3 keys', async () => {
    const arnPath = `/backup-vaults/v1/recovery-points/${encodeURIComponent('arn:aws:rds:us-east-1:123456789012:snapshot:awsbackup:job-1')}`;
    const backup = await signed(USER, { method: 'GET', service: 'backup', path: arnPath, body: '', query: { maxResults: '10', 'by resource': 'a b' }, headers: {} });
    expect(await verifySigV4(backup, USER)).toBe('ok');
    const s3 = await signed(USER, { method: 'GET', service: 's3', path: '/bucket/evidence/2026%3A01/a%20b.json', body: '', uriEscapePath: false, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    expect(await verifySigV4(s3, USER)).toBe('ok');
    expect(await verifySigV4({ ...s3, url: '/bucket/evidence/2026%3A01/other.json' }, USER)).toBe('mismatch');
  });

  it('judges exactly the headers listed in SignedHeaders', async () => {
    const req = await signed(USER);
    // Claim a header as signed that was not: missing → malformed; present → the signature differs.
    const auth = String(req.headers['authorization']).replace('SignedHeaders=', 'SignedHeaders=a-extra;');
    expect(await verifySigV4({ ...req, headers: { ...req.headers, authorization: auth } }, USER)).toBe('malformed');
    expect(await verifySigV4({ ...req, headers: { ...req.headers, authorization: auth, 'a-extra': 'x' } }, USER)).toBe('mismatch');
  });
});

describe('verifySigV4: presigned URLs', () => {
  async function presigned(key: MotoKey, service: string, expiresIn: number, signingDate = new Date()): Promise<ReceivedRequest> {
    const out = await signer(key, service, service !== 's3').presign(
      {
        method: 'GET',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: 4566,
        path: '/bucket/key.json',
        query: { versionId: 'v 1' },
        // As @aws-sdk/s3-request-presigner does: hoisted into the query as X-Amz-Content-Sha256.
        headers: { host: HOST, ...(service === 's3' ? { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } : {}) },
      },
      { expiresIn, signingDate },
    );
    const qs = new URLSearchParams(out.query as Record<string, string>).toString().replace(/\+/g, '%20');
    return { method: 'GET', url: `/bucket/key.json?${qs}`, headers: { host: HOST, 'user-agent': 'curl/8' }, body: Buffer.alloc(0) };
  }

  it('accepts a presigned S3 GET and a presigned non-S3 GET, with session tokens', async () => {
    expect(await verifySigV4(await presigned(KEY, 's3', 300), KEY)).toBe('ok');
    expect(await verifySigV4(await presigned(USER, 'sts', 300), USER)).toBe('ok');
  });

  it('refuses a tampered or expired presigned URL', async () => {
    const req = await presigned(USER, 's3', 300);
    expect(await verifySigV4({ ...req, url: req.url.replace('versionId=v%201', 'versionId=v%202') }, USER)).toBe('mismatch');
    expect(await verifySigV4({ ...req, url: req.url.replace('X-Amz-Expires=300', 'X-Amz-Expires=3000') }, USER)).toBe('mismatch');
    const old = await presigned(USER, 's3', 60, new Date(Date.now() - 5 * 60_000));
    expect(await verifySigV4(old, USER)).toBe('expired');
    const withToken = await presigned(KEY, 's3', 300);
    expect(await verifySigV4({ ...withToken, url: withToken.url.replace(/X-Amz-Security-Token=[^&]*&?/, '') }, KEY)).toBe('bad-token');
  });
});
