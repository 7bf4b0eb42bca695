// Prometheus metrics of the Safeguard processes (worker, api, Slack app), served by shared/ops/server.ts.
// Every process has its own Registry, never prom-client's global one, so tests build as many as they
// like and assert on their own; the registry is threaded through dependency objects, never a module
// global. Labels are low-cardinality by construction: kinds, phases, outcomes, reasons, route and
// payload types. Never a person, a workflow id, an ARN or anything a person typed, and never a secret:
// every label value a run supplies goes through labelValue(), which maps anything unexpected to "other".
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A fresh registry for one process, with Node's process metrics (CPU, memory, event loop lag, GC)
 * unless `defaultMetrics` is false (tests that only look at Safeguard's own).
 */
export function createOpsRegistry(opts: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  return registry;
}

const LABEL_VALUE = /^[a-z][a-z0-9-]{0,47}$/;

/** A label value as a run reported it, or "other": a bounded vocabulary whatever a record carries. */
export function labelValue(v: unknown): string {
  return typeof v === 'string' && LABEL_VALUE.test(v) ? v : 'other';
}

/** Seconds: a verified revocation normally lands within a few seconds of the grant's end; alert on p99 > 5 s. */
export const REVOCATION_LAG_BUCKETS = [0.5, 1, 2, 3, 5, 7.5, 10, 15, 30, 60, 120, 300, 900];
/** Seconds: Slack gives up on an ack after 3 s. */
export const SLACK_ACK_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5];
/** Seconds: a vend is an identity check, a workflow Update, AssumeRole and a Signal. */
export const VENDING_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10];

// ---------------------------------------------------------------------------------------------
// Worker: observed in activities (never in workflow code: metrics there would not survive replay).

export interface WorkerMetrics {
  registry: Registry;
  /** One per run's evidence record: every run ends with exactly one. */
  runbookOutcomes: Counter<'kind' | 'outcome'>;
  /** From the end the grant was held to (planned end, revoke request, idle limit) to the verified revocation. */
  revocationLag: Histogram<'end_reason'>;
  /** Revocations still unverified after the workflow's alert threshold: security was paged. */
  revocationsUnverified: Counter;
  /** Verification checks that found access not yet cut off (the workflow retries them). */
  revocationChecksFailed: Counter<'reason'>;
}

export function workerMetrics(registry: Registry = new Registry()): WorkerMetrics {
  const registers = [registry];
  return {
    registry,
    runbookOutcomes: new Counter({
      name: 'safeguard_runbook_outcomes_total',
      help: 'Runbook runs ended, by kind and outcome (one per evidence record written)',
      labelNames: ['kind', 'outcome'],
      registers,
    }),
    revocationLag: new Histogram({
      name: 'safeguard_revocation_lag_seconds',
      help: "Seconds from a break-glass grant's end (planned end, revoke request or idle limit) to its verified revocation",
      labelNames: ['end_reason'],
      buckets: REVOCATION_LAG_BUCKETS,
      registers,
    }),
    revocationsUnverified: new Counter({
      name: 'safeguard_revocations_unverified_total',
      help: 'Revocations not verified after the alert threshold of attempts (security was paged; the workflow keeps retrying)',
      registers,
    }),
    revocationChecksFailed: new Counter({
      name: 'safeguard_revocation_checks_failed_total',
      help: 'Revocation verification checks that found access not yet cut off, by reason (each is retried)',
      labelNames: ['reason'],
      registers,
    }),
  };
}

/** Records written during a run, or about something other than a run: not a run's outcome. */
const NOT_A_RUN_END = new Set(['access-refused', 'runbook-step', 'root-login']);

/**
 * What one newly written evidence record says, as metrics: the run's outcome, and for a break-glass
 * grant the revocation lag the workflow measured (planned end → verified revocation). Call it once
 * per record actually appended (not for a retried activity's duplicate).
 */
