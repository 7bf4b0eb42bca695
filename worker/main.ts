// The worker process: configuration from the environment (config/env.ts), broker credentials from
// the AWS SDK's default chain (environment, profile, instance role). `npm run worker`.
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/worker';
import { parseEnv } from '../config/env';
import { createLogger } from '../config/logger';
import { connectionOptions, temporalTarget } from '../config/temporal';
import { dataConverterWithCodec, keyRingFromEnv } from '../codec';
import { createSafeguardWorker } from './worker';
import { loadPolicyFile } from '../config/policy';
import { slackNotifierFromEnv } from '../activities/slack/client';
import { ensureReconcilerSchedule } from './schedules';
import { ensureSearchAttributes } from './search-attributes';
import { connectTemporal } from '../client/temporal';
import { ScheduleClient } from '../client/schedules';

async function main(): Promise<void> {
  const env = parseEnv();
  const logger = createLogger('worker', env.LOG_LEVEL);
  // Forward the SDK's own (replay-aware) logs to the same structured logger.
  Runtime.install({
    logger: new DefaultLogger((env.LOG_LEVEL === 'silent' ? 'ERROR' : env.LOG_LEVEL.toUpperCase()) as LogLevel, (entry) => {
      const level = entry.level === 'TRACE' ? 'trace' : (entry.level.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
      logger[level]({ ...entry.meta, sdk: true }, entry.message);
    }),
  });
  const target = temporalTarget(env);
  // The policy is read (and validated) once at start-up: a bad file stops the worker here.
  const policy = loadPolicyFile(path.resolve(env.SAFEGUARD_POLICY));
  // SLACK_BOT_TOKEN set: events go to Slack (cards, DMs, audit channel); otherwise to the log.
  const slackNotifier = slackNotifierFromEnv(process.env, () => policy, logger);
  const keyring = keyRingFromEnv();
  const dataConverter = dataConverterWithCodec(keyring);
  const connection = await NativeConnection.connect(connectionOptions(target));
  const { client, connection: clientConnection } = await connectTemporal(target, keyring);
  // Before any run starts: every run sets Safeguard's search attributes, which must exist.
  const attributes = await ensureSearchAttributes(clientConnection, target.namespace);
  if (attributes.added.length > 0) logger.info({ namespace: target.namespace, added: attributes.added }, 'search attributes added');
  const worker = await createSafeguardWorker({
    connection,
    namespace: target.namespace,
    taskQueue: env.SAFEGUARD_TASK_QUEUE,
    aws: { region: env.AWS_REGION, ...(env.SAFEGUARD_AWS_ENDPOINT ? { endpoint: env.SAFEGUARD_AWS_ENDPOINT } : {}) },
    evidenceDir: env.SAFEGUARD_EVIDENCE_DIR ?? path.join(env.SAFEGUARD_DATA_DIR, 'evidence'),
    logger,
    ...(slackNotifier ? { notifier: slackNotifier } : {}),
    dataConverter,
    policy: () => policy,
    client,
    revocationTaskQueue: env.SAFEGUARD_REVOCATION_TASK_QUEUE,
  });
  const reconciler = await ensureReconcilerSchedule(client, env.SAFEGUARD_TASK_QUEUE, env.SAFEGUARD_RECONCILE_INTERVAL);
  // The policy's rotation schedules, brought in line with the policy this worker loaded.
  const schedules = env.SAFEGUARD_SCHEDULE_SYNC === 'on' ? await new ScheduleClient(client, env.SAFEGUARD_TASK_QUEUE).sync(policy) : [];
  for (const c of schedules) if (c.change !== 'unchanged') logger.info({ scheduleId: c.scheduleId, change: c.change }, 'rotation schedule synced');
  logger.info({ taskQueue: env.SAFEGUARD_TASK_QUEUE, temporal: target.address, notifier: slackNotifier ? 'slack' : 'log', reconciler, reconcileEvery: env.SAFEGUARD_RECONCILE_INTERVAL, schedules: schedules.length }, 'worker started');
  await worker.run();
  await clientConnection.close();
  await connection.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`safeguard worker: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
