// The sandbox gateway's own SigV4 check (used with moto's authentication on, for the calls the
// gateway answers itself): real SDK-style signatures verify, tampering and wrong tokens do not.

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

async function signedStartSession(key: MotoKey, body = '{"Target":"i-0123"}'): Promise<ReceivedRequest> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, ...(key.sessionToken ? { sessionToken: key.sessionToken } : {}) },
    region: 'us-east-1',
    service: 'ssm',
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 4566,
    path: '/',
    query: {},
    headers: { host: '127.0.0.1:4566', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.StartSession' },
    body,
  });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = v;
  // What the gateway receives also carries unsigned headers.
  headers['user-agent'] = 'aws-sdk-js/3';
  return { method: 'POST', url: '/', headers, body: Buffer.from(body) };
}

describe('verifySigV4 (sandbox gateway)', () => {
  it('accepts a correctly signed request', async () => {
    expect(await verifySigV4(await signedStartSession(KEY), KEY)).toBe('ok');
  });

  it('refuses a wrong secret, an altered body or an altered signed header', async () => {
    const forged = await signedStartSession({ ...KEY, secretAccessKey: 'guess' });
    expect(await verifySigV4(forged, KEY)).toBe('mismatch');
    const req = await signedStartSession(KEY);
    expect(await verifySigV4({ ...req, body: Buffer.from('{"Target":"i-9999"}') }, KEY)).toBe('mismatch');
    expect(await verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-target': 'AmazonSSM.TerminateSession' } }, KEY)).toBe('mismatch');
  });

  it('refuses a missing or wrong session token and malformed authorization', async () => {
    const req = await signedStartSession(KEY);
    expect(await verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-security-token': 'other' } }, KEY)).toBe('bad-token');
    expect(await verifySigV4(req, { ...KEY, sessionToken: 'other' })).toBe('bad-token');
    expect(await verifySigV4({ ...req, headers: { ...req.headers, authorization: 'AWS4-HMAC-SHA256 nope' } }, KEY)).toBe('malformed');
    const other = { ...KEY, accessKeyId: 'ASIAOTHER00000000001' };
    expect(await verifySigV4(req, other)).toBe('malformed');
  });

  it('verifies long-term user keys (no session token)', async () => {
    const user: MotoKey = { accessKeyId: 'AKIAEXAMPLE000000001', secretAccessKey: 's', arn: 'arn:aws:iam::123456789012:user/alice' };
    expect(await verifySigV4(await signedStartSession(user), user)).toBe('ok');
  });
});
