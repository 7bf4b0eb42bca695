// Launches moto_server (from the project's .tools venv) on a free loopback port.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, sleep } from './net';

export interface MotoServer {
  /** e.g. http://127.0.0.1:41234 */
  endpoint: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  log?: (msg: string) => void;
  /** How long to wait for moto to answer HTTP. Default 60 s. */
  readyTimeoutMs?: number;
  /** Override the moto_server binary (default `<repo>/.tools/venv/bin/moto_server`). */
  motoServerPath?: string;
  /**
   * Load AWS's managed policies (arn:aws:iam::aws:policy/AdministratorAccess, ReadOnlyAccess, …) into
   * every account, so they can be attached as in AWS: moto's MOTO_IAM_LOAD_MANAGED_POLICIES. Default
   * true. moto loads them lazily, once per account, on that account's first IAM call: that call
   * takes about 0.45 s longer on this machine (moto's start-up itself is unchanged).
   */
  loadManagedPolicies?: boolean;
}

export class MotoStartError extends Error {
  readonly code = 'MotoStartFailed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MotoStartError';
  }
}

const REPO_ROOT = path.resolve(__dirname, '..');
export const DEFAULT_MOTO_SERVER = path.join(REPO_ROOT, '.tools', 'venv', 'bin', 'moto_server');

// Runs moto_server via the venv's python after asking the kernel to SIGTERM it if its parent (this
// Node process) dies, so a crashed test run does not leave moto listening. Linux only; elsewhere
// the prctl call fails silently and moto starts anyway. The wrapper then installs the sandbox's
// hooks (moto_hooks.py: a data.json that survives RDS instances, a lean listing for the gateway's
// key directory, the endpoints time travel, the credential report and bulk seeding read and write
// moto's IAM state through, and IAM behaviour fixes) before moto binds its routes; a hook that
// cannot install stops moto from starting (the gateway relies on them). Runs wherever the venv's
// python is.
// argv: <parent pid> <hooks file> <moto_server> <moto args…>
const DEATHSIG_WRAPPER = [
  'import ctypes, os, runpy, signal, sys',
  'try:',
  '    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)',
  '    if os.getppid() != int(sys.argv[1]): sys.exit(1)',
  'except Exception: pass',
  'runpy.run_path(sys.argv[2])["install"]()',
  'sys.argv = sys.argv[3:]',
  'from moto.server import main',
  'sys.exit(main())',
].join('\n');

/** The hooks the wrapper installs into moto (see the file's header). */
export const MOTO_HOOKS_FILE = path.join(__dirname, 'moto_hooks.py');

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

export async function startMoto(opts: StartMotoOptions = {}): Promise<MotoServer> {
  const log = opts.log ?? (() => undefined);
  const bin = opts.motoServerPath ?? DEFAULT_MOTO_SERVER;
  if (!fs.existsSync(bin)) {
    throw new MotoStartError(`moto_server not found at ${bin}; run \`npm run bootstrap\` to install the sandbox tools`);
  }
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startOnce(bin, log, opts.readyTimeoutMs ?? 60_000, motoEnv(opts));
    } catch (err) {
      lastError = err;
      log(`moto start attempt ${attempt} failed: ${(err as Error).message}`);
    }
  }
  throw new MotoStartError(`moto_server did not start: ${(lastError as Error | undefined)?.message ?? 'unknown'}`, {
    cause: lastError,
  });
}

/** moto_server's environment: ours, with the sandbox's moto settings. */
export function motoEnv(opts: Pick<StartMotoOptions, 'loadManagedPolicies'>, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, MOTO_IAM_LOAD_MANAGED_POLICIES: opts.loadManagedPolicies === false ? 'false' : 'true' };
}

async function startOnce(bin: string, log: (msg: string) => void, readyTimeoutMs: number, env: NodeJS.ProcessEnv): Promise<MotoServer> {
  const port = await freePort();
  const python = path.join(path.dirname(bin), 'python');
  const useWrapper = fs.existsSync(python);
  const args = ['-H', '127.0.0.1', '-p', String(port)];
  const child = useWrapper
    ? spawn(python, ['-c', DEATHSIG_WRAPPER, String(process.pid), MOTO_HOOKS_FILE, bin, ...args], { detached: false, env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(bin, args, { detached: false, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  installExitHook();

  const tail: string[] = [];
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      live.delete(child);
      log(`moto_server (pid ${child.pid ?? '?'}) exited code=${String(code)} signal=${String(signal)}`);
      resolve();
    });
    child.once('error', (err) => {
      exited = true;
      live.delete(child);
      tail.push(`spawn error: ${err.message}`);
      resolve();
    });
  });

  const exitedWithin = (ms: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    return Promise.race([exitPromise.then(() => true), timeout]).finally(() => clearTimeout(timer));
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    if (!(await exitedWithin(3_000)) && !exited) {
      child.kill('SIGKILL');
      await exitedWithin(2_000);
    }
  };

  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`moto_server exited during start-up:\n${tail.join('\n')}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) {
        log(`moto_server ready at ${endpoint} (pid ${child.pid ?? '?'})`);
        return { endpoint, pid: child.pid, stop };
      }
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`moto_server did not answer on ${endpoint} within ${readyTimeoutMs} ms:\n${tail.join('\n')}`);
}

/**
 * Turns on moto's request authentication (SigV4 signatures and IAM policies) from the next
 * request on. moto counts requests served without authentication and starts checking once the
 * count reaches INITIAL_NO_AUTH_ACTION_COUNT (default: infinity, i.e. never). Rather than counting
 * the seed's requests (fragile: SDK retries, parallel seeding), the sandbox seeds with the default
 * and then POSTs the new limit "0" to `/moto-api/reset-auth`, which sets the limit and resets the
 * counter: every later request is authenticated. `/moto-api/` itself is never authenticated.
 */
export async function enableMotoAuthentication(motoEndpoint: string): Promise<void> {
  const res = await fetch(new URL('/moto-api/reset-auth', motoEndpoint), {
    method: 'POST',
    body: '0',
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new MotoStartError(`moto refused to turn on request authentication: HTTP ${res.status}: ${text.slice(0, 300)}`);
}
