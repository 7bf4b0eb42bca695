// "Connected to Temporal" for the readiness of the api and the Slack app: a cheap frontend call
// (GetSystemInfo, which every Temporal server and Temporal Cloud answer), remembered for a few
// seconds so a probe storm does not become a Temporal storm.
import type { Connection } from '@temporalio/client';
import type { Readiness } from './server';

export interface TemporalProbeOptions {
  /** How long an answer is reused; default 5 s. */
  ttlMs?: number;
  /** Deadline of the call; default 2 s. */
  timeoutMs?: number;
  now?: () => number;
}

/** A readiness check that is ready while `probe` succeeds; one probe in flight at a time. */
export function cachedProbe(probe: () => Promise<unknown>, failure: string, opts: Omit<TemporalProbeOptions, 'timeoutMs'> = {}): () => Promise<Readiness> {
  const ttlMs = opts.ttlMs ?? 5000;
  const now = opts.now ?? Date.now;
  let last: { at: number; r: Readiness } | undefined;
  let inFlight: Promise<Readiness> | undefined;
  return () => {
    if (last && now() - last.at < ttlMs) return Promise.resolve(last.r);
    inFlight ??= probe()
      .then((): Readiness => ({ ready: true }), (): Readiness => ({ ready: false, reason: failure }))
      .then((r) => {
        last = { at: now(), r };
        inFlight = undefined;
        return r;
      });
    return inFlight;
  };
}

export function temporalReadiness(connection: Pick<Connection, 'withDeadline' | 'workflowService'>, opts: TemporalProbeOptions = {}): () => Promise<Readiness> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  return cachedProbe(() => connection.withDeadline(Date.now() + timeoutMs, () => connection.workflowService.getSystemInfo({})), 'Temporal unreachable', opts);
}
