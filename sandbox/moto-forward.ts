// How the gateway talks to moto: forwarding a caller's request as received, forwarding it with a
// changed body signed again as the caller (moto, when it authenticates, verifies the signature over
// the body it gets), and the gateway's own JSON-protocol calls signed as a given key.

import http from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../api/auth/sha256';
import type { MotoKey } from './moto-directory';
import type { Reply } from './services/types';
import type { ReceivedRequest } from './sigv4-verify';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);
/** Headers a new signature replaces. */
const SIGNATURE_HEADERS = new Set(['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256', 'content-length']);
const MOTO_TIMEOUT_MS = 30_000;

export class MotoForwarder {
  private readonly moto: URL;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(readonly motoEndpoint: string) {
    this.moto = new URL(motoEndpoint);
  }

  /** The request to moto as received (hop-by-hop headers dropped). */
  forward(req: ReceivedRequest): Promise<Reply> {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || HOP_BY_HOP.has(k)) continue;
      headers[k] = v;
    }
    headers['content-length'] = String(req.body.length);
    return this.send(req.method, req.url, headers, req.body);
  }

  /** The request with `body` in place of its own, signed as `as` for `service` in `region`. */
  async forwardResigned(req: ReceivedRequest, body: Buffer, as: MotoKey, service: string, region: string): Promise<Reply> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || HOP_BY_HOP.has(k) || SIGNATURE_HEADERS.has(k)) continue;
      headers[k] = Array.isArray(v) ? v.join(',') : v;
    }
    const signed = await signRequest(req.method, req.url, headers, body, as, service, region);
    return this.send(req.method, req.url, { ...signed, 'content-length': String(body.length) }, body);
  }

  /** A JSON-protocol call (`X-Amz-Target: <target>`) signed as `as`; the answer's status and parsed body. */
  async json(as: MotoKey, service: string, region: string, target: string, params: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
    const body = Buffer.from(JSON.stringify(params));
    const headers = { host: this.moto.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target };
    const signed = await signRequest('POST', '/', headers, body, as, service, region);
    const reply = await this.send('POST', '/', { ...signed, 'content-length': String(body.length) }, body);
    let parsed: Record<string, unknown> = {};
    try {
      const v: unknown = JSON.parse(reply.body.toString('utf8'));
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) parsed = v as Record<string, unknown>;
    } catch {
      /* an HTML error page: the status says enough */
    }
    return { status: reply.status, body: parsed };
  }

  /** A request as an SDK signed as `as` would send it (for the gateway's own calls through its serve path). */
  async signedRequest(as: MotoKey, service: string, region: string, method: string, url: string, headers: Record<string, string>, body: Buffer): Promise<ReceivedRequest> {
    const signed = await signRequest(method, url, { host: this.moto.host, ...headers }, body, as, service, region);
    return { method, url, headers: { ...signed, 'content-length': String(body.length) }, body };
  }

  destroy(): void {
    this.agent.destroy();
  }

  private send(method: string, path: string, headers: http.OutgoingHttpHeaders, body: Buffer): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const out = http.request(
        { protocol: this.moto.protocol, hostname: this.moto.hostname, port: this.moto.port, method, path, headers, agent: this.agent, timeout: MOTO_TIMEOUT_MS },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const resHeaders: Record<string, string | string[]> = {};
            for (const [k, v] of Object.entries(res.headers)) {
              if (v === undefined || HOP_BY_HOP.has(k) || k === 'content-length') continue;
              resHeaders[k] = v;
            }
            resolve({ status: res.statusCode ?? 502, headers: resHeaders, body: Buffer.concat(chunks) });
          });
          res.on('error', reject);
        },
      );
      out.on('timeout', () => out.destroy(new Error(`moto did not answer within ${MOTO_TIMEOUT_MS} ms`)));
      out.on('error', reject);
      out.end(body);
    });
  }
}

async function signRequest(
  method: string,
  url: string,
  headers: Record<string, string>,
  body: Buffer,
  as: MotoKey,
  service: string,
  region: string,
): Promise<Record<string, string>> {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(q < 0 ? '' : url.slice(q + 1))) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: as.accessKeyId, secretAccessKey: as.secretAccessKey, ...(as.sessionToken ? { sessionToken: as.sessionToken } : {}) },
    region,
    service,
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign({ method, protocol: 'http:', hostname: headers['host'] ?? 'localhost', path: path || '/', query, headers, body });
  return signed.headers;
}
