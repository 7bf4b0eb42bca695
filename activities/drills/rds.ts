// RDS restore-drill activities (sources `rds-snapshot` and `rds-point-in-time`): choose the restore
// point, restore it into the scratch instance `sg-drill-…`, wait until it is available, and delete
// it again. Every call runs as the account's execution role.
//
// Invariant: the source instance is only ever read. The only mutating calls here are the two
// restores, which name the scratch instance as their target, and DeleteDBInstance, which refuses any
// name that does not start with `sg-drill-` (and the source's, whatever it is called).
//
// Crash safety (types.ts): a scratch instance of the given name tagged with this drill run is this
// run's own restore, so prepareRestore reports it and startRestore returns it instead of restoring
// twice; teardown treats "not found" as gone and "deleting" as already asked.
import {
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import type { DBInstance, DBSnapshot, RDSClient, Tag } from '@aws-sdk/client-rds';
import { ApplicationFailure } from '@temporalio/activity';
import { accountClients } from '../aws/clients';
import type { AwsClients } from '../aws/clients';
import { awsCall, awsErrorName, toActivityFailure } from '../aws/errors';
import { pause } from '../heartbeat';
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
  WaitRestoredInput,
} from './types';

export type RdsDrillDeps = DrillSourceDeps;

/** The failure types these activities throw on purpose (types.ts: one list for every family). */
export const RdsDrillFailures = DrillFailures;

/** States a restored instance does not leave without a person (AWS's DB instance status list). */
const STUCK_STATES = new Set([
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'incompatible-option-group',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'storage-full',
]);
const DAY_MS = 86_400_000;
const DEFAULT_POLL_MS = 5_000;

type RdsSource = Extract<DrillSource, { type: 'rds-snapshot' | 'rds-point-in-time' }>;

