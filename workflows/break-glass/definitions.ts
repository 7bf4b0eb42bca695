// Messages, input and result types of the breakGlass workflow. The CLI, the slack-app and the api
// import only this file (never workflow code), so it must stay free of side effects.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalSnapshot } from '../shared/approval/gate';
import { DEFAULT_TASK_QUEUE } from '../shared/task-queues';

export { approveUpdate, denyUpdate, roundsQuery } from '../shared/approval/definitions';
export type { DecisionChannel, DecisionInput, DecisionResult, DenyInput } from '../shared/approval/definitions';
export { SEARCH_ATTRIBUTES } from '../shared/search-attributes';

export const BREAK_GLASS_TASK_QUEUE = DEFAULT_TASK_QUEUE;

/** Round kinds of a break-glass request. */
export type BreakGlassRoundKind = 'grant' | 'ratification' | 'extension';

/** The role's policy, resolved when the request is made and frozen into the workflow input so a
 * policy edit never changes the rules of a request already in flight (and replay stays deterministic). */
export interface RoleSnapshot {
  name: string;
  accountId: string;
  roleArn: string;
  executionRoleArn: string;
  externalId: string;
  mode: 'approval' | 'post-hoc';
  quorum: number;
  /** Person ids allowed to approve (the requester is removed at decision time, not here). */
  approvers: string[];
  /** Person ids of the security group: may revoke any grant, are paged on failures. */
  security: string[];
  maxDurationMs: number;
  approvalTimeoutMs: number;
  reminderIntervalMs: number;
  ratificationDeadlineMs?: number;
  idleLimitMs?: number;
  /** The role's maximum STS session duration: how long a revocation deny statement must stay. */
  maxSessionDurationMs: number;
  /** Decisions must come with an AWS-verified identity (the CLI through the api), not a Slack click. */
  stepUp?: boolean;
}

export interface BreakGlassInput {
  grantId: string;
  requester: string;
  role: RoleSnapshot;
  durationMs: number;
  reason: string;
  ticket?: string;
  via: 'cli' | 'slack' | 'api' | 'drill';
}

export type Phase = 'pending' | 'active' | 'revoking' | 'ended';

export type Outcome = 'denied' | 'expired-unapproved' | 'revoked' | 'cancelled' | 'grant-failed' | 'rejected-invalid';

export type EndReason =
  | 'expired'
  | 'revoked-by-requester'
  | 'revoked-by-approver'
  | 'revoked-by-security'
  | 'ratification-rejected'
  | 'ratification-timeout'
  | 'idle'
  | 'cancelled';

export interface GrantReceipt {
  verifiedAt: string;
  callerArn: string;
  sessionName: string;
  sourceIdentity: string;
  assumeRoleRequestId?: string;
}

export interface RevocationReceipt {
  verified: boolean;
  checkedAt: string;
  policyName: string;
  statementPresent: boolean;
  deniedSourceIdentity: string;
  tokensIssuedBefore: string;
  sessionsTerminated: string[];
  activeSessionsLeft: string[];
  attempts: number;
  /** Recorded credential issues at or after the cut-off (a receipt with any is never verified). */
  issuedAfterCutoff?: string[];
}

export interface TimelineEvent {
  at: string;
  event: string;
  by?: string;
  detail?: string;
}

export interface CredentialIssue {
  accessKeyId: string;
  expiresAt: string;
  issuedAt: string;
  /** The vending lease this issue completes (see reserveCredentialsUpdate). */
  leaseId?: string;
  /** False when AssumeRole answered after the lease expired: the api discarded the credentials. */
  delivered?: boolean;
}

/** What the api may mint for one vending: the workflow decides, the api only executes. */
export interface VendingLease {
  leaseId: string;
  roleArn: string;
  sessionName: string;
  sourceIdentity: string;
  tags: Array<{ Key: string; Value: string }>;
  durationSeconds: number;
  grantEndsAt: string;
  /** The api must have called AssumeRole by then, or give up: revocation waits for open leases at most this long. */
  leaseExpiresAt: string;
}

export interface AccessRefusal {
  by: string;
  code: string;
  what: 'credentials' | 'console-link' | 'session';
}

export interface SessionReport {
  sessionId: string;
  target: string;
  /** The api checked with SSM that the session exists, is this grant's and targets an allowed instance. */
  verified?: boolean;
}

/** What the Temporal server says about the execution (filled by the client, not the workflow). */
export interface ExecutionInfo {
  status: string;
  closeTime?: string;
}

/** How many of each noisy record a grant holds, so the api can stop reporting before the caps. */
export interface RecordCounts {
  credentials: number;
  sessions: number;
  refusals: number;
  /** Records past a cap: summarised, not listed. */
  omitted: number;
}

export interface BreakGlassStatus {
  grantId: string;
  requester: string;
  role: string;
  roleArn: string;
  accountId: string;
  mode: RoleSnapshot['mode'];
  /** Decisions need an AWS-verified identity (the CLI), not a Slack click. */
  stepUp?: boolean;
  /** A fire drill's request (`via: 'drill'`) for a drill role: every view marks it DRILL. */
  drill?: boolean;
  phase: Phase;
  outcome?: Outcome;
  endReason?: EndReason;
  reason: string;
  ticket?: string;
  requestedAt: string;
  /** The grant's length now: the request's, plus approved extensions. */
  durationMs: number;
  /** What was asked for, when extensions made the grant longer. */
  requestedDurationMs?: number;
  approval?: ApprovalSnapshot;
  /** Every round the request has had, oldest first (grant, ratification, extension-1, …). */
  rounds?: ApprovalSnapshot[];
  grantedAt?: string;
  plannedEndAt?: string;
  actualEndAt?: string;
  grantReceipt?: GrantReceipt;
  revocation?: RevocationReceipt;
  credentials: CredentialIssue[];
  sessions: string[];
  timeline: TimelineEvent[];
  counts?: RecordCounts;
  /** Filled by the client from Temporal: a terminated execution still answers the status Query
   * with the phase it was in, so this says what really happened to it. */
  execution?: ExecutionInfo;
}

