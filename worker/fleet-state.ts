// Gauges of the whole deployment's state, computed when /metrics is scraped: open runs by kind,
// break-glass grants by phase, approval rounds waiting for a decision.
//
// Why Temporal, read at scrape time, and not the notifications a worker sees: workflows cannot emit
// metrics (not replay-safe), and a worker only sees the events of the activities it happened to run —
// with several workers each holds a different slice, and a restart forgets all of it, so an
// event-fed gauge would be wrong in exactly the situations it is watched for. Temporal holds the one
// true state: visibility counts give open runs per kind (exact, cheap), and the runs' own Queries
// give what visibility cannot (a grant's phase and its open rounds are not search attributes, and
// adding one would add commands to the workflow). So every worker reports the same deployment-wide
// values: aggregate with max(), not sum(). The cost is bounded: one refresh per TTL (concurrent
// scrapes share it), at most MAX_QUERIED Queries with a small concurrency and a deadline each, and
// a scrape never waits on a slow refresh longer than WAIT_MS (it gets the previous values).
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { searchAttributeKeys } from '../client/search-attributes';
import { roundsQuery } from '../workflows/shared/approval/definitions';
import type { ApprovalSnapshot } from '../workflows/shared/approval/gate';
import { statusQuery } from '../workflows/break-glass/definitions';
import type { Phase } from '../workflows/break-glass/definitions';
import { RUNBOOK_KINDS, SEARCH_ATTRIBUTES } from '../workflows/shared/search-attributes';
import type { RunbookKind } from '../workflows/shared/search-attributes';
import { within } from '../shared/ops/shutdown';

/** A grant's phase while its run is open; `unknown` when its Query did not answer (or was not asked). */
export type GrantPhase = Exclude<Phase, 'ended'> | 'unknown';
export const GRANT_PHASES: readonly GrantPhase[] = ['pending', 'active', 'revoking', 'unknown'];

export interface FleetSnapshot {
  runsOpen: Record<RunbookKind, number>;
  grants: Record<GrantPhase, number>;
  approvalsPending: Record<RunbookKind, number>;
}

export type FleetSource = () => Promise<FleetSnapshot>;

export const FLEET_TTL_MS = 30_000;
const WAIT_MS = 5_000;
const MAX_QUERIED = 200;
const QUERY_CONCURRENCY = 4;
const QUERY_TIMEOUT_MS = 3_000;

const BREAK_GLASS_TYPE = 'breakGlassWorkflow';
const RUNNING = "ExecutionStatus = 'Running'";

/** By type as well as by kind, as `breakglass list` does: a run started around the CLI still counts. */
function ofKind(kind: RunbookKind): string {
  return kind === 'break-glass' ? `(${SEARCH_ATTRIBUTES.kind} = 'break-glass' OR WorkflowType = '${BREAK_GLASS_TYPE}')` : `${SEARCH_ATTRIBUTES.kind} = '${kind}'`;
}

function zeros(): Record<RunbookKind, number> {
  return Object.fromEntries(RUNBOOK_KINDS.map((k) => [k, 0])) as Record<RunbookKind, number>;
}

function kindOf(wf: WorkflowExecutionInfo): RunbookKind | undefined {
  const k = wf.typedSearchAttributes.get(searchAttributeKeys.kind) ?? (wf.type === BREAK_GLASS_TYPE ? 'break-glass' : undefined);
  return (RUNBOOK_KINDS as readonly string[]).includes(k ?? '') ? (k as RunbookKind) : undefined;
}

const openRounds = (rounds: readonly ApprovalSnapshot[] | undefined): number => (rounds ?? []).filter((r) => r.state === 'open').length;

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export interface TemporalFleetOptions {
  maxQueried?: number;
  concurrency?: number;
  queryTimeoutMs?: number;
}

