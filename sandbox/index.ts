// The AWS sandbox: moto + the gateway + seed data. `startSandbox` is what dev tooling and the
// integration tests call; everything talks to `endpoint` (the gateway), never to moto directly.

import fs from 'node:fs/promises';
import path from 'node:path';
import { Consumers, DEFAULT_CONSUMER_INTERVAL_MS } from './consumers';
import { startGateway } from './gateway';
import type { Gateway } from './gateway';
import { enableMotoAuthentication, startMoto } from './moto';
import type { MotoServer } from './moto';
import { motoQuery } from './moto-query';
import { SEED_CREDENTIALS, secretNameOf, seedSandbox } from './seed';
import type { DefaultSandboxSeed, SandboxSeed } from './seed';
import type { SeedPlan } from './seed-plan';
import { DEFAULT_SEED_PLAN } from './seed-plan';
import { registerDrillData } from './seed-dynamo';
import type { DynamoServiceOptions } from './services/dynamodb';
import type { BackupServiceOptions } from './services/backup';

export type { DynamoServiceOptions } from './services/dynamodb';
export type { BackupServiceOptions } from './services/backup';
export type { SandboxBackupVault, SandboxDynamoTable } from './seed-dynamo';
import type { RdsSandboxOptions } from './services/rds';

export type { RdsSandboxOptions, RdsInstanceView, RestoreRecord } from './services/rds';
export { RDS_DEFAULTS } from './services/rds';
export { VALIDATE_RESTORE_DOCUMENT } from './validate-restore';
export type { DefaultSandboxSeed, SandboxKmsKey, SandboxRdsInstance, SandboxPeople, SandboxSeed, SandboxServiceUser, SandboxUser, SandboxPerson } from './seed';
export { DEFAULT_SEED_PLAN, seedPlanFromPolicy } from './seed-plan';
export type { SeedPlan, SeedPolicy } from './seed-plan';
export type { CallRecord, CallFilter } from './call-log';
export type { ConsumerMode, ConsumerView, KeyStore } from './consumers';
export type { FaultRule } from './faults';
export type { Gateway } from './gateway';
export { sandboxControl } from './client';
export type { SandboxControl, SandboxConsumerView, IamAgeOverride, IamAgesView, SandboxPrincipals, SandboxPrincipalsResult } from './client';
export { CREDENTIAL_REPORT_COLUMNS, parseCredentialReport } from './iam-credential-report';
export type { CredentialReportRow } from './iam-credential-report';

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
  /** What to seed (seedPlanFromPolicy(policy) for a policy's people, roles and keys); default DEFAULT_SEED_PLAN. */
  plan?: SeedPlan;
  /**
   * How long a key made by iam:CreateAccessKey through the gateway is refused (InvalidClientTokenId),
   * as IAM does while a new key propagates. Seeded keys are usable at once. Default 0.
   */
  newKeyDelayMs?: number;
  /** How long a KMS on-demand rotation stays in progress (ConflictException meanwhile). Default 3000 ms. */
  kmsOnDemandRotationMs?: number;
  /**
   * RDS timings (defaults in RDS_DEFAULTS): createMs 2000, restoreMs 2000, deleteMs 1000,
   * latestRestorableLagMs 300000 (never before the instance's creation), writerIntervalMs 1000
   * (each seeded source gets a row in `events` that often; 0: no writers).
   */
  rds?: RdsSandboxOptions;
  /** How long an SSM Run Command stays InProgress before its invocations end. Default 1000 ms. */
  ssmCommandMs?: number;
  /**
   * DynamoDB timings (services/dynamodb.ts): creatingMs 2000 (a restored table reads CREATING),
   * deletingMs 1000 (a deleted one reads DELETING), writerIntervalMs 1000 (one item per seeded table).
   */
  dynamodb?: DynamoServiceOptions;
  /** AWS Backup timings (services/backup.ts): restoreStartMs 500, how long a restore job stays PENDING. */
  backup?: BackupServiceOptions;
  /**
   * Run the service users' simulated consumers (consumers.ts) from start-up until stop: each reads
   * its user's key from the store every `intervalMs` (default 2000) and calls sts:GetCallerIdentity
   * with it. Default off: their calls would interleave with a test's own in the call log. The
   * control API lists the consumers either way.
   */
  consumers?: boolean | { intervalMs?: number };
  /**
   * How long generating an account's first IAM credential report takes (GetCredentialReport answers
   * ReportInProgress meanwhile, as in AWS). Default 0.
   */
  credentialReportMs?: number;
  /** Load AWS's managed policies into moto so they can be attached (MOTO_IAM_LOAD_MANAGED_POLICIES). Default true. */
  loadManagedPolicies?: boolean;
  log?: (msg: string) => void;
}

export interface Sandbox<Seed extends SandboxSeed = DefaultSandboxSeed> {
  /** The gateway URL every AWS client should use, e.g. http://127.0.0.1:PORT. */
  endpoint: string;
  motoEndpoint: string;
  region: 'us-east-1';
  seed: Seed;
  /** Whether moto authenticates requests (StartSandboxOptions.authenticate). */
  authenticated: boolean;
  /** In-process handle on the gateway (call log, faults, sessions) for tests in the same process. */
  gateway: Gateway;
  stop(): Promise<void>;
}

