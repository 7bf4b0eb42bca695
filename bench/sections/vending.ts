// Final approval → first use of vended credentials (DESIGN.md §9: p95 ≤ 1 s in the sandbox). For
// each grant alice requests BreakGlassAdmin through the api, and the benchmark waits until the
// request sits quietly on its approval round (as it does by the time an approver answers). Then the
// clock starts: bob approves through the api, alice learns the grant is active, asks the api for
// credentials and uses them (S3 ListBuckets, which the role allows, through the sandbox gateway)
// until a call succeeds. Grants are measured one at a time and in waves approved at the same
// instant; each is revoked and closed before the next one (or wave) starts, so revocations never
// overlap a measurement.
import fs from 'node:fs';
import os from 'node:os';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentity } from '@smithy/types';
import { WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SafeguardApiClient } from '../../cli/api-client';
import type { CliContext } from '../../cli/context';
import { callerCredentials } from '../../cli/identity';
import type { ProcessCredentials } from '../../client/vending';
import type { Stack, StackInfo } from '../../dev/stack';
import { sandboxControl } from '../../sandbox';
import type { CallRecord, SandboxFile, SandboxSeed } from '../../sandbox';
import { approveUpdate } from '../../workflows/shared/approval/definitions';
import { latencyShown, ms } from '../figures';
import { errorText, sleep } from '../grants';
import type { Figure } from '../figures';
import type { BenchSection } from '../section';
import { summarize } from '../stats';

export const VENDING_TARGET_MS = 1000;
export const WAVE_SIZE = 5;
const ROLE = 'BreakGlassAdmin';
/** Long enough that no grant expires while the benchmark holds it. */
const GRANT_DURATION = '15m';
/** The activity that proves the role can be assumed before the grant turns active. */
const VERIFY_GRANT_ACTIVITY = 'verifyGrant';
/** Every wait is bounded: a grant that does not get there fails its sample, not the run. */
const SETTLE_WAIT_MS = 30_000;
const ACTIVE_WAIT_MS = 30_000;
const FIRST_USE_WAIT_MS = 15_000;
const CLOSE_WAIT_MS = 120_000;
/** How often Temporal (the server, not the worker) is asked whether a new request has settled. */
const SETTLE_POLL_MS = 50;
const FIRST_USE_RETRY_MS = 20;

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The people and clients one grant's path needs; credentials read once, as a CLI process would. */
export interface GrantDriver {
  info: StackInfo;
  ctx: CliContext;
  requester: SafeguardApiClient;
  approver: SafeguardApiClient;
  /** Callers whose AWS calls are not part of any grant's path (the sandbox's simulated key consumers). */
  background: Set<string>;
  /** The stack's processes by what they do, for the CPU each spends on a grant. */
  processes: Map<string, number>;
  log(message: string): void;
}

/** The embedded stack's processes: the api and the gateway run inside this one (dev/stack.ts). */
export function stackProcesses(stack: Stack): Map<string, number> {
  const named: Array<[string, number | undefined]> = [
    ['worker', stack.worker?.process.pid],
    ['Temporal', stack.temporal.process.pid],
    ['moto', childProcessMatching(/moto/)],
    ['this process (api, gateway, clients)', process.pid],
  ];
  return new Map(named.flatMap(([what, pid]) => (pid === undefined ? [] : [[what, pid] as [string, number]])));
}

export async function grantDriver(info: StackInfo, ctx: CliContext, log: (m: string) => void, processes = new Map<string, number>()): Promise<GrantDriver> {
  if (!ctx.api) throw new Error('the stack has no api: vending goes through it');
  const api = ctx.api;
  const as = async (person: string): Promise<SafeguardApiClient> => {
    const creds: AwsCredentialIdentity = await callerCredentials(ctx, person);
    return new SafeguardApiClient(api, () => Promise.resolve(creds));
  };
  const seed = JSON.parse(fs.readFileSync(info.sandboxFile, 'utf8')) as SandboxFile<SandboxSeed>;
  const background = new Set([...Object.values(seed.serviceUsers).map((u) => u.arn), seed.consumerReader.arn]);
  return { info, ctx, requester: await as('alice'), approver: await as('bob'), background, processes, log };
}

