// The worker process: configuration from the environment (config/env.ts), broker credentials from
// the AWS SDK's default chain (environment, profile, instance role). `npm run worker`.
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/worker';
import { parseEnv } from '../config/env';
import { createLogger } from '../config/logger';
import { connectionOptions, temporalTarget } from '../config/temporal';
import { dataConverterWithCodec } from '../codec';
import { keyRingForProcess } from '../codec/kms-keyring';
import { nodeVersionNotice } from '../config/node-version';
import { createSafeguardWorker } from './worker';
import { evidenceStoreForWriter } from '../evidence/open';
import { loadPolicyFile } from '../config/policy';
import { slackNotifierFromEnv } from '../activities/slack/client';
import { ensureReconcilerSchedule } from './schedules';
import { ensureSearchAttributes } from './search-attributes';
import { connectTemporal } from '../client/temporal';
import { ScheduleClient } from '../client/schedules';
import { createOpsRegistry, workerMetrics } from '../shared/ops/metrics';
import { sdkMetricsReader, startOpsEndpoint } from '../shared/ops/server';
import type { Readiness } from '../shared/ops/server';
import { onShutdownSignals } from '../shared/ops/shutdown';
import { registerFleetGauges, temporalFleetSource } from './fleet-state';
import type { SafeguardWorker } from './worker';

async function main(): Promise<void> {
  const nodeNotice = nodeVersionNotice();
  const env = parseEnv();
  const logger = createLogger('worker', env.LOG_LEVEL);
  if (nodeNotice) logger.warn(nodeNotice);
  Runtime.install({
    // Forward the SDK's own (replay-aware) logs to the same structured logger.
    logger: new DefaultLogger((env.LOG_LEVEL === 'silent' ? 'ERROR' : env.LOG_LEVEL.toUpperCase()) as LogLevel, (entry) => {
      const level = entry.level === 'TRACE' ? 'trace' : (entry.level.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
      logger[level]({ ...entry.meta, sdk: true }, entry.message);
    }),
    // Signals are handled below: readiness must go 503 before the workers stop polling.
    shutdownSignals: [],
    ...(env.TEMPORAL_METRICS_ADDRESS ? { telemetryOptions: { metrics: { prometheus: { bindAddress: env.TEMPORAL_METRICS_ADDRESS } } } } : {}),
  });
  const registry = createOpsRegistry();
  const metrics = workerMetrics(registry);
  let worker: SafeguardWorker | undefined = undefined;
  let stopping = false;
  const readiness = (): Readiness => {
    if (!worker) return { ready: false, reason: 'starting' };
    const state = worker.getState();
    return state === 'RUNNING' ? { ready: true } : { ready: false, reason: `worker ${state.toLowerCase()}` };
  };
  // Up before Temporal is reached, so /healthz answers during start-up and /readyz says why not yet.
  // The SDK's exporter, when on, is appended to /metrics: one scrape target per worker.
  const ops = await startOpsEndpoint(env, { registry, readiness, ...(env.TEMPORAL_METRICS_ADDRESS ? { extraMetrics: sdkMetricsReader(env.TEMPORAL_METRICS_ADDRESS) } : {}) }, logger);
  onShutdownSignals({
    logger,
    onFirst() {
      stopping = true;
      ops?.beginShutdown();
      // Stops polling; in-flight activities get SHUTDOWN_GRACE_MS; run() below then returns.
      if (worker?.getState() === 'RUNNING') worker.shutdown();
      // Still starting: nothing has run yet, so there is nothing to drain.
      else if (!worker) process.exit(0);
    },
  });
  const target = temporalTarget(env);
  // The policy is read (and validated) once at start-up: a bad file stops the worker here.
  const policy = loadPolicyFile(path.resolve(env.SAFEGUARD_POLICY));
  // SLACK_BOT_TOKEN set: events go to Slack (cards, DMs, audit channel); otherwise to the log.
  const slackNotifier = slackNotifierFromEnv(process.env, () => policy, logger);
  const keyring = await keyRingForProcess();
  // Before connecting: a worker without an evidence key must not start (no unkeyed evidence).
  const evidence = await evidenceStoreForWriter(process.env);
  const dataConverter = dataConverterWithCodec(keyring);
  const connection = await NativeConnection.connect(connectionOptions(target));
  const { client, connection: clientConnection } = await connectTemporal(target, keyring);
  // Before any run starts: every run sets Safeguard's search attributes, which must exist.
  const attributes = await ensureSearchAttributes(clientConnection, target.namespace);
  if (attributes.added.length > 0) logger.info({ namespace: target.namespace, added: attributes.added }, 'search attributes added');
  worker = await createSafeguardWorker({
    connection,
    namespace: target.namespace,
    taskQueue: env.SAFEGUARD_TASK_QUEUE,
    aws: { region: env.AWS_REGION, ...(env.SAFEGUARD_AWS_ENDPOINT ? { endpoint: env.SAFEGUARD_AWS_ENDPOINT } : {}) },
    evidence,
    logger,
    ...(slackNotifier ? { notifier: slackNotifier } : {}),
    dataConverter,
    policy: () => policy,
    client,
    revocationTaskQueue: env.SAFEGUARD_REVOCATION_TASK_QUEUE,
    metrics,
  });
  registerFleetGauges(registry, temporalFleetSource(client));
  const reconciler = await ensureReconcilerSchedule(client, env.SAFEGUARD_TASK_QUEUE, env.SAFEGUARD_RECONCILE_INTERVAL);
  // The policy's rotation schedules, brought in line with the policy this worker loaded.
  const schedules = env.SAFEGUARD_SCHEDULE_SYNC === 'on' ? await new ScheduleClient(client, env.SAFEGUARD_TASK_QUEUE).sync(policy) : [];
  for (const c of schedules) if (c.change !== 'unchanged') logger.info({ scheduleId: c.scheduleId, change: c.change }, 'rotation schedule synced');
  logger.info({ taskQueue: env.SAFEGUARD_TASK_QUEUE, temporal: target.address, notifier: slackNotifier ? 'slack' : 'log', reconciler, reconcileEvery: env.SAFEGUARD_RECONCILE_INTERVAL, schedules: schedules.length }, 'worker started');
  // A signal during the last start-up steps: do not start polling only to stop again.
  if (!stopping) await worker.run();
  logger.info('worker stopped; closing connections');
  await clientConnection.close();
  await connection.close();
  await ops?.close();
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`safeguard worker: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
