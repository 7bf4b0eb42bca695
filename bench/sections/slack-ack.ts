// Slack ack latency (DESIGN.md §9: p99 ≤ 300 ms with 50 concurrent commands). N concurrent,
// correctly signed `/breakglass BreakGlassAdmin 30m …` commands go to the Slack app, pointed at a
// fake Slack Web API on loopback; the figure is how long each ack took. Then it counts the workflows
// the commands started and denies them all, waiting until they have closed. The app runs as its own
// process (`slack-app/main.ts`, configured by environment as in production) so the load generator
// does not share its event loop; `inProcess` runs it inside this process instead.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import type { CliContext } from '../../cli/context';
import type { StackInfo } from '../../dev/stack';
import { REPO_ROOT } from '../../dev/temporal-server';
import { freePort } from '../../sandbox/net';
import { createSlackApp } from '../../slack-app/app';
import { commandShortId } from '../../slack-app/ids';
import { breakGlassWorkflowId } from '../../workflows/break-glass/definitions';
import { FakeSlack, commandBody, sendSigned, triggerId } from '../../test/support/fake-slack';
import { latencyShown, ms } from '../figures';
import { sleep } from '../grants';
import type { Figure } from '../figures';
import type { BenchSection } from '../section';
import { summarize } from '../stats';
import { cpuMeter, cpuShown, stackProcesses, waitUntilClosed } from './vending';

export const SLACK_ACK_TARGET_MS = 300;
const SIGNING_SECRET = 'bench-signing-secret';
/** The requesters of examples/policy.yaml's BreakGlassAdmin (group oncall), by Slack id. */
const REQUESTERS = ['U0000ALICE', 'U0000DAVE'];
/** An eligible approver of BreakGlassAdmin (leads), who denies the benchmark's requests afterwards. */
const CLEANUP_APPROVER = 'bob';
/** Each started workflow answers through its response_url; bounded wait for all of them. */
const STARTED_WAIT_MS = 60_000;
const CLOSE_WAIT_MS = 90_000;
const APP_START_MS = 60_000;

export interface SlackAckOptions {
  info: StackInfo;
  ctx: CliContext;
  commands: number;
  /** Run the Bolt app inside this process rather than as its own. */
  inProcess: boolean;
  /** The stack's processes, for the CPU each spends while the commands are acked (the app is added). */
  processes?: Map<string, number>;
  log(message: string): void;
}

export interface SlackAckResult {
  commands: number;
  inProcess: boolean;
  /** Milliseconds from sending each command to its ack (HTTP response). */
  ackMs: number[];
  nonOkAcks: number;
  /** Workflows that exist for the commands (each command starts one). */
  workflowsStarted: number;
  /** CPU (user + system) each process spent from the first command to the last ack, and that time. */
  cpuMs: Map<string, number>;
  burstMs: number;
}

