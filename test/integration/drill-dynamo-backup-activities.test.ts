// The DynamoDB and AWS Backup restore-drill activities against the AWS sandbox with the real SDK:
// every call goes broker → AssumeRole(SafeguardExecution, ExternalId) → the gateway → moto, as in
// production. Restores of the seeded `claims` table (backup, point in time, and its recovery point
// in the `safeguard-drills` vault), validation of the restored items, teardown, and the refusals:
// collisions, the source as scratch, PITR off, a time outside the window, deleting anything but
// sg-drill-*. Finally the gateway's call log proves no mutating call ever targeted a source.
// Starts its own sandbox (short CREATING/DELETING phases); does not use the integration stack.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DescribeRestoreJobCommand, ListRestoreJobsCommand } from '@aws-sdk/client-backup';
import { BackupClient } from '@aws-sdk/client-backup';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ListTagsOfResourceCommand, RestoreTableToPointInTimeCommand, TagResourceCommand } from '@aws-sdk/client-dynamodb';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { ApplicationFailure } from '@temporalio/common';
import { AwsClients } from '../../activities/aws/clients';
import { createBackupDrillActivities, reportBackupValidation } from '../../activities/drills/aws-backup';
import { createDynamoDrillActivities, listDynamoScratch, validateDynamo } from '../../activities/drills/dynamodb';
import type { DrillSourceActivities, PrepareRestoreInput } from '../../activities/drills/types';
import { createLogger } from '../../config/logger';
import { startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import type { DrillSource, RestoreDrillTarget } from '../../workflows/restore-drill/targets';
import { DRILL_CREATED_TAG, DRILL_RUN_TAG, DRILL_TAG } from '../../workflows/restore-drill/targets';

jest.setTimeout(120_000);

let sandbox: Sandbox;
let dataDir: string;
let aws: AwsClients;
let dynamo: DrillSourceActivities;
let backupActs: DrillSourceActivities;
let admin: { ddb: DynamoDBClient; backup: BackupClient };
const POLL = { pollMs: 150 };

const hex = () => randomBytes(4).toString('hex');

function drill(source: DrillSource, validation: RestoreDrillTarget['validation'] = { type: 'dynamodb', minItems: 50, timestampAttribute: 'ts' }): RestoreDrillTarget {
  return {
    name: `it-${source.type}`,
    accountId: sandbox.seed.accountId,
    executionRoleArn: sandbox.seed.roles.SafeguardExecution,
    externalId: sandbox.seed.externalId,
    source,
    scratch: { tags: { team: 'integration', [DRILL_TAG]: 'not-overridable' } },
    validation,
    rtoMs: 3_600_000,
    rpoMs: 3_600_000,
    maxDurationMs: 7_200_000,
  };
}

function run(d: RestoreDrillTarget): PrepareRestoreInput {
  const id = hex();
  return { drill: d, scratchName: `sg-drill-${d.name}-${id}`, runId: `restore-drill-${d.name}-${id}`, drillStartedAt: new Date().toISOString() };
}

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof Error)) throw new Error('expected the activity to fail');
  return err as ApplicationFailure;
}

async function tableTags(name: string): Promise<Record<string, string>> {
  const t = await admin.ddb.send(new DescribeTableCommand({ TableName: name }));
  const out = await admin.ddb.send(new ListTagsOfResourceCommand({ ResourceArn: t.Table!.TableArn! }));
  return Object.fromEntries((out.Tags ?? []).map((x) => [x.Key!, x.Value!]));
}

