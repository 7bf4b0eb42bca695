// Shared helpers for the break-glass integration tests (test/integration/break-glass*.test.ts and
// cli*.test.ts): CLI contexts on the test stack, waiting for phases, disposable workers on their
// own task queue, and acting as the requester would with vended credentials.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StartSessionCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { openContext } from '../../cli/context';
import type { CliContext } from '../../cli/context';
import { resolveCaller } from '../../cli/identity';
import type { Caller } from '../../cli/identity';
import { status } from '../../cli/commands/breakglass';
import { spawnWorker } from '../../dev/stack';
import type { StackInfo, WorkerProcess } from '../../dev/stack';
import { sandboxControl } from '../../sandbox';
import type { CallRecord } from '../../sandbox';
import type { BreakGlassStatus, Phase } from '../../workflows/break-glass/definitions';
import { grantSessionName } from '../../workflows/break-glass/definitions';
import { sandboxSeed, testStack } from './stack';

export const REASON = 'orders database is refusing connections; need to restart it';

export interface People {
  alice: Caller;
  bob: Caller;
  carol: Caller;
  dave: Caller;
}

/** Verified identities of the four sandbox people (STS GetCallerIdentity with their keys). */
export async function resolvePeople(ctx: CliContext): Promise<People> {
  const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((p) => resolveCaller(ctx, p)));
  return { alice: alice!, bob: bob!, carol: carol!, dave: dave! };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls the status Query until the request reaches `phase` (or a later one). */
export async function waitForPhase(ctx: CliContext, id: string, phase: Phase, timeoutMs = 60_000): Promise<BreakGlassStatus> {
  const order: Phase[] = ['pending', 'active', 'revoking', 'ended'];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await status(ctx, id);
    if (order.indexOf(st.phase) >= order.indexOf(phase)) return st;
    if (Date.now() > deadline) throw new Error(`${id} still ${st.phase} after ${timeoutMs} ms (wanted ${phase})`);
    await sleep(200);
  }
}

/** The highest call-log sequence number so far: pass as `since` to see only later calls. */
export async function callLogMark(info: StackInfo): Promise<number> {
  const calls = await sandboxControl(info.awsEndpoint).calls();
  return calls.reduce((m, c) => Math.max(m, c.seq), 0);
}

export function assumeRoleCallsFor(calls: CallRecord[], grantId: string): CallRecord[] {
  const name = grantSessionName(grantId);
  return calls.filter((c) => c.action === 'AssumeRole' && c.params['RoleSessionName'] === name);
}

/** Session tags of an AssumeRole call from its query parameters (Tags.member.N.Key/Value). */
export function sessionTags(call: CallRecord): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let i = 1; ; i++) {
    const k = call.params[`Tags.member.${i}.Key`];
    if (typeof k !== 'string') break;
    tags[k] = String(call.params[`Tags.member.${i}.Value`]);
  }
  return tags;
}

export interface TestWorker {
  worker: WorkerProcess;
  taskQueue: string;
  logFile: string;
  /** Starts the worker again on the same task queue (after a kill). */
  restart(): Promise<WorkerProcess>;
  stop(): Promise<void>;
}

/** A worker process of its own on a fresh task queue; its log goes under the stack's data dir. It
 * leaves the reconciler and the rotation schedules to the stack's own worker unless `env` says otherwise. */
export async function startTestWorker(info: StackInfo, label: string, env: NodeJS.ProcessEnv = {}): Promise<TestWorker> {
  const taskQueue = `it-${label}-${randomBytes(4).toString('hex')}`;
  const logFile = path.join(info.dataDir, `it-worker-${taskQueue}.log`);
  const tw: TestWorker = {
    worker: await spawnWorker(info, logFile, { taskQueue, env: { SAFEGUARD_RECONCILE_INTERVAL: 'off', SAFEGUARD_SCHEDULE_SYNC: 'off', ...env } }),
    taskQueue,
    logFile,
    async restart() {
      tw.worker = await spawnWorker(info, logFile, { taskQueue, env: { SAFEGUARD_RECONCILE_INTERVAL: 'off', SAFEGUARD_SCHEDULE_SYNC: 'off', ...env } });
      return tw.worker;
    },
    async stop() {
      await tw.worker.stop();
    },
  };
  return tw;
}

/** Every worker log this run wrote: the stack's worker-N.log and the tests' it-worker-*.log. */
export function workerLogFiles(info: StackInfo): string[] {
  return fs
    .readdirSync(info.dataDir)
    .filter((f) => /^(it-)?worker-.*\.log$/.test(f))
    .map((f) => path.join(info.dataDir, f));
}

export interface VendedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** What credential vending does for an active grant (DESIGN.md §4): AssumeRole as the broker with
 * the grant's session name, SourceIdentity and tags. */
export async function vendCredentials(info: StackInfo, grantId: string, requester: string): Promise<VendedCredentials> {
  const seed = sandboxSeed(info);
  const sts = new STSClient({
    region: info.region,
    endpoint: info.awsEndpoint,
    credentials: { accessKeyId: seed.broker.accessKeyId, secretAccessKey: seed.broker.secretAccessKey },
  });
  try {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: seed.roles.BreakGlassAdmin,
        RoleSessionName: grantSessionName(grantId),
        SourceIdentity: requester,
        DurationSeconds: 900,
        Tags: [{ Key: 'safeguard:grant', Value: grantId }],
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('AssumeRole returned no credentials');
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  } finally {
    sts.destroy();
  }
}

/** `safeguard connect`: an SSM session on `target` with vended credentials; returns the session id. */
export async function startSsmSession(info: StackInfo, creds: VendedCredentials, target: string): Promise<string> {
  const ssm = new SSMClient({ region: info.region, endpoint: info.awsEndpoint, credentials: creds });
  try {
    const out = await ssm.send(new StartSessionCommand({ Target: target }));
    if (!out.SessionId) throw new Error('StartSession returned no session id');
    return out.SessionId;
  } finally {
    ssm.destroy();
  }
}

export { openContext };

export interface StackSession {
  info: StackInfo;
  ctx: CliContext;
  who: People;
}

/**
 * Registers the beforeAll/afterAll every break-glass integration file needs: a CLI context on the
 * integration stack and the four sandbox people's verified identities. Read the fields inside tests.
 */
export function useStackSession(): StackSession {
  const session = {} as StackSession;
  beforeAll(async () => {
    session.info = testStack();
    session.ctx = await openContext(session.info);
    session.who = await resolvePeople(session.ctx);
  });
  afterAll(async () => {
    await session.ctx?.close();
  });
  return session;
}
