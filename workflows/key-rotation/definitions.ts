// Input, status and messages of the two rotation workflows. Front ends import only this file (and
// targets.ts), never workflow code, so it stays free of side effects.
import { defineQuery } from '@temporalio/workflow';
import type { RunEvent } from '../shared/run-record';
import type { RunView } from '../shared/notifications';
import type { ApprovalSnapshot } from '../shared/approval/gate';
import type { AccessKeyTarget, KmsKeyTarget } from './targets';
import type { PrecheckFinding } from './precheck';

export type { AccessKeyTarget, KmsKeyTarget } from './targets';
export { approveUpdate, denyUpdate, roundsQuery } from '../shared/approval/definitions';

interface RotationCommon {
  /** Person id who started it, or `schedule`. */
  requestedBy: string;
  /** Person ids paged on failures (the policy's security groups). */
  security: string[];
  /** Slack channel for the run's card (`rotation.channel`). */
  channel?: string;
}

export interface AccessKeyRotationInput extends RotationCommon {
  target: AccessKeyTarget;
  /** Rotate even when the key is younger than the target's maxAge (a person asked). */
  force: boolean;
  /** How often the old key's last use is read while waiting and observing (default 5s, at most 1 min). */
  pollIntervalMs?: number;
}

export interface KmsRotationInput extends RotationCommon {
  target: KmsKeyTarget;
}

export type AccessKeyRotationOutcome =
  | 'rotated'
  | 'not-due'
  | 'stopped'
  | 'rolled-back'
  | 'consumers-not-switched'
  | 'consumer-missed'
  | 'old-key-kept'
  | 'delete-not-approved'
  | 'rejected-invalid'
  | 'cancelled';

export type KmsRotationOutcome = 'verified' | 'failed' | 'rejected-invalid' | 'cancelled';

export interface RotationStatus {
  workflowId: string;
  kind: 'access-key-rotation' | 'kms-rotation';
  target: string;
  requestedBy: string;
  view: RunView;
  timeline: RunEvent[];
  /** Key ids, dates and timings only: never a secret. */
  oldAccessKeyId?: string;
  newAccessKeyId?: string;
  keyId?: string;
  finding?: PrecheckFinding;
  rounds: ApprovalSnapshot[];
}

export interface RotationResult {
  status: RotationStatus;
  outcome: AccessKeyRotationOutcome | KmsRotationOutcome;
  evidenceWritten: boolean;
}

export const rotationStatusQuery = defineQuery<RotationStatus>('status');

/** The delete-old-key decision's round id. */
export const DELETE_ROUND = 'delete-old-key';

export const DEFAULT_POLL_INTERVAL_MS = 5_000;
export const MAX_POLL_INTERVAL_MS = 60_000;
