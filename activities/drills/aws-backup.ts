// AWS Backup restore-drill activities (source `backup-recovery-point`): choose the recovery point of
// the resource in the vault, restore it with an AWS Backup restore job into the scratch resource
// `sg-drill-…` (an RDS instance or a DynamoDB table, as the resource is), wait for the job and the
// resource, delete the resource again, and report the validation result back to the job
// (PutRestoreValidationResult). Every call runs as the account's execution role; AWS Backup
// restores with the drill's `iamRoleArn`.
//
// Invariant: the source resource is never named by a mutating call: StartRestoreJob names the
// recovery point and the scratch resource, tagging and deleting name the scratch resource only.
//
// Crash safety: StartRestoreJob carries an IdempotencyToken derived from the drill run, scratch name
// and recovery point, so a retry after a worker crash gets the same restore job back instead of a
// second restore. Restore jobs take no tags, so startRestore tags the resource once the job has
// created it; a scratch resource left untagged by a crash before that is recognised as this run's
// by the restore job that created it (same source, created after the drill started).
import { createHash } from 'node:crypto';
import {
  DescribeRecoveryPointCommand,
  DescribeRestoreJobCommand,
  ListRecoveryPointsByBackupVaultCommand,
  ListRestoreJobsCommand,
  PutRestoreValidationResultCommand,
  StartRestoreJobCommand,
} from '@aws-sdk/client-backup';
import type { BackupClient, DescribeRestoreJobCommandOutput, RecoveryPointByBackupVault } from '@aws-sdk/client-backup';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AddTagsToResourceCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import type { DBInstance, RDSClient } from '@aws-sdk/client-rds';
import { ApplicationFailure } from '@temporalio/activity';
import { accountClients } from '../aws/clients';
import type { AwsClients } from '../aws/clients';
import { awsCall, awsErrorName, toActivityFailure } from '../aws/errors';
import { pause } from '../heartbeat';
import { DRILL_CREATED_TAG, DRILL_RUN_TAG } from '../../workflows/restore-drill/targets';
import type { DrillSource, RestoreDrillTarget, RestorePoint, ScratchRef } from '../../workflows/restore-drill/targets';
import { createDynamoDrillActivities, describeTable, scratchExists, scratchTags, tagScratch, tagsOf, waitTableRestored } from './dynamodb';
import { createRdsDrillActivities } from './rds';
import { DrillFailures } from './types';
import type {
  DrillSourceActivities,
  DrillSourceDeps,
  PreparedRestore,
  PrepareRestoreInput,
  ReportValidationInput,
  RestoredResource,
  StartedRestore,
  StartRestoreInput,
  TeardownInput,
  TeardownReceipt,
  WaitRestoredInput,
} from './types';

export type BackupDrillDeps = DrillSourceDeps;

/** The failure types these activities throw on purpose (types.ts: one list for every family). */
export const BackupDrillFailures = DrillFailures;

const DEFAULT_POLL_MS = 5_000;
const CLOCK_SKEW_MS = 5 * 60_000;
/** PutRestoreValidationResult's message is kept short (the evidence has the full output). */
const MAX_VALIDATION_MESSAGE = 1_000;

type BackupSource = Extract<DrillSource, { type: 'backup-recovery-point' }>;

interface BackedUpResource {
  type: ScratchRef['type'];
  /** DB instance identifier or table name. */
  name: string;
}

/** `arn:aws:rds:…:db:<id>` or `arn:aws:dynamodb:…:table/<name>` → what it restores into. */
export function backedUpResource(arn: string): BackedUpResource | undefined {
  const rds = /^arn:aws[\w-]*:rds:[a-z0-9-]*:\d{12}:db:([^:/]+)$/.exec(arn);
  if (rds?.[1]) return { type: 'rds-instance', name: rds[1] };
  const ddb = /^arn:aws[\w-]*:dynamodb:[a-z0-9-]*:\d{12}:table\/([^/]+)$/.exec(arn);
  if (ddb?.[1]) return { type: 'dynamodb-table', name: ddb[1] };
  return undefined;
}

