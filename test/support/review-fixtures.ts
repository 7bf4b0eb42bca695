// Access-review test data: one reviewer item, a reviewer run's status with counts computed from its
// items (as the workflow's ReviewBook counts them), and the view a reviewer notification carries.
// Tests pass overrides for what they are about (ids, reviewers, deadlines, findings, decisions).
import type { AccessReviewerStatus, ReviewerCounts, ReviewerItemView } from '../../workflows/access-review/definitions';
import type { ReviewerView } from '../../workflows/shared/notifications';

export const REVIEW_ID = 'review-quarterly-prod-1a2b3c4d';
export const REVIEW_ACCOUNT = '111111111111';

/**
 * One item named `name`: an IAM user in REVIEW_ACCOUNT (or `over.accountId`), keyed by that user's ARN
 * unless `over.key` says otherwise, with no findings, routed by its owner tag.
 */
export function reviewItem(name: string, over: Partial<ReviewerItemView> = {}): ReviewerItemView {
  const accountId = over.accountId ?? REVIEW_ACCOUNT;
  return { key: `arn:aws:iam::${accountId}:user/${name}`, type: 'user', accountId, name, findings: [], route: 'owner-tag', ...over };
}

/** What the reviewer workflow counts for these items: findings, decisions, defaults and receipts. */
export function reviewerCounts(items: readonly ReviewerItemView[]): ReviewerCounts {
  const decisions = items.flatMap((i) => (i.decision ? [i.decision] : []));
  const receipts = items.flatMap((i) => (i.receipt ? [i.receipt] : []));
  return {
    items: items.length,
    flagged: items.filter((i) => i.findings.length > 0).length,
    decided: decisions.length,
    kept: decisions.filter((d) => d.decision === 'keep').length,
    revoked: decisions.filter((d) => d.decision === 'revoke').length,
    defaulted: items.filter((i) => i.defaulted !== undefined).length,
    applied: receipts.length,
    verified: receipts.filter((r) => r.verified).length,
    failed: receipts.filter((r) => !r.verified).length,
  };
}

/**
 * bob's reviewer run of the quarterly-prod review, taking decisions, deadline 2026-12-15, defaulting
 * to disable-keys; `counts` come from the items (give `over.counts` to state them otherwise).
 */
export function reviewerStatus(items: ReviewerItemView[], over: Partial<AccessReviewerStatus> = {}): AccessReviewerStatus {
  return {
    workflowId: `${REVIEW_ID}--person-bob`,
    kind: 'access-reviewer',
    reviewId: REVIEW_ID,
    reviewName: 'quarterly-prod',
    reviewer: { type: 'person', id: 'bob' },
    deciders: ['bob'],
    mayDecide: ['bob'],
    phase: 'reviewing',
    deadlineAt: '2026-12-15T00:00:00.000Z',
    escalateAt: '2026-12-10T00:00:00.000Z',
    escalated: false,
    escalationGroup: 'security',
    cancelled: false,
    defaultAction: 'disable-keys',
    counts: reviewerCounts(items),
    items,
    timeline: [],
    ...over,
  };
}

/** The view a reviewer notification carries, built as the workflow builds it: the first page of undecided items, flagged first. */
export function reviewerView(status: AccessReviewerStatus, pageSize = 10): ReviewerView {
  const { items, timeline: _timeline, ...rest } = status;
  const undecided = items.filter((i) => !i.decision);
  const flaggedFirst = [...undecided.filter((i) => i.findings.length > 0), ...undecided.filter((i) => i.findings.length === 0)];
  return { ...rest, page: flaggedFirst.slice(0, pageSize), undecided: undecided.length };
}
