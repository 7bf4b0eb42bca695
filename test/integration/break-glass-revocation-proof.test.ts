// Revocation that is proven, under attack and failure (issue #7 §3, §5–§7, §9): reported sessions
// are checked with SSM, a flood cannot grow a grant's history, a terminated run is revoked by the
// reconciler, no credential is handed over after the cut-off, one deny policy per role holds a
// statement per person, and a receipt is never "verified" while the deny cannot be written or a
// session will not die.
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import path from 'node:path';
import { SafeguardApiClient, ApiRequestError } from '../../cli/api-client';
import { approve, requestAccess, revoke, status } from '../../cli/commands/breakglass';
import { callerCredentials } from '../../cli/identity';
import { BreakGlassClient } from '../../client/break-glass-client';
import { buildBreakGlassInput } from '../../client/request';
import { openEvidenceForAudit } from '../../evidence/audit-access';
import { loadPolicyFile } from '../../config/policy';
import { getRole } from '../../config/policy/lookup';
import { sandboxControl } from '../../sandbox';
import { ROLE_REVOCATION_POLICY, parseRevocationStatements } from '../../workflows/break-glass/revocation-policy';
import type { StatementCutoff } from '../../workflows/break-glass/revocation-policy';
import { REASON, sleep, startSsmSession, startTestWorker, useStackSession, vendCredentials, waitForPhase } from '../support/it-helpers';
import { sandboxSeed } from '../support/stack';

const stack = useStackSession();
const api = (person: string): SafeguardApiClient => new SafeguardApiClient(stack.ctx.api!, () => callerCredentials(stack.ctx, person));
const control = () => sandboxControl(stack.info.awsEndpoint);

function iam(): IAMClient {
  const { broker } = sandboxSeed(stack.info);
  return new IAMClient({ region: stack.info.region, endpoint: stack.info.awsEndpoint, credentials: { accessKeyId: broker.accessKeyId, secretAccessKey: broker.secretAccessKey } });
}

async function roleStatements(roleName = 'BreakGlassAdmin'): Promise<StatementCutoff[]> {
  try {
    const out = await iam().send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: ROLE_REVOCATION_POLICY }));
    return parseRevocationStatements(out.PolicyDocument ?? '');
  } catch {
    return [];
  }
}

async function refusal(p: Promise<unknown>): Promise<ApiRequestError> {
  const err = await p.catch((e: unknown) => e);
  if (err instanceof ApiRequestError) return err;
  throw new Error(`expected an api refusal, got ${String(err)}`);
}

async function activeGrant(requester: 'alice' | 'dave', duration = '2m'): Promise<string> {
  const { workflowId } = await requestAccess(stack.ctx, stack.who[requester], { role: 'BreakGlassAdmin', duration, reason: REASON });
  await approve(stack.ctx, stack.who.bob, workflowId);
  await waitForPhase(stack.ctx, workflowId, 'active');
  return workflowId;
}

const target = (): string => getRole(stack.ctx.policy, 'BreakGlassAdmin')!.ssmTargets[0]!;