export interface BreakGlassResult {
  status: BreakGlassStatus;
  /** Milliseconds from the planned end (or the revoke decision) to the verified revocation. */
  revocationLagMs?: number;
  /** False when the evidence record could not be written (security was paged). */
  evidenceWritten?: boolean;
}

export interface ExtendInput {
  requester: string;
  byMs: number;
  reason?: string;
}
export interface ExtendResult {
  pendingApproval: true;
  proposedEndAt: string;
  /** The extension's round id, for approvers' decisions. */
  round?: string;
}
export interface RevokeInput {
  by: string;
  reason?: string;
}
export interface RevokeResult {
  accepted: true;
  phase: Phase;
  /** The grant was already being revoked: this request changed nothing. */
  duplicate?: boolean;
}

export const extendUpdate = defineUpdate<ExtendResult, [ExtendInput]>('extend');
export const revokeUpdate = defineUpdate<RevokeResult, [RevokeInput]>('revoke');
export const statusQuery = defineQuery<BreakGlassStatus>('status');
/** Told by the credential vending api: the key id and expiry only, never the secret. */
export const credentialsIssuedSignal = defineSignal<[CredentialIssue]>('credentialsIssued');
export const sessionOpenedSignal = defineSignal<[SessionReport]>('sessionOpened');
/** Asked by the credential vending api before it calls AssumeRole; refused unless the grant is active. */
export const reserveCredentialsUpdate = defineUpdate<VendingLease, [{ by: string }]>('reserveCredentials');
/** The api could not complete a lease (AssumeRole failed): revocation need not wait for it. */
export const leaseReleasedSignal = defineSignal<[{ leaseId: string }]>('leaseReleased');
/** Refused uses of a grant are part of its record. */
export const accessRefusedSignal = defineSignal<[AccessRefusal]>('accessRefused');

/** What a terminated or failed execution needs for the reconciler to revoke on its behalf. */
export interface ReconcileInfo {
  grantId: string;
  requester: string;
  role: Pick<RoleSnapshot, 'name' | 'accountId' | 'roleArn' | 'executionRoleArn' | 'externalId' | 'maxSessionDurationMs'>;
  phase: Phase;
  /** The grant was verified (AssumeRole proved), so access may have been used. */
  granted: boolean;
  revocationVerified: boolean;
  sessions: string[];
  /** Latest recorded credential issue, so the reconciler's cut-off covers it. */
  latestIssuedAt?: string;
}
export const reconcileInfoQuery = defineQuery<ReconcileInfo | undefined>('reconcileInfo');

/** A closed run the reconciler must revoke for. */
export interface UnrevokedGrant extends ReconcileInfo {
  workflowId: string;
  runId: string;
  /** How the run closed: TERMINATED, TIMED_OUT, FAILED, CANCELLED. */
  closedAs: string;
  closedAt?: string;
}

/** One reconciliation per closed run, ever: the reconciler starts it under this id. */
export function reconcileWorkflowId(workflowId: string, runId: string): string {
  return `reconcile-${workflowId}-${runId}`;
}

/** The reconciler's Schedule, one per task queue (its runs execute on that queue's workers). */
export function reconcilerScheduleId(taskQueue: string): string {
  return `safeguard-reconciler-${taskQueue}`;
}

/** How long the api has, after a lease, to mint credentials. */
export const VENDING_LEASE_MS = 20_000;
/** STS limits for AssumeRole DurationSeconds (role chaining aside). */
export const MIN_VENDED_SECONDS = 900;
export const MAX_VENDED_SECONDS = 3600;

/** Caps that keep one grant's history bounded under a flood (DESIGN.md §5: ≤ 150 events normally).
 * Refused Updates leave no history, so the caps on Updates are enforced by validators; signals always
 * land in history, so the api stops sending them at the caps (it reads `counts` first). */
export const MAX_CREDENTIAL_ISSUES = 40;
export const MAX_OPEN_LEASES = 5;
export const MAX_RECORDED_SESSIONS = 20;
export const MAX_RECORDED_REFUSALS = 20;
export const MAX_EXTENSIONS = 10;
/** Timeline entries past this are counted in `counts.omitted`, not listed. */
export const MAX_TIMELINE_EVENTS = 200;

export const MIN_DURATION_MS = 10_000;
export const MIN_REASON_LENGTH = 10;
export const MAX_REASON_LENGTH = 1000;

/** Workflow ids read `breakglass-<role>-<short id>`: greppable in the Web UI and CloudTrail. */
export function breakGlassWorkflowId(roleName: string, shortId: string): string {
  return `breakglass-${roleName}-${shortId}`;
}

/** STS RoleSessionName for a grant: at most 64 chars of [\w+=,.@-]. */
export function grantSessionName(grantId: string): string {
  return grantId.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/** Name of the inline deny policy a revocation attaches to the role (IAM allows 128 chars). */
export function revocationPolicyName(grantId: string): string {
  return `SafeguardRevoke-${grantId}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 128);
}