/** The same run, scratch and recovery point always make the same token (AWS Backup dedupes on it). */
export function restoreIdempotencyToken(runId: string, scratchName: string, recoveryPointArn: string): string {
  return `sg-${createHash('sha256').update(`${runId}\n${scratchName}\n${recoveryPointArn}`).digest('hex').slice(0, 40)}`;
}

export function createBackupDrillActivities(deps: BackupDrillDeps): DrillSourceActivities {
  const { aws } = deps;
  const log = deps.logger.child({ component: 'drills.aws-backup' });
  const rdsFamily = createRdsDrillActivities(deps);
  const dynamoFamily = createDynamoDrillActivities(deps);

  /**
   * This run's scratch resource: tagged with the run, or untagged but created by a restore job of
   * this drill's source since the drill started. Undefined if none; throws on a collision.
   */
  async function mine(
    clients: { rds: RDSClient; dynamodb: DynamoDBClient; backup: BackupClient },
    input: PrepareRestoreInput,
    source: BackupSource,
    target: BackedUpResource,
  ): Promise<{ arn: string; restoreJobId?: string; createdAt?: string } | undefined> {
    const existing = await findScratch(clients, target.type, input.scratchName);
    if (!existing) return undefined;
    const job = await restoreJobFor(clients.backup, existing.arn, source, input.drillStartedAt);
    const runTag = existing.tags[DRILL_RUN_TAG];
    if (runTag === input.runId || (runTag === undefined && job !== undefined)) {
      const createdAt = existing.tags[DRILL_CREATED_TAG];
      return { arn: existing.arn, ...(job ? { restoreJobId: job } : {}), ...(createdAt ? { createdAt } : {}) };
    }
    throw scratchExists(input.scratchName, runTag);
  }

  async function tag(clients: { rds: RDSClient; dynamodb: DynamoDBClient }, type: ScratchRef['type'], arn: string, tags: Record<string, string>): Promise<void> {
    if (type === 'dynamodb-table') return tagScratch(clients.dynamodb, arn, tags);
    await awsCall('AddTagsToResource', () => clients.rds.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) })));
  }

  return {
    async prepareRestore(input: PrepareRestoreInput): Promise<PreparedRestore> {
      const source = backupSource(input.drill);
      const target = targetOf(source);
      assertNotSource(input.scratchName, target);
      const clients = await accountClients(aws, input.drill);
      const restorePoint = await chooseRecoveryPoint(clients.backup, source);
      const existing = await mine(clients, input, source, target);
      log.info({ drill: input.drill.name, scratch: input.scratchName, restorePoint, alreadyStarted: existing !== undefined }, 'restore prepared');
      return { restorePoint, alreadyStarted: existing !== undefined };
    },

    async startRestore(input: StartRestoreInput): Promise<StartedRestore> {
      const source = backupSource(input.drill);
      const target = targetOf(source);
      assertNotSource(input.scratchName, target);
      const clients = await accountClients(aws, input.drill);
      const existing = await mine(clients, input, source, target);
      const requestedAt = new Date().toISOString();
      const token = restoreIdempotencyToken(input.runId, input.scratchName, input.restorePoint.ref);
      // With the token, asking again is how a retry finds its job: AWS Backup answers with the same id.
      let restoreJobId = existing?.restoreJobId;
      if (!existing || restoreJobId === undefined) {
        const metadata: Record<string, string> =
          target.type === 'rds-instance'
            ? {
                DBInstanceIdentifier: input.scratchName,
                ...(input.drill.scratch.instanceClass ? { DBInstanceClass: input.drill.scratch.instanceClass } : {}),
                ...(input.drill.scratch.subnetGroup ? { DBSubnetGroupName: input.drill.scratch.subnetGroup } : {}),
              }
            : { targetTableName: input.scratchName };
        try {
          const out = await clients.backup.send(
            new StartRestoreJobCommand({
              RecoveryPointArn: input.restorePoint.ref,
              Metadata: metadata,
              IamRoleArn: source.iamRoleArn,
              IdempotencyToken: token,
              ResourceType: target.type === 'rds-instance' ? 'RDS' : 'DynamoDB',
            }),
          );
          restoreJobId = out.RestoreJobId;
        } catch (err) {
          throw startFailure(err, input.restorePoint);
        }
      }
      if (!restoreJobId) throw ApplicationFailure.create({ type: 'AwsError', message: 'StartRestoreJob returned no restore job id' });
      // Restore jobs take no tags: tag the resource as soon as the job has created it.
      const arn = existing?.arn ?? (await createdResource(clients.backup, restoreJobId, 1_000));
      const createdAt = existing?.createdAt ?? requestedAt;
      await tag(clients, target.type, arn, scratchTags(input.drill, input.runId, createdAt));
      log.info({ drill: input.drill.name, scratch: input.scratchName, restoreJobId, restorePoint: input.restorePoint, adopted: existing !== undefined }, 'restore job started');
      return { scratch: { type: target.type, name: input.scratchName, arn }, restoreJobId, requestedAt: existing ? createdAt : requestedAt };
    },

    async waitRestored(input: WaitRestoredInput): Promise<RestoredResource> {
      const source = backupSource(input.drill);
      const clients = await accountClients(aws, input.drill);
      const pollMs = input.pollMs ?? DEFAULT_POLL_MS;
      let restorePoint: RestorePoint | undefined;
      if (input.restoreJobId !== undefined) {
        const job = await jobEnded(clients.backup, input.restoreJobId, pollMs);
        if (job.RecoveryPointCreationDate) restorePoint = { time: job.RecoveryPointCreationDate.toISOString(), ref: job.RecoveryPointArn ?? source.recoveryPointArn ?? '', basis: 'recovery-point' };
      }
      const restored =
        input.scratch.type === 'dynamodb-table'
          ? await waitTableRestored(clients.dynamodb, input.scratch, pollMs)
          : await rdsFamily.waitRestored({ ...input, pollMs });
      const { restorePoint: _fromResource, ...rest } = restored;
      return { ...rest, ...(restorePoint ? { restorePoint } : {}) };
    },

    async teardownScratch(input: TeardownInput): Promise<TeardownReceipt> {
      // The families refuse anything but sg-drill-*; the source is never an sg-drill- name (the policy refuses it).
      return input.scratch.type === 'dynamodb-table' ? dynamoFamily.teardownScratch(input) : rdsFamily.teardownScratch(input);
    },
  };
}

