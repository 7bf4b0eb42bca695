// Verifies the SigV4 signature of a request the gateway answers itself (its SSM session APIs) or
// inspects before moto does (AssumeRole trust checks), when the sandbox runs with moto's request
// authentication on. Recomputes the signature with @smithy/signature-v4 from the signed headers
// as received and compares it in constant time.

import { timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../api/auth/sha256';
import type { MotoKey } from './moto-directory';

export type SigV4Verdict = 'ok' | 'malformed' | 'mismatch' | 'bad-token';

export interface ReceivedRequest {
  method: string;
  /** Path plus query string as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);

export async function verifySigV4(req: ReceivedRequest, key: MotoKey): Promise<SigV4Verdict> {
  const authorization = one(req.headers['authorization']) ?? '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(authorization.trim());
  if (!m) return 'malformed';
  const [, credential = '', signedHeaderList = '', signature = ''] = m;
  const [accessKeyId, , region, service] = credential.split('/');
  const amzDate = one(req.headers['x-amz-date']) ?? '';
  const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (accessKeyId !== key.accessKeyId || !region || !service || !d) return 'malformed';
  const token = one(req.headers['x-amz-security-token']);
  if ((key.sessionToken ?? undefined) !== token) return 'bad-token';

  const signedNames = signedHeaderList.split(';');
  const headers: Record<string, string> = {};
  for (const name of signedNames) {
    const v = one(req.headers[name]);
    if (v === undefined) return 'malformed';
    headers[name] = v;
  }
  const url = new URL(req.url, 'http://sandbox.invalid');
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, ...(key.sessionToken ? { sessionToken: key.sessionToken } : {}) },
    region,
    service,
    sha256: Sha256,
    applyChecksum: false,
  });
  const signingDate = new Date(Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(d[4]), Number(d[5]), Number(d[6])));
  const signed = await signer.sign(
    { method: req.method, protocol: 'http:', hostname: headers['host'] ?? 'localhost', path: decodeURIComponent(url.pathname), query, headers, body: req.body },
    { signingDate, signingRegion: region, signingService: service },
  );
  const expected = /SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})/.exec(signed.headers['authorization'] ?? '');
  if (!expected || expected[1] !== signedHeaderList) return 'mismatch';
  const a = Buffer.from(expected[2] ?? '', 'hex');
  const b = Buffer.from(signature, 'hex');
  return a.length === b.length && timingSafeEqual(a, b) ? 'ok' : 'mismatch';
}
