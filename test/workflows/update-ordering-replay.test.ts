// Reproduction of the chaos suite's stuck break-glass run (breakglass-BreakGlassReadOnly-a8f9f5df:
// "[TMPRL1100] Nondeterminism error: Update machine does not handle this event: ActivityTaskScheduled").
//
// The mechanism (SDK 1.24.0 / its sdk-core; not our workflow code):
//  1. The worker holding the run on its sticky queue dies (SIGKILL: the server still thinks the
//     sticky queue is alive). An activity of the run then fails, so a workflow task is scheduled on
//     that dead sticky queue, where it waits for its schedule-to-start timeout.
//  2. A status Query sent while no workflow task was pending is dispatched directly (a "legacy"
//     query task): it also waits on the dead sticky queue, falls back to the normal queue after the
//     sticky timeout, and a fresh worker takes it. Its history already has the activity failure, so
//     core replays the run and delivers the failure to the workflow in a NON-replay activation; the
//     workflow reacts (schedules its next activity). Core keeps that command and the run cached.
//  3. The workflow task then reaches the same worker with an Update request. Core activates the
//     cached run with the DoUpdate job alone, and completes the task with [ScheduleActivity (from
//     step 2), Update accepted, Update completed].
//  4. Any later replay (a cache miss, another worker, `safeguard audit replay`) applies the activity
//     failure and the Update in ONE activation, where core sorts the Update first: accepted is the
//     first command, the history's next event is ActivityTaskScheduled → non-determinism, forever.
//
// Runs against the dev server (not the time-skipping one: it needs real sticky queues and direct
// query dispatch) with the tiny workflow in fixtures/update-ordering.workflow.ts; the worker that
// dies runs in its own process (fixtures/sticky-worker.ts) so it can be SIGKILLed.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WorkflowUpdateStage } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { WorkerOptions, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { repoRoot, temporalCli } from '../support/paths';
import { bumpUpdate, bumpsQuery, finishSignal } from './fixtures/update-ordering.workflow';
import type { OrderingActivities } from './fixtures/update-ordering.workflow';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const { EventType, WorkflowTaskFailedCause } = temporal.api.enums.v1;

/** The dead worker's sticky schedule-to-start timeout: also how long the server waits for it to answer a Query. */
const STICKY_MS = 4000;
const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let dir: string;
let bundlePath: string;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporalCli } } });
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures'), logger: quiet });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'update-ordering-'));
  bundlePath = path.join(dir, 'workflows.js');
  fs.writeFileSync(bundlePath, bundle.code);
});
afterAll(async () => {
  await env?.teardown();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Resolves when `pred` holds for the run's history (bounded). */
async function historyUntil(handle: WorkflowHandle, pred: (events: HistoryEvent[]) => boolean, what: string, timeoutMs = 20_000): Promise<History> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const history = await handle.fetchHistory();
    if (pred(history.events ?? [])) return history;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; history: ${summary(history.events ?? [])}`);
    await sleep(100);
  }
}

/** `id:type(cause)` per event, for failure messages. */
function summary(events: HistoryEvent[]): string {
  return events
    .map((e) => {
      const type = EventType[e.eventType ?? 0]?.replace('EVENT_TYPE_', '') ?? String(e.eventType);
      const cause = e.workflowTaskFailedEventAttributes?.cause ?? e.workflowTaskTimedOutEventAttributes?.timeoutType;
      return `${String(e.eventId)}:${type}${cause !== undefined && cause !== null ? `(${cause})` : ''}`;
    })
    .join(' ');
}

const eventIndex = (events: HistoryEvent[], type: temporal.api.enums.v1.EventType): number => events.findIndex((e) => e.eventType === type);

/** The workflow-only worker that will "crash": its own process, SIGKILLed by the test. */
async function startDoomedWorker(taskQueue: string): Promise<ChildProcess> {
  const loader = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', loader, path.join(__dirname, 'fixtures/sticky-worker.ts')], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ORDERING_ADDRESS: env.address, ORDERING_NAMESPACE: env.namespace ?? 'default', ORDERING_TASK_QUEUE: taskQueue, ORDERING_BUNDLE: bundlePath, ORDERING_STICKY_MS: String(STICKY_MS) },
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the sticky worker did not start within 60 s')), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (String(d).includes('running')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the sticky worker exited (${code})`));
    });
  });
  return child;
}

