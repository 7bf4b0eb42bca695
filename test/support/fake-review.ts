// In-memory stand-ins for the access-review activities (activities/reviews), for the workflow tier:
// blobs in a Map, a plan the test sets (reviewers and their items), revocations that record each call
// and return receipts (unverified for keys the test names), plus notify and recordEvidence (checked
// against the evidence schema, as the real activity does). The real activities run against the
// sandbox in the integration tier.
import { createHash } from 'node:crypto';
import { prepareRecord } from '../../evidence/records';
import type { PolicyVerdict } from '../../activities/policy/break-glass-check';
import type { ReviewActivities, ReviewPlan } from '../../activities/reviews';
import type { RevokeItem } from '../../activities/reviews/revoke';
import { reviewerWorkflowId } from '../../workflows/access-review/definitions';
import type { AccountSummary, ReviewerOutcome } from '../../workflows/access-review/definitions';
import type { BlobRef, Reviewer, ReviewItem, RevocationReceipt } from '../../workflows/access-review/inventory';
import type { Notification } from '../../workflows/shared/notifications';

export interface PlannedFake {
  reviewer: Reviewer;
  deciders: string[];
  items: ReviewItem[];
}

export interface FakeReviewState {
  calls: Array<{ activity: string; input: unknown }>;
  blobs: Map<string, unknown>;
  plan: PlannedFake[];
  /** Keys whose revocation cannot be verified. */
  unverifiable: Set<string>;
  /** Fail the next N calls of an activity. */
  failures: Map<string, number>;
  verdict: PolicyVerdict;
  notifications: Notification[];
  evidence: Array<{ id: string; kind: string; record: Record<string, unknown> }>;
  principalsPerAccount: number;
}

export function fakeReview(): { activities: ReviewActivities & Record<string, (i: never) => Promise<unknown>>; state: FakeReviewState } {
  const state: FakeReviewState = { calls: [], blobs: new Map(), plan: [], unverifiable: new Set(), failures: new Map(), verdict: { accepted: true, problems: [] }, notifications: [], evidence: [], principalsPerAccount: 5 };
  const step = (name: string, input: unknown): void => {
    state.calls.push({ activity: name, input });
    const left = state.failures.get(name) ?? 0;
    if (left > 0) {
      state.failures.set(name, left - 1);
      throw new Error(`injected failure in ${name}`);
    }
  };
  const put = (value: unknown, label: string): BlobRef => {
    const json = JSON.stringify(value);
    const sha256 = createHash('sha256').update(json).digest('hex');
    state.blobs.set(sha256, JSON.parse(json));
    return { sha256, bytes: json.length, label };
  };
  const get = <T>(ref: BlobRef): T => {
    if (!state.blobs.has(ref.sha256)) throw new Error(`no blob ${ref.sha256}`);
    return state.blobs.get(ref.sha256) as T;
  };
  const activities = {
    async checkReviewRequest(input: unknown): Promise<PolicyVerdict> {
      step('checkReviewRequest', input);
      return state.verdict;
    },
    async collectInventory(input: { reviewId: string; account: { accountId: string } }): Promise<AccountSummary> {
      step('collectInventory', input);
      return { accountId: input.account.accountId, principals: state.principalsPerAccount, inventory: put({ accountId: input.account.accountId }, 'inventory'), rootFindings: [] };
    },
    async planReview(input: { reviewId: string }): Promise<ReviewPlan> {
      step('planReview', input);
      const all = state.plan.flatMap((p) => p.items);
      return {
        reviewers: state.plan.map((p) => ({
          reviewer: p.reviewer,
          workflowId: reviewerWorkflowId(input.reviewId, p.reviewer),
          deciders: p.deciders,
          items: put(p.items, 'items'),
          itemCount: p.items.length,
          flaggedCount: p.items.filter((i) => i.findings.length > 0).length,
        })),
        exempt: put([], 'exempt'),
        findings: put({ principals: {} }, 'findings'),
        totals: { principals: all.length, flagged: all.filter((i) => i.findings.length > 0).length, exempt: 0, findings: {} },
        rootFindings: {},
      };
    },
    async loadReviewItems(input: { ref: BlobRef }): Promise<ReviewItem[]> {
      step('loadReviewItems', input);
      return get<ReviewItem[]>(input.ref);
    },
    async applyRevocations(input: { items: RevokeItem[] }): Promise<{ receipts: RevocationReceipt[]; ref: BlobRef }> {
      step('applyRevocations', input);
      const at = new Date().toISOString();
      const receipts = input.items.map((i): RevocationReceipt => {
        const bad = state.unverifiable.has(i.key);
        return { key: i.key, actions: i.actions, steps: i.actions.map((a) => ({ action: a, target: i.name, result: bad ? 'failed' : 'done', at })), verified: !bad, verifiedAt: at, remaining: bad ? ['login profile'] : [] };
      });
      return { receipts, ref: put(receipts, 'receipts') };
    },
    async saveReviewerOutcome(input: { workflowId: string; reviewer: Reviewer; items: BlobRef; receipts: BlobRef[]; decisions: ReviewerOutcome['decisions']; defaulted: string[]; defaultAction: ReviewerOutcome['defaultAction']; escalated: boolean; finishedAt: string }): Promise<BlobRef> {
      step('saveReviewerOutcome', input);
      const receipts: Record<string, RevocationReceipt> = {};
      for (const r of input.receipts) for (const x of get<RevocationReceipt[]>(r)) receipts[x.key] = x;
      return put({ ...input, items: get(input.items), receipts }, 'outcome');
    },
    async writeReviewReport(input: { reviewers: unknown[] }): Promise<{ ref: BlobRef; rows: number }> {
      step('writeReviewReport', input);
      return { ref: put(input, 'report'), rows: state.plan.reduce((n, p) => n + p.items.length, 0) };
    },
    async notify(n: Notification): Promise<Record<string, never>> {
      state.notifications.push(n);
      return {};
    },
    async recordEvidence(input: { id: string; kind: string; record: Record<string, unknown> }): Promise<{ seq: number; hash: string; duplicate: boolean }> {
      step('recordEvidence', input);
      const checked = prepareRecord(input.kind, input.record);
      if (!checked.ok) throw new Error(checked.problem);
      state.evidence.push({ ...input, record: checked.record });
      return { seq: state.evidence.length, hash: 'x'.repeat(64), duplicate: false };
    },
  };
  return { activities: activities as never, state };
}

export const callsOf = (s: FakeReviewState, activity: string): unknown[] => s.calls.filter((c) => c.activity === activity).map((c) => c.input);
