// DESIGN.md §9: complete break-glass lifecycles per second ÷ empty workflows per second, on the same
// Temporal server in the same run, at the same concurrency: ≥ 0.3. The ratio says how much of the
// server's and a worker's capacity one lifecycle costs beyond a bare workflow, on whatever machine
// the bench runs on (the two rates alone mostly measure the machine).
//
// Empty workflows run on a worker this section starts in the bench process, on a task queue of its
// own, bundled from bench/workflows/ and with the stack's payload codec (as every Safeguard client
// and worker has). A lifecycle is request → approve → active → revoke by the requester → run closed
// (evidence written), through the CLI's code paths against the stack's own worker process; it vends
// no credentials (the vending section measures those).
import { randomBytes } from 'node:crypto';
import { IllegalStateError } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { StackInfo } from '../../dev/stack';
import { dataConverterWithCodec, loadKeyFile } from '../../codec';
import type { Figure } from '../figures';
import { ms } from '../figures';
import type { BenchContext, BenchSection } from '../section';
import { summarize } from '../stats';
import { approveGrant, closed, endGrants, errorText, fulfilledOrThrow, mapBounded, planGrants, requestGrant, resolveBenchPeople, revokeGrant, waitForPhase } from '../grants';
import type { BenchPeople, GrantPlan } from '../grants';
import type { emptyWorkflow } from '../workflows';

const CONCURRENCY = 10;
const TARGET_RATIO = 0.3;
/** Each lifecycle step is bounded: a stuck run fails the section instead of hanging it. */
const STEP_TIMEOUT_MS = 60_000;

interface EmptyWorker {
  taskQueue: string;
  stop(): Promise<void>;
}

/**
 * The SDK's runtime in the bench process: its warnings go to the bench's log, its INFO chatter
 * (every worker state change) nowhere, and it takes no signals, so Ctrl-C still ends the bench.
 */
function installQuietRuntime(log: (m: string) => void): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN', (e) => log(`temporal sdk ${e.level}: ${e.message}`)), shutdownSignals: [] });
  } catch (err) {
    // One is in place already (installed by whatever ran first): keep it.
    if (!(err instanceof IllegalStateError)) throw err;
  }
}

/** A worker for bench/workflows/ on a fresh task queue, in this process, polling the stack's server. */
async function startEmptyWorker(info: StackInfo, log: (m: string) => void): Promise<EmptyWorker> {
  installQuietRuntime(log);
  const taskQueue = `bench-empty-${randomBytes(4).toString('hex')}`;
  const quiet = (m: string): void => void m;
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: log, error: log } });
  const connection = await NativeConnection.connect({ address: info.temporalAddress });
  try {
    const worker = await Worker.create({ connection, namespace: info.namespace, taskQueue, workflowBundle, dataConverter: dataConverterWithCodec(loadKeyFile(info.codecKeyFile)) });
    const running = worker.run();
    return {
      taskQueue,
      async stop() {
        worker.shutdown();
        await running;
        await connection.close();
      },
    };
  } catch (err) {
    await connection.close();
    throw err;
  }
}

/** n calls of fn at `concurrency`; the rate over the whole batch and each call's latency. */
async function rateOf(n: number, concurrency: number, what: string, fn: (i: number) => Promise<void>): Promise<{ perSecond: number; elapsedMs: number; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  const t0 = performance.now();
  const outcomes = await mapBounded(
    Array.from({ length: n }, (_, i) => i),
    concurrency,
    async (i) => {
      const t = performance.now();
      await fn(i);
      latenciesMs.push(performance.now() - t);
    },
  );
  const elapsedMs = performance.now() - t0;
  fulfilledOrThrow(what, outcomes);
  return { perSecond: n / (elapsedMs / 1000), elapsedMs, latenciesMs };
}

interface LifecycleTimes {
  requestToActiveMs: number[];
  revokeToClosedMs: number[];
}

