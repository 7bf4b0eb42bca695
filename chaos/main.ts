// `npm run chaos`: every runbook kind on an embedded stack (Temporal dev server, the AWS sandbox
// behind its gateway, two worker processes, the api; a fake Slack Web API; loopback only) while the
// worker is SIGKILLed again and again, the Temporal dev server is killed and started again on its
// SQLite file, 30% of AWS calls fail, Slack answers 429 then 500 for minutes, and a few break-glass
// runs are terminated. Then the faults stop and it checks that nothing was lost (chaos/checks.ts).
// Bounded: ≤ 15 min by default, ≤ 3 with --quick; exits 0 only when every check passes.
//   npm run chaos -- [--quick] [--json] [--seconds N] [--kills N] [--seed N] [--keep]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openContext } from '../cli/context';
import type { CliContext } from '../cli/context';
import { sandboxControl } from '../sandbox/client';
import { sleep } from '../sandbox/net';
import { FakeSlack } from '../test/support/fake-slack';
import { startCallRecorder } from './call-recorder';
import { runFinalChecks } from './checks';
import { planFaults, runFaults } from './faults';
import { lastRecoveryAtMs, newLedger } from './ledger';
import type { ChaosLedger, CheckResult } from './ledger';
import { parseChaosArgs } from './options';
import type { ChaosOptions } from './options';
import { adoptPlayRuns } from './play-runs';
import { Random } from './random';
import { renderChaosReport } from './report';
import type { ChaosReport } from './report';
import { ChaosStack } from './stack-control';
import { apiAs, breakGlassActor, newStats, playLane, playLanes } from './workload';
import type { WorkloadStats } from './workload';
import { retryTransient } from './retry';

/** Grants end this long after the last may start, so every planned end falls inside the run. */
const GRANT_SECONDS: Record<'quick' | 'full', [number, number]> = { quick: [15, 30], full: [20, 60] };
/** After the window: how long runs get to finish, and the margin the checks use (issue #14: 5 s). */
const SETTLE_MS = 180_000;
const OUTLIVE_MARGIN_MS = 5_000;
/** No play starts in the window's last stretch, and plays still running soon after it are abandoned (their runs are still checked). */
const PLAY_CUTOFF_MS = 25_000;
const PLAY_GRACE_MS = 10_000;

async function main(): Promise<number> {
  const opts = parseChaosArgs(process.argv.slice(2));
  const t0 = Date.now();
  const log = (m: string): void => void process.stderr.write(`· ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s  ${m}\n`);
  // The whole run is bounded: --quick within 3 minutes is the aim, the watchdog the hard stop.
  const watchdogMs = (opts.quick ? 6 : 20) * 60_000;
  const watchdog = setTimeout(() => {
    process.stderr.write(`chaos: gave up after ${watchdogMs / 60_000} minutes (a wait did not end); the data directory is kept\n`);
    process.exit(2);
  }, watchdogMs);
  watchdog.unref();

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-chaos-'));
  const random = new Random(opts.seed);
  log(`seed ${opts.seed}; data under ${dataDir}`);
  const slack = new FakeSlack();
  await slack.start();
  let chaos: ChaosStack | undefined;
  let ctx: CliContext | undefined;
  let checks: CheckResult[] = [];
  try {
    chaos = await ChaosStack.start({ dataDir, slackApiUrl: slack.apiUrl, log });
    ctx = await openContext(chaos.info);
    const ledger = newLedger();
    const recorder = startCallRecorder(chaos.info.awsEndpoint, ledger, 2_000);
    const stats = newStats();
    const report = await runChaos(opts, chaos, ctx, ledger, stats, slack, random, log);
    await recorder.stop();
    log('final checks…');
    checks = await runFinalChecks({ info: chaos.info, ctx, ledger });
    report.checks = checks;
    report.elapsedMs = Date.now() - t0;
    process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : renderChaosReport(report));
  } finally {
    await ctx?.close().catch(() => undefined);
    await chaos?.stop().catch((err: unknown) => log(`stopping the stack: ${err instanceof Error ? err.message : String(err)}`));
    await slack.stop();
    const failed = checks.length === 0 || checks.some((c) => !c.ok);
    if (opts.keep || failed) log(`data kept under ${dataDir}`);
    else fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return checks.length > 0 && checks.every((c) => c.ok) ? 0 : 1;
}

