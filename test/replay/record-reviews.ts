// Records the access-review histories replayed by test/workflows/replay.test.ts (time-skipping
// server, in-memory activities from test/support/fake-review.ts, no codec): one review of five
// principals in which bob decides per item and in bulk, carol's own access goes to the security
// group where erin decides it, and one item is left to the deadline's default action; the review and
// both reviewer runs are saved. Workflow ids are fixed (reviewer ids derive from the review's).
// Re-record only on purpose, when a change is meant to be incompatible (then version with patched()).
//   npx tsx test/replay/record-reviews.ts
import type { WorkflowHandle } from '@temporalio/client';
import { REVIEW_ROUND, decideItemsUpdate, reviewerStatusQuery, reviewerWorkflowId } from '../../workflows/access-review/definitions';
import type { AccessReviewInput, AccessReviewResult } from '../../workflows/access-review/definitions';
import type { ReviewItem } from '../../workflows/access-review/inventory';
import { fakeReview } from '../support/fake-review';
import { createTestWorker, startTimeSkipping } from '../support/time-skipping';
import { runRecorder, saveHistory, until } from './recorder';

const DAY = 86_400_000;
const ACCOUNT = '123456789012';
const user = (name: string, over: Partial<ReviewItem> = {}): ReviewItem => ({ key: `arn:aws:iam::${ACCOUNT}:user/${name}`, type: 'user', accountId: ACCOUNT, name, findings: [], route: 'owner-tag', ...over });

async function main(): Promise<void> {
  const env = await startTimeSkipping();
  const { activities, state } = fakeReview();
  state.plan = [
    { reviewer: { type: 'person', id: 'bob' }, deciders: ['bob'], items: [user('svc-a'), user('svc-b', { findings: ['access-key-old'] }), user('svc-c')] },
    { reviewer: { type: 'group', id: 'security' }, deciders: ['carol', 'erin'], items: [user('carol', { holder: 'carol', route: 'self-review-escalated', findings: ['console-without-mfa'] }), user('orphan', { route: 'account-group' })] },
  ];
  const input: AccessReviewInput = {
    review: {
      name: 'quarterly-prod',
      accounts: [ACCOUNT],
      accountRefs: [{ accountId: ACCOUNT, executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/SafeguardExecution`, externalId: 'safeguard-sandbox' }],
      owners: { tag: 'owner', fallback: { [ACCOUNT]: 'security' } },
      escalation: 'security',
      escalationMembers: ['carol', 'erin'],
      deadlineMs: 7 * DAY,
      remindEveryMs: 2 * DAY,
      escalateAfterMs: 5 * DAY,
      defaultAction: 'disable-keys',
      exempt: [],
      keyMaxAgeMs: 90 * DAY,
      unusedAfterMs: 90 * DAY,
      identityCenter: false,
    },
    requestedBy: 'schedule',
    security: ['carol'],
    channel: 'C0REVIEWS',
  };
  const id = 'review-quarterly-prod-0000e001';
  const worker = await createTestWorker(env, 'replay-record-review', activities);
  await worker.runUntil(async () => {
    const h = await env.client.workflow.start('accessReviewWorkflow', { taskQueue: 'replay-record-review', workflowId: id, args: [input] });
    const bob = env.client.workflow.getHandle(reviewerWorkflowId(id, { type: 'person', id: 'bob' }));
    const sec = env.client.workflow.getHandle(reviewerWorkflowId(id, { type: 'group', id: 'security' }));
    await until(async () => (await bob.query(reviewerStatusQuery)).phase === 'reviewing' && (await sec.query(reviewerStatusQuery)).phase === 'reviewing', 'both reviewers are reviewing');
    const decide = (handle: WorkflowHandle, args: object) => handle.executeUpdate(decideItemsUpdate, { args: [{ round: REVIEW_ROUND, via: 'cli', ...args } as never] });
    await decide(bob, { reviewer: 'bob', items: [{ key: `arn:aws:iam::${ACCOUNT}:user/svc-b`, decision: 'revoke', reason: 'key too old' }] });
    await decide(bob, { reviewer: 'bob', bulk: 'keep-unflagged' });
    await decide(sec, { reviewer: 'erin', items: [{ key: `arn:aws:iam::${ACCOUNT}:user/carol`, decision: 'keep' }] });
    // orphan is left to the deadline: reminders, escalation, then disable-keys.
    const res = (await h.result()) as AccessReviewResult;
    if (res.outcome !== 'completed') throw new Error(`${id} ended ${res.outcome}, not completed: not recorded`);
    const secResult = res.status.reviewers.find((r) => r.reviewer.id === 'security')?.result;
    if (secResult?.counts.defaulted !== 1 || !secResult.escalated) throw new Error('the security run did not default one item after escalating: not recorded');
    await saveHistory(h, 'completed');
    await saveHistory(bob, 'decided');
    await saveHistory(sec, 'escalated-defaulted');
  });
  await env.teardown();
}

runRecorder(main);
