// `npm run bench`: the whole performance table (DESIGN.md §9) in one run. Starts its own embedded
// stack (Temporal dev server, the AWS sandbox behind its gateway, the worker as its own process, the
// api; loopback only), runs each section on it one after another, stops it, then runs the 10,000-
// principal access review on a stack of its own (`bench:review`). Prints one table, or with --json
// one JSON object with the same figures. Figures are reported, never asserted.
//   npm run bench -- [--json] [--quick] [--only a,b] [--skip a,b] [--open-grants N] [--expiring-grants N]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { openContext } from '../cli/context';
import { startStack } from '../dev/stack';
import type { Stack } from '../dev/stack';
import { renderTable } from './figures';
import type { BenchReport, SectionResult } from './figures';
import { machineConditions } from './machine';
import type { BenchContext, BenchSection, BenchSizes } from './section';
import { STACK_SECTIONS, runReviewSection } from './sections';

/** Every section is bounded; so is the whole run (then the stack is stopped and the process exits). */
const SECTION_TIMEOUT_MS = 20 * 60_000;
const WATCHDOG_MS = 75 * 60_000;

const SECTION_NAMES = [...STACK_SECTIONS.map((s) => s.name), 'review'];

interface Options {
  json: boolean;
  quick: boolean;
  only?: string[];
  skip: string[];
  sizes: BenchSizes;
  reviewPerAccount: number;
}

function count(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

function names(v: string): string[] {
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = list.filter((n) => !SECTION_NAMES.includes(n));
  if (list.length === 0 || unknown.length > 0) throw new InvalidArgumentError(`unknown section ${unknown.join(', ') || '(none)'}; sections: ${SECTION_NAMES.join(', ')}`);
  return list;
}

export function parseBenchArgs(argv: string[]): Options {
  const program = new Command('bench')
    .description('Safeguard performance table: every DESIGN.md §9 figure in one run, on an embedded stack')
    .option('--json', 'print one JSON object instead of the table', false)
    .option('--quick', 'smaller samples (a smoke run, not the figures of record)', false)
    .option('--only <sections>', `run only these (comma-separated: ${SECTION_NAMES.join(', ')})`, names)
    .option('--skip <sections>', 'skip these (comma-separated)', names, [] as string[])
    .option('--slack-commands <n>', 'concurrent signed /breakglass commands', count(1, 500))
    .option('--vending-grants <n>', 'grants per concurrency for approval → first use', count(1, 500))
    .option('--expiring-grants <n>', 'grants expiring within the same second', count(1, 1000))
    .option('--throughput-runs <n>', 'lifecycles (and empty workflows) for the throughput ratio', count(1, 1000))
    .option('--open-grants <n>', 'open grants while the worker RSS is read', count(1, 5000))
    .option('--review-per-account <n>', 'principals per account in the access review (2 accounts)', count(2, 20000))
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) })
    .allowExcessArguments(false);
  program.parse(argv, { from: 'user' });
  const o = program.opts<{ json: boolean; quick: boolean; only?: string[]; skip: string[]; slackCommands?: number; vendingGrants?: number; expiringGrants?: number; throughputRuns?: number; openGrants?: number; reviewPerAccount?: number }>();
  const q = o.quick;
  return {
    json: o.json,
    quick: q,
    ...(o.only ? { only: o.only } : {}),
    skip: o.skip,
    sizes: {
      slackCommands: o.slackCommands ?? 50,
      vendingGrants: o.vendingGrants ?? (q ? 10 : 30),
      expiringGrants: o.expiringGrants ?? (q ? 40 : 200),
      throughputRuns: o.throughputRuns ?? (q ? 20 : 60),
      openGrants: o.openGrants ?? (q ? 100 : 1000),
    },
    reviewPerAccount: o.reviewPerAccount ?? (q ? 500 : 5000),
  };
}

function wanted(opts: Options, name: string): boolean {
  return (opts.only === undefined || opts.only.includes(name)) && !opts.skip.includes(name);
}

async function bounded<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 60_000)} min`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function runSection(name: string, run: () => Promise<SectionResult['figures']>, log: (m: string) => void): Promise<SectionResult> {
  const t0 = performance.now();
  log(`section ${name}…`);
  try {
    const figures = await bounded(`section ${name}`, SECTION_TIMEOUT_MS, run());
    return { section: name, figures, elapsedMs: Math.round(performance.now() - t0) };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    log(`section ${name} failed: ${err instanceof Error ? (err.stack ?? error) : error}`);
    return { section: name, figures: [], error, elapsedMs: Math.round(performance.now() - t0) };
  }
}

async function main(): Promise<number> {
  const opts = parseBenchArgs(process.argv.slice(2));
  const log = (m: string): void => void process.stderr.write(`· ${m}\n`);
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: gave up after ${WATCHDOG_MS / 60_000} minutes\n`);
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();
  const report: BenchReport = { bench: 'safeguard', startedAt: new Date().toISOString(), machine: machineConditions(), sections: [] };
  const sections: BenchSection[] = STACK_SECTIONS.filter((s) => wanted(opts, s.name));
  if (sections.length > 0) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-bench-'));
    log(`starting the embedded stack under ${dataDir}`);
    let stack: Stack | undefined;
    try {
      stack = await startStack({ dataDir, headless: true, log });
      const ctx = await openContext(stack.info);
      const bench: BenchContext = { stack, ctx, sizes: opts.sizes, log };
      try {
        for (const s of sections) report.sections.push(await runSection(s.name, () => s.run(bench), log));
      } finally {
        await ctx.close();
      }
    } finally {
      await stack?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  if (wanted(opts, 'review')) report.sections.push(await runSection('review', () => runReviewSection(opts.reviewPerAccount, log), log));
  process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : renderTable(report));
  return report.sections.some((s) => s.error !== undefined) ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
