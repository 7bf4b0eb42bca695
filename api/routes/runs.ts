// Decisions on any runbook run that asks for them (key rotation's "delete the old key", …):
// `POST /v1/runs/<workflow id>/approve|deny`. Break-glass requests keep their own routes.
import { z } from 'zod';
import type { ApiKit } from '../kit';
import { sendJson } from '../http';

const round = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be a round id').optional();
const approveBody = z.object({ comment: z.string().max(1000).optional(), round }).strict();
const denyBody = z.object({ reason: z.string().max(1000), round }).strict();

export function register({ router, deps, authenticate, readJson, parse }: ApiKit): void {
  router.add('GET', '/v1/runs/:id/rounds', async ({ req, res, params }) => {
    await authenticate(req);
    sendJson(res, 200, { rounds: await deps.decisions.rounds(params['id']!) });
  });
  router.add('POST', '/v1/runs/:id/approve', async ({ req, res, params }) => {
    const { person } = await authenticate(req);
    const body = parse(approveBody, await readJson(req));
    sendJson(res, 200, await deps.decisions.approve(params['id']!, person, { via: 'api', ...(body.round ? { round: body.round } : {}), ...(body.comment ? { comment: body.comment } : {}) }));
  });
  router.add('POST', '/v1/runs/:id/deny', async ({ req, res, params }) => {
    const { person } = await authenticate(req);
    const body = parse(denyBody, await readJson(req));
    sendJson(res, 200, await deps.decisions.deny(params['id']!, person, body.reason, { via: 'api', ...(body.round ? { round: body.round } : {}) }));
  });
}
