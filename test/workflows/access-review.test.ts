// The access review and its reviewer children on the time-skipping server, AWS replaced by the
// in-memory fakes of test/support/fake-review.ts: decisions per item and in bulk, a self-review
// refused, reminders, escalation (the escalation group may then decide), the default action at the
// deadline applied with receipts, an unverified revocation paged, a cancelled review revoking nothing,
// a reviewer continuing as new with its decisions, and a malformed or off-policy input.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { REVIEW_ROUND, decideItemsUpdate, reviewStatusQuery, reviewerStatusQuery, reviewerWorkflowId } from '../../workflows/access-review/definitions';
import type { AccessReviewInput, AccessReviewResult, AccessReviewStatus, AccessReviewTarget, AccessReviewerInput, AccessReviewerStatus, ReviewerResult } from '../../workflows/access-review/definitions';
import type { ReviewItem } from '../../workflows/access-review/inventory';
import type { RevokeItem } from '../../activities/reviews/revoke';
import { callsOf, fakeReview } from '../support/fake-review';
import type { FakeReviewState, PlannedFake } from '../support/fake-review';
import { startTimeSkipping, workflowBundle } from '../support/time-skipping';
import { expectRefused, healTimeSkipping } from './harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const ACCOUNT = '123456789012';
const REF = { accountId: ACCOUNT, executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/SafeguardExecution`, externalId: 'safeguard-sandbox' };

function review(over: Partial<AccessReviewTarget> = {}): AccessReviewTarget {
  return {
    name: 'quarterly-prod',
    accounts: [ACCOUNT],
    accountRefs: [REF],
    owners: { tag: 'owner', fallback: { [ACCOUNT]: 'security' } },
    escalation: 'security',
    escalationMembers: ['carol', 'erin'],
    deadlineMs: 7 * DAY,
    remindEveryMs: DAY,
    escalateAfterMs: 3 * DAY,
    defaultAction: 'disable-keys',
    exempt: [],
    keyMaxAgeMs: 90 * DAY,
    unusedAfterMs: 90 * DAY,
    identityCenter: false,
    ...over,
  };
}

const user = (name: string, over: Partial<ReviewItem> = {}): ReviewItem => ({ key: `arn:aws:iam::${ACCOUNT}:user/${name}`, type: 'user', accountId: ACCOUNT, name, findings: [], route: 'owner-tag', ...over });
const role = (name: string, over: Partial<ReviewItem> = {}): ReviewItem => ({ key: `arn:aws:iam::${ACCOUNT}:role/${name}`, type: 'role', accountId: ACCOUNT, name, findings: [], route: 'owner-tag', ...over });

/** bob owns three principals; the security group (carol, erin) reviews two, one of them carol's own. */
function defaultPlan(): PlannedFake[] {
  return [
    { reviewer: { type: 'person', id: 'bob' }, deciders: ['bob'], items: [user('svc-a'), user('svc-b', { findings: ['access-key-old'] }), role('app-role', { findings: ['principal-unused'] })] },
    { reviewer: { type: 'group', id: 'security' }, deciders: ['carol', 'erin'], items: [user('carol', { holder: 'carol', route: 'account-group', findings: ['console-without-mfa'] }), user('orphan', { route: 'account-group' })] },
  ];
}

function input(over: Partial<AccessReviewInput> = {}, r: AccessReviewTarget = review()): AccessReviewInput {
  return { review: r, requestedBy: 'alice', security: ['carol'], channel: 'C0REVIEWS', ...over };
}

interface Ctx {
  handle: WorkflowHandle;
  state: FakeReviewState;
  workflowId: string;
}

async function run<T>(workflow: string, args: unknown, fn: (c: Ctx) => Promise<T>, prepare?: (s: FakeReviewState) => void, workflowId = `review-quarterly-prod-${Math.random().toString(16).slice(2, 10)}`): Promise<T> {
  const { activities, state } = fakeReview();
  state.plan = defaultPlan();
  prepare?.(state);
  const taskQueue = `tq-${workflowId}`;
  const worker = await Worker.create({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue, workflowBundle: await workflowBundle(), activities });
  try {
    return await worker.runUntil(async () => fn({ handle: await env.client.workflow.start(workflow, { taskQueue, workflowId, args: [args] }), state, workflowId }));
  } finally {
    for (const p of [{ type: 'person', id: 'bob' }, { type: 'group', id: 'security' }] as const) await env.client.workflow.getHandle(reviewerWorkflowId(workflowId, p)).terminate('test over').catch(() => undefined);
    await env.client.workflow.getHandle(workflowId).terminate('test over').catch(() => undefined);
    await healTimeSkipping(env);
  }
}

async function waitFor<T>(read: () => Promise<T>, pred: (s: T) => boolean, what: string): Promise<T> {
  const until = Date.now() + 20_000;
  for (;;) {
    const st = await read().catch(() => undefined);
    if (st !== undefined && pred(st)) return st;
    if (Date.now() > until) throw new Error(`never saw ${what}: ${JSON.stringify(st)?.slice(0, 400)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const reviewerHandle = (reviewId: string, type: 'person' | 'group', id: string) => env.client.workflow.getHandle(reviewerWorkflowId(reviewId, { type, id }));
const reviewerReady = (reviewId: string, type: 'person' | 'group', id: string): Promise<AccessReviewerStatus> =>
  waitFor(() => reviewerHandle(reviewId, type, id).query(reviewerStatusQuery), (s) => s.phase === 'reviewing', `${type} ${id} reviewing`);
const decide = (h: WorkflowHandle, args: Record<string, unknown>) => h.executeUpdate(decideItemsUpdate, { args: [{ round: REVIEW_ROUND, via: 'cli', ...args } as never] });
const revoked = (s: FakeReviewState): RevokeItem[] => callsOf(s, 'applyRevocations').flatMap((c) => (c as { items: RevokeItem[] }).items);

describe('accessReview', () => {
  test('reviewers decide per item and in bulk; revocations applied with receipts; one report and one evidence record', async () => {
    await run('accessReviewWorkflow', input(), async ({ handle, state, workflowId }) => {
      await reviewerReady(workflowId, 'person', 'bob');
      await reviewerReady(workflowId, 'group', 'security');
      const bob = reviewerHandle(workflowId, 'person', 'bob');
      const sec = reviewerHandle(workflowId, 'group', 'security');

      const one = await decide(bob, { reviewer: 'bob', items: [{ key: `arn:aws:iam::${ACCOUNT}:user/svc-b`, decision: 'revoke', reason: 'key is ancient' }] });
      expect(one).toMatchObject({ decided: 1, remaining: 2 });
      const bulk = await decide(bob, { reviewer: 'bob', bulk: 'keep-unflagged' });
      expect(bulk).toMatchObject({ decided: 1, remaining: 1 });
      await decide(bob, { reviewer: 'bob', bulk: 'revoke-flagged' });

      // carol's own access: refused to her, decided by erin; a bulk by carol skips it.
      await expectRefused(decide(sec, { reviewer: 'carol', items: [{ key: `arn:aws:iam::${ACCOUNT}:user/carol`, decision: 'keep' }] }), 'OwnAccess');
      const carolBulk = await decide(sec, { reviewer: 'carol', bulk: 'keep-all' });
      expect(carolBulk.skipped).toEqual([{ key: `arn:aws:iam::${ACCOUNT}:user/carol`, why: expect.stringContaining('your own access') }]);
      expect(carolBulk.decided).toBe(1);
      await decide(sec, { reviewer: 'erin', items: [{ key: `arn:aws:iam::${ACCOUNT}:user/carol`, decision: 'revoke' }] });

      const res = (await handle.result()) as AccessReviewResult;
      expect(res.outcome).toBe('completed');
      expect(res.evidenceWritten).toBe(true);
      const keys = revoked(state).map((i) => [i.name, i.actions]);
      expect(keys).toEqual(
        expect.arrayContaining([
          ['svc-b', ['disable-keys', 'remove-console', 'detach-policies']],
          ['app-role', ['detach-policies']],
          ['carol', ['disable-keys', 'remove-console', 'detach-policies']],
        ]),
      );
      expect(keys).toHaveLength(3);
      const bobResult = res.status.reviewers.find((r) => r.reviewer.id === 'bob')!.result!;
      expect(bobResult.counts).toMatchObject({ items: 3, kept: 1, revoked: 2, defaulted: 0, applied: 2, verified: 2, failed: 0 });
      expect(res.status.report).toBeDefined();
      expect(state.evidence).toHaveLength(1);
      const ev = state.evidence[0]!;
      expect(ev.kind).toBe('access-review');
      expect(ev.record).toMatchObject({ review: 'quarterly-prod', outcome: 'completed', totals: { principals: 5, flagged: 3 }, report: { sha256: res.status.report!.sha256 } });
      // The whole inventory never entered the parent's history: only references and counts.
      const history = JSON.stringify((await handle.fetchHistory()).events);
      expect(history).not.toContain('svc-a');
    });
  });

  test('nobody answers: reminded, escalated to the escalation group (who may then decide), and at the deadline the default action applies', async () => {
    await run(
      'accessReviewWorkflow',
      input(),
      async ({ handle, state, workflowId }) => {
        const bob = reviewerHandle(workflowId, 'person', 'bob');
        await reviewerReady(workflowId, 'person', 'bob');
        await expectRefused(decide(bob, { reviewer: 'carol', bulk: 'keep-all' }), 'NotAnApprover');
        await env.sleep(3 * DAY + MIN);
        const st = await waitFor(() => bob.query(reviewerStatusQuery), (s) => s.escalated, 'escalation');
        expect(st.mayDecide).toEqual(expect.arrayContaining(['bob', 'carol', 'erin']));
        // The escalation group may now decide bob's items.
        await decide(bob, { reviewer: 'carol', items: [{ key: `arn:aws:iam::${ACCOUNT}:user/svc-a`, decision: 'keep' }] });
        const res = (await handle.result()) as AccessReviewResult;
        expect(res.outcome).toBe('completed');
        const events = state.notifications.filter((n) => n.kind === 'access-reviewer' && n.subjectId === bob.workflowId).map((n) => n.event);
        expect(events.filter((e) => e === 'reminder').length).toBeGreaterThanOrEqual(3);
        expect(events).toEqual(expect.arrayContaining(['review-needed', 'escalated', 'defaulted', 'finished']));
        const bobResult = res.status.reviewers.find((r) => r.reviewer.id === 'bob')!.result!;
        expect(bobResult).toMatchObject({ escalated: true, counts: { kept: 1, defaulted: 2 } });
        // disable-keys applies to the undecided user; a role has no keys, so nothing is done to it.
        expect(revoked(state).filter((i) => i.name === 'svc-b' || i.name === 'app-role').map((i) => [i.name, i.actions])).toEqual([['svc-b', ['disable-keys']]]);
        const decidedAt = (await bob.query(reviewerStatusQuery)).items.find((i) => i.name === 'svc-b')!;
        expect(decidedAt).toMatchObject({ defaulted: 'disable-keys', receipt: { verified: true } });
      },
      undefined,
    );
  });

  test('report-only leaves undecided items alone; a revocation that cannot be verified pages and ends completed-with-failures', async () => {
    await run(
      'accessReviewWorkflow',
      input({}, review({ defaultAction: 'report-only' })),
      async ({ handle, state, workflowId }) => {
        const sec = reviewerHandle(workflowId, 'group', 'security');
        await reviewerReady(workflowId, 'group', 'security');
        await decide(sec, { reviewer: 'erin', items: [{ key: `arn:aws:iam::${ACCOUNT}:user/orphan`, decision: 'revoke' }] });
        await env.sleep(7 * DAY + MIN);
        const res = (await handle.result()) as AccessReviewResult;
        expect(res.outcome).toBe('completed-with-failures');
        expect(revoked(state).map((i) => i.name)).toEqual(['orphan']);
        const pages = state.notifications.filter((n) => n.severity === 'page').map((n) => n.event);
        expect(pages).toEqual(expect.arrayContaining(['revocation-unverified', 'ended']));
        expect(state.evidence[0]!.record).toMatchObject({ outcome: 'completed-with-failures' });
      },
      (s) => s.unverifiable.add(`arn:aws:iam::${ACCOUNT}:user/orphan`),
    );
  });

  test('a cancelled review cancels its reviewers: nothing defaulted, nothing revoked', async () => {
    await run('accessReviewWorkflow', input(), async ({ handle, state, workflowId }) => {
      const bob = reviewerHandle(workflowId, 'person', 'bob');
      await reviewerReady(workflowId, 'person', 'bob');
      await decide(bob, { reviewer: 'bob', bulk: 'revoke-all' });
      await reviewerReady(workflowId, 'group', 'security');
      await handle.cancel();
      const res = (await handle.result()) as AccessReviewResult;
      expect(res.outcome).toBe('cancelled');
      // bob had decided everything before the cancel, so his revocations ran; the group's run was cancelled mid-review.
      const sec = (await reviewerHandle(workflowId, 'group', 'security').result()) as ReviewerResult;
      expect(sec).toMatchObject({ cancelled: true, counts: { defaulted: 0, applied: 0 } });
      expect(revoked(state).map((i) => i.name).sort()).toEqual(['app-role', 'svc-a', 'svc-b']);
    });
  });

  test('an input that is not the policy’s review ends rejected-invalid before anything is read', async () => {
    await run(
      'accessReviewWorkflow',
      input(),
      async ({ handle, state }) => {
        const res = (await handle.result()) as AccessReviewResult;
        expect(res.outcome).toBe('rejected-invalid');
        expect(callsOf(state, 'collectInventory')).toHaveLength(0);
        expect(state.notifications.some((n) => n.severity === 'page' && n.event === 'rejected-invalid')).toBe(true);
      },
      (s) => (s.verdict = { accepted: false, problems: ['defaultAction differs from the policy'] }),
    );
  });

  test('a malformed input is refused at once, with evidence', async () => {
    await run('accessReviewWorkflow', { review: { name: 'x' }, requestedBy: 'alice', security: [] }, async ({ handle, state }) => {
      const res = (await handle.result()) as AccessReviewResult;
      expect(res.outcome).toBe('rejected-invalid');
      expect(state.evidence[0]).toMatchObject({ kind: 'access-review', record: { outcome: 'rejected-invalid' } });
      expect(callsOf(state, 'checkReviewRequest')).toHaveLength(0);
    });
  });

  test('the inventory is read per account and the status shows totals while reviewers work', async () => {
    const two = review({ accounts: [ACCOUNT, '210987654321'], accountRefs: [REF, { ...REF, accountId: '210987654321', executionRoleArn: 'arn:aws:iam::210987654321:role/SafeguardExecution' }] });
    await run('accessReviewWorkflow', input({}, two), async ({ handle, state }) => {
      const st = await waitFor(() => handle.query(reviewStatusQuery), (s: AccessReviewStatus) => s.reviewers.length === 2, 'reviewers');
      expect(st.accounts.map((a) => a.accountId)).toEqual([ACCOUNT, '210987654321']);
      expect(st.totals).toMatchObject({ principals: 5 });
      expect(callsOf(state, 'collectInventory')).toHaveLength(2);
    });
  });
});

describe('accessReviewer', () => {
  test('continues as new when its history grows, carrying every decision', async () => {
    const items = Array.from({ length: 40 }, (_, i) => user(`u${String(i).padStart(2, '0')}`));
    await run(
      'accessReviewWorkflow',
      input({ reviewerHistoryLimit: 40 }, review({ deadlineMs: 30 * DAY, escalateAfterMs: 20 * DAY, remindEveryMs: 10 * DAY, defaultAction: 'report-only' })),
      async ({ handle, workflowId }) => {
        const bob = reviewerHandle(workflowId, 'person', 'bob');
        // Time stands still while decisions arrive (the deadline is a month away in virtual time).
        await env.connection.testService?.lockTimeSkipping({});
        try {
          await reviewerReady(workflowId, 'person', 'bob');
          const first = (await bob.describe()).runId;
          for (const it of items.slice(0, 39)) await decide(env.client.workflow.getHandle(bob.workflowId), { reviewer: 'bob', items: [{ key: it.key, decision: 'keep' }] });
          const st = await waitFor(() => env.client.workflow.getHandle(bob.workflowId).query(reviewerStatusQuery), (s) => s.counts.decided === 39, 'decisions carried');
          expect(st.items.filter((i) => i.decision?.decision === 'keep')).toHaveLength(39);
          expect((await env.client.workflow.getHandle(bob.workflowId).describe()).runId).not.toBe(first);
          await decide(env.client.workflow.getHandle(bob.workflowId), { reviewer: 'bob', items: [{ key: items[39]!.key, decision: 'revoke' }] });
        } finally {
          await env.connection.testService?.unlockTimeSkipping({});
        }
        const res = (await handle.result()) as AccessReviewResult;
        expect(res.status.reviewers[0]!.result!.counts).toMatchObject({ items: 40, kept: 39, revoked: 1, applied: 1 });
      },
      (s) => (s.plan = [{ reviewer: { type: 'person', id: 'bob' }, deciders: ['bob'], items }]),
    );
  });

  test('a reviewer started on its own, not by its access review, is refused before it reads or changes anything', async () => {
    const reviewId = `review-forged-${Math.random().toString(16).slice(2, 10)}`;
    const forged: AccessReviewerInput = {
      reviewId,
      reviewName: 'quarterly-prod',
      reviewer: { type: 'person', id: 'bob' },
      deciders: ['bob'],
      escalation: { group: 'security', members: ['carol', 'erin'] },
      accountRefs: [REF],
      items: { sha256: 'a'.repeat(64), bytes: 10, label: 'a past review’s items' },
      itemCount: 1,
      flaggedCount: 0,
      deadlineAt: new Date(0).toISOString(),
      escalateAt: new Date(0).toISOString(),
      remindEveryMs: DAY,
      defaultAction: 'detach-policies',
      security: ['carol'],
    };
    await run(
      'accessReviewerWorkflow',
      forged,
      async ({ handle, state }) => {
        const err = await handle.result().then(
          () => undefined,
          (e: unknown) => e as { cause?: { type?: string } },
        );
        expect(err?.cause?.type).toBe('RequestRejected');
        expect(state.calls).toEqual([]);
      },
      undefined,
      reviewerWorkflowId(reviewId, { type: 'person', id: 'bob' }),
    );
  });
});
