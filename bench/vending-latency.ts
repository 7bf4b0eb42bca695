// Benchmark (DESIGN.md §9: final approval → usable credentials, p95 ≤ 1 s in the sandbox).
// Starts its own embedded stack, then for N grants: alice requests through the api, bob gives the
// final approval through the api, and alice polls for credentials until she has some that STS
// accepts. Prints median and p95 of "approval sent → first successful GetCallerIdentity".
//   npm run bench:vending -- --n 50 --concurrency 5
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ApiRequestError, SafeguardApiClient } from '../cli/api-client';
import { openContext } from '../cli/context';
import { callerCredentials } from '../cli/identity';
import { startStack } from '../dev/stack';
import { summarize } from './stats';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1 || v > 1000) throw new Error(`--${name} must be an integer from 1 to 1000`);
  return v;
}

async function main(): Promise<void> {
  const n = arg('n', 50);
  const concurrency = arg('concurrency', 5);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-bench-'));
  const stack = await startStack({ dataDir, headless: true });
  const ctx = await openContext(stack.info);
  const as = (p: string): SafeguardApiClient => new SafeguardApiClient(ctx.api!, () => callerCredentials(ctx, p));
  const alice = as('alice');
  const bob = as('bob');
  const samples: number[] = [];
  const sts = (c: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string }) =>
    new STSClient({ region: stack.info.region, endpoint: stack.info.awsEndpoint, credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } });
  const one = async (): Promise<void> => {
    const { workflowId } = await alice.request({ role: 'BreakGlassAdmin', duration: '5m', reason: 'benchmark: approval to first use' });
    const t0 = performance.now();
    await bob.approve(workflowId);
    // Wait for the grant the way a client would: watch the status (a cheap Query), then ask once.
    for (let attempt = 0; attempt < 400 && (await ctx.breakGlass.status(workflowId)).phase === 'pending'; attempt++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    try {
      const c = await alice.credentials(workflowId);
      const client = sts(c);
      await client.send(new GetCallerIdentityCommand({}));
      client.destroy();
      samples.push(performance.now() - t0);
    } catch (err) {
      if (!(err instanceof ApiRequestError)) throw err;
      process.stderr.write(`grant ${workflowId}: ${err.apiCode}\n`);
    }
    await alice.revoke(workflowId);
  };
  try {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next += 1;
        await one();
      }
    }));
    const s = summarize(samples);
    process.stdout.write(`approval → first successful use of vended credentials, ${s.n} grants, concurrency ${concurrency}\n`);
    process.stdout.write(`  median ${s.p50.toFixed(0)} ms   p95 ${s.p95.toFixed(0)} ms   p99 ${s.p99.toFixed(0)} ms   max ${s.max.toFixed(0)} ms   (target p95 ≤ 1000 ms)\n`);
    process.stdout.write(`${JSON.stringify({ bench: 'vending-latency', n: s.n, concurrency, medianMs: Math.round(s.p50), p95Ms: Math.round(s.p95) })}\n`);
  } finally {
    await ctx.close();
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
