// The break-glass fire drill on the time-skipping server: the real drill workflow and its real
// break-glass child, AWS faked (test/support/fake-fire-drill.ts: fake-activities.ts and an STS that
// mints drill credentials), the policy checks real (the drill's, and the child's `via: 'drill'`
// check). Approved in time, never answered, denied, a tampered drill input, and a malformed one.
// The dev-server run is test/integration/fire-drill.test.ts.
import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { BreakGlassClient } from '../../client/break-glass-client';
import { DecisionsClient } from '../../client/decisions-client';
import { fireDrillInput } from '../../client/fire-drill-client';
import { prepareRecord } from '../../evidence/records';
import type { BreakGlassStatus } from '../../workflows/break-glass/definitions';
import { drillGrantId, fireDrillStatusQuery } from '../../workflows/fire-drill/definitions';
import type { FireDrillResult, FireDrillStatus } from '../../workflows/fire-drill/definitions';
import type { BreakGlassNotification, Notification } from '../../workflows/shared/notifications';
import type { FakeAws } from '../support/fake-activities';
import { DRILL_ARN, FIRE_DRILL_POLICY as policy, fakeFireDrill } from '../support/fake-fire-drill';
import { createTestWorker, startTimeSkipping } from '../support/time-skipping';
import { healTimeSkipping } from './harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

interface Drill {
  handle: WorkflowHandle;
  grantId: string;
  state: FakeAws;
  breakGlass: BreakGlassClient;
}

async function runDrill<T>(fn: (d: Drill) => Promise<T>, input: unknown = fireDrillInput(policy, 'admin-fire', 'schedule')): Promise<T> {
  const { activities: all, state, breakGlass } = fakeFireDrill(env.client);
  const id = `drill-fire-admin-fire-${randomBytes(4).toString('hex')}`;
  const grantId = drillGrantId('BreakGlassAdmin', id);
  const taskQueue = `tq-${id}`;
  const worker = await createTestWorker(env, taskQueue, all);
  try {
    return await worker.runUntil(async () => fn({ handle: await env.client.workflow.start('breakGlassDrillWorkflow', { taskQueue, workflowId: id, args: [input] }), grantId, state, breakGlass }));
  } finally {
    for (const wf of [id, grantId]) await env.client.workflow.getHandle(wf).terminate('test over').catch(() => undefined);
    await healTimeSkipping(env);
  }
}

