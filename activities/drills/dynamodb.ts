// DynamoDB restore-drill activities (sources `dynamodb-backup` and `dynamodb-point-in-time`): choose
// the backup or the point in time, restore it into the scratch table `sg-drill-…`, wait until it is
// ACTIVE, prove its data (validateDynamo), and delete it again. Every call runs as the account's
// execution role. The table helpers are shared with aws-backup.ts (a recovery point of a table
// restores into a table too).
//
// Invariant: the source table is only ever read. The only mutating calls here are the two restores
// (their target is the scratch table), TagResource on the scratch table, and DeleteTable, which
// refuses any name that does not start with `sg-drill-` or is the source's.
//
// Crash safety (types.ts): a scratch table tagged with this drill run is this run's restore. DynamoDB
// restores take no tags, so the tags follow the restore call; a crash in between leaves an untagged
// table, which is still recognised as this run's when its RestoreSummary says it came from this
// drill's source (or backup) after the drill started (`restoredForRun`) and is then tagged. Any other
// table of that name is a collision and is refused.
import {
  DeleteTableCommand,
  DescribeBackupCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  ListBackupsCommand,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  RestoreTableFromBackupCommand,
  RestoreTableToPointInTimeCommand,
  ScanCommand,
  TagResourceCommand,
} from '@aws-sdk/client-dynamodb';
import type { AttributeValue, BackupSummary, DynamoDBClient, TableDescription, Tag } from '@aws-sdk/client-dynamodb';
import { ApplicationFailure } from '@temporalio/activity';
import { accountClients } from '../aws/clients';
import type { AwsClients } from '../aws/clients';
import { awsCall, awsErrorName, toActivityFailure } from '../aws/errors';
import { heartbeat, pause } from '../heartbeat';
import { DRILL_CREATED_TAG, DRILL_RUN_TAG, DRILL_TAG, SCRATCH_PREFIX } from '../../workflows/restore-drill/targets';
import type { AccountRef, DrillSource, RestoreDrillTarget, RestorePoint, ScratchRef } from '../../workflows/restore-drill/targets';
import { DrillFailures } from './types';
import type {
  DrillSourceActivities,
  DrillSourceDeps,
  PreparedRestore,
  PrepareRestoreInput,
  RestoredResource,
  ScratchListing,
  StartedRestore,
  StartRestoreInput,
  TeardownInput,
  TeardownReceipt,
  ValidateRestoreInput,
  ValidationResult,
  WaitRestoredInput,
} from './types';

export type DynamoDrillDeps = DrillSourceDeps;

/** The failure types these activities throw on purpose (types.ts: one list for every family). */
export const DynamoDrillFailures = DrillFailures;

const DEFAULT_POLL_MS = 5_000;
/** How far the worker's clock and DynamoDB's may disagree when judging a restore's creation time. */
const CLOCK_SKEW_MS = 5 * 60_000;
export const MAX_VALIDATION_OUTPUT_BYTES = 4 * 1024;

type DynamoSource = Extract<DrillSource, { type: 'dynamodb-backup' | 'dynamodb-point-in-time' }>;