describe('session reports are verified', () => {
  it('refuses made-up sessions, other grants\' sessions and targets the role does not allow; revocation leaves others\' sessions alone', async () => {
    const alices = await activeGrant('alice');
    const daves = await activeGrant('dave');
    const daveSession = await startSsmSession(stack.info, await vendCredentials(stack.info, daves, 'dave'), target());
    const aliceSession = await startSsmSession(stack.info, await vendCredentials(stack.info, alices, 'alice'), target());

    expect((await refusal(api('alice').reportSession(alices, 'alice-0123456789abcdef0', target()))).apiCode).toBe('SESSION_NOT_FOUND');
    expect((await refusal(api('alice').reportSession(alices, daveSession, target()))).apiCode).toBe('SESSION_NOT_OURS');
    const otherInstance = sandboxSeed(stack.info).instances.find((i) => i !== target())!;
    expect((await refusal(api('alice').reportSession(alices, aliceSession, otherInstance))).apiCode).toBe('TARGET_NOT_ALLOWED');
    expect((await refusal(api('dave').reportSession(alices, aliceSession, target()))).apiCode).toBe('NOT_REQUESTER');
    expect(await api('alice').reportSession(alices, aliceSession, target())).toMatchObject({ recorded: true });

    const st = await status(stack.ctx, alices);
    expect(st.sessions).toEqual([aliceSession]);
    expect(st.timeline.filter((e) => e.event === 'access-refused').map((e) => e.detail)).toEqual(['session: SESSION_NOT_FOUND', 'session: SESSION_NOT_OURS', 'session: TARGET_NOT_ALLOWED']);

    await revoke(stack.ctx, stack.who.alice, alices, 'done');
    const res = await stack.ctx.breakGlass.result(alices);
    expect(res.status.revocation).toMatchObject({ verified: true, sessionsTerminated: [aliceSession] });
    const sessions = await control().sessions();
    expect(sessions.find((s) => s.SessionId === daveSession)?.Status).toBe('Connected');
    expect(sessions.find((s) => s.SessionId === aliceSession)?.Status).toBe('Terminated');
    await revoke(stack.ctx, stack.who.dave, daves, 'done');
    await waitForPhase(stack.ctx, daves, 'ended');
  });

  it('a flood of 1,000 bogus reports and credential requests leaves the history bounded', async () => {
    const id = await activeGrant('alice');
    const eventsNow = async (): Promise<number> => (await stack.ctx.temporal.workflow.getHandle(id).fetchHistory()).events?.length ?? 0;
    const before = await eventsNow();
    const bogus = Array.from({ length: 1000 }, (_, i) => `alice-${i.toString(16).padStart(17, '0')}`);
    for (let i = 0; i < bogus.length; i += 25) {
      await Promise.all(bogus.slice(i, i + 25).map((sid) => api('alice').reportSession(id, sid, target()).catch(() => undefined)));
    }
    // dave asking for alice's credentials, over and over.
    for (let i = 0; i < 100; i += 25) await Promise.all(Array.from({ length: 25 }, () => api('dave').credentials(id).catch(() => undefined)));
    const after = await eventsNow();
    console.log(`flood: history ${before} → ${after} events after 1,000 bogus session reports and 100 refused credential requests`);
    expect(after).toBeLessThan(250);
    const st = await status(stack.ctx, id);
    expect(st.sessions).toEqual([]);
    expect(st.counts?.refusals).toBeLessThanOrEqual(25);
    await revoke(stack.ctx, stack.who.alice, id, 'done');
    const res = await stack.ctx.breakGlass.result(id);
    const total = (await stack.ctx.temporal.workflow.getHandle(id).fetchHistory()).events?.length ?? 0;
    expect(res.status.revocation?.verified).toBe(true);
    expect(total).toBeLessThan(1000);
  });
});

describe('terminate cannot leave access behind', () => {
  it('the reconciler revokes a terminated grant with a live session within two periods, and records it', async () => {
    const id = await activeGrant('alice', '10m');
    const creds = await api('alice').credentials(id);
    const session = await startSsmSession(stack.info, { accessKeyId: creds.AccessKeyId, secretAccessKey: creds.SecretAccessKey, sessionToken: creds.SessionToken }, target());
    await api('alice').reportSession(id, session, target());
    const terminatedAt = Date.now();
    await stack.ctx.temporal.workflow.getHandle(id).terminate('attack: terminate an active grant');
    // Status tells the truth about the execution.
    const st = await stack.ctx.breakGlass.status(id);
    expect(st.execution?.status).toBe('TERMINATED');

    const { store } = await openEvidenceForAudit({ dir: stack.info.evidenceDir });
    let record;
    for (let i = 0; i < 120 && !record; i++) {
      record = (await store.list({ kind: 'reconciled' })).find((e) => e.record['workflowId'] === id);
      if (!record) await sleep(500);
    }
    console.log(`reconciler: terminated → reconciled evidence in ${Date.now() - terminatedAt} ms`);
    expect(record?.record).toMatchObject({ closedAs: 'TERMINATED', requester: 'alice', revocation: { verified: true, sessionsTerminated: [session] } });
    const statements = await roleStatements();
    const alice = statements.find((s) => s.person === 'alice');
    expect(Date.parse(alice!.tokensIssuedBefore)).toBeGreaterThanOrEqual(terminatedAt);
    expect((await control().sessions()).find((s) => s.SessionId === session)?.Status).toBe('Terminated');
    expect((await store.verify()).problems).toEqual([]);
  });
});

describe('no credentials after the cut-off', () => {
  it('with 25 s of STS latency, credentials minted after the lease expired are discarded and the receipt covers every issue', async () => {
    const id = await activeGrant('alice');
    const fault = await control().addFault({ service: 'sts', action: 'AssumeRole', kind: 'latency', latencyMs: 25_000, rate: 1 });
    try {
      const vending = api('alice').credentials(id).then(
        (c) => ({ ok: true as const, c }),
        (e: unknown) => ({ ok: false as const, e: e as ApiRequestError }),
      );
      await sleep(1000);
      await revoke(stack.ctx, stack.who.alice, id, 'done');
      const res = await stack.ctx.breakGlass.result(id);
      const v = await vending;
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.e.apiCode).toBe('LEASE_EXPIRED');
      const r = res.status.revocation!;
      expect(r.verified).toBe(true);
      for (const c of res.status.credentials) expect(Date.parse(c.issuedAt)).toBeLessThan(Date.parse(r.tokensIssuedBefore));
    } finally {
      await control().clearFaults();
      void fault;
    }
  }, 120_000);
});

