// Decisions on any runbook run that asks for them (key rotation's "delete the old key", …):
// `POST /v1/runs/<workflow id>/approve|deny`; confirmations of declarative runbooks' confirm steps:
// `POST /v1/runs/<workflow id>/confirm`. Break-glass requests keep their own routes.
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { STEP_ID_PATTERN } from '../../config/policy/fields';
import { SafeguardError } from '../../client/errors';
import { refusalInfo } from '../../workflows/shared/refusals';
import type { ApiKit } from '../kit';
import { sendJson } from '../http';

const round = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be a round id').optional();
const approveBody = z.object({ comment: z.string().max(1000).optional(), round }).strict();
const denyBody = z.object({ reason: z.string().max(1000), round }).strict();
const confirmBody = z
  .object({
    // Always named (invariant 10): a confirmation meant for a step that just completed must not land on the next.
    step: z.string().regex(STEP_ID_PATTERN, 'must be a step id (lower-case letters, digits and "-", starting with a letter)'),
    note: z.string().max(1000).optional(),
  })
  .strict();

/**
 * Answers a workflow's refusal with its own api code (NOT_A_CONFIRMER, SELF_CONFIRMATION, …, in
 * docs/api-auth.md) and status, keeping `refusal` for clients that match on it; other errors go on
 * to the server's handler.
 */
async function withRefusalCodes(res: ServerResponse, fn: () => Promise<unknown>): Promise<void> {
  try {
    sendJson(res, 200, await fn());
  } catch (err) {
    const info = err instanceof SafeguardError && err.code === 'REFUSED' ? refusalInfo(err.refusal) : undefined;
    if (!info || !(err instanceof SafeguardError)) throw err;
    sendJson(res, info.http, { error: { code: info.apiCode, message: err.message, refusal: err.refusal } });
  }
}

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
  router.add('POST', '/v1/runs/:id/confirm', async ({ req, res, params }) => {
    const { person } = await authenticate(req);
    const body = parse(confirmBody, await readJson(req));
    await withRefusalCodes(res, () => deps.runbooks.confirm(params['id']!, person, { via: 'api', step: body.step, ...(body.note !== undefined ? { note: body.note } : {}) }));
  });
}
