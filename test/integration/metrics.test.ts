// Operations endpoints and metrics on real processes (issue #11 §4), against the integration stack.
// A worker process of its own (SAFEGUARD_OPS_PORT=0, the Temporal SDK's exporter on) runs a short
// break-glass grant to a verified revocation: its /metrics shows the grant while active, then the
// revocation lag and the run's outcome, plus the SDK's temporal_… metrics; /readyz is 200 while it
// runs, and SIGTERM drains it and exits 0. An api in this process, with its own registry and ops
// endpoint, shows the vending latency of the credentials vended during the grant. The api and
// Slack app processes (api/main.ts, slack-app/main.ts) serve the same endpoints and drain on SIGTERM.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from '@temporalio/client';
import type { Connection } from '@temporalio/client';
import pino from 'pino';
import { buildApiDeps } from '../../api/build';
import { openEvidenceStore } from '../../evidence/open';
import { EVIDENCE_KEY_FILE_LABEL } from '../../evidence/evidence-key';
import { startApiServer } from '../../api/server';
import type { RunningApi } from '../../api/server';
import { SafeguardApiClient } from '../../cli/api-client';
import { approve, requestAccess } from '../../cli/commands/breakglass';
import type { CliContext } from '../../cli/context';
import { callerCredentials } from '../../cli/identity';
import { connectTemporal } from '../../client/temporal';
import { loadKeyFile } from '../../codec';
import { loadPolicyFile } from '../../config/policy';
import { freePort } from '../../sandbox/net';
import { apiMetrics, createOpsRegistry } from '../../shared/ops/metrics';
import type { ApiMetrics } from '../../shared/ops/metrics';
import { startOpsServer } from '../../shared/ops/server';
import type { OpsServer } from '../../shared/ops/server';
import type { StackInfo } from '../../dev/stack';
import { REASON, openContext, resolvePeople, sleep, startTestWorker, waitForPhase } from '../support/it-helpers';
import type { People, TestWorker } from '../support/it-helpers';
import { scanForSecrets } from '../support/secret-scan';
import { sandboxSeed, testStack } from '../support/stack';
import { FakeSlack } from '../support/fake-slack';
import { REPO_ROOT } from '../../config/stack-file';

let info: StackInfo;
let worker: TestWorker | undefined;
let workerOps: string;
let sdkAddress: string;
let ctx: CliContext | undefined;
let who: People;
let api: RunningApi | undefined;
let apiOps: OpsServer | undefined;
let apiConnection: Connection | undefined;
let metricsOfApi: ApiMetrics;

/** Where the worker's ops endpoint listens: its 'ops endpoint listening' log line (port 0 picks one). */
function opsUrlFromLog(logFile: string): string {
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"ops endpoint listening"')) continue;
    return (JSON.parse(line) as { url: string }).url;
  }
  throw new Error(`no 'ops endpoint listening' line in ${logFile}`);
}

