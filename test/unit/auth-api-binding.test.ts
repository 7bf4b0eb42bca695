// The api's routes with the real caller verifier (STS faked by access key id) and the CLI's api
// client: each identity header is bound to one api request, so a header captured from one call
// cannot be replayed to another route, path or body (docs/api-auth.md).
import path from 'node:path';
import type { STSClient } from '@aws-sdk/client-sts';
import { CallerIdentityVerifier } from '../../api/auth';
import { startApiServer } from '../../api/server';
import type { RunningApi } from '../../api/server';
import type { BreakGlassClient } from '../../client/break-glass-client';
import { encodeAuthHeader, signCallerIdentityRequest } from '../../cli/api-auth';
import { ApiRequestError, SafeguardApiClient } from '../../cli/api-client';
import { loadPolicyFile } from '../../config/policy';
import type { DecisionsClient } from '../../client/decisions-client';
import { SafeguardError } from '../../client/errors';
import type { RunbookClient } from '../../client/runbook-client';

const STS = 'https://sts.us-east-1.amazonaws.com';
const SERVER_ID = 'https://safeguard-api.example.com';
const GRANT = 'breakglass-BreakGlassAdmin-0123456789ab';
const PEOPLE: Record<string, { accessKeyId: string; secretAccessKey: string; arn: string }> = {
  bob: { accessKeyId: 'AKIAEXAMPLEBOB000001', secretAccessKey: 'bob-secret', arn: 'arn:aws:iam::123456789012:user/bob' },
  carol: { accessKeyId: 'AKIAEXAMPLECAROL0001', secretAccessKey: 'carol-secret', arn: 'arn:aws:iam::123456789012:user/carol' },
};

/** Answers GetCallerIdentity for the key id in the Authorization header, as STS would for a valid signature. */
const fakeSts = (async (_url: string | URL | Request, init?: RequestInit) => {
  const auth = (init?.headers as Record<string, string>)['authorization'] ?? '';
  const person = Object.values(PEOPLE).find((p) => auth.includes(`Credential=${p.accessKeyId}/`));
  if (!person) return new Response('<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error></ErrorResponse>', { status: 403 });
  return new Response(`<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>${person.arn}</Arn><UserId>AIDA${person.accessKeyId}</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`, { status: 200 });
}) as typeof fetch;

const approvals: Array<{ id: string; by: string; comment: string | undefined }> = [];
const breakGlass = {
  async approve(id: string, by: string, opts: { comment?: string } = {}) {
    approvals.push({ id, by, comment: opts.comment });
    return { accepted: true, duplicate: false, approvals: 1, quorum: 1, phase: 'pending', decided: true };
  },
} as unknown as BreakGlassClient;
const runDecisions: Array<{ id: string; by: string; round: string | undefined }> = [];
const decisions = {
  async approve(id: string, by: string, opts: { round?: string } = {}) {
    runDecisions.push({ id, by, round: opts.round });
    return { accepted: true, duplicate: false, approvals: 1, quorum: 1, phase: 'deleting', decided: true, round: 'delete-old-key' };
  },
} as unknown as DecisionsClient;

const confirmations: Array<{ id: string; by: string; step: string | undefined; note: string | undefined; via: string | undefined }> = [];
/** Refuses as the workflow's confirm validator would: a step named `needs-note` wants a note, bob started the run. */
const runbooks = {
  async confirm(id: string, by: string, opts: { step?: string; note?: string; via?: string } = {}) {
    if (by === 'bob') throw new SafeguardError('REFUSED', 'you started this runbook; someone else must confirm', { refusal: 'SelfConfirmation' });
    if (opts.step === 'needs-note' && !opts.note) throw new SafeguardError('REFUSED', 'step needs-note needs a note', { refusal: 'NoteRequired' });
    if (opts.step === 'later') throw new SafeguardError('REFUSED', 'the run is on step mfa-retrieved, not later', { refusal: 'StepNotOpen' });
    confirmations.push({ id, by, step: opts.step, note: opts.note, via: opts.via });
    return { step: opts.step ?? 'mfa-retrieved', confirmations: 1, needed: 2, complete: false, duplicate: false };
  },
} as unknown as RunbookClient;

