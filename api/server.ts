// The api (DESIGN.md §3): what must not pass through workflow history — credential vending and
// console links to authenticated requesters — plus the CLI's actions with identities the api
// derives itself, the payload codec endpoint for the Web UI, and health. node:http, loopback by
// default; put TLS in front (or pass a key/cert) in production.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { BreakGlassClient } from '../client/break-glass-client';
import { SafeguardError } from '../client/errors';
import { buildBreakGlassInput, parseRequestDuration } from '../client/request';
import { findPersonByAwsArn } from '../config/policy-lookup';
import type { Policy } from '../config/policy-types';
import { consoleLink } from './console-link';
import type { ConsoleLinkOptions } from './console-link';
import type { BoundRequest } from './auth/signed-request';
import { RequestBodies } from './auth/request-body';
import { ApiError, MAX_BODY_BYTES, sendError, sendJson } from './http';
import { vendCredentials } from './vending';
import { reportSession } from './sessions';
import type { SessionDeps } from './sessions';
import type { VendingDeps } from './vending';

export const AUTH_HEADER = 'x-safeguard-auth';

/** Verifies the caller's presigned GetCallerIdentity (api/auth), bound to `received`, and returns their ARN. */
export interface CallerVerifier {
  verifyHeader(headerValue: string, received: BoundRequest): Promise<{ arn: string }>;
}

export interface ApiDeps extends Omit<VendingDeps, 'breakGlass'>, Omit<SessionDeps, 'breakGlass' | 'policy'> {
  breakGlass: BreakGlassClient;
  policy: () => Policy;
  verifier: CallerVerifier;
  console: ConsoleLinkOptions;
  /** Extra handlers tried first (the codec endpoint); return true when they answered. */
  extraHandlers?: Array<(req: IncomingMessage, res: ServerResponse) => Promise<boolean>>;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

const requestBody = z.object({ role: z.string().min(1).max(64), duration: z.string().max(32).optional(), reason: z.string().max(5000), ticket: z.string().max(200).optional() }).strict();
const round = z.string().regex(/^(grant|ratification|extension|extension-\d{1,3})$/, 'must be grant, ratification, extension or extension-<n>').optional();
const commentBody = z.object({ comment: z.string().max(1000).optional(), round }).strict();
const denyBody = z.object({ reason: z.string().max(1000), round }).strict();
const revokeBody = z.object({ reason: z.string().max(1000).optional() }).strict();
const extendBody = z.object({ by: z.string().max(32), reason: z.string().max(1000).optional() }).strict();
const sessionBody = z.object({ sessionId: z.string().regex(/^[\w.@+=,-]{1,128}$/), target: z.string().regex(/^(i|mi)-[0-9a-f]{8,17}$/) }).strict();

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
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

  return async (req, res) => {
    try {
      for (const h of deps.extraHandlers ?? []) if (await h(req, res)) return;
      const url = new URL(req.url ?? '/', 'http://api');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      // /v1/{grants|breakglass}/<id>/… — the id segment becomes ':id' for matching ('requests' is a collection).
      const idAt2 = parts[0] === 'v1' && (parts[1] === 'grants' || parts[1] === 'breakglass') && parts[2] !== undefined && parts[2] !== 'requests';
      const route = `${req.method ?? 'GET'} /${parts.map((p, i) => (idAt2 && i === 2 ? ':id' : p)).join('/')}`;
      const id = parts[2] ?? '';
      switch (route) {
        case 'GET /health':
          return sendJson(res, 200, { ok: true });
        case 'GET /v1/whoami':
          return sendJson(res, 200, await authenticate(req));
        case 'POST /v1/grants/:id/credentials': {
          const { person } = await authenticate(req);
          const creds = await vendCredentials(deps, id, person);
          deps.log?.('credentials vended', { grantId: id, person, accessKeyId: creds.AccessKeyId });
          return sendJson(res, 200, creds);
        }
        case 'POST /v1/grants/:id/console-link': {
          const { person } = await authenticate(req);
          return sendJson(res, 200, await consoleLink(await vendCredentials(deps, id, person), deps.console));
        }
        case 'POST /v1/grants/:id/sessions': {
          const { person } = await authenticate(req);
          const body = parse(sessionBody, await readJson(req));
          const r = await reportSession(deps, id, person, body);
          return sendJson(res, r.recorded && !r.duplicate ? 202 : 200, r);
        }
        case 'POST /v1/breakglass/requests': {
          const { person } = await authenticate(req);
          const body = parse(requestBody, await readJson(req));
          const input = buildBreakGlassInput(deps.policy(), { requester: person, via: 'api', ...body });
          return sendJson(res, 201, { workflowId: await deps.breakGlass.start(input), role: input.role.name, durationMs: input.durationMs, mode: input.role.mode, quorum: input.role.quorum, approvers: input.role.approvers.filter((p) => p !== person) });
        }
        case 'GET /v1/breakglass':
          await authenticate(req);
          return sendJson(res, 200, { requests: await deps.breakGlass.list({ active: url.searchParams.get('active') === 'true' }) });
        case 'GET /v1/breakglass/:id':
          await authenticate(req);
          return sendJson(res, 200, await deps.breakGlass.status(id));
        case 'POST /v1/breakglass/:id/approve': {
          const { person } = await authenticate(req);
          const body = parse(commentBody, await readJson(req));
          // Decisions through the api carry an AWS-verified identity: step-up roles accept them.
          return sendJson(res, 200, await deps.breakGlass.approve(id, person, { via: 'api', ...(body.round ? { round: body.round } : {}), ...(body.comment ? { comment: body.comment } : {}) }));
        }
        case 'POST /v1/breakglass/:id/deny': {
          const { person } = await authenticate(req);
          const body = parse(denyBody, await readJson(req));
          return sendJson(res, 200, await deps.breakGlass.deny(id, person, body.reason, { via: 'api', ...(body.round ? { round: body.round } : {}) }));
        }
        case 'POST /v1/breakglass/:id/revoke': {
          const { person } = await authenticate(req);
          return sendJson(res, 200, await deps.breakGlass.revoke(id, person, parse(revokeBody, await readJson(req)).reason));
        }
        case 'POST /v1/breakglass/:id/extend': {
          const { person } = await authenticate(req);
          const body = parse(extendBody, await readJson(req));
          return sendJson(res, 200, await deps.breakGlass.extend(id, person, parseRequestDuration(body.by), body.reason));
        }
        default:
          throw new ApiError(404, 'NOT_FOUND', `no route ${req.method ?? ''} ${url.pathname}`);
      }
    } catch (err) {
      if (err instanceof ApiError) return sendError(res, err);
      if (err instanceof SafeguardError) {
        return sendJson(res, SAFEGUARD_TO_HTTP[err.code] ?? 400, { error: { code: err.code, message: err.message, ...(err.refusal ? { refusal: err.refusal } : {}) } });
      }
      deps.log?.('api error', { error: err instanceof Error ? err.message : String(err) });
      return sendJson(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
    }
  };
}

export interface RunningApi {
  url: string;
  server: http.Server;
  close(): Promise<void>;
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
    close: () => new Promise((r) => server.close(() => r())),
  };
}
