// Shape checks for an access review's start input (workflows/shared/start-input.ts says why). Whether a
// well-formed input is the policy's review is the worker's check (checkReviewRequest).
import { commonInputProblems, isMs, isPeople, isRec, isStr, rejectMalformedRun } from '../shared/start-input';
import type { AccessReviewResult } from './definitions';

/** As config/policy/reviews.ts REVIEW_NAME_PATTERN (workflow code cannot import the loader). */
const REVIEW = /^[a-z](?:[a-z0-9]|-(?!-)){1,31}(?<!-)$/;
const ACTIONS = ['report-only', 'disable-keys', 'remove-console', 'detach-policies'];
const isPositiveMs = (v: unknown): boolean => isMs(v) && (v as number) > 0;

/** Problems with an access review start input's shape (empty when well-formed). Never throws. */
export function reviewInputProblems(raw: unknown): string[] {
  const { input, problems: p } = commonInputProblems(raw);
  if (!input) return p;
  const limit = input['reviewerHistoryLimit'];
  if (limit !== undefined && (!Number.isInteger(limit) || (limit as number) < 20)) p.push('reviewerHistoryLimit is not a whole number of at least 20');
  const r = input['review'];
  if (!isRec(r)) return [...p, 'review is not an object'];
  if (!isStr(r['name'], 32) || !REVIEW.test(r['name'])) p.push('review.name is not a review name');
  if (!Array.isArray(r['accounts']) || r['accounts'].length === 0 || !r['accounts'].every((a) => typeof a === 'string' && /^\d{12}$/.test(a))) p.push('review.accounts is not a list of account ids');
  const refs = r['accountRefs'];
  if (!Array.isArray(refs) || refs.length !== (Array.isArray(r['accounts']) ? r['accounts'].length : -1) || !refs.every((a) => isRec(a) && isStr(a['accountId']) && isStr(a['executionRoleArn']) && isStr(a['externalId']))) {
    p.push('review.accountRefs does not match review.accounts');
  }
  if (!isRec(r['owners']) || !isStr(r['owners']['tag'], 128) || !isRec(r['owners']['fallback'])) p.push('review.owners is not an owner mapping');
  if (!isStr(r['escalation'], 32)) p.push('review.escalation is not a group id');
  if (!isPeople(r['escalationMembers'])) p.push('review.escalationMembers is not a list of person ids');
  for (const k of ['deadlineMs', 'remindEveryMs', 'escalateAfterMs', 'keyMaxAgeMs', 'unusedAfterMs']) if (!isPositiveMs(r[k])) p.push(`review.${k} is not a duration`);
  if (!ACTIONS.includes(r['defaultAction'] as string)) p.push('review.defaultAction is not a default action');
  if (!Array.isArray(r['exempt'])) p.push('review.exempt is not a list');
  if (typeof r['identityCenter'] !== 'boolean') p.push('review.identityCenter is not true or false');
  return p;
}

/** Ends a review whose input is malformed: nothing read or revoked, security paged, evidence written. */
export async function rejectMalformedReview(workflowId: string, problems: string[]): Promise<AccessReviewResult> {
  const { run, evidenceWritten } = await rejectMalformedRun('access-review', 'Access review', problems, { review: '-', accounts: [], reviewers: [], totals: null, report: null });
  const status = { workflowId, kind: 'access-review' as const, review: '-', requestedBy: '-', view: run.record.view(), timeline: [...run.record.timeline], accounts: [], reviewers: [] };
  return { status, outcome: 'rejected-invalid', evidenceWritten };
}
