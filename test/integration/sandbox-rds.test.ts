// RDS and SSM Run Command through the sandbox gateway behave as restore drills need them to, with
// the real SDK clients: instances are `creating` before `available` and `deleting` before gone, each
// has its own DbiResourceId, LatestRestorableTime lags, point-in-time restores outside the
// restorable window and deletes without a final-snapshot decision are refused as AWS refuses them,
// restores bring back the rows of their moment, and Run Command runs the validation document on the
// requested instance only, against the restored data. Starts its own sandbox (no stack).

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import type { DBInstance } from '@aws-sdk/client-rds';
import { GetCommandInvocationCommand, ListCommandInvocationsCommand, SSMClient, SendCommandCommand } from '@aws-sdk/client-ssm';
import type { GetCommandInvocationCommandOutput } from '@aws-sdk/client-ssm';
import { VALIDATE_RESTORE_DOCUMENT, startSandbox } from '../../sandbox';
import type { RdsInstanceView, Sandbox } from '../../sandbox';
import { failure } from '../support/aws-calls';

jest.setTimeout(120_000);

const LAG_MS = 2_000;
const SOURCE = 'patients-db';

let sandbox: Sandbox;
let dataDir: string;
let rds: RDSClient;
let ssm: SSMClient;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a value (not undefined), or fails after `timeoutMs`. */
async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function describe1(id: string): Promise<DBInstance | undefined> {
  try {
    return (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
  } catch (err) {
    if ((err as Error).name === 'DBInstanceNotFoundFault') return undefined;
    throw err;
  }
}

const statusOf = async (id: string) => (await describe1(id))?.DBInstanceStatus ?? 'gone';
const untilAvailable = (id: string) => waitFor(`${id} available`, async () => ((await statusOf(id)) === 'available' ? describe1(id) : undefined));

async function runValidation(params: Record<string, string[]>, instanceId = sandbox.seed.instances[0] ?? ''): Promise<{ first: string | undefined; done: GetCommandInvocationCommandOutput; commandId: string }> {
  const sent = await ssm.send(new SendCommandCommand({ InstanceIds: [instanceId], DocumentName: VALIDATE_RESTORE_DOCUMENT, Parameters: params }));
  const commandId = sent.Command?.CommandId ?? '';
  const get = () => ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
  const first = (await get()).Status;
  const done = await waitFor('the command to finish', async () => {
    const inv = await get();
    return inv.Status === 'InProgress' || inv.Status === 'Pending' ? undefined : inv;
  });
  return { first, done, commandId };
}

function lastJson(stdout: string | undefined): { rows: number; newest: string | null } {
  const line = (stdout ?? '').trim().split('\n').pop() ?? '';
  return JSON.parse(line) as { rows: number; newest: string | null };
}

function view(id: string): RdsInstanceView {
  const v = sandbox.gateway.rds.instance(id);
  if (!v) throw new Error(`the gateway knows no instance ${id}`);
  return v;
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-rds-it-'));
  sandbox = await startSandbox({
    dataDir,
    rds: { createMs: 1_000, restoreMs: 1_000, deleteMs: 1_000, latestRestorableLagMs: LAG_MS, writerIntervalMs: 100 },
    ssmCommandMs: 1_500,
  });
  const { accessKeyId, secretAccessKey } = sandbox.seed.people.alice;
  const cfg = { endpoint: sandbox.endpoint, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 };
  rds = new RDSClient(cfg);
  ssm = new SSMClient(cfg);
}, 120_000);

