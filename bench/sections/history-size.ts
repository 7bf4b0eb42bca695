// `npm run bench` section `history`: how big a typical run of every runbook kind leaves its Temporal
// history. The demo's plays (dev/demo-plays.ts, what `npm run demo` runs) drive one typical run of
// each kind through the CLI's code paths; the break-glass one also gets used (credentials vended by
// the api as `safeguard creds` does, then one STS call with them) so its history has the signal a real
// use adds. Each run's family (its child workflows and their continued-as-new runs, found from the
// histories themselves, so visibility lag cannot hide one) is then read back as Temporal stores it:
// events, Temporal's own size figure, the fetched history protobuf-encoded and the (codec-encrypted)
// payloads in it. Temporal's hard limits are 51,200 events and 50 MB per run; DESIGN.md §9 sets
// ≤ 150 events and ≤ 64 KB for a break-glass grant.
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { apiFor } from '../../cli/program';
import { play } from '../../dev/demo-plays';
import type { Played } from '../../dev/demo-plays';
import { DEMO_KINDS } from '../../dev/demo-args';
import type { DemoKind } from '../../dev/demo-args';
import { SEARCH_ATTRIBUTES } from '../../workflows/shared/search-attributes';
import { kib } from '../figures';
import type { Figure } from '../figures';
import type { BenchContext, BenchSection } from '../section';

type IHistory = temporal.api.history.v1.IHistory;
type IHistoryEvent = temporal.api.history.v1.IHistoryEvent;
const { EventType } = temporal.api.enums.v1;

/** Temporal's per-run limits (the server refuses to grow a history beyond them). */
export const TEMPORAL_MAX_EVENTS = 51_200;
export const TEMPORAL_MAX_BYTES = 50 * 1024 * 1024;
/** DESIGN.md §9's figure for one break-glass grant, read as KiB. */
export const BREAK_GLASS_MAX_EVENTS = 150;
export const BREAK_GLASS_MAX_BYTES = 64 * 1024;

/** The slowest play (a rotation: 20 s grace + 15 s observation + approvals) takes about a minute; a stuck one must not hold the section. */
const PLAY_TIMEOUT_MS = 5 * 60_000;
const CLOSE_TIMEOUT_MS = 60_000;
/** Runs of one workflow id followed back along continued-as-new, and workflows in one family: far above anything a play makes. */
const MAX_RUNS_PER_WORKFLOW = 100;
const MAX_FAMILY = 500;

const WHAT: Record<DemoKind, string> = {
  'break-glass': 'break-glass (request → self-approval refused → approve → use → expire)',
  'access-key-rotation': 'access-key rotation (new key → switch → grace → deactivate → approve → delete)',
  'kms-rotation': 'KMS rotation (check + on-demand rotation drill)',
  'restore-drill': 'restore drill (restore → validate → sign-off → teardown)',
  'break-glass-drill': 'fire drill (DRILL request → approve → use → revoke)',
  'access-review': 'access review (sandbox account, 3 deciders, deadline, default action)',
  runbook: 'declarative runbook (root recovery, 4 dual-control steps)',
};

/** One run of one workflow id as Temporal stores it. */
export interface RunSize {
  workflowId: string;
  runId: string;
  type: string;
  events: number;
  /** Temporal's own figure (DescribeWorkflowExecution historySizeBytes): what its 50 MB limit counts. */
  historyBytes: number;
  /** The fetched history, protobuf-encoded (a cross-check of historyBytes). */
  encodedBytes: number;
  /** Payload bytes inside it (data + metadata; encrypted by the codec, so as stored). */
  payloadBytes: number;
  continuedAsNew: boolean;
  eventTypes: Record<string, number>;
  /** Encoded bytes per kind of event (eventCategory): what the size is made of. */
  bytesByCategory: Record<string, number>;
  /** The single largest event, encoded. */
  largestEvent: { type: string; bytes: number };
  /** Workflow ids this run started as children. */
  children: string[];
}

/** An event type without its enum prefix: `ACTIVITY_TASK_COMPLETED`. */
export function eventTypeName(type: number | null | undefined): string {
  const name = type === null || type === undefined ? undefined : EventType[type];
  return name === undefined ? `UNKNOWN_${String(type)}` : name.replace(/^EVENT_TYPE_/, '');
}