/**
 * The file `startSandbox` writes: the seed plus the endpoints. Fake, sandbox-only keys. Typed by
 * default as a default-plan seed's (alice … dave); a sandbox seeded from a policy's plan has that
 * policy's people: read it as SandboxFile<SandboxSeed>.
 */
export type SandboxFile<Seed extends SandboxSeed = DefaultSandboxSeed> = Seed & {
  endpoint: string;
  motoEndpoint: string;
  /** Whether moto authenticates requests; absent in files written before the option existed. */
  authenticated?: boolean;
  pid: number;
  startedAt: string;
};

export const SANDBOX_FILE = 'sandbox.json';

/** Without a plan the seed is the default one (alice, bob, carol and dave are there). */
export async function startSandbox(opts: StartSandboxOptions & { plan?: undefined }): Promise<Sandbox>;
export async function startSandbox(opts: StartSandboxOptions): Promise<Sandbox<SandboxSeed>>;
export async function startSandbox(opts: StartSandboxOptions): Promise<Sandbox<SandboxSeed>> {
  const log = opts.log ?? (() => undefined);
  const started = Date.now();
  let moto: MotoServer | undefined;
  let gateway: Gateway | undefined;
  let consumers: Consumers | undefined;
  try {
    moto = await startMoto({ log, ...(opts.loadManagedPolicies !== undefined ? { loadManagedPolicies: opts.loadManagedPolicies } : {}) });
    // Seed moto directly so the seeding calls do not clutter the gateway's call log.
    const [seed, gw] = await Promise.all([
      seedSandbox(moto.endpoint, { authenticate: opts.authenticate === true, ...(opts.plan ? { plan: opts.plan } : {}), log }),
      startGateway({
        motoEndpoint: moto.endpoint,
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.enforceTrustPolicies !== undefined ? { enforceTrustPolicies: opts.enforceTrustPolicies } : {}),
        ...(opts.newKeyDelayMs !== undefined ? { newKeyDelayMs: opts.newKeyDelayMs } : {}),
        ...(opts.kmsOnDemandRotationMs !== undefined ? { kmsOnDemandRotationMs: opts.kmsOnDemandRotationMs } : {}),
        ...(opts.rds !== undefined ? { rds: opts.rds } : {}),
        ...(opts.ssmCommandMs !== undefined ? { ssmCommandMs: opts.ssmCommandMs } : {}),
        ...(opts.dynamodb !== undefined ? { dynamodb: opts.dynamodb } : {}),
        ...(opts.backup !== undefined ? { backup: opts.backup } : {}),
        ...(opts.credentialReportMs !== undefined ? { credentialReportMs: opts.credentialReportMs } : {}),
        authenticate: opts.authenticate === true,
        log,
      }),
    ]);
    gateway = gw;
    // The plan's SSM targets are reachable too (moto cannot create instances with chosen ids; the
    // gateway's Session Manager knows them as managed nodes).
    gateway.setInstances([...new Set([...seed.instances, ...(opts.plan?.instances ?? [])])]);
    for (const k of Object.values(seed.kmsKeys)) gateway.registerKmsKeyId(k.keyId, k.motoKeyId);
    // moto has the sources' metadata; their rows (and writers) live in the gateway.
    for (const db of Object.values(seed.rdsInstances)) gateway.rds.addSource(db.id, Date.parse(db.createdAt));
    // DynamoDB sources' journals and writers, then the vaults' recovery points (the RDS sources above first).
    await registerDrillData(gateway, seed, opts.plan ?? DEFAULT_SEED_PLAN, log);
    const authenticated = opts.authenticate === true;
    if (authenticated) {
      await enableMotoAuthentication(moto.endpoint);
      await assertMotoAuthenticates(moto.endpoint);
      log('moto request authentication is on');
    }
    consumers = new Consumers(
      Object.values(seed.serviceUsers).flatMap((u) =>
        u.consumer === undefined
          ? []
          : [{ userName: u.userName, userArn: u.arn, mode: u.consumer, store: u.store.type === 'secrets-manager' ? { type: 'secrets-manager' as const, secretId: secretNameOf(u.store.secretId) } : u.store }],
      ),
      {
        endpoint: gateway.endpoint,
        region: 'us-east-1',
        reader: { accessKeyId: seed.consumerReader.accessKeyId, secretAccessKey: seed.consumerReader.secretAccessKey },
        intervalMs: typeof opts.consumers === 'object' ? (opts.consumers.intervalMs ?? DEFAULT_CONSUMER_INTERVAL_MS) : DEFAULT_CONSUMER_INTERVAL_MS,
        log,
      },
    );
    gateway.setConsumers(consumers);
    if (opts.consumers !== undefined && opts.consumers !== false) consumers.start();

    await fs.mkdir(opts.dataDir, { recursive: true });
    const file: SandboxFile<SandboxSeed> = {
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
    const c = consumers;
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
          // Consumers first: they call the gateway.
          await c.stop();
          await g.stop();
          await m.stop();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await consumers?.stop().catch(() => undefined);
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
export async function readSandboxFile<Seed extends SandboxSeed = DefaultSandboxSeed>(dataDir: string): Promise<SandboxFile<Seed>> {
  return JSON.parse(await fs.readFile(path.join(dataDir, SANDBOX_FILE), 'utf8')) as SandboxFile<Seed>;
}