/** Where the server's history says the time went between the approval and the grant turning active. */
export interface ServerSpans {
  /** Approval sent (client clock) → the workflow accepted the approve Update. */
  toApprovedMs: number;
  /** verifyGrant waiting for a worker slot (scheduled → started), then running (AssumeRole + GetCallerIdentity). */
  verifyQueuedMs: number;
  verifyRunMs: number;
  /** verifyGrant completed → the workflow task that made the grant active completed. */
  toActiveMs: number;
  /** That workflow task → the benchmark saw it in the history (the long poll's delay). */
  seenMs: number;
}

/** One grant from the final approval to the first successful use of its credentials. */
export interface GrantSample {
  grantId: string;
  totalMs: number;
  /** bob's approve through the api: caller authentication, round lookup, the approve Update. */
  approveMs: number;
  /** From the approve's answer until the history showed the grant active. */
  activeMs: number;
  /** alice's credentials call through the api: authentication, lease Update, AssumeRole, signal. */
  credentialsMs: number;
  /** From holding the credentials to the first call that succeeded with them. */
  firstUseMs: number;
  useAttempts: number;
  server: ServerSpans;
}

/**
 * alice asks for the role; resolves once the request waits on its approval round with nothing in
 * flight (its approval-needed notification sent), so the approval measures itself, not the request.
 */
export async function requestGrant(d: GrantDriver, label: string): Promise<string> {
  const { workflowId } = await d.requester.request({ role: ROLE, duration: GRANT_DURATION, reason: `benchmark: approval to first use (${label})` });
  const deadline = Date.now() + SETTLE_WAIT_MS;
  let open = false;
  for (;;) {
    if (!open) {
      const st = await d.ctx.breakGlass.status(workflowId);
      if (st.phase !== 'pending') throw new Error(`${workflowId} left pending (${st.outcome ?? st.phase}) before it was approved`);
      open = st.approval?.state === 'open';
    }
    // Describe is answered by the server alone: waiting costs the worker nothing.
    if (open) {
      const { raw } = await d.ctx.temporal.workflow.getHandle(workflowId).describe();
      if ((raw.pendingActivities ?? []).length === 0 && !raw.pendingWorkflowTask) return workflowId;
    }
    if (Date.now() > deadline) throw new Error(`${workflowId}: not waiting quietly on its approval round ${SETTLE_WAIT_MS / 1000} s after the request`);
    await sleep(SETTLE_POLL_MS);
  }
}

export async function approveToFirstUse(d: GrantDriver, grantId: string): Promise<GrantSample> {
  const sentAt = Date.now();
  const t0 = performance.now();
  await d.approver.approve(grantId);
  const t1 = performance.now();
  const server = await untilActive(d, grantId, sentAt);
  const t2 = performance.now();
  const creds = await d.requester.credentials(grantId);
  const t3 = performance.now();
  const use = await firstUse(d.info, creds);
  const t4 = performance.now();
  return {
    grantId,
    totalMs: t4 - t0,
    approveMs: t1 - t0,
    activeMs: t2 - t1,
    credentialsMs: t3 - t2,
    firstUseMs: t4 - t3,
    useAttempts: use.attempts,
    server,
  };
}

/**
 * Watches the run's history with the server's long poll until the workflow task after a successful
 * verifyGrant completes: the grant is active from then on. The worker is not asked: polling the
 * status Query every few milliseconds loaded the very worker being measured (five grants at once),
 * and a Query sent just as the grant turns active waits for the workflow task of its 'granted'
 * notification (50-150 ms here), which is the benchmark's delay, not the grant's.
 */