async function scrape(url: string): Promise<string> {
  const r = await fetch(`${url}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return r.text();
}

/** The value of one sample line (`name{labels} value`), or undefined. */
function sampleOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function readyz(url: string): Promise<{ status: number; body: string } | 'refused'> {
  try {
    const r = await fetch(`${url}/readyz`);
    return { status: r.status, body: await r.text() };
  } catch {
    return 'refused';
  }
}

beforeAll(async () => {
  info = testStack();
  sdkAddress = `127.0.0.1:${await freePort()}`;
  worker = await startTestWorker(info, 'metrics', { SAFEGUARD_OPS_PORT: '0', TEMPORAL_METRICS_ADDRESS: sdkAddress });
  workerOps = opsUrlFromLog(worker.logFile);

  // An api as api/main.ts builds one, with its own registry, on this worker's task queue.
  const seed = sandboxSeed(info);
  const keyring = loadKeyFile(info.codecKeyFile);
  const temporal: { client: Client; connection: Connection } = await connectTemporal({ address: info.temporalAddress, namespace: info.namespace, tls: false }, keyring);
  apiConnection = temporal.connection;
  const registry = createOpsRegistry();
  metricsOfApi = apiMetrics(registry);
  api = await startApiServer(
    buildApiDeps({
      temporal: temporal.client,
      taskQueue: worker.taskQueue,
      policy: loadPolicyFile(info.policyFile),
      region: info.region,
      awsEndpoint: info.awsEndpoint,
      brokerCredentials: { accessKeyId: seed.broker.accessKeyId, secretAccessKey: seed.broker.secretAccessKey },
      serverId: info.apiServerId!,
      federationUrl: `${info.awsEndpoint}/federation`,
      evidence: openEvidenceStore(
        { dir: info.evidenceDir, region: info.region, endpoint: info.awsEndpoint, credentials: { accessKeyId: seed.broker.accessKeyId, secretAccessKey: seed.broker.secretAccessKey }, ...(info.evidenceBucket ? { bucket: info.evidenceBucket } : {}) },
        loadKeyFile(info.evidenceKeyFile, EVIDENCE_KEY_FILE_LABEL),
      ),
      logger: pino({ level: 'silent' }),
      metrics: metricsOfApi,
    }),
  );
  apiOps = await startOpsServer({ registry, readiness: () => ({ ready: true }) });
  ctx = await openContext({ ...info, taskQueue: worker.taskQueue, apiUrl: api.url });
  who = await resolvePeople(ctx);
});

afterAll(async () => {
  await ctx?.close();
  await api?.close({ graceMs: 1000 });
  await apiOps?.close();
  await apiConnection?.close();
  await worker?.stop();
});

it('serves health, metrics of a grant to its verified revocation, vending latency, and drains on SIGTERM', async () => {
  const w = worker!;
  const c = ctx!;
  expect((await fetch(`${workerOps}/healthz`)).status).toBe(200);
  // "worker started" is logged just before the workers start polling.
  const deadline = Date.now() + 10_000;
  let ready = await readyz(workerOps);
  while (ready === 'refused' || ready.status !== 200) {
    if (Date.now() > deadline) throw new Error(`worker never became ready: ${JSON.stringify(ready)}`);
    await sleep(200);
    ready = await readyz(workerOps);
  }
  expect(ready).toEqual({ status: 200, body: '{"ready":true}' });

  const { workflowId: id } = await requestAccess(c, who.alice, { role: 'BreakGlassAdmin', duration: '15s', reason: REASON });
  await approve(c, who.bob, id);
  await waitForPhase(c, id, 'active');

  // The first scrape (the deployment-wide gauges are read from Temporal then, and kept for 30 s).
  const during = await scrape(workerOps);
  const revokedBefore = sampleOf(during, 'safeguard_runbook_outcomes_total{kind="break-glass",outcome="revoked"}') ?? 0;
  // The SDK's exporter is part of the same scrape target, after Node's process metrics.
  expect(during).toMatch(/^process_cpu_user_seconds_total /m);
  expect(during).toMatch(/^# TYPE temporal_\w+/m);
  expect(sampleOf(during, 'safeguard_fleet_state_up')).toBe(1);
  expect(sampleOf(during, 'safeguard_grants{phase="active"}')).toBeGreaterThanOrEqual(1);
  expect(sampleOf(during, 'safeguard_runs_open{kind="break-glass"}')).toBeGreaterThanOrEqual(1);

  // A vend through the api: its latency is on the api's own scrape target.
  const creds = await new SafeguardApiClient(c.api!, () => callerCredentials(c, 'alice')).credentials(id);
  expect(creds.AccessKeyId).toBeTruthy();
  const apiText = await scrape(apiOps!.url);
  expect(sampleOf(apiText, 'safeguard_vending_duration_seconds_count{route="credentials",outcome="ok"}')).toBe(1);

  const result = await c.breakGlass.result(id);
  expect(result.status.outcome).toBe('revoked');
  expect(result.status.revocation?.verified).toBe(true);

  const after = await scrape(workerOps);
  expect(sampleOf(after, 'safeguard_revocation_lag_seconds_count{end_reason="expired"}')).toBeGreaterThanOrEqual(1);
  expect(sampleOf(after, 'safeguard_runbook_outcomes_total{kind="break-glass",outcome="revoked"}')).toBe(revokedBefore + 1);
  expect(sampleOf(after, 'safeguard_revocation_lag_seconds_sum{end_reason="expired"}')).toBeCloseTo((result.revocationLagMs ?? NaN) / 1000, 3);
  // No secret, no person, no workflow id in either scrape.
  for (const text of [after, apiText]) {
    expect(scanForSecrets(text, { known: [creds.SecretAccessKey, creds.SessionToken] })).toEqual([]);
    expect(text).not.toContain(id);
    expect(text).not.toContain('alice');
  }

  // SIGTERM: readiness goes 503 while the worker drains, then the process exits 0.
  const proc = w.worker.process;
  proc.kill('SIGTERM');
  const seen: string[] = [];
  for (let exited = false; !exited; ) {
    const r = await readyz(workerOps);
    seen.push(r === 'refused' ? 'refused' : `${r.status} ${r.body}`);
    exited = r === 'refused' || proc.exitCode !== null;
    if (!exited) await sleep(20);
  }
  expect(await w.worker.exited).toBe('code 0');
  // Once readiness has gone 503 it never comes back before the process is gone (a first 200 can
  // only be a probe answered before the signal was handled).
  const first503 = seen.findIndex((s) => s.startsWith('503 '));
  if (first503 >= 0) {
    expect(seen[first503]).toBe('503 {"ready":false,"reason":"shutting down"}');
    expect(seen.slice(first503).every((s) => s.startsWith('503 ') || s === 'refused')).toBe(true);
  }
  const log = fs.readFileSync(w.logFile, 'utf8');
  expect(log).toContain('"msg":"shutting down: draining (a second signal exits at once)"');
  expect(log).toContain('"msg":"worker stopped; closing connections"');
});

interface MainProcess {
  child: ChildProcess;
  exited: Promise<string>;
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  log(): string;
}

/** A process's main (as `npm run api` / `npm run slack-app` start it), its JSON log read from stderr. */
function spawnMain(script: string, env: NodeJS.ProcessEnv): MainProcess {
  const loader = pathToFileURL(path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', loader, path.join(REPO_ROOT, script)], { cwd: REPO_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  child.stderr!.on('data', (d: Buffer) => (text += d.toString('utf8')));
  const exited = new Promise<string>((r) => child.once('exit', (code, signal) => r(signal ?? `code ${code ?? '?'}`)));
  return {
    child,
    exited,
    log: () => text,
    async waitForLog(msg, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const line of text.split('\n')) {
          if (line.includes(`"msg":"${msg}"`)) return JSON.parse(line) as Record<string, unknown>;
        }
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${script} exited before logging "${msg}":\n${text}`);
        if (Date.now() > deadline) throw new Error(`${script} did not log "${msg}" within ${timeoutMs} ms:\n${text}`);
        await sleep(100);
      }
    },
  };
}

