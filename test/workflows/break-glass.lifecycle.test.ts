// Approval gate rules, as seen through the breakGlass workflow's Updates (DESIGN.md §5, §6.2).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { approveUpdate, denyUpdate, statusQuery } from '../../workflows/break-glass/definitions';
import type { BreakGlassResult } from '../../workflows/break-glass/definitions';
import { breakGlassInput } from '../support/break-glass-input';
import { fakeActivities } from '../support/fake-activities';
import { createTestWorker, startTimeSkipping } from '../support/time-skipping';
import { MIN, activityCalls, healTimeSkipping, terminateLeftovers, expectRefused, notificationEvents, resultOf, runBreakGlass, timelineEvents, waitActive } from './harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

async function withWorker<T>(activities: object, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `tq-${Math.random().toString(16).slice(2)}`;
  const worker: Worker = await createTestWorker(env, taskQueue, activities);
  return worker.runUntil(fn(taskQueue));
}

async function withWorkerOn<T>(taskQueue: string, activities: object, fn: () => Promise<T>): Promise<T> {
  const worker: Worker = await createTestWorker(env, taskQueue, activities);
  return worker.runUntil(fn());
}

test('an approved grant expires and is revoked with a verified receipt', async () => {
  const { activities, state } = fakeActivities();
  const input = breakGlassInput();
  const result = await withWorker(activities, async (taskQueue) => {
    const handle = await env.client.workflow.start('breakGlassWorkflow', { taskQueue, workflowId: input.grantId, args: [input] });
    const approved = await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
    expect(approved.decided).toBe(true);
    const status = await handle.query(statusQuery);
    expect(['pending', 'active']).toContain(status.phase);
    const res = (await handle.result()) as BreakGlassResult;
    await terminateLeftovers(env, input.grantId);
    return res;
  });
  await healTimeSkipping(env);
  expect(result.status.outcome).toBe('revoked');
  expect(result.status.endReason).toBe('expired');
  expect(result.status.revocation?.verified).toBe(true);
  expect(state.evidence).toHaveLength(1);
});

test('the requester can never approve their own request, and the state does not change', async () => {
  const input = breakGlassInput();
  await runBreakGlass(env, input, async ({ handle, state }) => {
    await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice', round: 'grant' }] }), 'SelfApproval');
    // ...nor deny it (the requester withdraws by revoking instead).
    await expectRefused(handle.executeUpdate(denyUpdate, { args: [{ approver: 'alice', round: 'grant', reason: 'changed my mind' }] }), 'SelfApproval');
    const status = await handle.query(statusQuery);
    expect(status.phase).toBe('pending');
    expect(status.approval?.state).toBe('open');
    expect(status.approval?.approvals).toEqual([]);
    expect(status.approval?.eligible).not.toContain('alice');
    expect(timelineEvents(status)).toEqual(['requested']);
    expect(activityCalls(state, 'verifyGrant')).toBe(0);
    await handle.terminate('test over');
  });
});

test('the requester cannot approve even when they are in the approver pool', async () => {
  const input = breakGlassInput({ role: { approvers: ['alice', 'bob'] } });
  await runBreakGlass(env, input, async ({ handle }) => {
    await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice', round: 'grant' }] }), 'SelfApproval');
    const status = await handle.query(statusQuery);
    expect(status.approval?.approvals).toEqual([]);
    expect(status.approval?.eligible).toEqual(['bob']);
    await handle.terminate('test over');
  });
});

test('decisions that arrive with the first workflow task are judged against the open round', async () => {
  // The workflow is started while no worker polls, so the Updates are delivered together with the
  // start: setHandler dispatches them before the workflow body has run any further.
  const input = breakGlassInput({ role: { quorum: 2 } });
  const taskQueue = `tq-first-${input.grantId}`;
  const handle = await env.client.workflow.start('breakGlassWorkflow', { taskQueue, workflowId: input.grantId, args: [input] });
  const self = handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice', round: 'grant' }] }).catch((err: unknown) => err);
  const bob = handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
  await new Promise((r) => setTimeout(r, 1000));
  const { activities } = fakeActivities();
  try {
    await withWorkerOn(taskQueue, activities, async () => {
      const selfErr = await self;
      await expectRefused(Promise.reject(selfErr), 'SelfApproval');
      expect(await bob).toMatchObject({ accepted: true, duplicate: false, approvals: 1, quorum: 2, decided: false });
      const status = await handle.query(statusQuery);
      expect(status.phase).toBe('pending');
      expect(status.approval?.approvals.map((a) => a.by)).toEqual(['bob']);
      // Proof the path under test was taken: the Updates were accepted by the very first workflow task.
      const events = (await handle.fetchHistory()).events ?? [];
      const firstAccepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes != null);
      const tasksBefore = events.slice(0, firstAccepted).filter((e) => e.workflowTaskCompletedEventAttributes != null);
      expect(firstAccepted).toBeGreaterThan(0);
      expect(tasksBefore).toHaveLength(1);
    });
  } finally {
    await terminateLeftovers(env, input.grantId);
    await healTimeSkipping(env);
  }
});

test('a person outside the approver pool is refused', async () => {
  const input = breakGlassInput();
  await runBreakGlass(env, input, async ({ handle }) => {
    await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'dave', round: 'grant' }] }), 'NotAnApprover');
    await expectRefused(handle.executeUpdate(denyUpdate, { args: [{ approver: 'dave', round: 'grant', reason: 'not on my watch' }] }), 'NotAnApprover');
    const status = await handle.query(statusQuery);
    expect(status.phase).toBe('pending');
    expect(status.approval?.approvals).toEqual([]);
    await handle.terminate('test over');
  });
});