async function tableExists(name: string): Promise<boolean> {
  return admin.ddb.send(new DescribeTableCommand({ TableName: name })).then(
    () => true,
    (e: Error) => {
      if (e.name === 'ResourceNotFoundException') return false;
      throw e;
    },
  );
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-drill-ddb-it-'));
  sandbox = await startSandbox({ dataDir, dynamodb: { creatingMs: 1_000, deletingMs: 600, writerIntervalMs: 300 }, backup: { restoreStartMs: 200 } });
  const { broker, roles } = sandbox.seed;
  aws = new AwsClients({ region: sandbox.region, endpoint: sandbox.endpoint, brokerCredentials: { accessKeyId: broker.accessKeyId, secretAccessKey: broker.secretAccessKey } });
  const logger = createLogger('drill-ddb-it', 'warn', { write: () => undefined });
  dynamo = createDynamoDrillActivities({ aws, logger });
  backupActs = createBackupDrillActivities({ aws, logger });
  // Fixtures are made as an administrator would, through BreakGlassAdmin (not the execution role).
  const cfg = { region: sandbox.region, endpoint: sandbox.endpoint, maxAttempts: 1 };
  const sts = new STSClient({ ...cfg, credentials: { accessKeyId: broker.accessKeyId, secretAccessKey: broker.secretAccessKey } });
  const c = (await sts.send(new AssumeRoleCommand({ RoleArn: roles.BreakGlassAdmin, RoleSessionName: 'drill-ddb-it', SourceIdentity: 'alice', DurationSeconds: 900 }))).Credentials!;
  const credentials = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  admin = { ddb: new DynamoDBClient({ ...cfg, credentials }), backup: new BackupClient({ ...cfg, credentials }) };
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

describe('DynamoDB drills', () => {
  it('restores the newest backup into a tagged scratch table, validates its items and tears it down', async () => {
    const input = run(drill({ type: 'dynamodb-backup', table: 'claims' }));
    const prepared = await dynamo.prepareRestore(input);
    // The newest: the seed's on-demand backup came first, then the vault's recovery point (an AWS Backup-made DynamoDB backup).
    const newest = sandbox.seed.backupVaults['safeguard-drills']!.recoveryPoints.find((r) => r.resource === 'claims')!.recoveryPointArn;
    expect(newest).not.toBe(sandbox.seed.dynamoTables['claims']!.backupArns[0]);
    expect(prepared).toEqual({ alreadyStarted: false, restorePoint: expect.objectContaining({ basis: 'backup', ref: newest }) });
    const started = await dynamo.startRestore({ ...input, restorePoint: prepared.restorePoint });
    expect(started.scratch).toMatchObject({ type: 'dynamodb-table', name: input.scratchName, arn: expect.stringContaining(`table/${input.scratchName}`) });
    expect(await tableTags(input.scratchName)).toEqual({
      team: 'integration',
      [DRILL_TAG]: input.drill.name,
      [DRILL_RUN_TAG]: input.runId,
      [DRILL_CREATED_TAG]: started.requestedAt,
    });

    const restored = await dynamo.waitRestored({ drill: input.drill, scratch: started.scratch, ...POLL });
    expect(restored.restorePoint).toEqual(prepared.restorePoint);
    const v = await validateDynamo(aws, { drill: input.drill, restored });
    expect(v).toMatchObject({ passed: true, validation: 'dynamodb' });
    expect(v.rows).toBeGreaterThanOrEqual(100);
    // The backup holds the seeded history, nothing the writer added after it.
    expect(Date.parse(v.newestRecordAt!)).toBeLessThanOrEqual(Date.parse(prepared.restorePoint.time));
    expect(Date.parse(v.newestRecordAt!)).toBeGreaterThanOrEqual(Date.parse(sandbox.seed.dynamoTables['claims']!.newestSeededAt));
    expect(Buffer.byteLength(v.output)).toBeLessThanOrEqual(4096);

    const listed = await listDynamoScratch(aws, input.drill);
    expect(listed.find((l) => l.scratch.name === input.scratchName)).toMatchObject({ runId: input.runId, drill: input.drill.name, status: 'ACTIVE' });

    const receipt = await dynamo.teardownScratch({ drill: input.drill, scratch: started.scratch, ...POLL });
    expect(receipt.deleteRequested).toBe(true);
    expect(await tableExists(input.scratchName)).toBe(false);
    // A second teardown (a retry) finds it gone.
    expect((await dynamo.teardownScratch({ drill: input.drill, scratch: started.scratch, ...POLL })).deleteRequested).toBe(false);
    expect(await tableExists('claims')).toBe(true);
  });

  it('restores to a point in time: the newest item is no later than it, and too few items fail validation', async () => {
    const input = run(drill({ type: 'dynamodb-point-in-time', table: 'claims', restoreAgoMs: 30 * 60_000 }, { type: 'dynamodb', minItems: 80, timestampAttribute: 'ts' }));
    const prepared = await dynamo.prepareRestore(input);
    expect(prepared.restorePoint).toEqual({ basis: 'point-in-time', ref: 'point-in-time', time: new Date(Date.parse(input.drillStartedAt) - 30 * 60_000).toISOString() });
    const started = await dynamo.startRestore({ ...input, restorePoint: prepared.restorePoint });
    const restored = await dynamo.waitRestored({ drill: input.drill, scratch: started.scratch, ...POLL });
    expect(restored.restorePoint?.time).toBe(prepared.restorePoint.time);
    const v = await validateDynamo(aws, { drill: input.drill, restored });
    expect(Date.parse(v.newestRecordAt!)).toBeLessThanOrEqual(Date.parse(prepared.restorePoint.time));
    // Half the seeded hour: about 50 of the 100 items, fewer than the 80 required.
    expect(v.rows).toBeGreaterThan(20);
    expect(v.rows).toBeLessThan(80);
    expect(v.passed).toBe(false);
    expect(v.summary).toMatch(/fewer than the 80 required/);
    await dynamo.teardownScratch({ drill: input.drill, scratch: started.scratch, ...POLL });
    expect(await tableExists(input.scratchName)).toBe(false);
  });

  it('is idempotent: a retried start returns the same scratch table, and prepare then reports it started', async () => {
    const input = run(drill({ type: 'dynamodb-point-in-time', table: 'claims' }));
    const prepared = await dynamo.prepareRestore(input);
    const first = await dynamo.startRestore({ ...input, restorePoint: prepared.restorePoint });
    const again = await dynamo.startRestore({ ...input, restorePoint: prepared.restorePoint });
    expect(again.scratch).toEqual(first.scratch);
    expect(again.requestedAt).toBe(first.requestedAt);
    expect((await dynamo.prepareRestore(input)).alreadyStarted).toBe(true);
    // Only one restore call reached AWS for the two starts.
    const restores = sandbox.gateway.callLog.list({ action: 'RestoreTableToPointInTime' }).filter((c) => c.params['TargetTableName'] === input.scratchName && c.status === 200);
    expect(restores).toHaveLength(1);
    // Teardown while the table may still be CREATING waits until it can delete it.
    await dynamo.teardownScratch({ drill: input.drill, scratch: first.scratch, ...POLL });
    expect(await tableExists(input.scratchName)).toBe(false);
  });

  it('adopts and tags a table restored for this run that a crash left untagged, without restoring again', async () => {
    const input = run(drill({ type: 'dynamodb-point-in-time', table: 'claims' }));
    const prepared = await dynamo.prepareRestore(input);
    // The restore call went out, the worker died before TagResource.
    await admin.ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: 'claims', TargetTableName: input.scratchName, RestoreDateTime: new Date(prepared.restorePoint.time) }));
    expect((await dynamo.prepareRestore(input)).alreadyStarted).toBe(true);
    const started = await dynamo.startRestore({ ...input, restorePoint: prepared.restorePoint });
    expect(started.scratch.name).toBe(input.scratchName);
    expect(await tableTags(input.scratchName)).toMatchObject({ [DRILL_RUN_TAG]: input.runId });
    const restores = sandbox.gateway.callLog.list({ action: 'RestoreTableToPointInTime' }).filter((c) => c.params['TargetTableName'] === input.scratchName);
    expect(restores).toHaveLength(1);
    await dynamo.teardownScratch({ drill: input.drill, scratch: started.scratch, ...POLL });
  });

  it('refuses collisions, the source as scratch, PITR off and a time outside the window', async () => {
    // A table of the scratch name someone else made.
    const foreign = run(drill({ type: 'dynamodb-backup', table: 'claims' }));
    await admin.ddb.send(
      new CreateTableCommand({ TableName: foreign.scratchName, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }),
    );
    expect((await failure(dynamo.prepareRestore(foreign))).type).toBe('ScratchExists');
    const point = (await failure(dynamo.startRestore({ ...foreign, restorePoint: { time: new Date().toISOString(), ref: sandbox.seed.dynamoTables['claims']!.backupArns[0]!, basis: 'backup' } }))).type;
    expect(point).toBe('ScratchExists');
    // …or another drill run's.
    const arn = (await admin.ddb.send(new DescribeTableCommand({ TableName: foreign.scratchName }))).Table!.TableArn!;
    await admin.ddb.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: DRILL_RUN_TAG, Value: 'restore-drill-someone-else' }] }));
    expect((await failure(dynamo.prepareRestore(foreign))).type).toBe('ScratchExists');

    expect((await failure(dynamo.prepareRestore({ ...run(drill({ type: 'dynamodb-backup', table: 'claims' })), scratchName: 'claims' }))).type).toBe('ScratchIsSource');

    const noPitr = `no-pitr-${hex()}`;
    await admin.ddb.send(
      new CreateTableCommand({ TableName: noPitr, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }),
    );
    expect((await failure(dynamo.prepareRestore(run(drill({ type: 'dynamodb-point-in-time', table: noPitr }))))).type).toBe('PitrDisabled');
    expect((await failure(dynamo.prepareRestore(run(drill({ type: 'dynamodb-backup', table: noPitr }))))).type).toBe('NoRestorePoint');
    expect((await failure(dynamo.prepareRestore(run(drill({ type: 'dynamodb-backup', table: `missing-${hex()}` }))))).type).toBe('SourceNotFound');
    expect((await failure(dynamo.prepareRestore(run(drill({ type: 'dynamodb-point-in-time', table: 'claims', restoreAgoMs: 3 * 3600_000 }))))).type).toBe('InvalidRestoreTime');
  });

  it('teardown refuses anything not named sg-drill-*, and the source', async () => {
    const d = drill({ type: 'dynamodb-backup', table: 'claims' });
    const refused = await failure(dynamo.teardownScratch({ drill: d, scratch: { type: 'dynamodb-table', name: 'claims' } }));
    expect(refused.type).toBe('NotScratch');
    expect(refused.nonRetryable).toBe(true);
    expect((await failure(backupActs.teardownScratch({ drill: d, scratch: { type: 'dynamodb-table', name: 'claims' } }))).type).toBe('NotScratch');
    expect(await tableExists('claims')).toBe(true);
  });
});

