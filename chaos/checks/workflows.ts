// Check (e): every workflow started since the chaos began ended as it should.
//
// The rule, per run (first match decides what the run may be at the end):
// 1. Safeguard's own housekeeping (HOUSEKEEPING_TYPES), whoever listed it: the deny-policy writer
//    lives as long as a role has statements, a statement's cleanup timer waits out the role's
//    maximum session, and the reconciler, sweeper and root-login watch run on Schedules at any
//    moment: closed or running.
// 2. A run the chaos started (ledger.runs, ledger.grants): its expectation; a grant the chaos
//    terminated must be TERMINATED (or have completed before the terminate landed).
// 3. A child of a run the chaos started (an access review's reviewers, a fire drill's grant): its
//    parent's expectation.
// 4. A run a Safeguard Schedule started (SafeguardRequester `schedule`), or a child of one: closed
//    or running, since a Schedule may fire just before the end and the chaos cannot have waited for it.
// 5. Anything else: closed.
// Whatever the rule, FAILED and TIMED_OUT are problems; TERMINATED and CANCELLED are fine only
// where termination was expected; RUNNING only where "closed or running" is. Every terminated grant
// that was granted must have a verified `reconciled` record (reconcile.workflow.ts).
import type * as Workflows from '../../workflows';
import type { ChaosLedger, CheckResult, Expectation } from '../ledger';
import { errorText } from './bounded';
import { clock, seconds } from './calls';
import { describeExecution, recordsAbout, wasGranted } from './facts';
import type { CheckFacts, ListedExecution } from './facts';

type WorkflowType = keyof typeof Workflows;

export const HOUSEKEEPING_TYPES: ReadonlySet<string> = new Set<WorkflowType>([
  'revocationPolicyWriterWorkflow',
  'revocationCleanupWorkflow',
  'breakGlassReconcilerWorkflow',
  'drillSweeperWorkflow',
  'rootLoginWatchWorkflow',
]);

export interface RunExpectation {
  expect: Expectation;
  because: string;
}

/** What the chaos expects of each workflow id it started. Pure. */
export function ledgerExpectations(ledger: Pick<ChaosLedger, 'runs' | 'grants'>): Map<string, Expectation> {
  const out = new Map<string, Expectation>();
  for (const g of ledger.grants.values()) out.set(g.workflowId, g.terminated ? 'terminated' : 'closed');
  for (const r of ledger.runs) if (out.get(r.workflowId) !== 'terminated') out.set(r.workflowId, r.expect);
  return out;
}

/** The rule above, for one run. Pure. */
export function expectationFor(run: ListedExecution, expected: ReadonlyMap<string, Expectation>, byId: ReadonlyMap<string, ListedExecution>): RunExpectation {
  if (HOUSEKEEPING_TYPES.has(run.type)) return { expect: 'closed-or-running', because: `Safeguard's own ${run.type}` };
  const own = expected.get(run.workflowId);
  if (own !== undefined) return { expect: own, because: 'started by the chaos' };
  let scheduled = run.requester === 'schedule' ? run.workflowId : undefined;
  const seen = new Set<string>();
  for (let parent = run.parentWorkflowId; parent !== undefined && !seen.has(parent); parent = byId.get(parent)?.parentWorkflowId) {
    seen.add(parent);
    const inherited = expected.get(parent);
    if (inherited !== undefined) return { expect: inherited, because: `child of ${parent}, started by the chaos` };
    if (scheduled === undefined && byId.get(parent)?.requester === 'schedule') scheduled = parent;
  }
  if (scheduled !== undefined) return { expect: 'closed-or-running', because: scheduled === run.workflowId ? 'started by a Safeguard Schedule' : `child of ${scheduled}, started by a Safeguard Schedule` };
  return { expect: 'closed', because: 'not started by the chaos' };
}