afterAll(async () => {
  rds?.destroy();
  ssm?.destroy();
  await sandbox?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('RDS status, identity and time', () => {
  it('seeds the default source with backdated rows and a writer', async () => {
    expect(sandbox.seed.rdsInstances[SOURCE]?.arn).toMatch(/:db:patients-db$/);
    const src = view(SOURCE);
    expect(src.writer).toBe(true);
    const before = src.tables['events']?.rows ?? 0;
    expect(before).toBeGreaterThanOrEqual(100);
    // Backdated rows are older than the instance; the automated snapshot was taken at creation.
    const automated = (await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: SOURCE, SnapshotType: 'automated' }))).DBSnapshots ?? [];
    expect(automated).toHaveLength(1);
    expect(automated[0]?.DbiResourceId).toBe(src.dbiResourceId);
    await waitFor('the writer to append', async () => ((view(SOURCE).tables['events']?.rows ?? 0) > before ? true : undefined));
  });

  it('reads a new instance creating, without an endpoint, then available; every instance has its own DbiResourceId', async () => {
    const created = await rds.send(
      new CreateDBInstanceCommand({ DBInstanceIdentifier: 'it-created', Engine: 'postgres', DBInstanceClass: 'db.t3.micro', AllocatedStorage: 20, MasterUsername: 'u', MasterUserPassword: 'password-1', BackupRetentionPeriod: 1 }),
    );
    expect(created.DBInstance?.DBInstanceStatus).toBe('creating');
    const creating = await describe1('it-created');
    expect(creating?.DBInstanceStatus).toBe('creating');
    expect(creating?.Endpoint).toBeUndefined();
    expect(creating?.LatestRestorableTime).toBeUndefined();
    const available = await untilAvailable('it-created');
    expect(available.Endpoint?.Address).toContain('it-created');
    const source = await describe1(SOURCE);
    expect(available.DbiResourceId).toMatch(/^db-[A-Z2-7]{26}$/);
    expect(source?.DbiResourceId).toMatch(/^db-[A-Z2-7]{26}$/);
    expect(available.DbiResourceId).not.toBe(source?.DbiResourceId);
    expect(available.DbiResourceId).toBe(created.DBInstance?.DbiResourceId);
    // Lag capped at creation: a new instance cannot be restored to before it existed.
    expect(available.LatestRestorableTime?.getTime()).toBeGreaterThanOrEqual(available.InstanceCreateTime?.getTime() ?? Infinity);
  });

  it('reports LatestRestorableTime behind now, never before the instance was created', async () => {
    // Once the source is older than the lag (before that, the latest restorable time is its creation).
    const created = Date.parse(sandbox.seed.rdsInstances[SOURCE]?.createdAt ?? '');
    if (Date.now() < created + LAG_MS) await sleep(created + LAG_MS - Date.now() + 50);
    const src = await describe1(SOURCE);
    const after = Date.now();
    expect(src?.InstanceCreateTime?.getTime()).toBeLessThan(after - LAG_MS);
    const latest = src?.LatestRestorableTime?.getTime() ?? Infinity;
    expect(latest).toBeLessThanOrEqual(after - LAG_MS);
    expect(latest).toBeGreaterThanOrEqual(src?.InstanceCreateTime?.getTime() ?? Infinity);
  });

  it('refuses DeleteDBInstance without SkipFinalSnapshot or a final snapshot, then reads a deleted instance deleting before it is gone', async () => {
    const refused = await failure(rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'it-created' })));
    expect(refused.name).toBe('InvalidParameterCombination');
    expect(await statusOf('it-created')).toBe('available');
    const both = await failure(rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'it-created', SkipFinalSnapshot: true, FinalDBSnapshotIdentifier: 'x' })));
    expect(both.name).toBe('InvalidParameterCombination');

    const deleted = await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'it-created', SkipFinalSnapshot: true }));
    expect(deleted.DBInstance?.DBInstanceStatus).toBe('deleting');
    expect(await statusOf('it-created')).toBe('deleting');
    const listed = (await rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [];
    expect(listed.find((i) => i.DBInstanceIdentifier === 'it-created')?.DBInstanceStatus).toBe('deleting');
    // While it is being deleted its name is taken and a second delete is refused.
    const again = await failure(rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'it-created', SkipFinalSnapshot: true })));
    expect(again.name).toBe('InvalidDBInstanceStateFault');
    const reuse = await failure(
      rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: 'it-created', Engine: 'postgres', DBInstanceClass: 'db.t3.micro', AllocatedStorage: 20, MasterUsername: 'u', MasterUserPassword: 'password-1' })),
    );
    expect(reuse.name).toBe('DBInstanceAlreadyExistsFault');
    await waitFor('it-created to be gone', async () => ((await statusOf('it-created')) === 'gone' ? true : undefined));
  });
});