/** Records the drill's validation on the AWS Backup restore job (idempotent: the last result stands). */
export async function reportBackupValidation(aws: AwsClients, input: ReportValidationInput): Promise<void> {
  const { backup } = await accountClients(aws, input.drill);
  const message = input.message.length > MAX_VALIDATION_MESSAGE ? `${input.message.slice(0, MAX_VALIDATION_MESSAGE - 1)}…` : input.message;
  try {
    await backup.send(new PutRestoreValidationResultCommand({ RestoreJobId: input.restoreJobId, ValidationStatus: input.status, ValidationStatusMessage: message }));
  } catch (err) {
    const name = awsErrorName(err);
    if (name === 'ResourceNotFoundException' || name === 'InvalidRequestException' || name === 'InvalidParameterValueException') {
      throw ApplicationFailure.nonRetryable(`PutRestoreValidationResult on ${input.restoreJobId}: ${name}: ${(err as Error).message}`, `Aws${name.replace(/Exception$/, '')}`);
    }
    throw toActivityFailure('PutRestoreValidationResult', err);
  }
}

// ---- internals ----

function backupSource(drill: RestoreDrillTarget): BackupSource {
  if (drill.source.type !== 'backup-recovery-point') {
    throw ApplicationFailure.nonRetryable(`drill ${drill.name}: source ${drill.source.type} is not an AWS Backup recovery point`, BackupDrillFailures.unsupportedSource);
  }
  return drill.source;
}

