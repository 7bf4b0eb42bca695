// DynamoDB restores and AWS Backup recovery points and restore jobs behave like AWS in the sandbox,
// end to end with the real SDK clients through the gateway: point-in-time restore needs PITR and
// honours the restore time, restored tables are CREATING before ACTIVE, deleted ones DELETING
// before gone, backups restore what they captured, and AWS Backup (absent in moto) lists recovery
// points, runs restore jobs PENDING → RUNNING → COMPLETED and records validation results. Starts
// its own sandbox (default plan: table `claims` with PITR, vault `safeguard-drills`).

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  BackupClient,
  DescribeRecoveryPointCommand,
  DescribeRestoreJobCommand,
  ListRecoveryPointsByBackupVaultCommand,
  ListRestoreJobsCommand,
  PutRestoreValidationResultCommand,
  StartRestoreJobCommand,
} from '@aws-sdk/client-backup';
import type { DescribeRestoreJobCommandOutput } from '@aws-sdk/client-backup';
import {
  CreateBackupCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  RestoreTableFromBackupCommand,
  RestoreTableToPointInTimeCommand,
  ScanCommand,
  UpdateContinuousBackupsCommand,
} from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { eventually, failure } from '../support/aws-calls';

/** Restores and deletes here take seconds: wait up to 20 s. */
const eventuallyHere = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> => eventually(what, probe, timeoutMs);

jest.setTimeout(90_000);

let sandbox: Sandbox;
let dataDir: string;
let ddb: DynamoDBClient;
let backup: BackupClient;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const suffix = () => randomBytes(4).toString('hex');

async function scanAll(table: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await ddb.send(new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

const idsOf = (items: Record<string, AttributeValue>[]) => items.map((i) => i['id']?.S ?? '').sort();

async function waitActive(table: string): Promise<void> {
  await eventuallyHere(`${table} ACTIVE`, async () => ((await ddb.send(new DescribeTableCommand({ TableName: table }))).Table?.TableStatus === 'ACTIVE' ? true : undefined));
}

async function tableWithItems(name: string, ids: string[]): Promise<void> {
  await ddb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  for (const id of ids) await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: id }, ts: { S: new Date().toISOString() } } }));
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-ddb-backup-'));
  sandbox = await startSandbox({
    dataDir,
    dynamodb: { creatingMs: 1_500, deletingMs: 800, writerIntervalMs: 250 },
    backup: { restoreStartMs: 300 },
  });
  // As an administrator would: through BreakGlassAdmin.
  const { broker, roles } = sandbox.seed;
  const cfg = { region: sandbox.region, endpoint: sandbox.endpoint, maxAttempts: 1 };
  const sts = new STSClient({ ...cfg, credentials: { accessKeyId: broker.accessKeyId, secretAccessKey: broker.secretAccessKey } });
  const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: roles.BreakGlassAdmin, RoleSessionName: 'ddb-backup-it', SourceIdentity: 'alice', DurationSeconds: 900 }));
  const c = assumed.Credentials!;
  const credentials = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  ddb = new DynamoDBClient({ ...cfg, credentials });
  backup = new BackupClient({ ...cfg, credentials });
}, 90_000);