describe('restores and their data', () => {
  it('refuses a point-in-time restore outside the restorable window and creates nothing', async () => {
    const old = await failure(rds.send(new RestoreDBInstanceToPointInTimeCommand({ SourceDBInstanceIdentifier: SOURCE, TargetDBInstanceIdentifier: 'it-pitr-bad', RestoreTime: new Date('2001-01-01T00:00:00Z') })));
    expect(old.name).toBe('InvalidRestoreFault');
    // Now is after the latest restorable time, which lags.
    const tooNew = await failure(rds.send(new RestoreDBInstanceToPointInTimeCommand({ SourceDBInstanceIdentifier: SOURCE, TargetDBInstanceIdentifier: 'it-pitr-bad', RestoreTime: new Date() })));
    expect(tooNew.name).toBe('InvalidRestoreFault');
    const both = await failure(
      rds.send(new RestoreDBInstanceToPointInTimeCommand({ SourceDBInstanceIdentifier: SOURCE, TargetDBInstanceIdentifier: 'it-pitr-bad', RestoreTime: new Date(), UseLatestRestorableTime: true })),
    );
    expect(both.name).toBe('InvalidParameterCombination');
    expect(await describe1('it-pitr-bad')).toBeUndefined();
  });

  it('restores a snapshot with the rows it was taken with, not those written after', async () => {
    await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: SOURCE, DBSnapshotIdentifier: 'it-manual-1' }));
    const atSnapshot = sandbox.gateway.rds.data.query(SOURCE, 'events');
    if (!atSnapshot.ok) throw new Error('source has no events');
    // More rows after the snapshot (the writer adds them too).
    sandbox.gateway.rds.data.append(SOURCE, 'events', 'after the snapshot');
    const restored = await rds.send(new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: 'it-from-snap', DBSnapshotIdentifier: 'it-manual-1' }));
    expect(restored.DBInstance?.DBInstanceStatus).toBe('creating');
    await untilAvailable('it-from-snap');
    expect(view('it-from-snap').restoredFrom).toMatchObject({ basis: 'snapshot', ref: 'it-manual-1', source: SOURCE });
    expect(view('it-from-snap').writer).toBe(false);

    const { done } = await runValidation({ instance: ['it-from-snap'] });
    expect(done.Status).toBe('Success');
    expect(done.ResponseCode).toBe(0);
    const out = lastJson(done.StandardOutputContent);
    expect(out.rows).toBe(atSnapshot.summary.rows);
    expect(out.newest).toBe(new Date(atSnapshot.summary.newest ?? 0).toISOString());
    expect((view(SOURCE).tables['events']?.rows ?? 0)).toBeGreaterThan(out.rows);
  });

  it('restores the automated snapshot with the rows the instance was created with', async () => {
    const automated = (await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: SOURCE, SnapshotType: 'automated' }))).DBSnapshots?.[0];
    await rds.send(new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: 'it-from-auto', DBSnapshotIdentifier: automated?.DBSnapshotIdentifier ?? '' }));
    await untilAvailable('it-from-auto');
    const { done } = await runValidation({ instance: ['it-from-auto'], table: ['events'] });
    const out = lastJson(done.StandardOutputContent);
    expect(out.rows).toBe(100);
    expect(Date.parse(out.newest ?? '')).toBeLessThanOrEqual(automated?.SnapshotCreateTime?.getTime() ?? 0);
  });

  it('restores to a point in time with the rows written up to it, and records the restore point', async () => {
    sandbox.gateway.rds.data.stopWriter(SOURCE);
    try {
      const a = sandbox.gateway.rds.data.append(SOURCE, 'events', 'row A');
      await sleep(300);
      sandbox.gateway.rds.data.append(SOURCE, 'events', 'row B');
      const countAtA = sandbox.gateway.rds.data.asOf(SOURCE, a?.at ?? 0)?.get('events')?.length ?? 0;
      const restoreTime = new Date((a?.at ?? 0) + 100);
      // RDS can restore to that time once its latest restorable time has passed it.
      await waitFor('the restorable window to reach row A', async () => ((await describe1(SOURCE))?.LatestRestorableTime?.getTime() ?? 0) >= restoreTime.getTime() ? true : undefined);
      await rds.send(new RestoreDBInstanceToPointInTimeCommand({ SourceDBInstanceIdentifier: SOURCE, TargetDBInstanceIdentifier: 'it-pitr', RestoreTime: restoreTime }));
      expect(await statusOf('it-pitr')).toMatch(/^(creating|backing-up)$/);
      await untilAvailable('it-pitr');
      expect(view('it-pitr').restoredFrom).toEqual({ basis: 'point-in-time', ref: 'point-in-time', time: restoreTime.toISOString(), source: SOURCE });
      const out = lastJson((await runValidation({ instance: ['it-pitr'] })).done.StandardOutputContent);
      expect(out.rows).toBe(countAtA);
      expect(out.newest).toBe(new Date(a?.at ?? 0).toISOString());
    } finally {
      sandbox.gateway.rds.data.startWriter(SOURCE);
    }
  });

  it('restores to the latest restorable time, which lags behind the source', async () => {
    const before = Date.now();
    await rds.send(new RestoreDBInstanceToPointInTimeCommand({ SourceDBInstanceIdentifier: SOURCE, TargetDBInstanceIdentifier: 'it-pitr-latest', UseLatestRestorableTime: true }));
    const point = Date.parse(view('it-pitr-latest').restoredFrom?.time ?? '');
    expect(point).toBeLessThanOrEqual(Date.now() - LAG_MS);
    expect(point).toBeGreaterThanOrEqual(before - LAG_MS);
    await untilAvailable('it-pitr-latest');
    const out = lastJson((await runValidation({ instance: ['it-pitr-latest'] })).done.StandardOutputContent);
    expect(Date.parse(out.newest ?? '')).toBeLessThanOrEqual(point);
    expect(out.rows).toBeLessThan(view(SOURCE).tables['events']?.rows ?? 0);
  });

  it('lists the gateway view of instances on the control API', async () => {
    const res = await fetch(`${sandbox.endpoint}/_sandbox/rds/instances`);
    const body = (await res.json()) as { instances: RdsInstanceView[] };
    expect(body.instances.find((i) => i.id === 'it-pitr')?.restoredFrom?.basis).toBe('point-in-time');
    const stop = await fetch(`${sandbox.endpoint}/_sandbox/rds/instances/${SOURCE}/writer`, { method: 'POST', body: JSON.stringify({ running: false }) });
    expect(await stop.json()).toEqual({ id: SOURCE, writer: false });
    await fetch(`${sandbox.endpoint}/_sandbox/rds/instances/${SOURCE}/writer`, { method: 'POST', body: JSON.stringify({ running: true }) });
    expect(view(SOURCE).writer).toBe(true);
  });
});

