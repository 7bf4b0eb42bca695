// The stack file a running embedded stack (`npm run dev`, the demo, the test stack) writes for its
// clients: the CLI finds the stack through it. Here, not in dev/, so the CLI reads it without
// depending on the code that starts stacks.
import path from 'node:path';

/** The repository root (the CLI's default `.data/stack.json` lives under it). */
export const REPO_ROOT = path.resolve(__dirname, '..');

export const STACK_FILE = 'stack.json';

/** Whether a process (a stack's) is alive; EPERM means it exists under another user. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Where an embedded stack keeps the evidence chain's key: `<data dir>/evidence-keys.json` (kept when it stops). */
export const DEV_EVIDENCE_KEY_FILE = 'evidence-keys.json';

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
  /** The embedded api's server id: random per data dir, kept in `<dataDir>/api-server-id`. */
  apiServerId?: string;
  /** The payload codec's key file (sandbox key, mode 0600). */
  codecKeyFile: string;
  /** The evidence chain's HMAC key file (mode 0600). */
  evidenceKeyFile: string;
  /** The sandbox's Object Lock bucket the evidence heads are anchored in. */
  evidenceBucket?: string;
  pid: number;
  startedAt: string;
}

/** The reconciler runs every few seconds on the embedded stack (a minute in production). */
export const STACK_RECONCILE_INTERVAL = '15s';

/**
 * The environment the stack gives a worker process: what production sets, pointed at the embedded
 * stack. Shared by dev/stack.ts (spawnWorker) and `safeguard doctor`. Only variables config/env.ts knows (test/unit/dev-stack-environment.test.ts).
 */
export function workerEnvironment(
  info: StackInfo,
  broker: { accessKeyId: string; secretAccessKey: string } | undefined,
  overrides: { taskQueue?: string; env?: NodeJS.ProcessEnv } = {},
): NodeJS.ProcessEnv {
  return {
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
    SAFEGUARD_EVIDENCE_KEY_FILE: info.evidenceKeyFile,
    ...(info.evidenceBucket ? { SAFEGUARD_EVIDENCE_BUCKET: info.evidenceBucket } : {}),
    SAFEGUARD_POLICY: info.policyFile,
    // The reconciler runs every few seconds on the embedded stack (a minute in production).
    SAFEGUARD_RECONCILE_INTERVAL: STACK_RECONCILE_INTERVAL,
    // Schedules start runs on one queue: only the stack's own worker brings them in line with the
    // policy. A worker on another queue (a test's) would move them to its queue.
    SAFEGUARD_SCHEDULE_SYNC: overrides.taskQueue === undefined || overrides.taskQueue === info.taskQueue ? 'on' : 'off',
    // The broker identity, through the SDK's default chain exactly as in production.
    ...(broker ? { AWS_ACCESS_KEY_ID: broker.accessKeyId, AWS_SECRET_ACCESS_KEY: broker.secretAccessKey } : {}),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    ...overrides.env,
  };
}