async function untilActive(d: GrantDriver, grantId: string, sentAt: number): Promise<ServerSpans> {
  const deadline = Date.now() + ACTIVE_WAIT_MS;
  const { connection, workflowService } = d.ctx.temporal;
  const events: HistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  for (;;) {
    const page = await connection
      .withDeadline(deadline, () =>
        workflowService.getWorkflowExecutionHistory({ namespace: d.info.namespace, execution: { workflowId: grantId }, waitNewEvent: true, ...(nextPageToken ? { nextPageToken } : {}) }),
      )
      .catch((err: unknown) => {
        throw new Error(`${grantId} still not active ${ACTIVE_WAIT_MS / 1000} s after its approval (${(err as Error).message})`, { cause: err });
      });
    events.push(...(page.history?.events ?? []));
    const spans = serverSpans(events, sentAt, Date.now());
    if (spans) return spans;
    const failed = events.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED || e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT);
    if (failed) throw new Error(`${grantId}: an activity failed before the grant became active (event ${String(failed.eventId)})`);
    if (!page.nextPageToken?.length) throw new Error(`${grantId} closed before it became active`);
    nextPageToken = page.nextPageToken;
  }
}

/** A call the role allows, with the vended credentials, through the gateway; retried until it succeeds. */
async function firstUse(info: StackInfo, c: ProcessCredentials): Promise<{ attempts: number }> {
  const s3 = new S3Client({
    region: info.region,
    endpoint: info.awsEndpoint,
    forcePathStyle: true,
    // Retries are counted here, not hidden inside the SDK.
    maxAttempts: 1,
    credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
  });
  const deadline = Date.now() + FIRST_USE_WAIT_MS;
  try {
    for (let attempts = 1; ; attempts++) {
      try {
        await s3.send(new ListBucketsCommand({}));
        return { attempts };
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`the vended credentials still failed after ${attempts} attempts: ${(err as Error).name}`, { cause: err });
        await sleep(FIRST_USE_RETRY_MS);
      }
    }
  } finally {
    s3.destroy();
  }
}

const eventMs = (e: HistoryEvent): number => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);

/**
 * The approval → active stretch of a grant's history: the approve Update's acceptance, the
 * verifyGrant activity it scheduled, and the workflow task after it (where the grant turns active).
 * Undefined when the history does not show that sequence.
 */
export function serverSpans(events: HistoryEvent[], sentAtMs: number, seenAtMs: number): ServerSpans | undefined {
  const accepted = events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED && e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === approveUpdate.name);
  if (!accepted) return undefined;
  const after = (e: HistoryEvent, than: HistoryEvent): boolean => Number(e.eventId) > Number(than.eventId);
  const scheduled = events.find((e) => after(e, accepted) && e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && e.activityTaskScheduledEventAttributes?.activityType?.name === VERIFY_GRANT_ACTIVITY);
  if (!scheduled) return undefined;
  const of = (type: temporal.api.enums.v1.EventType, attrs: (e: HistoryEvent) => { scheduledEventId?: unknown } | null | undefined): HistoryEvent | undefined =>
    events.find((e) => e.eventType === type && Number(attrs(e)?.scheduledEventId) === Number(scheduled.eventId));
  const started = of(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, (e) => e.activityTaskStartedEventAttributes);
  const completed = of(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, (e) => e.activityTaskCompletedEventAttributes);
  if (!started || !completed) return undefined;
  const activeTask = events.find((e) => after(e, completed) && e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  if (!activeTask) return undefined;
  return {
    toApprovedMs: eventMs(accepted) - sentAtMs,
    verifyQueuedMs: eventMs(started) - eventMs(scheduled),
    verifyRunMs: eventMs(completed) - eventMs(started),
    toActiveMs: eventMs(activeTask) - eventMs(completed),
    seenMs: seenAtMs - eventMs(activeTask),
  };
}

