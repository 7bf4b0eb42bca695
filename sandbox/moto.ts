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
// the prctl call fails silently and moto starts anyway. The wrapper also patches a moto bug (below),
// so it runs wherever the venv's python is.
const DEATHSIG_WRAPPER = [
  'import ctypes, os, signal, sys',
  'try:',
  '    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)',
  '    if os.getppid() != int(sys.argv[1]): sys.exit(1)',
  'except Exception: pass',
  // moto 5.2.5 answers /moto-api/data.json (which the gateway reads to know keys and roles) with
  // HTTP 500 once any RDS DB instance exists: data.json reads every public attribute of every model
  // and catches only TypeError/AttributeError/ValueError, but DBInstance has write-only properties
  // that raise NotImplementedError (db_subnet_group_name, master_user_password). The same listing,
  // skipping any attribute that cannot be read. Patched before moto binds its routes.
  'try:',
  '    import json',
  '    from moto.moto_api._internal.responses import MotoAPIResponse',
  '    def model_data(self, request, full_url, headers):',
  '        from moto.core.model_instances import model_data as registry',
  '        results = {}',
  '        for service in sorted(registry):',
  '            results[service] = {}',
  '            for name in sorted(registry[service]):',
  '                listed = results[service][name] = []',
  '                for instance in registry[service][name].instances_tracked:',
  '                    fields = {}',
  '                    for attr in dir(instance):',
  '                        if attr.startswith("_"): continue',
  '                        try:',
  '                            value = getattr(instance, attr)',
  '                            json.dumps(value)',
  '                        except Exception: continue',
  '                        fields[attr] = value',
  '                    listed.append(fields)',
  '        return 200, {"Content-Type": "application/javascript"}, json.dumps(results)',
  '    MotoAPIResponse.model_data = model_data',
  'except Exception as e: print("could not patch moto /moto-api/data.json:", e, file=sys.stderr)',
  'sys.argv = sys.argv[2:]',
  'from moto.server import main',
  'sys.exit(main())',
].join('\n');

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
      return await startOnce(bin, log, opts.readyTimeoutMs ?? 60_000);
    } catch (err) {
      lastError = err;
      log(`moto start attempt ${attempt} failed: ${(err as Error).message}`);
    }
  }
  throw new MotoStartError(`moto_server did not start: ${(lastError as Error | undefined)?.message ?? 'unknown'}`, {
    cause: lastError,
  });
}

async function startOnce(bin: string, log: (msg: string) => void, readyTimeoutMs: number): Promise<MotoServer> {
  const port = await freePort();
  const python = path.join(path.dirname(bin), 'python');
  const useWrapper = fs.existsSync(python);
  const args = ['-H', '127.0.0.1', '-p', String(port)];
  const child = useWrapper
    ? spawn(python, ['-c', DEATHSIG_WRAPPER, String(process.pid), bin, ...args], { detached: false, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(bin, args, { detached: false, stdio: ['ignore', 'pipe', 'pipe'] });
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