function targetOf(source: BackupSource): BackedUpResource {
  const r = backedUpResource(source.resourceArn);
  if (!r) throw ApplicationFailure.nonRetryable(`${source.resourceArn} is neither an RDS instance nor a DynamoDB table`, BackupDrillFailures.unsupportedSource);
  return r;
}

function assertNotSource(scratchName: string, source: BackedUpResource): void {
  if (scratchName === source.name) throw ApplicationFailure.nonRetryable(`the scratch resource ${scratchName} is the source itself: refusing`, BackupDrillFailures.scratchIsSource);
}

async function chooseRecoveryPoint(backup: BackupClient, source: BackupSource): Promise<RestorePoint> {
  if (source.recoveryPointArn !== undefined) {
    let rp;
    try {
      rp = await backup.send(new DescribeRecoveryPointCommand({ BackupVaultName: source.vault, RecoveryPointArn: source.recoveryPointArn }));
    } catch (err) {
      if (awsErrorName(err) === 'ResourceNotFoundException') {
        throw ApplicationFailure.nonRetryable(`recovery point ${source.recoveryPointArn} (or vault ${source.vault}) not found`, BackupDrillFailures.noRestorePoint);
      }
      throw toActivityFailure('DescribeRecoveryPoint', err);
    }
    if (rp.ResourceArn !== source.resourceArn) {
      throw ApplicationFailure.nonRetryable(`recovery point ${source.recoveryPointArn} is of ${rp.ResourceArn ?? 'an unknown resource'}, not ${source.resourceArn}`, BackupDrillFailures.noRestorePoint);
    }
    if (rp.Status !== 'COMPLETED' || !rp.CreationDate) {
      throw ApplicationFailure.nonRetryable(`recovery point ${source.recoveryPointArn} is ${rp.Status ?? 'unknown'}, not COMPLETED`, BackupDrillFailures.noRestorePoint);
    }
    return { time: rp.CreationDate.toISOString(), ref: source.recoveryPointArn, basis: 'recovery-point' };
  }
  const points: RecoveryPointByBackupVault[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await backup.send(new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: source.vault, ByResourceArn: source.resourceArn, ...(token ? { NextToken: token } : {}) }));
    } catch (err) {
      if (awsErrorName(err) === 'ResourceNotFoundException') throw ApplicationFailure.nonRetryable(`backup vault ${source.vault} not found`, BackupDrillFailures.sourceNotFound);
      throw toActivityFailure('ListRecoveryPointsByBackupVault', err);
    }
    points.push(...(page.RecoveryPoints ?? []));
    token = page.NextToken;
  } while (token);
  const newest = points
    .filter((p) => p.Status === 'COMPLETED' && p.RecoveryPointArn && p.CreationDate && p.ResourceArn === source.resourceArn)
    .sort((a, b) => (b.CreationDate?.getTime() ?? 0) - (a.CreationDate?.getTime() ?? 0))[0];
  if (!newest?.RecoveryPointArn || !newest.CreationDate) {
    throw ApplicationFailure.nonRetryable(`vault ${source.vault} has no COMPLETED recovery point of ${source.resourceArn}`, BackupDrillFailures.noRestorePoint);
  }
  return { time: newest.CreationDate.toISOString(), ref: newest.RecoveryPointArn, basis: 'recovery-point' };
}