/**
 * Ends every grant the benchmark started, whatever state it reached (revokes the active, denies the
 * pending), and waits until all have closed; throws if any is still running at the bound.
 */
export async function closeGrants(d: GrantDriver, ids: string[]): Promise<void> {
  await Promise.all(
    ids.map(async (id) => {
      const st = await d.ctx.breakGlass.status(id).catch(() => undefined);
      if (!st || st.execution?.status !== 'RUNNING') return;
      if (st.phase === 'pending') await d.ctx.breakGlass.deny(id, 'bob', 'benchmark cleanup').catch(() => undefined);
      else if (st.phase === 'active') await d.ctx.breakGlass.revoke(id, 'alice', 'benchmark cleanup').catch(() => undefined);
    }),
  );
  const open = await waitUntilClosed(d.ctx, ids, CLOSE_WAIT_MS);
  if (open.length > 0) throw new Error(`${open.length} of ${ids.length} benchmark grants were still running ${CLOSE_WAIT_MS / 1000} s after revocation (e.g. ${open[0]})`);
}

/** Polls Temporal (not the worker) until every run has closed (or never existed); the ids still running at the bound. */
export async function waitUntilClosed(ctx: CliContext, ids: string[], timeoutMs: number): Promise<string[]> {
  const running = async (id: string): Promise<boolean> => {
    try {
      return (await ctx.temporal.workflow.getHandle(id).describe()).status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  };
  let open = [...ids];
  const deadline = Date.now() + timeoutMs;
  while (open.length > 0) {
    const stillRunning = await Promise.all(open.map(running));
    open = open.filter((_, i) => stillRunning[i]);
    if (open.length === 0 || Date.now() > deadline) break;
    await sleep(250);
  }
  return open;
}

/** The AWS calls (through the gateway) made while a wave went from approval to first use. */
export interface WaveCalls {
  grants: number;
  calls: CallRecord[];
}

export interface VendingRun {
  concurrency: number;
  samples: GrantSample[];
  waves: WaveCalls[];
  failures: string[];
  /** CPU (user + system) each process spent while waves went from approval to first use, and that time. */
  cpuMs: Map<string, number>;
  measuredMs: number;
}

/** USER_HZ: /proc reports CPU time in ticks of 1/100 s on Linux, whatever the kernel's own HZ. */
const USER_HZ = 100;

/** CPU time (user + system) of a process so far, in ms; undefined when /proc cannot tell (gone, not Linux). */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state, ppid, …; utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}