/** What is wrong with the run's status under its expectation, if anything. Pure. */
export function statusProblem(run: ListedExecution, e: RunExpectation, nowMs: number): string | undefined {
  const who = `${run.workflowId} (${run.type}, run ${run.runId})`;
  switch (run.status) {
    case 'COMPLETED':
    case 'CONTINUED_AS_NEW':
      return undefined;
    case 'FAILED':
    case 'TIMED_OUT':
      return `${who}: ${run.status} at ${run.closeMs !== undefined ? clock(run.closeMs) : '?'}`;
    case 'TERMINATED':
    case 'CANCELLED':
      return e.expect === 'terminated' ? undefined : `${who}: ${run.status} but the chaos did not terminate it (${e.because})`;
    case 'RUNNING':
      return e.expect === 'closed-or-running' ? undefined : `${who}: still RUNNING ${seconds(nowMs - run.startMs)} after its start; expected ${e.expect} (${e.because})`;
    default:
      return `${who}: ${run.status}`;
  }
}

/** `breakGlassWorkflow: COMPLETED 12, TERMINATED 2`, one line per type. Pure. */
export function countsByTypeAndStatus(runs: readonly ListedExecution[]): string[] {
  const byType = new Map<string, Map<string, number>>();
  for (const r of runs) {
    const statuses = byType.get(r.type) ?? new Map<string, number>();
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    byType.set(r.type, statuses);
  }
  return [...byType]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, statuses]) => `${type}: ${[...statuses].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s} ${n}`).join(', ')}`);
}

/** Every terminated grant that had been granted has a verified reconciliation in evidence. */
async function reconciliationProblems(f: CheckFacts): Promise<{ problems: string[]; notes: string[] }> {
  const problems: string[] = [];
  const notes: string[] = [];
  for (const g of f.ledger.grants.values()) {
    if (!g.terminated) continue;
    const run = f.executions.find((e) => e.workflowId === g.workflowId && e.type === 'breakGlassWorkflow' && e.status === 'TERMINATED');
    if (!run) {
      const status = f.executions.find((e) => e.workflowId === g.workflowId)?.status;
      if (status === 'COMPLETED') notes.push(`${g.workflowId}: marked terminated by the chaos, but it completed first`);
      continue; // not listed, or in the wrong state: the status rule reports it
    }
    const records = recordsAbout(f.evidence, 'reconciled', g.workflowId);
    const verified = records.find((e) => (e.record['revocation'] as { verified?: unknown } | undefined)?.verified === true);
    if (verified) continue;
    if (records.length > 0) {
      problems.push(`${g.workflowId}: terminated; its reconciliation record (seq ${records[0]!.seq}) is not verified`);
      continue;
    }
    const granted = g.plannedEndAtMs !== undefined || g.credentials !== undefined || (await wasGranted(f.temporal, run.workflowId, run.runId));
    const since = run.closeMs !== undefined ? ` ${seconds(f.checksStartedAtMs - run.closeMs)} after it was terminated` : '';
    if (granted === true) problems.push(`${g.workflowId}: terminated while granted, and no reconciled revocation in evidence${since}`);
    else if (granted === undefined) notes.push(`${g.workflowId}: terminated, not reconciled; could not tell whether it had been granted`);
  }
  return { problems, notes };
}

export async function checkWorkflowStates(f: CheckFacts): Promise<CheckResult> {
  const problems: string[] = [];
  const expected = ledgerExpectations(f.ledger);
  const runs = [...f.executions];
  // Visibility may lag behind a run that exists: ask for the chaos's own runs that are not listed.
  for (const id of expected.keys()) {
    if (runs.some((r) => r.workflowId === id)) continue;
    try {
      const described = await describeExecution(f.temporal, id);
      if (described) runs.push(described);
      else problems.push(`${id}: started by the chaos, but Temporal has no such workflow`);
    } catch (err) {
      problems.push(`${id}: started by the chaos, not listed, and describing it failed: ${errorText(err)}`);
    }
  }
  const byId = new Map(runs.map((r) => [r.workflowId, r]));
  const now = Date.now();
  for (const run of runs) {
    const problem = statusProblem(run, expectationFor(run, expected, byId), now);
    if (problem) problems.push(problem);
  }
  const reconciled = await reconciliationProblems({ ...f, executions: runs });
  problems.push(...reconciled.problems);
  return { name: 'workflow states', ok: problems.length === 0, checked: runs.length, problems, notes: [...countsByTypeAndStatus(runs), ...reconciled.notes] };
}
