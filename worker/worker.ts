// Builds the Safeguard worker from its parts; main.ts (production), the dev stack and the tests all
// call this, so they run the same workflows and activities.
import type { NativeConnection} from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import { AwsClients } from '../activities/aws/clients';
import type { AwsConfig } from '../activities/aws/clients';
import { EvidenceStore } from '../activities/evidence/store';
import { LogNotifier } from '../activities/notify/notifier';
import type { Notifier } from '../activities/notify/notifier';

export interface SafeguardWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  aws: AwsConfig;
  evidenceDir: string;
  logger: Logger;
  notifier?: Notifier;
  /** Every payload is encrypted (DESIGN.md §6.8); see codec/. */
  dataConverter: DataConverter;
}

export const workflowsPath = require.resolve('../workflows');

export async function createSafeguardWorker(opts: SafeguardWorkerOptions): Promise<Worker> {
  const activities = createActivities({
    aws: new AwsClients(opts.aws),
    evidence: new EvidenceStore(opts.evidenceDir),
    notifier: opts.notifier ?? new LogNotifier(opts.logger),
    logger: opts.logger,
  });
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowsPath,
    activities,
    dataConverter: opts.dataConverter,
    // Revocation must not wait behind a queue of slow notifications: keep plenty of slots.
    maxConcurrentActivityTaskExecutions: 200,
  });
}