let api: RunningApi;
beforeAll(async () => {
  const policy = loadPolicyFile(path.join(__dirname, '../../examples/policy.yaml'));
  api = await startApiServer({
    breakGlass,
    decisions,
    runbooks,
    policy: () => policy,
    verifier: new CallerIdentityVerifier({ stsEndpoint: STS, allowedStsHosts: ['sts.us-east-1.amazonaws.com'], serverId: SERVER_ID, fetch: fakeSts }),
    brokerSts: () => ({}) as STSClient,
    recordRefusal: async () => undefined,
    describeSession: async () => undefined,
    console: { federationUrl: 'https://signin.aws.amazon.com/federation' },
  });
});
afterAll(async () => {
  await api.close();
});
beforeEach(() => {
  approvals.length = 0;
});

const client = (person: 'bob' | 'carol'): SafeguardApiClient => {
  const p = PEOPLE[person]!;
  return new SafeguardApiClient({ url: api.url, serverId: SERVER_ID, stsEndpoint: STS, region: 'us-east-1' }, async () => ({ accessKeyId: p.accessKeyId, secretAccessKey: p.secretAccessKey }));
};

/** An identity header as a client signs it for one request. */
async function headerFor(person: 'bob' | 'carol', request: { method: string; path: string; body: string }): Promise<string> {
  const p = PEOPLE[person]!;
  return encodeAuthHeader(await signCallerIdentityRequest({ credentials: p, region: 'us-east-1', stsEndpoint: STS, serverId: SERVER_ID, request }));
}

async function send(method: string, pathAndQuery: string, header: string, body?: string): Promise<{ status: number; code: string | undefined }> {
  const res = await fetch(`${api.url}${pathAndQuery}`, { method, headers: { 'x-safeguard-auth': header, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body } : {}) });
  const json = (await res.json()) as { error?: { code?: string } };
  return { status: res.status, code: json.error?.code };
}

const approvePath = `/v1/breakglass/${GRANT}/approve`;

test('the CLI client signs each call for itself: whoami and an approval with a comment both work', async () => {
  expect(await client('bob').whoami()).toEqual({ person: 'bob', arn: PEOPLE.bob!.arn });
  await client('bob').approve(GRANT, { comment: 'checked the incident channel' });
  expect(approvals).toEqual([{ id: GRANT, by: 'bob', comment: 'checked the incident channel' }]);
});

test('a header captured from GET /v1/whoami cannot approve a request (401 AUTH_WRONG_REQUEST, nothing decided)', async () => {
  const captured = await headerFor('bob', { method: 'GET', path: '/v1/whoami', body: '' });
  expect(await send('GET', '/v1/whoami', captured)).toEqual({ status: 200, code: undefined });
  expect(await send('POST', approvePath, captured, '{}')).toEqual({ status: 401, code: 'AUTH_WRONG_REQUEST' });
  expect(approvals).toEqual([]);
});

test('a header signed for one approval cannot carry another body, grant or decision', async () => {
  const signed = await headerFor('carol', { method: 'POST', path: approvePath, body: '{"comment":"ok"}' });
  expect(await send('POST', approvePath, signed, '{"comment":"ok, and more"}')).toEqual({ status: 401, code: 'AUTH_WRONG_REQUEST' });
  expect(await send('POST', approvePath.replace('0123456789ab', '0123456789ac'), signed, '{"comment":"ok"}')).toEqual({ status: 401, code: 'AUTH_WRONG_REQUEST' });
  expect(await send('POST', approvePath.replace('approve', 'deny'), signed, '{"comment":"ok"}')).toEqual({ status: 401, code: 'AUTH_WRONG_REQUEST' });
  expect(approvals).toEqual([]);
  // The request it was signed for goes through, with the body the route parses being the signed one.
  expect((await send('POST', approvePath, signed, '{"comment":"ok"}')).status).toBe(200);
  expect(approvals).toEqual([{ id: GRANT, by: 'carol', comment: 'ok' }]);
});