export function createRdsDrillActivities(deps: RdsDrillDeps): DrillSourceActivities & { listRdsScratch(account: AccountRef): Promise<ScratchListing[]> } {
  const { aws } = deps;
  const log = deps.logger.child({ component: 'drills.rds' });

  return {
    async prepareRestore(input: PrepareRestoreInput): Promise<PreparedRestore> {
      const source = rdsSource(input.drill);
      assertNotSource(input.scratchName, source);
      const { rds } = await accountClients(aws, input.drill);
      const existing = await findInstance(rds, input.scratchName);
      const alreadyStarted = existing !== undefined && ownedBy(existing, input.runId);
      if (existing && !alreadyStarted) throw scratchExists(input.scratchName, existing);
      const restorePoint = source.type === 'rds-snapshot' ? await chooseSnapshot(rds, source) : await choosePointInTime(rds, source, input.drillStartedAt);
      log.info({ drill: input.drill.name, scratch: input.scratchName, restorePoint, alreadyStarted }, 'restore prepared');
      return { restorePoint, alreadyStarted };
    },

    async startRestore(input: StartRestoreInput): Promise<StartedRestore> {
      const source = rdsSource(input.drill);
      assertNotSource(input.scratchName, source);
      const { rds } = await accountClients(aws, input.drill);
      const mine = await ownInstance(rds, input.scratchName, input.runId);
      if (mine) return mine;
      const requestedAt = new Date().toISOString();
      const tags = scratchTags(input.drill, input.runId, requestedAt);
      const common = {
        DBInstanceClass: input.drill.scratch.instanceClass,
        DBSubnetGroupName: input.drill.scratch.subnetGroup,
        Tags: tags,
        // A scratch copy of patient data is never reachable from outside its VPC nor kept by accident.
        PubliclyAccessible: false,
        DeletionProtection: false,
        MultiAZ: false,
      };
      let instance: DBInstance | undefined;
      try {
        if (source.type === 'rds-snapshot') {
          const out = await rds.send(new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: input.scratchName, DBSnapshotIdentifier: input.restorePoint.ref, ...common }));
          instance = out.DBInstance;
        } else {
          const out = await rds.send(
            new RestoreDBInstanceToPointInTimeCommand({
              SourceDBInstanceIdentifier: source.dbInstance,
              TargetDBInstanceIdentifier: input.scratchName,
              // The prepared time, not UseLatestRestorableTime: the restore point is then known exactly (RPO).
              RestoreTime: new Date(input.restorePoint.time),
              ...common,
            }),
          );
          instance = out.DBInstance;
        }
      } catch (err) {
        const name = errorName(err);
        if (name === 'DBInstanceAlreadyExists') {
          // A concurrent attempt of this run got there first, or someone else did.
          const raced = await ownInstance(rds, input.scratchName, input.runId);
          if (raced) return raced;
          throw ApplicationFailure.nonRetryable(`${input.scratchName} already exists and is not this drill run's`, RdsDrillFailures.scratchExists);
        }
        if (name === 'InvalidRestore') throw ApplicationFailure.nonRetryable(`restore of ${source.dbInstance} to ${input.restorePoint.time} refused: ${message(err)}`, RdsDrillFailures.invalidRestoreTime);
        if (name === 'DBSnapshotNotFound') throw ApplicationFailure.nonRetryable(`snapshot ${input.restorePoint.ref} not found: ${message(err)}`, RdsDrillFailures.noRestorePoint);
        if (name === 'DBInstanceNotFound') throw ApplicationFailure.nonRetryable(`source ${source.dbInstance} not found: ${message(err)}`, RdsDrillFailures.sourceNotFound);
        throw toActivityFailure(source.type === 'rds-snapshot' ? 'RestoreDBInstanceFromDBSnapshot' : 'RestoreDBInstanceToPointInTime', err);
      }
      log.info({ drill: input.drill.name, scratch: input.scratchName, restorePoint: input.restorePoint, status: instance?.DBInstanceStatus }, 'restore requested');
      return { scratch: scratchRef(input.scratchName, instance), requestedAt };
    },

    async waitRestored(input: WaitRestoredInput): Promise<RestoredResource> {
      const { rds } = await accountClients(aws, input.drill);
      const name = input.scratch.name;
      const pollMs = input.pollMs ?? DEFAULT_POLL_MS;
      for (;;) {
        const instance = await findInstance(rds, name);
        const status = instance?.DBInstanceStatus ?? 'gone';
        if (!instance || status === 'deleting') throw ApplicationFailure.nonRetryable(`${name} is ${status} while the drill waits for it to become available`, RdsDrillFailures.scratchGone);
        if (status === 'available') {
          const address = instance.Endpoint?.Address;
          return {
            scratch: scratchRef(name, instance),
            availableAt: new Date().toISOString(),
            ...(address ? { endpoint: `${address}:${instance.Endpoint?.Port ?? 5432}` } : {}),
          };
        }
        if (STUCK_STATES.has(status)) throw ApplicationFailure.nonRetryable(`the restore of ${name} ended ${status}: it will not become available`, RdsDrillFailures.restoreFailed);
        await pause(pollMs);
      }
    },

    async teardownScratch(input: TeardownInput): Promise<TeardownReceipt> {
      const name = input.scratch.name;
      // Checked before any AWS call: nothing but a scratch instance is ever deleted.
      // (The sweeper passes only the account; a drill's own teardown passes the drill, source included.)
      const source = 'source' in input.drill ? (input.drill as RestoreDrillTarget).source : undefined;
      if (!name.startsWith(SCRATCH_PREFIX) || (source !== undefined && isRdsSource(source) && source.dbInstance === name)) {
        throw ApplicationFailure.nonRetryable(`refusing to delete ${name}: only ${SCRATCH_PREFIX}* scratch instances are deleted`, RdsDrillFailures.notScratch);
      }
      const { rds } = await accountClients(aws, input.drill);
      const pollMs = input.pollMs ?? DEFAULT_POLL_MS;
      let deleteRequested = false;
      const instance = await findInstance(rds, name);
      if (instance && instance.DBInstanceStatus !== 'deleting') {
        try {
          await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: name, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }));
          deleteRequested = true;
          log.info({ account: input.drill.accountId, scratch: name }, 'scratch delete requested');
        } catch (err) {
          const errName = errorName(err);
          // Gone, or being deleted by an earlier attempt: both are what this call wanted.
          if (errName !== 'DBInstanceNotFound' && !(errName === 'InvalidDBInstanceState' && (await findInstance(rds, name))?.DBInstanceStatus === 'deleting')) {
            throw toActivityFailure('DeleteDBInstance', err);
          }
        }
      }
      while ((await findInstance(rds, name)) !== undefined) await pause(pollMs);
      return { scratch: input.scratch, deleteRequested, goneAt: new Date().toISOString() };
    },

    listRdsScratch: (account) => listRdsScratch(aws, account),
  };
}

