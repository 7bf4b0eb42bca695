// The chaos run's fault plan: when each fault starts and ends, spread over the window with seeded
// jitter, and the executor that carries it out and records every fault (and when the stack was
// whole again) in the ledger. Faults overlap on purpose: a worker dies while AWS throttles.
import { sandboxControl } from '../sandbox/client';
import type { FakeSlack } from '../test/support/fake-slack';
import type { ChaosLedger, FaultEvent } from './ledger';
import type { ChaosOptions } from './options';
import type { Random } from './random';
import type { ChaosStack } from './stack-control';

export type PlannedFault =
  | { atMs: number; fault: 'worker-kill'; both: boolean }
  | { atMs: number; fault: 'temporal-restart'; downMs: number }
  | { atMs: number; fault: 'aws-faults'; untilMs: number }
  | { atMs: number; fault: 'slack-faults'; untilMs: number; status: 429 | 500 }
  | { atMs: number; fault: 'terminate' };

/** The plan for a window of `windowMs`: kills spread evenly with jitter, the rest at fixed shares. */
export function planFaults(opts: Pick<ChaosOptions, 'workerKills' | 'temporalRestarts' | 'terminations'>, windowMs: number, random: Random): PlannedFault[] {
  const plan: PlannedFault[] = [];
  const at = (share: number) => Math.round(share * windowMs);
  // Kills between 5% and 85% of the window, every sixth one taking both workers down at once.
  const killSpan = 0.8 / Math.max(1, opts.workerKills);
  for (let i = 0; i < opts.workerKills; i++) plan.push({ atMs: at(0.05 + killSpan * (i + random.between(0.1, 0.9))), fault: 'worker-kill', both: i % 6 === 5 });
  for (let i = 0; i < opts.temporalRestarts; i++) plan.push({ atMs: at(0.3 + (0.5 * (i + 1)) / (opts.temporalRestarts + 1)), fault: 'temporal-restart', downMs: Math.round(random.between(3_000, 8_000)) });
  plan.push({ atMs: at(0.1), fault: 'aws-faults', untilMs: at(0.8) });
  plan.push({ atMs: at(0.15), fault: 'slack-faults', status: 429, untilMs: at(0.45) });
  plan.push({ atMs: at(0.5), fault: 'slack-faults', status: 500, untilMs: at(0.8) });
  for (let i = 0; i < opts.terminations; i++) plan.push({ atMs: at(0.25 + (0.5 * (i + 1)) / (opts.terminations + 1)), fault: 'terminate' });
  return plan.filter((f) => f.atMs < windowMs).sort((a, b) => a.atMs - b.atMs);
}

export interface FaultTargets {
  chaos: ChaosStack;
  slack: FakeSlack;
  ledger: ChaosLedger;
  random: Random;
  awsFaultRate: number;
  /** Terminates one active break-glass run the workload holds; undefined when none is active. */
  terminateOne(): Promise<string | undefined>;
  log(m: string): void;
}

/** Carries out the plan from `t0`; resolves when every fault has started and the timed ones ended. */
export async function runFaults(plan: PlannedFault[], t0: number, t: FaultTargets): Promise<void> {
  const control = sandboxControl(t.chaos.info.awsEndpoint);
  const timed: Array<Promise<void>> = [];
  const record = (e: FaultEvent): FaultEvent => {
    t.ledger.faults.push(e);
    t.log(`fault: ${e.fault}: ${e.detail}`);
    return e;
  };
  for (const f of plan) {
    const wait = t0 + f.atMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const startedAtMs = Date.now();
    try {
      if (f.fault === 'worker-kill') {
        const e = record({ fault: f.fault, startedAtMs, detail: f.both ? 'both workers' : 'one worker' });
        // Not awaited: the next fault need not wait for the replacement to start.
        timed.push(t.chaos.killWorkers(t.random, f.both).then((d) => void Object.assign(e, { detail: d, recoveredAtMs: Date.now() })));
      } else if (f.fault === 'temporal-restart') {
        const e = record({ fault: f.fault, startedAtMs, detail: `down ${Math.round(f.downMs / 1000)} s` });
        timed.push(t.chaos.restartTemporal(f.downMs).then((d) => void Object.assign(e, { detail: d, recoveredAtMs: Date.now() })));
      } else if (f.fault === 'aws-faults') {
        // Two rules, throttling then 5xx, whose combined rate is awsFaultRate on every service.
        const throttle = t.awsFaultRate / 2;
        const fivexx = 1 - (1 - t.awsFaultRate) / (1 - throttle);
        await control.addFault({ service: '*', kind: 'throttle', rate: throttle });
        await control.addFault({ service: '*', kind: '5xx', rate: fivexx });
        const e = record({ fault: f.fault, startedAtMs, detail: `${Math.round(t.awsFaultRate * 100)}% of every AWS call fails (throttling ${Math.round(throttle * 100)}%, then 5xx)` });
        timed.push(sleepUntil(t0 + f.untilMs).then(async () => {
          await control.clearFaults();
          e.recoveredAtMs = Date.now();
          t.log('fault: aws-faults cleared');
        }));
      } else if (f.fault === 'slack-faults') {
        const ms = f.untilMs - f.atMs;
        t.slack.failFor(ms, f.status === 429 ? { status: 429, retryAfterSec: 5 } : { status: 500 });
        const e = record({ fault: f.fault, startedAtMs, detail: `every Slack Web API call answers ${f.status} for ${Math.round(ms / 1000)} s` });
        timed.push(sleepUntil(t0 + f.untilMs).then(() => void (e.recoveredAtMs = Date.now())));
      } else {
        const which = await t.terminateOne();
        record({ fault: f.fault, startedAtMs, recoveredAtMs: Date.now(), detail: which ?? 'no active grant to terminate' });
      }
    } catch (err) {
      record({ fault: f.fault, startedAtMs, recoveredAtMs: Date.now(), detail: `could not inject: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  await Promise.all(timed);
}

function sleepUntil(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));
}
