// The embedded default (DESIGN.md §8): Temporal dev server + AWS sandbox + worker process, all on
// loopback. `npm run dev`, `npm run demo` and the integration tests start the same stack; the CLI
// finds a running one through the stack file it writes.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { seedPlanFromPolicy, startSandbox } from '../sandbox';
import type { Sandbox, SandboxFile, SandboxSeed } from '../sandbox';
import { freePort, sleep } from '../sandbox/net';
import { loadOrCreateKeyFile } from '../codec';
import { EVIDENCE_KEY_FILE_LABEL } from '../evidence/evidence-key';
import { openEvidenceStore } from '../evidence/open';
import type { KeyRing } from '../codec';
import { buildApiDeps } from '../api/build';
import { startApiServer } from '../api/server';
import { loadPolicyFile } from '../config/policy';
import { createLogger } from '../config/logger';
import { BREAK_GLASS_TASK_QUEUE } from '../workflows/break-glass/definitions';
import { loadOrCreateApiServerId } from './api-server-id';
import { REPO_ROOT, startDevServer } from './temporal-server';
import type { DevServer } from './temporal-server';
import { WorkerSupervisor } from './worker-supervisor';
import { connectTemporal } from '../client/temporal';
import { DEV_EVIDENCE_KEY_FILE, STACK_FILE, workerEnvironment } from '../config/stack-file';
import type { StackInfo } from '../config/stack-file';

export { STACK_FILE, STACK_RECONCILE_INTERVAL, workerEnvironment } from '../config/stack-file';
export type { StackInfo } from '../config/stack-file';

/** How often the embedded stack's worker reconciles closed break-glass runs. */

export interface StackOptions {
  dataDir: string;
  policyFile?: string;
  temporalPort?: number;
  uiPort?: number;
  headless?: boolean;
  apiPort?: number;
  /** Start a worker process (default true). */
  worker?: boolean;
  /**
   * Start the worker again when it dies, with backoff (`npm run dev`); default false, so tests that
   * kill workers on purpose keep control of them.
   */
  restartWorker?: boolean;
  /**
   * How long the sandbox refuses a key made by iam:CreateAccessKey, as IAM does while a new key
   * propagates (default STACK_NEW_KEY_DELAY_MS).
   */
  newKeyDelayMs?: number;
  /** Run the sandbox's simulated key consumers (default true, every 2 s). */
  consumers?: boolean | { intervalMs?: number };
  log?: (msg: string) => void;
}

/** IAM's propagation delay for new access keys, as the embedded stack's sandbox simulates it. */
export const STACK_NEW_KEY_DELAY_MS = 2_000;

/**
 * The policy a stack runs with (absolute): the option, else SAFEGUARD_POLICY (as the worker, the
 * api and the CLI read it), else examples/policy.yaml.
 */
export function stackPolicyFile(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.SAFEGUARD_POLICY?.trim();
  return path.resolve(explicit ?? (fromEnv ? fromEnv : path.join(REPO_ROOT, 'examples/policy.yaml')));
}