describe('AWS Backup drills', () => {
  const vault = 'safeguard-drills';
  const source = (): DrillSource => ({ type: 'backup-recovery-point', vault, resourceArn: sandbox.seed.dynamoTables['claims']!.arn, iamRoleArn: sandbox.seed.roles.SafeguardExecution });

  it('restores the newest recovery point with one restore job (also when started twice), validates, reports back and tears down', async () => {
    const input = run(drill(source()));
    const prepared = await backupActs.prepareRestore(input);
    const rp = sandbox.seed.backupVaults[vault]!.recoveryPoints.find((r) => r.resource === 'claims')!;
    expect(prepared).toEqual({ alreadyStarted: false, restorePoint: expect.objectContaining({ basis: 'recovery-point', ref: rp.recoveryPointArn }) });

    const started = await backupActs.startRestore({ ...input, restorePoint: prepared.restorePoint });
    const again = await backupActs.startRestore({ ...input, restorePoint: prepared.restorePoint });
    expect(started.restoreJobId).toBeDefined();
    expect(again.restoreJobId).toBe(started.restoreJobId);
    expect(again.scratch).toEqual(started.scratch);
    expect((await backupActs.prepareRestore(input)).alreadyStarted).toBe(true);
    const jobs = await admin.backup.send(new ListRestoreJobsCommand({}));
    expect(jobs.RestoreJobs?.filter((j) => j.CreatedResourceArn === started.scratch.arn)).toHaveLength(1);
    expect(await tableTags(input.scratchName)).toMatchObject({ [DRILL_RUN_TAG]: input.runId, [DRILL_TAG]: input.drill.name, team: 'integration' });

    const restored = await backupActs.waitRestored({ drill: input.drill, scratch: started.scratch, restoreJobId: started.restoreJobId!, ...POLL });
    expect(restored.restorePoint).toEqual(prepared.restorePoint);
    const v = await validateDynamo(aws, { drill: input.drill, restored });
    expect(v.passed).toBe(true);
    expect(Date.parse(v.newestRecordAt!)).toBeLessThanOrEqual(Date.parse(prepared.restorePoint.time) + 1_000);

    await reportBackupValidation(aws, { drill: input.drill, restoreJobId: started.restoreJobId!, status: 'SUCCESSFUL', message: v.summary });
    const job = await admin.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: started.restoreJobId! }));
    expect(job).toMatchObject({ Status: 'COMPLETED', ValidationStatus: 'SUCCESSFUL', ValidationStatusMessage: v.summary });

    const receipt = await backupActs.teardownScratch({ drill: input.drill, scratch: started.scratch, ...POLL });
    expect(receipt.deleteRequested).toBe(true);
    expect(await tableExists(input.scratchName)).toBe(false);
  });

  it('refuses a missing vault, a resource without recovery points and a recovery point of another resource', async () => {
    expect((await failure(backupActs.prepareRestore(run(drill({ ...source(), vault: 'no-such-vault' } as DrillSource))))).type).toBe('SourceNotFound');
    const other = `arn:aws:dynamodb:us-east-1:${sandbox.seed.accountId}:table/not-backed-up`;
    expect((await failure(backupActs.prepareRestore(run(drill({ ...source(), resourceArn: other } as DrillSource))))).type).toBe('NoRestorePoint');
    const rdsPoint = sandbox.seed.backupVaults[vault]!.recoveryPoints.find((r) => r.resource === 'patients-db')!;
    expect((await failure(backupActs.prepareRestore(run(drill({ ...source(), recoveryPointArn: rdsPoint.recoveryPointArn } as DrillSource))))).type).toBe('NoRestorePoint');
  });

  it('restores an RDS recovery point into a tagged scratch instance and tears it down', async () => {
    const db = sandbox.seed.rdsInstances['patients-db']!;
    const input = run(drill({ type: 'backup-recovery-point', vault, resourceArn: db.arn, iamRoleArn: sandbox.seed.roles.SafeguardExecution }));
    const prepared = await backupActs.prepareRestore(input);
    const started = await backupActs.startRestore({ ...input, restorePoint: prepared.restorePoint });
    expect(started.scratch).toMatchObject({ type: 'rds-instance', name: input.scratchName });
    const restored = await backupActs.waitRestored({ drill: input.drill, scratch: started.scratch, restoreJobId: started.restoreJobId!, ...POLL });
    expect(restored.endpoint).toBeDefined();
    const receipt = await backupActs.teardownScratch({ drill: input.drill, scratch: started.scratch, ...POLL });
    expect(receipt.scratch.name).toBe(input.scratchName);
  });
});

