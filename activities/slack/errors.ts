// Slack Web API failures, mapped once into what Temporal should do with them: rate limits retry
// after Slack's Retry-After, 5xx/timeouts/network errors retry with the activity's backoff, and
// permanent platform errors (channel_not_found, not_in_channel, invalid_auth…) do not retry.
import { ApplicationFailure } from '@temporalio/common';

/** Platform errors that a later attempt can fix. */
const TRANSIENT_PLATFORM_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

interface SlackErrorShape {
  code?: unknown;
  retryAfter?: unknown;
  statusCode?: unknown;
  data?: { error?: unknown };
  message?: unknown;
}

export function slackFailure(method: string, err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as SlackErrorShape;
  const message = typeof e.message === 'string' ? e.message : String(err);
  switch (e.code) {
    case 'slack_webapi_rate_limited_error': {
      const secs = typeof e.retryAfter === 'number' && Number.isFinite(e.retryAfter) ? e.retryAfter : 1;
      return ApplicationFailure.create({
        type: 'SlackRateLimited',
        message: `Slack ${method} rate limited; retry after ${secs}s`,
        // Bounded so a silly header cannot park a notification for hours.
        nextRetryDelay: `${Math.min(Math.max(secs, 1), 60)}s`,
        cause: err instanceof Error ? err : undefined,
      });
    }
    case 'slack_webapi_http_error':
      return ApplicationFailure.retryable(`Slack ${method} answered HTTP ${String(e.statusCode)}`, 'SlackHttpError');
    case 'slack_webapi_request_error':
      return ApplicationFailure.retryable(`Slack ${method} request failed: ${message}`, 'SlackRequestError');
    case 'slack_webapi_platform_error': {
      const code = typeof e.data?.error === 'string' ? e.data.error : 'unknown_error';
      if (TRANSIENT_PLATFORM_ERRORS.has(code)) return ApplicationFailure.retryable(`Slack ${method}: ${code}`, 'SlackPlatformError');
      return ApplicationFailure.nonRetryable(`Slack ${method}: ${code}`, 'SlackPlatformError');
    }
    default:
      return ApplicationFailure.retryable(`Slack ${method} failed: ${message}`, 'SlackError');
  }
}