test('the client surfaces the refusal code when the api disagrees about the request', async () => {
  // A client signing for another server id gets AUTH_WRONG_SERVER, not a silent success.
  const other = new SafeguardApiClient({ url: api.url, serverId: 'some-other-api', stsEndpoint: STS, region: 'us-east-1' }, async () => PEOPLE.bob!);
  const err = await other.whoami().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApiRequestError);
  expect((err as ApiRequestError).apiCode).toBe('AUTH_WRONG_SERVER');
});

test('decisions on any other kind of run go through /v1/runs with the identity the api derives', async () => {
  runDecisions.length = 0;
  const id = 'rotate-key-legacy-etl-0123abcd';
  expect(await client('carol').approveRun(id, { round: 'delete-old-key' })).toMatchObject({ round: 'delete-old-key' });
  expect(runDecisions).toEqual([{ id, by: 'carol', round: 'delete-old-key' }]);
  const bad = await send('POST', `/v1/runs/${id}/approve`, await headerFor('carol', { method: 'POST', path: `/v1/runs/${id}/approve`, body: '{"round":"Delete Old Key!"}' }), '{"round":"Delete Old Key!"}');
  expect(bad).toEqual({ status: 400, code: 'BAD_REQUEST' });
  expect(await send('POST', '/v1/runs', await headerFor('carol', { method: 'POST', path: '/v1/runs', body: '{}' }), '{}')).toEqual({ status: 404, code: 'NOT_FOUND' });
  expect(runDecisions).toHaveLength(1);
});

describe('POST /v1/runs/:id/confirm', () => {
  const id = 'runbook-root-recovery-0123abcd';
  const confirmPath = `/v1/runs/${id}/confirm`;
  const post = async (body: string) => send('POST', confirmPath, await headerFor('carol', { method: 'POST', path: confirmPath, body }), body);
  beforeEach(() => {
    confirmations.length = 0;
  });

  it('confirms as the person the api derives, through the CLI client, with via api', async () => {
    expect(await client('carol').confirmRun(id, { step: 'mfa-retrieved', note: 'device taken from the safe' })).toEqual({ step: 'mfa-retrieved', confirmations: 1, needed: 2, complete: false, duplicate: false });
    expect(confirmations).toEqual([{ id, by: 'carol', step: 'mfa-retrieved', note: 'device taken from the safe', via: 'api' }]);
  });

  it.each([
    ['a field the body does not have (nobody names the confirmer)', '{"by":"alice","step":"mfa-retrieved"}'],
    ['no step (a confirmation always names its step)', '{"note":"done"}'],
    ['a step that is not a step id', '{"step":"Confirm MFA!"}'],
    ['a step that is not text', '{"step":2}'],
    ['a step id over 40 characters', JSON.stringify({ step: `s${'x'.repeat(40)}` })],
    ['a note over 1000 characters', JSON.stringify({ step: 'mfa-retrieved', note: 'n'.repeat(1001) })],
    ['a note that is not text', '{"step":"mfa-retrieved","note":["done"]}'],
    ['a body that is not an object', '"confirm"'],
  ])('refuses %s with 400 BAD_REQUEST and confirms nothing', async (_name, body) => {
    expect(await post(body)).toEqual({ status: 400, code: 'BAD_REQUEST' });
    expect(confirmations).toEqual([]);
  });

  it("answers the workflow's refusals with their own status and code, keeping the refusal", async () => {
    const refused = async (p: Promise<unknown>) => {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiRequestError);
      const e = err as ApiRequestError;
      return { status: e.status, apiCode: e.apiCode, refusal: e.refusal };
    };
    expect(await refused(client('bob').confirmRun(id, { step: 'mfa-retrieved' }))).toEqual({ status: 403, apiCode: 'SELF_CONFIRMATION', refusal: 'SelfConfirmation' });
    expect(await refused(client('carol').confirmRun(id, { step: 'needs-note' }))).toEqual({ status: 400, apiCode: 'NOTE_REQUIRED', refusal: 'NoteRequired' });
    expect(await refused(client('carol').confirmRun(id, { step: 'later' }))).toEqual({ status: 409, apiCode: 'STEP_NOT_OPEN', refusal: 'StepNotOpen' });
    expect(confirmations).toEqual([]);
  });
});
