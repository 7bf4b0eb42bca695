// AWS Backup recovery points and restore jobs, which moto 5.2.5 does not have (its backup module
// keeps vaults, plans and tags; the routes below answer 404 HTML there). Vaults stay moto's: every
// call here asks moto whether the vault exists. Served from the gateway, backed by moto's RDS
// snapshots and DynamoDB backups:
// - StartBackupJob: an RDS instance → CreateDBSnapshot, a DynamoDB table → CreateBackup, both
//   through the gateway's serve path (ServiceContext.invoke), so the RDS and DynamoDB modules see
//   them; the recovery point's ARN is the snapshot's or backup's, as in AWS. Completes at once.
// - ListRecoveryPointsByBackupVault (resourceArn/resourceType/created filters, paging),
//   DescribeRecoveryPoint, GetRecoveryPointRestoreMetadata, DescribeBackupJob.
// - StartRestoreJob: Metadata as AWS reads it (RDS `DBInstanceIdentifier`, optional
//   `DBInstanceClass` and `DBSubnetGroupName`; DynamoDB `targetTableName`), IamRoleArn required,
//   IdempotencyToken honoured (the same token returns the same job). The job is PENDING for
//   `restoreStartMs`, then makes the restore call (RestoreDBInstanceFromDBSnapshot /
//   RestoreTableFromBackup, again through the serve path so the restored resource goes through
//   its creating phase) and is RUNNING until that resource is available, then COMPLETED
//   (CreatedResourceArn, CompletionDate, PercentDone). A refused restore call (target exists …)
//   makes it FAILED with AWS's message, as AWS reports such failures on the job, not the call.
// - DescribeRestoreJob, ListRestoreJobs (status/resourceType/created filters, paging),
//   PutRestoreValidationResult (SUCCESSFUL/FAILED/TIMED_OUT/VALIDATING + message, COMPLETED jobs only).
// Errors are rest-json (x-amzn-ErrorType header, JSON body) with AWS Backup's codes.
// The restore acts as the caller of StartRestoreJob, not as IamRoleArn (the sandbox has no service
// principal to assume it with).

import { randomUUID } from 'node:crypto';
import { awsErrorReply, requestId } from '../faults';
import type { MotoKey } from '../moto-directory';
import { xmlText } from '../moto-query';
import { jsonBodyOf, jsonRequest, queryRequest, replyError, restRequest } from './internal-calls';
import { errorToReply } from './types';
import type { AwsCall, Handled, Reply, ServiceContext, ServiceHandler } from './types';

export const DEFAULT_RESTORE_START_MS = 500;
const RDS_VERSION = '2014-10-31';
const DDB_TARGET = 'DynamoDB_20120810';
const MAX_RESULTS = 1000;
const VALIDATION_STATUSES = new Set(['FAILED', 'SUCCESSFUL', 'TIMED_OUT', 'VALIDATING']);
const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

type ResourceType = 'RDS' | 'DynamoDB';

interface ParsedResource {
  type: ResourceType;
  name: string;
  arn: string;
}

interface RecoveryPoint {
  RecoveryPointArn: string;
  BackupVaultName: string;
  BackupVaultArn: string;
  ResourceArn: string;
  ResourceType: ResourceType;
  ResourceName: string;
  IamRoleArn: string;
  Status: 'COMPLETED';
  CreationDate: number;
  InitiationDate: number;
  CompletionDate: number;
  BackupSizeInBytes: number;
  IsEncrypted: boolean;
  IsParent: boolean;
  VaultType: 'BACKUP_VAULT';
  /** The RDS snapshot id (RDS recovery points). */
  snapshotId?: string;
  backupJobId: string;
}

type RestoreStatus = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'ABORTED';

interface RestoreJob {
  AccountId: string;
  RestoreJobId: string;
  RecoveryPointArn: string;
  SourceResourceArn: string;
  BackupVaultArn: string;
  CreationDate: number;
  CompletionDate?: number;
  Status: RestoreStatus;
  StatusMessage?: string;
  PercentDone: string;
  BackupSizeInBytes: number;
  IamRoleArn: string;
  CreatedResourceArn?: string;
  ResourceType: ResourceType;
  RecoveryPointCreationDate: number;
  ValidationStatus?: string;
  ValidationStatusMessage?: string;
  IsParent: boolean;
  /** Internal. */
  target: { name: string; instanceClass?: string; subnetGroup?: string };
  as: MotoKey;
}

