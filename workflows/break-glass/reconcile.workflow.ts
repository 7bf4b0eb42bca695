// The reconciler (DESIGN.md §4): a terminated (or timed-out, or failed) break-glass run executes no
// code, so nothing in it revokes. A Temporal Schedule runs `breakGlassReconcilerWorkflow` every
// minute or so; it finds runs that were granted and closed without a verified revocation and starts
// one `reconcileGrantWorkflow` for each (its id is derived from the run, so each is reconciled once,
// whatever number of reconciler runs find it), which revokes with the same steps and verification as
// the break-glass workflow and writes an evidence record of kind `reconciled`. It also restarts the
// deny-policy writer of any role whose statements have no writer, so they are removed in time.
import {
  CancellationScope,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  log,
  patched,
  proxyActivities,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../../activities';
import { reconcileWorkflowId } from './definitions';
import type { RevocationReceipt, TimelineEvent, UnrevokedGrant } from './definitions';
import { errorMessage, revokeUntilVerified } from './revocation';

const sweep = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumAttempts: 3 },
});
const notifyActivities = proxyActivities<Activities>({ startToCloseTimeout: '10s', retry: { initialInterval: '1s', maximumAttempts: 3 } });
const evidenceActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8 },
});

/** Credentials live at most an hour and SSM sessions until they are ended: a day is plenty. */
const DEFAULT_LOOKBACK_MS = 24 * 3600_000;

export interface ReconcilerInput {
  lookbackMs?: number;
}

export async function breakGlassReconcilerWorkflow(input: ReconcilerInput = {}): Promise<{ reconciling: string[]; writersStarted: string[] }> {
  const found = await sweep.findUnrevokedGrants({ lookbackMs: input.lookbackMs ?? DEFAULT_LOOKBACK_MS });
  const reconciling: string[] = [];
  for (const grant of found) {
    try {
      await startChild(reconcileGrantWorkflow, {
        workflowId: reconcileWorkflowId(grant.workflowId, grant.runId),
        args: [grant],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
      reconciling.push(grant.workflowId);
    } catch (err) {
      // Another reconciler run got there first: that one reconciles it.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) log.error('could not start a reconciliation', { workflowId: grant.workflowId, error: errorMessage(err) });
    }
  }
  // Housekeeping the next sweep repeats: a failure here (AWS throttling the role reads past the
  // retries) must not fail the sweep whose reconciliations have already started (found by
  // `npm run chaos` under 30% AWS faults). Older runs failed with it; replay keeps them failing.
  if (!patched('reconciler-writers-best-effort')) {
    const { started } = await sweep.ensureRevocationWriters();
    return { reconciling, writersStarted: started };
  }
  try {
    const { started } = await sweep.ensureRevocationWriters();
    return { reconciling, writersStarted: started };
  } catch (err) {
    log.warn('could not check the roles for orphaned deny statements; the next sweep will', { error: errorMessage(err) });
    return { reconciling, writersStarted: [] };
  }
}

export async function reconcileGrantWorkflow(grant: UnrevokedGrant): Promise<{ receipt: RevocationReceipt; evidenceWritten: boolean }> {
  const timeline: TimelineEvent[] = [];
  const note = (event: string, detail?: string): void => {
    timeline.push({ at: new Date().toISOString(), event, ...(detail !== undefined ? { detail } : {}) });
  };
  const page = async (event: string, detail: string): Promise<void> => {
    note('security-paged', `${event}: ${detail}`);
    try {
      await notifyActivities.notify({ event, grantId: grant.workflowId, requester: grant.requester, role: grant.role.name, approvers: [], detail, severity: 'page' });
    } catch (err) {
      log.error('security page failed', { error: errorMessage(err) });
    }
  };
  note('reconciling', `${grant.workflowId} closed as ${grant.closedAs} in phase ${grant.phase} without a verified revocation`);
  await page('reconciling', `break-glass run ${grant.workflowId} closed as ${grant.closedAs} without a verified revocation; the reconciler is revoking it`);
  const firstCutoff = Math.max(Date.now(), grant.latestIssuedAt ? Date.parse(grant.latestIssuedAt) : 0) + 1000;
  // Revocation must finish even if this workflow is cancelled.
  const receipt = await CancellationScope.nonCancellable(() =>
    revokeUntilVerified(grant, {
      log: note,
      page,
      // The closed run can no longer record issues: the latest it recorded is in its cut-off.
      issuedAtOrAfter: () => [],
      sessionsTerminated: () => undefined,
    }, firstCutoff),
  );
  let evidenceWritten = true;
  try {
    const info = workflowInfo();
    await evidenceActivities.recordEvidence({
      id: `reconciled/${grant.workflowId}/${grant.runId}`,
      kind: 'reconciled',
      record: { workflowId: grant.workflowId, runId: grant.runId, reconcileWorkflowId: info.workflowId, closedAs: grant.closedAs, closedAt: grant.closedAt ?? null, requester: grant.requester, role: grant.role.name, roleArn: grant.role.roleArn, accountId: grant.role.accountId, phaseAtClose: grant.phase, revocation: receipt, timeline },
    });
  } catch (err) {
    evidenceWritten = false;
    await page('evidence-not-written', `the reconciliation record could not be written: ${errorMessage(err)}`);
  }
  return { receipt, evidenceWritten };
}
