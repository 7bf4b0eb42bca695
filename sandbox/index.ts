// The AWS sandbox: moto + the gateway + seed data. `startSandbox` is what dev tooling and the
// integration tests call; everything talks to `endpoint` (the gateway), never to moto directly.

import fs from 'node:fs/promises';
import path from 'node:path';
import { startGateway } from './gateway';
import type { Gateway } from './gateway';
import { enableMotoAuthentication, startMoto } from './moto';
import type { MotoServer } from './moto';
import { motoQuery } from './moto-query';
import { SEED_CREDENTIALS, seedSandbox } from './seed';
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
  /**
   * Turn on moto's request authentication after seeding: from then on moto also verifies every
   * SigV4 signature and evaluates IAM identity policies (and, for AssumeRole, a subset of the
   * role's trust policy). The gateway verifies signatures and key status in both modes.
   * See docs/api-auth.md ("The sandbox") for what moto does and does not check. Default false.
   */
  authenticate?: boolean;
  log?: (msg: string) => void;
}

export interface Sandbox {
  /** The gateway URL every AWS client should use, e.g. http://127.0.0.1:PORT. */
  endpoint: string;
  motoEndpoint: string;
  region: 'us-east-1';
  seed: SandboxSeed;
  /** Whether moto authenticates requests (StartSandboxOptions.authenticate). */
  authenticated: boolean;
  /** In-process handle on the gateway (call log, faults, sessions) for tests in the same process. */
  gateway: Gateway;
  stop(): Promise<void>;
}

/** The file `startSandbox` writes: the seed plus the endpoints. Fake, sandbox-only keys. */
export interface SandboxFile extends SandboxSeed {
  endpoint: string;
  motoEndpoint: string;
  /** Whether moto authenticates requests; absent in files written before the option existed. */
  authenticated?: boolean;
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
      seedSandbox(moto.endpoint, { authenticate: opts.authenticate === true }),
      startGateway({
        motoEndpoint: moto.endpoint,
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.enforceTrustPolicies !== undefined ? { enforceTrustPolicies: opts.enforceTrustPolicies } : {}),
        authenticate: opts.authenticate === true,
        log,
      }),
    ]);
    gateway = gw;
    gateway.setInstances(seed.instances);
    const authenticated = opts.authenticate === true;
    if (authenticated) {
      await enableMotoAuthentication(moto.endpoint);
      await assertMotoAuthenticates(moto.endpoint);
      log('moto request authentication is on');
    }

    await fs.mkdir(opts.dataDir, { recursive: true });
    const file: SandboxFile = {
      ...seed,
      endpoint: gateway.endpoint,
      motoEndpoint: moto.endpoint,
      authenticated,
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
      authenticated,
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

/** Fails loudly unless moto now refuses a fake-signed call (so auth cannot be silently off). */
async function assertMotoAuthenticates(motoEndpoint: string): Promise<void> {
  const probe = await motoQuery(motoEndpoint, 'sts', SEED_CREDENTIALS.accessKeyId, { Action: 'GetCallerIdentity', Version: '2011-06-15' });
  if (probe.status === 200) throw new Error('moto still answers unsigned requests after /moto-api/reset-auth: request authentication is not on');
}

/** Reads the `sandbox.json` a running sandbox wrote into `dataDir`. */
export async function readSandboxFile(dataDir: string): Promise<SandboxFile> {
  return JSON.parse(await fs.readFile(path.join(dataDir, SANDBOX_FILE), 'utf8')) as SandboxFile;
}
