// Credential vending, console links, SSM sessions and refusals through the api (issue #3), against
// the integration stack: the api runs inside the stack with the sandbox's broker keys.
import fs from 'node:fs';
import path from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { SafeguardApiClient, ApiRequestError } from '../../cli/api-client';
import { openContext } from '../../cli/context';
import type { CliContext } from '../../cli/context';
import { callerCredentials } from '../../cli/identity';
import { connect } from '../../cli/commands/access';
import { sandboxControl } from '../../sandbox';
import { grantSessionName } from '../../workflows/break-glass/definitions';
import { scanForSecrets } from '../support/secret-scan';
import { getRole } from '../../config/policy/lookup';
import { testStack } from '../support/stack';
import { waitForPhase } from '../support/it-helpers';

const REASON = 'payments API returns 500s; need to inspect the instance';
let ctx: CliContext;
const api = (person: string): SafeguardApiClient => new SafeguardApiClient(ctx.api!, () => callerCredentials(ctx, person));

beforeAll(async () => {
  ctx = await openContext(testStack());
});
afterAll(async () => {
  await ctx?.close();
});

async function activeGrant(duration = '60s'): Promise<string> {
  const { workflowId } = await api('alice').request({ role: 'BreakGlassAdmin', duration, reason: REASON, ticket: 'INC-7' });
  await api('bob').approve(workflowId);
  await waitForPhase(ctx, workflowId, 'active');
  return workflowId;
}

async function refusal(p: Promise<unknown>): Promise<ApiRequestError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiRequestError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

test('the api derives identity from the signed request: whoami is the signer', async () => {
  expect(await api('alice').whoami()).toEqual({ person: 'alice', arn: 'arn:aws:iam::123456789012:user/alice' });
  expect((await api('bob').whoami()).person).toBe('bob');
});

test('vended credentials work, name the grant, and only key id and expiry reach the workflow', async () => {
  const info = testStack();
  const id = await activeGrant();
  const since = (await sandboxControl(info.awsEndpoint).calls()).reduce((m, c) => Math.max(m, c.seq), 0);
  const creds = await api('alice').credentials(id);
  expect(creds.Version).toBe(1);
  const who = await new STSClient({ region: 'us-east-1', endpoint: info.awsEndpoint, credentials: { accessKeyId: creds.AccessKeyId, secretAccessKey: creds.SecretAccessKey, sessionToken: creds.SessionToken } }).send(new GetCallerIdentityCommand({}));
  expect(who.Arn).toBe(`arn:aws:sts::123456789012:assumed-role/BreakGlassAdmin/${grantSessionName(id)}`);

  const assume = (await sandboxControl(info.awsEndpoint).calls({ since, service: 'sts', action: 'AssumeRole' })).find((c) => JSON.stringify(c.params).includes(grantSessionName(id)));
  expect(assume).toBeDefined();
  const params = assume!.params as Record<string, string>;
  expect(params.SourceIdentity).toBe('alice');
  expect(JSON.stringify(params)).toContain(id); // the safeguard:grant session tag
  const remainingS = (Date.parse((await ctx.breakGlass.status(id)).plannedEndAt!) - Date.now()) / 1000;
  expect(Number(params.DurationSeconds)).toBeLessThanOrEqual(Math.max(900, Math.ceil(remainingS) + 5));

  const st = await ctx.breakGlass.status(id);
  expect(st.credentials.map((c) => c.accessKeyId)).toContain(creds.AccessKeyId);
  expect(scanForSecrets(JSON.stringify(st), { known: [creds.SecretAccessKey, creds.SessionToken] })).toEqual([]);
  await api('alice').revoke(id);
});

test('bob cannot get alice\'s credentials; refusals are recorded in the grant', async () => {
  const id = await activeGrant();
  const r = await refusal(api('bob').credentials(id));
  expect(r.status).toBe(403);
  expect(r.apiCode).toBe('NOT_REQUESTER');
  expect((await ctx.breakGlass.status(id)).timeline.some((e) => e.event === 'access-refused' && e.by === 'bob')).toBe(true);
  await api('alice').revoke(id);
});

test('no credentials after revoke, nor for an unknown grant, nor before approval', async () => {
  const id = await activeGrant();
  await api('alice').revoke(id);
  const after = await refusal(api('alice').credentials(id));
  expect([409, 410]).toContain(after.status);
  const unknown = await refusal(api('alice').credentials('breakglass-BreakGlassAdmin-00000000'));
  expect(unknown.status).toBe(404);
  const { workflowId: pending } = await api('alice').request({ role: 'BreakGlassAdmin', duration: '60s', reason: REASON });
  expect((await refusal(api('alice').credentials(pending))).apiCode).toBe('GRANT_NOT_ACTIVE');
  await api('alice').revoke(pending);
});

