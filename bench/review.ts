// Benchmark (issue #10 §2: an access review of 10,000 principals, inventory + findings ≤ 60 s on this
// machine). Starts its own embedded stack (Temporal dev server + AWS sandbox + worker, loopback only,
// data in a temporary directory) with a bench policy built from examples/policy.yaml plus two review
// accounts; seeds N principals in each, half users and half roles (bench/seed-principals.ts: keys,
// owner tags naming the policy's people, some untagged, aged so findings appear; each account also
// has its SafeguardExecution role, always exempt); starts the review with ReviewClient and
// reads the step times from the run's own status (its timeline), then has every reviewer run keep all
// in bulk, waits for the review to complete, and reads the history of the parent and of every
// reviewer run (continued-as-new runs included). Prints one table, or with --json one JSON object.
//   npm run bench:review -- [--per-account 5000] [--json] [--keep]
// --per-account: principals per account (half users, half roles; an odd number rounds up); default
// 5000, so 2 × 5,000 = 10,000 principals. --keep leaves .data/bench-review (logs, temporal.db).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { temporal } from '@temporalio/proto';
import type { google } from '@temporalio/proto';
import { ReviewClient } from '../client/review-client';
import { SafeguardError } from '../client/errors';
import { connectTemporal } from '../client/temporal';
import { loadKeyFile } from '../codec';
import { loadPolicyFile } from '../config/policy';
import { startStack } from '../dev/stack';
import type { Stack } from '../dev/stack';
import { REPO_ROOT } from '../dev/temporal-server';
import type { AccessReviewStatus, AccessReviewerStatus } from '../workflows/access-review/definitions';
import { machineConditions, processMemory } from './machine';
import { runsOf } from './sections/history-size';
import type { RunSize } from './sections/history-size';
import { seedPrincipals } from './seed-principals';

const ACCOUNTS = ['111111111111', '222222222222'] as const;
const REVIEW = 'bench-review';
const TARGET_MS = 60_000;
/** Every wait is bounded; the whole run too (then the stack is stopped and the process exits). */
const WAIT_FINDINGS_MS = 10 * 60_000;
const WAIT_REVIEWERS_MS = 2 * 60_000;
const WAIT_DECISIONS_MS = 5 * 60_000;
const WAIT_RESULT_MS = 5 * 60_000;
const WATCHDOG_MS = 40 * 60_000;

interface Options {
  /** Principals per account: perAccount / 2 users and as many roles. */
  perAccount: number;
  json: boolean;
  keep: boolean;
}

