// Remote payload codec for the Temporal Web UI and CLI (DESIGN.md §3, §6.8): POST /codec/encode and
// POST /codec/decode take and return `{ "payloads": [ { "metadata": { k: base64 }, "data": base64 } ] }`
// (the protobuf JSON form of temporal.api.common.v1.Payloads). The UI calls it from the browser, so
// CORS is limited to configured origins. Both directions are powerful: decode reads every history,
// and encode (with the codec key) forges workflow inputs and decisions the workers will accept. So
// encode always needs `Authorization: Bearer <authToken>` and is disabled without a token; decode
// needs it too unless `unauthenticatedDecode` is set explicitly (the dev stack's Web UI cannot send
// one). Payload contents are never logged.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import { EncryptionCodec, CodecError } from '../codec/payload-codec';
import { ApiError, readBody } from './http';
import type { KeyRing } from '../codec/keyring';

export const CODEC_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const CODEC_BASE_PATH = '/codec';

/** Minimal logger shape (pino-compatible). Only route, status and error codes are logged. */
export interface CodecRouteLogger {
  warn(obj: object, msg: string): void;
}

export interface CodecHandlerOptions {
  keyring: KeyRing;
  /** Exact origins allowed to call from a browser, e.g. `http://localhost:8233`. */
  allowedOrigins: string[];
  /** Requests need `Authorization: Bearer <authToken>`; without one, /encode answers 403 CODEC_ENCODE_DISABLED. */
  authToken?: string;
  /**
   * Explicit opt-out (SAFEGUARD_CODEC_AUTH=off): /decode answers without a token. Required when no
   * `authToken` is given; only for an endpoint reachable solely by people allowed to read every history.
   */
  unauthenticatedDecode?: boolean;
  /** Where the routes are mounted (default `/codec`): the UI's codec endpoint is `<api url><basePath>`. */
  basePath?: string;
  logger?: CodecRouteLogger;
}

// Proto3 JSON bytes: standard or URL-safe base64, padding optional.
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
const payloadJson = z.object({
  metadata: z.record(z.string(), base64).nullish(),
  data: base64.nullish(),
});
const payloadsBody = z.object({ payloads: z.array(payloadJson) });
type PayloadJson = z.infer<typeof payloadJson>;

/** A codec endpoint that would serve decode to anyone without having been told to. */
export class CodecRouteConfigError extends Error {
  readonly code = 'CODEC_AUTH_REQUIRED';
  constructor(message: string) {
    super(message);
    this.name = 'CodecRouteConfigError';
  }
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const normalizeOrigin = (o: string): string => o.trim().replace(/\/+$/, '');

function fromJson(p: PayloadJson): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = new Uint8Array(Buffer.from(v, 'base64'));
  return { metadata, data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')) };
}

function toJson(p: Payload): { metadata: Record<string, string>; data: string } {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) if (v) metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') };
}


function describeZodError(err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return 'request body has the wrong shape';
  const at = issue.path.length ? issue.path.map(String).join('.') : 'body';
  return `${at}: ${issue.message}; expected { "payloads": [ { "metadata": { "<key>": "<base64>" }, "data": "<base64>" } ] }`;
}

/**
 * Returns a node:http handler for the codec routes. It resolves true when it handled the request
 * and false for any other path, so it can sit in front of the api's other routes.
 */
