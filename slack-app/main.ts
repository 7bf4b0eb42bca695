// `npm run slack-app`: the Bolt app as its own process. Temporal, policy and codec settings come
// from the same environment as the worker (config/env.ts); Slack settings from slack-app/config.ts.
import path from 'node:path';
import { DecisionsClient } from '../client/decisions-client';
import { BreakGlassClient } from '../client/break-glass-client';
import { ReviewClient } from '../client/review-client';
import { RunbookClient } from '../client/runbook-client';
import { keyRingForProcess } from '../codec/kms-keyring';
import { nodeVersionNotice } from '../config/node-version';
import { parseEnv } from '../config/env';
import { createLogger } from '../config/logger';
import { loadPolicyFile } from '../config/policy';
import { temporalTarget } from '../config/temporal';
import { createSlackApp } from './app';
import { parseSlackAppEnv } from './config';
import { connectTemporal } from '../client/temporal';
import { createOpsRegistry, slackMetrics } from '../shared/ops/metrics';
import { startOpsEndpoint } from '../shared/ops/server';
import type { Readiness } from '../shared/ops/server';
import { temporalReadiness } from '../shared/ops/readiness';
import { onShutdownSignals } from '../shared/ops/shutdown';

/** How long in-flight events (an ack, then the Update or start it triggered) may take once shutdown began. */
const DRAIN_MS = 10_000;

async function main(): Promise<void> {
  const nodeNotice = nodeVersionNotice();
  const env = parseEnv();
  const slack = parseSlackAppEnv();
  const logger = createLogger('slack-app', env.LOG_LEVEL);
  if (nodeNotice) logger.warn(nodeNotice);
  const policy = loadPolicyFile(path.resolve(env.SAFEGUARD_POLICY));
  const target = temporalTarget(env);
  const registry = createOpsRegistry();
  let ready: (() => Promise<Readiness>) | undefined = undefined;
  // Up before Temporal is reached, so /healthz answers during start-up and /readyz says why not yet.
  const ops = await startOpsEndpoint(env, { registry, readiness: () => ready?.() ?? { ready: false, reason: 'starting' } }, logger);
  const { client: temporal, connection } = await connectTemporal(target, await keyRingForProcess());
  const app = createSlackApp(
    {
      botToken: slack.SLACK_BOT_TOKEN,
      ...(slack.SLACK_SIGNING_SECRET ? { signingSecret: slack.SLACK_SIGNING_SECRET } : {}),
      ...(slack.SLACK_APP_TOKEN ? { appToken: slack.SLACK_APP_TOKEN } : {}),
      ...(slack.SLACK_API_URL ? { slackApiUrl: slack.SLACK_API_URL } : {}),
      port: slack.PORT,
    },
    { policy, breakGlass: new BreakGlassClient(temporal, env.SAFEGUARD_TASK_QUEUE), decisions: new DecisionsClient(temporal), reviews: new ReviewClient(temporal, env.SAFEGUARD_TASK_QUEUE), runbooks: new RunbookClient(temporal, env.SAFEGUARD_TASK_QUEUE), logger, ...(slack.SLACK_TEAM_ID ? { teamId: slack.SLACK_TEAM_ID } : {}), metrics: slackMetrics(registry) },
  );
  await app.start();
  ready = temporalReadiness(connection);
  logger.info({ mode: app.mode, port: app.mode === 'http' ? slack.PORT : undefined, taskQueue: env.SAFEGUARD_TASK_QUEUE }, 'slack-app started');
  onShutdownSignals({
    logger,
    onFirst() {
      // Readiness first, then stop receiving and let in-flight events finish, then close Temporal.
      ops?.beginShutdown();
      void app
        .shutdown({ graceMs: DRAIN_MS })
        .catch((err: unknown) => logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'slack receiver did not stop cleanly'))
        .then(() => connection.close())
        .then(() => ops?.close())
        .finally(() => process.exit(0));
    },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`safeguard slack-app: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