/** Polls in real time (the server does not skip while nobody awaits a result). */
async function until<T>(read: () => Promise<T>, pred: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read().catch(() => undefined);
    if (last !== undefined && pred(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never got there; last: ${JSON.stringify(last)?.slice(0, 500)}`);
}

const pendingGrant = (d: Drill): Promise<BreakGlassStatus> => until(() => d.breakGlass.status(d.grantId), (s) => s.phase === 'pending' && s.approval?.state === 'open');
const drillStatus = (d: Drill): Promise<FireDrillStatus> => d.handle.query(fireDrillStatusQuery);
const steps = (s: FireDrillStatus): Record<string, string> => Object.fromEntries(s.view.steps.map((x) => [x.name, x.state]));

it('passes when an approver approves in time: one use as the drill identity, revoked with a verified receipt, scored, recorded', async () => {
  await runDrill(async (d) => {
    const pending = await pendingGrant(d);
    expect(pending).toMatchObject({ requester: 'fire-drill', drill: true, roleArn: 'arn:aws:iam::123456789012:role/BreakGlassDrill', role: 'BreakGlassAdmin' });
    // The approvers' card says DRILL (the view carries the mark the renderer shows).
    const isCard = (n: Notification): n is BreakGlassNotification => n.kind === 'break-glass' && n.event === 'approval-needed';
    const card = await until(async () => d.state.notifications.find(isCard), (n) => n !== undefined);
    expect(card?.view?.drill).toBe(true);
    expect(card?.audience).toEqual(['bob', 'carol']);

    const decision = await new DecisionsClient(env.client).approve(d.grantId, 'bob', { via: 'cli' });
    expect(decision.roundState).toBe('approved');
    await until(() => drillStatus(d), (s) => s.outcome !== undefined);
    const res = (await d.handle.result()) as FireDrillResult;

    expect(res.outcome).toBe('passed');
    expect(res.evidenceWritten).toBe(true);
    expect(steps(res.status)).toEqual({ 'check policy': 'done', request: 'done', approval: 'done', 'use grant': 'done', revoke: 'done', 'verify revocation': 'done' });
    expect(res.status.probe).toEqual({ accessKeyId: expect.stringMatching(/^ASIADRILL/), callerArn: DRILL_ARN });
    expect(res.status.revocation).toMatchObject({ verified: true, deniedSourceIdentity: 'fire-drill' });
    const { timeToApproveMs, timeToGrantMs, revocationLagMs } = res.status.scores;
    expect(timeToApproveMs).toBeGreaterThan(0);
    expect(timeToApproveMs).toBeLessThanOrEqual(10 * 60_000);
    expect(timeToGrantMs).toBeGreaterThanOrEqual(0);
    expect(timeToGrantMs).toBeLessThanOrEqual(30_000);
    expect(revocationLagMs).toEqual(expect.any(Number));
    expect(res.status.missed).toEqual([]);

    // Used once, exactly as a person would: a lease for the drill identity, AssumeRole with its parameters, the issue reported.
    const assume = d.state.calls.filter((c) => c.activity === 'sts:AssumeRole');
    expect(assume).toEqual([{ activity: 'sts:AssumeRole', input: expect.objectContaining({ RoleArn: 'arn:aws:iam::123456789012:role/BreakGlassDrill', SourceIdentity: 'fire-drill' }) }]);
    const grant = await d.breakGlass.status(d.grantId);
    expect(grant).toMatchObject({ outcome: 'revoked', endReason: 'revoked-by-requester' });
    expect(grant.credentials).toHaveLength(1);
    expect(d.state.calls.find((c) => c.activity === 'checkBreakGlassRequest')?.input).toMatchObject({ parentWorkflowId: d.handle.workflowId });

    const ev = d.state.evidence.find((e) => e.kind === 'break-glass-drill');
    expect(ev?.record).toMatchObject({ drill: 'admin-fire', rehearses: 'BreakGlassAdmin', outcome: 'passed', grantWorkflowId: d.grantId, scores: res.status.scores, targets: { approveWithinMs: 600_000, grantWithinMs: 30_000, revokeWithinMs: 20_000 }, approvals: [expect.objectContaining({ by: 'bob' })] });
    expect(JSON.stringify(ev)).not.toContain('drill-secret');
    // The break-glass request keeps its own evidence too.
    expect(d.state.evidence.some((e) => e.kind === 'break-glass' && e.record['grantId'] === d.grantId)).toBe(true);
  });
});

it('ends unanswered when nobody approves within the answer window: a finding told to security, not a page', async () => {
  await runDrill(async (d) => {
    await pendingGrant(d);
    const res = (await d.handle.result()) as FireDrillResult;
    expect(res.outcome).toBe('unanswered');
    expect(steps(res.status)).toMatchObject({ approval: 'failed', 'use grant': 'skipped', revoke: 'skipped' });
    expect(res.status.scores).toEqual({ timeToApproveMs: null, timeToGrantMs: null, revocationLagMs: null });
    expect(d.state.calls.some((c) => c.activity === 'probeDrillGrant' || c.activity === 'sts:AssumeRole')).toBe(false);
    expect((await d.breakGlass.status(d.grantId)).outcome).toBe('expired-unapproved');
    const drillNotes = d.state.notifications.filter((n) => n.kind === 'break-glass-drill');
    expect(drillNotes.find((n) => n.event === 'unanswered')).toMatchObject({ severity: 'info', audience: ['carol'] });
    expect(drillNotes.some((n) => n.severity === 'page')).toBe(false);
    expect(d.state.evidence.find((e) => e.kind === 'break-glass-drill')?.record).toMatchObject({ outcome: 'unanswered', grantWorkflowId: d.grantId, revocation: null });
  });
});

it('records a denial by an approver as denied, with nothing granted', async () => {
  await runDrill(async (d) => {
    await pendingGrant(d);
    await new DecisionsClient(env.client).deny(d.grantId, 'carol', 'recognised the drill; denying to test the deny path');
    const res = (await d.handle.result()) as FireDrillResult;
    expect(res.outcome).toBe('denied');
    expect(res.status.view.steps.find((s) => s.name === 'approval')?.detail).toMatch(/denied by carol/);
    expect(d.state.calls.some((c) => c.activity === 'verifyGrant')).toBe(false);
  });
});

it('refuses a drill input looser than the policy: nothing is requested, security is paged', async () => {
  const loose = fireDrillInput(policy, 'admin-fire', 'schedule');
  loose.drill.role = { ...loose.drill.role, approvers: ['alice'], quorum: 1 };
  await runDrill(async (d) => {
    const res = (await d.handle.result()) as FireDrillResult;
    expect(res.outcome).toBe('rejected-invalid');
    expect(res.status.grantWorkflowId).toBeUndefined();
    expect(d.state.notifications.some((n) => n.kind === 'break-glass-drill' && n.severity === 'page' && n.event === 'rejected-invalid')).toBe(true);
    await expect(d.breakGlass.status(d.grantId)).rejects.toThrow(/no break-glass request/);
  }, loose);
});

it.each([
  ['not a fire drill', { drill: 42 }, /drill is not a fire drill/],
  ['refused by the payload codec', { __refused: 'no codec key for this payload' }, /refused by the payload codec/],
])('ends a malformed input (%s) as rejected-invalid: evidence written, no break-glass request started', async (_what, malformed, problem) => {
  await runDrill(async (d) => {
    const res = (await d.handle.result()) as FireDrillResult;
    expect(res.outcome).toBe('rejected-invalid');
    expect(res.evidenceWritten).toBe(true);
    expect(res.status.grantWorkflowId).toBeUndefined();
    const ev = d.state.evidence.filter((e) => e.kind === 'break-glass-drill');
    expect(ev).toHaveLength(1);
    expect(ev[0]?.record).toMatchObject({ outcome: 'rejected-invalid', grantWorkflowId: null, revocation: null, problems: expect.arrayContaining([expect.stringMatching(problem)]) });
    // What the real recordEvidence would store: the record fits the kind's schema.
    expect(prepareRecord('break-glass-drill', ev[0]!.record)).toMatchObject({ ok: true });
    expect(d.state.notifications.some((n) => n.kind === 'break-glass-drill' && n.severity === 'page' && n.event === 'rejected-invalid')).toBe(true);
    // Nothing requested: no child, no policy check of one, no credentials.
    expect(d.state.calls.some((c) => ['checkBreakGlassRequest', 'sts:AssumeRole', 'verifyGrant'].includes(c.activity))).toBe(false);
    expect(d.state.evidence.some((e) => e.kind === 'break-glass')).toBe(false);
    await expect(d.breakGlass.status(d.grantId)).rejects.toThrow(/no break-glass request/);
  }, malformed);
});