export function createCodecHandler(opts: CodecHandlerOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  if (!opts.authToken && opts.unauthenticatedDecode !== true) {
    throw new CodecRouteConfigError('the codec endpoint needs an auth token, or an explicit unauthenticatedDecode opt-out (SAFEGUARD_CODEC_AUTH=off)');
  }
  const codec = new EncryptionCodec(opts.keyring);
  const origins = new Set(opts.allowedOrigins.map(normalizeOrigin).filter((o) => o !== '' && o !== '*'));
  const tokenHash = opts.authToken ? sha256(opts.authToken) : undefined;
  const basePath = `/${(opts.basePath ?? CODEC_BASE_PATH).replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '');
  const encodePath = `${basePath}/encode`;
  const decodePath = `${basePath}/decode`;

  const corsHeaders = (origin: string | undefined): Record<string, string> =>
    origin && origins.has(origin)
      ? {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': 'POST',
          'access-control-allow-headers': 'Content-Type, X-Namespace, Authorization',
          // The UI's "include cross-origin credentials" option sends cookies; allow it for listed origins only.
          'access-control-allow-credentials': 'true',
          'access-control-max-age': '600',
          vary: 'Origin',
        }
      : { vary: 'Origin' };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void => {
    const json = JSON.stringify(body);
    res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(json)) });
    res.end(json);
  };

  const hasBearerToken = (req: IncomingMessage): boolean => {
    if (!tokenHash) return false;
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!m?.[1]) return false;
    return timingSafeEqual(sha256(m[1].trim()), tokenHash);
  };

  return async (req, res) => {
    const pathname = (req.url ?? '').split('?')[0] ?? '';
    const op = pathname === encodePath ? 'encode' : pathname === decodePath ? 'decode' : undefined;
    if (!op) return false;

    const originHeader = req.headers.origin;
    const origin = typeof originHeader === 'string' ? normalizeOrigin(originHeader) : undefined;
    const cors = corsHeaders(origin);
    const originRefused = origin !== undefined && !origins.has(origin);
    const fail = (err: ApiError): void => {
      opts.logger?.warn({ route: pathname, status: err.status, code: err.code }, 'codec request refused');
      // Drain nothing more from a refused request: close the connection instead.
      if (!req.readableEnded) res.setHeader('connection', 'close');
      send(res, err.status, { error: { code: err.code, message: err.message } }, cors);
    };

    try {
      if (req.method === 'OPTIONS') {
        if (!origin || originRefused) throw new ApiError(403, 'ORIGIN_NOT_ALLOWED', 'origin is not allowed to call the codec');
        res.writeHead(204, cors);
        res.end();
        return true;
      }
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST, OPTIONS');
        throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${req.method ?? 'this method'} is not allowed; use POST`);
      }
      // Browsers always send Origin cross-site; a listed-origin check on the real request (not
      // just the preflight) keeps other sites from using a logged-in user's credentials.
      if (originRefused) throw new ApiError(403, 'ORIGIN_NOT_ALLOWED', 'origin is not allowed to call the codec');
      if (op === 'encode' && !tokenHash) {
        throw new ApiError(403, 'CODEC_ENCODE_DISABLED', 'encoding is disabled: this api has no codec auth token (SAFEGUARD_CODEC_AUTH_TOKEN), and encoding with the codec key could forge workflow input');
      }
      const open = op === 'decode' && opts.unauthenticatedDecode === true;
      if (!open && !hasBearerToken(req)) {
        res.setHeader('www-authenticate', 'Bearer');
        throw new ApiError(401, 'UNAUTHENTICATED', 'missing or invalid Authorization: Bearer token');
      }
      const contentType = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (contentType !== 'application/json') throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');

      const raw = await readBody(req, CODEC_MAX_BODY_BYTES);
      let json: unknown;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new ApiError(400, 'BAD_JSON', 'request body is not valid JSON');
      }
      const parsed = payloadsBody.safeParse(json);
      if (!parsed.success) throw new ApiError(400, 'BAD_PAYLOADS', describeZodError(parsed.error));

      const input = parsed.data.payloads.map(fromJson);
      const output = op === 'encode' ? await codec.encode(input) : await codec.decode(input);
      send(res, 200, { payloads: output.map(toJson) }, cors);
    } catch (err) {
      if (err instanceof ApiError) fail(err);
      else if (err instanceof CodecError) fail(new ApiError(422, err.code, err.message));
      else {
        opts.logger?.warn({ route: pathname, status: 500, err: (err as Error)?.name }, 'codec request failed');
        if (!res.headersSent) send(res, 500, { error: { code: 'INTERNAL', message: 'codec failed' } }, cors);
        else res.end();
      }
    }
    return true;
  };
}
