// Builds the Safeguard worker from its parts; main.ts (production), the dev stack and the tests all
// call this, so they run the same workflows and activities.
import type { NativeConnection, State } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { Policy } from '../config/policy/types';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import { AwsClients } from '../activities/aws/clients';
import type { AwsConfig } from '../activities/aws/clients';
import type { EvidenceStore } from '../evidence/store';
import { buildWorkflowBundle } from './workflow-bundle';
import { LogNotifier } from '../activities/notify/notifier';
import type { Notifier } from '../activities/notify/notifier';
import type { WorkerMetrics } from '../shared/ops/metrics';

export interface SafeguardWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  aws: AwsConfig;
  /** Keyed and anchored (evidence/open.ts). */
  evidence: EvidenceStore;
  logger: Logger;
  notifier?: Notifier;
  /** Every payload is encrypted (DESIGN.md §6.8); see codec/. */
  dataConverter: DataConverter;
  /** The worker's policy: running workflows' inputs are checked against it. */
  policy: () => Policy;
  /** A client (with the same codec) for activities that drive other workflows. */
  client: Client;
  /** The deployment's shared queue for the role deny-policy writers (every worker polls it). */
  revocationTaskQueue: string;
  /** The process's metrics, observed in activities (shared/ops/metrics.ts). */
  metrics?: WorkerMetrics;
}

/**
 * How long shutdown waits for in-flight activities before cancelling them, so Temporal retries them
 * on another worker: long enough for a revocation's IAM write and verification (≤ ~3 s of reads) and
 * a notification (10 s timeout); long waits (a drill's restore) heartbeat and end on the cancel. Well
 * under the 30 s container platforms allow between SIGTERM and SIGKILL, leaving time to close connections.
 */
export const SHUTDOWN_GRACE_MS = 10_000;

export { workflowsPath } from './workflows-path';

/** The worker process's Temporal workers: its own task queue, and the shared revocation queue. */
export interface SafeguardWorker {
  run(): Promise<void>;
  shutdown(): void;
  /** RUNNING only while every queue's worker is running (polling); otherwise the first other state. */
  getState(): State;
}

/**
 * Every worker polls two task queues: its own, and the deployment's shared revocation queue, where
 * the per-role deny-policy writers live. A writer must outlive whichever worker started it (a
 * second worker group, a worker on a temporary queue), so it is never tied to one worker's queue.
 */
export async function createSafeguardWorker(opts: SafeguardWorkerOptions): Promise<SafeguardWorker> {
  const activities = createActivities({
    aws: new AwsClients(opts.aws),
    evidence: opts.evidence,
    notifier: opts.notifier ?? new LogNotifier(opts.logger),
    logger: opts.logger,
    policy: opts.policy,
    temporal: { client: opts.client, taskQueue: opts.taskQueue, revocationTaskQueue: opts.revocationTaskQueue },
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  const bundle = await buildWorkflowBundle();
  const workflowBundle = { codePath: bundle.codePath };
  const create = (taskQueue: string) =>
    Worker.create({
      connection: opts.connection,
      namespace: opts.namespace,
      taskQueue,
      workflowBundle,
      activities,
      dataConverter: opts.dataConverter,
      // Revocation must not wait behind a queue of slow notifications: keep plenty of slots.
      maxConcurrentActivityTaskExecutions: 200,
      shutdownGraceTime: SHUTDOWN_GRACE_MS,
      // The SDK's default workflow cache. Without one (maxCachedWorkflows: 0) the SDK 1.24 Query/Update
      // ordering bug `npm run chaos` found cannot happen (test/workflows/update-ordering-replay.test.ts),
      // but every task then replays its run, core drops buffered tasks on each eviction, and under load
      // runs wait on workflow-task timeouts: the integration tier timed out. Until the SDK is fixed, a
      // run stuck that way is ended by an operator and revoked by the reconciler from its history
      // (docs/decisions.md, "The workflow cache stays").
    });
  const queues = [...new Set([opts.taskQueue, opts.revocationTaskQueue])];
  // Each worker reads the file when it is created; nothing needs it after.
  const workers = await Promise.all(queues.map(create)).finally(() => bundle.dispose());
  return {
    async run() {
      // If one stops (shutdown, or a fatal error), stop the others too, then report the first error.
      const results = await Promise.allSettled(workers.map((w) => w.run().finally(() => workers.forEach((o) => o !== w && o.getState() === 'RUNNING' && o.shutdown()))));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
    getState() {
      return workers.map((w) => w.getState()).find((s) => s !== 'RUNNING') ?? 'RUNNING';
    },
  };
}
