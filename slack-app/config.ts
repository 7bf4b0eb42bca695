// The slack-app's environment (DESIGN.md §7), parsed once with zod; a bad value stops the process
// with a message naming the variable. Temporal and policy settings come from config/env.ts.
import { z } from 'zod';

export const slackAppEnvSchema = z.object({
  SLACK_BOT_TOKEN: z.string({ error: 'SLACK_BOT_TOKEN is required (xoxb-…)' }).regex(/^xox[bp]-/, 'must be a bot token (xoxb-…)'),
  SLACK_SIGNING_SECRET: z.string().min(8, 'must be the app\'s signing secret').optional(),
  /** App-level token (xapp-…): Socket Mode instead of the HTTP endpoint. */
  SLACK_APP_TOKEN: z.string().regex(/^xapp-/, 'must be an app-level token (xapp-…)').optional(),
  /** Web API base URL (the fake Slack in tests). */
  SLACK_API_URL: z.url().optional(),
  /** When set, requests from any other workspace are refused. */
  SLACK_TEAM_ID: z.string().regex(/^T[A-Z0-9]{2,}$/).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
}).refine((e) => e.SLACK_APP_TOKEN !== undefined || e.SLACK_SIGNING_SECRET !== undefined, {
  message: 'SLACK_SIGNING_SECRET is required unless SLACK_APP_TOKEN (Socket Mode) is set',
  path: ['SLACK_SIGNING_SECRET'],
});

export type SlackAppEnv = z.infer<typeof slackAppEnvSchema>;

export class SlackConfigError extends Error {
  readonly code = 'INVALID_ENVIRONMENT';
  constructor(message: string) {
    super(message);
    this.name = 'SlackConfigError';
  }
}

export function parseSlackAppEnv(source: NodeJS.ProcessEnv = process.env): SlackAppEnv {
  const parsed = slackAppEnvSchema.safeParse(source);
  if (!parsed.success) {
    // Never echo values: they are tokens.
    throw new SlackConfigError(`invalid Slack environment:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  return parsed.data;
}
