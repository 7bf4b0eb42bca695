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

export async function drillSweeperWorkflow(input: DrillSweepInput): Promise<DrillSweepResult> {
  const run = new RunbookRun({
    kind: 'restore-drill',
    searchKind: 'drill-sweeper',
    evidenceKind: 'drill-sweep',
    title: 'Drill scratch sweep',
    target: 'sg-drill-*',
    accountId: input.accounts.map((a) => a.accountId).join(',') || '-',
    requestedBy: input.requestedBy,
    security: input.security,
    ...(input.channel ? { channel: input.channel } : {}),
    steps: ['list scratch resources', 'delete orphans'],
  });
  const swept: SweptResource[] = [];
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
