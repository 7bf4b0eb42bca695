// accessReviewer: one reviewer's part of an access review. The reviewer (a person, or any member of a
// group) decides keep or revoke per item or in bulk, in Slack or the CLI, never on their own access;
// they are reminded, escalated to the review's escalation group when late (who may then decide too),
// and at the deadline the review's default action applies to whatever is undecided. Then revocations
// run in a non-cancellable scope, retried until AWS answers, each with a receipt that was verified by
// reading the principal back. The result is a reference to the reviewer's outcome blob and counts.
//
// History stays bounded however many items and clicks there are: the items come from a blob (loaded
// once per run), and when the history grows long the run continues as new, carrying its decisions.
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { ReviewerNotification } from '../shared/notifications';
import { Outbox } from '../shared/outbox';
import type { RunEvent } from '../shared/run-record';
import { SEARCH_ATTRIBUTES } from '../shared/search-attributes';
import { upsertSearchAttributes } from '@temporalio/workflow';
import { decideItemsUpdate, reviewerStatusQuery } from './definitions';
import type { AccessReviewerInput, AccessReviewerStatus, ReviewerItemView, ReviewerPhase, ReviewerResult } from './definitions';
import type { BlobRef, RevocationReceipt } from './inventory';
import { ReviewBook, isFlagged } from './review-book';
import { Refusals } from '../shared/refusals';
import { isRec } from '../shared/shape';

const quick = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
});

/** Revocations retry until AWS answers (invariant 5): no attempt limit; a dead worker is noticed by heartbeat. */
const revoke = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** Items per revocation activity: small enough that a retried batch redoes little. */
const APPLY_BATCH = 25;
/** Continue as new past this many events (well under Temporal's 51,200), carrying the decisions. */
const MAX_EVENTS = 4_000;
const MAX_TIMELINE = 200;
/** Items shown in one review message: the undecided, flagged first. */
const PAGE_SIZE = 10;
const NOTIFY_DRAIN_MS = 30_000;

