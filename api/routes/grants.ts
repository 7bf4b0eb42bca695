// Using an active grant: credentials, console links, reported SSM sessions (vending: client/vending.ts).
import { z } from 'zod';
import { vendCredentials } from '../../client/vending';
import type { ApiKit } from '../kit';
import { ApiError, sendJson } from '../http';
import { consoleLink } from '../console-link';
import { reportSession } from '../sessions';
import { VendingRefusal, SafeguardError } from '../../client/errors';
import { timeVending } from '../../shared/ops/metrics';
import type { VendingOutcome } from '../../shared/ops/metrics';

const sessionBody = z.object({ sessionId: z.string().regex(/^[\w.@+=,-]{1,128}$/), target: z.string().regex(/^(i|mi)-[0-9a-f]{8,17}$/) }).strict();

/** A refusal is the api saying no (who is asking, the grant's state); 5xx and the unexpected are errors. */
function vendingOutcome(err: unknown): VendingOutcome {
  if (err instanceof ApiError || err instanceof VendingRefusal) return err.status < 500 ? 'refused' : 'error';
  return err instanceof SafeguardError ? 'refused' : 'error';
}

export function register({ router, deps, authenticate, readJson, parse }: ApiKit): void {
  router.add('POST', '/v1/grants/:id/credentials', ({ req, res, params }) =>
    timeVending(deps.metrics, 'credentials', async () => {
      const { person } = await authenticate(req);
      const creds = await vendCredentials(deps, params['id']!, person);
      deps.log?.('credentials vended', { grantId: params['id'], person, accessKeyId: creds.AccessKeyId });
      sendJson(res, 200, creds);
    }, vendingOutcome),
  );
  router.add('POST', '/v1/grants/:id/console-link', ({ req, res, params }) =>
    timeVending(deps.metrics, 'console-link', async () => {
      const { person } = await authenticate(req);
      sendJson(res, 200, await consoleLink(await vendCredentials(deps, params['id']!, person), deps.console));
    }, vendingOutcome),
  );
  router.add('POST', '/v1/grants/:id/sessions', async ({ req, res, params }) => {
    const { person } = await authenticate(req);
    const body = parse(sessionBody, await readJson(req));
    const r = await reportSession(deps, params['id']!, person, body);
    sendJson(res, r.recorded && !r.duplicate ? 202 : 200, r);
  });
}