interface Scenario {
  workflowId: string;
  taskQueue: string;
  handle: WorkflowHandle;
  history: History;
  queryAnswer: number;
  updateResult: number;
}

/**
 * The incident's sequence on a fresh task queue. `freshWorker` are the options of the worker that
 * takes over (the one that restarted after the kill). Leaves the run open, with the activity worker stopped.
 */
async function crashQueryUpdate(freshWorker: Partial<WorkerOptions>): Promise<Scenario> {
  const taskQueue = `ordering-${Math.random().toString(16).slice(2, 8)}`;
  const workflowId = `update-ordering-${taskQueue}`;
  let failFlaky!: () => void;
  const flakyMayFail = new Promise<void>((r) => (failFlaky = r));
  const activities: OrderingActivities = {
    async flaky() {
      await flakyMayFail;
      throw ApplicationFailure.nonRetryable('Slack chat.postMessage answered HTTP 500 (injected)');
    },
    async after() {},
  };
  // Activities run in a worker of their own (in the incident: the other worker process).
  const activityWorker = await Worker.create({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue, activities, identity: 'activities' });
  const activityRun = activityWorker.run();
  let doomed: ChildProcess | undefined;
  try {
    doomed = await startDoomedWorker(taskQueue);
    const handle = await env.client.workflow.start('updateOrderingWorkflow', { taskQueue, workflowId, args: [] });
    await historyUntil(handle, (ev) => eventIndex(ev, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) >= 0, 'the first workflow task');
    doomed.kill('SIGKILL');
    await new Promise((r) => (doomed!.exitCode !== null || doomed!.signalCode !== null ? r(undefined) : doomed!.once('exit', r)));

    const fresh = await Worker.create({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue, workflowBundle: bundle, identity: 'fresh-worker', ...freshWorker });
    let queryAnswer = -1;
    let updateResult = -1;
    await fresh.runUntil(async () => {
      // Nothing is pending: the Query goes straight to the dead sticky queue and waits there.
      const query = handle.query(bumpsQuery);
      await sleep(1500);
      // The activity fails: a workflow task is scheduled, on the dead sticky queue too.
      failFlaky();
      await historyUntil(handle, (ev) => eventIndex(ev, EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED) >= 0, 'the activity failure', 5000);
      // The Update is admitted and waits for that workflow task.
      const update = handle.startUpdate(bumpUpdate, { args: ['alice'], waitForStage: WorkflowUpdateStage.ACCEPTED });
      // After STICKY_MS the Query falls back to the normal queue (fresh worker); later the task does.
      queryAnswer = await query;
      updateResult = await (await update).result();
    });
    const history = await historyUntil(handle, (ev) => eventIndex(ev, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED) >= 0, 'the Update');
    return { workflowId, taskQueue, handle, history, queryAnswer, updateResult };
  } finally {
    if (doomed && doomed.exitCode === null && doomed.signalCode === null) doomed.kill('SIGKILL');
    activityWorker.shutdown();
    await activityRun;
  }
}