test('quorum 2-of-3: one approval leaves it pending, a repeat by the same person does not count, a second person grants', async () => {
  const input = breakGlassInput({ role: { quorum: 2, approvers: ['bob', 'carol', 'erin'] } });
  await runBreakGlass(env, input, async ({ handle, state }) => {
    const first = await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant', comment: 'ok' }] });
    expect(first).toMatchObject({ accepted: true, duplicate: false, approvals: 1, quorum: 2, decided: false });
    // A repeat is refused by the validator, so it leaves no trace in the history (clients report it as a duplicate).
    await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] }), 'AlreadyDecided');
    let status = await handle.query(statusQuery);
    expect(status.phase).toBe('pending');
    expect(status.approval?.state).toBe('open');
    expect(status.approval?.approvals.map((a) => a.by)).toEqual(['bob']);
    expect(timelineEvents(status).filter((e) => e === 'grant-approved')).toHaveLength(1);
    expect(activityCalls(state, 'verifyGrant')).toBe(0);

    const second = await handle.executeUpdate(approveUpdate, { args: [{ approver: 'erin', round: 'grant' }] });
    expect(second).toMatchObject({ duplicate: false, approvals: 2, quorum: 2, decided: true });
    status = await waitActive(handle);
    expect(status.approval?.state).toBe('approved');
    expect(status.approval?.approvals.map((a) => a.by)).toEqual(['bob', 'erin']);
    expect(activityCalls(state, 'verifyGrant')).toBe(1);

    // A late click after the decision changes nothing, and neither does a third approver.
    await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'erin', round: 'grant' }] }), 'AlreadyDecided');
    await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'carol', round: 'grant' }] }), 'NoDecisionPending');
    await handle.terminate('test over');
  });
});

test('deny needs a reason, ends the request as denied and grants nothing', async () => {
  const input = breakGlassInput();
  const result = await runBreakGlass(env, input, async ({ handle, state }) => {
    await expectRefused(handle.executeUpdate(denyUpdate, { args: [{ approver: 'bob', round: 'grant', reason: '' }] }), 'ReasonRequired');
    await expectRefused(handle.executeUpdate(denyUpdate, { args: [{ approver: 'bob', round: 'grant', reason: '  x  ' }] }), 'ReasonRequired');
    const status = await handle.query(statusQuery);
    expect(status.phase).toBe('pending');
    expect(status.approval?.denial).toBeUndefined();

    const denied = await handle.executeUpdate(denyUpdate, { args: [{ approver: 'bob', round: 'grant', reason: 'use the runbook instead' }] });
    expect(denied).toMatchObject({ accepted: true, decided: true });
    const res = await resultOf(handle);
    expect(activityCalls(state, 'verifyGrant')).toBe(0);
    expect(activityCalls(state, 'submitRevocationCutoff')).toBe(0);
    expect(notificationEvents(state)).toContain('denied');
    expect(state.evidence).toHaveLength(1);
    expect(state.evidence[0]?.record).toMatchObject({ outcome: 'denied' });
    return res;
  });
  expect(result.status.outcome).toBe('denied');
  expect(result.status.phase).toBe('ended');
  expect(result.status.grantedAt).toBeUndefined();
  expect(result.status.approval?.denial).toMatchObject({ by: 'bob', reason: 'use the runbook instead' });
});

test('a pending request expires unapproved after the approval timeout, with reminders first', async () => {
  const input = breakGlassInput({ role: { approvalTimeoutMs: 15 * MIN, reminderIntervalMs: 5 * MIN } });
  const result = await runBreakGlass(env, input, async ({ handle, state }) => {
    const res = await resultOf(handle);
    const events = notificationEvents(state);
    expect(events.filter((e) => e === 'approval-reminder')).toHaveLength(2);
    expect(events.indexOf('approval-reminder')).toBeGreaterThan(events.indexOf('approval-needed'));
    expect(events.lastIndexOf('approval-reminder')).toBeLessThan(events.indexOf('approval-expired'));
    expect(activityCalls(state, 'verifyGrant')).toBe(0);
    expect(activityCalls(state, 'submitRevocationCutoff')).toBe(0);
    return res;
  });
  expect(result.status.outcome).toBe('expired-unapproved');
  expect(result.status.approval?.state).toBe('expired');
  expect(result.status.grantedAt).toBeUndefined();
  const elapsed = Date.parse(result.status.actualEndAt ?? '') - Date.parse(result.status.requestedAt);
  expect(elapsed).toBeGreaterThanOrEqual(15 * MIN);
  expect(elapsed).toBeLessThan(16 * MIN);
});

test('a deny after the request was approved is refused and the grant stays active', async () => {
  const input = breakGlassInput();
  await runBreakGlass(env, input, async ({ handle }) => {
    await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
    await expectRefused(handle.executeUpdate(denyUpdate, { args: [{ approver: 'carol', round: 'grant', reason: 'too late, but no' }] }), 'NoDecisionPending');
    const status = await waitActive(handle);
    expect(status.approval?.state).toBe('approved');
    expect(status.approval?.denial).toBeUndefined();
    await expectRefused(handle.executeUpdate(denyUpdate, { args: [{ approver: 'erin', round: 'grant', reason: 'still no, really' }] }), 'NoDecisionPending');
    expect((await handle.query(statusQuery)).phase).toBe('active');
    await handle.terminate('test over');
  });
});