export async function accessReviewerWorkflow(input: AccessReviewerInput): Promise<ReviewerResult> {
  const id = workflowInfo().workflowId;
  // Only an access review starts reviewers, after checking its review against the worker's policy:
  // a reviewer started on its own (by anyone who can reach Temporal) could otherwise apply a default
  // action of its choosing to a stored item list. Nothing is read or changed before this check.
  const parent = workflowInfo().parent;
  if (!parent || !id.startsWith(`${parent.workflowId}--`) || !isRec(input) || input.reviewId !== parent.workflowId) {
    throw ApplicationFailure.nonRetryable(`${id.slice(0, 120)} was not started by its access review: refused before reading or changing anything`, Refusals.requestRejected);
  }
  const carry = input.carry;
  if (!carry) {
    upsertSearchAttributes({
      [SEARCH_ATTRIBUTES.kind]: ['access-reviewer'],
      [SEARCH_ATTRIBUTES.role]: [input.reviewName],
      [SEARCH_ATTRIBUTES.requester]: [input.reviewer.id],
    });
  }
  const outbox = new Outbox();
  const timeline: RunEvent[] = [...(carry?.timeline ?? [])];
  const log = (event: string, detail?: string, by?: string): void => {
    if (timeline.length >= MAX_TIMELINE) timeline.splice(1, 1);
    timeline.push({ at: new Date(Date.now()).toISOString(), event, ...(by ? { by } : {}), ...(detail ? { detail: detail.slice(0, 500) } : {}) });
  };

  let phase: ReviewerPhase = 'loading';
  let escalated = carry?.escalated ?? false;
  let cancelled = false;
  let reminders = carry?.reminders ?? 0;
  /** Bumped by every accepted decision: wakes the wait loop. */
  let version = 0;
  const deadline = Date.parse(input.deadlineAt);
  const escalateAt = Date.parse(input.escalateAt);
  const mayDecide = (): string[] => (escalated ? [...new Set([...input.deciders, ...input.escalation.members])] : input.deciders);

  // Handlers are registered before the items load: a decision sent just after a continue-as-new must
  // not find the run without its handler (it would be rejected as unknown). Until the items are in,
  // the validator checks only who is deciding; the handler waits for the items and checks the rest.
  // Assigned once, after the handlers that read it are registered (so it cannot be a const).
  // eslint-disable-next-line prefer-const
  let book: ReviewBook | undefined;
  const itemView = (b: ReviewBook, key: string): ReviewerItemView => {
    const item = b.item(key)!;
    const decision = b.decisions[key];
    const receipt = b.receipts[key];
    return { ...item, ...(decision ? { decision } : {}), ...(b.defaulted.has(key) ? { defaulted: input.defaultAction } : {}), ...(receipt ? { receipt } : {}) };
  };
  const status = (): AccessReviewerStatus => ({
    workflowId: id,
    kind: 'access-reviewer',
    reviewId: input.reviewId,
    reviewName: input.reviewName,
    reviewer: input.reviewer,
    deciders: input.deciders,
    mayDecide: mayDecide(),
    phase,
    deadlineAt: input.deadlineAt,
    escalateAt: input.escalateAt,
    escalated,
    escalationGroup: input.escalation.group,
    cancelled,
    defaultAction: input.defaultAction,
    counts: book?.counts() ?? { items: input.itemCount, flagged: input.flaggedCount, decided: Object.keys(carry?.decisions ?? {}).length, kept: 0, revoked: 0, defaulted: 0, applied: 0, verified: 0, failed: 0 },
    items: book ? book.items.map((i) => itemView(book!, i.key)) : [],
    timeline: [...timeline],
  });
  setHandler(reviewerStatusQuery, status);
  setHandler(
    decideItemsUpdate,
    async (d) => {
      await condition(() => book !== undefined);
      const loaded: ReviewBook = book!;
      loaded.validate(d, mayDecide(), phase === 'reviewing');
      const result = loaded.decide(d, new Date(Date.now()).toISOString());
      version++;
      log(d.bulk ? `bulk:${d.bulk}` : 'decided', `${result.decided} item(s)${d.items && d.items.length === 1 ? ` (${d.items[0]!.key}: ${d.items[0]!.decision})` : ''}; ${result.remaining} left`, d.reviewer);
      return result;
    },
    { validator: (d) => (book ? book.validate(d, mayDecide(), phase === 'reviewing') : ReviewBook.validateDecider(d, mayDecide())) },
  );

  const items = await quick.loadReviewItems({ ref: input.items });
  book = new ReviewBook(items, carry?.decisions ?? {});
  phase = 'reviewing';
  const b = book;

  const notify = (event: string, o: { audience?: string[]; page?: boolean; detail?: string } = {}): void => {
    const { items: all, timeline: _t, ...rest } = status();
    const undecided = all.filter((i) => !i.decision);
    const page = [...undecided.filter(isFlagged), ...undecided.filter((i) => !isFlagged(i))].slice(0, PAGE_SIZE);
    const n: ReviewerNotification = {
      kind: 'access-reviewer',
      subjectId: id,
      event,
      audience: o.audience ?? mayDecide(),
      severity: o.page ? 'page' : 'info',
      security: input.security,
      ...(input.channel ? { channel: input.channel } : {}),
      ...(o.detail ? { detail: o.detail } : {}),
      view: { ...rest, page, undecided: undecided.length },
    };
    outbox.push(n);
  };

  try {
    if (!carry) {
      log('started', `${b.items.length} item(s), ${input.flaggedCount} flagged`);
      notify('review-needed');
    }
    let lastReminder = Date.now();
    while (b.remaining > 0) {
      const now = Date.now();
      if (now >= deadline) break;
      if (!escalated && now >= escalateAt) {
        escalated = true;
        log('escalated', `to ${input.escalation.group}`);
        notify('escalated', { audience: [...new Set([...input.deciders, ...input.escalation.members])], detail: `${b.remaining} item(s) undecided; ${input.escalation.group} may decide them now` });
        continue;
      }
      if (workflowInfo().historyLength > (input.historyLimit ?? MAX_EVENTS) || workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await outbox.flush(NOTIFY_DRAIN_MS);
        await continueAsNew<typeof accessReviewerWorkflow>({ ...input, carry: { startedAt: carry?.startedAt ?? new Date(now).toISOString(), decisions: b.decisions, escalated, reminders, timeline } });
      }
      const nextReminder = lastReminder + input.remindEveryMs;
      const wake = Math.min(deadline, escalated ? Infinity : escalateAt, nextReminder);
      const seen = version;
      const woke = await condition(() => b.remaining === 0 || version !== seen, Math.max(wake - Date.now(), 1));
      if (!woke && Date.now() >= nextReminder && Date.now() < deadline && b.remaining > 0) {
        reminders++;
        lastReminder = Date.now();
        log('reminded', `${b.remaining} item(s) undecided`);
        notify('reminder');
      }
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    cancelled = true;
    log('cancelled', 'the review was cancelled: nothing is defaulted or revoked');
  }

  return CancellationScope.nonCancellable(async () => {
    phase = 'applying';
    const receiptRefs: BlobRef[] = [];
    if (!cancelled) {
      const undecided = b.applyDefault();
      if (undecided.length > 0) {
        log('defaulted', `${undecided.length} undecided item(s): ${input.defaultAction}`);
        notify('defaulted', { page: input.defaultAction !== 'report-only', detail: `${undecided.length} item(s) nobody decided by ${input.deadlineAt}: ${input.defaultAction}` });
      }
      const todo = b.toRevoke(input.defaultAction);
      for (let i = 0; i < todo.length; i += APPLY_BATCH) {
        const batch = todo.slice(i, i + APPLY_BATCH);
        const out = await revoke.applyRevocations({ reviewId: input.reviewId, accounts: input.accountRefs, ...(input.identityCenterRef ? { identityCenterAccount: input.identityCenterRef } : {}), items: batch.map((b) => ({ key: b.item.key, type: b.item.type, name: b.item.name, accountId: b.item.accountId, actions: b.actions })) });
        for (const r of out.receipts) b.receipts[r.key] = r;
        receiptRefs.push(out.ref);
      }
      const c = b.counts();
      if (todo.length > 0) log('applied', `${c.applied} revocation(s), ${c.verified} verified`);
      if (c.failed > 0) notify('revocation-unverified', { page: true, detail: `${c.failed} revocation(s) could not be verified: ${failedKeys(b.receipts).join(', ').slice(0, 400)}` });
    }
    const finishedAt = new Date(Date.now()).toISOString();
    const outcome = await quick.saveReviewerOutcome({
      reviewId: input.reviewId,
      workflowId: id,
      reviewer: input.reviewer,
      items: input.items,
      decisions: b.decisions,
      defaulted: [...b.defaulted],
      defaultAction: input.defaultAction,
      receipts: receiptRefs,
      escalated,
      finishedAt,
    });
    phase = 'ended';
    log('finished', cancelled ? 'cancelled' : undefined);
    notify('finished');
    await outbox.flush(NOTIFY_DRAIN_MS);
    await condition(allHandlersFinished);
    return { reviewer: input.reviewer, workflowId: id, counts: b.counts(), escalated, outcome, finishedAt, ...(cancelled ? { cancelled } : {}) };
  });
}

function failedKeys(receipts: Record<string, RevocationReceipt>): string[] {
  return Object.values(receipts)
    .filter((r) => !r.verified)
    .map((r) => r.key);
}
