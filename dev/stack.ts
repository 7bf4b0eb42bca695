// The embedded default (DESIGN.md §8): Temporal dev server + AWS sandbox + worker process, all on
// loopback. `npm run dev`, `npm run demo` and the integration tests start the same stack; the CLI
// finds a running one through the stack file it writes.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startSandbox } from '../sandbox';
import type { Sandbox, SandboxFile } from '../sandbox';
import { freePort, sleep } from '../sandbox/net';
import { loadOrCreateKeyFile } from '../codec';
import type { KeyRing } from '../codec';
import { Client, Connection } from '@temporalio/client';
import { dataConverterWithCodec } from '../codec';
import { buildApiDeps } from '../api/build';
import { startApiServer } from '../api/server';
import { loadPolicyFile } from '../config/policy';
import { createLogger } from '../config/logger';
import { BREAK_GLASS_TASK_QUEUE } from '../workflows/break-glass/definitions';
import { REPO_ROOT, startDevServer } from './temporal-server';
import type { DevServer } from './temporal-server';

export const STACK_FILE = 'stack.json';

/** What a running stack tells its clients (the CLI, tests). No secrets: sandbox keys stay in sandbox.json. */
export interface StackInfo {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  awsEndpoint: string;
  region: string;
  policyFile: string;
  dataDir: string;
  evidenceDir: string;
  sandboxFile: string;
  uiUrl?: string;
  apiUrl?: string;
  apiServerId?: string;
  /** The payload codec's key file (sandbox key, mode 0600). */
  codecKeyFile: string;
  pid: number;
  startedAt: string;
}

export interface StackOptions {
  dataDir: string;
  policyFile?: string;
  temporalPort?: number;
  uiPort?: number;
  headless?: boolean;
  apiPort?: number;
  /** Start a worker process (default true). */
  worker?: boolean;
  log?: (msg: string) => void;
}

export interface WorkerProcess {
  process: ChildProcess;
  logFile: string;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export interface Stack {
  info: StackInfo;
  sandbox: Sandbox;
  temporal: DevServer;
  worker?: WorkerProcess;
  spawnWorker(): Promise<WorkerProcess>;
  stop(): Promise<void>;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const log = opts.log ?? (() => undefined);
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  log(`starting Temporal dev server and the AWS sandbox under ${path.relative(process.cwd(), dataDir) || '.'}`);
  const codecKeyFile = path.join(dataDir, 'codec-keys.json');
  const keyring = loadOrCreateKeyFile(codecKeyFile);
  // The api's port is chosen first so the Web UI can be pointed at its codec endpoint.
  const apiPort = opts.apiPort ?? (await freePort());
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  // allSettled, so a failure of one never leaves the other running as an orphan.
  const started = await Promise.allSettled([
    startDevServer({
      codecEndpoint: `${apiUrl}/codec`,
      dbFile: path.join(dataDir, 'temporal.db'),
      ...(opts.temporalPort ? { port: opts.temporalPort } : {}),
      ...(opts.uiPort ? { uiPort: opts.uiPort } : {}),
      headless: opts.headless ?? false,
      logFile: path.join(dataDir, 'temporal.log'),
    }),
    startSandbox({ dataDir: path.join(dataDir, 'sandbox') }),
  ]);
  if (started[0].status === 'rejected' || started[1].status === 'rejected') {
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw started[0].status === 'rejected' ? started[0].reason : (started[1] as PromiseRejectedResult).reason;
  }
  const temporal = started[0].value;
  const sandbox = started[1].value;
  const info: StackInfo = {
    temporalAddress: temporal.address,
    namespace: 'default',
    taskQueue: BREAK_GLASS_TASK_QUEUE,
    awsEndpoint: sandbox.endpoint,
    region: sandbox.region,
    policyFile: path.resolve(opts.policyFile ?? path.join(REPO_ROOT, 'examples/policy.yaml')),
    dataDir,
    evidenceDir: path.join(dataDir, 'evidence'),
    sandboxFile: path.join(dataDir, 'sandbox', 'sandbox.json'),
    ...(temporal.uiUrl ? { uiUrl: temporal.uiUrl } : {}),
    apiUrl,
    apiServerId: SANDBOX_API_SERVER_ID,
    codecKeyFile,
    pid: process.pid,
    startedAt: new Date().toISOString(),
  };
  const api = await startEmbeddedApi(info, sandbox, keyring, apiPort).catch(async (err: unknown) => {
    await Promise.all([temporal.stop(), sandbox.stop()]);
    throw err;
  });
  const workers: WorkerProcess[] = [];
  const spawnOne = async (): Promise<WorkerProcess> => {
    const w = await spawnWorker(info, path.join(dataDir, `worker-${workers.length + 1}.log`));
    workers.push(w);
    return w;
  };
  const stack: Stack = {
    info,
    sandbox,
    temporal,
    spawnWorker: spawnOne,
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
      await api.close();
      await Promise.all([temporal.stop(), sandbox.stop()]);
      try {
        const onDisk = JSON.parse(fs.readFileSync(path.join(dataDir, STACK_FILE), 'utf8')) as StackInfo;
        if (onDisk.pid === process.pid) fs.unlinkSync(path.join(dataDir, STACK_FILE));
      } catch {
        // already gone
      }
    },
  };
  if (opts.worker !== false) {
    log('starting the worker');
    try {
      stack.worker = await spawnOne();
    } catch (err) {
      await stack.stop();
      throw err;
    }
  }
  fs.writeFileSync(path.join(dataDir, STACK_FILE), `${JSON.stringify(info, null, 2)}\n`);
  return stack;
}