function startFailure(err: unknown, point: RestorePoint): ApplicationFailure {
  const name = awsErrorName(err);
  const msg = err instanceof Error ? err.message : String(err);
  if (name === 'ResourceNotFoundException') return ApplicationFailure.nonRetryable(`recovery point ${point.ref} not found: ${msg}`, BackupDrillFailures.noRestorePoint);
  if (name === 'InvalidParameterValueException' || name === 'MissingParameterValueException' || name === 'InvalidRequestException') {
    return ApplicationFailure.nonRetryable(`AWS Backup refused the restore of ${point.ref}: ${name}: ${msg}`, BackupDrillFailures.restoreRefused);
  }
  return toActivityFailure('StartRestoreJob', err);
}

async function describeJob(backup: BackupClient, id: string): Promise<DescribeRestoreJobCommandOutput> {
  return awsCall('DescribeRestoreJob', () => backup.send(new DescribeRestoreJobCommand({ RestoreJobId: id })));
}

function jobFailure(job: DescribeRestoreJobCommandOutput): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`restore job ${job.RestoreJobId ?? ''} ended ${job.Status ?? 'unknown'}: ${job.StatusMessage ?? 'no reason given'}`, BackupDrillFailures.restoreFailed);
}

/** Polls the job until it names the resource it created (heartbeating). */
async function createdResource(backup: BackupClient, id: string, pollMs: number): Promise<string> {
  for (;;) {
    const job = await describeJob(backup, id);
    if (job.Status === 'FAILED' || job.Status === 'ABORTED') throw jobFailure(job);
    if (job.CreatedResourceArn) return job.CreatedResourceArn;
    await pause(pollMs);
  }
}

/** Polls the job until COMPLETED (heartbeating); RestoreFailed if it fails. */
async function jobEnded(backup: BackupClient, id: string, pollMs: number): Promise<DescribeRestoreJobCommandOutput> {
  for (;;) {
    const job = await describeJob(backup, id);
    if (job.Status === 'COMPLETED') return job;
    if (job.Status === 'FAILED' || job.Status === 'ABORTED') throw jobFailure(job);
    await pause(pollMs);
  }
}

/** The restore job (since the drill started, from this drill's source) that created `arn`. */
async function restoreJobFor(backup: BackupClient, arn: string, source: BackupSource, drillStartedAt: string): Promise<string | undefined> {
  let token: string | undefined;
  do {
    const page = await awsCall('ListRestoreJobs', () =>
      backup.send(new ListRestoreJobsCommand({ ByCreatedAfter: new Date(Date.parse(drillStartedAt) - CLOCK_SKEW_MS), ...(token ? { NextToken: token } : {}) })),
    );
    const job = (page.RestoreJobs ?? []).find((j) => j.CreatedResourceArn === arn && (j.SourceResourceArn === undefined || j.SourceResourceArn === source.resourceArn));
    if (job?.RestoreJobId) return job.RestoreJobId;
    token = page.NextToken;
  } while (token);
  return undefined;
}

async function findScratch(
  clients: { rds: RDSClient; dynamodb: DynamoDBClient },
  type: ScratchRef['type'],
  name: string,
): Promise<{ arn: string; tags: Record<string, string> } | undefined> {
  if (type === 'dynamodb-table') {
    const t = await describeTable(clients.dynamodb, name);
    return t?.TableArn ? { arn: t.TableArn, tags: await tagsOf(clients.dynamodb, t.TableArn) } : undefined;
  }
  let instance: DBInstance | undefined;
  try {
    instance = (await clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: name }))).DBInstances?.[0];
  } catch (err) {
    if (awsErrorName(err) === 'DBInstanceNotFound' || awsErrorName(err) === 'DBInstanceNotFoundFault') return undefined;
    throw toActivityFailure('DescribeDBInstances', err);
  }
  if (!instance?.DBInstanceArn) return undefined;
  const tags: Record<string, string> = {};
  for (const t of instance.TagList ?? []) if (t.Key !== undefined && t.Value !== undefined) tags[t.Key] = t.Value;
  return { arn: instance.DBInstanceArn, tags };
}