afterAll(async () => {
  await sandbox?.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

describe('seeded drill data', () => {
  it('seeds the claims table with timestamped items that a writer keeps appending to', async () => {
    const seeded = sandbox.seed.dynamoTables['claims'];
    expect(seeded).toMatchObject({ pitr: true, seededItems: 100 });
    expect(seeded?.backupArns).toHaveLength(1);
    const before = await scanAll('claims');
    expect(before.length).toBeGreaterThanOrEqual(100);
    const newest = await eventuallyHere('a writer item newer than the seed', async () => {
      const items = await scanAll('claims');
      const written = items.filter((i) => i['source']?.S === 'sandbox-writer');
      return written.length > 0 ? written : undefined;
    });
    expect(Date.parse(newest[0]?.['ts']?.S ?? '')).toBeGreaterThan(Date.parse(seeded!.newestSeededAt));
  });

  it('reports the PITR window from the seeded history to now', async () => {
    const out = await ddb.send(new DescribeContinuousBackupsCommand({ TableName: 'claims' }));
    const pitr = out.ContinuousBackupsDescription?.PointInTimeRecoveryDescription;
    expect(pitr?.PointInTimeRecoveryStatus).toBe('ENABLED');
    expect(pitr?.EarliestRestorableDateTime?.toISOString()).toBe(sandbox.seed.dynamoTables['claims']?.pitrSince);
    expect(pitr!.LatestRestorableDateTime!.getTime()).toBeGreaterThan(Date.parse(sandbox.seed.dynamoTables['claims']!.newestSeededAt));
  });
});

describe('DynamoDB point-in-time restore', () => {
  it('is refused when point-in-time recovery is not enabled on the source, as AWS does', async () => {
    const name = `no-pitr-${suffix()}`;
    await tableWithItems(name, ['a']);
    const err = await failure(ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: name, TargetTableName: `${name}-r`, UseLatestRestorableTime: true })));
    expect(err.name).toBe('PointInTimeRecoveryUnavailableException');
    await failure(ddb.send(new DescribeTableCommand({ TableName: `${name}-r` }))).then((e) => expect(e.name).toBe('ResourceNotFoundException'));
  });

  it('refuses a restore time outside the restorable window', async () => {
    const early = await failure(
      ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: 'claims', TargetTableName: `early-${suffix()}`, RestoreDateTime: new Date(Date.now() - 3 * 3600_000) })),
    );
    expect(early.name).toBe('InvalidRestoreTimeException');
    const future = await failure(
      ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: 'claims', TargetTableName: `future-${suffix()}`, RestoreDateTime: new Date(Date.now() + 3600_000) })),
    );
    expect(future.name).toBe('InvalidRestoreTimeException');
  });

  it('restores the items as of the restore time: later puts, overwrites and deletes are undone', async () => {
    const name = `pitr-src-${suffix()}`;
    await tableWithItems(name, ['kept', 'overwritten', 'deleted-later']);
    await ddb.send(new UpdateContinuousBackupsCommand({ TableName: name, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));
    await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: 'overwritten' }, v: { S: 'before' } } }));
    await sleep(50);
    const restoreAt = new Date();
    await sleep(50);
    await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: 'written-later' }, v: { S: 'after' } } }));
    await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: 'overwritten' }, v: { S: 'after' } } }));
    await ddb.send(new DeleteItemCommand({ TableName: name, Key: { id: { S: 'deleted-later' } } }));

    const target = `${name}-r`;
    const out = await ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: name, TargetTableName: target, RestoreDateTime: restoreAt }));
    expect(out.TableDescription?.RestoreSummary?.RestoreDateTime?.getTime()).toBe(restoreAt.getTime());
    await waitActive(target);
    const restored = await scanAll(target);
    expect(idsOf(restored)).toEqual(['deleted-later', 'kept', 'overwritten']);
    expect(restored.find((i) => i['id']?.S === 'overwritten')?.['v']?.S).toBe('before');
    // The source keeps its current items.
    expect(idsOf(await scanAll(name))).toEqual(['kept', 'overwritten', 'written-later']);
  });

  it('restores a seeded table to half an hour ago: exactly the items stamped up to then', async () => {
    const restoreAt = new Date(Date.now() - 30 * 60_000);
    const target = `claims-half-${suffix()}`;
    await ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: 'claims', TargetTableName: target, RestoreDateTime: restoreAt }));
    await waitActive(target);
    const expected = idsOf((await scanAll('claims')).filter((i) => Date.parse(i['ts']?.S ?? '') <= restoreAt.getTime()));
    const restored = await scanAll(target);
    expect(expected.length).toBeGreaterThan(20);
    expect(idsOf(restored)).toEqual(expected);
  });

  it('reads CREATING until the restore is done (data calls and DeleteTable refused), then ACTIVE', async () => {
    const target = `claims-latest-${suffix()}`;
    const out = await ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: 'claims', TargetTableName: target, UseLatestRestorableTime: true }));
    expect(out.TableDescription?.TableStatus).toBe('CREATING');
    expect((await ddb.send(new DescribeTableCommand({ TableName: target }))).Table?.TableStatus).toBe('CREATING');
    expect((await failure(ddb.send(new ScanCommand({ TableName: target })))).name).toBe('ResourceNotFoundException');
    expect((await failure(ddb.send(new DeleteTableCommand({ TableName: target })))).name).toBe('ResourceInUseException');
    expect((await failure(ddb.send(new RestoreTableToPointInTimeCommand({ SourceTableName: 'claims', TargetTableName: target, UseLatestRestorableTime: true })))).name).toBe(
      'TableInUseException',
    );
    await waitActive(target);
    expect((await scanAll(target)).length).toBeGreaterThanOrEqual(100);
  });
});