/** A child of this process whose command line matches (moto's server, which the sandbox does not name by pid). */
function childProcessMatching(pattern: RegExp): number | undefined {
  try {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === process.pid && pattern.test(fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8'))) return Number(entry);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return undefined;
}

/** Starts a CPU account of the processes; calling what it returns gives the CPU each spent since. */
export function cpuMeter(processes: Map<string, number>): () => Map<string, number> {
  const before = new Map([...processes].map(([what, pid]) => [what, processCpuMs(pid)]));
  return () => {
    const spent = new Map<string, number>();
    for (const [what, pid] of processes) {
      const [a, b] = [before.get(what), processCpuMs(pid)];
      if (a !== undefined && b !== undefined) spent.set(what, b - a);
    }
    return spent;
  };
}

/** "worker 40 ms, Temporal 60 ms (these used 55% of 2 cores; load average 4.1)": CPU by process over a stretch of wall time, divided by `per`. */
export function cpuShown(spent: Map<string, number>, wallMs: number, per = 1): string {
  const total = [...spent.values()].reduce((a, b) => a + b, 0);
  const cores = os.cpus().length;
  return `${[...spent].map(([what, cpu]) => `${what} ${ms(cpu / per)}`).join(', ')} (these used ${Math.round((100 * total) / (wallMs * cores))}% of ${cores} cores; load average ${os.loadavg()[0]!.toFixed(1)})`;
}

/** The gateway's call log after `since`, without the simulated key consumers, and its last sequence number. */
async function gatewayCalls(d: GrantDriver, since: number): Promise<{ calls: CallRecord[]; last: number }> {
  const calls = await sandboxControl(d.info.awsEndpoint).calls({ since });
  return { calls: calls.filter((c) => c.caller === undefined || !d.background.has(c.caller)), last: calls.reduce((m, c) => Math.max(m, c.seq), since) };
}

/**
 * `grants` grants, `concurrency` approved at the same instant per wave; every grant closed before the
 * next wave. One grant first, not counted, so a fresh worker's first run (its workflow sandbox, the
 * api's and the gateway's first connections) is not in the figures.
 */
export async function measureVending(d: GrantDriver, grants: number, concurrency: number): Promise<VendingRun> {
  const warmUp = await requestGrant(d, 'warm-up, not counted');
  try {
    await approveToFirstUse(d, warmUp);
  } finally {
    await closeGrants(d, [warmUp]);
  }
  const run: VendingRun = { concurrency, samples: [], waves: [], failures: [], cpuMs: new Map(), measuredMs: 0 };
  let seen = 0;
  for (let done = 0; done < grants; ) {
    const size = Math.min(concurrency, grants - done);
    const requested = await Promise.allSettled(Array.from({ length: size }, (_, i) => requestGrant(d, `${concurrency} at a time, ${done + i + 1} of ${grants}`)));
    const ids = requested.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    try {
      seen = (await gatewayCalls(d, seen)).last;
      const cpu = cpuMeter(d.processes);
      const t0 = performance.now();
      const measured = await Promise.allSettled(ids.map((id) => approveToFirstUse(d, id)));
      run.measuredMs += performance.now() - t0;
      for (const [what, spent] of cpu()) run.cpuMs.set(what, (run.cpuMs.get(what) ?? 0) + spent);
      const during = await gatewayCalls(d, seen);
      seen = during.last;
      for (const r of [...requested, ...measured]) {
        if (r.status === 'rejected') run.failures.push(errorText(r.reason));
      }
      const reached = measured.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      run.samples.push(...reached);
      if (reached.length > 0) run.waves.push({ grants: reached.length, calls: during.calls });
    } finally {
      await closeGrants(d, ids);
    }
    done += size;
    if (done % 10 < size || done === grants) d.log(`vending: ${done} of ${grants} grants at concurrency ${concurrency}`);
  }
  return run;
}

export const callName = (c: Pick<CallRecord, 'service' | 'action'>): string => `${c.service}:${c.action}`;

/**
 * Per AWS action: how many calls one grant's path makes (a wave's calls shared among its grants)
 * and the median duration of one, as the gateway measured it.
 */
export function callBreakdown(waves: WaveCalls[]): Array<{ call: string; perGrant: number; medianMs: number }> {
  const grants = waves.reduce((n, w) => n + w.grants, 0);
  const all = waves.flatMap((w) => w.calls);
  const names = [...new Set(all.map(callName))].sort();
  return names.map((call) => {
    const durations = all.filter((c) => callName(c) === call).map((c) => c.durationMs);
    return { call, perGrant: Math.round((durations.length / grants) * 10) / 10, medianMs: summarize(durations).p50 };
  });
}

/** Gateway time per grant, summed over its calls (at concurrency > 1 calls overlap: more than wall time). */
export function gatewayMsPerGrant(waves: WaveCalls[]): number {
  const grants = waves.reduce((n, w) => n + w.grants, 0);
  return grants === 0 ? NaN : waves.reduce((t, w) => t + w.calls.reduce((u, c) => u + c.durationMs, 0), 0) / grants;
}

function median(samples: GrantSample[], pick: (s: GrantSample) => number | undefined): number {
  return summarize(samples.flatMap((s) => {
    const v = pick(s);
    return v === undefined ? [] : [v];
  })).p50;
}

/** Where a grant's time goes (medians over the run), for the notes. */
export function breakdownNotes(run: VendingRun): string[] {
  const samples = run.samples;
  if (samples.length === 0) return [];
  const m = (pick: (s: GrantSample) => number | undefined): string => ms(median(samples, pick));
  const calls = callBreakdown(run.waves);
  return [
    `client side (medians): approve via the api ${m((s) => s.approveMs)} (caller auth, round lookup, approve Update) → seen active ${m((s) => s.activeMs)} → ` +
      `credentials via the api ${m((s) => s.credentialsMs)} (caller auth, lease Update, AssumeRole, signal) → first use ${m((s) => s.firstUseMs)} (${median(samples, (s) => s.useAttempts)} attempt(s))`,
    `server side (history, medians): approve Update accepted ${m((s) => s.server.toApprovedMs)} after the approval was sent; verifyGrant queued ${m((s) => s.server.verifyQueuedMs)}, ran ${m((s) => s.server.verifyRunMs)}; ` +
      `workflow task to active ${m((s) => s.server.toActiveMs)}; the benchmark saw it ${m((s) => s.server.seenMs)} later (history long poll)`,
    `AWS calls per grant through the gateway (count × median duration; s3:unknown is the first use, ListBuckets): ${calls.map((c) => `${c.call} ×${c.perGrant} at ${ms(c.medianMs)}`).join(', ')}; ` +
      `${ms(gatewayMsPerGrant(run.waves))} per grant in the gateway${run.concurrency > 1 ? ' (summed; the calls overlap)' : ''} of the ${m((s) => s.totalMs)} median`,
    ...cpuNote(run),
  ];
}

/** CPU per grant by process, and how much of the machine the stack used while grants were measured. */
export function cpuNote(run: VendingRun): string[] {
  if (run.cpuMs.size === 0 || run.samples.length === 0 || run.measuredMs <= 0) return [];
  return [`CPU per grant from approval to first use: ${cpuShown(run.cpuMs, run.measuredMs, run.samples.length)}`];
}

export function vendingFigure(run: VendingRun): Figure {
  const s = summarize(run.samples.map((x) => x.totalMs));
  const one = run.concurrency === 1;
  return {
    id: `vendingC${run.concurrency}`,
    what: one ? 'final approval → first use of vended credentials, one grant at a time' : `final approval → first use of vended credentials, ${run.concurrency} grants approved at once`,
    samples: s.n,
    values: { p50Ms: s.p50, p95Ms: s.p95, p99Ms: s.p99, maxMs: s.max, failed: run.failures.length },
    shown: latencyShown({ p50: s.p50, p95: s.p95, max: s.max }),
    target: `p95 ≤ ${VENDING_TARGET_MS / 1000} s`,
    met: s.n > 0 ? s.p95 <= VENDING_TARGET_MS : undefined,
    notes: [
      one
        ? 'bob approves through the api a request already waiting on its round; alice learns the grant is active (a long poll on its history, which asks nothing of the worker), asks the api for credentials and calls S3 ListBuckets with them through the gateway until it succeeds'
        : `waves of ${run.concurrency} requests approved at the same instant, each wave revoked and closed before the next`,
      ...breakdownNotes(run),
      ...(run.failures.length > 0 ? [`${run.failures.length} grant(s) failed: ${[...new Set(run.failures)].slice(0, 3).join('; ')}`] : []),
    ],
  };
}

export const vendingSection: BenchSection = {
  name: 'vending',
  async run(bench) {
    const d = await grantDriver(bench.stack.info, bench.ctx, bench.log, stackProcesses(bench.stack));
    const figures: Figure[] = [];
    for (const concurrency of [1, WAVE_SIZE]) {
      const run = await measureVending(d, bench.sizes.vendingGrants, concurrency);
      if (run.samples.length === 0) throw new Error(`no grant reached first use at concurrency ${concurrency}: ${run.failures[0] ?? 'no samples'}`);
      figures.push(vendingFigure(run));
    }
    return figures;
  },
};