async function runChaos(opts: ChaosOptions, chaos: ChaosStack, ctx: CliContext, ledger: ChaosLedger, stats: WorkloadStats, slack: FakeSlack, random: Random, log: (m: string) => void): Promise<ChaosReport> {
  const windowMs = opts.chaosSeconds * 1000;
  const grantSeconds = GRANT_SECONDS[opts.quick ? 'quick' : 'full'];
  const start = Date.now();
  ledger.startedAtMs = start;
  const workload = {
    ctx,
    ledger,
    random,
    // The last grants start early enough to end inside the window.
    stopNewAtMs: start + windowMs - grantSeconds[1] * 1000,
    stopPlaysAtMs: start + windowMs - PLAY_CUTOFF_MS,
    grantSeconds,
    abandonPlaysAtMs: start + windowMs + PLAY_GRACE_MS,
    log,
  };
  const plan = planFaults(opts, windowMs, random);
  const lanes = playLanes(opts.quick);
  log(`window ${opts.chaosSeconds} s: ${plan.length} faults planned, ${opts.actors} requesters, ${lanes.length} play lanes`);
  const faults = runFaults(plan, start, {
    chaos,
    slack,
    ledger,
    random,
    awsFaultRate: opts.awsFaultRate,
    terminateOne: () => terminateOne(ctx, ledger),
    log,
  });
  const load = Promise.all([
    ...Array.from({ length: opts.actors }, (_, i) => breakGlassActor(workload, stats, i + 1)),
    // Plays start a little after the load so the first ones meet faults, not a quiet stack.
    ...lanes.map((lane, i) => sleep(i * 3_000).then(() => playLane(workload, stats, lane))),
  ]);
  await faults;
  // Recovery: every fault off, both workers up; "the last recovery" is measured from here.
  await sandboxControl(chaos.info.awsEndpoint).clearFaults();
  slack.reset();
  await chaos.ensureWorkers();
  ledger.faults.push({ fault: 'aws-faults', startedAtMs: Date.now(), recoveredAtMs: Date.now(), detail: 'all faults cleared, both workers running' });
  log('faults over; waiting for the load to finish');
  await load;
  await denyPending(ctx, ledger, log);
  await settle(ctx, ledger, log);
  await adoptPlayRuns(ctx.temporal, ledger, stats.plays);
  return {
    seed: opts.seed,
    quick: opts.quick,
    windowSeconds: opts.chaosSeconds,
    elapsedMs: 0,
    faults: ledger.faults,
    workerKills: chaos.kills,
    workload: stats,
    grants: ledger.grants.size,
    runs: ledger.runs.length,
    checks: [],
  };
}

/** A terminated run runs no code: only the reconciler can revoke it (DESIGN.md §4). */
async function terminateOne(ctx: CliContext, ledger: ChaosLedger): Promise<string | undefined> {
  // An active grant with held credentials and some time left; the load makes one soon if none is now.
  const pick = () => [...ledger.grants.values()].find((g) => !g.terminated && g.credentials && (g.plannedEndAtMs ?? 0) > Date.now() + 5_000);
  let victim = pick();
  for (let i = 0; !victim && i < 30; i++) {
    await sleep(1_000);
    victim = pick();
  }
  if (!victim) return undefined;
  const now = Date.now();
  await retryTransient(`terminate ${victim.workflowId}`, () => ctx.temporal.workflow.getHandle(victim.workflowId).terminate('chaos: terminated on purpose; the reconciler must revoke'), { withinMs: 60_000 });
  victim.terminated = true;
  for (const r of ledger.runs) if (r.workflowId === victim.workflowId) r.expect = 'terminated';
  return `terminated ${victim.workflowId} (${victim.role} for ${victim.requester}), ${Math.round(((victim.plannedEndAtMs ?? now) - now) / 1000)} s before its planned end`;
}

/** Requests still waiting for an approval the chaos lost are denied, as an approver would. */
async function denyPending(ctx: CliContext, ledger: ChaosLedger, log: (m: string) => void): Promise<void> {
  for (const g of ledger.grants.values()) {
    if (g.terminated) continue;
    try {
      const st = await retryTransient(`status ${g.workflowId}`, () => ctx.breakGlass.status(g.workflowId), { withinMs: 30_000 });
      if (st.execution?.status !== 'RUNNING' || st.phase !== 'pending') continue;
      log(`${g.workflowId} still pending: bob denies it`);
      await retryTransient(`deny ${g.workflowId}`, () => apiAs(ctx, 'bob').deny(g.workflowId, 'chaos: approval lost in an outage; denied at the end'), { withinMs: 30_000 });
    } catch (err) {
      // A run that cannot answer is the checks' business (they name it); the run goes on.
      log(`${g.workflowId}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** Waits (bounded) until every workload run has closed and every planned end is 5 s behind, and as long after the last recovery. */
async function settle(ctx: CliContext, ledger: ChaosLedger, log: (m: string) => void): Promise<void> {
  const lastEnd = Math.max(lastRecoveryAtMs(ledger), ...[...ledger.grants.values()].map((g) => g.plannedEndAtMs ?? 0));
  const deadline = Date.now() + SETTLE_MS;
  const open = new Set(ledger.runs.filter((r) => r.expect === 'closed').map((r) => r.workflowId));
  while (open.size > 0 && Date.now() < deadline) {
    for (const id of [...open]) {
      const d = await ctx.temporal.workflow.getHandle(id).describe().catch(() => undefined);
      if (d && d.status.name !== 'RUNNING') open.delete(id);
    }
    if (open.size > 0) await sleep(1_000);
  }
  if (open.size > 0) log(`${open.size} run(s) still open after ${SETTLE_MS / 1000} s of settling (the checks will name them)`);
  const wait = lastEnd + OUTLIVE_MARGIN_MS - Date.now();
  if (wait > 0) await sleep(wait);
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