export function eventTypeCounts(events: readonly IHistoryEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) {
    const name = eventTypeName(e.eventType);
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

/**
 * What an event belongs to, for saying what a history is made of: the workflow-task triplets every
 * step costs, activities, timers, updates, signals, child workflows; anything else by its own type.
 */
export function eventCategory(type: string): string {
  if (type.startsWith('WORKFLOW_TASK_')) return 'workflow tasks';
  if (type.startsWith('ACTIVITY_TASK_')) return 'activities';
  if (type.startsWith('TIMER_')) return 'timers';
  if (type.startsWith('WORKFLOW_EXECUTION_UPDATE_')) return 'updates';
  if (type === 'WORKFLOW_EXECUTION_SIGNALED' || type.includes('SIGNAL_EXTERNAL')) return 'signals';
  if (type.includes('CHILD_WORKFLOW')) return 'child workflows';
  if (type === 'MARKER_RECORDED') return 'markers';
  if (type === 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES' || type === 'WORKFLOW_PROPERTIES_MODIFIED') return 'search attributes / memo';
  return type.toLowerCase().replace(/_/g, ' ');
}

/** Per category: how many events and how many encoded bytes. */
export function eventComposition(events: readonly IHistoryEvent[]): { counts: Record<string, number>; bytes: Record<string, number>; largest: { type: string; bytes: number } } {
  const counts: Record<string, number> = {};
  const bytes: Record<string, number> = {};
  let largest = { type: 'none', bytes: 0 };
  for (const e of events) {
    const type = eventTypeName(e.eventType);
    const c = eventCategory(type);
    const size = temporal.api.history.v1.HistoryEvent.encode(e).finish().length;
    counts[c] = (counts[c] ?? 0) + 1;
    bytes[c] = (bytes[c] ?? 0) + size;
    if (size > largest.bytes) largest = { type, bytes: size };
  }
  return { counts, bytes, largest };
}

const isPayload = (v: object): v is temporal.api.common.v1.IPayload =>
  'data' in v && (v.data instanceof Uint8Array || v.data === null || v.data === undefined) && 'metadata' in v && typeof v.metadata === 'object';

/**
 * Bytes of every Payload anywhere in `value` (inputs, results, signal and update arguments, memos,
 * search attributes, failure details): its data plus its metadata keys and values.
 */
export function payloadBytes(value: unknown, seen: Set<object> = new Set()): number {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || seen.has(value)) return 0;
  seen.add(value);
  if (isPayload(value)) {
    const meta = Object.entries(value.metadata ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + (v?.length ?? 0), 0);
    return (value.data?.length ?? 0) + meta;
  }
  let total = 0;
  for (const v of Array.isArray(value) ? value : Object.values(value)) total += payloadBytes(v, seen);
  return total;
}

/** The workflow ids a run started as children (those the server confirmed started). */
export function childWorkflowIds(events: readonly IHistoryEvent[]): string[] {
  const ids = events.map((e) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId).filter((id): id is string => typeof id === 'string' && id !== '');
  return [...new Set(ids)];
}

/** The run this one continued from, if it is a continued-as-new run. */
export function previousRunId(events: readonly IHistoryEvent[]): string | undefined {
  return events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
}

/** Every run of a workflow id, newest first: the latest, then back along the continued-as-new chain. */
export async function runsOf(client: Client, workflowId: string): Promise<{ runs: RunSize[]; latest: IHistory }> {
  const runs: RunSize[] = [];
  let latest: IHistory | undefined;
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  for (let n = 0; runId !== undefined && n < MAX_RUNS_PER_WORKFLOW; n++) {
    const handle = client.workflow.getHandle(workflowId, runId);
    const [d, history] = await Promise.all([handle.describe(), handle.fetchHistory()]);
    latest ??= history;
    const events = history.events ?? [];
    const composition = eventComposition(events);
    runs.push({
      workflowId,
      runId,
      type: d.type,
      events: events.length,
      historyBytes: Number(d.raw.workflowExecutionInfo?.historySizeBytes ?? 0),
      encodedBytes: temporal.api.history.v1.History.encode(history).finish().length,
      payloadBytes: payloadBytes(events),
      continuedAsNew: d.status.name === 'CONTINUED_AS_NEW',
      eventTypes: eventTypeCounts(events),
      bytesByCategory: composition.bytes,
      largestEvent: composition.largest,
      children: childWorkflowIds(events),
    });
    runId = previousRunId(events);
  }
  return { runs, latest: latest ?? {} };
}

/** A workflow, every run of it and, transitively, of every child it started. */
export async function familyOf(client: Client, rootWorkflowId: string): Promise<RunSize[]> {
  const out: RunSize[] = [];
  const queue = [rootWorkflowId];
  const seen = new Set(queue);
  while (queue.length > 0) {
    if (seen.size > MAX_FAMILY) throw new Error(`${rootWorkflowId} has more than ${MAX_FAMILY} workflows in its family; not a typical run`);
    const { runs } = await runsOf(client, queue.shift()!);
    out.push(...runs);
    for (const child of runs.flatMap((r) => r.children)) {
      if (!seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  return out;
}

const largest = (runs: readonly RunSize[], by: 'events' | 'historyBytes'): RunSize | undefined => [...runs].sort((a, b) => b[by] - a[by])[0];
const sum = (runs: readonly RunSize[], by: 'events' | 'historyBytes' | 'encodedBytes' | 'payloadBytes'): number => runs.reduce((n, r) => n + r[by], 0);
const pct = (x: number, of: number): string => `${((100 * x) / of).toFixed(x / of < 0.01 ? 2 : 1)}%`;

/** The few biggest shares of a total, largest first: "activities 14 (40.0%), timers 3 (8.6%)". */
export function largestShares(parts: Record<string, number>, top = 4, unit: (n: number) => string = String): string {
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  return Object.entries(parts)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .slice(0, top)
    .map(([k, v]) => `${k} ${unit(v)} (${pct(v, total)})`)
    .join(', ');
}

/**
 * The figure for one kind: the top-level workflow's largest run (what the per-run limits apply to)
 * and the whole family. Break-glass is held to DESIGN.md §9's ≤ 150 events and ≤ 64 KiB; the
 * others have no target, so their notes say how far they are from Temporal's own limits.
 */
export function historyFigure(kind: DemoKind, rootWorkflowId: string, family: readonly RunSize[], extraNotes: string[] = []): Figure {
  const top = largest(family.filter((r) => r.workflowId === rootWorkflowId), 'events');
  if (!top) throw new Error(`no history read for ${rootWorkflowId}`);
  const topRuns = family.filter((r) => r.workflowId === rootWorkflowId).length;
  const biggest = largest(family, 'historyBytes')!;
  const workflows = new Set(family.map((r) => r.workflowId)).size;
  const continued = family.filter((r) => r.continuedAsNew).length;
  const isBreakGlass = kind === 'break-glass';
  const byEvents = largest(family, 'events')!;
  const categories = Object.entries(biggest.eventTypes).reduce<Record<string, number>>((o, [t, n]) => ({ ...o, [eventCategory(t)]: (o[eventCategory(t)] ?? 0) + n }), {});
  const which = biggest.workflowId === rootWorkflowId && biggest.runId === top.runId ? 'the top-level run' : `its largest run (${biggest.type} ${biggest.workflowId})`;
  const notes = [
    `${kind}: top-level ${top.type} ${rootWorkflowId}${topRuns > 1 ? ` (largest of its ${topRuns} runs)` : ''}: ${top.events} events, ${kib(top.historyBytes)} (fetched and encoded ${kib(top.encodedBytes)}, payloads ${kib(top.payloadBytes)} = ${pct(top.payloadBytes, Math.max(1, top.encodedBytes))})`,
    `${kind}: ${which}: events ${largestShares(categories)}; bytes ${largestShares(biggest.bytesByCategory, 4, kib)}; largest event ${biggest.largestEvent.type} ${kib(biggest.largestEvent.bytes)}`,
    `${kind}: largest run ${byEvents.events} events (${pct(byEvents.events, TEMPORAL_MAX_EVENTS)} of Temporal's ${TEMPORAL_MAX_EVENTS.toLocaleString('en-US')}-event limit), ${kib(biggest.historyBytes)} (${pct(biggest.historyBytes, TEMPORAL_MAX_BYTES)} of its 50 MB)`,
    ...(family.length > 1 ? [`${kind}: family ${workflows} workflow(s), ${family.length} run(s)${continued > 0 ? `, ${continued} continued as new` : ''}: ${[...new Set(family.map((r) => r.type))].join(', ')}`] : []),
    ...extraNotes.map((n) => `${kind}: ${n}`),
  ];
  return {
    id: `history.${kind}`,
    what: `History size, one typical ${WHAT[kind]}`,
    samples: 1,
    values: {
      topEvents: top.events,
      topHistoryBytes: top.historyBytes,
      topEncodedBytes: top.encodedBytes,
      topPayloadBytes: top.payloadBytes,
      familyWorkflows: workflows,
      familyRuns: family.length,
      familyEvents: sum(family, 'events'),
      familyHistoryBytes: sum(family, 'historyBytes'),
      familyEncodedBytes: sum(family, 'encodedBytes'),
      familyPayloadBytes: sum(family, 'payloadBytes'),
      largestRunEvents: byEvents.events,
      largestRunHistoryBytes: biggest.historyBytes,
    },
    shown: `top ${top.events} ev ${kib(top.historyBytes)}${family.length > 1 ? `; family ${family.length} runs ${sum(family, 'events')} ev ${kib(sum(family, 'historyBytes'))}` : ''}`,
    ...(isBreakGlass
      ? { target: `≤ ${BREAK_GLASS_MAX_EVENTS} events and ≤ 64 KiB (top-level run)`, met: top.events <= BREAK_GLASS_MAX_EVENTS && top.historyBytes <= BREAK_GLASS_MAX_BYTES }
      : {}),
    notes,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function bounded<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Top-level runs of `kind` started since `since` (visibility: what the play started). */
async function startedSince(client: Client, kind: string, since: Date): Promise<Array<{ workflowId: string; runId: string; running: boolean; parent: boolean }>> {
  const out: Array<{ workflowId: string; runId: string; running: boolean; parent: boolean }> = [];
  for await (const wf of client.workflow.list({ query: `${SEARCH_ATTRIBUTES.kind} = '${kind}' AND StartTime >= '${since.toISOString()}'` })) {
    out.push({ workflowId: wf.workflowId, runId: wf.runId, running: wf.status.name === 'RUNNING', parent: wf.parentExecution !== undefined });
  }
  return out;
}

/**
 * Uses the grant the break-glass play asks for, the way `safeguard creds` does: credentials from the
 * api as alice once it is active, then one STS call with them. What it did goes into the notes.
 */
async function useGrant(bench: BenchContext, since: Date, stop: () => boolean): Promise<string> {
  const { ctx } = bench;
  if (!ctx.api) return 'not used: the stack has no api';
  const deadline = Date.now() + 60_000;
  let grantId: string | undefined;
  while (grantId === undefined && !stop() && Date.now() < deadline) {
    grantId = (await startedSince(ctx.temporal, 'break-glass', since)).find((r) => !r.parent)?.workflowId;
    if (grantId === undefined) await sleep(200);
  }
  if (grantId === undefined) return 'not used: no break-glass run appeared within 60 s';
  for (;;) {
    const phase = (await ctx.breakGlass.status(grantId)).phase;
    if (phase === 'active') break;
    if (phase !== 'pending' || stop() || Date.now() > deadline) return `not used: the grant was ${phase}, never active, within 60 s`;
    await sleep(100);
  }
  const c = await apiFor(ctx, 'alice').credentials(grantId);
  const sts = new STSClient({ region: ctx.aws.region, ...(ctx.aws.endpoint ? { endpoint: ctx.aws.endpoint } : {}), credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } });
  try {
    const who = await sts.send(new GetCallerIdentityCommand({}));
    return `used once: alice fetched credentials through the api and called STS as ${who.Arn ?? '?'}`;
  } finally {
    sts.destroy();
  }
}

/** After a failed play: cancel whatever of `kind` it left running (revocations run on cancel) and wait for it to close. */
async function closeLeftovers(bench: BenchContext, kind: string, since: Date): Promise<void> {
  const client = bench.ctx.temporal;
  const open = (await startedSince(client, kind, since)).filter((r) => r.running && !r.parent);
  for (const r of open) {
    bench.log(`history: cancelling ${r.workflowId} left by the failed ${kind} play`);
    const handle = client.workflow.getHandle(r.workflowId, r.runId);
    await handle.cancel().catch(() => undefined);
    const closed = await bounded(`${r.workflowId} closing`, CLOSE_TIMEOUT_MS, handle.result().then(() => true, () => true)).catch(() => false);
    if (!closed) await handle.terminate('bench: the history play failed and the run did not close when cancelled').catch(() => undefined);
  }
}

/** Other Safeguard runs that started while the play ran (housekeeping it caused, schedules that fired), by kind and type. */
async function othersSince(bench: BenchContext, since: Date, family: ReadonlySet<string>): Promise<string[]> {
  const byKind = new Map<string, number>();
  for await (const wf of bench.ctx.temporal.workflow.list({ query: `StartTime >= '${since.toISOString()}'` })) {
    if (family.has(wf.workflowId)) continue;
    const key = `${String(wf.searchAttributes[SEARCH_ATTRIBUTES.kind]?.[0] ?? '?')} (${wf.type})`;
    byKind.set(key, (byKind.get(key) ?? 0) + 1);
    bench.log(`history: also started: ${key} ${wf.workflowId} ${wf.status.name}`);
  }
  return [...byKind].map(([k, n]) => `${k} ×${n}`);
}

async function measureKind(bench: BenchContext, kind: DemoKind): Promise<Figure | undefined> {
  const { ctx, log } = bench;
  // Visibility's StartTime is the server's clock, on this machine; a second of slack covers rounding.
  const since = new Date(Date.now() - 1000);
  log(`history: playing ${kind}`);
  let finished = false;
  const playing = play(ctx, kind, { say: () => undefined, note: (m) => log(`  ${kind}: ${m}`) }).finally(() => (finished = true));
  const using = kind === 'break-glass' ? useGrant(bench, since, () => finished) : undefined;
  let played: Played | undefined;
  let used: string | undefined;
  try {
    [played, used] = await bounded(`the ${kind} play`, PLAY_TIMEOUT_MS, Promise.all([playing, using]));
  } catch (err) {
    finished = true;
    await closeLeftovers(bench, kind, since);
    throw err;
  }
  if (!played) {
    log(`history: the policy has nothing to play for ${kind}; skipped`);
    return undefined;
  }
  const rootWorkflowId = String(played['workflowId']);
  const listed = await startedSince(ctx.temporal, kind, since);
  const family = await familyOf(ctx.temporal, rootWorkflowId);
  const others = await othersSince(bench, since, new Set(family.map((r) => r.workflowId)));
  const notes = [
    ...(used ? [used] : []),
    ...(played.ok ? [] : [`the play did not end as the demo expects (${JSON.stringify({ outcome: played['outcome'] })}); sizes are of the run it made`]),
    ...(listed.some((r) => r.workflowId === rootWorkflowId) ? [] : [`visibility did not list ${rootWorkflowId} under ${SEARCH_ATTRIBUTES.kind}=${kind}`]),
    ...(others.length > 0 ? [`also started during the play, not counted: ${others.join(', ')}`] : []),
  ];
  const figure = historyFigure(kind, rootWorkflowId, family, notes);
  log(`history: ${kind}: ${figure.shown}`);
  return figure;
}

async function run(bench: BenchContext): Promise<Figure[]> {
  const figures: Figure[] = [];
  const failed: string[] = [];
  // One after another: the plays share the sandbox's people and service users.
  for (const kind of DEMO_KINDS) {
    try {
      const f = await measureKind(bench, kind);
      if (f) figures.push(f);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      bench.log(`history: ${kind} failed: ${err instanceof Error ? (err.stack ?? message) : message}`);
      failed.push(`${kind}: ${message}`);
    }
  }
  // A failed kind fails the section (main.ts shows it), but what was measured is kept in the message.
  if (failed.length > 0) throw new Error(`${failed.join('; ')}${figures.length > 0 ? ` (measured: ${figures.map((f) => `${f.id} ${f.shown}`).join('; ')})` : ''}`);
  return figures;
}

/**
 * Plays every runbook kind once on the bench's stack. It changes the sandbox the way the demo does
 * (service users tagged, one revoked by the review, dave's console login removed), so it belongs
 * after sections that depend on those users' starting state.
 */
export const historySizeSection: BenchSection = { name: 'history', run };

