// `npm run bench` section `review`: the access review of 2 × perAccount principals (DESIGN.md §9 and
// issue #10 §2: inventory + findings of 10,000 principals ≤ 60 s). It needs a stack of its own
// (seeded principals, a bench policy with two review accounts), so it runs bench/review.ts as a
// child process, which starts and stops that stack, and turns the one JSON object it prints into
// figures. The child is bounded: on timeout it gets SIGTERM (it stops its stack), then SIGKILL.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { REPO_ROOT } from '../../dev/temporal-server';
import { kib, ms } from '../figures';
import type { Figure } from '../figures';

/** Seeding 10,000 principals, the review and reading every history take several minutes; main.ts gives a section 20. */
const REVIEW_TIMEOUT_MS = 17 * 60_000;
/** What the child gets to stop its stack after SIGTERM before it is killed. */
const STOP_GRACE_MS = 90_000;
const TARGET_MS = 60_000;

/** The part of bench/review.ts's --json output the figures use; a change there fails here by name. */
const reviewOutput = z.object({
  bench: z.literal('access-review'),
  conditions: z.object({ loadAverage: z.array(z.number()) }).loose(),
  accounts: z.number(),
  perAccount: z.number(),
  seeded: z.object({ users: z.number(), roles: z.number(), accessKeys: z.number(), seedMs: z.number() }),
  stackStartMs: z.number(),
  inventoryMs: z.number(),
  inventoryStepMs: z.number(),
  checkReviewMs: z.number(),
  findingsMs: z.number(),
  totalMs: z.number(),
  clientSawFindingsMs: z.number(),
  activities: z.record(z.string(), z.object({ n: z.number(), totalMs: z.number(), maxMs: z.number() })),
  principals: z.number(),
  flagged: z.number(),
  exempt: z.number(),
  findings: z.record(z.string(), z.number()),
  reviewers: z.number(),
  reviewerRuns: z.number(),
  decisions: z.object({ rounds: z.number(), calls: z.number(), decided: z.number(), decideMs: z.number() }),
  outcome: z.string(),
  evidenceWritten: z.boolean(),
  completeMs: z.number(),
  history: z.object({
    parent: z.object({ events: z.number(), bytes: z.number(), encodedBytes: z.number() }),
    largestByEvents: z.object({ workflowId: z.string(), events: z.number(), bytes: z.number() }),
    largestByBytes: z.object({ workflowId: z.string(), events: z.number(), bytes: z.number() }),
    runs: z.number(),
    continuedAsNew: z.number(),
    reviewerMaxEvents: z.number(),
  }),
  worker: z
    .object({ pid: z.number(), rssBeforeMiB: z.number().nullable(), rssMaxSampledMiB: z.number().nullable(), rssAfterMiB: z.number().nullable(), peakMiB: z.number().nullable() })
    .nullable(),
});
export type ReviewOutput = z.infer<typeof reviewOutput>;

