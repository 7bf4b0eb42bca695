// Everything a person can do to a break-glass request, over a Temporal client. The CLI calls this
// today; the slack-app and the api call the same functions, so the rules live in one place (the
// workflow's Update validators) and the wording of refusals is the same everywhere.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import {
  BREAK_GLASS_TASK_QUEUE,
  SEARCH_ATTRIBUTES,
  approveUpdate,
  denyUpdate,
  extendUpdate,
  revokeUpdate,
  statusQuery,
  reserveCredentialsUpdate,
  credentialsIssuedSignal,
  leaseReleasedSignal,
  accessRefusedSignal,
  sessionOpenedSignal,
} from '../workflows/break-glass/definitions';
import type {
  AccessRefusal,
  CredentialIssue,
  VendingLease,
  BreakGlassInput,
  BreakGlassResult,
  BreakGlassStatus,
  DecisionResult,
  ExtendResult,
  RevokeResult,
} from '../workflows/break-glass/definitions';
import { SafeguardError, explainTemporalError } from './errors';
import { assertWorkflowId } from './request';

export const searchAttributeKeys = {
  kind: defineSearchAttributeKey(SEARCH_ATTRIBUTES.kind, SearchAttributeType.KEYWORD),
  requester: defineSearchAttributeKey(SEARCH_ATTRIBUTES.requester, SearchAttributeType.KEYWORD),
  role: defineSearchAttributeKey(SEARCH_ATTRIBUTES.role, SearchAttributeType.KEYWORD),
  account: defineSearchAttributeKey(SEARCH_ATTRIBUTES.account, SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey(SEARCH_ATTRIBUTES.outcome, SearchAttributeType.KEYWORD),
};

/** `temporal server start-dev --search-attribute` arguments for the keys above. */
export const SEARCH_ATTRIBUTE_FLAGS = Object.values(SEARCH_ATTRIBUTES).flatMap((name) => ['--search-attribute', `${name}=Keyword`]);

export interface ListedRequest {
  workflowId: string;
  status: string;
  startTime: string;
  closeTime?: string;
  requester?: string;
  role?: string;
  outcome?: string;
}

export class BreakGlassClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string = BREAK_GLASS_TASK_QUEUE,
  ) {}

  async start(input: BreakGlassInput): Promise<string> {
    const handle = await this.client.workflow.start('breakGlassWorkflow', {
      taskQueue: this.taskQueue,
      workflowId: input.grantId,
      args: [input],
      // One request, one workflow: a retried submission with the same id never starts a second.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      typedSearchAttributes: [
        { key: searchAttributeKeys.kind, value: 'break-glass' },
        { key: searchAttributeKeys.requester, value: input.requester },
        { key: searchAttributeKeys.role, value: input.role.name },
        { key: searchAttributeKeys.account, value: input.role.accountId },
      ],
    });
    return handle.workflowId;
  }

  approve(id: string, approver: string, comment?: string): Promise<DecisionResult> {
    return this.update(id, (h) => h.executeUpdate(approveUpdate, { args: [{ approver, ...(comment ? { comment } : {}) }] }));
  }

  deny(id: string, approver: string, reason: string): Promise<DecisionResult> {
    return this.update(id, (h) => h.executeUpdate(denyUpdate, { args: [{ approver, reason }] }));
  }

  revoke(id: string, by: string, reason?: string): Promise<RevokeResult> {
    return this.update(id, (h) => h.executeUpdate(revokeUpdate, { args: [{ by, ...(reason ? { reason } : {}) }] }));
  }

  extend(id: string, requester: string, byMs: number, reason?: string): Promise<ExtendResult> {
    return this.update(id, (h) => h.executeUpdate(extendUpdate, { args: [{ requester, byMs, ...(reason ? { reason } : {}) }] }));
  }

  reserveCredentials(id: string, by: string): Promise<VendingLease> {
    return this.update(id, (h) => h.executeUpdate(reserveCredentialsUpdate, { args: [{ by }] }));
  }

  credentialsIssued(id: string, issue: CredentialIssue): Promise<void> {
    return this.update(id, (h) => h.signal(credentialsIssuedSignal, issue));
  }

  leaseReleased(id: string, leaseId: string): Promise<void> {
    return this.update(id, (h) => h.signal(leaseReleasedSignal, { leaseId }));
  }

  accessRefused(id: string, refusal: AccessRefusal): Promise<void> {
    return this.update(id, (h) => h.signal(accessRefusedSignal, refusal));
  }

  sessionOpened(id: string, sessionId: string, target: string): Promise<void> {
    return this.update(id, (h) => h.signal(sessionOpenedSignal, { sessionId, target }));
  }

  /** True when a workflow with this id exists, running or closed (an Update to a closed one fails like an unknown one). */
  async exists(id: string): Promise<boolean> {
    try {
      await this.update(id, (h) => h.describe());
      return true;
    } catch (err) {
      if (err instanceof SafeguardError && err.code === 'WORKFLOW_NOT_FOUND') return false;
      throw err;
    }
  }

  status(id: string): Promise<BreakGlassStatus> {
    return this.update(id, (h) => h.query(statusQuery));
  }

  result(id: string): Promise<BreakGlassResult> {
    return this.update(id, (h) => h.result() as Promise<BreakGlassResult>);
  }

  async list(opts: { active?: boolean; limit?: number } = {}): Promise<ListedRequest[]> {
    const query = `${SEARCH_ATTRIBUTES.kind} = 'break-glass'${opts.active ? " AND ExecutionStatus = 'Running'" : ''}`;
    const out: ListedRequest[] = [];
    for await (const wf of this.client.workflow.list({ query })) {
      out.push(listed(wf));
      if (out.length >= (opts.limit ?? 100)) break;
    }
    return out;
  }

  private async update<T>(id: string, fn: (h: ReturnType<Client['workflow']['getHandle']>) => Promise<T>): Promise<T> {
    assertWorkflowId(id);
    try {
      return await fn(this.client.workflow.getHandle(id));
    } catch (err) {
      throw explainTemporalError(err, id);
    }
  }
}

function listed(wf: WorkflowExecutionInfo): ListedRequest {
  const sa = wf.typedSearchAttributes;
  const item: ListedRequest = { workflowId: wf.workflowId, status: wf.status.name, startTime: wf.startTime.toISOString() };
  if (wf.closeTime) item.closeTime = wf.closeTime.toISOString();
  const requester = sa.get(searchAttributeKeys.requester);
  const role = sa.get(searchAttributeKeys.role);
  const outcome = sa.get(searchAttributeKeys.outcome);
  if (requester) item.requester = requester;
  if (role) item.role = role;
  if (outcome) item.outcome = outcome;
  return item;
}