async function replayError(history: History, workflowId: string): Promise<Error | undefined> {
  try {
    await Worker.runReplayHistory({ workflowBundle: bundle, replayName: 'update-ordering' }, history, workflowId);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

async function terminate(handle: WorkflowHandle): Promise<void> {
  await handle.terminate('test over').catch(() => undefined);
}

describe('an activity failure and an Update in the same workflow task, after a worker crash', () => {
  test('a Query served first by the fresh worker records the reaction before the Update: the history cannot be replayed, nor the closed run queried', async () => {
    const s = await crashQueryUpdate({});
    try {
      const events = s.history.events ?? [];
      // The Query was answered before the Update ran (state at the activity failure)...
      expect(s.queryAnswer).toBe(0);
      expect(s.updateResult).toBe(1);
      // ...the task went to the dead sticky queue first and timed out there (as events 28-29 did)...
      expect(eventIndex(events, EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT)).toBeGreaterThan(eventIndex(events, EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED));
      // ...and the fresh worker's completion put the reaction (the next activity) before the Update.
      const after = events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'after');
      const accepted = eventIndex(events, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
      expect(after).toBeGreaterThan(0);
      expect(after).toBeLessThan(accepted);
      const err = await replayError(s.history, s.workflowId);
      expect(err?.name).toBe('DeterminismViolationError');
      expect(err?.message).toContain(`Update machine does not handle this event: HistoryEvent(id: ${String(events[after]!.eventId)}, ActivityTaskScheduled)`);
      // Closed (an operator terminates it), the run still cannot be queried: the worker replays it to
      // answer and hits the same error. The reconciler reads closed runs through a Query.
      await terminate(s.handle);
      const reader = await Worker.create({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue: s.taskQueue, workflowBundle: bundle, identity: 'reader' });
      await reader.runUntil(async () => {
        await expect(s.handle.query(bumpsQuery)).rejects.toThrow(/Nondeterminism error: Update machine does not handle this event/);
      });
    } finally {
      await terminate(s.handle);
    }
  });

  test('a fresh worker without a workflow cache records the Update first, and the history replays', async () => {
    const s = await crashQueryUpdate({ maxCachedWorkflows: 0 });
    try {
      const events = s.history.events ?? [];
      expect(s.queryAnswer).toBe(0);
      const after = events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'after');
      const accepted = eventIndex(events, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
      expect(accepted).toBeGreaterThan(0);
      expect(accepted).toBeLessThan(after);
      expect(await replayError(s.history, s.workflowId)).toBeUndefined();
    } finally {
      await terminate(s.handle);
    }
  });

  test('not a workaround: workflowFailureErrorTypes cannot fail such a run, and once terminated it cannot be queried', async () => {
    const s = await crashQueryUpdate({});
    try {
      // A worker that would fail the run on non-determinism picks it up (cache miss) and replays it.
      const strict = await Worker.create({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue: s.taskQueue,
        workflowBundle: bundle,
        identity: 'strict-worker',
        workflowFailureErrorTypes: { '*': [], updateOrderingWorkflow: ['NondeterminismError'] },
      });
      await strict.runUntil(async () => {
        await s.handle.signal(finishSignal);
        // Core tries to fail the run, but its completion carries the Update's "complete" protocol
        // command without the message (none is sent while replaying): the server refuses it.
        await historyUntil(
          s.handle,
          (ev) => ev.some((e) => e.workflowTaskFailedEventAttributes?.cause === WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE),
          'the refused completion',
          30_000,
        );
        expect((await s.handle.describe()).status.name).toBe('RUNNING');
        // Terminating it leaves a closed run the reconciler must query (reconcileInfoQuery): the
        // server refuses Queries to a run whose last workflow task failed, and a worker replaying it
        // to answer one hits the same non-determinism.
        await terminate(s.handle);
        const refused = await s.handle.query(bumpsQuery).then(
          () => undefined,
          (err: unknown) => err as Error & { cause?: { details?: string; message?: string } },
        );
        expect(refused).toBeDefined();
        expect(`${refused?.message} ${refused?.cause?.details ?? ''} ${refused?.cause?.message ?? ''}`).toMatch(/Workflow Task in failed state|nondetermin/i);
      });
    } finally {
      await terminate(s.handle);
    }
  });
});
