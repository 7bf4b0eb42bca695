// Input, status and result of the restoreDrill workflow. Front ends import only this file (and
// targets.ts), never workflow code, so it stays free of side effects.
import { defineQuery } from '@temporalio/workflow';
import type { ApprovalSnapshot } from '../shared/approval/gate';
import type { RunView } from '../shared/notifications';
import type { RunEvent } from '../shared/run-record';
import type { RestoreDrillTarget, RestorePoint, ScratchRef } from './targets';

export type { RestoreDrillTarget } from './targets';
export { approveUpdate, denyUpdate, roundsQuery } from '../shared/approval/definitions';

export interface RestoreDrillInput {
  drill: RestoreDrillTarget;
  /** Person id who started it, or `schedule`. */
  requestedBy: string;
  /** Person ids paged on failures (the policy's security groups). */
  security: string[];
  /** Slack channel for the drill's card (`drills.channel`). */
  channel?: string;
  /** How often restore and teardown progress is read (default 5 s; tests go faster). */
  pollMs?: number;
}

/**
 * - passed: restored, validated, RTO and RPO within target (and signed off when the drill asks).
 * - missed-targets: restored and validated, but RTO or RPO missed.
 * - validation-failed: restored, but the data did not prove out.
 * - refused: the scratch name is taken or is the source; nothing was restored, nothing torn down.
 * - timed-out: stopped at maxDuration. failed: an AWS step failed. cancelled: a person cancelled.
 * - sign-off-rejected / unsigned: the results were rejected, or nobody signed within twice the timeout.
 * Whatever the outcome, a scratch resource the drill may have created is torn down.
 */
export type RestoreDrillOutcome =
  | 'passed'
  | 'missed-targets'
  | 'validation-failed'
  | 'refused'
  | 'timed-out'
  | 'failed'
  | 'cancelled'
  | 'sign-off-rejected'
  | 'unsigned'
  | 'rejected-invalid';

export interface DrillScores {
  rtoMs: number | null;
  rpoMs: number | null;
  rtoTargetMs: number;
  rpoTargetMs: number;
  rtoMet: boolean | null;
  rpoMet: boolean | null;
  /** Where the RPO was measured from: the newest record validation found, else the restore point. */
  rpoBasis: 'newest-record' | RestorePoint['basis'] | null;
}

export interface DrillValidationSummary {
  passed: boolean;
  summary: string;
  rows?: number;
  newestRecordAt?: string;
  /** At most 4 KiB. */
  output: string;
  commandId?: string;
}

export interface DrillTeardown {
  scratch: ScratchRef;
  goneAt: string;
  deleteRequested: boolean;
  /** Which attempt of the teardown activity saw it gone (retried until it is). */
  attempt: number;
}

export interface RestoreDrillStatus {
  workflowId: string;
  kind: 'restore-drill';
  drill: string;
  requestedBy: string;
  view: RunView;
  timeline: RunEvent[];
  scratchName: string;
  scratch?: ScratchRef;
  restorePoint?: RestorePoint;
  validation?: DrillValidationSummary;
  scores: DrillScores;
  teardown?: DrillTeardown;
  signOff: 'not-required' | 'waiting' | 'signed' | 'rejected' | 'unsigned' | 'not-asked';
  rounds: ApprovalSnapshot[];
}

export interface RestoreDrillResult {
  status: RestoreDrillStatus;
  outcome: RestoreDrillOutcome;
  evidenceWritten: boolean;
}

export const drillStatusQuery = defineQuery<RestoreDrillStatus>('status');

/** The sign-off decision's round id. */
export const SIGN_OFF_ROUND = 'sign-off';

export const DEFAULT_DRILL_POLL_MS = 5_000;
