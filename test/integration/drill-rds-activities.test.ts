// The RDS restore-drill activities against the AWS sandbox with the real SDK: broker →
// AssumeRole(SafeguardExecution) → the gateway → moto, as in production. Restores the seeded
// `patients-db` from its automated snapshot and to points in time into sg-drill-* scratch
// instances, waits for them, validates them with the Safeguard-ValidateRestore document over SSM
// Run Command, and tears them down; refuses collisions and anything that is not a scratch instance.
// The gateway's call log proves the source is never named by a mutating call. Starts its own
// sandbox (no stack).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CreateDBInstanceCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import type { ApplicationFailure } from '@temporalio/common';
import { AwsClients } from '../../activities/aws/clients';
import { createRdsDrillActivities, listRdsScratch } from '../../activities/drills/rds';
import { validateWithSsmCommand } from '../../activities/drills/ssm-validation';
import type { PrepareRestoreInput, RestoredResource } from '../../activities/drills/types';
import { createLogger } from '../../config/logger';
import { VALIDATE_RESTORE_DOCUMENT, startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { DRILL_CREATED_TAG, DRILL_RUN_TAG, DRILL_TAG } from '../../workflows/restore-drill/targets';
import type { DrillSource, DrillValidation, RestoreDrillTarget } from '../../workflows/restore-drill/targets';

jest.setTimeout(120_000);

const SOURCE = 'patients-db';
const LAG_MS = 1_500;
const POLL_MS = 100;

let sandbox: Sandbox;
let dataDir: string;
let aws: AwsClients;
let acts: ReturnType<typeof createRdsDrillActivities>;
let admin: RDSClient;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hex = () => randomBytes(4).toString('hex');

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof Error)) throw new Error('expected the activity to fail');
  return err as ApplicationFailure;
}

function drill(source: DrillSource, validation: Partial<Extract<DrillValidation, { type: 'ssm-command' }>> = {}): RestoreDrillTarget {
  return {
    accountId: sandbox.seed.accountId,
    executionRoleArn: sandbox.seed.roles.SafeguardExecution,
    externalId: sandbox.seed.externalId,
    name: 'patients',
    source,
    scratch: { instanceClass: 'db.t3.small', tags: { team: 'sre', [DRILL_TAG]: 'overridden by Safeguard' } },
    validation: {
      type: 'ssm-command',
      instanceId: sandbox.seed.instances[0] ?? '',
      document: VALIDATE_RESTORE_DOCUMENT,
      parameters: { instance: ['{{scratch.id}}'], endpoint: ['{{scratch.endpoint}}'] },
      minRows: 50,
      timeoutMs: 30_000,
      ...validation,
    },
    rtoMs: 3_600_000,
    rpoMs: 86_400_000,
    maxDurationMs: 7_200_000,
  };
}

function input(d: RestoreDrillTarget, scratchName = `sg-drill-patients-${hex()}`): PrepareRestoreInput {
  return { drill: d, scratchName, runId: `restore-drill-patients-${hex()}`, drillStartedAt: new Date().toISOString() };
}