export function createDynamoDrillActivities(deps: DynamoDrillDeps): DrillSourceActivities & { listDynamoScratch(account: AccountRef): Promise<ScratchListing[]> } {
  const { aws } = deps;
  const log = deps.logger.child({ component: 'drills.dynamodb' });

  /** This run's scratch table (tagged, or restored for it and now tagged), undefined if none; throws on a collision. */
  async function mine(ddb: DynamoDBClient, input: PrepareRestoreInput, source: DynamoSource, restoreRef?: string): Promise<TableDescription | undefined> {
    const existing = await describeTable(ddb, input.scratchName);
    if (!existing) return undefined;
    const tags = await tagsOf(ddb, existing.TableArn);
    if (tags[DRILL_RUN_TAG] === input.runId) return existing;
    if (tags[DRILL_RUN_TAG] === undefined && restoredForRun(existing, source, input.drillStartedAt, restoreRef)) {
      log.warn({ scratch: input.scratchName, runId: input.runId }, 'untagged scratch table restored for this run (crash before tagging): adopting it');
      return existing;
    }
    throw scratchExists(input.scratchName, tags[DRILL_RUN_TAG]);
  }

  return {
    async prepareRestore(input: PrepareRestoreInput): Promise<PreparedRestore> {
      const source = dynamoSource(input.drill);
      assertNotSource(input.scratchName, source.table);
      const { dynamodb: ddb } = await accountClients(aws, input.drill);
      const restorePoint = source.type === 'dynamodb-backup' ? await chooseBackup(ddb, source) : await choosePointInTime(ddb, source, input.drillStartedAt);
      const existing = await mine(ddb, input, source, source.type === 'dynamodb-backup' ? restorePoint.ref : undefined);
      log.info({ drill: input.drill.name, scratch: input.scratchName, restorePoint, alreadyStarted: existing !== undefined }, 'restore prepared');
      return { restorePoint, alreadyStarted: existing !== undefined };
    },

    async startRestore(input: StartRestoreInput): Promise<StartedRestore> {
      const source = dynamoSource(input.drill);
      assertNotSource(input.scratchName, source.table);
      const { dynamodb: ddb } = await accountClients(aws, input.drill);
      const restoreRef = source.type === 'dynamodb-backup' ? input.restorePoint.ref : undefined;
      const existing = await mine(ddb, input, source, restoreRef);
      const requestedAt = new Date().toISOString();
      let table = existing;
      if (!table) {
        try {
          table =
            source.type === 'dynamodb-backup'
              ? (await ddb.send(new RestoreTableFromBackupCommand({ TargetTableName: input.scratchName, BackupArn: input.restorePoint.ref }))).TableDescription
              : (
                  await ddb.send(
                    new RestoreTableToPointInTimeCommand({
                      SourceTableName: source.table,
                      TargetTableName: input.scratchName,
                      // The prepared time, not UseLatestRestorableTime: the restore point is then known exactly (RPO).
                      RestoreDateTime: new Date(input.restorePoint.time),
                    }),
                  )
                ).TableDescription;
        } catch (err) {
          const name = awsErrorName(err);
          if (name === 'TableAlreadyExistsException' || name === 'TableInUseException') {
            // A concurrent attempt of this run got there first, or someone else did.
            const raced = await mine(ddb, input, source, restoreRef);
            if (raced) table = raced;
            else throw ApplicationFailure.nonRetryable(`${input.scratchName} already exists and is not this drill run's`, DynamoDrillFailures.scratchExists);
          } else throw restoreFailure(err, source, input.restorePoint);
        }
      }
      const arn = table?.TableArn;
      if (!arn) throw ApplicationFailure.create({ type: 'AwsError', message: `the restore of ${input.scratchName} returned no table ARN` });
      const createdAt = (await tagsOf(ddb, arn))[DRILL_CREATED_TAG] ?? requestedAt;
      await tagScratch(ddb, arn, scratchTags(input.drill, input.runId, createdAt));
      log.info({ drill: input.drill.name, scratch: input.scratchName, restorePoint: input.restorePoint, status: table?.TableStatus, adopted: existing !== undefined }, 'restore requested');
      return { scratch: { type: 'dynamodb-table', name: input.scratchName, arn }, requestedAt: existing ? createdAt : requestedAt };
    },

    async waitRestored(input: WaitRestoredInput): Promise<RestoredResource> {
      const { dynamodb: ddb } = await accountClients(aws, input.drill);
      return waitTableRestored(ddb, input.scratch, input.pollMs ?? DEFAULT_POLL_MS);
    },

    async teardownScratch(input: TeardownInput): Promise<TeardownReceipt> {
      // The sweeper passes only the account; a drill's own teardown passes the drill, source included.
      const source = 'source' in input.drill ? (input.drill as RestoreDrillTarget).source : undefined;
      const sourceTable = source && (source.type === 'dynamodb-backup' || source.type === 'dynamodb-point-in-time') ? source.table : undefined;
      assertDeletable(input.scratch.name, sourceTable);
      const { dynamodb: ddb } = await accountClients(aws, input.drill);
      const receipt = await deleteScratchTable(ddb, input.scratch, input.pollMs ?? DEFAULT_POLL_MS);
      log.info({ account: input.drill.accountId, scratch: input.scratch.name, deleteRequested: receipt.deleteRequested }, 'scratch table gone');
      return receipt;
    },

    listDynamoScratch: (account) => listDynamoScratch(aws, account),
  };
}

