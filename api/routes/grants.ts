// Using an active grant: credentials, console links, reported SSM sessions (vending: client/vending.ts).
import { z } from 'zod';
import { vendCredentials } from '../../client/vending';
import type { ApiKit } from '../kit';
import { sendJson } from '../http';
import { consoleLink } from '../console-link';
import { reportSession } from '../sessions';

const sessionBody = z.object({ sessionId: z.string().regex(/^[\w.@+=,-]{1,128}$/), target: z.string().regex(/^(i|mi)-[0-9a-f]{8,17}$/) }).strict();

export function register({ router, deps, authenticate, readJson, parse }: ApiKit): void {
  router.add('POST', '/v1/grants/:id/credentials', async ({ req, res, params }) => {
    const { person } = await authenticate(req);
    const creds = await vendCredentials(deps, params['id']!, person);
    deps.log?.('credentials vended', { grantId: params['id'], person, accessKeyId: creds.AccessKeyId });
    sendJson(res, 200, creds);
  });
  router.add('POST', '/v1/grants/:id/console-link', async ({ req, res, params }) => {
    const { person } = await authenticate(req);
    sendJson(res, 200, await consoleLink(await vendCredentials(deps, params['id']!, person), deps.console));
  });
  router.add('POST', '/v1/grants/:id/sessions', async ({ req, res, params }) => {
    const { person } = await authenticate(req);
    const body = parse(sessionBody, await readJson(req));
    const r = await reportSession(deps, params['id']!, person, body);
    sendJson(res, r.recorded && !r.duplicate ? 202 : 200, r);
  });
}