/** Every DB instance named `sg-drill-*` in the account, with its drill tags (the sweeper's view). */
export async function listRdsScratch(aws: AwsClients, account: AccountRef): Promise<ScratchListing[]> {
  const { rds } = await accountClients(aws, account);
  const out: ScratchListing[] = [];
  let marker: string | undefined;
  do {
    const page = await awsCall('DescribeDBInstances', () => rds.send(new DescribeDBInstancesCommand({ ...(marker ? { Marker: marker } : {}) })));
    for (const i of page.DBInstances ?? []) {
      const name = i.DBInstanceIdentifier;
      if (!name?.startsWith(SCRATCH_PREFIX)) continue;
      const runId = tagOf(i, DRILL_RUN_TAG);
      const drill = tagOf(i, DRILL_TAG);
      out.push({
        scratch: scratchRef(name, i),
        ...(runId !== undefined ? { runId } : {}),
        ...(drill !== undefined ? { drill } : {}),
        createdAt: tagOf(i, DRILL_CREATED_TAG) ?? i.InstanceCreateTime?.toISOString() ?? '',
        status: i.DBInstanceStatus ?? 'unknown',
      });
    }
    marker = page.Marker;
  } while (marker);
  return out;
}

function rdsSource(drill: RestoreDrillTarget): RdsSource {
  if (!isRdsSource(drill.source)) throw ApplicationFailure.nonRetryable(`drill ${drill.name}: source ${drill.source.type} is not an RDS source`, RdsDrillFailures.unsupportedSource);
  return drill.source;
}

function isRdsSource(s: DrillSource): s is RdsSource {
  return s.type === 'rds-snapshot' || s.type === 'rds-point-in-time';
}

function assertNotSource(scratchName: string, source: RdsSource): void {
  if (scratchName === source.dbInstance) throw ApplicationFailure.nonRetryable(`the scratch name ${scratchName} is the source instance's`, RdsDrillFailures.scratchIsSource);
}

/** The instance of that name, or undefined when RDS does not know it. */
async function findInstance(rds: RDSClient, name: string): Promise<DBInstance | undefined> {
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: name }));
    return out.DBInstances?.[0];
  } catch (err) {
    if (errorName(err) === 'DBInstanceNotFound') return undefined;
    throw toActivityFailure('DescribeDBInstances', err);
  }
}

/** This run's scratch instance, if it exists already (a retry after a crash); throws if the name is someone else's. */
async function ownInstance(rds: RDSClient, name: string, runId: string): Promise<StartedRestore | undefined> {
  const existing = await findInstance(rds, name);
  if (!existing) return undefined;
  if (!ownedBy(existing, runId)) throw scratchExists(name, existing);
  return { scratch: scratchRef(name, existing), requestedAt: tagOf(existing, DRILL_CREATED_TAG) ?? existing.InstanceCreateTime?.toISOString() ?? new Date().toISOString() };
}

function ownedBy(instance: DBInstance, runId: string): boolean {
  return tagOf(instance, DRILL_RUN_TAG) === runId;
}

function scratchExists(name: string, instance: DBInstance): ApplicationFailure {
  const run = tagOf(instance, DRILL_RUN_TAG);
  return ApplicationFailure.nonRetryable(
    `${name} already exists (${instance.DBInstanceStatus ?? 'unknown status'}${run !== undefined ? `, drill run ${run}` : ', not a drill run’s'}): refusing to restore over it`,
    RdsDrillFailures.scratchExists,
  );
}

