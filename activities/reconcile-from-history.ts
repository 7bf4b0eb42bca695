// What the reconciler needs to revoke for a closed break-glass run that cannot answer its
// `reconcileInfo` Query, read from the run's history instead (DESIGN.md §4: fail closed). A run whose
// last workflow task failed — a non-determinism error, the run stuck until an operator terminated
// it — refuses Queries, or fails them the same way on replay; skipping it would leave its grant
// unrevoked forever. The history cannot be replayed (that is what failed), so this reads its events
// directly and errs towards revoking: a revocation the grant did not need denies only tokens issued
// before now, while a missed one leaves access behind.
import type { LoadedDataConverter } from '@temporalio/common';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal } from '@temporalio/proto';
import { MAX_RECORDED_SESSIONS, approveUpdate, credentialsIssuedSignal, reserveCredentialsUpdate, sessionOpenedSignal } from '../workflows/break-glass/definitions';
import type { ReconcileInfo } from '../workflows/break-glass/definitions';
import { inputShapeProblems, isCredentialIssue, isSessionReport, isWellFormedInput } from '../workflows/break-glass/input-shape';

type History = temporal.api.history.v1.IHistory;
type Payloads = temporal.api.common.v1.IPayload[] | null | undefined;

/** The grant step: once scheduled, AssumeRole may have been proven and the grant made active. */
const GRANT_ACTIVITY = 'verifyGrant';
/** Updates that mean access was (or was about to be) handed out. */
const GRANTING_UPDATES = new Set([approveUpdate.name, reserveCredentialsUpdate.name]);

export type HistoryReconcileInfo = { info: ReconcileInfo; problem?: never } | { info?: never; problem: string };

/**
 * Rebuilds the run's ReconcileInfo from its (encoded) history. `granted` is true when anything in the
 * history says access may have been handed out; `revocationVerified` is always false (a receipt the
 * run computed cannot be trusted from a run we cannot replay). Returns a problem, never throws, when
 * the start input cannot be read: then there is no role to revoke on.
 */
export async function reconcileInfoFromHistory(history: History, converter: LoadedDataConverter, workflowId: string): Promise<HistoryReconcileInfo> {
  const events = history.events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  if (!started) return { problem: 'the history does not begin with the run\'s start' };
  const input = await decodeFirst(converter, started.input?.payloads);
  // Only the problems' wording is returned (never the values): the input carries the external id.
  if (!isWellFormedInput(input, workflowId)) return { problem: `the start input is not a break-glass request: ${inputShapeProblems(input, workflowId).join('; ')}` };
  const { role } = input;

  let granted = false;
  let latestIssueMs: number | undefined;
  const sessions: string[] = [];
  for (const event of events) {
    if (event.activityTaskScheduledEventAttributes?.activityType?.name === GRANT_ACTIVITY) granted = true;
    const update = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
    if (update && GRANTING_UPDATES.has(update)) granted = true;
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName === credentialsIssuedSignal.name) {
      granted = true;
      // Malformed issues are dropped, as the workflow's handler drops them.
      const issue = await decodeFirst(converter, signal.input?.payloads);
      const issuedMs = isCredentialIssue(issue) ? Date.parse(issue.issuedAt) : NaN;
      if (Number.isFinite(issuedMs)) latestIssueMs = Math.max(latestIssueMs ?? 0, issuedMs);
    } else if (signal?.signalName === sessionOpenedSignal.name) {
      granted = true;
      const report = await decodeFirst(converter, signal.input?.payloads);
      if (isSessionReport(report) && !sessions.includes(report.sessionId) && sessions.length < MAX_RECORDED_SESSIONS) sessions.push(report.sessionId);
    }
  }
  return {
    info: {
      grantId: input.grantId,
      requester: input.requester,
      role: { name: role.name, accountId: role.accountId, roleArn: role.roleArn, executionRoleArn: role.executionRoleArn, externalId: role.externalId, maxSessionDurationMs: role.maxSessionDurationMs },
      // The phase the run was in is not knowable without replaying it: this is the conservative guess.
      phase: granted ? 'active' : 'pending',
      granted,
      revocationVerified: false,
      sessions,
      ...(latestIssueMs !== undefined ? { latestIssuedAt: new Date(latestIssueMs).toISOString() } : {}),
    },
  };
}

/** The first argument, or undefined when it cannot be decoded (a wrong key, a corrupt payload). */
async function decodeFirst(converter: LoadedDataConverter, payloads: Payloads): Promise<unknown> {
  if (!payloads || payloads.length === 0) return undefined;
  try {
    return await decodeFromPayloadsAtIndex<unknown>(converter, 0, payloads);
  } catch {
    return undefined;
  }
}