/** A worker as its own OS process, configured the way production configures one: environment only. */
export async function spawnWorker(
  info: StackInfo,
  logFile: string,
  overrides: { taskQueue?: string; /** Extra environment (e.g. SLACK_BOT_TOKEN, SLACK_API_URL); wins over the defaults. */ env?: NodeJS.ProcessEnv } = {},
): Promise<WorkerProcess> {
  const broker = (JSON.parse(fs.readFileSync(info.sandboxFile, 'utf8')) as SandboxFile).broker;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: info.temporalAddress,
    TEMPORAL_NAMESPACE: info.namespace,
    SAFEGUARD_TASK_QUEUE: overrides.taskQueue ?? info.taskQueue,
    SAFEGUARD_AWS_ENDPOINT: info.awsEndpoint,
    AWS_REGION: info.region,
    SAFEGUARD_EVIDENCE_DIR: info.evidenceDir,
    SAFEGUARD_DATA_DIR: info.dataDir,
    SAFEGUARD_CODEC_KEY_FILE: info.codecKeyFile,
    // The broker identity, through the SDK's default chain exactly as in production.
    AWS_ACCESS_KEY_ID: broker.accessKeyId,
    AWS_SECRET_ACCESS_KEY: broker.secretAccessKey,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    ...overrides.env,
  };
  // The log is appended to (a restarted worker may reuse it): only what this process writes counts.
  const startOffset = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
  const fd = fs.openSync(logFile, 'a');
  // One OS process running the worker (node with tsx's loader), not the tsx CLI, which runs the
  // worker in a child node process: SIGKILL to the CLI would leave that child running.
  const tsxLoader = pathToFileURL(path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', tsxLoader, path.join(REPO_ROOT, 'worker/main.ts')], { env, stdio: ['ignore', fd, fd], cwd: REPO_ROOT });
  fs.closeSync(fd);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 180_000;
  for (;;) {
    const text = fs.existsSync(logFile) ? fs.readFileSync(logFile).subarray(startOffset).toString('utf8') : '';
    if (/"msg":"worker started"/.test(text)) break;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker exited during start-up; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`worker did not start within 180 s; see ${logFile}`);
    await sleep(250);
  }
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    process: child,
    logFile,
    async kill() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!alive()) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export function readStackFile(file: string): StackInfo {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as StackInfo;
}

export const SANDBOX_API_SERVER_ID = 'safeguard-sandbox';

/** The api inside the stack's own process, acting as the broker (the sandbox's broker keys). */
async function startEmbeddedApi(info: StackInfo, sandbox: Sandbox, keyring: KeyRing, port: number): Promise<{ close(): Promise<void> }> {
  const connection = await Connection.connect({ address: info.temporalAddress });
  const temporal = new Client({ connection, namespace: info.namespace, dataConverter: dataConverterWithCodec(keyring) });
  const logger = createLogger('api', process.env.LOG_LEVEL ?? 'warn', (await import('pino')).default.destination({ dest: path.join(info.dataDir, 'api.log'), sync: true }));
  const deps = buildApiDeps({
    temporal,
    taskQueue: info.taskQueue,
    policy: loadPolicyFile(info.policyFile),
    region: info.region,
    awsEndpoint: info.awsEndpoint,
    brokerCredentials: { accessKeyId: sandbox.seed.broker.accessKeyId, secretAccessKey: sandbox.seed.broker.secretAccessKey },
    serverId: SANDBOX_API_SERVER_ID,
    federationUrl: `${info.awsEndpoint}/federation`,
    evidenceDir: info.evidenceDir,
    codec: { keyring, allowedOrigins: info.uiUrl ? [info.uiUrl, info.uiUrl.replace('127.0.0.1', 'localhost')] : [] },
    logger,
  });
  const api = await startApiServer(deps, { port });
  return {
    async close() {
      await api.close();
      await connection.close();
    },
  };
}