/** Every table named `sg-drill-*` in the account, with its drill tags (the sweeper's view). */
export async function listDynamoScratch(aws: AwsClients, account: AccountRef): Promise<ScratchListing[]> {
  const { dynamodb: ddb } = await accountClients(aws, account);
  const out: ScratchListing[] = [];
  let start: string | undefined;
  do {
    const page = await awsCall('ListTables', () => ddb.send(new ListTablesCommand({ ...(start ? { ExclusiveStartTableName: start } : {}) })));
    for (const name of page.TableNames ?? []) {
      if (!name.startsWith(SCRATCH_PREFIX)) continue;
      const t = await describeTable(ddb, name);
      if (!t) continue;
      const tags = await tagsOf(ddb, t.TableArn).catch(() => ({}) as Record<string, string>);
      const runId = tags[DRILL_RUN_TAG];
      const drill = tags[DRILL_TAG];
      out.push({
        scratch: { type: 'dynamodb-table', name, ...(t.TableArn ? { arn: t.TableArn } : {}) },
        ...(runId !== undefined ? { runId } : {}),
        ...(drill !== undefined ? { drill } : {}),
        createdAt: tags[DRILL_CREATED_TAG] ?? t.CreationDateTime?.toISOString() ?? '',
        status: t.TableStatus ?? 'unknown',
      });
    }
    start = page.LastEvaluatedTableName;
  } while (start);
  return out;
}

/**
 * The DynamoDB checks: a paged Scan of the restored table (only the timestamp attribute, or a
 * count), heartbeating per page. Passes with at least `minItems` items; the newest timestamp is the
 * restore point the data proves (RPO). Timestamps: ISO strings, or epoch seconds/milliseconds.
 */