describe('DynamoDB backups and deletion', () => {
  it('restores what the backup captured, not what was written after it', async () => {
    const name = `bk-src-${suffix()}`;
    await tableWithItems(name, ['one', 'two']);
    const b = await ddb.send(new CreateBackupCommand({ TableName: name, BackupName: `${name}-b` }));
    await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: 'three' } } }));
    const target = `${name}-r`;
    const out = await ddb.send(new RestoreTableFromBackupCommand({ TargetTableName: target, BackupArn: b.BackupDetails!.BackupArn! }));
    expect(out.TableDescription?.TableStatus).toBe('CREATING');
    await waitActive(target);
    expect(idsOf(await scanAll(target))).toEqual(['one', 'two']);
  });

  it('reads DELETING for a while after DeleteTable, then the table is gone', async () => {
    const name = `del-${suffix()}`;
    await tableWithItems(name, ['x']);
    const out = await ddb.send(new DeleteTableCommand({ TableName: name }));
    expect(out.TableDescription?.TableStatus).toBe('DELETING');
    expect((await ddb.send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus).toBe('DELETING');
    expect((await failure(ddb.send(new GetItemCommand({ TableName: name, Key: { id: { S: 'x' } } })))).name).toBe('ResourceNotFoundException');
    const gone = await eventuallyHere('the table gone', async () => {
      const e = await failure(ddb.send(new DescribeTableCommand({ TableName: name }))).catch(() => undefined);
      return e;
    });
    expect(gone.name).toBe('ResourceNotFoundException');
  });
});

