// The access-key rotation workflow's branches that the integration tier does not reach cheaply,
// on the time-skipping server with an in-memory IAM + key store: a key not due yet, a new key that
// never works (rollback), the delete decision denied or never made, and a cancel after the old key
// was deactivated (it comes back). The happy path, stuck and missed consumers, the 2-key limit and a
// worker crash run against the sandbox in test/integration/rotation.test.ts.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { denyUpdate } from '../../workflows/shared/approval/definitions';
import { rotationStatusQuery } from '../../workflows/key-rotation/definitions';
import type { AccessKeyRotationInput, RotationResult, RotationStatus } from '../../workflows/key-rotation/definitions';
import { createTestWorker, startTimeSkipping } from '../support/time-skipping';
import { fakeRotation } from '../support/fake-rotation';
import type { FakeIam } from '../support/fake-rotation';
import { expectRefused, healTimeSkipping, terminateLeftovers } from './harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

const DAY = 86_400_000;

function input(over: Partial<AccessKeyRotationInput['target']> = {}, force = true): AccessKeyRotationInput {
  return {
    requestedBy: 'carol',
    security: ['sam'],
    force,
    pollIntervalMs: 1000,
    target: {
      accountId: '123456789012',
      executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecution',
      externalId: 'x',
      name: 'svc',
      userName: 'svc-user',
      store: { type: 'ssm-parameter', name: '/p' },
      maxAgeMs: 90 * DAY,
      gracePeriodMs: 5_000,
      switchTimeoutMs: 60_000,
      observePeriodMs: 5_000,
      ...over,
    },
  };
}

async function run<T>(inp: AccessKeyRotationInput, fn: (h: Awaited<ReturnType<typeof env.client.workflow.start>>, s: FakeIam) => Promise<T>, opts: { createdAt?: string; prepare?: (s: FakeIam) => void } = {}): Promise<T> {
  const { activities, state } = fakeRotation(opts.createdAt ?? '2020-01-01T00:00:00.000Z');
  opts.prepare?.(state);
  const id = `rotate-key-svc-${Math.random().toString(16).slice(2, 10)}`;
  const taskQueue = `tq-${id}`;
  const worker = await createTestWorker(env, taskQueue, activities);
  try {
    return await worker.runUntil(async () => fn(await env.client.workflow.start('accessKeyRotationWorkflow', { taskQueue, workflowId: id, args: [inp] }), state));
  } finally {
    await terminateLeftovers(env, id);
    await healTimeSkipping(env);
  }
}

