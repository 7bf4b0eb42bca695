// Benchmark (DESIGN.md §9: Slack ack p99 ≤ 300 ms with 50 concurrent commands). Uses the running
// stack (`npm run dev`) when there is one, else starts its own embedded stack; runs the Bolt app
// in-process against a fake Slack Web API; sends N concurrent, correctly signed
// `/breakglass <role> <duration> <reason>` commands; prints ack latency p50/p95/p99 and how many
// workflows started; denies them all and stops what it started.
//   npm run bench:slack -- --n 50
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Client, Connection } from '@temporalio/client';
import { BreakGlassClient } from '../client/break-glass-client';
import { findRunningStack } from '../cli/context';
import { dataConverterWithCodec, loadKeyFile } from '../codec';
import { loadPolicyFile } from '../config/policy';
import { startStack } from '../dev/stack';
import type { Stack, StackInfo } from '../dev/stack';
import { freePort } from '../sandbox/net';
import { createSlackApp } from '../slack-app/app';
import { commandShortId } from '../slack-app/ids';
import { breakGlassWorkflowId } from '../workflows/break-glass/definitions';
import { FakeSlack, commandBody, sendSigned, triggerId } from '../test/support/fake-slack';
import { summarize } from './stats';

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
  const secret = 'bench-signing-secret';
  const deadline = setTimeout(() => {
    process.stderr.write('bench:slack: gave up after 10 minutes\n');
    process.exit(2);
  }, 600_000);
  deadline.unref();

  let own: Stack | undefined;
  let info = findRunningStack();
  if (!info || !(await alive(info))) {
    process.stderr.write('no running stack; starting an embedded one (Temporal dev server + AWS sandbox + worker)…\n');
    own = await startStack({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-bench-slack-')), headless: true });
    info = own.info;
  }
  const fake = new FakeSlack();
  await fake.start();
  const connection = await Connection.connect({ address: info.temporalAddress });
  const temporal = new Client({ connection, namespace: info.namespace, dataConverter: dataConverterWithCodec(loadKeyFile(info.codecKeyFile)) });
  const breakGlass = new BreakGlassClient(temporal, info.taskQueue);
  const policy = loadPolicyFile(info.policyFile);
  const port = await freePort();
  const app = createSlackApp({ botToken: 'xoxb-bench', signingSecret: secret, slackApiUrl: fake.apiUrl, port }, { policy, breakGlass, logger: pino({ level: 'silent' }) });
  await app.start();
  const url = `http://127.0.0.1:${port}/slack/events`;
  try {
    // One warm-up request (Bolt's auth.test, first connections), not counted.
    await sendSigned(url, commandBody({ user: 'U0000ALICE', text: 'help', responseUrl: `${fake.url}/response/warm` }), { secret });

    const people = [{ slack: 'U0000ALICE', id: 'alice' }, { slack: 'U0000DAVE', id: 'dave' }];
    const requests = Array.from({ length: n }, (_, i) => {
      const who = people[i % people.length]!;
      const text = `BreakGlassAdmin 30m benchmark: ack latency ${i} of ${n}`;
      const trigger = triggerId();
      return {
        body: commandBody({ user: who.slack, text, trigger, responseUrl: `${fake.url}/response/${i}` }),
        id: breakGlassWorkflowId('BreakGlassAdmin', commandShortId({ team_id: 'T0FAKE', user_id: who.slack, text, trigger_id: trigger })),
      };
    });
    const results = await Promise.all(requests.map((r) => sendSigned(url, r.body, { secret })));
    const failed = results.filter((r) => r.status !== 200).length;
    const s = summarize(results.map((r) => r.ms));

    // Count the workflows the commands started (each answers through response_url once started).
    const waitUntil = Date.now() + 60_000;
    while (fake.ok('response_url').filter((c) => c.path !== '/response/warm').length < n && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 100));
    const exists = await Promise.all(requests.map((r) => breakGlass.exists(r.id)));
    const started = exists.filter(Boolean).length;

    const f = (x: number) => `${x.toFixed(1)} ms`;
    process.stdout.write(
      `slack ack latency, ${n} concurrent signed /breakglass commands: p50 ${f(s.p50)}  p95 ${f(s.p95)}  p99 ${f(s.p99)}  max ${f(s.max)}\n` +
        `non-200 acks: ${failed}; workflows started: ${started} of ${n}; target p99 <= 300 ms: ${s.p99 <= 300 ? 'met' : 'NOT met'}\n`,
    );
    // Leave nothing pending behind on a shared stack.
    await Promise.all(requests.map((r, i) => (exists[i] ? breakGlass.deny(r.id, 'bob', 'benchmark cleanup').catch(() => undefined) : undefined)));
  } finally {
    await app.stop();
    await connection.close();
    await fake.stop();
    if (own) await own.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:slack: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
