// Client calls during chaos: an outage (Temporal restarting, no worker, the gateway failing) is
// waited out; a refusal is an answer. Retries are bounded by a deadline, never endless.
import { ApiRequestError } from '../cli/api-client';
import { SafeguardError } from '../client/errors';
import { sleep } from '../sandbox/net';

/** A refusal (4xx, a validator's no) is final; anything else may pass once the fault is over. */
export function isTransient(err: unknown): boolean {
  if (err instanceof ApiRequestError) return err.status >= 500 || err.status === 429;
  if (err instanceof SafeguardError) return err.code !== 'REFUSED' && err.code !== 'WORKFLOW_NOT_FOUND' && err.code !== 'INVALID_ID';
  return true;
}

export interface RetryOptions {
  /** Give up after this long (ms). */
  withinMs: number;
  /** Wait between attempts (ms); default 500. */
  pauseMs?: number;
  /** Called on each transient failure (for the report). */
  onRetry?: (err: unknown) => void;
}

export async function retryTransient<T>(what: string, fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const deadline = Date.now() + opts.withinMs;
  let last: unknown;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err)) throw err;
      last = err;
      opts.onRetry?.(err);
      if (Date.now() + (opts.pauseMs ?? 500) > deadline) break;
      await sleep(opts.pauseMs ?? 500);
    }
  }
  throw new Error(`${what}: still failing after ${Math.round(opts.withinMs / 1000)} s: ${last instanceof Error ? last.message : String(last)}`, { cause: last });
}