export async function validateDynamo(aws: AwsClients, input: ValidateRestoreInput): Promise<ValidationResult> {
  const v = input.drill.validation;
  if (v.type !== 'dynamodb') throw ApplicationFailure.nonRetryable(`drill ${input.drill.name}: validation ${v.type} is not a DynamoDB check`, DynamoDrillFailures.unsupportedValidation);
  const table = input.restored.scratch.name;
  if (input.restored.scratch.type !== 'dynamodb-table') throw ApplicationFailure.nonRetryable(`drill ${input.drill.name}: ${table} is not a DynamoDB table`, DynamoDrillFailures.unsupportedValidation);
  const { dynamodb: ddb } = await accountClients(aws, input.drill);
  const attr = v.timestampAttribute;
  let items = 0;
  let pages = 0;
  let withTimestamp = 0;
  let unreadable = 0;
  let newest: number | undefined;
  let start: Record<string, AttributeValue> | undefined;
  do {
    heartbeat();
    let page;
    try {
      page = await ddb.send(
        new ScanCommand({
          TableName: table,
          ...(attr === undefined ? { Select: 'COUNT' } : { ProjectionExpression: '#ts', ExpressionAttributeNames: { '#ts': attr } }),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
    } catch (err) {
      if (awsErrorName(err) === 'ResourceNotFoundException') throw ApplicationFailure.nonRetryable(`${table} is gone (or not ACTIVE) while the drill validates it`, DynamoDrillFailures.scratchGone);
      throw toActivityFailure('Scan', err);
    }
    pages++;
    items += page.Count ?? page.Items?.length ?? 0;
    for (const item of page.Items ?? []) {
      const value = attr === undefined ? undefined : item[attr];
      if (value === undefined) continue;
      const at = timestampOf(value);
      if (at === undefined) {
        unreadable++;
        continue;
      }
      withTimestamp++;
      if (newest === undefined || at > newest) newest = at;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  const newestRecordAt = newest === undefined ? undefined : new Date(newest).toISOString();
  const passed = items >= v.minItems;
  const summary = passed
    ? `${items} items in ${table} (at least ${v.minItems})${newestRecordAt ? `, newest ${newestRecordAt}` : ''}`
    : `${items} items in ${table}: fewer than the ${v.minItems} required`;
  const output = bound(
    JSON.stringify({
      table,
      items,
      minItems: v.minItems,
      pages,
      ...(attr !== undefined ? { timestampAttribute: attr, withTimestamp, unreadableTimestamps: unreadable } : {}),
      ...(newestRecordAt ? { newest: newestRecordAt } : {}),
    }),
  );
  return { passed, rows: items, ...(newestRecordAt ? { newestRecordAt } : {}), output, summary, validation: 'dynamodb' };
}

// ---- table helpers (also aws-backup.ts's) ----

export async function describeTable(ddb: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  try {
    return (await ddb.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (err) {
    if (awsErrorName(err) === 'ResourceNotFoundException') return undefined;
    throw toActivityFailure('DescribeTable', err);
  }
}

export async function tagsOf(ddb: DynamoDBClient, arn: string | undefined): Promise<Record<string, string>> {
  if (!arn) return {};
  const out: Record<string, string> = {};
  let token: string | undefined;
  do {
    const page = await awsCall('ListTagsOfResource', () => ddb.send(new ListTagsOfResourceCommand({ ResourceArn: arn, ...(token ? { NextToken: token } : {}) })));
    for (const t of page.Tags ?? []) if (t.Key !== undefined && t.Value !== undefined) out[t.Key] = t.Value;
    token = page.NextToken;
  } while (token);
  return out;
}

/** The drill's tags, then Safeguard's three (which a drill's own tags cannot override). */
export function scratchTags(drill: RestoreDrillTarget, runId: string, createdAt: string): Record<string, string> {
  return { ...drill.scratch.tags, [DRILL_TAG]: drill.name, [DRILL_RUN_TAG]: runId, [DRILL_CREATED_TAG]: createdAt };
}

/** Tags a scratch table, waiting while DynamoDB refuses because the table is still being created. */
export async function tagScratch(ddb: DynamoDBClient, arn: string, tags: Record<string, string>, pollMs = 1_000): Promise<void> {
  const list: Tag[] = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  for (;;) {
    try {
      await ddb.send(new TagResourceCommand({ ResourceArn: arn, Tags: list }));
      return;
    } catch (err) {
      if (awsErrorName(err) !== 'ResourceInUseException') throw toActivityFailure('TagResource', err);
      await pause(pollMs);
    }
  }
}

/** Polls until the scratch table is ACTIVE (heartbeating); ScratchGone if it disappears or is being deleted. */
export async function waitTableRestored(ddb: DynamoDBClient, scratch: ScratchRef, pollMs: number): Promise<RestoredResource> {
  for (;;) {
    const t = await describeTable(ddb, scratch.name);
    const status = t?.TableStatus ?? 'gone';
    if (!t || status === 'DELETING' || status === 'ARCHIVED' || status === 'ARCHIVING') {
      throw ApplicationFailure.nonRetryable(`${scratch.name} is ${status} while the drill waits for it to become ACTIVE`, DynamoDrillFailures.scratchGone);
    }
    if (status === 'ACTIVE') {
      const restorePoint = await restorePointOf(ddb, t);
      return {
        scratch: { type: 'dynamodb-table', name: scratch.name, ...(t.TableArn ? { arn: t.TableArn } : {}) },
        availableAt: new Date().toISOString(),
        ...(restorePoint ? { restorePoint } : {}),
      };
    }
    await pause(pollMs);
  }
}

/** Deletes a scratch table and waits until DynamoDB no longer knows it. Callers check the name first. */
export async function deleteScratchTable(ddb: DynamoDBClient, scratch: ScratchRef, pollMs: number): Promise<TeardownReceipt> {
  let deleteRequested = false;
  for (;;) {
    const t = await describeTable(ddb, scratch.name);
    if (!t) return { scratch, deleteRequested, goneAt: new Date().toISOString() };
    // A table being created cannot be deleted yet (ResourceInUseException): wait it out.
    if (t.TableStatus === 'ACTIVE' && !deleteRequested) {
      try {
        await ddb.send(new DeleteTableCommand({ TableName: scratch.name }));
        deleteRequested = true;
      } catch (err) {
        const name = awsErrorName(err);
        if (name !== 'ResourceNotFoundException' && name !== 'ResourceInUseException') throw toActivityFailure('DeleteTable', err);
      }
    }
    await pause(pollMs);
  }
}

/** Only `sg-drill-*`, and never the source, is ever deleted. */
export function assertDeletable(name: string, sourceTable: string | undefined): void {
  if (!name.startsWith(SCRATCH_PREFIX) || (sourceTable !== undefined && sourceTable === name)) {
    throw ApplicationFailure.nonRetryable(`refusing to delete ${name}: only ${SCRATCH_PREFIX}* scratch tables are deleted`, DynamoDrillFailures.notScratch);
  }
}

export function scratchExists(name: string, runTag: string | undefined): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `${name} already exists and is not this drill run's (${runTag === undefined ? 'no drill-run tag' : `tagged for run ${runTag}`}): refusing to restore over it`,
    DynamoDrillFailures.scratchExists,
  );
}

/** Bounded to MAX_VALIDATION_OUTPUT_BYTES of UTF-8. */
export function bound(text: string): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= MAX_VALIDATION_OUTPUT_BYTES) return text;
  const marker = '…[truncated]';
  return buf.subarray(0, MAX_VALIDATION_OUTPUT_BYTES - Buffer.byteLength(marker)).toString('utf8').replace(/\uFFFD+$/, '') + marker;
}

// ---- internals ----

function dynamoSource(drill: RestoreDrillTarget): DynamoSource {
  const s = drill.source;
  if (s.type !== 'dynamodb-backup' && s.type !== 'dynamodb-point-in-time') {
    throw ApplicationFailure.nonRetryable(`drill ${drill.name}: source ${s.type} is not a DynamoDB source`, DynamoDrillFailures.unsupportedSource);
  }
  return s;
}

function assertNotSource(scratchName: string, table: string): void {
  if (scratchName === table || scratchName === tableNameOf(table)) {
    throw ApplicationFailure.nonRetryable(`the scratch table ${scratchName} is the source itself: refusing`, DynamoDrillFailures.scratchIsSource);
  }
}

function tableNameOf(nameOrArn: string): string {
  return /:table\/([^/]+)/.exec(nameOrArn)?.[1] ?? nameOrArn;
}

/** An untagged table restored from this drill's source (or backup) after the drill started: this run's. */
function restoredForRun(t: TableDescription, source: DynamoSource, drillStartedAt: string, restoreRef: string | undefined): boolean {
  const r = t.RestoreSummary;
  const created = t.CreationDateTime?.getTime();
  if (!r || created === undefined || created < Date.parse(drillStartedAt) - CLOCK_SKEW_MS) return false;
  if (source.type === 'dynamodb-backup') return restoreRef !== undefined && r.SourceBackupArn === restoreRef;
  return r.SourceBackupArn === undefined && r.SourceTableArn !== undefined && tableNameOf(r.SourceTableArn) === tableNameOf(source.table);
}

async function chooseBackup(ddb: DynamoDBClient, source: Extract<DynamoSource, { type: 'dynamodb-backup' }>): Promise<RestorePoint> {
  const table = tableNameOf(source.table);
  if (source.backupArn !== undefined) {
    let desc;
    try {
      desc = (await ddb.send(new DescribeBackupCommand({ BackupArn: source.backupArn }))).BackupDescription;
    } catch (err) {
      if (awsErrorName(err) === 'BackupNotFoundException') throw ApplicationFailure.nonRetryable(`backup ${source.backupArn} not found`, DynamoDrillFailures.noRestorePoint);
      throw toActivityFailure('DescribeBackup', err);
    }
    const d = desc?.BackupDetails;
    const of = desc?.SourceTableDetails?.TableName;
    if (of !== undefined && of !== table) throw ApplicationFailure.nonRetryable(`backup ${source.backupArn} is of table ${of}, not ${table}`, DynamoDrillFailures.noRestorePoint);
    if (d?.BackupStatus !== 'AVAILABLE' || !d.BackupCreationDateTime) {
      throw ApplicationFailure.nonRetryable(`backup ${source.backupArn} is ${d?.BackupStatus ?? 'unknown'}, not AVAILABLE`, DynamoDrillFailures.noRestorePoint);
    }
    return { time: d.BackupCreationDateTime.toISOString(), ref: source.backupArn, basis: 'backup' };
  }
  const backups: BackupSummary[] = [];
  let start: string | undefined;
  do {
    const page = await awsCall('ListBackups', () => ddb.send(new ListBackupsCommand({ TableName: table, BackupType: 'ALL', ...(start ? { ExclusiveStartBackupArn: start } : {}) })));
    backups.push(...(page.BackupSummaries ?? []));
    start = page.LastEvaluatedBackupArn;
  } while (start);
  const newest = backups
    .filter((b) => b.BackupStatus === 'AVAILABLE' && b.BackupArn && b.BackupCreationDateTime && (b.TableName === undefined || b.TableName === table))
    .sort((a, b) => (b.BackupCreationDateTime?.getTime() ?? 0) - (a.BackupCreationDateTime?.getTime() ?? 0))[0];
  if (!newest?.BackupArn || !newest.BackupCreationDateTime) {
    // A deleted table's backups still restore; with none, say which it is.
    if (!(await describeTable(ddb, table))) throw ApplicationFailure.nonRetryable(`source table ${table} not found and it has no backups`, DynamoDrillFailures.sourceNotFound);
    throw ApplicationFailure.nonRetryable(`table ${table} has no AVAILABLE backup`, DynamoDrillFailures.noRestorePoint);
  }
  return { time: newest.BackupCreationDateTime.toISOString(), ref: newest.BackupArn, basis: 'backup' };
}

async function choosePointInTime(ddb: DynamoDBClient, source: Extract<DynamoSource, { type: 'dynamodb-point-in-time' }>, drillStartedAt: string): Promise<RestorePoint> {
  const table = tableNameOf(source.table);
  let desc;
  try {
    desc = (await ddb.send(new DescribeContinuousBackupsCommand({ TableName: table }))).ContinuousBackupsDescription;
  } catch (err) {
    const name = awsErrorName(err);
    if (name === 'TableNotFoundException' || name === 'ResourceNotFoundException') throw ApplicationFailure.nonRetryable(`source table ${table} not found`, DynamoDrillFailures.sourceNotFound);
    throw toActivityFailure('DescribeContinuousBackups', err);
  }
  const pitr = desc?.PointInTimeRecoveryDescription;
  if (pitr?.PointInTimeRecoveryStatus !== 'ENABLED') {
    throw ApplicationFailure.nonRetryable(`point-in-time recovery is not enabled on ${table}`, DynamoDrillFailures.pitrDisabled);
  }
  const earliest = pitr.EarliestRestorableDateTime?.getTime();
  const latest = pitr.LatestRestorableDateTime?.getTime();
  if (earliest === undefined || latest === undefined) throw ApplicationFailure.nonRetryable(`${table} reports no restorable window`, DynamoDrillFailures.noRestorePoint);
  const at = source.restoreAgoMs === undefined ? latest : Date.parse(drillStartedAt) - source.restoreAgoMs;
  if (!Number.isFinite(at) || at < earliest || at > latest) {
    throw ApplicationFailure.nonRetryable(
      `${new Date(at).toISOString()} is outside the restorable window of ${table} (${new Date(earliest).toISOString()} to ${new Date(latest).toISOString()})`,
      DynamoDrillFailures.invalidRestoreTime,
    );
  }
  return { time: new Date(at).toISOString(), ref: 'point-in-time', basis: 'point-in-time' };
}

function restoreFailure(err: unknown, source: DynamoSource, point: RestorePoint): ApplicationFailure {
  const name = awsErrorName(err);
  const msg = err instanceof Error ? err.message : String(err);
  switch (name) {
    case 'PointInTimeRecoveryUnavailableException':
      return ApplicationFailure.nonRetryable(`point-in-time recovery is not enabled on ${source.table}: ${msg}`, DynamoDrillFailures.pitrDisabled);
    case 'InvalidRestoreTimeException':
      return ApplicationFailure.nonRetryable(`restore of ${source.table} to ${point.time} refused: ${msg}`, DynamoDrillFailures.invalidRestoreTime);
    case 'BackupNotFoundException':
      return ApplicationFailure.nonRetryable(`backup ${point.ref} not found: ${msg}`, DynamoDrillFailures.noRestorePoint);
    case 'SourceTableNotFoundException':
    case 'TableNotFoundException':
      return ApplicationFailure.nonRetryable(`source table ${source.table} not found: ${msg}`, DynamoDrillFailures.sourceNotFound);
    default:
      return toActivityFailure(source.type === 'dynamodb-backup' ? 'RestoreTableFromBackup' : 'RestoreTableToPointInTime', err);
  }
}

/** Where AWS says the restore came back to: the PITR time, or the backup's creation. */
async function restorePointOf(ddb: DynamoDBClient, t: TableDescription): Promise<RestorePoint | undefined> {
  const r = t.RestoreSummary;
  if (!r) return undefined;
  if (r.SourceBackupArn) {
    const made = await ddb
      .send(new DescribeBackupCommand({ BackupArn: r.SourceBackupArn }))
      .then((o) => o.BackupDescription?.BackupDetails?.BackupCreationDateTime)
      .catch(() => undefined);
    return made ? { time: made.toISOString(), ref: r.SourceBackupArn, basis: 'backup' } : undefined;
  }
  return r.RestoreDateTime ? { time: r.RestoreDateTime.toISOString(), ref: 'point-in-time', basis: 'point-in-time' } : undefined;
}

/** An item's timestamp: an ISO string, or a number of epoch seconds (or milliseconds, if that large). */
function timestampOf(v: AttributeValue): number | undefined {
  if (v.S !== undefined) {
    const ms = Date.parse(v.S);
    return Number.isFinite(ms) ? ms : undefined;
  }
  if (v.N !== undefined) {
    const n = Number(v.N);
    if (!Number.isFinite(n)) return undefined;
    return n > 1e11 ? n : n * 1000;
  }
  return undefined;
}