function parseArgs(argv: string[]): Options {
  const i = argv.indexOf('--per-account');
  const perAccount = i >= 0 ? Number(argv[i + 1]) : 5000;
  if (!Number.isInteger(perAccount) || perAccount < 1 || perAccount > 20_000) throw new Error('--per-account must be an integer from 1 to 20000');
  const known = new Set(['--per-account', '--json', '--keep']);
  argv.forEach((a, j) => {
    if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown option ${a} (options: --per-account <n>, --json, --keep)`);
    if (!a.startsWith('--') && argv[j - 1] !== '--per-account') throw new Error(`unexpected argument ${a}`);
  });
  return { perAccount, json: argv.includes('--json'), keep: argv.includes('--keep') };
}

/**
 * examples/policy.yaml's people, groups and everything else, plus the two review accounts and one
 * review over both: fallback groups per account, the auditors as escalation, and a deadline far
 * enough away (1 h) that nothing escalates, reminds or defaults while the bench runs.
 */
function writeBenchPolicy(file: string): void {
  const doc = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, 'examples/policy.yaml'), 'utf8')) as Record<string, unknown> & { accounts: unknown[]; reviews?: { channel?: string; access?: unknown[] } };
  doc.accounts = [
    ...doc.accounts,
    ...ACCOUNTS.map((id, i) => ({ id, name: `bench-${'ab'[i]}`, executionRoleArn: `arn:aws:iam::${id}:role/SafeguardExecution`, externalId: 'safeguard-sandbox' })),
  ];
  doc.reviews = {
    ...(doc.reviews?.channel ? { channel: doc.reviews.channel } : {}),
    access: [
      {
        name: REVIEW,
        accounts: [...ACCOUNTS],
        owners: { tag: 'owner', fallback: { [ACCOUNTS[0]]: 'security', [ACCOUNTS[1]]: 'leads' } },
        escalation: 'auditors',
        deadline: '1h',
        escalateAfter: '50m',
        remindEvery: '30m',
        defaultAction: 'report-only',
        keyMaxAge: '90d',
        unusedAfter: '90d',
        identityCenter: false,
        // A handful of exempt principals per account (sg-role-00001…00009), so the figure is not always 2.
        exempt: [{ principal: 'arn:aws:iam::*:role/sg-role-0000*', reason: 'bench: platform roles reviewed elsewhere' }],
      },
    ],
  };
  fs.writeFileSync(file, `# Written by bench/review.ts from examples/policy.yaml; do not edit.\n${YAML.stringify(doc)}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function withTimeout<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s: ${what}`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

/** Polls `read` until `done`, at most `ms`. */
async function until<T>(what: string, ms: number, everyMs: number, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s: ${what}`);
    await sleep(everyMs);
  }
}

const at = (iso: string | undefined): number | undefined => (iso === undefined ? undefined : Date.parse(iso));

/** When the run's timeline says `event` happened (the first time), in epoch ms. */
function eventAt(st: AccessReviewStatus, event: string): number | undefined {
  return at(st.timeline.find((e) => e.event === event)?.at);
}

function stepDone(st: AccessReviewStatus, name: string): boolean {
  return st.view.steps.some((s) => s.name === name && (s.state === 'done' || s.state === 'failed'));
}

/** The Temporal id of a history event type, without the enum prefix ("ACTIVITY_TASK_COMPLETED"). */
const EventType = temporal.api.enums.v1.EventType;

/** Per activity type in a history: how many, and the sum and max of scheduled → completed. */
function activityTimes(history: temporal.api.history.v1.IHistory): Record<string, { n: number; totalMs: number; maxMs: number; queuedMaxMs: number }> {
  const ms = (t: google.protobuf.ITimestamp | null | undefined): number => (t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0);
  const scheduled = new Map<string, { type: string; at: number; startedAt?: number }>();
  const out: Record<string, { n: number; totalMs: number; maxMs: number; queuedMaxMs: number }> = {};
  for (const e of history.events ?? []) {
    const id = String(e.eventId ?? '');
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      scheduled.set(id, { type: e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?', at: ms(e.eventTime) });
    } else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      const s = scheduled.get(String(e.activityTaskStartedEventAttributes?.scheduledEventId ?? ''));
      if (s) s.startedAt = ms(e.eventTime);
    } else if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
      const s = scheduled.get(String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? ''));
      if (!s) continue;
      const o = (out[s.type] ??= { n: 0, totalMs: 0, maxMs: 0, queuedMaxMs: 0 });
      const d = ms(e.eventTime) - s.at;
      o.n++;
      o.totalMs += d;
      o.maxMs = Math.max(o.maxMs, d);
      // Started events of retried activities are written at completion; the first attempt's are not.
      if (s.startedAt !== undefined) o.queuedMaxMs = Math.max(o.queuedMaxMs, s.startedAt - s.at);
    }
  }
  return out;
}

/** The conditions in the shape this bench has always printed (`loadAverage`, taken at its start). */
function conditions() {
  const { loadAverageAtStart, ...machine } = machineConditions();
  return { ...machine, loadAverage: loadAverageAtStart };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const log = (m: string): void => void process.stderr.write(`· ${m}\n`);
  const machine = conditions();
  // A directory of its own, so runs side by side (and `npm run bench`) never share one; --keep uses
  // the fixed .data/bench-review, to be looked at afterwards.
  const dataDir = opts.keep ? path.join(REPO_ROOT, '.data', 'bench-review') : fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-bench-review-'));
  if (opts.keep) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.mkdirSync(dataDir, { recursive: true });
  }
  const policyFile = path.join(dataDir, 'bench-policy.yaml');
  writeBenchPolicy(policyFile);
  const policy = loadPolicyFile(policyFile);
  const people = policy.people.map((p) => p.id);

  let stack: Stack | undefined;
  let closeConnection: (() => Promise<void>) | undefined;
  let stopping: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (stopping ??= (async () => {
      await closeConnection?.().catch(() => undefined);
      await stack?.stop().catch((err: unknown) => log(`stopping the stack: ${err instanceof Error ? err.message : String(err)}`));
      if (!opts.keep) fs.rmSync(dataDir, { recursive: true, force: true });
      else log(`kept the stack's data under ${path.relative(process.cwd(), dataDir)}`);
    })());
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench:review: gave up after ${WATCHDOG_MS / 60_000} minutes\n`);
    void withTimeout('stopping the stack', 60_000, cleanup()).finally(() => process.exit(2));
  }, WATCHDOG_MS);
  watchdog.unref();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`bench:review: ${sig}, stopping the stack\n`);
      void withTimeout('stopping the stack', 60_000, cleanup()).finally(() => process.exit(130));
    });
  }

  try {
    log(`${machine.cores} core(s) ${machine.cpu}, ${machine.memoryGiB} GiB, node ${machine.node}, load ${machine.loadAverage.join(' ')}`);
    let t = performance.now();
    // Headless, loopback only; the simulated key consumers (rotation demos) are off so they add no load.
    stack = await startStack({ dataDir, headless: true, policyFile, consumers: false, log });
    const stackStartMs = performance.now() - t;
    log(`stack up in ${(stackStartMs / 1000).toFixed(1)} s (Temporal ${stack.info.temporalAddress}, sandbox ${stack.info.awsEndpoint})`);
    const info = stack.info;

    // Seeding: not part of the measured figure.
    t = performance.now();
    // seedPrincipals makes as many users as roles: half of the account's principals each.
    const half = Math.ceil(opts.perAccount / 2);
    const seeded = await seedPrincipals({ endpoint: info.awsEndpoint, accounts: [...ACCOUNTS], perAccount: half, people, log });
    const seedMs = performance.now() - t;
    log(`seeded ${ACCOUNTS.length} × (${half} users + ${half} roles) in ${(seedMs / 1000).toFixed(1)} s`);

    const { client, connection } = await connectTemporal({ address: info.temporalAddress, namespace: info.namespace, tls: false }, loadKeyFile(info.codecKeyFile), { connectTimeoutMs: 10_000 });
    closeConnection = () => connection.close();
    const reviews = new ReviewClient(client, info.taskQueue);
    const workerPid = stack.worker?.process.pid;
    const rssBefore = processMemory(workerPid);

    // ---- inventory + findings (the measured part) ----
    const startedAt = Date.now();
    const { workflowId } = await reviews.start(policy, REVIEW, 'alice');
    log(`review ${workflowId} started`);
    let lastProgress = 0;
    let peakWorker = rssBefore;
    const st = await until(
      'the review to finish its findings step',
      WAIT_FINDINGS_MS,
      200,
      async () => {
        const s = await reviews.status(workflowId);
        const r = processMemory(workerPid);
        if (r && (!peakWorker || r.rssMiB > peakWorker.rssMiB)) peakWorker = r;
        if (Date.now() - lastProgress > 5000 && s.progress.length > 0) {
          lastProgress = Date.now();
          log(`inventory: ${s.progress.map((p) => `${p.accountId} ${p.what} ${p.count}`).join('; ')}`);
        }
        return s;
      },
      (s) => stepDone(s, 'findings') || s.execution.status !== 'RUNNING' || s.view.steps.some((x) => x.state === 'failed'),
    );
    const clientSawFindingsMs = Date.now() - startedAt;
    if (!stepDone(st, 'findings') || st.view.steps.some((x) => x.state === 'failed')) {
      throw new Error(`the review did not get through its findings: ${JSON.stringify(st.view.steps)}`);
    }
    const wfStartedAt = Date.parse(st.view.startedAt);
    const checkDone = eventAt(st, 'check review:done');
    const invRunning = eventAt(st, 'inventory:running');
    const invDone = eventAt(st, 'inventory:done');
    const findingsDone = eventAt(st, 'findings:done');
    if (invDone === undefined || findingsDone === undefined || invRunning === undefined) throw new Error(`the review's timeline lacks its step times: ${JSON.stringify(st.timeline)}`);
    const measured = {
      /** Client start call → the workflow's first task (its startedAt). */
      toWorkflowStartMs: wfStartedAt - startedAt,
      checkReviewMs: (checkDone ?? invRunning) - wfStartedAt,
      /** start → 'inventory' done (the brief's figure), and the inventory step alone. */
      inventoryMs: invDone - startedAt,
      inventoryStepMs: invDone - invRunning,
      /** 'inventory' done → 'findings' done: findings, routing and the reviewers' item blobs. */
      findingsMs: findingsDone - invDone,
      totalMs: findingsDone - startedAt,
      clientSawFindingsMs,
    };
    log(`inventory ${(measured.inventoryMs / 1000).toFixed(1)} s, findings + routing ${(measured.findingsMs / 1000).toFixed(1)} s, total ${(measured.totalMs / 1000).toFixed(1)} s`);

    // ---- every reviewer keeps all ----
    const withReviewers = await until('the review to start its reviewers', WAIT_REVIEWERS_MS, 250, () => reviews.status(workflowId), (s) => s.reviewers.length > 0 || s.execution.status !== 'RUNNING');
    if (withReviewers.reviewers.length === 0) throw new Error(`the review started no reviewers: ${JSON.stringify(withReviewers.view.steps)}`);
    const totals = withReviewers.totals!;
    const decideStart = performance.now();
    let rounds = 0;
    let decisionCalls = 0;
    let decided = 0;
    await withTimeout(
      'every reviewer run deciding',
      WAIT_DECISIONS_MS,
      (async () => {
        for (;;) {
          const runs: AccessReviewerStatus[] = await reviews.reviewers(workflowId);
          if (runs.some((r) => r.phase === 'loading')) {
            await sleep(250);
            continue;
          }
          const open = runs.filter((r) => r.phase === 'reviewing' && r.counts.decided < r.counts.items);
          if (open.length === 0) return;
          if (rounds >= 10) throw new Error(`still undecided after ${rounds} rounds: ${open.map((r) => `${r.workflowId} ${r.counts.items - r.counts.decided}`).join(', ')}`);
          // One decider per open run; a different one each round, so items a decider may not take
          // (their own access, skipped by bulk) go to someone else next round.
          const deciders = new Set(open.map((r) => r.mayDecide[rounds % r.mayDecide.length]!));
          for (const person of deciders) {
            try {
              const out = await reviews.decide(workflowId, person, { bulk: 'keep-all', reason: 'bench: keep all', via: 'cli' });
              decisionCalls += out.runs.length;
              decided += out.decided;
            } catch (err) {
              // A run that closed between the read and the decision: the next round sees it.
              if (!(err instanceof SafeguardError)) throw err;
              log(`${person}: ${err.message}`);
            }
          }
          rounds++;
        }
      })(),
    );
    const decideMs = performance.now() - decideStart;
    const result = await withTimeout('the review to complete', WAIT_RESULT_MS, reviews.result(workflowId));
    const completeMs = Date.now() - startedAt;
    log(`review ${result.outcome} ${(completeMs / 1000).toFixed(1)} s after it started`);
    const rssAfter = processMemory(workerPid);

    // ---- histories ----
    const ids = [workflowId, ...result.status.reviewers.map((r) => r.workflowId)];
    const all: RunSize[] = [];
    let parentHistory: temporal.api.history.v1.IHistory = {};
    for (const id of ids) {
      const h = await withTimeout(`the history of ${id}`, 60_000, runsOf(client, id));
      if (id === workflowId) parentHistory = h.latest;
      all.push(...h.runs);
    }
    const parent = all.find((r) => r.workflowId === workflowId)!;
    const reviewerRuns = all.filter((r) => r.workflowId !== workflowId);
    const byEvents = [...all].sort((a, b) => b.events - a.events)[0]!;
    const byBytes = [...all].sort((a, b) => b.historyBytes - a.historyBytes)[0]!;
    const activities = activityTimes(parentHistory);

    const figures = {
      bench: 'access-review',
      conditions: { ...machine, consumers: false, workerLogLevel: process.env.LOG_LEVEL ?? 'info' },
      accounts: ACCOUNTS.length,
      perAccount: 2 * half,
      seeded: {
        users: seeded.accounts.reduce((n, a) => n + a.users, 0),
        roles: seeded.accounts.reduce((n, a) => n + a.roles, 0),
        accessKeys: seeded.accounts.reduce((n, a) => n + a.accessKeys, 0),
        seedMs: Math.round(seedMs),
      },
      stackStartMs: Math.round(stackStartMs),
      reviewId: workflowId,
      inventoryMs: measured.inventoryMs,
      inventoryStepMs: measured.inventoryStepMs,
      checkReviewMs: measured.checkReviewMs,
      toWorkflowStartMs: measured.toWorkflowStartMs,
      findingsMs: measured.findingsMs,
      totalMs: measured.totalMs,
      targetMs: TARGET_MS,
      targetMet: measured.totalMs <= TARGET_MS,
      clientSawFindingsMs: measured.clientSawFindingsMs,
      activities: Object.fromEntries(Object.entries(activities).map(([k, v]) => [k, { n: v.n, totalMs: v.totalMs, maxMs: v.maxMs }])),
      principals: totals.principals,
      flagged: totals.flagged,
      exempt: totals.exempt,
      findings: totals.findings,
      reviewers: new Set(result.status.reviewers.map((r) => `${r.reviewer.type}:${r.reviewer.id}`)).size,
      reviewerRuns: result.status.reviewers.length,
      decisions: { rounds, calls: decisionCalls, decided, decideMs: Math.round(decideMs) },
      outcome: result.outcome,
      evidenceWritten: result.evidenceWritten,
      completeMs,
      history: {
        parent: { events: parent.events, bytes: parent.historyBytes, encodedBytes: parent.encodedBytes },
        largestByEvents: { workflowId: byEvents.workflowId, events: byEvents.events, bytes: byEvents.historyBytes },
        largestByBytes: { workflowId: byBytes.workflowId, events: byBytes.events, bytes: byBytes.historyBytes },
        runs: all.length,
        continuedAsNew: all.filter((r) => r.continuedAsNew).length,
        reviewerMaxEvents: Math.max(0, ...reviewerRuns.map((r) => r.events)),
      },
      worker: workerPid === undefined ? null : { pid: workerPid, rssBeforeMiB: rssBefore?.rssMiB ?? null, rssMaxSampledMiB: peakWorker?.rssMiB ?? null, rssAfterMiB: rssAfter?.rssMiB ?? null, peakMiB: rssAfter?.peakMiB ?? null },
    };

    if (opts.json) {
      process.stdout.write(`${JSON.stringify(figures)}\n`);
    } else {
      const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
      const rows: Array<[string, string]> = [
        ['machine', `${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, node ${machine.node}, ${machine.platform}, load ${machine.loadAverage.join(' ')} at start`],
        ['stack', `embedded, headless, loopback; simulated key consumers off; started in ${s(stackStartMs)}`],
        ['seeded (not measured)', `${figures.seeded.users} users (${figures.seeded.accessKeys} keys) + ${figures.seeded.roles} roles in ${ACCOUNTS.length} accounts in ${s(seedMs)}`],
        ['start → inventory done', `${s(measured.inventoryMs)}  (check review ${s(measured.checkReviewMs)}, inventory step ${s(measured.inventoryStepMs)})`],
        ['findings + routing', s(measured.findingsMs)],
        ['inventory + findings', `${s(measured.totalMs)}  target ≤ ${s(TARGET_MS)}: ${figures.targetMet ? 'met' : 'NOT met'}  (client saw it after ${s(measured.clientSawFindingsMs)})`],
        ...Object.entries(activities)
          .filter(([k]) => k === 'collectInventory' || k === 'planReview' || k === 'checkReviewRequest')
          .map(([k, v]): [string, string] => [`  activity ${k}`, `${v.n}× scheduled→completed max ${s(v.maxMs)}`]),
        ['principals', `${totals.principals} (flagged ${totals.flagged}, exempt ${totals.exempt})`],
        ['findings by code', Object.entries(totals.findings).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k} ${v}`).join(', ')],
        ['reviewers', `${figures.reviewers} (${figures.reviewerRuns} runs)`],
        ['decisions', `keep-all: ${decided} items in ${decisionCalls} update(s) over ${rounds} round(s), ${s(decideMs)}`],
        ['review', `${result.outcome}, evidence ${result.evidenceWritten ? 'written' : 'NOT written'}, ${s(completeMs)} after start`],
        ['history: parent', `${parent.events} events, ${kb(parent.historyBytes)}`],
        ['history: largest (events)', `${byEvents.events} events, ${kb(byEvents.historyBytes)}  ${byEvents.workflowId}`],
        ['history: largest (bytes)', `${byBytes.events} events, ${kb(byBytes.historyBytes)}  ${byBytes.workflowId}`],
        ['history: runs read', `${all.length} (continued as new: ${figures.history.continuedAsNew})`],
        ['worker RSS', figures.worker ? `${figures.worker.rssBeforeMiB ?? '?'} MiB before, ${figures.worker.rssMaxSampledMiB ?? '?'} MiB max sampled during inventory, ${figures.worker.rssAfterMiB ?? '?'} MiB after, peak ${figures.worker.peakMiB ?? '?'} MiB` : 'n/a'],
      ];
      const w = Math.max(...rows.map(([k]) => k.length));
      process.stdout.write(`access review bench: ${ACCOUNTS.length} accounts × ${2 * half} principals (${half} users + ${half} roles each, plus Safeguard's own roles)\n`);
      for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v}\n`);
    }
  } finally {
    await withTimeout('stopping the stack', 120_000, cleanup()).catch((err: unknown) => log(err instanceof Error ? err.message : String(err)));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:review: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
