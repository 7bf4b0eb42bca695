// Activities that act through Temporal itself: handing a revocation's cut-off to the role's single
// deny-policy writer (signal-with-start, so the writer exists exactly when there is something to
// deny), and the reconciler's sweep for break-glass runs that closed without a verified revocation
// (terminated, timed out, failed: a terminated workflow runs no code at all, DESIGN.md §4).
import { Context } from '@temporalio/activity';
import { heartbeat } from './heartbeat';
import { reconcileInfoFromHistory } from './reconcile-from-history';
import { WorkflowIdConflictPolicy, WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { DEFAULT_ROLE_MAX_SESSION_MS } from '../client/request';
import type { Policy } from '../config/policy/types';
import { SEARCH_ATTRIBUTES, reconcileInfoQuery, reconcileWorkflowId } from '../workflows/break-glass/definitions';
import type { ReconcileInfo, UnrevokedGrant } from '../workflows/break-glass/definitions';
import { addRevocationCutoffSignal, revocationWriterId } from '../workflows/break-glass/revocation-policy';
import type { RevocationWriterInput, RoleTarget } from '../workflows/break-glass/revocation-policy';
import type { AwsClients } from './aws/clients';
import { awsCall } from './aws/errors';
import { readRoleRevocationStatements } from './aws/iam';
import { ROLE_REVOCATION_POLICY } from '../workflows/break-glass/revocation-policy';
import { searchAttributeKeys } from '../client/search-attributes';
import type { SafeguardKind } from '../workflows/shared/search-attributes';

export interface ReconcileDeps {
  aws: AwsClients;
  policy: () => Policy;
  logger: Logger;
  temporal: { client: Client; taskQueue: string; revocationTaskQueue: string };
}

export function createReconcileActivities(deps: ReconcileDeps) {
  // The writers live on the deployment's shared revocation queue, never on one worker's own queue.
  const { client, revocationTaskQueue: taskQueue } = deps.temporal;

  /** Asks the closed run (its worker replays it to the end); when it cannot answer, reads its history:
   * fail closed, a run stuck on a failed workflow task would otherwise never be revoked. Undefined
   * only when neither works (logged; the next sweep tries again). */
  async function reconcileInfoOf(workflowId: string, runId: string): Promise<{ info: ReconcileInfo | undefined; fromHistory: boolean } | undefined> {
    const handle = client.workflow.getHandle(workflowId, runId);
    let queryError: string;
    try {
      // Bounded: a Query to a run whose task queue has no worker waits for one.
      return { info: await client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(reconcileInfoQuery)), fromHistory: false };
    } catch (err) {
      queryError = (err as Error).message;
    }
    try {
      const rebuilt = await reconcileInfoFromHistory(await handle.fetchHistory(), client.options.loadedDataConverter, workflowId);
      if (rebuilt.problem !== undefined) {
        deps.logger.error({ workflowId, runId, queryError, problem: rebuilt.problem }, 'reconciler cannot revoke for a closed break-glass run: it could not answer its Query and its history has no readable request');
        return undefined;
      }
      // What was rebuilt is not logged: it holds the role's external id.
      deps.logger.warn({ workflowId, runId, queryError, granted: rebuilt.info.granted }, 'reconciler could not query a closed break-glass run; read what to revoke from its history');
      return { info: rebuilt.info, fromHistory: true };
    } catch (err) {
      deps.logger.error({ workflowId, runId, queryError, err: (err as Error).message }, 'reconciler could neither query a closed break-glass run nor read its history');
      return undefined;
    }
  }

  return {
    async submitRevocationCutoff(input: RoleTarget & { grantId: string; requester: string; tokensIssuedBefore: string; maxSessionDurationMs: number }): Promise<{ policyName: string }> {
      const args: RevocationWriterInput = {
        accountId: input.accountId,
        executionRoleArn: input.executionRoleArn,
        externalId: input.externalId,
        roleArn: input.roleArn,
        maxSessionDurationMs: input.maxSessionDurationMs,
      };
      await client.workflow.signalWithStart('revocationPolicyWriterWorkflow', {
        workflowId: revocationWriterId(input.accountId, input.roleArn),
        taskQueue,
        args: [args],
        signal: addRevocationCutoffSignal,
        typedSearchAttributes: [{ key: searchAttributeKeys.kind, value: 'revocation-writer' satisfies SafeguardKind }],
        signalArgs: [{ person: input.requester, tokensIssuedBefore: input.tokensIssuedBefore, grantId: input.grantId }],
      });
      return { policyName: ROLE_REVOCATION_POLICY };
    },

    /** Starts the writer of every policy role whose deny policy holds statements and has no writer
     * running (one was terminated): a fresh writer adopts the statements and removes them in time. */
    async ensureRevocationWriters(): Promise<{ started: string[] }> {
      const policy = deps.policy();
      const started: string[] = [];
      const seen = new Set<string>();
      for (const role of policy.breakGlass.roles) {
        const account = policy.accounts.find((a) => a.id === role.account);
        if (!account || seen.has(`${account.id}|${role.roleArn}`)) continue;
        seen.add(`${account.id}|${role.roleArn}`);
        const target: RoleTarget = { accountId: account.id, executionRoleArn: account.executionRoleArn, externalId: account.externalId, roleArn: role.roleArn };
        const { iam } = await awsCall('AssumeRole(SafeguardExecution)', () => deps.aws.forAccount(target));
        const statements = await awsCall('GetRolePolicy', () => readRoleRevocationStatements(iam, role.roleArn));
        if (statements.length === 0) continue;
        const workflowId = revocationWriterId(account.id, role.roleArn);
        const handle = await client.workflow.start('revocationPolicyWriterWorkflow', {
          workflowId,
          taskQueue,
          args: [{ ...target, maxSessionDurationMs: DEFAULT_ROLE_MAX_SESSION_MS } satisfies RevocationWriterInput],
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          typedSearchAttributes: [{ key: searchAttributeKeys.kind, value: 'revocation-writer' satisfies SafeguardKind }],
        });
        if (handle.firstExecutionRunId) started.push(workflowId);
      }
      return { started };
    },

    /** Break-glass runs closed (not completed) within the look-back that were granted and never
     * verified a revocation, and that no reconciliation has been started for yet. */
    async findUnrevokedGrants(input: { lookbackMs: number; limit?: number }): Promise<UnrevokedGrant[]> {
      const since = new Date(Date.now() - input.lookbackMs).toISOString();
      const query = `${SEARCH_ATTRIBUTES.kind} = 'break-glass' AND WorkflowType = 'breakGlassWorkflow' AND ExecutionStatus != 'Running' AND ExecutionStatus != 'Completed' AND CloseTime > '${since}'`;
      const stopAt = sweepDeadline();
      const out: UnrevokedGrant[] = [];
      for await (const wf of client.workflow.list({ query })) {
        heartbeat();
        // Runs that cannot answer cost a Query timeout each: return what is found before the activity
        // times out and loses it all; the next sweep goes on (runs being reconciled are skipped).
        if (Date.now() > stopAt) break;
        if (await exists(client, reconcileWorkflowId(wf.workflowId, wf.runId))) continue;
        const found = await reconcileInfoOf(wf.workflowId, wf.runId);
        if (!found) continue;
        const { info, fromHistory } = found;
        if (!info || !info.granted || info.revocationVerified) continue;
        // The reconciliation's evidence and page carry `closedAs`: say there where the info came from.
        const closedAs = fromHistory ? `${wf.status.name} (could not answer its Query: what to revoke was read from its history)` : wf.status.name;
        out.push({ ...info, workflowId: wf.workflowId, runId: wf.runId, closedAs, ...(wf.closeTime ? { closedAt: wf.closeTime.toISOString() } : {}) });
        if (out.length >= (input.limit ?? 100)) break;
      }
      return out;
    },
  };
}

/** A healthy worker answers in well under a second (the run's history is capped, DESIGN.md §5). */
const QUERY_TIMEOUT_MS = 10_000;

/** When the sweep stops taking runs: half its start-to-close timeout (the rest is margin). */
function sweepDeadline(): number {
  try {
    return Date.now() + Context.current().info.startToCloseTimeoutMs / 2;
  } catch {
    return Infinity; // not inside an activity (unit tests)
  }
}

async function exists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
