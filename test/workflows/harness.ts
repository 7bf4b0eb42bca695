// Shared helpers for the workflow tier (not a test file: jest only picks up *.test.ts). Each test
// file starts one time-skipping env; every test gets its own task queue, worker and workflow id.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { statusQuery } from '../../workflows/break-glass/definitions';
import type { BreakGlassInput, BreakGlassResult, BreakGlassStatus } from '../../workflows/break-glass/definitions';
import { fakeActivities } from '../support/fake-activities';
import type { FakeAws } from '../support/fake-activities';
import { createTestWorker } from '../support/time-skipping';

export const MIN = 60_000;

export interface Run {
  handle: WorkflowHandle;
  input: BreakGlassInput;
  state: FakeAws;
  taskQueue: string;
}

/**
 * Starts a worker on a fresh task queue with fresh fake activities, starts the break-glass workflow
 * and runs `fn` while the worker is up. The abandoned cleanup child (a 61-minute timer) is
 * terminated afterwards so it does not outlive the test.
 */
export async function runBreakGlass<T>(
  env: TestWorkflowEnvironment,
  input: BreakGlassInput,
  fn: (run: Run) => Promise<T>,
  prepare?: (state: FakeAws) => void,
): Promise<T> {
  const { activities, state } = fakeActivities();
  prepare?.(state);
  const taskQueue = `tq-${input.grantId}-${Math.random().toString(16).slice(2, 8)}`;
  const worker = await createTestWorker(env, taskQueue, activities);
  try {
    return await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('breakGlassWorkflow', { taskQueue, workflowId: input.grantId, args: [input] });
      return fn({ handle, input, state, taskQueue });
    });
  } finally {
    await terminateLeftovers(env, input.grantId);
    await healTimeSkipping(env);
  }
}

/**
 * Terminates the workflow and its cleanup child if still running. A workflow left open on a task
 * queue whose worker is gone would get timer-fired workflow tasks nobody completes, and the
 * time-skipping server stops skipping while a workflow task is outstanding: later tests would hang.
 */
export async function terminateLeftovers(env: TestWorkflowEnvironment, workflowId: string): Promise<void> {
  for (const id of [workflowId, `${workflowId}-cleanup`]) {
    await env.client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  }
}

/**
 * Works around a time-skipping test server bug (seen with @temporalio/testing 1.24.0): when a
 * workflow task completion is refused (e.g. "Expired workflow task" around a workflow's completion
 * or termination) the server keeps the time-skipping lock it took for that task, and every later
 * handle.result() / env.sleep() in the file waits in real time. If a 10-minute skip does not return
 * promptly, the leaked lock is released. Never unlocks when nothing leaked, so time still stands
 * still while a test polls or waits on an Update. (The probe skips 10 virtual minutes: harmless
 * between tests, and longer than the real-time wait, so it cannot pass without skipping.)
 */
export async function healTimeSkipping(env: TestWorkflowEnvironment): Promise<void> {
  const within = async (p: Promise<boolean>, ms: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([p, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
    } finally {
      clearTimeout(timer);
    }
  };
  for (let i = 0; i < 3; i++) {
    const probe = env.sleep(10 * MIN).then(() => true);
    if (await within(probe, 1500)) return;
    await env.connection.testService?.unlockTimeSkipping({});
    await within(probe, 1500);
  }
}

export async function resultOf(handle: WorkflowHandle): Promise<BreakGlassResult> {
  return (await handle.result()) as BreakGlassResult;
}

/** Polls the status Query until `pred` holds (real time; the server does not skip while we poll). */
export async function waitForStatus(handle: WorkflowHandle, pred: (s: BreakGlassStatus) => boolean, timeoutMs = 15_000): Promise<BreakGlassStatus> {
  const until = Date.now() + timeoutMs;
  let last: BreakGlassStatus | undefined;
  while (Date.now() < until) {
    last = await handle.query(statusQuery);
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`status never matched; last: ${JSON.stringify(last && { phase: last.phase, approval: last.approval?.state, timeline: last.timeline.map((e) => e.event) })}`);
}

export const waitActive = (handle: WorkflowHandle): Promise<BreakGlassStatus> => waitForStatus(handle, (s) => s.phase === 'active');

/** Asserts an Update was rejected (by its validator) with an ApplicationFailure of this type. */
export async function expectRefused(p: Promise<unknown>, type: string): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  if (caught === undefined) throw new Error(`expected the Update to be refused with ${type}, but it was accepted`);
  expect(caught).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (caught as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe(type);
}

export const activityCalls = (state: FakeAws, name: string): number => state.calls.filter((c) => c.activity === name).length;
export const notificationEvents = (state: FakeAws): string[] => state.notifications.map((n) => n.event);
export const timelineEvents = (s: BreakGlassStatus): string[] => s.timeline.map((e) => e.event);
