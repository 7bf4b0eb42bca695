// Starting and reading restore drills and the scratch sweeper. A drill's input is built from the
// policy when it starts (its source, targets, account and sign-off people), so a policy edit never
// changes a drill in flight; Schedules carry the same input (client/schedules.ts).
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { getAccount, securityPeople } from '../config/policy/lookup';
import type { Policy } from '../config/policy/types';
import type { AccountRef } from '../workflows/restore-drill/targets';
import { drillStatusQuery } from '../workflows/restore-drill/definitions';
import type { RestoreDrillInput, RestoreDrillResult, RestoreDrillStatus } from '../workflows/restore-drill/definitions';
import type { DrillSweepInput, DrillSweepResult } from '../workflows/restore-drill/sweeper.workflow';
import { DEFAULT_TASK_QUEUE } from '../workflows/shared/task-queues';
import { restoreDrillTargetFor } from './drill-targets';
import { restoreDrillId } from './ids';
import { listRuns, queryRun, runResult, startRun } from './runs';
import type { ExecutionState, ListedRun } from './runs';
import { searchAttributeKeys } from './search-attributes';

export const RESTORE_DRILL_WORKFLOW = 'restoreDrillWorkflow';
export const DRILL_SWEEPER_WORKFLOW = 'drillSweeperWorkflow';
/** The sweeper's Schedule, and the prefix of its runs' ids. */
export const SWEEPER_ID = 'safeguard-drill-sweeper';

export function restoreDrillInput(policy: Policy, name: string, requestedBy: string, opts: { pollMs?: number } = {}): RestoreDrillInput {
  return {
    drill: restoreDrillTargetFor(policy, name),
    requestedBy,
    security: securityPeople(policy),
    ...(policy.drills.channel ? { channel: policy.drills.channel } : {}),
    ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
  };
}

/** The sweeper covers every account that has a restore drill. */
export function drillSweepInput(policy: Policy, requestedBy: string, opts: { olderThanMs?: number; pollMs?: number } = {}): DrillSweepInput {
  const accounts = new Map<string, AccountRef>();
  for (const d of policy.drills.restore) {
    const a = getAccount(policy, d.account);
    if (a) accounts.set(a.id, { accountId: a.id, executionRoleArn: a.executionRoleArn, externalId: a.externalId });
  }
  return {
    accounts: [...accounts.values()],
    olderThanMs: opts.olderThanMs ?? policy.drills.sweeper.olderThanMs,
    requestedBy,
    security: securityPeople(policy),
    ...(policy.drills.channel ? { channel: policy.drills.channel } : {}),
    ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
  };
}

const DRILL_KINDS = ['restore-drill'] as const;

export class DrillClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string = DEFAULT_TASK_QUEUE,
  ) {}

  /** Starts the named restore drill now. */
  async start(policy: Policy, name: string, requestedBy: string, opts: { pollMs?: number; workflowId?: string } = {}): Promise<{ workflowId: string }> {
    const input = restoreDrillInput(policy, name, requestedBy, opts);
    const workflowId = opts.workflowId ?? restoreDrillId(name, randomBytes(4).toString('hex'));
    await startRun(this.client, { workflowType: RESTORE_DRILL_WORKFLOW, taskQueue: this.taskQueue, workflowId, input, kind: 'restore-drill', target: name, accountId: input.drill.accountId, requestedBy });
    return { workflowId };
  }

  async status(id: string): Promise<RestoreDrillStatus & { execution: ExecutionState }> {
    return queryRun(this.client, id, DRILL_KINDS, drillStatusQuery);
  }

  async result(id: string): Promise<RestoreDrillResult> {
    return runResult<RestoreDrillResult>(this.client, id, DRILL_KINDS);
  }

  async list(opts: { limit?: number; drill?: string } = {}): Promise<ListedRun[]> {
    return listRuns(this.client, ['restore-drill', 'break-glass-drill'], { ...(opts.limit ? { limit: opts.limit } : {}), ...(opts.drill ? { target: opts.drill } : {}) });
  }

  /** Runs the sweeper now and waits for what it deleted. */
  async sweep(policy: Policy, requestedBy: string, opts: { olderThanMs?: number; pollMs?: number } = {}): Promise<DrillSweepResult & { workflowId: string }> {
    const workflowId = `${SWEEPER_ID}-${randomBytes(4).toString('hex')}`;
    const result = (await this.client.workflow.execute(DRILL_SWEEPER_WORKFLOW, {
      taskQueue: this.taskQueue,
      workflowId,
      args: [drillSweepInput(policy, requestedBy, opts)],
      typedSearchAttributes: [
        { key: searchAttributeKeys.kind, value: 'drill-sweeper' },
        { key: searchAttributeKeys.requester, value: requestedBy },
      ],
    })) as DrillSweepResult;
    return { ...result, workflowId };
  }
}
