// Starting, reading and deciding access reviews. The review's input is built from the policy when it
// starts (accounts, owners, deadline, default action), so a policy edit never changes a review in
// flight; Schedules carry the same input (client/schedules.ts). Decisions go to the reviewer run that
// holds the item; `decide` finds it from the review's id, so people never need the child's id.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { securityPeople } from '../config/policy/lookup';
import type { Policy } from '../config/policy/types';
import { REVIEW_ROUND, decideItemsUpdate, reviewStatusQuery, reviewerStatusQuery } from '../workflows/access-review/definitions';
import type {
  AccessReviewInput,
  AccessReviewResult,
  AccessReviewStatus,
  AccessReviewerStatus,
  BulkChoice,
  DecideItemsInput,
  DecideItemsResult,
  InventoryProgress,
  ItemDecision,
} from '../workflows/access-review/definitions';
import type { DecisionChannel } from '../workflows/shared/approval/definitions';
import { DEFAULT_TASK_QUEUE } from '../workflows/shared/task-queues';
import { SafeguardError } from './errors';
import { accessReviewId } from './ids';
import { assertFreeText } from './request';
import { accessReviewTargetFor } from './review-targets';
import { listRuns, onRun, queryRun, runResult, startRun } from './runs';
import type { ExecutionState, ListedRun } from './runs';

export const ACCESS_REVIEW_WORKFLOW = 'accessReviewWorkflow';
const KINDS = ['access-review'] as const;

export function accessReviewInput(policy: Policy, name: string, requestedBy: string): AccessReviewInput {
  const channel = policy.reviews.channel ?? policy.slack?.auditChannel;
  return { review: accessReviewTargetFor(policy, name), requestedBy, security: securityPeople(policy), ...(channel ? { channel } : {}) };
}


export interface ReviewDecision {
  /** Per-item decisions (principal ARN, Identity Center key, or a name unique among the person's items)… */
  items?: Array<{ item: string; decision: ItemDecision; reason?: string }>;
  /** …or one bulk choice over every run the person may decide in. */
  bulk?: BulkChoice;
  reason?: string;
  via?: DecisionChannel;
}

/** One reviewer run's decision, as its Update takes it. */
export type RunDecision = DecideItemsInput;

export interface ReviewDecisionOutcome {
  /** Per reviewer run decided in. */
  runs: Array<{ workflowId: string } & DecideItemsResult>;
  decided: number;
}

