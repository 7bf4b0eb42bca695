// The api (DESIGN.md §3): what must not pass through workflow history — credential vending and
// console links to authenticated requesters — plus the CLI's actions with identities the api
// derives itself, the payload codec endpoint for the Web UI, and health. node:http, loopback by
// default; put TLS in front (or pass a key/cert) in production.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { SafeguardError, VendingRefusal } from '../client/errors';
import { findPersonByAwsArn } from '../config/policy/lookup';
import type { BoundRequest } from './auth/signed-request';
import { RequestBodies } from './auth/request-body';
import { ApiError, MAX_BODY_BYTES, sendError, sendJson } from './http';
import { refusalInfo } from '../workflows/shared/refusals';
import { Router } from './router';
import type { ApiDeps, ApiKit } from './kit';

export type { ApiDeps, ApiKit, CallerVerifier } from './kit';
import * as breakglass from './routes/breakglass';
import * as grants from './routes/grants';
import * as runs from './routes/runs';

export const AUTH_HEADER = 'x-safeguard-auth';

/** Every api area; each registers its routes. */
const API_AREAS = [grants, breakglass, runs];

export function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new ApiError(400, 'BAD_REQUEST', r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

const SAFEGUARD_TO_HTTP: Partial<Record<SafeguardError['code'], number>> = { WORKFLOW_NOT_FOUND: 404, INVALID_ID: 400, REFUSED: 403, UNKNOWN_PERSON: 403 };

export function createApiHandler(deps: ApiDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  // Each body is read once: the identity header signs its hash (x-safeguard-request), and the
  // routes parse the same bytes through this readJson.
  const bodies = new RequestBodies(MAX_BODY_BYTES);
  const readJson = (req: IncomingMessage): Promise<unknown> => bodies.json(req);
  const authenticate = async (req: IncomingMessage): Promise<{ person: string; arn: string }> => {
    const header = req.headers[AUTH_HEADER];
    if (typeof header !== 'string' || header === '') throw new ApiError(401, 'AUTH_MISSING', `send a presigned sts:GetCallerIdentity request in ${AUTH_HEADER}`);
    // The request exactly as received (raw target, raw body bytes): the signature must name it.
    const received: BoundRequest = { method: req.method ?? '', path: req.url ?? '', body: await bodies.raw(req) };
    let arn: string;
    try {
      ({ arn } = await deps.verifier.verifyHeader(header, received));
    } catch (err) {
      // 401 for a bad identity, 503 when STS itself could not be asked (an outage is not a bad login).
      const e = err as { code?: string; message?: string; status?: number };
      throw new ApiError(e.status === 503 ? 503 : 401, e.code ?? 'AUTH_FAILED', e.message ?? 'authentication failed');
    }
    const person = findPersonByAwsArn(deps.policy(), arn);
    if (!person) throw new ApiError(403, 'UNKNOWN_PRINCIPAL', `${arn} is not mapped to a person in the policy`);
    return { person: person.id, arn };
  };

  const router = new Router();
  router.add('GET', '/health', async ({ res }) => sendJson(res, 200, { ok: true }));
  router.add('GET', '/v1/whoami', async ({ req, res }) => sendJson(res, 200, await authenticate(req)));
  const kit: ApiKit = { router, deps, authenticate, readJson, parse };
  for (const area of API_AREAS) area.register(kit);

  return async (req, res) => {
    try {
      for (const h of deps.extraHandlers ?? []) if (await h(req, res)) return;
      const url = new URL(req.url ?? '/', 'http://api');
      const hit = router.match(req.method ?? 'GET', url.pathname);
      if (!hit) throw new ApiError(404, 'NOT_FOUND', `no route ${req.method ?? ''} ${url.pathname}`);
      await hit.handler({ req, res, url, params: hit.params });
    } catch (err) {
      if (err instanceof ApiError) return sendError(res, err);
      // Vending (client/vending.ts) sits below the api, so it cannot throw ApiError; its refusal
      // already carries the api's status and code, and goes out exactly as an ApiError would.
      if (err instanceof VendingRefusal) return sendError(res, new ApiError(err.status, err.code, err.message));
      if (err instanceof SafeguardError) {
        // A workflow's refusal carries its own status (workflows/shared/refusals.ts); other client errors map by code.
        const status = (err.code === 'REFUSED' ? refusalInfo(err.refusal)?.http : undefined) ?? SAFEGUARD_TO_HTTP[err.code] ?? 400;
        return sendJson(res, status, { error: { code: err.code, message: err.message, ...(err.refusal ? { refusal: err.refusal } : {}) } });
      }
      deps.log?.('api error', { error: err instanceof Error ? err.message : String(err) });
      return sendJson(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
    }
  };
}

export interface RunningApi {
  url: string;
  server: http.Server;
  /**
   * Stops accepting connections and resolves once in-flight requests have finished (idle keep-alive
   * connections are closed at once); with `graceMs`, requests still running after it are cut off.
   */
  close(opts?: { graceMs?: number }): Promise<void>;
}

export async function startApiServer(deps: ApiDeps, opts: { host?: string; port?: number } = {}): Promise<RunningApi> {
  const handler = createApiHandler(deps);
  const server = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    server,
    close: (o = {}) =>
      new Promise((r) => {
        server.close(() => r());
        if (o.graceMs !== undefined) setTimeout(() => server.closeAllConnections(), o.graceMs).unref();
      }),
  };
}
