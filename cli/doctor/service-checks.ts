// Doctor's checks of the services around the worker: Slack (auth.test with the worker's own Web API
// client) when SLACK_BOT_TOKEN is set, and the Safeguard api's health when SAFEGUARD_API_URL is.
// Tokens are never put into a result; the report is redacted besides (report.ts).
import { createWebClient, slackApiBase, slackNotifierEnvSchema } from '../../activities/slack/client';
import type { CheckOutcome, DoctorCheck } from './runner';
import { errorText, need } from './state';
import type { DoctorState } from './state';

/** Slack's answers that mean the token itself is no good. */
const BAD_TOKEN = new Set(['invalid_auth', 'not_authed', 'token_revoked', 'token_expired', 'account_inactive', 'no_permission']);

const TOKEN_FIX = "set SLACK_BOT_TOKEN to the Slack app's Bot User OAuth Token (xoxb-…, on the app's OAuth & Permissions page); reinstall the app if the token was revoked";

interface SlackError {
  code?: string;
  data?: { error?: string };
  statusCode?: number;
  original?: { message?: string };
}

export const slackCheck: DoctorCheck<DoctorState> = {
  id: 'slack',
  check: 'Slack bot token',
  fix: TOKEN_FIX,
  async run(state, signal): Promise<CheckOutcome> {
    if (!state.env.SLACK_BOT_TOKEN) return { status: 'skipped', detail: 'skipped: Slack notifications off (SLACK_BOT_TOKEN is not set)' };
    const parsed = slackNotifierEnvSchema.safeParse(state.env);
    if (!parsed.success) {
      // zod's messages name the variable and the rule, never the value.
      return { status: 'FAIL', detail: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'), fix: TOKEN_FIX };
    }
    const env = parsed.data;
    const base = slackApiBase(env.SLACK_API_URL);
    const web = createWebClient(env.SLACK_BOT_TOKEN ?? '', env.SLACK_API_URL, Math.min(env.SLACK_TIMEOUT_MS, state.timeoutMs));
    try {
      const me = await web.auth.test();
      if (signal.aborted) throw signal.reason;
      const bot = me.bot_id ? `, bot ${me.bot_id}` : '';
      return { status: 'ok', detail: `auth.test: team ${me.team ?? '?'} (${me.team_id ?? '?'}) as ${me.user ?? '?'}${bot}${env.SLACK_API_URL ? ` at ${base}` : ''}` };
    } catch (err) {
      if (signal.aborted) throw err;
      const e = err as SlackError;
      if (e.code === 'slack_webapi_platform_error') {
        const error = e.data?.error ?? 'unknown_error';
        if (BAD_TOKEN.has(error)) return { status: 'FAIL', detail: `Slack refused the token: ${error}`, fix: TOKEN_FIX };
        return { status: 'FAIL', detail: `auth.test answered ${error}`, fix: 'see https://api.slack.com/methods/auth.test for what it means' };
      }
      if (e.code === 'slack_webapi_rate_limited_error') return { status: 'warn', detail: 'Slack rate-limited auth.test', fix: 'run doctor again in a minute' };
      const why = e.code === 'slack_webapi_http_error' ? `HTTP ${e.statusCode ?? '?'}` : (e.original?.message ?? errorText(err));
      return {
        status: 'FAIL',
        detail: `no answer from the Slack Web API at ${base}: ${why}`,
        fix: env.SLACK_API_URL ? `check SLACK_API_URL=${env.SLACK_API_URL} (unset it for Slack itself)` : "check this host's HTTPS route to slack.com",
      };
    }
  },
};

export const apiCheck: DoctorCheck<DoctorState> = {
  id: 'api',
  check: 'Safeguard api',
  needs: ['environment'],
  fix: 'start the api (npm run api) or correct SAFEGUARD_API_URL',
  async run(state, signal): Promise<CheckOutcome> {
    const env = need(state.parsed, 'the environment');
    const url = env.SAFEGUARD_API_URL;
    if (!url) return { status: 'skipped', detail: 'skipped: SAFEGUARD_API_URL is not set (the CLI talks to Temporal directly)' };
    const health = `${url.replace(/\/+$/, '')}/health`;
    const down = state.stack ? "the dev stack's api runs inside npm run dev: restart the stack" : `start the api (npm run api) or correct SAFEGUARD_API_URL=${url}`;
    let res: Response;
    try {
      res = await fetch(health, { signal, redirect: 'error' });
    } catch (err) {
      if (signal.aborted) throw err;
      const cause = (err as { cause?: unknown }).cause;
      return { status: 'FAIL', detail: `GET ${health}: ${cause ? errorText(cause) : errorText(err)}`, fix: down };
    }
    const body = (await res.json().catch(() => undefined)) as { ok?: unknown } | undefined;
    if (res.status !== 200 || body?.ok !== true) return { status: 'FAIL', detail: `GET ${health} answered HTTP ${res.status}`, fix: `is ${url} the Safeguard api? ${down}` };
    if (!env.SAFEGUARD_API_SERVER_ID) {
      return {
        status: 'FAIL',
        detail: `${health} is up, but SAFEGUARD_API_SERVER_ID is not set: the CLI cannot sign requests for this api`,
        fix: "set SAFEGUARD_API_SERVER_ID to the value the api is configured with (usually its public URL)",
      };
    }
    return { status: 'ok', detail: `${health} answered ok` };
  },
};
