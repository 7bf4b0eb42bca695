// What a restore drill is about, frozen into the workflow input when the run starts (a policy edit
// never changes a drill in flight). Built from the policy's `drills.restore` section by the client;
// the activities read nothing else. Type-only: safe in workflow code.
import type { AccountRef } from '../key-rotation/targets';

export type { AccountRef } from '../key-rotation/targets';

/** Where the data comes back from. Source names never start with `sg-drill-` (the policy refuses it). */
export type DrillSource =
  /** An RDS instance's newest automated snapshot, or the manual/automated snapshot named. */
  | { type: 'rds-snapshot'; dbInstance: string; snapshot?: string }
  /** An RDS instance restored to a point in time: its latest restorable time, or `restoreAgoMs` before the drill started. */
  | { type: 'rds-point-in-time'; dbInstance: string; restoreAgoMs?: number }
  /** A DynamoDB table's newest on-demand backup, or the backup ARN named. */
  | { type: 'dynamodb-backup'; table: string; backupArn?: string }
  /** A DynamoDB table restored to a point in time (PITR must be on): latest, or `restoreAgoMs` before the drill started. */
  | { type: 'dynamodb-point-in-time'; table: string; restoreAgoMs?: number }
  /**
   * An AWS Backup recovery point in `vault` of the resource `resourceArn` (an RDS instance or a
   * DynamoDB table): the newest completed one, or the recovery point ARN named. AWS Backup restores
   * with `iamRoleArn`; the validation result is reported back (PutRestoreValidationResult).
   */
  | { type: 'backup-recovery-point'; vault: string; resourceArn: string; recoveryPointArn?: string; iamRoleArn: string };

export type DrillSourceType = DrillSource['type'];

/** The scratch resource a drill restores into: `sg-drill-<drill>-<8 hex>`, tagged with the drill. */
export interface ScratchSettings {
  /** RDS only: the instance class of the scratch instance (default: the snapshot's). */
  instanceClass?: string;
  /** RDS only: the DB subnet group to restore into. */
  subnetGroup?: string;
  /** Extra tags on the scratch resource (Safeguard adds `safeguard:drill`, `safeguard:drill-run`, `safeguard:created-at`). */
  tags: Record<string, string>;
}

/**
 * How the restored data is proven: an SSM Run Command document on a validation instance (RDS), or
 * DynamoDB checks read by Safeguard itself. The command's standard output ends with one JSON line
 * `{"rows": <n>, "newest": "<ISO time>"}`; a non-zero exit or fewer than `minRows` rows fails.
 * Parameter values may use `{{scratch.id}}` and `{{scratch.endpoint}}`.
 */
export type DrillValidation =
  | { type: 'ssm-command'; instanceId: string; document: string; parameters: Record<string, string[]>; minRows: number; timeoutMs: number }
  | { type: 'dynamodb'; minItems: number; timestampAttribute?: string };

export interface SignOff {
  /** Person ids who may sign the drill's results off (from the policy's groups, resolved at start). */
  eligible: string[];
  quorum: number;
  /** Overdue after this long: escalated to security; after twice this long the drill ends unsigned. */
  timeoutMs: number;
}

export interface RestoreDrillTarget extends AccountRef {
  /** Drill name from the policy (`drills.restore[].name`). */
  name: string;
  source: DrillSource;
  scratch: ScratchSettings;
  validation: DrillValidation;
  /** Targets: drill start → validated, and drill start − the restore point reached. */
  rtoMs: number;
  rpoMs: number;
  /** Longest a drill may run before it is stopped and torn down. */
  maxDurationMs: number;
  signOff?: SignOff;
}

/** The scratch resource a drill owns. */
export interface ScratchRef {
  type: 'rds-instance' | 'dynamodb-table';
  /** `sg-drill-…`: DBInstanceIdentifier or TableName. */
  name: string;
  arn?: string;
}

/** Where the restore came back to, as AWS reports it. */
export interface RestorePoint {
  /** The snapshot's, backup's or recovery point's creation time, or the point-in-time restore time. */
  time: string;
  /** Snapshot id, backup ARN, recovery point ARN, or `point-in-time`. */
  ref: string;
  /** What `time` is. */
  basis: 'snapshot' | 'backup' | 'recovery-point' | 'point-in-time';
}

/** The tag keys on every scratch resource. */
export const DRILL_TAG = 'safeguard:drill';
export const DRILL_RUN_TAG = 'safeguard:drill-run';
export const DRILL_CREATED_TAG = 'safeguard:created-at';
/** Every scratch resource's name starts with this; nothing else may. */
export const SCRATCH_PREFIX = 'sg-drill-';

/**
 * The failure types drill activities throw on purpose, every one non-retryable: retrying would not
 * change the answer. One list for every source family and for the workflow's retry policies.
 */
export const DrillFailures = {
  /** A resource of the scratch name exists and is not this run's. */
  scratchExists: 'ScratchExists',
  /** The scratch name is the source's. */
  scratchIsSource: 'ScratchIsSource',
  sourceNotFound: 'SourceNotFound',
  /** No available snapshot, backup or recovery point (or the named one is missing), or no restorable time. */
  noRestorePoint: 'NoRestorePoint',
  /** The point in time is outside the source's restorable window. */
  invalidRestoreTime: 'InvalidRestoreTime',
  /** A point-in-time restore of a table without point-in-time recovery. */
  pitrDisabled: 'PitrDisabled',
  /** AWS Backup refused the restore job. */
  restoreRefused: 'RestoreRefused',
  /** The restore ended in a state it does not leave by itself (failed, incompatible-restore …). */
  restoreFailed: 'RestoreFailed',
  /** The scratch resource is gone or going while the drill waits for it. */
  scratchGone: 'ScratchGone',
  /** A restore into, or a delete of, something that is not a scratch resource. */
  notScratch: 'NotScratch',
  unsupportedSource: 'UnsupportedSource',
  unsupportedValidation: 'UnsupportedValidation',
} as const;
