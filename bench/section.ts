// What a section of `npm run bench` gets: the one embedded stack the run started (Temporal dev
// server, AWS sandbox behind the gateway, the worker as its own process, the api), a CLI context on
// it, and the run's sizes. Sections run one after another on the same stack and leave nothing
// pending (they deny or revoke what they started) so the next one measures only itself.
import type { CliContext } from '../cli/context';
import type { Stack } from '../dev/stack';
import type { Figure } from './figures';

export interface BenchSizes {
  /** Concurrent signed /breakglass commands (default 50). */
  slackCommands: number;
  /** Grants measured for approval → first use, at each concurrency (default 30). */
  vendingGrants: number;
  /** Grants that expire within the same second (default 200). */
  expiringGrants: number;
  /** Lifecycles and empty workflows for the throughput ratio (default 60 each). */
  throughputRuns: number;
  /** Open grants while the worker's RSS is read (default 1000). */
  openGrants: number;
}

export interface BenchContext {
  stack: Stack;
  ctx: CliContext;
  sizes: BenchSizes;
  /** Progress, to stderr (stdout carries only the table or the JSON). */
  log(message: string): void;
}

export interface BenchSection {
  /** Short name, used by --only/--skip. */
  name: string;
  run(bench: BenchContext): Promise<Figure[]>;
}