test('a vending request racing the revocation is either refused or covered by the deny statement', async () => {
  const id = await activeGrant();
  const results = await Promise.allSettled([api('alice').revoke(id), ...Array.from({ length: 4 }, () => api('alice').credentials(id))]);
  const vended = results.slice(1).flatMap((r) => (r.status === 'fulfilled' ? [r.value as { AccessKeyId: string; Expiration: string }] : []));
  const res = await ctx.breakGlass.result(id);
  expect(res.status.revocation?.verified).toBe(true);
  const cutoff = Date.parse(res.status.revocation!.tokensIssuedBefore);
  for (const v of vended) {
    const issued = res.status.credentials.find((c) => c.accessKeyId === v.AccessKeyId);
    expect(issued).toBeDefined();
    expect(Date.parse(issued!.issuedAt)).toBeLessThan(cutoff);
  }
  // Afterwards nothing more is vended.
  expect([409, 410]).toContain((await refusal(api('alice').credentials(id))).status);
});

test('an SSM session opened with connect is terminated at revocation and listed in the receipt', async () => {
  const info = testStack();
  // The role's ssmTargets (examples/policy.yaml); the stack makes every target the policy names reachable.
  const instance = getRole(ctx.policy, 'BreakGlassAdmin')!.ssmTargets[0]!;
  const id = await activeGrant();
  const session = await connect(api('alice'), ctx.policy, id, instance, ctx.aws, { interactive: false });
  expect((await ctx.breakGlass.status(id)).sessions).toContain(session.sessionId);
  await api('alice').revoke(id);
  const res = await ctx.breakGlass.result(id);
  expect(res.status.revocation?.sessionsTerminated).toContain(session.sessionId);
  const all = await sandboxControl(info.awsEndpoint).sessions();
  expect(JSON.stringify(all)).toMatch(new RegExp(`${session.sessionId}[^}]*Terminated|Terminated[^}]*${session.sessionId}`));
});

test('a console link is issued only to the requester of an active grant', async () => {
  const id = await activeGrant();
  const link = await api('alice').consoleLink(id);
  expect(link.url).toMatch(/Action=login/);
  expect(link.url).toMatch(/SigninToken=/);
  expect((await refusal(api('bob').consoleLink(id))).status).toBe(403);
  await api('alice').revoke(id);
  expect([409, 410]).toContain((await refusal(api('alice').consoleLink(id))).status);
});

test('requests without, or with a garbled, identity header are refused', async () => {
  const base = ctx.api!.url;
  const none = await fetch(`${base}/v1/grants/breakglass-BreakGlassAdmin-00000000/credentials`, { method: 'POST' });
  expect(none.status).toBe(401);
  const garbled = await fetch(`${base}/v1/whoami`, { headers: { 'x-safeguard-auth': 'not-base64-json' } });
  expect(garbled.status).toBe(401);
  const badJson = await fetch(`${base}/v1/breakglass/requests`, { method: 'POST', headers: { 'x-safeguard-auth': 'x' }, body: '{' });
  expect(badJson.status).toBe(401);
});

test('raw history from the Temporal API holds only encrypted payloads; evidence holds no vended secret', async () => {
  const info = testStack();
  const id = await activeGrant('30s');
  const creds = await api('alice').credentials(id);
  await api('alice').revoke(id);
  await ctx.breakGlass.result(id);
  // Straight from the server, no codec: what Temporal stores at rest.
  const raw = await ctx.temporal.connection.workflowService.getWorkflowExecutionHistory({ namespace: info.namespace, execution: { workflowId: id } });
  const payloads: Array<{ metadata?: Record<string, Uint8Array> | null }> = [];
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    if (v instanceof Uint8Array) return;
    const o = v as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && 'data' in o) payloads.push(o as { metadata: Record<string, Uint8Array> });
    for (const x of Object.values(o)) walk(x);
  };
  walk(raw.history);
  expect(payloads.length).toBeGreaterThan(5);
  const encodings = new Set(payloads.map((p) => Buffer.from(p.metadata?.encoding ?? new Uint8Array()).toString()));
  // Search attributes are the only plaintext payloads, and they carry no sensitive values.
  const searchAttrPayloads = JSON.stringify(raw.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.searchAttributes ?? {});
  expect([...encodings].filter((e) => e !== 'binary/encrypted' && e !== 'json/plain')).toEqual([]);
  expect(searchAttrPayloads).not.toContain(REASON);
  const rawText = JSON.stringify(raw.history, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
  expect(rawText).not.toContain(REASON);
  expect(rawText).not.toContain('alice@example.com');
  const evidence = fs.readFileSync(path.join(info.evidenceDir, 'evidence.jsonl'), 'utf8');
  expect(scanForSecrets(evidence, { known: [creds.SecretAccessKey, creds.SessionToken] })).toEqual([]);
  expect(evidence).toContain(creds.AccessKeyId); // the key id is evidence; the secret never is
});