describe('SSM Run Command', () => {
  it('runs on the requested instance only, InProgress before Success', async () => {
    const [target, other] = sandbox.seed.instances;
    const { first, done, commandId } = await runValidation({ instance: ['it-from-auto'] }, target);
    expect(first).toBe('InProgress');
    expect(done.Status).toBe('Success');
    expect(done.StandardOutputContent).toContain('it-from-auto');
    // moto would have targeted every instance in the region.
    const invocations = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true }))).CommandInvocations ?? [];
    expect(invocations.map((i) => i.InstanceId)).toEqual([target]);
    expect(invocations[0]?.CommandPlugins?.[0]?.ResponseCode).toBe(0);
    const notTargeted = await failure(ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: other ?? '' })));
    expect(notTargeted.name).toBe('InvocationDoesNotExist');
  });

  it('refuses unmanaged instances, unknown documents and missing parameters', async () => {
    const target = sandbox.seed.instances[0] ?? '';
    const unmanaged = await failure(ssm.send(new SendCommandCommand({ InstanceIds: ['i-0123456789abcdef0'], DocumentName: VALIDATE_RESTORE_DOCUMENT, Parameters: { instance: ['it-pitr'] } })));
    expect(unmanaged.name).toBe('InvalidInstanceId');
    const unknownDoc = await failure(ssm.send(new SendCommandCommand({ InstanceIds: [target], DocumentName: 'No-Such-Document', Parameters: {} })));
    expect(unknownDoc.name).toBe('InvalidDocument');
    const missing = await failure(ssm.send(new SendCommandCommand({ InstanceIds: [target], DocumentName: VALIDATE_RESTORE_DOCUMENT, Parameters: { table: ['events'] } })));
    expect(missing.name).toBe('InvalidParameters');
    const extra = await failure(ssm.send(new SendCommandCommand({ InstanceIds: [target], DocumentName: VALIDATE_RESTORE_DOCUMENT, Parameters: { instance: ['it-pitr'], query: ['drop table events'] } })));
    expect(extra.name).toBe('InvalidParameters');
  });

  it('fails the validation of an unknown table or an unknown instance, with why on stderr', async () => {
    const table = (await runValidation({ instance: ['it-pitr'], table: ['nope'] })).done;
    expect(table.Status).toBe('Failed');
    expect(table.ResponseCode).toBe(1);
    expect(table.StandardErrorContent).toContain('relation "nope" does not exist');
    const instance = (await runValidation({ instance: ['no-such-db'] })).done;
    expect(instance.Status).toBe('Failed');
    expect(instance.ResponseCode).toBe(1);
    expect(instance.StandardErrorContent).toContain('could not translate host name');
  });
});