export class ReviewClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string = DEFAULT_TASK_QUEUE,
  ) {}

  async start(policy: Policy, name: string, requestedBy: string, opts: { workflowId?: string } = {}): Promise<{ workflowId: string }> {
    const input = accessReviewInput(policy, name, requestedBy);
    const workflowId = opts.workflowId ?? accessReviewId(name, randomBytes(4).toString('hex'));
    await startRun(this.client, { workflowType: ACCESS_REVIEW_WORKFLOW, taskQueue: this.taskQueue, workflowId, input, kind: 'access-review', target: name, accountId: input.review.accounts[0]!, requestedBy });
    return { workflowId };
  }

  /** The review's status, plus inventory progress while its inventory activities run. */
  async status(id: string): Promise<AccessReviewStatus & { execution: ExecutionState; progress: InventoryProgress[] }> {
    const st = await queryRun(this.client, this.reviewIdOf(id), KINDS, reviewStatusQuery);
    const progress = st.execution.status === 'RUNNING' ? await this.progress(this.reviewIdOf(id)) : [];
    return { ...st, progress };
  }

  async reviewer(id: string): Promise<AccessReviewerStatus & { execution: ExecutionState }> {
    return queryRun(this.client, id, KINDS, reviewerStatusQuery);
  }

  /** Every reviewer run of the review, with its items and decisions. */
  async reviewers(reviewId: string): Promise<AccessReviewerStatus[]> {
    const st = await this.status(reviewId);
    return Promise.all(st.reviewers.map((r) => this.reviewer(r.workflowId)));
  }

  async result(id: string): Promise<AccessReviewResult> {
    return runResult<AccessReviewResult>(this.client, this.reviewIdOf(id), KINDS);
  }

  async list(opts: { limit?: number; review?: string } = {}): Promise<ListedRun[]> {
    return listRuns(this.client, KINDS, { ...(opts.limit ? { limit: opts.limit } : {}), ...(opts.review ? { target: opts.review } : {}) });
  }

  /**
   * Decides items of a review as `person`. Items are found in the reviewer runs the person may decide
   * in (their own, their groups', the escalation group's once escalated); a bulk choice applies to
   * each of those runs. Refusals come from the workflow (not a reviewer, own access, closed).
   */
  async decide(reviewOrRunId: string, person: string, d: ReviewDecision): Promise<ReviewDecisionOutcome> {
    if ((d.items === undefined) === (d.bulk === undefined)) throw new SafeguardError('INVALID_OPTION', 'decide either items or one bulk choice');
    assertFreeText('reason', d.reason);
    for (const i of d.items ?? []) assertFreeText('reason', i.reason);
    const runs = (await this.reviewerRuns(reviewOrRunId)).filter((r) => r.phase === 'reviewing');
    const mine = runs.filter((r) => r.mayDecide.includes(person));
    if (mine.length === 0) {
      const why = runs.length === 0 ? 'this review is not taking decisions (it has not reached its reviewers, or it has ended)' : `${person} is not a reviewer in this review`;
      throw new SafeguardError('NOT_A_REVIEWER', why);
    }
    const base = { reviewer: person, round: REVIEW_ROUND, ...(d.reason ? { reason: d.reason } : {}), ...(d.via ? { via: d.via } : {}) };
    const out: ReviewDecisionOutcome = { runs: [], decided: 0 };
    if (d.bulk) {
      for (const r of mine) out.runs.push({ workflowId: r.workflowId, ...(await this.send(r.workflowId, { ...base, bulk: d.bulk })) });
    } else {
      const byRun = new Map<string, Array<{ key: string; decision: ItemDecision; reason?: string }>>();
      for (const want of d.items ?? []) {
        const { run, key } = resolveItem(mine, want.item);
        byRun.set(run, [...(byRun.get(run) ?? []), { key, decision: want.decision, ...(want.reason ? { reason: want.reason } : {}) }]);
      }
      for (const [run, items] of byRun) out.runs.push({ workflowId: run, ...(await this.send(run, { ...base, items })) });
    }
    out.decided = out.runs.reduce((n, r) => n + r.decided, 0);
    return out;
  }

  /** Sends one decision to one reviewer run (Slack's buttons know the run). */
  async decideOn(runId: string, input: Omit<RunDecision, 'round'>): Promise<DecideItemsResult> {
    assertFreeText('reason', input.reason);
    return this.send(runId, { ...input, round: REVIEW_ROUND });
  }

  /** Reviewer runs still taking decisions where `person` may decide: App Home's pending reviews. */
  async pendingFor(person: string, opts: { limit?: number } = {}): Promise<AccessReviewerStatus[]> {
    const runs = await listRuns(this.client, ['access-reviewer'], { limit: opts.limit ?? 50 });
    const open = runs.filter((r) => r.status === 'RUNNING');
    const statuses = await Promise.all(open.map((r) => this.reviewer(r.workflowId).catch(() => undefined)));
    return statuses.filter((s): s is AccessReviewerStatus & { execution: ExecutionState } => !!s && s.phase === 'reviewing' && s.mayDecide.includes(person) && s.counts.decided < s.counts.items);
  }

  private async reviewerRuns(id: string): Promise<AccessReviewerStatus[]> {
    if (id.includes('--')) return [await this.reviewer(id)];
    return this.reviewers(id);
  }

  private send(runId: string, args: RunDecision): Promise<DecideItemsResult> {
    return onRun(this.client, runId, KINDS, (h) => h.executeUpdate(decideItemsUpdate, { args: [args] }));
  }

  private async progress(id: string): Promise<InventoryProgress[]> {
    return onRun(this.client, id, KINDS, async (h) => {
      const d = await h.describe();
      const pending = (d.raw.pendingActivities ?? []).filter((a) => a.activityType?.name === 'collectInventory');
      const out: InventoryProgress[] = [];
      for (const a of pending) {
        const payload = a.heartbeatDetails?.payloads?.[0];
        if (!payload) continue;
        // Heartbeat details go through the payload codec like every payload: decode, then convert.
        const details = await decodeFromPayloadsAtIndex<InventoryProgress | undefined>(this.client.options.loadedDataConverter, 0, [payload]);
        if (details && typeof details.count === 'number') out.push(details);
      }
      return out;
    });
  }

  /** A reviewer run's id names its review: `<review id>--<reviewer>`. */
  private reviewIdOf(id: string): string {
    return id.split('--')[0]!;
  }
}

/** Finds the run and key of an item named by key, ARN, or a name unique among the runs' items. */
export function resolveItem(runs: readonly AccessReviewerStatus[], item: string): { run: string; key: string } {
  for (const r of runs) if (r.items.some((i) => i.key === item)) return { run: r.workflowId, key: item };
  const byName = runs.flatMap((r) => r.items.filter((i) => i.name === item).map((i) => ({ run: r.workflowId, key: i.key })));
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) throw new SafeguardError('INVALID_OPTION', `"${item.slice(0, 80)}" names ${byName.length} items (${byName.map((b) => b.key).slice(0, 5).join(', ')}): give the ARN`);
  throw new SafeguardError('UNKNOWN_TARGET', `"${item.slice(0, 80)}" is not one of your items in this review`);
}