async function tagsOf(name: string): Promise<Record<string, string>> {
  const i = (await admin.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: name }))).DBInstances?.[0];
  return Object.fromEntries((i?.TagList ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/** prepare → start → wait: the restored scratch instance. */
async function restore(i: PrepareRestoreInput): Promise<{ restored: RestoredResource; restorePoint: { time: string; ref: string } }> {
  const prepared = await acts.prepareRestore(i);
  expect(prepared.alreadyStarted).toBe(false);
  const started = await acts.startRestore({ ...i, restorePoint: prepared.restorePoint });
  expect(started.scratch).toMatchObject({ type: 'rds-instance', name: i.scratchName });
  const restored = await acts.waitRestored({ drill: i.drill, scratch: started.scratch, pollMs: POLL_MS });
  return { restored, restorePoint: prepared.restorePoint };
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-drill-rds-it-'));
  sandbox = await startSandbox({
    dataDir,
    rds: { createMs: 500, restoreMs: 1_000, deleteMs: 700, latestRestorableLagMs: LAG_MS, writerIntervalMs: 100 },
    ssmCommandMs: 300,
  });
  const { broker } = sandbox.seed;
  aws = new AwsClients({ region: sandbox.region, endpoint: sandbox.endpoint, brokerCredentials: { accessKeyId: broker.accessKeyId, secretAccessKey: broker.secretAccessKey } });
  acts = createRdsDrillActivities({ aws, logger: createLogger('drill-rds-it', 'warn') });
  const { accessKeyId, secretAccessKey } = sandbox.seed.people.alice;
  admin = new RDSClient({ endpoint: sandbox.endpoint, region: sandbox.region, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
}, 120_000);

afterAll(async () => {
  admin?.destroy();
  await sandbox?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('RDS restore drill activities', () => {
  it('restores the newest automated snapshot, validates its rows over Run Command and tears it down', async () => {
    const d = drill({ type: 'rds-snapshot', dbInstance: SOURCE });
    const i = input(d);
    const { restored, restorePoint } = await restore(i);
    expect(restorePoint).toMatchObject({ basis: 'snapshot' });
    expect(restorePoint.ref).toMatch(/^rds:patients-db-/);
    expect(restored.endpoint).toMatch(new RegExp(`^${i.scratchName}\\..+:\\d+$`));
    const tags = await tagsOf(i.scratchName);
    expect(tags).toMatchObject({ team: 'sre', [DRILL_TAG]: 'patients', [DRILL_RUN_TAG]: i.runId });
    expect(Number.isNaN(Date.parse(tags[DRILL_CREATED_TAG] ?? ''))).toBe(false);

    const result = await validateWithSsmCommand(aws, { drill: d, restored }, { pollMs: POLL_MS });
    expect(result).toMatchObject({ passed: true, validation: 'ssm-command' });
    expect(result.commandId).toBeDefined();
    // The automated snapshot was taken at creation: the 100 backdated rows, none written since.
    expect(result.rows).toBe(100);
    expect(Date.parse(result.newestRecordAt ?? '')).toBeLessThanOrEqual(Date.parse(restorePoint.time));
    expect(result.output).toContain(i.scratchName);
    expect(result.output.length).toBeLessThanOrEqual(4096);

    const receipt = await acts.teardownScratch({ drill: d, scratch: restored.scratch, pollMs: POLL_MS });
    expect(receipt.deleteRequested).toBe(true);
    expect(sandbox.gateway.rds.status(i.scratchName)).toBeUndefined();
    const again = await acts.teardownScratch({ drill: d, scratch: restored.scratch, pollMs: POLL_MS });
    expect(again.deleteRequested).toBe(false);
    const deletes = sandbox.gateway.callLog.list({ service: 'rds', action: 'DeleteDBInstance' }).filter((c) => c.params['DBInstanceIdentifier'] === i.scratchName);
    expect(deletes).toHaveLength(1);
    expect(deletes[0]?.params).toMatchObject({ SkipFinalSnapshot: 'true', DeleteAutomatedBackups: 'true' });
  });

  it('restores to a point in time before the drill started, with the rows written until then', async () => {
    // The restore time must be inside the restorable window: after creation, before the lagging latest.
    const created = Date.parse(sandbox.seed.rdsInstances[SOURCE]?.createdAt ?? '');
    const agoMs = LAG_MS + 500;
    if (Date.now() - agoMs < created + 1_000) await sleep(created + 1_000 + agoMs - Date.now());
    const d = drill({ type: 'rds-point-in-time', dbInstance: SOURCE, restoreAgoMs: agoMs });
    const i = input(d);
    const { restored, restorePoint } = await restore(i);
    expect(restorePoint).toEqual({ basis: 'point-in-time', ref: 'point-in-time', time: new Date(Date.parse(i.drillStartedAt) - agoMs).toISOString() });
    expect(sandbox.gateway.rds.instance(i.scratchName)?.restoredFrom).toMatchObject({ basis: 'point-in-time', time: restorePoint.time, source: SOURCE });

    const result = await validateWithSsmCommand(aws, { drill: d, restored }, { pollMs: POLL_MS });
    expect(result.passed).toBe(true);
    // Rows the writer added after creation, up to the restore point and none after it.
    expect(result.rows).toBeGreaterThan(100);
    expect(Date.parse(result.newestRecordAt ?? '')).toBeLessThanOrEqual(Date.parse(restorePoint.time));
    const sourceRows = sandbox.gateway.rds.data.query(SOURCE, 'events');
    expect(sourceRows.ok && sourceRows.summary.rows).toBeGreaterThan(result.rows ?? Infinity);
    await acts.teardownScratch({ drill: d, scratch: restored.scratch, pollMs: POLL_MS });
  });

  it('restores to the latest restorable time, and refuses times outside the window', async () => {
    const latest = drill({ type: 'rds-point-in-time', dbInstance: SOURCE });
    const prepared = await acts.prepareRestore(input(latest));
    expect(Date.parse(prepared.restorePoint.time)).toBeLessThanOrEqual(Date.now() - LAG_MS);

    const tooOld = await failure(acts.prepareRestore(input(drill({ type: 'rds-point-in-time', dbInstance: SOURCE, restoreAgoMs: 30 * 86_400_000 }))));
    expect(tooOld.type).toBe('InvalidRestoreTime');
    expect(tooOld.nonRetryable).toBe(true);
    const tooNew = await failure(acts.prepareRestore(input(drill({ type: 'rds-point-in-time', dbInstance: SOURCE, restoreAgoMs: 0 }))));
    expect(tooNew.type).toBe('InvalidRestoreTime');
    // RDS itself refuses it too, should a stale restore point reach startRestore.
    const i = input(latest);
    const refused = await failure(acts.startRestore({ ...i, restorePoint: { basis: 'point-in-time', ref: 'point-in-time', time: new Date().toISOString() } }));
    expect(refused.type).toBe('InvalidRestoreTime');
    expect(sandbox.gateway.rds.status(i.scratchName)).toBeUndefined();
  });

  it('is idempotent: a retried startRestore returns the same scratch instance and restores once', async () => {
    const d = drill({ type: 'rds-snapshot', dbInstance: SOURCE });
    const i = input(d);
    const prepared = await acts.prepareRestore(i);
    const first = await acts.startRestore({ ...i, restorePoint: prepared.restorePoint });
    const second = await acts.startRestore({ ...i, restorePoint: prepared.restorePoint });
    expect(second.scratch).toEqual(first.scratch);
    expect(second.requestedAt).toBe(first.requestedAt);
    const again = await acts.prepareRestore(i);
    expect(again.alreadyStarted).toBe(true);
    const restores = sandbox.gateway.callLog.list({ service: 'rds', action: 'RestoreDBInstanceFromDBSnapshot' }).filter((c) => c.params['DBInstanceIdentifier'] === i.scratchName);
    expect(restores).toHaveLength(1);
    // A teardown while it is still being restored still ends with it gone.
    const receipt = await acts.teardownScratch({ drill: d, scratch: first.scratch, pollMs: POLL_MS });
    expect(receipt.deleteRequested).toBe(true);
    expect(sandbox.gateway.rds.status(i.scratchName)).toBeUndefined();
  });

  it('refuses a scratch name that exists and is not this run’s, or that is the source', async () => {
    const taken = `sg-drill-patients-${hex()}`;
    await admin.send(
      new CreateDBInstanceCommand({ DBInstanceIdentifier: taken, Engine: 'postgres', DBInstanceClass: 'db.t3.micro', AllocatedStorage: 20, MasterUsername: 'u', MasterUserPassword: 'password-1', Tags: [{ Key: DRILL_RUN_TAG, Value: 'someone-else' }] }),
    );
    const d = drill({ type: 'rds-snapshot', dbInstance: SOURCE });
    const i = input(d, taken);
    const prepare = await failure(acts.prepareRestore(i));
    expect(prepare.type).toBe('ScratchExists');
    expect(prepare.nonRetryable).toBe(true);
    const start = await failure(acts.startRestore({ ...i, restorePoint: { basis: 'snapshot', ref: 'whatever', time: new Date().toISOString() } }));
    expect(start.type).toBe('ScratchExists');
    expect(sandbox.gateway.rds.status(taken)).not.toBe('deleting');

    const isSource = await failure(acts.prepareRestore(input(d, SOURCE)));
    expect(isSource.type).toBe('ScratchIsSource');
    const missing = await failure(acts.prepareRestore(input(drill({ type: 'rds-snapshot', dbInstance: 'no-such-db' }))));
    expect(missing.type).toBe('SourceNotFound');
    const noSnapshot = await failure(acts.prepareRestore(input(drill({ type: 'rds-snapshot', dbInstance: SOURCE, snapshot: 'no-such-snapshot' }))));
    expect(noSnapshot.type).toBe('NoRestorePoint');

    // The sweeper sees it (sg-drill-*, tagged by someone else's run) and never the source.
    const listed = await listRdsScratch(aws, d);
    expect(listed.find((l) => l.scratch.name === taken)).toMatchObject({ runId: 'someone-else', scratch: { type: 'rds-instance' } });
    expect(listed.some((l) => l.scratch.name === SOURCE)).toBe(false);
  });

  it('teardown refuses anything that is not an sg-drill- instance, before any call', async () => {
    const since = sandbox.gateway.callLog.lastSeq;
    const d = drill({ type: 'rds-snapshot', dbInstance: SOURCE });
    const refused = await failure(acts.teardownScratch({ drill: d, scratch: { type: 'rds-instance', name: SOURCE }, pollMs: POLL_MS }));
    expect(refused.type).toBe('NotScratch');
    expect(refused.nonRetryable).toBe(true);
    const other = await failure(acts.teardownScratch({ drill: { accountId: d.accountId, executionRoleArn: d.executionRoleArn, externalId: d.externalId }, scratch: { type: 'rds-instance', name: 'billing-db' } }));
    expect(other.type).toBe('NotScratch');
    expect(sandbox.gateway.callLog.list({ since, service: 'rds' })).toEqual([]);
    expect(sandbox.gateway.rds.status(SOURCE)).toBe('available');
  });

  it('fails the validation, as a result, when rows are too few or the table is missing', async () => {
    const d = drill({ type: 'rds-snapshot', dbInstance: SOURCE }, { minRows: 1_000_000 });
    const i = input(d);
    const { restored } = await restore(i);
    try {
      const few = await validateWithSsmCommand(aws, { drill: d, restored }, { pollMs: POLL_MS });
      expect(few).toMatchObject({ passed: false, rows: 100 });
      expect(few.summary).toContain('fewer than the 1000000 required');
      const noTable = drill({ type: 'rds-snapshot', dbInstance: SOURCE }, { parameters: { instance: ['{{scratch.id}}'], table: ['nope'] } });
      const missing = await validateWithSsmCommand(aws, { drill: noTable, restored }, { pollMs: POLL_MS });
      expect(missing.passed).toBe(false);
      expect(missing.rows).toBeUndefined();
      expect(missing.summary).toContain('relation "nope" does not exist');
      const unmanaged = drill({ type: 'rds-snapshot', dbInstance: SOURCE }, { instanceId: 'i-0123456789abcdef0' });
      const refused = await validateWithSsmCommand(aws, { drill: unmanaged, restored }, { pollMs: POLL_MS });
      expect(refused.passed).toBe(false);
      expect(refused.summary).toContain('InvalidInstanceId');
    } finally {
      await acts.teardownScratch({ drill: d, scratch: restored.scratch, pollMs: POLL_MS });
    }
  });

  it('never named the source in a mutating RDS call', () => {
    const rdsCalls = sandbox.gateway.callLog.list({ service: 'rds' });
    const mutating = rdsCalls.filter((c) => !/^(Describe|List)/.test(c.action));
    expect(mutating.length).toBeGreaterThan(0);
    for (const c of mutating) {
      for (const key of ['DBInstanceIdentifier', 'TargetDBInstanceIdentifier', 'ResourceName']) {
        expect([c.action, key, c.params[key]]).not.toEqual([c.action, key, SOURCE]);
      }
    }
    // Every mutating call by the drill (not the test's own fixture) named an sg-drill- instance.
    const byWorker = mutating.filter((c) => c.caller?.includes('assumed-role/SafeguardExecution/') === true);
    expect(byWorker.length).toBeGreaterThan(0);
    for (const c of byWorker) expect(String(c.params['DBInstanceIdentifier'] ?? c.params['TargetDBInstanceIdentifier'])).toMatch(/^sg-drill-/);
    expect(sandbox.gateway.rds.status(SOURCE)).toBe('available');
  });
});
