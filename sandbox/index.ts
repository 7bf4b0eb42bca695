// The AWS sandbox: moto + the gateway + seed data. `startSandbox` is what dev tooling and the
// integration tests call; everything talks to `endpoint` (the gateway), never to moto directly.

import fs from 'node:fs/promises';
import path from 'node:path';
import { startGateway } from './gateway';
import type { Gateway } from './gateway';
import { startMoto } from './moto';
import type { MotoServer } from './moto';
import { seedSandbox } from './seed';
import type { SandboxSeed } from './seed';

export type { SandboxSeed, SandboxUser, SandboxPerson } from './seed';
export type { CallRecord, CallFilter } from './call-log';
export type { FaultRule } from './faults';
export type { Gateway } from './gateway';
export { sandboxControl } from './client';
export type { SandboxControl } from './client';

export interface StartSandboxOptions {
  /** Directory for `sandbox.json` (created if missing). */
  dataDir: string;
  /** Gateway port; default a free port. */
  port?: number;
  /** Evaluate role trust policies on AssumeRole like AWS (moto does not). Default true. */
  enforceTrustPolicies?: boolean;
  log?: (msg: string) => void;
}

export interface Sandbox {
  /** The gateway URL every AWS client should use, e.g. http://127.0.0.1:PORT. */
  endpoint: string;
  motoEndpoint: string;
  region: 'us-east-1';
  seed: SandboxSeed;
  /** In-process handle on the gateway (call log, faults, sessions) for tests in the same process. */
  gateway: Gateway;
  stop(): Promise<void>;
}

/** The file `startSandbox` writes: the seed plus the endpoints. Fake, sandbox-only keys. */
export interface SandboxFile extends SandboxSeed {
  endpoint: string;
  motoEndpoint: string;
  pid: number;
  startedAt: string;
}

export const SANDBOX_FILE = 'sandbox.json';

export async function startSandbox(opts: StartSandboxOptions): Promise<Sandbox> {
  const log = opts.log ?? (() => undefined);
  const started = Date.now();
  let moto: MotoServer | undefined;
  let gateway: Gateway | undefined;
  try {
    moto = await startMoto({ log });
    // Seed moto directly so the seeding calls do not clutter the gateway's call log.
    const [seed, gw] = await Promise.all([
      seedSandbox(moto.endpoint),
      startGateway({
        motoEndpoint: moto.endpoint,
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.enforceTrustPolicies !== undefined ? { enforceTrustPolicies: opts.enforceTrustPolicies } : {}),
        log,
      }),
    ]);
    gateway = gw;
    gateway.setInstances(seed.instances);

    await fs.mkdir(opts.dataDir, { recursive: true });
    const file: SandboxFile = {
      ...seed,
      endpoint: gateway.endpoint,
      motoEndpoint: moto.endpoint,
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
    await fs.writeFile(path.join(opts.dataDir, SANDBOX_FILE), `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    log(`sandbox ready at ${gateway.endpoint} in ${Date.now() - started} ms`);

    const m = moto;
    const g = gateway;
    let stopping: Promise<void> | undefined;
    return {
      endpoint: g.endpoint,
      motoEndpoint: m.endpoint,
      region: 'us-east-1',
      seed,
      gateway: g,
      stop: () => {
        stopping ??= (async () => {
          await g.stop();
          await m.stop();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await gateway?.stop().catch(() => undefined);
    await moto?.stop().catch(() => undefined);
    throw err;
  }
}

/** Reads the `sandbox.json` a running sandbox wrote into `dataDir`. */
export async function readSandboxFile(dataDir: string): Promise<SandboxFile> {
  return JSON.parse(await fs.readFile(path.join(dataDir, SANDBOX_FILE), 'utf8')) as SandboxFile;
}
