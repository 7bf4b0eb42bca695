// Benchmark (DESIGN.md §9: final approval → usable credentials, p95 ≤ 1 s in the sandbox):
// `npm run bench`'s vending section (bench/sections/vending.ts) at one concurrency. Starts its own
// embedded stack; for N grants, alice requests through the api, bob gives the final approval
// through the api once the request waits on its round, and alice takes credentials from the api and
// uses them (S3 ListBuckets through the gateway) until a call succeeds. `--concurrency C` approves C
// grants at the same instant (waves of C, each revoked and closed before the next). Prints median
// and p95 of "approval sent → first successful use", where the time went, and a JSON line.
//   npm run bench:vending -- [--n 50] [--concurrency 5]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openContext } from '../cli/context';
import { startStack } from '../dev/stack';
import type { Stack } from '../dev/stack';
import { VENDING_TARGET_MS, breakdownNotes, grantDriver, measureVending, stackProcesses } from './sections/vending';
import { summarize } from './stats';

const WATCHDOG_MS = 30 * 60_000;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1 || v > 1000) throw new Error(`--${name} must be an integer from 1 to 1000`);
  return v;
}

async function main(): Promise<void> {
  const n = arg('n', 50);
  const concurrency = arg('concurrency', 5);
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench:vending: gave up after ${WATCHDOG_MS / 60_000} minutes\n`);
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-bench-'));
  let stack: Stack | undefined;
  try {
    stack = await startStack({ dataDir, headless: true });
    const ctx = await openContext(stack.info);
    try {
      const run = await measureVending(await grantDriver(stack.info, ctx, log, stackProcesses(stack)), n, concurrency);
      for (const failure of run.failures) log(`a grant failed: ${failure}`);
      const s = summarize(run.samples.map((x) => x.totalMs));
      process.stdout.write(`approval → first successful use of vended credentials, ${s.n} grants, concurrency ${concurrency}\n`);
      process.stdout.write(`  median ${s.p50.toFixed(0)} ms   p95 ${s.p95.toFixed(0)} ms   p99 ${s.p99.toFixed(0)} ms   max ${s.max.toFixed(0)} ms   (target p95 ≤ ${VENDING_TARGET_MS} ms)\n`);
      for (const note of breakdownNotes(run)) process.stdout.write(`  ${note}\n`);
      process.stdout.write(`${JSON.stringify({ bench: 'vending-latency', n: s.n, concurrency, medianMs: Math.round(s.p50), p95Ms: Math.round(s.p95), failed: run.failures.length })}\n`);
    } finally {
      await ctx.close();
    }
  } finally {
    await stack?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:vending: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