/** The JSON object bench/review.ts prints as its last stdout line. */
export function parseReviewOutput(stdout: string): ReviewOutput {
  const last = stdout.trimEnd().split('\n').pop() ?? '';
  let json: unknown;
  try {
    json = JSON.parse(last);
  } catch {
    throw new Error(`bench/review.ts printed no JSON object last; its output ended: ${stdout.slice(-500) || '(nothing)'}`);
  }
  const parsed = reviewOutput.safeParse(json);
  if (!parsed.success) throw new Error(`bench/review.ts printed JSON of another shape: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

const seconds = (x: number): string => `${(x / 1000).toFixed(1)} s`;
const mib = (x: number | null | undefined): string => (x === null || x === undefined ? '?' : `${x} MiB`);

export function reviewFigures(r: ReviewOutput): Figure[] {
  const principals = r.accounts * r.perAccount;
  const findingCodes = Object.entries(r.findings).sort(([a], [b]) => (a < b ? -1 : 1));
  const collect = r.activities['collectInventory'];
  const conditions = `load ${r.conditions.loadAverage.join(' ')} when bench/review.ts started; ${r.seeded.users} users (${r.seeded.accessKeys} keys) + ${r.seeded.roles} roles seeded in ${seconds(r.seeded.seedMs)}, not measured`;
  const figures: Figure[] = [
    {
      id: 'review.inventoryFindings',
      what: `Access review inventory + findings, ${principals.toLocaleString('en-US')} principals in ${r.accounts} accounts`,
      samples: 1,
      values: { totalMs: r.totalMs, inventoryMs: r.inventoryMs, inventoryStepMs: r.inventoryStepMs, checkReviewMs: r.checkReviewMs, findingsMs: r.findingsMs, clientSawFindingsMs: r.clientSawFindingsMs, principals: r.principals },
      shown: `${seconds(r.totalMs)} (start → inventory ${seconds(r.inventoryMs)}, findings + routing ${seconds(r.findingsMs)})`,
      target: `≤ ${seconds(TARGET_MS)}`,
      met: r.totalMs <= TARGET_MS,
      notes: [
        conditions,
        `check review ${ms(r.checkReviewMs)}, inventory step ${ms(r.inventoryStepMs)}${collect ? ` (collectInventory ${collect.n}×, slowest ${ms(collect.maxMs)})` : ''}; the client saw the findings ${ms(r.clientSawFindingsMs)} after start`,
      ],
    },
    {
      id: 'review.findings',
      what: 'Access review findings (principals reviewed, flagged, exempt)',
      samples: r.principals,
      values: { principals: r.principals, flagged: r.flagged, exempt: r.exempt, reviewers: r.reviewers, reviewerRuns: r.reviewerRuns, ...Object.fromEntries(findingCodes.map(([k, v]) => [`finding.${k}`, v])) },
      shown: `${r.principals} principals, ${r.flagged} flagged, ${r.exempt} exempt; ${r.reviewers} reviewers`,
      notes: [`by code: ${findingCodes.map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`],
    },
    {
      id: 'review.completion',
      what: 'Access review keep-all decisions and completion',
      samples: r.decisions.decided,
      values: { decideMs: r.decisions.decideMs, decisionCalls: r.decisions.calls, rounds: r.decisions.rounds, decided: r.decisions.decided, completeMs: r.completeMs },
      shown: `${r.decisions.decided} items kept in ${r.decisions.calls} update(s), ${seconds(r.decisions.decideMs)}; ${r.outcome} ${seconds(r.completeMs)} after start`,
      notes: [`evidence ${r.evidenceWritten ? 'written' : 'NOT written'}`],
    },
    {
      id: 'review.history',
      what: 'Access review history (parent; largest run of the review)',
      samples: r.history.runs,
      values: {
        parentEvents: r.history.parent.events,
        parentBytes: r.history.parent.bytes,
        parentEncodedBytes: r.history.parent.encodedBytes,
        largestRunEvents: r.history.largestByEvents.events,
        largestRunBytes: r.history.largestByBytes.bytes,
        runs: r.history.runs,
        continuedAsNew: r.history.continuedAsNew,
      },
      shown: `parent ${r.history.parent.events} ev ${kib(r.history.parent.bytes)}; largest run ${kib(r.history.largestByBytes.bytes)} (${r.history.largestByBytes.events} ev)`,
      notes: [
        `${r.history.runs} runs read (${r.history.continuedAsNew} continued as new); largest by bytes ${r.history.largestByBytes.workflowId}, by events ${r.history.largestByEvents.workflowId} (${r.history.largestByEvents.events} ev)`,
      ],
    },
  ];
  const w = r.worker;
  figures.push({
    id: 'review.workerRss',
    what: 'Worker resident memory during the access review',
    samples: w === null ? 0 : 3,
    values: { rssBeforeMiB: w?.rssBeforeMiB ?? null, rssMaxSampledMiB: w?.rssMaxSampledMiB ?? null, rssAfterMiB: w?.rssAfterMiB ?? null, peakMiB: w?.peakMiB ?? null },
    shown: w === null ? 'n/a' : `before ${mib(w.rssBeforeMiB)}, max sampled ${mib(w.rssMaxSampledMiB)}, after ${mib(w.rssAfterMiB)}, peak ${mib(w.peakMiB)}`,
    notes: ['sampled every 200 ms during inventory and findings; peak is the kernel’s VmHWM over the worker’s life'],
  });
  return figures;
}

/** Runs bench/review.ts (it starts and stops a stack of its own) and returns its figures. */
export async function runReviewSection(perAccount: number, log: (m: string) => void): Promise<Figure[]> {
  const tsxLoader = pathToFileURL(path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', tsxLoader, path.join(REPO_ROOT, 'bench/review.ts'), '--json', '--per-account', String(perAccount)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
  });
  // If this process goes (bench's watchdog), the child still stops its stack.
  const onExit = (): void => void child.kill('SIGTERM');
  process.once('exit', onExit);
  let stdout = '';
  let stderrTail = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  let partial = '';
  child.stderr.on('data', (d: Buffer) => {
    const text = partial + d.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') log(`review: ${line.replace(/^· /, '')}`);
    stderrTail = (stderrTail + text).slice(-4000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), REVIEW_TIMEOUT_MS)));
  try {
    const first = await Promise.race([exited, timedOut]);
    if (first === 'timeout') {
      log(`review: no result within ${REVIEW_TIMEOUT_MS / 60_000} min; stopping it`);
      child.kill('SIGTERM');
      let kill: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((r) => (kill = setTimeout(r, STOP_GRACE_MS)))]);
      clearTimeout(kill);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      throw new Error(`bench/review.ts --per-account ${perAccount} did not finish within ${REVIEW_TIMEOUT_MS / 60_000} min`);
    }
    if (first.code !== 0) throw new Error(`bench/review.ts exited ${first.code ?? first.signal}: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}`);
    return reviewFigures(parseReviewOutput(stdout));
  } finally {
    clearTimeout(timer);
    process.removeListener('exit', onExit);
  }
}