async function waitFor(h: { query: (q: typeof rotationStatusQuery) => Promise<RotationStatus> }, pred: (s: RotationStatus) => boolean): Promise<RotationStatus> {
  const until = Date.now() + 15_000;
  for (;;) {
    const st = await h.query(rotationStatusQuery);
    if (pred(st)) return st;
    if (Date.now() > until) throw new Error(`status never matched: ${JSON.stringify(st.view.steps)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a key younger than maxAge is not rotated unless forced', async () => {
  const res = await run(input({}, false), async (h) => (await h.result()) as RotationResult, { createdAt: new Date().toISOString() });
  expect(res.outcome).toBe('not-due');
  expect(res.status.newAccessKeyId).toBeUndefined();
});

test('a new key that never works is rolled back: store restored, new key deleted, security paged', async () => {
  const { res, state } = await run(input(), async (h, s) => ({ res: (await h.result()) as RotationResult, state: s }), { prepare: (s) => (s.verifyFails = true) });
  expect(res.outcome).toBe('rolled-back');
  expect(state.calls).toEqual(expect.arrayContaining(['restorePreviousStoredKey', 'deleteAccessKey:AKIANEW']));
  expect(state.calls).not.toContain('setAccessKeyStatus:AKIAOLD:Inactive');
  expect(state.keys.map((k) => k.accessKeyId)).toEqual(['AKIAOLD']);
  expect(state.stored).toBe('AKIAOLD');
  expect(state.notifications).toContainEqual({ event: 'rolled-back', severity: 'page' });
});

test('a denied delete keeps the old key, inactive; the requester cannot decide', async () => {
  const inp = input({ deleteApproval: { eligible: ['carol', 'bob'], quorum: 1, timeoutMs: 60 * 60_000 } });
  const { res, state } = await run(inp, async (h, s) => {
    await waitFor(h, (st) => st.rounds.some((r) => r.state === 'open'));
    await expectRefused(h.executeUpdate(denyUpdate, { args: [{ approver: 'carol', round: 'delete-old-key', reason: 'not mine to decide' }] }), 'SelfApproval');
    await expectRefused(h.executeUpdate(denyUpdate, { args: [{ approver: 'bob', reason: 'no round named' }] }), 'RoundRequired');
    // What an Update sent without the codec key arrives as (the codec's refusal marker).
    await expectRefused(h.executeUpdate(denyUpdate, { args: [{ __refused: 'unencrypted payload' } as never] }), 'MalformedRequest');
    await h.executeUpdate(denyUpdate, { args: [{ approver: 'bob', round: 'delete-old-key', reason: 'a batch job still needs it' }] });
    return { res: (await h.result()) as RotationResult, state: s };
  });
  expect(res.outcome).toBe('old-key-kept');
  expect(state.keys).toEqual(expect.arrayContaining([expect.objectContaining({ accessKeyId: 'AKIAOLD', status: 'Inactive' })]));
  expect(state.calls).not.toContain('deleteAccessKey:AKIAOLD');
  expect(res.status.rounds[0]).toMatchObject({ state: 'denied', denial: { by: 'bob', reason: 'a batch job still needs it' } });
});

test('nobody deciding by the deadline pages security and keeps the old key inactive', async () => {
  const inp = input({ deleteApproval: { eligible: ['bob'], quorum: 1, timeoutMs: 30 * 60_000 } });
  const { res, state } = await run(inp, async (h, s) => ({ res: (await h.result()) as RotationResult, state: s }));
  expect(res.outcome).toBe('delete-not-approved');
  expect(state.notifications).toContainEqual({ event: 'delete-approval-expired', severity: 'page' });
  expect(state.notifications.map((n) => n.event)).toContain('delete-approval-reminder');
  expect(state.keys.find((k) => k.accessKeyId === 'AKIAOLD')?.status).toBe('Inactive');
});

test('cancelled after the old key was deactivated: the old key is made active again', async () => {
  const inp = input({ deleteApproval: { eligible: ['bob'], quorum: 1, timeoutMs: 60 * 60_000 } });
  const { res, state } = await run(inp, async (h, s) => {
    await waitFor(h, (st) => st.rounds.some((r) => r.state === 'open'));
    await h.cancel();
    return { res: (await h.result()) as RotationResult, state: s };
  });
  expect(res.outcome).toBe('cancelled');
  expect(state.calls).toContain('setAccessKeyStatus:AKIAOLD:Active');
  expect(state.keys.map((k) => k.status)).toEqual(['Active', 'Active']);
  expect(res.status.timeline.map((e) => e.event)).toContain('reactivated-old-key');
  expect(state.calls.filter((c) => c === 'recordEvidence')).toHaveLength(1);
});

test.each([
  ['accessKeyRotationWorkflow', { __refused: 'unencrypted payload' }, /refused by the payload codec/],
  ['accessKeyRotationWorkflow', { ...input(), target: { ...input().target, userName: 42, store: { type: 'ftp' } } }, /target\.userName is not text; target\.store is not a key store/],
  ['kmsRotationWorkflow', { __refused: 'unencrypted payload' }, /refused by the payload codec/],
  ['kmsRotationWorkflow', 'just a string', /not an object/],
])('%s with a forged or malformed input ends as rejected-invalid, touching nothing, paging, with evidence', async (type, forged, problem) => {
  const { activities, state } = fakeRotation('2020-01-01T00:00:00.000Z');
  const id = `rotate-key-forged-${Math.random().toString(16).slice(2, 10)}`;
  const taskQueue = `tq-${id}`;
  const worker = await createTestWorker(env, taskQueue, activities);
  try {
    const res = (await worker.runUntil(async () => (await env.client.workflow.start(type, { taskQueue, workflowId: id, args: [forged] })).result())) as RotationResult;
    expect(res.outcome).toBe('rejected-invalid');
    expect(res.status.timeline.find((e) => e.event === 'rejected-invalid')?.detail).toMatch(problem);
    expect(state.calls).toEqual(['recordEvidence']);
    expect(state.notifications).toContainEqual({ event: 'rejected-invalid', severity: 'page' });
    expect(res.evidenceWritten).toBe(true);
  } finally {
    await terminateLeftovers(env, id);
    await healTimeSkipping(env);
  }
});