export function observeEvidence(m: WorkerMetrics, kind: string, record: Record<string, unknown>): void {
  if (NOT_A_RUN_END.has(kind)) return;
  const revocation = record['revocation'] as { verified?: unknown } | null | undefined;
  const outcome = typeof record['outcome'] === 'string' ? record['outcome'] : kind === 'reconciled' ? (revocation?.verified === true ? 'revoked' : 'unverified') : 'recorded';
  m.runbookOutcomes.inc({ kind: labelValue(kind), outcome: labelValue(outcome) });
  const lagMs = record['revocationLagMs'];
  if (kind === 'break-glass' && typeof lagMs === 'number' && Number.isFinite(lagMs) && lagMs >= 0) {
    m.revocationLag.observe({ end_reason: labelValue(record['endReason']) }, lagMs / 1000);
  }
}

/** The page the break-glass workflow and the reconciler send when a revocation stays unverified
 * (workflows/break-glass/revocation.ts, REVOCATION_ALERT_AFTER attempts). */
export const REVOCATION_NOT_VERIFIED_EVENT = 'revocation-not-verified';

/** One verifyRevocation check: counts what it found still in place. */
export function observeRevocationCheck(m: WorkerMetrics, check: { statementPresent: boolean; activeSessionsLeft: readonly string[] }): void {
  if (!check.statementPresent) m.revocationChecksFailed.inc({ reason: 'statement-missing' });
  if (check.activeSessionsLeft.length > 0) m.revocationChecksFailed.inc({ reason: 'sessions-active' });
}

// ---------------------------------------------------------------------------------------------
// api

export type VendingRoute = 'credentials' | 'console-link';
export type VendingOutcome = 'ok' | 'refused' | 'error';

export interface ApiMetrics {
  registry: Registry;
  vendingDuration: Histogram<'route' | 'outcome'>;
}

export function apiMetrics(registry: Registry = new Registry()): ApiMetrics {
  return {
    registry,
    vendingDuration: new Histogram({
      name: 'safeguard_vending_duration_seconds',
      help: 'Seconds the api took to answer a credential vending request (credentials, console link), by outcome',
      labelNames: ['route', 'outcome'],
      buckets: VENDING_BUCKETS,
      registers: [registry],
    }),
  };
}

/**
 * Times `fn` into the vending histogram; `classify` names a failure (refused: the api said no, e.g.
 * not the requester or the grant not active; error: anything else). The error is rethrown unchanged.
 */
export async function timeVending<T>(m: ApiMetrics | undefined, route: VendingRoute, fn: () => Promise<T>, classify: (err: unknown) => VendingOutcome): Promise<T> {
  const end = m?.vendingDuration.startTimer({ route });
  try {
    const out = await fn();
    end?.({ outcome: 'ok' });
    return out;
  } catch (err) {
    end?.({ outcome: classify(err) });
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Slack app

export type SlackPayloadType = 'command' | 'action' | 'view' | 'shortcut' | 'options' | 'event' | 'other';

export interface SlackMetrics {
  registry: Registry;
  ackDuration: Histogram<'type'>;
}

export function slackMetrics(registry: Registry = new Registry()): SlackMetrics {
  return {
    registry,
    ackDuration: new Histogram({
      name: 'safeguard_slack_ack_duration_seconds',
      help: 'Seconds from receiving a Slack request to acknowledging it, by payload type (Slack gives up after 3 s)',
      labelNames: ['type'],
      buckets: SLACK_ACK_BUCKETS,
      registers: [registry],
    }),
  };
}

/** The kind of a Slack payload, from its body's shape (a bounded label, never an id). */
export function slackPayloadType(body: unknown): SlackPayloadType {
  if (typeof body !== 'object' || body === null) return 'other';
  const b = body as Record<string, unknown>;
  if (typeof b['command'] === 'string') return 'command';
  switch (b['type']) {
    case 'block_actions':
    case 'interactive_message':
      return 'action';
    case 'view_submission':
    case 'view_closed':
      return 'view';
    case 'shortcut':
    case 'message_action':
      return 'shortcut';
    case 'block_suggestion':
      return 'options';
    case 'event_callback':
      return 'event';
    default:
      return 'other';
  }
}
