// Raw query-protocol calls to moto for the sandbox's own needs (trust policies, a role's inline
// policies, EC2 without an SDK client). moto routes on the credential scope's service name and,
// with its authentication off (the default), does not verify signatures, so a SigV4-shaped
// Authorization header naming the access key is enough. These go to moto directly, never through
// the gateway, which would refuse them.

import http from 'node:http';

export interface MotoQueryResult {
  status: number;
  text: string;
}

export function motoQuery(
  endpoint: string,
  service: string,
  accessKeyId: string,
  params: Record<string, string>,
  region = 'us-east-1',
  /** moto's account to act in (x-moto-account-id), when it is not the signing key's. */
  accountId?: string,
): Promise<MotoQueryResult> {
  const body = new URLSearchParams(params).toString();
  const date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL('/', endpoint),
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          'content-length': Buffer.byteLength(body),
          'x-amz-date': date,
          ...(accountId !== undefined ? { 'x-moto-account-id': accountId } : {}),
          authorization:
            `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${date.slice(0, 8)}/${region}/${service}/aws4_request, ` +
            `SignedHeaders=content-type;host;x-amz-date, Signature=${'0'.repeat(64)}`,
        },
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`moto ${service}:${params['Action'] ?? '?'} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

export { xmlText } from '../api/auth/xml';

export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}
