// Break-glass requests: ask, list, read, decide, revoke, extend — with identities the api derives.
import { z } from 'zod';
import type { ApiKit } from '../kit';
import { sendJson } from '../http';
import { buildBreakGlassInput, parseRequestDuration } from '../../client/request';

const requestBody = z.object({ role: z.string().min(1).max(64), duration: z.string().max(32).optional(), reason: z.string().max(5000), ticket: z.string().max(200).optional() }).strict();
const round = z.string().regex(/^(grant|ratification|extension|extension-\d{1,3})$/, 'must be grant, ratification, extension or extension-<n>').optional();
const commentBody = z.object({ comment: z.string().max(1000).optional(), round }).strict();
const denyBody = z.object({ reason: z.string().max(1000), round }).strict();
const revokeBody = z.object({ reason: z.string().max(1000).optional() }).strict();
const extendBody = z.object({ by: z.string().max(32), reason: z.string().max(1000).optional() }).strict();

export function register({ router, deps, authenticate, readJson, parse }: ApiKit): void {
  router.add('POST', '/v1/breakglass/requests', async ({ req, res }) => {
    const { person } = await authenticate(req);
    const body = parse(requestBody, await readJson(req));
    const input = buildBreakGlassInput(deps.policy(), { requester: person, via: 'api', ...body });
    sendJson(res, 201, { workflowId: await deps.breakGlass.start(input), role: input.role.name, durationMs: input.durationMs, mode: input.role.mode, quorum: input.role.quorum, approvers: input.role.approvers.filter((p) => p !== person) });
  });
  router.add('GET', '/v1/breakglass', async ({ req, res, url }) => {
    await authenticate(req);
    sendJson(res, 200, { requests: await deps.breakGlass.list({ active: url.searchParams.get('active') === 'true' }) });
  });
  router.add('GET', '/v1/breakglass/:id', async ({ req, res, params }) => {
    await authenticate(req);
    sendJson(res, 200, await deps.breakGlass.status(params['id']!));
  });
  router.add('POST', '/v1/breakglass/:id/approve', async ({ req, res, params }) => {
    const { person } = await authenticate(req);
    const body = parse(commentBody, await readJson(req));
    // Decisions through the api carry an AWS-verified identity: step-up roles accept them.
    sendJson(res, 200, await deps.breakGlass.approve(params['id']!, person, { via: 'api', ...(body.round ? { round: body.round } : {}), ...(body.comment ? { comment: body.comment } : {}) }));
  });
  router.add('POST', '/v1/breakglass/:id/deny', async ({ req, res, params }) => {
    const { person } = await authenticate(req);
    const body = parse(denyBody, await readJson(req));
    sendJson(res, 200, await deps.breakGlass.deny(params['id']!, person, body.reason, { via: 'api', ...(body.round ? { round: body.round } : {}) }));
  });
  router.add('POST', '/v1/breakglass/:id/revoke', async ({ req, res, params }) => {
    const { person } = await authenticate(req);
    sendJson(res, 200, await deps.breakGlass.revoke(params['id']!, person, parse(revokeBody, await readJson(req)).reason));
  });
  router.add('POST', '/v1/breakglass/:id/extend', async ({ req, res, params }) => {
    const { person } = await authenticate(req);
    const body = parse(extendBody, await readJson(req));
    sendJson(res, 200, await deps.breakGlass.extend(params['id']!, person, parseRequestDuration(body.by), body.reason));
  });
}
