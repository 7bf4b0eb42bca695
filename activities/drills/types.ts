// The restore-drill activities' contract: what the restoreDrill workflow calls and what each
// returns. One implementation per source family (rds.ts, dynamodb.ts, aws-backup.ts) sits behind
// the dispatching activities in index.ts. Every activity acts through the account's execution role.
//
// Crash safety: Temporal retries an activity after a worker dies mid-call, so each one is
// idempotent. `startRestore` finds a scratch resource of the same name tagged with the same drill run
// and returns it instead of restoring twice; `teardownScratch` treats "already gone" as done.
import type { Logger } from 'pino';
import type { AwsClients } from '../aws/clients';
import type { AccountRef, DrillValidation, RestoreDrillTarget, RestorePoint, ScratchRef } from '../../workflows/restore-drill/targets';

export interface PrepareRestoreInput {
  drill: RestoreDrillTarget;
  /** `sg-drill-<drill>-<8 hex>` */
  scratchName: string;
  /** The drill run's workflow id (tagged on the scratch resource as `safeguard:drill-run`). */
  runId: string;
  /** When the drill started (ISO): point-in-time `restoreAgoMs` counts back from here. */
  drillStartedAt: string;
}

/** What will be restored. Refuses (non-retryable `ScratchExists`/`ScratchIsSource`/`SourceNotFound`/`NoRestorePoint`/`InvalidRestoreTime`). */
export interface PreparedRestore {
  /** The snapshot, backup or recovery point chosen, or the point in time. */
  restorePoint: RestorePoint;
  /** The scratch resource exists already, tagged with this run: a retry after a crash, not a collision. */
  alreadyStarted: boolean;
}

export interface StartRestoreInput extends PrepareRestoreInput {
  restorePoint: RestorePoint;
}

export interface StartedRestore {
  scratch: ScratchRef;
  /** AWS Backup's restore job id, when the source is a recovery point. */
  restoreJobId?: string;
  requestedAt: string;
}

export interface WaitRestoredInput {
  drill: RestoreDrillTarget;
  scratch: ScratchRef;
  restoreJobId?: string;
  /** Poll interval (default 5 s); the activity heartbeats on every poll. */
  pollMs?: number;
}

export interface RestoredResource {
  scratch: ScratchRef;
  /** When AWS first reported it available (ISO). */
  availableAt: string;
  /** RDS: `host:port` of the scratch instance. */
  endpoint?: string;
  /** AWS Backup restore jobs and PITR: the restore point AWS says it reached, when it says so. */
  restorePoint?: RestorePoint;
}

export interface ValidateRestoreInput {
  drill: RestoreDrillTarget;
  restored: RestoredResource;
}

export interface ValidationResult {
  passed: boolean;
  /** Rows (RDS) or items (DynamoDB) found. */
  rows?: number;
  /** The newest record's timestamp found in the restored data (ISO): RPO is measured from it. */
  newestRecordAt?: string;
  /** Output of the command or the checks, at most 4 KiB (a secret-shaped value is redacted by the evidence writer). */
  output: string;
  /** One line: why it failed, or what it proved. */
  summary: string;
  /** SSM command id, when an SSM document ran. */
  commandId?: string;
  validation: DrillValidation['type'];
}

export interface ReportValidationInput {
  drill: RestoreDrillTarget;
  restoreJobId: string;
  status: 'SUCCESSFUL' | 'FAILED';
  message: string;
}

export interface TeardownInput {
  /** Only the account is used: the sweeper tears down scratch resources without their drill. */
  drill: AccountRef;
  scratch: ScratchRef;
  pollMs?: number;
}

/** The teardown receipt: the resource was asked to go and is gone. */
export interface TeardownReceipt {
  scratch: ScratchRef;
  /** The delete call was made by this attempt (false: it was already gone or going). */
  deleteRequested: boolean;
  /** When AWS no longer knew the resource (ISO). */
  goneAt: string;
  /** The activity attempt that saw it gone (filled by the dispatcher in index.ts). */
  attempt?: number;
}

export interface ScratchListing {
  scratch: ScratchRef;
  /** `safeguard:drill-run` tag (absent on a resource someone else named sg-drill-*). */
  runId?: string;
  drill?: string;
  createdAt: string;
  status: string;
}

/** The failure types every drill activity throws on purpose (defined beside the targets: the workflow reads them too). */
export { DrillFailures } from '../../workflows/restore-drill/targets';

/** What every source family's activities are built with. */
export interface DrillSourceDeps {
  aws: AwsClients;
  logger: Logger;
}

/** The activities a drill source family implements. */
export interface DrillSourceActivities {
  prepareRestore(input: PrepareRestoreInput): Promise<PreparedRestore>;
  startRestore(input: StartRestoreInput): Promise<StartedRestore>;
  waitRestored(input: WaitRestoredInput): Promise<RestoredResource>;
  teardownScratch(input: TeardownInput): Promise<TeardownReceipt>;
}