describe('AWS Backup', () => {
  const vault = 'safeguard-drills';

  it('lists the seeded recovery points of a vault, filtered by resource, and describes one', async () => {
    const all = await backup.send(new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: vault }));
    const claimsArn = sandbox.seed.dynamoTables['claims']!.arn;
    const dbArn = sandbox.seed.rdsInstances['patients-db']!.arn;
    expect(new Set(all.RecoveryPoints?.map((r) => r.ResourceArn))).toEqual(new Set([claimsArn, dbArn]));
    expect(all.RecoveryPoints?.every((r) => r.Status === 'COMPLETED')).toBe(true);
    const rdsPoint = all.RecoveryPoints?.find((r) => r.ResourceType === 'RDS');
    expect(rdsPoint?.RecoveryPointArn).toMatch(/^arn:aws:rds:us-east-1:123456789012:snapshot:/);

    const byResource = await backup.send(new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: vault, ByResourceArn: claimsArn }));
    expect(byResource.RecoveryPoints).toHaveLength(1);
    const rp = byResource.RecoveryPoints![0]!;
    expect(rp).toMatchObject({ ResourceType: 'DynamoDB', ResourceName: 'claims', BackupVaultName: vault });
    expect(rp.RecoveryPointArn).toMatch(/^arn:aws:dynamodb:us-east-1:123456789012:table\/claims\/backup\//);
    expect(rp.CreationDate).toBeInstanceOf(Date);

    const described = await backup.send(new DescribeRecoveryPointCommand({ BackupVaultName: vault, RecoveryPointArn: rp.RecoveryPointArn! }));
    expect(described.ResourceArn).toBe(claimsArn);

    expect((await failure(backup.send(new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: 'no-such-vault' })))).name).toBe('ResourceNotFoundException');
  });

  it('refuses restore jobs AWS would refuse, in rest-json', async () => {
    const [rp] = sandbox.seed.backupVaults[vault]!.recoveryPoints.filter((r) => r.resource === 'claims');
    const role = sandbox.seed.roles.SafeguardExecution;
    const noRole = await failure(backup.send(new StartRestoreJobCommand({ RecoveryPointArn: rp!.recoveryPointArn, Metadata: { targetTableName: 'x-restored' } })));
    expect(noRole.name).toBe('MissingParameterValueException');
    const noTarget = await failure(backup.send(new StartRestoreJobCommand({ RecoveryPointArn: rp!.recoveryPointArn, Metadata: { DBInstanceIdentifier: 'x' }, IamRoleArn: role })));
    expect(noTarget.name).toBe('InvalidParameterValueException');
    const unknown = await failure(
      backup.send(new StartRestoreJobCommand({ RecoveryPointArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/claims/backup/0-nope', Metadata: { targetTableName: 'x' }, IamRoleArn: role })),
    );
    expect(unknown.name).toBe('ResourceNotFoundException');
    expect((await failure(backup.send(new DescribeRestoreJobCommand({ RestoreJobId: 'NOPE' })))).name).toBe('ResourceNotFoundException');
  });

  it('runs a DynamoDB restore job PENDING → RUNNING → COMPLETED, once per idempotency token, and records the validation result', async () => {
    const [rp] = sandbox.seed.backupVaults[vault]!.recoveryPoints.filter((r) => r.resource === 'claims');
    const target = `bk-job-${suffix()}`;
    const token = `it-${suffix()}`;
    const start = () =>
      backup.send(new StartRestoreJobCommand({ RecoveryPointArn: rp!.recoveryPointArn, Metadata: { targetTableName: target }, IamRoleArn: sandbox.seed.roles.SafeguardExecution, IdempotencyToken: token }));
    const { RestoreJobId: id } = await start();
    expect((await start()).RestoreJobId).toBe(id);

    const seen: string[] = [];
    const done = await eventually<DescribeRestoreJobCommandOutput>('the restore job to end', async () => {
      const job = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId: id! }));
      if (seen[seen.length - 1] !== job.Status) seen.push(job.Status!);
      return job.Status === 'COMPLETED' || job.Status === 'FAILED' ? job : undefined;
    });
    expect(seen[0]).toBe('PENDING');
    expect(seen).toContain('RUNNING');
    expect(seen[seen.length - 1]).toBe('COMPLETED');
    expect(seen).toEqual(['PENDING', 'RUNNING', 'COMPLETED'].filter((s) => seen.includes(s)));
    expect(done).toMatchObject({ PercentDone: '100.00%', CreatedResourceArn: `arn:aws:dynamodb:us-east-1:123456789012:table/${target}`, ResourceType: 'DynamoDB' });
    expect(done.CompletionDate).toBeInstanceOf(Date);
    // COMPLETED means the table is there and readable, holding the recovery point's items only.
    expect((await ddb.send(new DescribeTableCommand({ TableName: target }))).Table?.TableStatus).toBe('ACTIVE');
    const items = await scanAll(target);
    expect(items.length).toBeGreaterThanOrEqual(100);
    const pointAt = (await backup.send(new DescribeRecoveryPointCommand({ BackupVaultName: vault, RecoveryPointArn: rp!.recoveryPointArn }))).CreationDate!.getTime();
    expect(items.every((i) => Date.parse(i['ts']?.S ?? '') <= pointAt)).toBe(true);
    // Exactly one table was restored for the two starts.
    const jobs = await backup.send(new ListRestoreJobsCommand({ ByStatus: 'COMPLETED' }));
    expect(jobs.RestoreJobs?.filter((j) => j.CreatedResourceArn?.endsWith(`/${target}`))).toHaveLength(1);

    await backup.send(new PutRestoreValidationResultCommand({ RestoreJobId: id!, ValidationStatus: 'SUCCESSFUL', ValidationStatusMessage: '142 items, newest 2026-12-01T10:00:00Z' }));
    const validated = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId: id! }));
    expect(validated).toMatchObject({ ValidationStatus: 'SUCCESSFUL', ValidationStatusMessage: '142 items, newest 2026-12-01T10:00:00Z' });
    expect((await failure(backup.send(new PutRestoreValidationResultCommand({ RestoreJobId: id!, ValidationStatus: 'GREAT' as never })))).name).toBe(
      'InvalidParameterValueException',
    );
  });

  it('fails a restore job whose target exists, with the reason on the job', async () => {
    const [rp] = sandbox.seed.backupVaults[vault]!.recoveryPoints.filter((r) => r.resource === 'claims');
    const { RestoreJobId: id } = await backup.send(
      new StartRestoreJobCommand({ RecoveryPointArn: rp!.recoveryPointArn, Metadata: { targetTableName: 'claims' }, IamRoleArn: sandbox.seed.roles.SafeguardExecution }),
    );
    const job = await eventuallyHere('the job to fail', async () => {
      const j = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId: id! }));
      return j.Status === 'FAILED' || j.Status === 'COMPLETED' ? j : undefined;
    });
    expect(job.Status).toBe('FAILED');
    expect(job.StatusMessage).toMatch(/TableAlreadyExists/);
  });

  it('restores an RDS recovery point into a new instance', async () => {
    const [rp] = sandbox.seed.backupVaults[vault]!.recoveryPoints.filter((r) => r.resource === 'patients-db');
    const target = `bk-db-${suffix()}`;
    const { RestoreJobId: id } = await backup.send(
      new StartRestoreJobCommand({ RecoveryPointArn: rp!.recoveryPointArn, Metadata: { DBInstanceIdentifier: target, DBInstanceClass: 'db.t3.small' }, IamRoleArn: sandbox.seed.roles.SafeguardExecution }),
    );
    const job = await eventuallyHere('the RDS restore job to end', async () => {
      const j = await backup.send(new DescribeRestoreJobCommand({ RestoreJobId: id! }));
      return j.Status === 'FAILED' || j.Status === 'COMPLETED' ? j : undefined;
    });
    expect(job.StatusMessage).toBeUndefined();
    expect(job).toMatchObject({ Status: 'COMPLETED', ResourceType: 'RDS', CreatedResourceArn: `arn:aws:rds:us-east-1:123456789012:db:${target}` });
  });

  it('takes injected faults like any other service', async () => {
    const fault = sandbox.gateway.faults.add({ service: 'backup', action: 'ListRecoveryPointsByBackupVault', kind: 'throttle', rate: 1 });
    try {
      expect((await failure(backup.send(new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: vault })))).name).toBe('ThrottlingException');
    } finally {
      sandbox.gateway.faults.clear();
    }
    expect(fault.id).toBeDefined();
  });
});