describe('one deny policy per role, bounded', () => {
  it('60 revocations on one role by 3 people: one policy, one statement each, every revocation verified', async () => {
    const policyFile = path.join(__dirname, '../fixtures/policies/shared-post-hoc.yaml');
    const policy = loadPolicyFile(policyFile);
    const worker = await startTestWorker(stack.info, 'shared-role', { SAFEGUARD_POLICY: policyFile });
    const client = new BreakGlassClient(stack.ctx.temporal, worker.taskQueue);
    try {
      const people = ['alice', 'bob', 'dave'];
      const ids = await Promise.all(
        Array.from({ length: 60 }, async (_, i) => {
          const input = buildBreakGlassInput(policy, { requester: people[i % 3]!, role: 'SharedPostHoc', duration: '30m', reason: `${REASON} (#${i})`, via: 'cli' });
          return client.start(input);
        }),
      );
      for (const id of ids) for (let i = 0; i < 100 && (await client.status(id)).phase === 'pending'; i++) await sleep(200);
      await Promise.all(ids.map((id, i) => client.revoke(id, people[i % 3]!, 'done')));
      const results = await Promise.all(ids.map((id) => client.result(id)));
      for (const r of results) expect(r.status.revocation?.verified).toBe(true);
      const names = (await iam().send(new ListRolePoliciesCommand({ RoleName: 'BreakGlassAdmin' }))).PolicyNames ?? [];
      expect(names.filter((n) => n.startsWith('SafeguardRevoke'))).toEqual([]);
      expect(names.filter((n) => n === ROLE_REVOCATION_POLICY)).toHaveLength(1);
      const statements = await roleStatements();
      const persons = statements.map((s) => s.person);
      expect(new Set(persons).size).toBe(persons.length);
      expect(persons).toEqual(expect.arrayContaining(people));
      expect(persons.every((p) => ['alice', 'bob', 'dave'].includes(p))).toBe(true);
    } finally {
      await worker.stop();
    }
  }, 300_000);
});

describe('a receipt is never verified while a proof fails', () => {
  it('while the deny policy cannot be written, the receipt stays unverified and security is paged; it verifies once IAM recovers', async () => {
    const id = await activeGrant('dave');
    await control().addFault({ service: 'iam', action: 'PutRolePolicy', kind: '5xx', rate: 1 });
    try {
      await revoke(stack.ctx, stack.who.dave, id, 'done');
      const st = await waitFor(async () => {
        const s = await status(stack.ctx, id);
        return s.timeline.some((e) => e.event === 'security-paged') ? s : undefined;
      }, 90_000);
      expect(st.phase).toBe('revoking');
      expect(st.revocation).toBeUndefined();
      expect(st.timeline.filter((e) => e.event === 'revocation-unverified').length).toBeGreaterThanOrEqual(3);
      expect(st.timeline.find((e) => e.event === 'revocation-unverified')?.detail).toContain('deny statement not in place');
    } finally {
      await control().clearFaults();
    }
    const res = await stack.ctx.breakGlass.result(id);
    expect(res.status.revocation).toMatchObject({ verified: true, statementPresent: true });
    expect(res.status.revocation!.attempts).toBeGreaterThan(3);
  }, 240_000);

  it('while a session will not terminate, the receipt stays unverified; it verifies once the session ends', async () => {
    const id = await activeGrant('alice');
    const session = await startSsmSession(stack.info, await vendCredentials(stack.info, id, 'alice'), target());
    await control().setSessionStuck(session, true);
    await revoke(stack.ctx, stack.who.alice, id, 'done');
    const st = await waitFor(async () => {
      const s = await status(stack.ctx, id);
      return s.timeline.filter((e) => e.event === 'revocation-unverified').length >= 3 ? s : undefined;
    }, 90_000);
    expect(st.revocation).toBeUndefined();
    expect(st.timeline.find((e) => e.event === 'revocation-unverified')?.detail).toContain('still active');
    await control().setSessionStuck(session, false);
    const res = await stack.ctx.breakGlass.result(id);
    expect(res.status.revocation).toMatchObject({ verified: true, activeSessionsLeft: [] });
    expect(res.status.revocation?.sessionsTerminated).toContain(session);
  }, 240_000);
});

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(500);
  }
}