export class BackupApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'BackupApiError';
  }
}

export interface BackupServiceOptions {
  /** How long a restore job stays PENDING before it starts restoring. Default 500 ms. */
  restoreStartMs?: number;
}

export interface StartBackupJobInput {
  BackupVaultName: string;
  ResourceArn: string;
  IamRoleArn: string;
}

export interface BackupService extends ServiceHandler {
  /** StartBackupJob without an AWS call (the seed's recovery points); returns the recovery point ARN. */
  startBackupJob(ctx: ServiceContext, as: MotoKey, input: StartBackupJobInput): Promise<string>;
  stop(): void;
}

/** `arn:aws:rds:r:a:db:<id>` or `arn:aws:dynamodb:r:a:table/<name>` → what AWS Backup backs up. */
export function parseBackupResource(arn: string): ParsedResource | undefined {
  const rds = /^arn:aws[\w-]*:rds:[a-z0-9-]+:\d{12}:db:([A-Za-z][A-Za-z0-9-]{0,62})$/.exec(arn);
  if (rds?.[1]) return { type: 'RDS', name: rds[1], arn };
  const ddb = /^arn:aws[\w-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/([A-Za-z0-9_.-]{3,255})$/.exec(arn);
  if (ddb?.[1]) return { type: 'DynamoDB', name: ddb[1], arn };
  return undefined;
}

function ok(body: unknown, status = 200): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId() },
    body: status === 204 ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body)),
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A query-string timestamp (the SDK sends ISO 8601; epoch seconds accepted too). */
function timeParam(v: unknown): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const n = Number(v);
  const ms = Number.isFinite(n) ? n * 1000 : Date.parse(v);
  if (!Number.isFinite(ms)) throw new BackupApiError('InvalidParameterValueException', `Invalid timestamp: ${v}`);
  return ms;
}

function page<T>(items: T[], params: Record<string, unknown>): { items: T[]; next?: string } {
  const rawMax = params['maxResults'];
  const max = rawMax === undefined ? MAX_RESULTS : Number(rawMax);
  if (!Number.isInteger(max) || max < 1 || max > MAX_RESULTS) throw new BackupApiError('InvalidParameterValueException', `maxResults must be between 1 and ${MAX_RESULTS}`);
  const token = str(params['nextToken']);
  const start = token === undefined ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(start) || start < 0) throw new BackupApiError('InvalidParameterValueException', 'Invalid nextToken');
  const slice = items.slice(start, start + max);
  return start + max < items.length ? { items: slice, next: Buffer.from(String(start + max)).toString('base64url') } : { items: slice };
}

/** Epoch ms → the epoch seconds rest-json bodies carry. */
const secs = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

