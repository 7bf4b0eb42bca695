// What `npm run chaos` checks once the chaos has stopped (issue #14 §2): access ended, nothing was
// done twice, no scratch resource is left, the evidence verifies, every workflow ended as it should.
// The driver calls runFinalChecks after it has cleared every fault and stopped the call recorder.
// The checks wait (each wait bounded by maxWaitMs in all) for what Safeguard still has to finish:
// the reconciler for terminated grants, grants short of their end + 5 s, restore drills closing.
// Each check is its own function under checks/ returning one CheckResult; one that throws becomes a
// failed result naming why, and the others still run. No result line carries a secret: grants are
// named by workflow id, person and role, never by a credential.
import type { CliContext } from '../cli/context';
import type { StackInfo } from '../config/stack-file';
import { EvidenceStore } from '../evidence/store';
import { RESTORE_DRILL_WORKFLOW } from '../client/drill-client';
import { lastRecoveryAtMs } from './ledger';
import type { ChaosLedger, CheckResult } from './ledger';
import { checkHeldCredentialsRefused, checkNoCallsAfterEnd } from './checks/access';
import { CheckAws } from './checks/aws';
import { errorText, waitUntil } from './checks/bounded';
import { callAtMs } from './checks/calls';
import { checkAccessKeys, checkOneDenyStatementPerPerson, checkOneOutcomePerRun, checkOneRestorePerDrill } from './checks/duplicates';
import { checkEvidenceVerifies } from './checks/evidence';
import { listExecutionsSince, recordsAbout, statementReader, wasGranted } from './checks/facts';
import type { CheckFacts } from './checks/facts';
import { checkNoScratchLeft } from './checks/scratch';
import { checkWorkflowStates } from './checks/workflows';

export interface FinalCheckInput {
  /** The stack the chaos ran on (its stack file's content). */
  info: StackInfo;
  ctx: CliContext;
  ledger: ChaosLedger;
  /** The longest the checks wait, all waits together (default 2 minutes). */
  maxWaitMs?: number;
  /** Progress lines (what is being waited for); never a secret. */
  log?: (msg: string) => void;
}

export const DEFAULT_MAX_WAIT_MS = 120_000;
const POLL_MS = 2_000;

export async function runFinalChecks(input: FinalCheckInput): Promise<CheckResult[]> {
  const log = input.log ?? (() => undefined);
  const checksStartedAtMs = Date.now();
  const aws = new CheckAws(input.info);
  try {
    const facts: CheckFacts = {
      stack: input.info,
      policy: input.ctx.policy,
      temporal: input.ctx.temporal,
      ledger: input.ledger,
      calls: input.ledger.calls.filter((c) => callAtMs(c) < checksStartedAtMs),
      checksStartedAtMs,
      waitDeadlineMs: checksStartedAtMs + (input.maxWaitMs ?? DEFAULT_MAX_WAIT_MS),
      lastRecoveryMs: lastRecoveryAtMs(input.ledger),
      aws,
      executions: [],
      evidence: [],
      statements: statementReader(aws),
    };
    const refresh = async (): Promise<void> => {
      facts.executions = await listExecutionsSince(facts.temporal, input.ledger.startedAtMs);
      facts.evidence = await new EvidenceStore(input.info.evidenceDir).list();
    };

    await refresh();
    await waitForReconciliations(facts, log);
    await refresh();
    log('checking that access ended');
    const results = [await guarded('access ended: held credentials refused', () => checkHeldCredentialsRefused(facts))];
    results.push(await guarded('access ended: no calls after the end', () => checkNoCallsAfterEnd(facts)));
    await waitForDrillsToClose(facts, log);
    await refresh();
    log('checking duplicates, scratch resources, evidence and workflow states');
    results.push(
      await guarded('no duplicates: one deny statement per person per role', () => checkOneDenyStatementPerPerson(facts)),
      await guarded('no duplicates: one outcome record per run', () => checkOneOutcomePerRun(facts)),
      await guarded('no duplicates: access keys', () => checkAccessKeys(facts)),
      await guarded('no duplicates: one restore per drill', () => checkOneRestorePerDrill(facts)),
      await guarded('no scratch left', () => checkNoScratchLeft(facts)),
      await guarded('evidence verifies', () => checkEvidenceVerifies(input.info)),
      await guarded('workflow states', () => checkWorkflowStates(facts)),
    );
    return results;
  } finally {
    aws.destroy();
  }
}

/** A check that throws is a failed result saying why; the other checks still run. */
export async function guarded(name: string, check: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await check();
  } catch (err) {
    return { name, ok: false, checked: 0, problems: [`the check could not run: ${errorText(err)}`] };
  }
}

/**
 * The reconciler runs on a Schedule: a grant terminated just before the end is revoked a period or
 * two later. Waits until every terminated grant that had been granted has its reconciled record.
 */
async function waitForReconciliations(f: CheckFacts, log: (msg: string) => void): Promise<void> {
  const awaited: string[] = [];
  for (const g of f.ledger.grants.values()) {
    if (!g.terminated || recordsAbout(f.evidence, 'reconciled', g.workflowId).length > 0) continue;
    const granted = g.plannedEndAtMs !== undefined || g.credentials !== undefined || (await wasGranted(f.temporal, g.workflowId)) === true;
    if (granted) awaited.push(g.workflowId);
  }
  if (awaited.length === 0) return;
  log(`waiting for the reconciler to revoke ${awaited.length} terminated grant(s)`);
  await waitUntil(
    async () => {
      const reconciled = await new EvidenceStore(f.stack.evidenceDir).list({ kind: 'reconciled' });
      return awaited.every((id) => recordsAbout(reconciled, 'reconciled', id).length > 0);
    },
    f.waitDeadlineMs,
    POLL_MS,
  );
}

/** Scratch is judged once every restore drill has closed (each tears its scratch down before it ends). */
async function waitForDrillsToClose(f: CheckFacts, log: (msg: string) => void): Promise<void> {
  const open = async (): Promise<number> =>
    (await listExecutionsSince(f.temporal, f.ledger.startedAtMs, `WorkflowType = '${RESTORE_DRILL_WORKFLOW}' AND ExecutionStatus = 'Running'`)).length;
  const running = await open();
  if (running === 0) return;
  log(`waiting for ${running} restore drill(s) to close`);
  await waitUntil(async () => (await open()) === 0, f.waitDeadlineMs, POLL_MS);
}