/** One complete lifecycle; throws unless the run closed revoked. */
async function lifecycle(bench: BenchContext, people: BenchPeople, plan: GrantPlan, started: Array<{ id: string; plan: GrantPlan }>, times: LifecycleTimes): Promise<void> {
  const { ctx } = bench;
  const t0 = performance.now();
  const id = await requestGrant(ctx, people, plan, '30m');
  started.push({ id, plan });
  await approveGrant(ctx, people, id, plan);
  await waitForPhase(ctx, id, 'active', { timeoutMs: STEP_TIMEOUT_MS, intervalMs: 50 });
  const t1 = performance.now();
  await revokeGrant(ctx, people, id, plan);
  const result = await closed(ctx, id, STEP_TIMEOUT_MS);
  if (result.status.outcome !== 'revoked' || !result.status.revocation?.verified) throw new Error(`${id} closed ${result.status.outcome ?? 'without an outcome'}${result.status.revocation?.verified ? '' : ' without a verified revocation'}`);
  times.requestToActiveMs.push(t1 - t0);
  times.revokeToClosedMs.push(performance.now() - t1);
}

async function measureThroughput(bench: BenchContext): Promise<Figure[]> {
  const { ctx, log } = bench;
  const n = bench.sizes.throughputRuns;
  const people = await resolveBenchPeople(ctx);

  log(`throughput: starting a worker for empty workflows in the bench process`);
  const worker = await startEmptyWorker(bench.stack.info, log);
  let empty: Awaited<ReturnType<typeof rateOf>>;
  try {
    const runId = randomBytes(4).toString('hex');
    const runEmpty = (label: string) => ctx.temporal.workflow.execute<typeof emptyWorkflow>('emptyWorkflow', { taskQueue: worker.taskQueue, workflowId: `bench-empty-${runId}-${label}` });
    // The first run pays for the worker's first poll and the isolate's warm-up: not counted.
    await runEmpty('warm-up');
    log(`throughput: ${n} empty workflows at concurrency ${CONCURRENCY}`);
    empty = await rateOf(n, CONCURRENCY, 'empty workflows', (i) => runEmpty(String(i)));
  } finally {
    await worker.stop();
  }

  const plans = planGrants(n + 1);
  const started: Array<{ id: string; plan: GrantPlan }> = [];
  const times: LifecycleTimes = { requestToActiveMs: [], revokeToClosedMs: [] };
  let lifecycles: Awaited<ReturnType<typeof rateOf>>;
  let failed = false;
  try {
    await lifecycle(bench, people, plans[n]!, started, { requestToActiveMs: [], revokeToClosedMs: [] });
    log(`throughput: ${n} break-glass lifecycles at concurrency ${CONCURRENCY}`);
    lifecycles = await rateOf(n, CONCURRENCY, 'break-glass lifecycles', (i) => lifecycle(bench, people, plans[i]!, started, times));
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    await endGrants(ctx, people, started, { concurrency: CONCURRENCY, timeoutMs: STEP_TIMEOUT_MS, log }).catch((err: unknown) => {
      log(`throughput: ${errorText(err)}`);
      if (!failed) throw err;
    });
  }

  const ratio = lifecycles.perSecond / empty.perSecond;
  const p50 = (xs: number[]): string => ms(summarize(xs).p50);
  const p95 = (xs: number[]): string => ms(summarize(xs).p95);
  return [
    {
      id: 'throughputRatio',
      what: `break-glass lifecycles/s ÷ empty workflows/s, ${n} of each at concurrency ${CONCURRENCY}`,
      samples: n,
      values: { lifecyclesPerS: round2(lifecycles.perSecond), emptyPerS: round2(empty.perSecond), ratio: round2(ratio) },
      shown: `${lifecycles.perSecond.toFixed(2)}/s ÷ ${empty.perSecond.toFixed(1)}/s = ${ratio.toFixed(2)}`,
      target: `≥ ${TARGET_RATIO}`,
      met: ratio >= TARGET_RATIO,
      notes: [
        `empty workflows: ${n} in ${ms(empty.elapsedMs)} (start → result p50 ${p50(empty.latenciesMs)}, p95 ${p95(empty.latenciesMs)}), on a worker in the bench process with the stack's codec`,
        `lifecycles: ${n} in ${ms(lifecycles.elapsedMs)} (each p50 ${p50(lifecycles.latenciesMs)}, p95 ${p95(lifecycles.latenciesMs)}); request → active p50 ${p50(times.requestToActiveMs)}, revoke → closed p50 ${p50(times.revokeToClosedMs)}; no credentials vended`,
      ],
    },
  ];
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export const throughputSection: BenchSection = { name: 'throughput', run: measureThroughput };