/** The newest available automated snapshot of the source, or the snapshot the drill names. */
async function chooseSnapshot(rds: RDSClient, source: Extract<RdsSource, { type: 'rds-snapshot' }>): Promise<RestorePoint> {
  if (source.snapshot !== undefined) {
    const named = source.snapshot;
    let snap: DBSnapshot | undefined;
    try {
      snap = (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: named }))).DBSnapshots?.[0];
    } catch (err) {
      if (errorName(err) !== 'DBSnapshotNotFound') throw toActivityFailure('DescribeDBSnapshots', err);
    }
    if (!snap) throw ApplicationFailure.nonRetryable(`snapshot ${named} of ${source.dbInstance} not found`, RdsDrillFailures.noRestorePoint);
    if (snap.DBInstanceIdentifier !== source.dbInstance) throw ApplicationFailure.nonRetryable(`snapshot ${named} is of ${snap.DBInstanceIdentifier ?? 'another instance'}, not ${source.dbInstance}`, RdsDrillFailures.noRestorePoint);
    if (snap.Status !== 'available' || !snap.SnapshotCreateTime) throw ApplicationFailure.nonRetryable(`snapshot ${named} is ${snap.Status ?? 'not available'}`, RdsDrillFailures.noRestorePoint);
    return { time: snap.SnapshotCreateTime.toISOString(), ref: named, basis: 'snapshot' };
  }
  const snapshots: DBSnapshot[] = [];
  let marker: string | undefined;
  do {
    let page;
    try {
      page = await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: source.dbInstance, SnapshotType: 'automated', ...(marker ? { Marker: marker } : {}) }));
    } catch (err) {
      if (errorName(err) === 'DBInstanceNotFound') throw ApplicationFailure.nonRetryable(`source ${source.dbInstance} not found`, RdsDrillFailures.sourceNotFound);
      throw toActivityFailure('DescribeDBSnapshots', err);
    }
    snapshots.push(...(page.DBSnapshots ?? []));
    marker = page.Marker;
  } while (marker);
  const newest = snapshots
    .filter((s) => s.Status === 'available' && s.SnapshotCreateTime !== undefined && s.DBSnapshotIdentifier !== undefined && s.DBInstanceIdentifier === source.dbInstance)
    .sort((a, b) => (b.SnapshotCreateTime?.getTime() ?? 0) - (a.SnapshotCreateTime?.getTime() ?? 0))[0];
  if (!newest?.SnapshotCreateTime || !newest.DBSnapshotIdentifier) {
    // No snapshot: is it because the source does not exist?
    const src = await findInstance(rds, source.dbInstance);
    if (!src) throw ApplicationFailure.nonRetryable(`source ${source.dbInstance} not found`, RdsDrillFailures.sourceNotFound);
    throw ApplicationFailure.nonRetryable(`${source.dbInstance} has no available automated snapshot`, RdsDrillFailures.noRestorePoint);
  }
  return { time: newest.SnapshotCreateTime.toISOString(), ref: newest.DBSnapshotIdentifier, basis: 'snapshot' };
}

/**
 * The source's latest restorable time, or `restoreAgoMs` before the drill started, which must lie
 * in the restorable window. The window's start is approximated as the later of the instance's
 * creation and the backup retention period ago (AWS's exact start is in
 * DescribeDBInstanceAutomatedBackups' RestoreWindow; RDS refuses anything outside anyway).
 */
async function choosePointInTime(rds: RDSClient, source: Extract<RdsSource, { type: 'rds-point-in-time' }>, drillStartedAt: string): Promise<RestorePoint> {
  const src = await findInstance(rds, source.dbInstance);
  if (!src) throw ApplicationFailure.nonRetryable(`source ${source.dbInstance} not found`, RdsDrillFailures.sourceNotFound);
  const latest = src.LatestRestorableTime?.getTime();
  if (latest === undefined || !((src.BackupRetentionPeriod ?? 0) > 0)) {
    throw ApplicationFailure.nonRetryable(`${source.dbInstance} has no restorable time (automated backups off, or the instance is ${src.DBInstanceStatus ?? 'unknown'})`, RdsDrillFailures.noRestorePoint);
  }
  if (source.restoreAgoMs === undefined) return { time: new Date(latest).toISOString(), ref: 'point-in-time', basis: 'point-in-time' };
  const time = Date.parse(drillStartedAt) - source.restoreAgoMs;
  const earliest = Math.max(src.InstanceCreateTime?.getTime() ?? 0, Date.now() - (src.BackupRetentionPeriod ?? 0) * DAY_MS);
  if (Number.isNaN(time) || time < earliest || time > latest) {
    throw ApplicationFailure.nonRetryable(
      `${new Date(Number.isNaN(time) ? 0 : time).toISOString()} is outside the restorable window of ${source.dbInstance} (${new Date(earliest).toISOString()} to ${new Date(latest).toISOString()})`,
      RdsDrillFailures.invalidRestoreTime,
    );
  }
  return { time: new Date(time).toISOString(), ref: 'point-in-time', basis: 'point-in-time' };
}

function scratchTags(drill: RestoreDrillTarget, runId: string, createdAt: string): Tag[] {
  const tags: Record<string, string> = { ...drill.scratch.tags, [DRILL_TAG]: drill.name, [DRILL_RUN_TAG]: runId, [DRILL_CREATED_TAG]: createdAt };
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

function scratchRef(name: string, instance: DBInstance | undefined): ScratchRef {
  return { type: 'rds-instance', name, ...(instance?.DBInstanceArn ? { arn: instance.DBInstanceArn } : {}) };
}

function tagOf(instance: DBInstance, key: string): string | undefined {
  return instance.TagList?.find((t) => t.Key === key)?.Value;
}

/** The RDS error code without the SDK's `Fault` suffix (`DBInstanceNotFoundFault` → `DBInstanceNotFound`). */
function errorName(err: unknown): string | undefined {
  return awsErrorName(err)?.replace(/Fault$/, '');
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