export function backupService(opts: BackupServiceOptions = {}): BackupService {
  const restoreStartMs = opts.restoreStartMs ?? DEFAULT_RESTORE_START_MS;
  if (!Number.isFinite(restoreStartMs) || restoreStartMs < 0) throw new RangeError(`restoreStartMs must be ≥ 0, got ${restoreStartMs}`);
  const recoveryPoints = new Map<string, RecoveryPoint>();
  const restoreJobs = new Map<string, RestoreJob>();
  const restoreTokens = new Map<string, string>();
  const backupTokens = new Map<string, string>();
  const timers = new Set<NodeJS.Timeout>();

  async function vaultArn(ctx: ServiceContext, as: MotoKey, vault: string): Promise<string> {
    const res = await ctx.invoke(as, restRequest('backup', 'GET', `/backup-vaults/${encodeURIComponent(vault)}`));
    if (res.status !== 200) throw new BackupApiError('ResourceNotFoundException', `Backup vault ${vault} does not exist`);
    const arn = str(jsonBodyOf(res)['BackupVaultArn']);
    if (!arn) throw new Error(`moto described backup vault ${vault} without an ARN`);
    return arn;
  }

  async function startBackupJob(ctx: ServiceContext, as: MotoKey, input: StartBackupJobInput): Promise<RecoveryPoint> {
    const vault = str(input.BackupVaultName);
    if (!vault) throw new BackupApiError('MissingParameterValueException', 'BackupVaultName is required');
    if (!str(input.ResourceArn)) throw new BackupApiError('MissingParameterValueException', 'ResourceArn is required');
    if (!str(input.IamRoleArn)) throw new BackupApiError('MissingParameterValueException', 'IamRoleArn is required');
    if (!ROLE_ARN.test(input.IamRoleArn)) throw new BackupApiError('InvalidParameterValueException', `Invalid IAM role ARN: ${input.IamRoleArn}`);
    const resource = parseBackupResource(input.ResourceArn);
    if (!resource) throw new BackupApiError('InvalidParameterValueException', `Invalid ARN or unsupported resource type: ${input.ResourceArn}`);
    const BackupVaultArn = await vaultArn(ctx, as, vault);
    const backupJobId = randomUUID().toUpperCase();
    const started = ctx.now();
    let recoveryPointArn: string;
    let snapshotId: string | undefined;
    if (resource.type === 'RDS') {
      snapshotId = `awsbackup-job-${backupJobId.toLowerCase()}`;
      const res = await ctx.invoke(as, queryRequest('rds', RDS_VERSION, 'CreateDBSnapshot', { DBInstanceIdentifier: resource.name, DBSnapshotIdentifier: snapshotId }));
      if (res.status !== 200) throw notFoundOr(res, resource);
      recoveryPointArn = xmlText(res.body.toString('utf8'), 'DBSnapshotArn') ?? `arn:aws:rds:${ctx.region}:${accountOf(resource.arn)}:snapshot:${snapshotId}`;
    } else {
      const res = await ctx.invoke(as, jsonRequest('dynamodb', `${DDB_TARGET}.CreateBackup`, { TableName: resource.name, BackupName: `awsbackup-job-${backupJobId.toLowerCase()}` }));
      if (res.status !== 200) throw notFoundOr(res, resource);
      const arn = str((jsonBodyOf(res)['BackupDetails'] as Record<string, unknown> | undefined)?.['BackupArn']);
      if (!arn) throw new Error('moto created a DynamoDB backup without an ARN');
      recoveryPointArn = arn;
    }
    const done = ctx.now();
    const rp: RecoveryPoint = {
      RecoveryPointArn: recoveryPointArn,
      BackupVaultName: vault,
      BackupVaultArn,
      ResourceArn: resource.arn,
      ResourceType: resource.type,
      ResourceName: resource.name,
      IamRoleArn: input.IamRoleArn,
      Status: 'COMPLETED',
      CreationDate: started,
      InitiationDate: started,
      CompletionDate: done,
      BackupSizeInBytes: 0,
      IsEncrypted: false,
      IsParent: false,
      VaultType: 'BACKUP_VAULT',
      ...(snapshotId !== undefined ? { snapshotId } : {}),
      backupJobId,
    };
    recoveryPoints.set(recoveryPointArn, rp);
    ctx.log(`backup: recovery point ${recoveryPointArn} of ${resource.arn} in ${vault}`);
    return rp;
  }

  function notFoundOr(res: Reply, resource: ParsedResource): BackupApiError {
    const e = replyError(res);
    if (/NotFound/.test(e.code)) return new BackupApiError('ResourceNotFoundException', `Resource ${resource.arn} not found`);
    return new BackupApiError('InvalidRequestException', `Backing up ${resource.arn} failed: ${e.code}: ${e.message}`);
  }

  function accountOf(arn: string): string {
    return arn.split(':')[4] ?? '123456789012';
  }

  function recoveryPointView(rp: RecoveryPoint): Record<string, unknown> {
    const { snapshotId: _s, backupJobId: _b, ...wire } = rp;
    return { ...wire, CreationDate: secs(rp.CreationDate), InitiationDate: secs(rp.InitiationDate), CompletionDate: secs(rp.CompletionDate) };
  }

  function restoreJobView(job: RestoreJob): Record<string, unknown> {
    const { target: _t, as: _a, ...wire } = job;
    return {
      ...wire,
      CreationDate: secs(job.CreationDate),
      ...(job.CompletionDate !== undefined ? { CompletionDate: secs(job.CompletionDate) } : {}),
      RecoveryPointCreationDate: secs(job.RecoveryPointCreationDate),
    };
  }

  function fail(job: RestoreJob, message: string, now: number): void {
    job.Status = 'FAILED';
    job.StatusMessage = message;
    job.CompletionDate = now;
  }

  /** PENDING → the restore call → RUNNING (or FAILED). */
  async function begin(ctx: ServiceContext, job: RestoreJob): Promise<void> {
    const rp = recoveryPoints.get(job.RecoveryPointArn);
    if (!rp) return fail(job, 'The recovery point no longer exists', ctx.now());
    job.Status = 'RUNNING';
    job.PercentDone = '0.00%';
    let res: Reply;
    if (rp.ResourceType === 'RDS') {
      res = await ctx.invoke(
        job.as,
        queryRequest('rds', RDS_VERSION, 'RestoreDBInstanceFromDBSnapshot', {
          DBInstanceIdentifier: job.target.name,
          DBSnapshotIdentifier: rp.snapshotId ?? rp.RecoveryPointArn,
          DBInstanceClass: job.target.instanceClass,
          DBSubnetGroupName: job.target.subnetGroup,
        }),
      );
    } else {
      res = await ctx.invoke(job.as, jsonRequest('dynamodb', `${DDB_TARGET}.RestoreTableFromBackup`, { TargetTableName: job.target.name, BackupArn: rp.RecoveryPointArn }));
    }
    if (res.status !== 200) {
      const e = replyError(res);
      return fail(job, `${e.code}: ${e.message}`, ctx.now());
    }
    const text = res.body.toString('utf8');
    job.CreatedResourceArn =
      rp.ResourceType === 'RDS'
        ? (xmlText(text, 'DBInstanceArn') ?? `arn:aws:rds:${ctx.region}:${job.AccountId}:db:${job.target.name}`)
        : (str((jsonBodyOf(res)['TableDescription'] as Record<string, unknown> | undefined)?.['TableArn']) ?? `arn:aws:dynamodb:${ctx.region}:${job.AccountId}:table/${job.target.name}`);
    job.PercentDone = '50.00%';
    ctx.log(`backup: restore job ${job.RestoreJobId} restoring ${job.RecoveryPointArn} into ${job.target.name}`);
  }

  /** A RUNNING job is COMPLETED once its restored resource is available. */
  async function progress(ctx: ServiceContext, job: RestoreJob): Promise<void> {
    if (job.Status !== 'RUNNING' || job.CreatedResourceArn === undefined) return;
    const rds = job.ResourceType === 'RDS';
    const res = rds
      ? await ctx.invoke(job.as, queryRequest('rds', RDS_VERSION, 'DescribeDBInstances', { DBInstanceIdentifier: job.target.name }))
      : await ctx.invoke(job.as, jsonRequest('dynamodb', `${DDB_TARGET}.DescribeTable`, { TableName: job.target.name }));
    if (res.status !== 200) {
      const e = replyError(res);
      if (/NotFound/.test(e.code)) fail(job, `The restored resource ${job.target.name} was deleted before it became available`, ctx.now());
      return;
    }
    const status = rds ? xmlText(res.body.toString('utf8'), 'DBInstanceStatus') : str((jsonBodyOf(res)['Table'] as Record<string, unknown> | undefined)?.['TableStatus']);
    if (status === (rds ? 'available' : 'ACTIVE')) {
      job.Status = 'COMPLETED';
      job.PercentDone = '100.00%';
      job.CompletionDate = ctx.now();
    }
  }

  async function startRestoreJob(ctx: ServiceContext, call: AwsCall): Promise<Reply> {
    const p = call.info.params;
    const arn = str(p['RecoveryPointArn']);
    if (!arn) throw new BackupApiError('MissingParameterValueException', 'RecoveryPointArn is required');
    const metadata = p['Metadata'];
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw new BackupApiError('MissingParameterValueException', 'Metadata is required');
    const md = metadata as Record<string, unknown>;
    const role = str(p['IamRoleArn']);
    if (!role) throw new BackupApiError('MissingParameterValueException', 'IamRoleArn is required');
    if (!ROLE_ARN.test(role)) throw new BackupApiError('InvalidParameterValueException', `Invalid IAM role ARN: ${role}`);
    const token = str(p['IdempotencyToken']);
    const existing = token === undefined ? undefined : restoreTokens.get(token);
    if (existing !== undefined) return ok({ RestoreJobId: existing });
    const rp = recoveryPoints.get(arn);
    if (!rp) throw new BackupApiError('ResourceNotFoundException', `Recovery point ${arn} not found`);
    const type = str(p['ResourceType']);
    if (type !== undefined && type !== rp.ResourceType) throw new BackupApiError('InvalidParameterValueException', `ResourceType ${type} does not match the recovery point's (${rp.ResourceType})`);
    let target: RestoreJob['target'];
    if (rp.ResourceType === 'RDS') {
      const name = str(md['DBInstanceIdentifier']);
      if (!name) throw new BackupApiError('InvalidParameterValueException', 'Metadata must contain DBInstanceIdentifier to restore an RDS recovery point');
      const instanceClass = str(md['DBInstanceClass']);
      const subnetGroup = str(md['DBSubnetGroupName']);
      target = { name, ...(instanceClass ? { instanceClass } : {}), ...(subnetGroup ? { subnetGroup } : {}) };
    } else {
      const name = str(md['targetTableName']);
      if (!name) throw new BackupApiError('InvalidParameterValueException', 'Metadata must contain targetTableName to restore a DynamoDB recovery point');
      target = { name };
    }
    const job: RestoreJob = {
      AccountId: accountOf(rp.BackupVaultArn),
      RestoreJobId: randomUUID().toUpperCase(),
      RecoveryPointArn: rp.RecoveryPointArn,
      SourceResourceArn: rp.ResourceArn,
      BackupVaultArn: rp.BackupVaultArn,
      CreationDate: ctx.now(),
      Status: 'PENDING',
      PercentDone: '0.00%',
      BackupSizeInBytes: rp.BackupSizeInBytes,
      IamRoleArn: role,
      ResourceType: rp.ResourceType,
      RecoveryPointCreationDate: rp.CreationDate,
      IsParent: false,
      target,
      as: call.caller,
    };
    restoreJobs.set(job.RestoreJobId, job);
    if (token !== undefined) restoreTokens.set(token, job.RestoreJobId);
    const timer = setTimeout(() => {
      timers.delete(timer);
      begin(ctx, job).catch((err: unknown) => fail(job, `Internal error: ${(err as Error).message}`, ctx.now()));
    }, restoreStartMs);
    timers.add(timer);
    return ok({ RestoreJobId: job.RestoreJobId });
  }

  async function serve(ctx: ServiceContext, call: AwsCall): Promise<Reply | undefined> {
    const p = call.info.params;
    switch (call.info.action) {
      case 'StartBackupJob': {
        const token = str(p['IdempotencyToken']);
        const seen = token === undefined ? undefined : backupTokens.get(token);
        const prior = seen === undefined ? undefined : recoveryPoints.get(seen);
        const rp = prior ?? (await startBackupJob(ctx, call.caller, { BackupVaultName: str(p['BackupVaultName']) ?? '', ResourceArn: str(p['ResourceArn']) ?? '', IamRoleArn: str(p['IamRoleArn']) ?? '' }));
        if (token !== undefined) backupTokens.set(token, rp.RecoveryPointArn);
        return ok({ BackupJobId: rp.backupJobId, RecoveryPointArn: rp.RecoveryPointArn, CreationDate: secs(rp.CreationDate), IsParent: false });
      }
      case 'DescribeBackupJob': {
        const id = str(p['BackupJobId']);
        const rp = [...recoveryPoints.values()].find((r) => r.backupJobId === id);
        if (!rp) throw new BackupApiError('ResourceNotFoundException', `Backup job ${id ?? ''} not found`);
        return ok({
          AccountId: accountOf(rp.BackupVaultArn),
          BackupJobId: rp.backupJobId,
          BackupVaultName: rp.BackupVaultName,
          BackupVaultArn: rp.BackupVaultArn,
          RecoveryPointArn: rp.RecoveryPointArn,
          ResourceArn: rp.ResourceArn,
          ResourceType: rp.ResourceType,
          ResourceName: rp.ResourceName,
          IamRoleArn: rp.IamRoleArn,
          State: 'COMPLETED',
          PercentDone: '100.0',
          CreationDate: secs(rp.CreationDate),
          CompletionDate: secs(rp.CompletionDate),
          BackupSizeInBytes: rp.BackupSizeInBytes,
        });
      }
      case 'ListRecoveryPointsByBackupVault': {
        const vault = str(p['BackupVaultName']) ?? '';
        await vaultArn(ctx, call.caller, vault);
        const byArn = str(p['resourceArn']);
        const byType = str(p['resourceType']);
        const before = timeParam(p['createdBefore']);
        const after = timeParam(p['createdAfter']);
        const matching = [...recoveryPoints.values()]
          .filter((r) => r.BackupVaultName === vault && (byArn === undefined || r.ResourceArn === byArn) && (byType === undefined || r.ResourceType === byType))
          .filter((r) => (before === undefined || r.CreationDate < before) && (after === undefined || r.CreationDate > after))
          .sort((a, b) => b.CreationDate - a.CreationDate);
        const { items, next } = page(matching, p);
        return ok({ RecoveryPoints: items.map(recoveryPointView), ...(next !== undefined ? { NextToken: next } : {}) });
      }
      case 'DescribeRecoveryPoint':
      case 'GetRecoveryPointRestoreMetadata': {
        const vault = str(p['BackupVaultName']) ?? '';
        await vaultArn(ctx, call.caller, vault);
        const rp = recoveryPoints.get(str(p['RecoveryPointArn']) ?? '');
        if (!rp || rp.BackupVaultName !== vault) throw new BackupApiError('ResourceNotFoundException', `Recovery point ${str(p['RecoveryPointArn']) ?? ''} not found in ${vault}`);
        if (call.info.action === 'DescribeRecoveryPoint') return ok(recoveryPointView(rp));
        return ok({
          BackupVaultArn: rp.BackupVaultArn,
          RecoveryPointArn: rp.RecoveryPointArn,
          ResourceType: rp.ResourceType,
          RestoreMetadata: rp.ResourceType === 'RDS' ? { DBInstanceIdentifier: rp.ResourceName } : { targetTableName: rp.ResourceName },
        });
      }
      case 'StartRestoreJob':
        return startRestoreJob(ctx, call);
      case 'DescribeRestoreJob': {
        const job = restoreJobs.get(str(p['RestoreJobId']) ?? '');
        if (!job) throw new BackupApiError('ResourceNotFoundException', `Restore job ${str(p['RestoreJobId']) ?? ''} not found`);
        await progress(ctx, job);
        return ok(restoreJobView(job));
      }
      case 'ListRestoreJobs': {
        const byStatus = str(p['status']);
        const byType = str(p['resourceType']);
        const byAccount = str(p['accountId']);
        const before = timeParam(p['createdBefore']);
        const after = timeParam(p['createdAfter']);
        for (const job of restoreJobs.values()) await progress(ctx, job);
        const matching = [...restoreJobs.values()]
          .filter((j) => (byStatus === undefined || j.Status === byStatus) && (byType === undefined || j.ResourceType === byType) && (byAccount === undefined || j.AccountId === byAccount))
          .filter((j) => (before === undefined || j.CreationDate < before) && (after === undefined || j.CreationDate > after))
          .sort((a, b) => b.CreationDate - a.CreationDate);
        const { items, next } = page(matching, p);
        return ok({ RestoreJobs: items.map(restoreJobView), ...(next !== undefined ? { NextToken: next } : {}) });
      }
      case 'PutRestoreValidationResult': {
        const id = str(p['RestoreJobId']) ?? '';
        const job = restoreJobs.get(id);
        if (!job) throw new BackupApiError('ResourceNotFoundException', `Restore job ${id} not found`);
        const status = str(p['ValidationStatus']);
        if (status === undefined) throw new BackupApiError('MissingParameterValueException', 'ValidationStatus is required');
        if (!VALIDATION_STATUSES.has(status)) throw new BackupApiError('InvalidParameterValueException', `Invalid ValidationStatus ${status}: one of ${[...VALIDATION_STATUSES].join(', ')}`);
        await progress(ctx, job);
        if (job.Status !== 'COMPLETED') throw new BackupApiError('InvalidRequestException', `Restore job ${id} is ${job.Status}: only a COMPLETED restore job can be validated`);
        const message = p['ValidationStatusMessage'];
        job.ValidationStatus = status;
        if (typeof message === 'string') job.ValidationStatusMessage = message;
        else delete job.ValidationStatusMessage;
        return ok(undefined, 204);
      }
      default:
        return undefined;
    }
  }

  return {
    service: 'backup',
    async startBackupJob(ctx, as, input) {
      return (await startBackupJob(ctx, as, input)).RecoveryPointArn;
    },
    stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
    async handle(ctx, call): Promise<Handled | undefined> {
      if (call.info.protocol !== 'rest-json') return undefined;
      try {
        const reply = await serve(ctx, call);
        return reply && { reply, servedBy: 'gateway' };
      } catch (err) {
        if (err instanceof BackupApiError) return { reply: errorToReply(awsErrorReply('rest-json', err.status, err.code, err.message)), servedBy: 'gateway' };
        throw err;
      }
    },
  };
}