describe('the call log', () => {
  it('shows no mutating call of the execution role ever targeting a source, only sg-drill-* resources', () => {
    const sources = new Set(['claims', sandbox.seed.dynamoTables['claims']!.arn, 'patients-db', sandbox.seed.rdsInstances['patients-db']!.arn]);
    const READ = /^(Describe|List|Get|Scan|Query|BatchGet)/;
    const mutating = sandbox.gateway.callLog.list({}).filter((c) => c.caller?.includes(':assumed-role/SafeguardExecution/') && !READ.test(c.action) && c.action !== 'AssumeRole');
    expect(mutating.length).toBeGreaterThan(5);
    const targets = mutating.flatMap((c) => {
      const p = c.params;
      const md = (p['Metadata'] ?? {}) as Record<string, unknown>;
      if (c.action === 'PutRestoreValidationResult') return [];
      return [p['TableName'], p['TargetTableName'], p['ResourceArn'], p['ResourceName'], p['DBInstanceIdentifier'], md['targetTableName'], md['DBInstanceIdentifier']].filter(
        (t): t is string => typeof t === 'string',
      );
    });
    expect(targets.length).toBeGreaterThanOrEqual(mutating.filter((c) => c.action !== 'PutRestoreValidationResult').length);
    for (const t of targets) {
      expect(sources.has(t)).toBe(false);
      expect(t.replace(/^arn:aws:[^:]+:[^:]*:\d{12}:(table\/|db:)/, '')).toMatch(/^sg-drill-/);
    }
  });
});
