// Input, status and messages of the accessReview workflow (the parent: inventory, findings, routing,
// one child per reviewer, report) and the accessReviewer workflow (one reviewer's items: decisions,
// reminders, escalation, the default action at the deadline, revocations with receipts). Front ends
// import only this file and inventory.ts, never workflow code.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { AccessReviewPolicy } from '../../config/policy/types';
import type { AccountRef } from '../key-rotation/targets';
import type { DecisionChannel } from '../shared/approval/definitions';
import type { RunView } from '../shared/run-view';
import type { RunEvent } from '../shared/run-record';
import type { BlobRef, BulkChoice, DecisionRecord, DefaultAction, FindingCode, ItemDecision, Reviewer, ReviewItem, RevocationReceipt } from './inventory';

export type * from './inventory';

/**
 * The policy's review, frozen into the input when the run starts (with each account's execution role
 * and the escalation group's members): a policy edit never changes a review in flight, and the worker
 * checks it is still the policy's review before reading anything.
 */
export interface AccessReviewTarget extends Omit<AccessReviewPolicy, 'schedule' | 'identityCenterAccount'> {
  accountRefs: AccountRef[];
  escalationMembers: string[];
  /** The account holding the Identity Center instance, when it is not each reviewed account. */
  identityCenterRef?: AccountRef;
}

export interface AccessReviewInput {
  review: AccessReviewTarget;
  /** Person id who started it, or `schedule`. */
  requestedBy: string;
  /** Person ids paged on failures (the policy's security groups). */
  security: string[];
  /** Slack channel for the review's card (`reviews.channel`). */
  channel?: string;
  /** Reviewers continue as new past this many history events (default 4,000; tests go lower). */
  reviewerHistoryLimit?: number;
}

/**
 * - completed: every reviewer finished (decided, or defaulted at the deadline) and every revocation verified.
 * - completed-with-failures: a revocation could not be verified (security is paged with the items).
 * - failed: the inventory or routing failed. cancelled: a person cancelled the review.
 * - rejected-invalid: the input did not match the worker's policy (or was malformed).
 */
export type AccessReviewOutcome = 'completed' | 'completed-with-failures' | 'failed' | 'cancelled' | 'rejected-invalid';

export interface AccountSummary {
  accountId: string;
  principals: number;
  inventory: BlobRef;
  /** Findings on the account's root (never a review item). */
  rootFindings: FindingCode[];
}

export interface ReviewerSummary {
  reviewer: Reviewer;
  workflowId: string;
  items: number;
  flagged: number;
  /** Set once the reviewer's workflow has ended. */
  result?: ReviewerResult;
}

/** What a running inventory activity heartbeats: front ends read it to show progress. */
export interface InventoryProgress {
  accountId: string;
  what: string;
  count: number;
}

export interface ReviewTotals {
  principals: number;
  flagged: number;
  exempt: number;
  findings: Partial<Record<FindingCode, number>>;
}

export interface AccessReviewStatus {
  workflowId: string;
  kind: 'access-review';
  review: string;
  requestedBy: string;
  view: RunView;
  timeline: RunEvent[];
  accounts: AccountSummary[];
  totals?: ReviewTotals;
  reviewers: ReviewerSummary[];
  exempt?: BlobRef;
  findings?: BlobRef;
  report?: BlobRef;
  deadlineAt?: string;
}

export interface AccessReviewResult {
  status: AccessReviewStatus;
  outcome: AccessReviewOutcome;
  evidenceWritten: boolean;
}

// ---- one reviewer ----

/** What a reviewer's run carries across continue-as-new, so its history stays bounded however many decisions arrive. */
export interface ReviewerCarry {
  startedAt: string;
  decisions: Record<string, DecisionRecord>;
  escalated: boolean;
  reminders: number;
  /** Timeline entries kept across runs (bounded). */
  timeline: RunEvent[];
}

