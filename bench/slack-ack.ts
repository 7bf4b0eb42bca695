// Benchmark (DESIGN.md §9: Slack ack p99 ≤ 300 ms with 50 concurrent commands): `npm run bench`'s
// slack section (bench/sections/slack-ack.ts) on its own. Uses the running stack (`npm run dev`)
// when there is one, else starts its own embedded stack; sends N concurrent, correctly signed
// `/breakglass <role> <duration> <reason>` commands to the Slack app (its own process, configured by
// environment as in production; `--in-process` runs it inside the benchmark) pointed at a fake
// Slack Web API; prints ack latency p50/p95/p99 and how many workflows started; denies them all and
// stops what it started.
//   npm run bench:slack -- [--n 50] [--in-process]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { findRunningStack, openContext } from '../cli/context';
import { startStack } from '../dev/stack';
import type { Stack, StackInfo } from '../dev/stack';
import { SLACK_ACK_TARGET_MS, measureSlackAck } from './sections/slack-ack';
import { summarize } from './stats';

const WATCHDOG_MS = 10 * 60_000;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1 || v > 500) throw new Error(`--${name} must be an integer from 1 to 500`);
  return v;
}

async function alive(info: StackInfo): Promise<boolean> {
  try {
    const c = await Connection.connect({ address: info.temporalAddress, connectTimeout: 2000 });
    await c.close();
    return process.kill(info.pid, 0);
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const n = arg('n', 50);
  const inProcess = process.argv.includes('--in-process');
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench:slack: gave up after ${WATCHDOG_MS / 60_000} minutes\n`);
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();

  let own: { stack: Stack; dataDir: string } | undefined;
  let info = findRunningStack();
  if (!info || !(await alive(info))) {
    process.stderr.write('no running stack; starting an embedded one (Temporal dev server + AWS sandbox + worker)…\n');
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-bench-slack-'));
    own = { stack: await startStack({ dataDir, headless: true }), dataDir };
    info = own.stack.info;
  }
  try {
    const ctx = await openContext(info);
    try {
      const r = await measureSlackAck({ info, ctx, commands: n, inProcess, log: (m) => void process.stderr.write(`${m}\n`) });
      const s = summarize(r.ackMs);
      const f = (x: number): string => `${x.toFixed(1)} ms`;
      process.stdout.write(
        `slack ack latency (${inProcess ? 'app in-process' : 'app as its own process'}), ${n} concurrent signed /breakglass commands: p50 ${f(s.p50)}  p95 ${f(s.p95)}  p99 ${f(s.p99)}  max ${f(s.max)}\n` +
          `non-200 acks: ${r.nonOkAcks}; workflows started: ${r.workflowsStarted} of ${n}; target p99 <= ${SLACK_ACK_TARGET_MS} ms: ${s.p99 <= SLACK_ACK_TARGET_MS ? 'met' : 'NOT met'}\n`,
      );
    } finally {
      await ctx.close();
    }
  } finally {
    if (own) {
      await own.stack.stop();
      fs.rmSync(own.dataDir, { recursive: true, force: true });
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:slack: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
