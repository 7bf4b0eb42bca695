// `npm run chaos` options: how long, how hard, and what to print. Every size is bounded so a run
// always stops by itself; --quick is the short run (≤ 3 min) and the default the long one (≤ 15).
import { Command, InvalidArgumentError } from 'commander';

export interface ChaosOptions {
  quick: boolean;
  json: boolean;
  /** How long faults and load run (seconds), before recovery and the final checks. */
  chaosSeconds: number;
  /** Worker SIGKILLs spread over the chaos window. */
  workerKills: number;
  /** Temporal dev server restarts (its SQLite file persists). */
  temporalRestarts: number;
  /** Break-glass runs terminated on purpose (the reconciler must revoke them). */
  terminations: number;
  /** Concurrent break-glass requesters. */
  actors: number;
  /** Rate of injected AWS failures, half throttling and half 5xx. */
  awsFaultRate: number;
  /** Seed for every random choice, so a failing run can be repeated. */
  seed: number;
  /** Keep the stack's data directory (logs, temporal.db, evidence) for inspection. */
  keep: boolean;
}

function integer(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

function rate(v: string): number {
  const n = Number(v);
  if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(v) || n > 0.9) throw new InvalidArgumentError('must be a number from 0 to 0.9');
  return n;
}

export function parseChaosArgs(argv: string[]): ChaosOptions {
  const program = new Command('chaos')
    .description('Runs every runbook kind on an embedded stack under worker kills, a Temporal restart, AWS and Slack faults and terminated runs, then checks nothing was lost')
    .option('--quick', 'the short run (about 3 minutes in all)', false)
    .option('--json', 'print one JSON object instead of the report', false)
    .option('--seconds <n>', 'length of the chaos window in seconds', integer(30, 840))
    .option('--kills <n>', 'worker SIGKILLs in the window', integer(0, 200))
    .option('--restarts <n>', 'Temporal dev server restarts in the window', integer(0, 5))
    .option('--terminations <n>', 'break-glass runs terminated on purpose', integer(0, 20))
    .option('--actors <n>', 'concurrent break-glass requesters', integer(1, 20))
    .option('--aws-fault-rate <r>', 'share of AWS calls that fail (half throttled, half 5xx)', rate)
    .option('--seed <n>', 'seed for the random choices', integer(0, 2 ** 31 - 1))
    .option('--keep', 'keep the data directory', false)
    .exitOverride()
    .allowExcessArguments(false);
  program.parse(argv, { from: 'user' });
  const o = program.opts<{ quick: boolean; json: boolean; seconds?: number; kills?: number; restarts?: number; terminations?: number; actors?: number; awsFaultRate?: number; seed?: number; keep: boolean }>();
  const q = o.quick;
  return {
    quick: q,
    json: o.json,
    chaosSeconds: o.seconds ?? (q ? 90 : 600),
    workerKills: o.kills ?? (q ? 6 : 24),
    temporalRestarts: o.restarts ?? 1,
    terminations: o.terminations ?? (q ? 1 : 3),
    actors: o.actors ?? (q ? 2 : 3),
    awsFaultRate: o.awsFaultRate ?? 0.3,
    seed: o.seed ?? Math.floor(Math.random() * 2 ** 31),
    keep: o.keep,
  };
}
