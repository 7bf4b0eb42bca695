// The gateway's authentication of every AWS call, without moto: which refusal each case gets, and
// how each refusal looks on the wire per protocol family (what the SDKs parse).

import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../../api/auth/sha256';
import { authRefusalReply, protocolFamily } from '../../sandbox/auth-refusal';
import type { AuthRefusal } from '../../sandbox/auth-refusal';
import type { KeyLookup, MotoKey } from '../../sandbox/moto-directory';
import { authenticateRequest } from '../../sandbox/request-auth';
import type { KeyDirectory } from '../../sandbox/request-auth';
import type { ReceivedRequest } from '../../sandbox/sigv4-verify';

const ALICE: MotoKey = { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'alice-secret', arn: 'arn:aws:iam::123456789012:user/alice' };

function directory(entries: Record<string, KeyLookup>): KeyDirectory {
  return { lookup: (id) => Promise.resolve(entries[id] ?? { state: 'unknown' }) };
}

async function signedAs(key: MotoKey): Promise<ReceivedRequest> {
  const body = 'Action=GetCallerIdentity&Version=2011-06-15';
  const out = await new SignatureV4({ credentials: key, region: 'us-east-1', service: 'sts', sha256: Sha256, applyChecksum: false }).sign({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    path: '/',
    headers: { host: '127.0.0.1:4566', 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
  return { method: 'POST', url: '/', headers: out.headers, body: Buffer.from(body) };
}

describe('authenticateRequest', () => {
  const active = directory({ [ALICE.accessKeyId]: { state: 'active', key: ALICE } });

  it('accepts a valid signature and names the caller', async () => {
    expect(await authenticateRequest(await signedAs(ALICE), ALICE.accessKeyId, active)).toEqual({ ok: true, key: ALICE });
  });

  it('refuses unsigned, unknown, inactive and deleted keys, and bad signatures', async () => {
    const unsigned: ReceivedRequest = { method: 'POST', url: '/', headers: { host: 'h' }, body: Buffer.alloc(0) };
    expect(await authenticateRequest(unsigned, undefined, active)).toEqual({ ok: false, reason: 'missing' });
    expect(await authenticateRequest({ ...unsigned, headers: { authorization: 'Bearer x' } }, undefined, active)).toEqual({ ok: false, reason: 'malformed' });
    const req = await signedAs(ALICE);
    for (const state of ['unknown', 'inactive', 'deleted'] as const) {
      expect(await authenticateRequest(req, ALICE.accessKeyId, directory({ [ALICE.accessKeyId]: { state } }))).toEqual({ ok: false, reason: 'unknown-key' });
    }
    const forged = await signedAs({ ...ALICE, secretAccessKey: 'not-alices' });
    expect(await authenticateRequest(forged, ALICE.accessKeyId, active)).toEqual({ ok: false, reason: 'bad-signature' });
  });
});

describe('authRefusalReply', () => {
  const code = (reason: AuthRefusal, service: string, protocol: 'query' | 'json' | 'unknown') => {
    const r = authRefusalReply(reason, protocolFamily(service, protocol));
    return [r.status, r.code];
  };

  it('answers like AWS per protocol', () => {
    expect(code('unknown-key', 'sts', 'query')).toEqual([403, 'InvalidClientTokenId']);
    expect(code('bad-token', 'iam', 'query')).toEqual([403, 'InvalidClientTokenId']);
    expect(code('bad-signature', 'sts', 'query')).toEqual([403, 'SignatureDoesNotMatch']);
    expect(code('missing', 'unknown', 'unknown')).toEqual([403, 'MissingAuthenticationToken']);
    expect(code('unknown-key', 'ssm', 'json')).toEqual([400, 'UnrecognizedClientException']);
    expect(code('bad-signature', 'ssm', 'json')).toEqual([400, 'InvalidSignatureException']);
    expect(code('missing', 'unknown', 'json')).toEqual([400, 'MissingAuthenticationTokenException']);
    expect(code('unknown-key', 'backup', 'unknown')).toEqual([403, 'UnrecognizedClientException']);
    expect(code('unknown-key', 's3', 'unknown')).toEqual([403, 'InvalidAccessKeyId']);
    expect(code('expired', 'sts', 'query')).toEqual([403, 'SignatureDoesNotMatch']);
  });

  it('uses each family’s body shape', () => {
    expect(authRefusalReply('unknown-key', 'query').body).toMatch(/^<ErrorResponse><Error><Type>Sender<\/Type><Code>InvalidClientTokenId<\/Code>/);
    expect(JSON.parse(authRefusalReply('unknown-key', 'json').body)).toEqual({ __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' });
    const rest = authRefusalReply('bad-signature', 'rest-json');
    expect(rest.headers['x-amzn-errortype']).toBe('InvalidSignatureException');
    expect(authRefusalReply('unknown-key', 's3').body).toMatch(/<Error><Code>InvalidAccessKeyId<\/Code>/);
  });
});
