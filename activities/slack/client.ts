// The worker's Slack Web API client and notifier, from the environment: SLACK_BOT_TOKEN turns the
// Slack notifier on; SLACK_API_URL points it elsewhere (the fake Slack in tests).
import { LogLevel, WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Policy } from '../../config/policy/types';
import { SlackNotifier } from './notifier';

export const slackNotifierEnvSchema = z.object({
  SLACK_BOT_TOKEN: z.string().regex(/^xox[bp]-/, 'must be a bot token (xoxb-…)').optional(),
  SLACK_API_URL: z.url().optional(),
  SLACK_APPROVERS_CHANNEL: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel id').optional(),
  SLACK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
});

/** Base URL with the trailing slash the WebClient needs. */
export function slackApiBase(url: string | undefined): string {
  const u = url ?? 'https://slack.com/api/';
  return u.endsWith('/') ? u : `${u}/`;
}

/** Temporal owns retries: the client never retries or waits out a rate limit by itself. */
export function createWebClient(token: string, slackApiUrl: string | undefined, timeoutMs = 5000): WebClient {
  return new WebClient(token, { slackApiUrl: slackApiBase(slackApiUrl), retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: timeoutMs, logLevel: LogLevel.ERROR });
}

export function slackNotifierFromEnv(source: NodeJS.ProcessEnv, policy: () => Policy, logger: Logger): SlackNotifier | undefined {
  const env = slackNotifierEnvSchema.parse(source);
  if (!env.SLACK_BOT_TOKEN) return undefined;
  return new SlackNotifier(createWebClient(env.SLACK_BOT_TOKEN, env.SLACK_API_URL, env.SLACK_TIMEOUT_MS), policy(), logger, {
    ...(env.SLACK_APPROVERS_CHANNEL ? { fallbackChannel: env.SLACK_APPROVERS_CHANNEL } : {}),
  });
}
