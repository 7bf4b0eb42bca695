// accessReview: who can still get into our accounts, and should they? Read every account's IAM users,
// roles and (optionally) Identity Center assignments, raise findings, route every principal to the
// person who owns it (or the account's group; never to the person whose access it is), and start one
// accessReviewer child per reviewer, which takes keep/revoke decisions, reminds, escalates, applies
// the default action at the deadline and revokes with receipts. Then one report and one evidence record.
//
// The inventory never passes through this history: activities store it as blobs in the evidence store
// and return references and counts, so the parent's history is the same size for 50 principals or 10,000.
import { CancellationScope, CancelledFailure, ParentClosePolicy, isCancellation, proxyActivities, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { formatElapsed } from '../../config/duration';
import { RunbookRun, errorMessage } from '../shared/runbook-run';
import { accessReviewerWorkflow } from './reviewer.workflow';
import { reviewStatusQuery } from './definitions';
import type { AccessReviewInput, AccessReviewOutcome, AccessReviewResult, AccessReviewStatus, AccountSummary, ReviewerSummary, ReviewTotals } from './definitions';
import type { BlobRef } from './inventory';
import { rejectMalformedReview, reviewInputProblems } from './input-shape';

const quick = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

/** Paging through thousands of principals takes a while; a stuck worker is noticed by heartbeat. */
const inventory = proxyActivities<Activities>({
  startToCloseTimeout: '20m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10 },
});

const STEPS = ['check review', 'inventory', 'findings', 'review', 'report'] as const;
type Step = (typeof STEPS)[number];

export async function accessReviewWorkflow(input: AccessReviewInput): Promise<AccessReviewResult> {
  const problems = reviewInputProblems(input);
  if (problems.length > 0) return rejectMalformedReview(workflowInfo().workflowId, problems);
  const r = input.review;
  const reviewId = workflowInfo().workflowId;
  const run = new RunbookRun({
    kind: 'access-review',
    title: 'Access review',
    target: r.name,
    accountId: r.accounts[0]!,
    requestedBy: input.requestedBy,
    security: input.security,
    ...(input.channel ? { channel: input.channel } : {}),
    steps: STEPS,
  });
  const record = run.record;
  record.fact('Accounts', r.accounts.join(', '));
  record.fact('Deadline', `${formatElapsed(r.deadlineMs)} after routing; then ${r.defaultAction}`);

  const state: { accounts: AccountSummary[]; totals?: ReviewTotals; reviewers: ReviewerSummary[]; exempt?: BlobRef; findings?: BlobRef; report?: BlobRef; deadlineAt?: string } = { accounts: [], reviewers: [] };
  const status = (): AccessReviewStatus => ({
    workflowId: reviewId,
    kind: 'access-review',
    review: r.name,
    requestedBy: input.requestedBy,
    view: record.view(),
    timeline: [...record.timeline],
    accounts: state.accounts,
    ...(state.totals ? { totals: state.totals } : {}),
    reviewers: state.reviewers,
    ...(state.exempt ? { exempt: state.exempt } : {}),
    ...(state.findings ? { findings: state.findings } : {}),
    ...(state.report ? { report: state.report } : {}),
    ...(state.deadlineAt ? { deadlineAt: state.deadlineAt } : {}),
  });
  setHandler(reviewStatusQuery, status);
  record.log(Date.now(), 'started', undefined, input.requestedBy);
  run.notify('started');

  let current: Step = 'check review';
  const step = (name: Step, s: 'running' | 'done' | 'failed' | 'skipped', detail?: string): void => {
    current = name;
    record.step(Date.now(), name, s, detail);
  };
  let outcome: AccessReviewOutcome;
  try {
    step('check review', 'running');
    const verdict = await quick.checkReviewRequest({ review: r });
    if (!verdict.accepted) throw new Rejected(verdict.problems.join('; '));
    step('check review', 'done');

    step('inventory', 'running', `${r.accounts.length} account(s)`);
    state.accounts = await Promise.all(r.accountRefs.map((account) => inventory.collectInventory({ reviewId, account, identityCenter: r.identityCenter, ...(r.identityCenterRef ? { identityCenterAccount: r.identityCenterRef } : {}) })));
    const principals = state.accounts.reduce((n, a) => n + a.principals, 0);
    step('inventory', 'done', `${principals} principals in ${state.accounts.length} account(s)`);

    step('findings', 'running');
    const plan = await inventory.planReview({ reviewId, review: r, accounts: state.accounts });
    state.accounts = state.accounts.map((a) => ({ ...a, rootFindings: plan.rootFindings[a.accountId] ?? [] }));
    state.totals = plan.totals;
    state.exempt = plan.exempt;
    state.findings = plan.findings;
    const t = plan.totals;
    record.fact('Principals', `${t.principals} (${t.flagged} flagged, ${t.exempt} exempt)`);
    step('findings', 'done', `${t.flagged} of ${t.principals} flagged; ${plan.reviewers.length} reviewer(s)`);

    step('review', 'running');
    const now = Date.now();
    const deadlineAt = new Date(now + r.deadlineMs).toISOString();
    state.deadlineAt = deadlineAt;
    const children = await Promise.all(
      plan.reviewers.map((p) =>
        startChild(accessReviewerWorkflow, {
          workflowId: p.workflowId,
          // A cancelled review cancels its reviewers: nothing more is decided or revoked.
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          args: [
            {
              reviewId,
              reviewName: r.name,
              reviewer: p.reviewer,
              deciders: p.deciders,
              escalation: { group: r.escalation, members: r.escalationMembers },
              accountRefs: r.accountRefs,
              ...(r.identityCenterRef ? { identityCenterRef: r.identityCenterRef } : {}),
              items: p.items,
              itemCount: p.itemCount,
              flaggedCount: p.flaggedCount,
              deadlineAt,
              escalateAt: new Date(now + r.escalateAfterMs).toISOString(),
              remindEveryMs: r.remindEveryMs,
              defaultAction: r.defaultAction,
              security: input.security,
              ...(input.channel ? { channel: input.channel } : {}),
              ...(input.reviewerHistoryLimit !== undefined ? { historyLimit: input.reviewerHistoryLimit } : {}),
            },
          ],
        }),
      ),
    );
    state.reviewers = plan.reviewers.map((p) => ({ reviewer: p.reviewer, workflowId: p.workflowId, items: p.itemCount, flagged: p.flaggedCount }));
    run.notify('reviewers-asked', { detail: `${plan.reviewers.length} reviewer(s), deadline ${deadlineAt}` });
    await Promise.all(
      children.map(async (child, i) => {
        const result = await child.result();
        state.reviewers[i] = { ...state.reviewers[i]!, result };
        const c = result.counts;
        record.log(Date.now(), 'reviewer-finished', `${c.kept} kept, ${c.revoked} revoked, ${c.defaulted} defaulted, ${c.verified}/${c.applied} revocations verified`, result.reviewer.id);
      }),
    );
    // A cancel reaches the reviewers, which end cleanly (nothing defaulted or revoked) and return:
    // the review itself must still end as cancelled.
    if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('the review was cancelled');
    const failed = state.reviewers.reduce((n, s) => n + (s.result?.counts.failed ?? 0), 0);
    const sum = (k: 'kept' | 'revoked' | 'defaulted') => state.reviewers.reduce((n, s) => n + (s.result?.counts[k] ?? 0), 0);
    record.fact('Decisions', `${sum('kept')} kept, ${sum('revoked')} revoked, ${sum('defaulted')} defaulted (${r.defaultAction})`);
    step('review', failed > 0 ? 'failed' : 'done', failed > 0 ? `${failed} revocation(s) not verified` : 'every reviewer finished');
    outcome = failed > 0 ? 'completed-with-failures' : 'completed';
  } catch (err) {
    if (err instanceof Rejected) {
      outcome = 'rejected-invalid';
      step('check review', 'failed', `not the policy's review: ${err.message}`);
      run.notify('rejected-invalid', { page: true, detail: `review input does not match the policy: ${err.message.slice(0, 500)}` });
    } else if (isCancellation(err)) {
      outcome = 'cancelled';
      failRunning(current, 'cancelled');
    } else {
      outcome = 'failed';
      failRunning(current, errorMessage(err));
      run.notify('failed', { page: true, detail: `${current}: ${errorMessage(err)}` });
    }
  }

  return CancellationScope.nonCancellable(async () => {
    if (state.totals) {
      step('report', 'running');
      try {
        const report = await quick.writeReviewReport({ reviewId, review: r, startedAt: record.startedAt, outcome, accounts: state.accounts, exempt: state.exempt ?? null, findings: state.findings ?? null, reviewers: state.reviewers });
        state.report = report.ref;
        step('report', 'done', `${report.rows} row(s)`);
      } catch (err) {
        failRunning('report', errorMessage(err));
      }
    }
    const failures = outcome === 'completed-with-failures' ? `${state.reviewers.reduce((n, s) => n + (s.result?.counts.failed ?? 0), 0)} revocation(s) could not be verified` : undefined;
    const evidenceWritten = await run.finish(
      outcome,
      (ids) => ({
        ...ids,
        review: r.name,
        accounts: state.accounts.map((a) => ({ accountId: a.accountId, principals: a.principals, inventory: a.inventory, rootFindings: a.rootFindings })),
        requestedBy: input.requestedBy,
        outcome,
        defaultAction: r.defaultAction,
        deadlineAt: state.deadlineAt ?? null,
        totals: state.totals ?? null,
        reviewers: state.reviewers.map((s) => ({ reviewer: s.reviewer, workflowId: s.workflowId, items: s.items, flagged: s.flagged, counts: s.result?.counts ?? null, escalated: s.result?.escalated ?? null, outcome: s.result?.outcome ?? null, finishedAt: s.result?.finishedAt ?? null })),
        exempt: state.exempt ?? null,
        findings: state.findings ?? null,
        report: state.report ?? null,
        ...run.recordFields(),
      }),
      outcome === 'completed',
      failures ? { page: failures } : {},
    );
    return { status: status(), outcome, evidenceWritten };
  });

  function failRunning(name: Step, detail: string): void {
    const s = record.steps.find((x) => x.name === name);
    if (s && s.state === 'running') record.step(Date.now(), name, 'failed', detail);
  }
}

class Rejected extends Error {}
