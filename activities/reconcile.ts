// Activities that act through Temporal itself: handing a revocation's cut-off to the role's single
// deny-policy writer (signal-with-start, so the writer exists exactly when there is something to
// deny), and the reconciler's sweep for break-glass runs that closed without a verified revocation
// (terminated, timed out, failed: a terminated workflow runs no code at all, DESIGN.md §4).
import { heartbeat } from './heartbeat';
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
      const out: UnrevokedGrant[] = [];
      for await (const wf of client.workflow.list({ query })) {
        heartbeat();
        if (await exists(client, reconcileWorkflowId(wf.workflowId, wf.runId))) continue;
        let info: ReconcileInfo | undefined;
        try {
          // A closed run still answers Queries (the worker replays its history up to the end).
          info = await client.workflow.getHandle(wf.workflowId, wf.runId).query(reconcileInfoQuery);
        } catch (err) {
          deps.logger.warn({ workflowId: wf.workflowId, err: (err as Error).message }, 'reconciler could not query a closed break-glass run');
          continue;
        }
        if (!info || !info.granted || info.revocationVerified) continue;
        out.push({ ...info, workflowId: wf.workflowId, runId: wf.runId, closedAs: wf.status.name, ...(wf.closeTime ? { closedAt: wf.closeTime.toISOString() } : {}) });
        if (out.length >= (input.limit ?? 100)) break;
      }
      return out;
    },
  };
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
