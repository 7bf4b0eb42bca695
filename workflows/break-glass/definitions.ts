// Messages, input and result types of the breakGlass workflow. The CLI, the slack-app and the api
// import only this file (never workflow code), so it must stay free of side effects.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalSnapshot } from '../approval/gate';

export const BREAK_GLASS_TASK_QUEUE = 'safeguard';

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

export type Outcome = 'denied' | 'expired-unapproved' | 'revoked' | 'cancelled' | 'grant-failed';

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

export interface BreakGlassStatus {
  grantId: string;
  requester: string;
  role: string;
  roleArn: string;
  accountId: string;
  mode: RoleSnapshot['mode'];
  phase: Phase;
  outcome?: Outcome;
  endReason?: EndReason;
  reason: string;
  ticket?: string;
  requestedAt: string;
  durationMs: number;
  approval?: ApprovalSnapshot;
  grantedAt?: string;
  plannedEndAt?: string;
  actualEndAt?: string;
  grantReceipt?: GrantReceipt;
  revocation?: RevocationReceipt;
  credentials: CredentialIssue[];
  sessions: string[];
  timeline: TimelineEvent[];
}

export interface BreakGlassResult {
  status: BreakGlassStatus;
  /** Milliseconds from the planned end (or the revoke decision) to the verified revocation. */
  revocationLagMs?: number;
}

export interface DecisionInput {
  approver: string;
  comment?: string;
}
export interface DenyInput {
  approver: string;
  reason: string;
}
export interface DecisionResult {
  accepted: true;
  duplicate: boolean;
  approvals: number;
  quorum: number;
  phase: Phase;
  decided: boolean;
}
export interface ExtendInput {
  requester: string;
  byMs: number;
  reason?: string;
}
export interface ExtendResult {
  pendingApproval: true;
  proposedEndAt: string;
}
export interface RevokeInput {
  by: string;
  reason?: string;
}
export interface RevokeResult {
  accepted: true;
  phase: Phase;
}

export const approveUpdate = defineUpdate<DecisionResult, [DecisionInput]>('approve');
export const denyUpdate = defineUpdate<DecisionResult, [DenyInput]>('deny');
export const extendUpdate = defineUpdate<ExtendResult, [ExtendInput]>('extend');
export const revokeUpdate = defineUpdate<RevokeResult, [RevokeInput]>('revoke');
export const statusQuery = defineQuery<BreakGlassStatus>('status');
/** Told by the credential vending api: the key id and expiry only, never the secret. */
export const credentialsIssuedSignal = defineSignal<[CredentialIssue]>('credentialsIssued');
export const sessionOpenedSignal = defineSignal<[{ sessionId: string; target: string }]>('sessionOpened');
/** Asked by the credential vending api before it calls AssumeRole; refused unless the grant is active. */
export const reserveCredentialsUpdate = defineUpdate<VendingLease, [{ by: string }]>('reserveCredentials');
/** The api could not complete a lease (AssumeRole failed): revocation need not wait for it. */
export const leaseReleasedSignal = defineSignal<[{ leaseId: string }]>('leaseReleased');
/** Refused uses of a grant are part of its record. */
export const accessRefusedSignal = defineSignal<[AccessRefusal]>('accessRefused');

/** How long the api has, after a lease, to mint credentials. */
export const VENDING_LEASE_MS = 20_000;
/** STS limits for AssumeRole DurationSeconds (role chaining aside). */
export const MIN_VENDED_SECONDS = 900;
export const MAX_VENDED_SECONDS = 3600;

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

export const SEARCH_ATTRIBUTES = {
  kind: 'SafeguardKind',
  requester: 'SafeguardRequester',
  role: 'SafeguardRole',
  account: 'SafeguardAccount',
  outcome: 'SafeguardOutcome',
} as const;
