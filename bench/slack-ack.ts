// Benchmark (DESIGN.md §9: Slack ack p99 ≤ 300 ms with 50 concurrent commands). Uses the running
// stack (`npm run dev`) when there is one, else starts its own embedded stack; runs the Bolt app
// in-process against a fake Slack Web API; sends N concurrent, correctly signed
// `/breakglass <role> <duration> <reason>` commands; prints ack latency p50/p95/p99 and how many
// workflows started; denies them all and stops what it started. The app runs as its own process
// (`slack-app/main.ts`, configured by environment as in production) so the load generator does
// not share its event loop; `--in-process` runs it inside the benchmark instead.
//   npm run bench:slack -- --n 50
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Connection } from '@temporalio/client';
import { BreakGlassClient } from '../client/break-glass-client';
import { findRunningStack } from '../cli/context';
import { loadKeyFile } from '../codec';
import { loadPolicyFile } from '../config/policy';
import { startStack } from '../dev/stack';
import type { Stack, StackInfo } from '../dev/stack';
import { freePort } from '../sandbox/net';
import { createSlackApp } from '../slack-app/app';
import { commandShortId } from '../slack-app/ids';
import { breakGlassWorkflowId } from '../workflows/break-glass/definitions';
import { REPO_ROOT } from '../dev/temporal-server';
import { pathToFileURL } from 'node:url';
import { FakeSlack, commandBody, sendSigned, triggerId } from '../test/support/fake-slack';
import { summarize } from './stats';
import { connectTemporal } from '../client/temporal';
import { DecisionsClient } from '../client/decisions-client';

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
  const { client: temporal, connection } = await connectTemporal({ address: info.temporalAddress, namespace: info.namespace, tls: false }, loadKeyFile(info.codecKeyFile));
  const breakGlass = new BreakGlassClient(temporal, info.taskQueue);
  const policy = loadPolicyFile(info.policyFile);
  const port = await freePort();
  const inProcess = process.argv.includes('--in-process');
  const app = inProcess
    ? createSlackApp({ botToken: 'xoxb-bench', signingSecret: secret, slackApiUrl: fake.apiUrl, port }, { policy, breakGlass, decisions: new DecisionsClient(temporal), logger: pino({ level: 'silent' }) })
    : undefined;
  let child: ChildProcess | undefined;
  if (app) await app.start();
  else child = await spawnApp(info, { secret, apiUrl: fake.apiUrl, port });
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
      `slack ack latency (${inProcess ? 'app in-process' : 'app as its own process'}), ${n} concurrent signed /breakglass commands: p50 ${f(s.p50)}  p95 ${f(s.p95)}  p99 ${f(s.p99)}  max ${f(s.max)}\n` +
        `non-200 acks: ${failed}; workflows started: ${started} of ${n}; target p99 <= 300 ms: ${s.p99 <= 300 ? 'met' : 'NOT met'}\n`,
    );
    // Leave nothing pending behind on a shared stack.
    await Promise.all(requests.map((r, i) => (exists[i] ? breakGlass.deny(r.id, 'bob', 'benchmark cleanup').catch(() => undefined) : undefined)));
  } finally {
    if (app) await app.stop();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await connection.close();
    await fake.stop();
    if (own) await own.stop();
  }
}

/** `slack-app/main.ts` as production runs it: configuration by environment only. */
async function spawnApp(info: StackInfo, o: { secret: string; apiUrl: string; port: number }): Promise<ChildProcess> {
  const tsxLoader = pathToFileURL(path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', tsxLoader, path.join(REPO_ROOT, 'slack-app/main.ts')], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: info.temporalAddress,
      TEMPORAL_NAMESPACE: info.namespace,
      SAFEGUARD_TASK_QUEUE: info.taskQueue,
      SAFEGUARD_POLICY: info.policyFile,
      SAFEGUARD_CODEC_KEY_FILE: info.codecKeyFile,
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_SIGNING_SECRET: o.secret,
      SLACK_API_URL: o.apiUrl,
      PORT: String(o.port),
      LOG_LEVEL: 'info',
    },
  });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString('utf8');
    if (log.length > 100_000) log = log.slice(-50_000);
  });
  const deadline = Date.now() + 60_000;
  while (!/"msg":"slack-app started"/.test(log)) {
    if (child.exitCode !== null) throw new Error(`slack-app exited during start-up:\n${log.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error('slack-app did not start within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return child;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:slack: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
