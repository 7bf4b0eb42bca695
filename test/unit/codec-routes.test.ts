// The remote codec endpoint the Temporal Web UI calls (DESIGN.md §3, §6.8), over a real node:http
// server on 127.0.0.1: the UI's JSON format, CORS, bearer auth, and clear 4xx errors.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Payload } from '@temporalio/common';
import { CODEC_MAX_BODY_BYTES, CodecRouteConfigError, createCodecHandler } from '../../api/codec-routes';
import type { CodecHandlerOptions, CodecRouteLogger } from '../../api/codec-routes';
import { createKeyRing } from '../../codec/keyring';
import { EncryptionCodec } from '../../codec/payload-codec';

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const TOKEN = 'test-token-0123456789';
const UI = 'http://localhost:8233';
const SECRET = 'database is on fire, need to restart it';

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
  data: new Uint8Array(Buffer.from(p.data, 'base64')),
});

const logged: Array<{ obj: object; msg: string }> = [];
const logger: CodecRouteLogger = { warn: (obj, msg) => logged.push({ obj, msg }) };

let server: http.Server;
let base: string;
beforeAll(async () => {
  const handler = createCodecHandler({ keyring: createKeyRing([['k1', K1]]), allowedOrigins: [UI, 'https://temporal.example.com/'], authToken: TOKEN, logger });
  server = http.createServer((req, res) => {
    handler(req, res).then(
      (handled) => {
        if (!handled) {
          res.writeHead(404);
          res.end('not here');
        }
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const authed = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'x-namespace': 'default' };
async function post(path: string, body: unknown, headers: Record<string, string> = authed): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}
async function errorCode(res: Response): Promise<string> {
  const body = (await res.json()) as { error?: { code?: string; message?: string } };
  return body.error?.code ?? '';
}

test('encode then decode over HTTP in the Web UI JSON format', async () => {
  const input = [defaultPayloadConverter.toPayload({ reason: SECRET }), defaultPayloadConverter.toPayload('two')];
  const enc = await post('/codec/encode', { payloads: input.map(toJson) }, { ...authed, origin: UI });
  expect(enc.status).toBe(200);
  expect(enc.headers.get('access-control-allow-origin')).toBe(UI);
  const encoded = (await enc.json()) as { payloads: JsonPayload[] };
  expect(encoded.payloads).toHaveLength(2);
  expect(Buffer.from(encoded.payloads[0]?.metadata.encoding ?? '', 'base64').toString()).toBe('binary/encrypted');
  expect(Buffer.from(encoded.payloads[0]?.metadata['encryption-key-id'] ?? '', 'base64').toString()).toBe('k1');
  expect(JSON.stringify(encoded)).not.toContain(Buffer.from(SECRET).toString('base64').slice(0, 20));

  const dec = await post('/codec/decode', encoded);
  expect(dec.status).toBe(200);
  const decoded = (await dec.json()) as { payloads: JsonPayload[] };
  expect(decoded.payloads.map((p) => defaultPayloadConverter.fromPayload(fromJson(p)))).toEqual([{ reason: SECRET }, 'two']);
});

test('decode accepts payloads the workers encoded, and treats unencrypted ones exactly as the workers’ codec does', async () => {
  const codec = new EncryptionCodec(createKeyRing([['k1', K1]]));
  const [enc] = await codec.encode([defaultPayloadConverter.toPayload(42)]);
  const plainPayload = defaultPayloadConverter.toPayload('old history');
  const res = await post('/codec/decode', { payloads: [toJson(enc as Payload), toJson(plainPayload)] });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { payloads: JsonPayload[] };
  const [asWorkersSeeIt] = await codec.decode([plainPayload]);
  expect(body.payloads.map((p) => defaultPayloadConverter.fromPayload(fromJson(p)))).toEqual([42, defaultPayloadConverter.fromPayload(asWorkersSeeIt as Payload)]);
});

test('a payload under an unknown key id is a 4xx naming the id', async () => {
  const [enc] = await new EncryptionCodec(createKeyRing([['k2', K2]])).encode([defaultPayloadConverter.toPayload(SECRET)]);
  const res = await post('/codec/decode', { payloads: [toJson(enc as Payload)] });
  expect(res.status).toBe(422);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('CODEC_UNKNOWN_KEY_ID');
  expect(body.error.message).toContain('"k2"');
});

test('tampered ciphertext is an error response', async () => {
  const enc = (await (await post('/codec/encode', { payloads: [toJson(defaultPayloadConverter.toPayload(SECRET))] })).json()) as { payloads: JsonPayload[] };
  const p = enc.payloads[0] as JsonPayload;
  const bytes = Buffer.from(p.data, 'base64');
  bytes[20] = (bytes[20] ?? 0) ^ 0xff;
  const res = await post('/codec/decode', { payloads: [{ ...p, data: bytes.toString('base64') }] });
  expect(res.status).toBe(422);
  expect(await errorCode(res)).toBe('CODEC_DECRYPT_FAILED');
});

test('without the bearer token the request is refused with 401', async () => {
  const body = { payloads: [toJson(defaultPayloadConverter.toPayload(1))] };
  const none = await post('/codec/decode', body, { 'content-type': 'application/json', origin: UI });
  expect(none.status).toBe(401);
  expect(none.headers.get('www-authenticate')).toBe('Bearer');
  // The UI can read the refusal: CORS headers are present for an allowed origin.
  expect(none.headers.get('access-control-allow-origin')).toBe(UI);
  expect(await errorCode(none)).toBe('UNAUTHENTICATED');
  const wrong = await post('/codec/encode', body, { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}x` });
  expect(wrong.status).toBe(401);
  const basic = await post('/codec/encode', body, { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` });
  expect(basic.status).toBe(401);
});

test('CORS preflight: an allowed origin gets the headers, another origin gets 403 without them', async () => {
  for (const path of ['/codec/encode', '/codec/decode']) {
    const ok = await fetch(`${base}${path}`, {
      method: 'OPTIONS',
      headers: { origin: UI, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace,authorization' },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI);
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = (ok.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const h of ['content-type', 'x-namespace', 'authorization']) expect(allowed).toContain(h);
  }
  // A configured origin with a trailing slash still matches the browser's Origin.
  const slash = await fetch(`${base}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'https://temporal.example.com' } });
  expect(slash.status).toBe(204);

  const evil = await fetch(`${base}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
  expect(evil.status).toBe(403);
  expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  expect(evil.headers.get('access-control-allow-headers')).toBeNull();
});

test('a POST from a disallowed origin is refused without CORS headers, even with the token', async () => {
  const res = await post('/codec/decode', { payloads: [] }, { ...authed, origin: 'https://evil.example' });
  expect(res.status).toBe(403);
  expect(res.headers.get('access-control-allow-origin')).toBeNull();
});

test('malformed JSON and wrong shapes are 400 with a specific message', async () => {
  const bad = await post('/codec/decode', '{"payloads": [');
  expect(bad.status).toBe(400);
  expect(await errorCode(bad)).toBe('BAD_JSON');

  for (const body of [{}, { payloads: 'x' }, { payloads: [{ metadata: { encoding: 12 } }] }, { payloads: [{ data: 'not base64 !' }] }]) {
    const res = await post('/codec/decode', body);
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { code: string; message: string } };
    expect(err.error.code).toBe('BAD_PAYLOADS');
    expect(err.error.message).toMatch(/payloads/);
  }
});

test('an empty payload list round-trips', async () => {
  const res = await post('/codec/encode', { payloads: [] });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ payloads: [] });
});

test('a body over 4 MiB is refused with 413', async () => {
  const big = JSON.stringify({ payloads: [{ metadata: {}, data: 'A'.repeat(CODEC_MAX_BODY_BYTES) }] });
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request(`${base}/codec/encode`, { method: 'POST', headers: { ...authed, 'content-length': Buffer.byteLength(big) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(big);
  });
  expect(status).toBe(413);
});

test('other methods, content types and paths', async () => {
  const get = await fetch(`${base}/codec/decode`, { headers: authed });
  expect(get.status).toBe(405);
  expect(get.headers.get('allow')).toContain('POST');
  const text = await post('/codec/decode', '{"payloads":[]}', { ...authed, 'content-type': 'text/plain' });
  expect(text.status).toBe(415);
  const other = await post('/codec/other', { payloads: [] });
  expect(other.status).toBe(404);
  expect(await other.text()).toBe('not here');
});

test('logs never carry payload contents', () => {
  const text = JSON.stringify(logged);
  expect(logged.length).toBeGreaterThan(0);
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain(Buffer.from(SECRET).toString('base64').slice(0, 20));
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(K1);
});

/** A codec server with other options, for one test. */
async function withServer(opts: Omit<CodecHandlerOptions, 'keyring'>, run: (url: string) => Promise<void>): Promise<void> {
  const handler = createCodecHandler({ keyring: createKeyRing([['k1', K1]]), ...opts });
  const other = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(other.address() as AddressInfo).port}`);
  } finally {
    await new Promise((resolve) => other.close(resolve));
  }
}

describe('without an auth token', () => {
  it('the handler refuses to be built unless decode is opened explicitly', () => {
    expect(() => createCodecHandler({ keyring: createKeyRing([['k1', K1]]), allowedOrigins: [] })).toThrow(CodecRouteConfigError);
    expect(() => createCodecHandler({ keyring: createKeyRing([['k1', K1]]), allowedOrigins: [], unauthenticatedDecode: false })).toThrow(/SAFEGUARD_CODEC_AUTH=off/);
  });

  it('encode is disabled (403 CODEC_ENCODE_DISABLED) even with decode opened, whatever Authorization is sent', async () => {
    await withServer({ allowedOrigins: [UI], unauthenticatedDecode: true, logger }, async (url) => {
      const body = JSON.stringify({ payloads: [toJson(defaultPayloadConverter.toPayload({ approve: true }))] });
      const attempts: Array<Record<string, string>> = [{ 'content-type': 'application/json' }, { 'content-type': 'application/json', origin: UI }, { ...authed }];
      for (const headers of attempts) {
        const res = await fetch(`${url}/codec/encode`, { method: 'POST', headers, body });
        expect(res.status).toBe(403);
        expect(await errorCode(res)).toBe('CODEC_ENCODE_DISABLED');
      }
    });
  });

  it('decode works for the dev Web UI in the explicit opt-out mode; basePath moves the routes', async () => {
    const [enc] = await new EncryptionCodec(createKeyRing([['k1', K1]])).encode([defaultPayloadConverter.toPayload(SECRET)]);
    await withServer({ allowedOrigins: [UI], unauthenticatedDecode: true, basePath: '/ns/default/codec/' }, async (url) => {
      const res = await fetch(`${url}/ns/default/codec/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: UI, 'x-namespace': 'default' },
        body: JSON.stringify({ payloads: [toJson(enc as Payload)] }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(UI);
      const body = (await res.json()) as { payloads: JsonPayload[] };
      expect(defaultPayloadConverter.fromPayload(fromJson(body.payloads[0] as JsonPayload))).toBe(SECRET);
    });
  });
});

test('with a token and decode opened, decode needs no token but encode still does', async () => {
  await withServer({ allowedOrigins: [], authToken: TOKEN, unauthenticatedDecode: true }, async (url) => {
    const body = JSON.stringify({ payloads: [toJson(defaultPayloadConverter.toPayload(1))] });
    const plain = { 'content-type': 'application/json' };
    expect((await fetch(`${url}/codec/decode`, { method: 'POST', headers: plain, body })).status).toBe(200);
    const enc = await fetch(`${url}/codec/encode`, { method: 'POST', headers: plain, body });
    expect(enc.status).toBe(401);
    expect(await errorCode(enc)).toBe('UNAUTHENTICATED');
    expect((await fetch(`${url}/codec/encode`, { method: 'POST', headers: { ...plain, authorization: `Bearer ${TOKEN}` }, body })).status).toBe(200);
  });
});
