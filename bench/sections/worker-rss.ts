// DESIGN.md §9: the worker's resident memory with 1,000 open break-glass workflows, ≤ 300 MB; and
// whether it comes back down once they have all ended (a leak would not).
//
// Reads the stack's own worker process (/proc/<pid>/status): at rest, with every grant open
// (requested, approved, active, hours left), its highest reading while they were opened and ended,
// and after all were revoked and closed and the process had time to settle. Grants are opened at a
// bounded concurrency, as people would over a busy day, not in one burst.
import v8 from 'node:v8';
import type { Figure } from '../figures';
import { ms } from '../figures';
import { processMemory } from '../machine';
import type { BenchContext, BenchSection } from '../section';
import { approveGrant, closed, endGrants, errorText, fulfilledOrThrow, mapBounded, planGrants, requestGrant, resolveBenchPeople, revokeGrant, sleep, waitForPhase } from '../grants';
import type { GrantPlan } from '../grants';

const TARGET_MB = 300;
const CONCURRENCY = 20;
/** Long enough that nothing ends on its own (idle limits included) while the section runs. */
const GRANT_DURATION = '2h';
const SAMPLE_EVERY_MS = 250;
/** After the last grant opened, before the "open" reading (in-flight notifications land). */
const OPEN_SETTLE_MS = 5_000;
/** After the last run closed, before the "after" reading. */
const AFTER_SETTLE_MS = 30_000;
const STEP_TIMEOUT_MS = 120_000;

const mb = (mib: number): number => (mib * 2 ** 20) / 1e6;

/** The highest RSS seen while it runs, read every `everyMs`. */
function rssSampler(pid: number, everyMs: number): { readonly maxMiB: number; readonly readings: number; stop(): void } {
  let maxMiB = 0;
  let readings = 0;
  const read = (): void => {
    const m = processMemory(pid);
    if (!m) return;
    readings++;
    maxMiB = Math.max(maxMiB, m.rssMiB);
  };
  read();
  const timer = setInterval(read, everyMs);
  return {
    get maxMiB() {
      return maxMiB;
    },
    get readings() {
      return readings;
    },
    stop: () => clearInterval(timer),
  };
}

function rssNow(pid: number, when: string): number {
  const m = processMemory(pid);
  if (!m) throw new Error(`the stack's worker (pid ${pid}) is gone: cannot read its memory ${when}`);
  return m.rssMiB;
}

/**
 * The SDK's default sticky cache size for a worker with this heap limit (worker-options.js, with
 * reuseV8Context): every open workflow fits in it, so each stays in the worker's memory.
 */
export function defaultMaxCachedWorkflows(heapLimitMiB: number): number {
  return Math.max(Math.floor((Math.max(heapLimitMiB - 200, 0) * 600) / 1024), 10);
}

async function measureWorkerRss(bench: BenchContext): Promise<Figure[]> {
  const { ctx, log } = bench;
  const n = bench.sizes.openGrants;
  const pid = bench.stack.worker?.process.pid;
  if (pid === undefined) throw new Error('the stack has no worker process to measure');
  const people = await resolveBenchPeople(ctx);
  const plans = planGrants(n);
  const started: Array<{ id: string; plan: GrantPlan }> = [];
  const restMiB = rssNow(pid, 'at rest');
  const sampler = rssSampler(pid, SAMPLE_EVERY_MS);
  let failed = false;
  try {
    log(`rss: worker pid ${pid} at rest ${restMiB} MiB; opening ${n} grants at concurrency ${CONCURRENCY}`);
    const t0 = performance.now();
    const opened = await mapBounded(plans, CONCURRENCY, async (plan, i) => {
      const id = await requestGrant(ctx, people, plan, GRANT_DURATION);
      started.push({ id, plan });
      await approveGrant(ctx, people, id, plan);
      await waitForPhase(ctx, id, 'active', { timeoutMs: STEP_TIMEOUT_MS, intervalMs: 200 });
      if ((i + 1) % 100 === 0) log(`rss: ${i + 1} of ${n} grants requested, approved and active; worker ${rssNow(pid, 'while opening')} MiB`);
    });
    fulfilledOrThrow('opening grants', opened);
    const openingMs = performance.now() - t0;
    await sleep(OPEN_SETTLE_MS);
    const openMiB = rssNow(pid, `with ${n} grants open`);
    const open = await ctx.breakGlass.list({ active: true, limit: n + 100 });
    log(`rss: ${n} grants open (${open.length} break-glass runs open on the server) in ${ms(openingMs)}; worker ${openMiB} MiB; revoking them all`);

    const t1 = performance.now();
    const ended = await mapBounded(started, CONCURRENCY, async ({ id, plan }) => {
      await revokeGrant(ctx, people, id, plan);
      await closed(ctx, id, STEP_TIMEOUT_MS);
    });
    fulfilledOrThrow('revoking grants', ended);
    const endingMs = performance.now() - t1;
    log(`rss: all ${n} revoked and closed in ${ms(endingMs)}; letting the worker settle for ${AFTER_SETTLE_MS / 1000} s`);
    await sleep(AFTER_SETTLE_MS);
    sampler.stop();
    const afterMiB = rssNow(pid, 'after the grants ended');
    const peakMiB = Math.max(sampler.maxMiB, openMiB, afterMiB);
    const cacheDefault = defaultMaxCachedWorkflows(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
    return [
      {
        id: 'workerRss',
        what: `worker RSS with ${n} break-glass grants open`,
        samples: n,
        values: { restMiB, openMiB, peakMiB, openMB: Math.round(mb(openMiB)) },
        shown: `${openMiB} MiB open (rest ${restMiB} MiB, peak ${peakMiB} MiB)`,
        target: `≤ ${TARGET_MB} MB`,
        met: mb(openMiB) <= TARGET_MB,
        notes: [
          `rest is the reading when the section began (after the sections before it on the same worker); ${n} grants requested, approved and active (${GRANT_DURATION} each) at concurrency ${CONCURRENCY} in ${ms(openingMs)}, read ${OPEN_SETTLE_MS / 1000} s after the last became active, with ${open.length} break-glass runs open on the server`,
          `peak is the highest of ${sampler.readings} readings, every ${SAMPLE_EVERY_MS} ms, while the grants were opened, revoked and closed`,
          `the SDK's default sticky cache for this heap limit is ${cacheDefault} workflows per task queue${cacheDefault >= n ? `: all ${n} open runs stay in the worker's memory` : ''}`,
        ],
      },
      {
        id: 'workerRssAfter',
        what: `worker RSS after all ${n} ended (+${AFTER_SETTLE_MS / 1000} s)`,
        samples: n,
        values: { afterMiB, growthOverRestMiB: afterMiB - restMiB },
        shown: `${afterMiB} MiB (${afterMiB - restMiB >= 0 ? '+' : ''}${afterMiB - restMiB} MiB over rest)`,
        notes: [`revoked by their requesters at concurrency ${CONCURRENCY} and every run closed in ${ms(endingMs)}; RSS rarely drops to its starting point (V8 and the allocator keep freed pages), so compare it with the peak rather than with rest`],
      },
    ];
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    sampler.stop();
    await endGrants(ctx, people, started, { concurrency: CONCURRENCY, timeoutMs: STEP_TIMEOUT_MS, log }).catch((err: unknown) => {
      log(`rss: ${errorText(err)}`);
      if (!failed) throw err;
    });
  }
}

export const workerRssSection: BenchSection = { name: 'rss', run: measureWorkerRss };