export interface WorkerProcess {
  process: ChildProcess;
  logFile: string;
  /** Resolves when the process has ended, with how (`code 1`, `SIGKILL`). */
  exited: Promise<string>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export interface Stack {
  info: StackInfo;
  /** Seeded from the stack's policy: its people, roles, service users and KMS keys. */
  sandbox: Sandbox<SandboxSeed>;
  temporal: DevServer;
  /** The stack's worker; with restartWorker, the one running now (undefined while a restart waits). */
  readonly worker?: WorkerProcess;
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
  const evidenceKeyFile = path.join(dataDir, DEV_EVIDENCE_KEY_FILE);
  const evidenceKeys = loadOrCreateKeyFile(evidenceKeyFile, EVIDENCE_KEY_FILE_LABEL);
  // Before any server starts, so a bad file cannot leave them running.
  const apiServerId = loadOrCreateApiServerId(dataDir);
  // The api's port is chosen first so the Web UI can be pointed at its codec endpoint.
  const apiPort = opts.apiPort ?? (await freePort());
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  // The policy before any server starts (a bad file leaves nothing running): the sandbox is seeded
  // from it, so every person (`--as`), role, service user and KMS key it names exists there.
  const policyFile = stackPolicyFile(opts.policyFile);
  const plan = seedPlanFromPolicy(loadPolicyFile(policyFile));
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
    startSandbox({
      dataDir: path.join(dataDir, 'sandbox'),
      plan,
      newKeyDelayMs: opts.newKeyDelayMs ?? STACK_NEW_KEY_DELAY_MS,
      consumers: opts.consumers ?? true,
    }),
  ]);
  if (started[0].status === 'rejected' || started[1].status === 'rejected') {
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw started[0].status === 'rejected' ? started[0].reason : (started[1] as PromiseRejectedResult).reason;
  }
  const temporal = started[0].value;
  const sandbox = started[1].value;
  const info: StackInfo & { apiServerId: string } = {
    temporalAddress: temporal.address,
    namespace: 'default',
    taskQueue: BREAK_GLASS_TASK_QUEUE,
    awsEndpoint: sandbox.endpoint,
    region: sandbox.region,
    policyFile,
    dataDir,
    evidenceDir: path.join(dataDir, 'evidence'),
    sandboxFile: path.join(dataDir, 'sandbox', 'sandbox.json'),
    ...(temporal.uiUrl ? { uiUrl: temporal.uiUrl } : {}),
    apiUrl,
    apiServerId,
    codecKeyFile,
    evidenceKeyFile,
    evidenceBucket: sandbox.seed.evidenceBucket,
    pid: process.pid,
    startedAt: new Date().toISOString(),
  };
  const api = await startEmbeddedApi(info, sandbox, keyring, evidenceKeys, apiPort).catch(async (err: unknown) => {
    await Promise.all([temporal.stop(), sandbox.stop()]);
    throw err;
  });
  const workers: WorkerProcess[] = [];
  const spawnOne = async (logFile = path.join(dataDir, `worker-${workers.length + 1}.log`), signal?: AbortSignal): Promise<WorkerProcess> => {
    const w = await spawnWorker(info, logFile, signal ? { signal } : {});
    workers.push(w);
    return w;
  };
  let firstWorker: WorkerProcess | undefined;
  let supervisor: WorkerSupervisor<WorkerProcess> | undefined;
  const stack: Stack = {
    info,
    sandbox,
    temporal,
    get worker() {
      return supervisor ? supervisor.current : firstWorker;
    },
    spawnWorker: () => spawnOne(),
    async stop() {
      // The supervisor first, so no restart races the shutdown.
      await supervisor?.stop();
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
      if (opts.restartWorker) {
        // Restarts append to the first worker's log, so a crash loop does not litter the data dir.
        const logFile = path.join(dataDir, 'worker-1.log');
        supervisor = new WorkerSupervisor({ spawn: (signal) => spawnOne(logFile, signal), log });
        await supervisor.start();
      } else {
        firstWorker = await spawnOne();
      }
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
  overrides: {
    taskQueue?: string;
    /** Extra environment (e.g. SLACK_BOT_TOKEN, SLACK_API_URL); wins over the defaults. */
    env?: NodeJS.ProcessEnv;
    /** Aborts a start still in progress: the child is killed and the promise rejects. */
    signal?: AbortSignal;
  } = {},
): Promise<WorkerProcess> {
  const broker = (JSON.parse(fs.readFileSync(info.sandboxFile, 'utf8')) as SandboxFile).broker;
  const env = workerEnvironment(info, broker, overrides);
  // The log is appended to (a restarted worker may reuse it): only what this process writes counts.
  const startOffset = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
  const fd = fs.openSync(logFile, 'a');
  // One OS process running the worker (node with tsx's loader), not the tsx CLI, which runs the
  // worker in a child node process: SIGKILL to the CLI would leave that child running.
  const tsxLoader = pathToFileURL(path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', tsxLoader, path.join(REPO_ROOT, 'worker/main.ts')], { env, stdio: ['ignore', fd, fd], cwd: REPO_ROOT });
  fs.closeSync(fd);
  const exited = new Promise<string>((r) => child.once('exit', (code, signal) => r(signal ?? `code ${code ?? '?'}`)));
  const deadline = Date.now() + 180_000;
  for (;;) {
    const text = fs.existsSync(logFile) ? fs.readFileSync(logFile).subarray(startOffset).toString('utf8') : '';
    if (/"msg":"worker started"/.test(text)) break;
    if (overrides.signal?.aborted) {
      child.kill('SIGKILL');
      await exited;
      throw new Error('worker start-up cancelled');
    }
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker exited during start-up; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`worker did not start within 180 s; see ${logFile}`);
    await sleep(250);
  }
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    process: child,
    logFile,
    exited,
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

/** The api inside the stack's own process, acting as the broker (the sandbox's broker keys). */
async function startEmbeddedApi(info: StackInfo & { apiServerId: string }, sandbox: Sandbox<SandboxSeed>, keyring: KeyRing, evidenceKeys: KeyRing, port: number): Promise<{ close(): Promise<void> }> {
  const brokerCredentials = { accessKeyId: sandbox.seed.broker.accessKeyId, secretAccessKey: sandbox.seed.broker.secretAccessKey };
  const { client: temporal, connection } = await connectTemporal({ address: info.temporalAddress, namespace: info.namespace, tls: false }, keyring);
  const logger = createLogger('api', process.env.LOG_LEVEL ?? 'warn', (await import('pino')).default.destination({ dest: path.join(info.dataDir, 'api.log'), sync: true }));
  const deps = buildApiDeps({
    temporal,
    taskQueue: info.taskQueue,
    policy: loadPolicyFile(info.policyFile),
    region: info.region,
    awsEndpoint: info.awsEndpoint,
    brokerCredentials,
    serverId: info.apiServerId,
    federationUrl: `${info.awsEndpoint}/federation`,
    evidence: openEvidenceStore(
      { dir: info.evidenceDir, region: info.region, endpoint: info.awsEndpoint, credentials: brokerCredentials, ...(info.evidenceBucket ? { bucket: info.evidenceBucket } : {}) },
      evidenceKeys,
    ),
    // The dev Web UI cannot send a token, so decode is open (loopback only); encode stays disabled.
    codec: { keyring, allowedOrigins: info.uiUrl ? [info.uiUrl, info.uiUrl.replace('127.0.0.1', 'localhost')] : [], unauthenticatedDecode: true },
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