async function untilReady(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await readyz(url);
    if (r !== 'refused' && r.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} not ready: ${JSON.stringify(r)}`);
    await sleep(200);
  }
}

describe('the api and Slack app processes', () => {
  let fake: FakeSlack | undefined;
  const running: MainProcess[] = [];
  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await fake?.stop();
  });

  const common = (): NodeJS.ProcessEnv => ({
    TEMPORAL_ADDRESS: info.temporalAddress,
    TEMPORAL_NAMESPACE: info.namespace,
    SAFEGUARD_TASK_QUEUE: info.taskQueue,
    SAFEGUARD_CODEC_KEY_FILE: info.codecKeyFile,
    SAFEGUARD_POLICY: info.policyFile,
    SAFEGUARD_OPS_PORT: '0',
    LOG_LEVEL: 'info',
  });

  it.each([
    ['api/main.ts', 'api listening', 'safeguard_vending_duration_seconds'],
    ['slack-app/main.ts', 'slack-app started', 'safeguard_slack_ack_duration_seconds'],
  ])('%s serves /healthz, /readyz once Temporal answers, its metrics, and exits 0 on SIGTERM', async (script, started, metric) => {
    let env: NodeJS.ProcessEnv;
    if (script.startsWith('api')) {
      env = { ...common(), SAFEGUARD_API_SERVER_ID: info.apiServerId!, SAFEGUARD_CODEC_AUTH: 'off', SAFEGUARD_API_PORT: '0', AWS_REGION: info.region, SAFEGUARD_AWS_ENDPOINT: info.awsEndpoint, SAFEGUARD_EVIDENCE_DIR: info.evidenceDir, SAFEGUARD_EVIDENCE_KEY_FILE: info.evidenceKeyFile };
    } else {
      fake ??= new FakeSlack();
      if (!fake.url) await fake.start();
      env = { ...common(), SLACK_BOT_TOKEN: 'xoxb-it-metrics', SLACK_SIGNING_SECRET: 'it-metrics-signing-secret', SLACK_API_URL: fake.apiUrl, PORT: String(await freePort()) };
    }
    const p = spawnMain(script, env);
    running.push(p);
    const ops = String((await p.waitForLog('ops endpoint listening'))['url']);
    await p.waitForLog(started);
    expect((await fetch(`${ops}/healthz`)).status).toBe(200);
    await untilReady(ops);
    const text = await scrape(ops);
    expect(text).toContain(`# TYPE ${metric} histogram`);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);

    p.child.kill('SIGTERM');
    expect(await p.exited).toBe('code 0');
    expect(p.log()).toContain('"msg":"shutting down: draining (a second signal exits at once)"');
  });
});