export interface AccessReviewerInput {
  /** The parent review's workflow id and name. */
  reviewId: string;
  reviewName: string;
  reviewer: Reviewer;
  /** Person ids who may decide (the person, or the group's members), frozen at start. */
  deciders: string[];
  escalation: { group: string; members: string[] };
  /** The accounts of the review, for the revocations. */
  accountRefs: AccountRef[];
  /** Where Identity Center assignments are deleted, when not in the item's own account. */
  identityCenterRef?: AccountRef;
  items: BlobRef;
  itemCount: number;
  flaggedCount: number;
  deadlineAt: string;
  escalateAt: string;
  remindEveryMs: number;
  defaultAction: DefaultAction;
  security: string[];
  channel?: string;
  /** Continue as new past this many history events (default 4,000; tests go lower). */
  historyLimit?: number;
  carry?: ReviewerCarry;
}

export type ReviewerPhase = 'loading' | 'reviewing' | 'applying' | 'ended';

export interface ReviewerItemView extends ReviewItem {
  decision?: DecisionRecord;
  /** The default action applied at the deadline (report-only: nothing was changed). */
  defaulted?: DefaultAction;
  receipt?: RevocationReceipt;
}

export interface ReviewerCounts {
  items: number;
  flagged: number;
  decided: number;
  kept: number;
  revoked: number;
  defaulted: number;
  applied: number;
  verified: number;
  failed: number;
}

export interface AccessReviewerStatus {
  workflowId: string;
  kind: 'access-reviewer';
  reviewId: string;
  reviewName: string;
  reviewer: Reviewer;
  deciders: string[];
  /** Everyone who may decide now: the deciders, plus the escalation group once escalated. */
  mayDecide: string[];
  phase: ReviewerPhase;
  deadlineAt: string;
  escalateAt: string;
  escalated: boolean;
  /** The group told when this reviewer is late (who may then decide too). */
  escalationGroup: string;
  /** The review was cancelled while this reviewer was deciding: nothing was defaulted or revoked. */
  cancelled: boolean;
  defaultAction: DefaultAction;
  counts: ReviewerCounts;
  items: ReviewerItemView[];
  timeline: RunEvent[];
}

export interface ReviewerResult {
  reviewer: Reviewer;
  workflowId: string;
  counts: ReviewerCounts;
  escalated: boolean;
  /** Decisions, defaults and receipts of every item, stored as a blob. */
  outcome: BlobRef;
  finishedAt: string;
  /** The review was cancelled before the deadline: nothing was defaulted or revoked. */
  cancelled?: boolean;
}

/** The blob a reviewer's run leaves: what the report reads. */
export interface ReviewerOutcome {
  reviewer: Reviewer;
  workflowId: string;
  items: ReviewItem[];
  decisions: Record<string, DecisionRecord>;
  defaulted: string[];
  defaultAction: DefaultAction;
  receipts: Record<string, RevocationReceipt>;
  escalated: boolean;
  finishedAt: string;
}

/** Every item decision names this round (invariant 10): keep or revoke the reviewer's items. */
export const REVIEW_ROUND = 'keep-or-revoke';

/** At most this many items per decision: a page of the review message, or one bulk choice. */
export const MAX_ITEMS_PER_DECISION = 500;

export interface DecideItemsInput {
  /** The person deciding. */
  reviewer: string;
  round: string;
  /** Per-item decisions… */
  items?: Array<{ key: string; decision: ItemDecision; reason?: string }>;
  /** …or one bulk choice over every item still undecided. */
  bulk?: BulkChoice;
  reason?: string;
  via?: DecisionChannel;
}

export interface DecideItemsResult {
  accepted: true;
  decided: number;
  /** Items a bulk choice left alone: the decider's own access (for someone else to decide). */
  skipped: Array<{ key: string; why: string }>;
  remaining: number;
}

export const decideItemsUpdate = defineUpdate<DecideItemsResult, [DecideItemsInput]>('decide-items');
export const reviewStatusQuery = defineQuery<AccessReviewStatus>('status');
export const reviewerStatusQuery = defineQuery<AccessReviewerStatus>('status');

/** The reviewer workflow's id: the review's id and who reviews (`…--person-alice`, `…--group-platform`). */
export function reviewerWorkflowId(reviewId: string, reviewer: Reviewer): string {
  return `${reviewId}--${reviewer.type}-${reviewer.id}`;
}
