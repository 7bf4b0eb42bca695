// `npm run slack-app`: the Bolt app as its own process. Temporal, policy and codec settings come
// from the same environment as the worker (config/env.ts); Slack settings from slack-app/config.ts.
import path from 'node:path';
import { DecisionsClient } from '../client/decisions-client';
import { BreakGlassClient } from '../client/break-glass-client';
import { ReviewClient } from '../client/review-client';
import { keyRingFromEnv } from '../codec';
import { parseEnv } from '../config/env';
import { createLogger } from '../config/logger';
import { loadPolicyFile } from '../config/policy';
import { temporalTarget } from '../config/temporal';
import { createSlackApp } from './app';
import { parseSlackAppEnv } from './config';
import { connectTemporal } from '../client/temporal';

async function main(): Promise<void> {
  const env = parseEnv();
  const slack = parseSlackAppEnv();
  const logger = createLogger('slack-app', env.LOG_LEVEL);
  const policy = loadPolicyFile(path.resolve(env.SAFEGUARD_POLICY));
  const target = temporalTarget(env);
  const { client: temporal, connection } = await connectTemporal(target, keyRingFromEnv());
  const app = createSlackApp(
    {
      botToken: slack.SLACK_BOT_TOKEN,
      ...(slack.SLACK_SIGNING_SECRET ? { signingSecret: slack.SLACK_SIGNING_SECRET } : {}),
      ...(slack.SLACK_APP_TOKEN ? { appToken: slack.SLACK_APP_TOKEN } : {}),
      ...(slack.SLACK_API_URL ? { slackApiUrl: slack.SLACK_API_URL } : {}),
      port: slack.PORT,
    },
    { policy, breakGlass: new BreakGlassClient(temporal, env.SAFEGUARD_TASK_QUEUE), decisions: new DecisionsClient(temporal), reviews: new ReviewClient(temporal, env.SAFEGUARD_TASK_QUEUE), logger, ...(slack.SLACK_TEAM_ID ? { teamId: slack.SLACK_TEAM_ID } : {}) },
  );
  await app.start();
  logger.info({ mode: app.mode, port: app.mode === 'http' ? slack.PORT : undefined, taskQueue: env.SAFEGUARD_TASK_QUEUE }, 'slack-app started');
  const shutdown = (): void => {
    void app.stop().finally(() => connection.close().finally(() => process.exit(0)));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`safeguard slack-app: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