export async function measureSlackAck(o: SlackAckOptions): Promise<SlackAckResult> {
  const fake = new FakeSlack();
  await fake.start();
  const port = await freePort();
  const app = o.inProcess
    ? createSlackApp(
        { botToken: 'xoxb-bench', signingSecret: SIGNING_SECRET, slackApiUrl: fake.apiUrl, port },
        { policy: o.ctx.policy, breakGlass: o.ctx.breakGlass, decisions: o.ctx.decisions, logger: pino({ level: 'silent' }) },
      )
    : undefined;
  const requests = Array.from({ length: o.commands }, (_, i) => {
    const user = REQUESTERS[i % REQUESTERS.length]!;
    const text = `BreakGlassAdmin 30m benchmark: ack latency ${i} of ${o.commands}`;
    const trigger = triggerId();
    return {
      body: commandBody({ user, text, trigger, responseUrl: `${fake.url}/response/${i}` }),
      // The id the app derives from the command, so the benchmark can find (and deny) the workflow.
      id: breakGlassWorkflowId('BreakGlassAdmin', commandShortId({ team_id: 'T0FAKE', user_id: user, text, trigger_id: trigger })),
    };
  });
  let child: ChildProcess | undefined;
  let sent = false;
  let result: SlackAckResult;
  let open: string[] = [];
  try {
    if (app) await app.start();
    else child = await spawnSlackApp(o.info, { apiUrl: fake.apiUrl, port });
    const url = `http://127.0.0.1:${port}/slack/events`;
    // One warm-up request (Bolt's auth.test, first connections), not counted.
    await sendSigned(url, commandBody({ user: REQUESTERS[0]!, text: 'help', responseUrl: `${fake.url}/response/warm` }), { secret: SIGNING_SECRET });

    o.log(`slack: ${o.commands} concurrent signed /breakglass commands (app ${o.inProcess ? 'in-process' : 'as its own process'})`);
    const cpu = cpuMeter(new Map([...(child?.pid !== undefined ? ([['Slack app', child.pid]] as const) : []), ...(o.processes ?? [])]));
    const t0 = performance.now();
    sent = true;
    const acks = await Promise.all(requests.map((r) => sendSigned(url, r.body, { secret: SIGNING_SECRET })));
    const burstMs = performance.now() - t0;
    const cpuMs = cpu();

    const waitUntil = Date.now() + STARTED_WAIT_MS;
    while (fake.ok('response_url').filter((c) => c.path !== '/response/warm').length < o.commands && Date.now() < waitUntil) await sleep(100);
    const exists = await Promise.all(requests.map((r) => o.ctx.breakGlass.exists(r.id)));
    result = {
      commands: o.commands,
      inProcess: o.inProcess,
      ackMs: acks.map((a) => a.ms),
      nonOkAcks: acks.filter((a) => a.status !== 200).length,
      workflowsStarted: exists.filter(Boolean).length,
      cpuMs,
      burstMs,
    };
  } finally {
    // Leave nothing pending on a shared stack, whatever happened above: every command sent may have
    // started a request (denying one that never started fails harmlessly).
    if (app) await app.stop();
    await stopChild(child);
    await fake.stop();
    if (sent) {
      o.log(`slack: denying the requests and waiting for them to close`);
      await Promise.all(requests.map((r) => o.ctx.breakGlass.deny(r.id, CLEANUP_APPROVER, 'benchmark cleanup').catch(() => undefined)));
      open = await waitUntilClosed(o.ctx, requests.map((r) => r.id), CLOSE_WAIT_MS);
    }
  }
  if (open.length > 0) throw new Error(`${open.length} denied requests were still running ${CLOSE_WAIT_MS / 1000} s later (e.g. ${open[0]})`);
  return result;
}

export function slackAckFigure(r: SlackAckResult): Figure {
  const s = summarize(r.ackMs);
  return {
    id: 'slackAck',
    what: `Slack ack latency, ${r.commands} concurrent signed /breakglass commands`,
    samples: s.n,
    values: { p50Ms: s.p50, p95Ms: s.p95, p99Ms: s.p99, maxMs: s.max, nonOkAcks: r.nonOkAcks, workflowsStarted: r.workflowsStarted },
    shown: `${latencyShown(s)}  (${r.workflowsStarted}/${r.commands} started)`,
    target: `p99 ≤ ${SLACK_ACK_TARGET_MS} ms`,
    met: s.n > 0 ? s.p99 <= SLACK_ACK_TARGET_MS : undefined,
    notes: [
      `the app ${r.inProcess ? 'ran inside the benchmark process' : 'ran as its own process (slack-app/main.ts, configured by environment)'} against a fake Slack Web API on loopback`,
      `non-200 acks: ${r.nonOkAcks}; workflows started: ${r.workflowsStarted} of ${r.commands}; all denied and closed afterwards`,
      ...(r.cpuMs.size > 0 ? [`CPU from the first command to the last ack (${ms(r.burstMs)}): ${cpuShown(r.cpuMs, r.burstMs)}`] : []),
    ],
  };
}

export const slackAckSection: BenchSection = {
  name: 'slack',
  async run(bench) {
    const processes = stackProcesses(bench.stack);
    return [slackAckFigure(await measureSlackAck({ info: bench.stack.info, ctx: bench.ctx, commands: bench.sizes.slackCommands, inProcess: false, processes, log: bench.log }))];
  },
};

/** `slack-app/main.ts` as production runs it: configuration by environment only. */
async function spawnSlackApp(info: StackInfo, o: { apiUrl: string; port: number }): Promise<ChildProcess> {
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
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: o.apiUrl,
      PORT: String(o.port),
      LOG_LEVEL: 'info',
    },
  });
  let output = '';
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString('utf8');
    if (output.length > 100_000) output = output.slice(-50_000);
  });
  const deadline = Date.now() + APP_START_MS;
  while (!/"msg":"slack-app started"/.test(output)) {
    if (child.exitCode !== null) throw new Error(`slack-app exited during start-up:\n${output.slice(-2000)}`);
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`slack-app did not start within ${APP_START_MS / 1000} s`);
    }
    await sleep(100);
  }
  return child;
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const hard = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(hard);
}

