// drillSweeper: deletes scratch resources drills left behind. A drill tears its scratch resource
// down itself, retrying until it is gone; this is the second line for what that cannot reach (a
// drill terminated by hand, a resource someone named sg-drill-* by mistake). Every `sg-drill-*`
// resource older than the limit whose drill run is not running is deleted and listed in one
// evidence record; deleting anything pages security (an orphan is a finding). Scheduled by the
// policy's `drills.sweeper.schedule`, or run with `safeguard drill sweep`.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { ScratchListing } from '../../activities/drills/types';
import { RunbookRun, errorMessage } from '../shared/runbook-run';
import { commonInputProblems, isMs, isRec, isStr, rejectMalformedRun } from '../shared/start-input';
import type { AccountRef } from './targets';

const quick = proxyActivities<Activities>({ startToCloseTimeout: '2m', retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 5 } });
const teardown = proxyActivities<Activities>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10, nonRetryableErrorTypes: ['NotScratch'] },
});

export interface DrillSweepInput {
  /** Accounts that have restore drills (the policy's, resolved when the sweep starts). */
  accounts: AccountRef[];
  olderThanMs: number;
  /** Person id, or `schedule`. */
  requestedBy: string;
  security: string[];
  channel?: string;
  pollMs?: number;
}

export interface SweptResource {
  name: string;
  type: ScratchListing['scratch']['type'];
  accountId: string;
  createdAt: string;
  runId?: string;
  /** Deleted and seen gone; false: kept (with why). */
  deleted: boolean;
  why: string;
}

export interface DrillSweepResult {
  swept: SweptResource[];
  evidenceWritten: boolean;
}

const SWEEP_RUN = { searchKind: 'drill-sweeper', evidenceKind: 'drill-sweep' } as const;

/** Problems with a sweep's start input (empty when well-formed). Never throws. */
export function sweepInputProblems(raw: unknown): string[] {
  const { input, problems: p } = commonInputProblems(raw);
  if (!input) return p;
  const accounts = input['accounts'];
  const isAccount = (a: unknown): boolean => isRec(a) && ['accountId', 'executionRoleArn', 'externalId'].every((k) => isStr(a[k]));
  if (!Array.isArray(accounts) || accounts.length > 100 || !accounts.every(isAccount)) p.push('accounts is not a list of accounts');
  if (!isMs(input['olderThanMs']) || (input['olderThanMs'] as number) <= 0) p.push('olderThanMs is not a duration');
  if (input['pollMs'] !== undefined && !isMs(input['pollMs'])) p.push('pollMs is not a duration');
  return p;
}

export async function drillSweeperWorkflow(input: DrillSweepInput): Promise<DrillSweepResult> {
  const problems = sweepInputProblems(input);
  if (problems.length > 0) {
    const { evidenceWritten } = await rejectMalformedRun('restore-drill', 'Drill scratch sweep', problems, { swept: [] }, SWEEP_RUN);
    return { swept: [], evidenceWritten };
  }
  const run = new RunbookRun({
    kind: 'restore-drill',
    ...SWEEP_RUN,
    title: 'Drill scratch sweep',
    target: 'sg-drill-*',
    accountId: input.accounts.map((a) => a.accountId).join(',') || '-',
    requestedBy: input.requestedBy,
    security: input.security,
    ...(input.channel ? { channel: input.channel } : {}),
    steps: ['list scratch resources', 'delete orphans'],
  });
  const swept: SweptResource[] = [];
  // The accounts come with the input: anyone who can start a workflow through Temporal could
  // otherwise point the sweeper's deletes at execution roles of their choosing.
  const verdict = await quick.checkSweepRequest({ accounts: input.accounts });
  if (!verdict.accepted) {
    const detail = verdict.problems.join('; ').slice(0, 500);
    run.record.step(Date.now(), 'list scratch resources', 'failed', `not the policy's accounts: ${detail}`);
    run.notify('rejected-invalid', { page: true, detail: `sweep input does not match the policy: ${detail}` });
    const evidenceWritten = await run.finish('rejected-invalid', (ids) => ({ ...ids, outcome: 'rejected-invalid', problems: verdict.problems, swept, ...run.recordFields() }), false);
    return { swept, evidenceWritten };
  }
  const now = Date.now();
  run.record.step(now, 'list scratch resources', 'running');
  const found: Array<{ account: AccountRef; item: ScratchListing }> = [];
  for (const account of input.accounts) {
    for (const item of await quick.listDrillScratch({ account })) found.push({ account, item });
  }
  run.record.step(Date.now(), 'list scratch resources', 'done', `${found.length} found`);
  run.record.step(Date.now(), 'delete orphans', 'running');
  for (const { account, item } of found) {
    const base = { name: item.scratch.name, type: item.scratch.type, accountId: account.accountId, createdAt: item.createdAt, ...(item.runId ? { runId: item.runId } : {}) };
    const age = now - Date.parse(item.createdAt);
    if (!(age >= input.olderThanMs)) {
      swept.push({ ...base, deleted: false, why: 'younger than the limit' });
      continue;
    }
    if (item.runId && (await quick.drillRunIsOpen({ runId: item.runId }))) {
      swept.push({ ...base, deleted: false, why: `its drill ${item.runId} is still running` });
      continue;
    }
    try {
      const receipt = await teardown.teardownScratch({ drill: account, scratch: item.scratch, ...(input.pollMs ? { pollMs: input.pollMs } : {}) });
      swept.push({ ...base, deleted: true, why: `orphan; gone at ${receipt.goneAt}` });
      run.record.log(Date.now(), 'deleted', `${item.scratch.name} (${item.runId ?? 'no drill tag'})`);
    } catch (err) {
      swept.push({ ...base, deleted: false, why: `delete failed: ${errorMessage(err)}` });
    }
  }
  const deleted = swept.filter((s) => s.deleted);
  const failed = swept.filter((s) => !s.deleted && s.why.startsWith('delete failed'));
  run.record.step(Date.now(), 'delete orphans', failed.length > 0 ? 'failed' : 'done', `${deleted.length} deleted, ${swept.length - deleted.length} kept`);
  if (deleted.length > 0 || failed.length > 0) {
    run.notify('orphans-swept', { page: true, detail: `${deleted.length} drill scratch resource(s) left behind were deleted: ${deleted.map((s) => s.name).join(', ').slice(0, 400)}${failed.length ? `; ${failed.length} could not be deleted` : ''}` });
  }
  const outcome = failed.length > 0 ? 'failed' : 'swept';
  const evidenceWritten = await run.finish(
    outcome,
    (ids) => ({ ...ids, sweepWorkflowId: workflowInfo().workflowId, olderThanMs: input.olderThanMs, requestedBy: input.requestedBy, outcome, swept, startedAt: run.record.startedAt, endedAt: run.record.endedAt ?? new Date(Date.now()).toISOString() }),
    failed.length === 0,
  );
  return { swept, evidenceWritten };
}
