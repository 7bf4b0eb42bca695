// Starts the pinned Temporal CLI dev server (installed by tools/bootstrap.sh) and waits until it
// answers. The SDK's own launcher gives a server 5 s, which a loaded 2-core machine can miss, so we
// start it ourselves and poll.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_FLAGS } from '../client/break-glass-client';
import { freePort, sleep } from '../sandbox/net';

export { REPO_ROOT } from '../config/stack-file';
import { REPO_ROOT } from '../config/stack-file';
export const TEMPORAL_CLI = path.join(REPO_ROOT, '.tools/venv/bin/temporal');

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  /** SQLite file; the history survives restarts. */
  dbFile: string;
  port?: number;
  uiPort?: number;
  headless?: boolean;
  codecEndpoint?: string;
  logFile?: string;
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const port = opts.port ?? (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', opts.dbFile, '--log-level', 'warn', ...SEARCH_ATTRIBUTE_FLAGS];
  let uiUrl: string | undefined;
  if (opts.headless) args.push('--headless');
  else {
    const uiPort = opts.uiPort ?? (await freePort());
    args.push('--ui-port', String(uiPort), '--ui-ip', '127.0.0.1', '--ui-disable-news-fetch');
    uiUrl = `http://127.0.0.1:${uiPort}`;
  }
  if (opts.codecEndpoint) args.push('--ui-codec-endpoint', opts.codecEndpoint);
  fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
  const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(TEMPORAL_CLI, args, { stdio: ['ignore', out, out] });
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `temporal dev server exited (${signal ?? code})`;
  });
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) throw new Error(`${exited}${opts.logFile ? `; see ${opts.logFile}` : ''}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 2000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`temporal dev server did not answer on ${address} within 90 s`, { cause: err });
      }
      await sleep(300);
    }
  }
  return {
    address,
    ...(uiUrl ? { uiUrl } : {}),
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(t);
    },
  };
}