/** The deployment's state from Temporal: visibility counts, then each open run's Query. */
export function temporalFleetSource(client: Client, opts: TemporalFleetOptions = {}): FleetSource {
  const maxQueried = opts.maxQueried ?? MAX_QUERIED;
  const timeoutMs = opts.queryTimeoutMs ?? QUERY_TIMEOUT_MS;
  return async () => {
    const runsOpen = zeros();
    await Promise.all(
      RUNBOOK_KINDS.map(async (k) => {
        runsOpen[k] = (await client.workflow.count(`${ofKind(k)} AND ${RUNNING}`)).count;
      }),
    );
    const open: Array<{ workflowId: string; runId: string; kind: RunbookKind }> = [];
    const kinds = RUNBOOK_KINDS.map((k) => `'${k}'`).join(', ');
    for await (const wf of client.workflow.list({ query: `(${SEARCH_ATTRIBUTES.kind} IN (${kinds}) OR WorkflowType = '${BREAK_GLASS_TYPE}') AND ${RUNNING}` })) {
      const kind = kindOf(wf);
      if (kind) open.push({ workflowId: wf.workflowId, runId: wf.runId, kind });
      if (open.length >= maxQueried) break;
    }
    const grants: Record<GrantPhase, number> = { pending: 0, active: 0, revoking: 0, unknown: 0 };
    const approvalsPending = zeros();
    await pool(open, opts.concurrency ?? QUERY_CONCURRENCY, async (run) => {
      const handle = client.workflow.getHandle(run.workflowId, run.runId);
      const ask = <T>(fn: () => Promise<T>): Promise<T> => client.withDeadline(Date.now() + timeoutMs, fn);
      try {
        if (run.kind === 'break-glass') {
          const st = await ask(() => handle.query(statusQuery));
          if (st.phase !== 'ended') grants[st.phase] += 1;
          approvalsPending[run.kind] += openRounds(st.rounds ?? (st.approval ? [st.approval] : []));
        } else {
          // Kinds without approval rounds (an access review's reviewers decide items) do not
          // answer this Query: they have none pending.
          approvalsPending[run.kind] += openRounds(await ask(() => handle.query(roundsQuery)));
        }
      } catch {
        // Counted as unknown below (break-glass); no rounds for anything else.
      }
    });
    grants.unknown = Math.max(0, runsOpen['break-glass'] - grants.pending - grants.active - grants.revoking);
    return { runsOpen, grants, approvalsPending };
  };
}

export interface FleetGaugeOptions {
  ttlMs?: number;
  /** How long a scrape waits for a refresh before it gets the previous values. */
  waitMs?: number;
  now?: () => number;
}

/**
 * Registers the deployment-wide gauges on `registry`, fed by `source` at most once per TTL. A failed
 * refresh empties them and sets safeguard_fleet_state_up to 0, rather than serving stale numbers.
 */
export function registerFleetGauges(registry: Registry, source: FleetSource, opts: FleetGaugeOptions = {}): { current(): Promise<FleetSnapshot | undefined> } {
  const ttlMs = opts.ttlMs ?? FLEET_TTL_MS;
  const waitMs = opts.waitMs ?? WAIT_MS;
  const now = opts.now ?? Date.now;
  let last: { at: number; snapshot: FleetSnapshot | undefined } | undefined;
  let inFlight: Promise<void> | undefined;
  const current = async (): Promise<FleetSnapshot | undefined> => {
    const fresh = last !== undefined && now() - last.at < ttlMs;
    if (!fresh) {
      inFlight ??= source()
        .then(
          (snapshot) => {
            last = { at: now(), snapshot };
          },
          () => {
            last = { at: now(), snapshot: undefined };
          },
        )
        .finally(() => {
          inFlight = undefined;
        });
      await within(inFlight, waitMs, undefined);
    }
    return last?.snapshot;
  };
  const registers = [registry];
  new Gauge({
    name: 'safeguard_fleet_state_up',
    help: 'Whether the last read of the deployment state from Temporal (the runs, grants and approvals gauges) succeeded',
    registers,
    async collect() {
      this.set((await current()) ? 1 : 0);
    },
  });
  // The three deployment-wide gauges: one label each, every value of it set from the same snapshot.
  const fleetGauge = <K extends string>(name: string, help: string, label: string, keys: readonly K[], pick: (s: FleetSnapshot) => Record<K, number>): void => {
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers,
      async collect() {
        const s = await current();
        this.reset();
        if (s) for (const k of keys) this.set({ [label]: k }, pick(s)[k]);
      },
    });
  };
  fleetGauge('safeguard_runs_open', 'Runbook runs open in the deployment, by kind (Temporal visibility; every worker reports the same value)', 'kind', RUNBOOK_KINDS, (s) => s.runsOpen);
  fleetGauge('safeguard_grants', 'Open break-glass grants by phase (pending approval, active, revoking; unknown when the run did not answer)', 'phase', GRANT_PHASES, (s) => s.grants);
  fleetGauge('safeguard_approvals_pending', 'Approval rounds waiting for a decision in open runs, by kind', 'kind', RUNBOOK_KINDS, (s) => s.approvalsPending);
  return { current };
}
