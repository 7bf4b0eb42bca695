// Everything a person can do to a break-glass request, over a Temporal client. The CLI calls this
// today; the slack-app and the api call the same functions, so the rules live in one place (the
// workflow's Update validators) and the wording of refusals is the same everywhere.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { searchAttributeKeys } from './search-attributes';
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
  DecisionChannel,
  DecisionResult,
  ExtendResult,
  RevokeResult,
} from '../workflows/break-glass/definitions';
import { SafeguardError, explainTemporalError } from './errors';
import { assertFreeText, assertWorkflowId } from './request';
import { Refusals } from '../workflows/shared/refusals';

export { searchAttributeKeys, SEARCH_ATTRIBUTE_FLAGS } from './search-attributes';

export interface DecisionOptions {
  /** `extension`, an exact round id, or nothing for the request's own round. */
  round?: string;
  via?: DecisionChannel;
}

const ROUND_ID = /^(grant|ratification|extension-\d{1,3})$/;

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
    assertFreeText('reason', input.reason);
    assertFreeText('ticket', input.ticket);
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

  /**
   * Approves one round of a request: by default its own (approval, or ratification of a post-hoc
   * grant); `round: 'extension'` the extension waiting now; or an exact round id (Slack buttons carry
   * the round of the card they are on). The Update names the round, so a decision never lands on a
   * round the person did not mean (invariant 10). A repeat is reported as `duplicate: true`.
   */
  async approve(id: string, approver: string, opts: DecisionOptions & { comment?: string } = {}): Promise<DecisionResult> {
    assertFreeText('comment', opts.comment);
    const round = await this.resolveRound(id, opts.round);
    const args = { approver, round, ...(opts.comment ? { comment: opts.comment } : {}), ...(opts.via ? { via: opts.via } : {}) };
    try {
      return await this.update(id, (h) => h.executeUpdate(approveUpdate, { args: [args] }));
    } catch (err) {
      // Repeats are refused by the validator (so they cost no history) and reported as harmless.
      if (err instanceof SafeguardError && err.refusal === Refusals.alreadyDecided) return this.duplicateOf(id, round);
      throw err;
    }
  }

  async deny(id: string, approver: string, reason: string, opts: DecisionOptions = {}): Promise<DecisionResult> {
    assertFreeText('reason', reason);
    const round = await this.resolveRound(id, opts.round);
    return this.update(id, (h) => h.executeUpdate(denyUpdate, { args: [{ approver, reason, round, ...(opts.via ? { via: opts.via } : {}) }] }));
  }

  async revoke(id: string, by: string, reason?: string): Promise<RevokeResult> {
    assertFreeText('reason', reason);
    try {
      return await this.update(id, (h) => h.executeUpdate(revokeUpdate, { args: [{ by, ...(reason ? { reason } : {}) }] }));
    } catch (err) {
      if (err instanceof SafeguardError && err.refusal === Refusals.alreadyRevoking) return { accepted: true, phase: (await this.status(id)).phase, duplicate: true };
      throw err;
    }
  }

  extend(id: string, requester: string, byMs: number, reason?: string): Promise<ExtendResult> {
    assertFreeText('reason', reason);
    return this.update(id, (h) => h.executeUpdate(extendUpdate, { args: [{ requester, byMs, ...(reason ? { reason } : {}) }] }));
  }

  /** The round id a decision names: exact ids pass through; the rest is read from the request. */
  private async resolveRound(id: string, selector: string | undefined): Promise<string> {
    if (selector !== undefined && selector !== 'extension') {
      if (!ROUND_ID.test(selector)) throw new SafeguardError('INVALID_ID', `"${selector.slice(0, 40)}" is not a round (grant, ratification, extension or extension-<n>)`);
      return selector;
    }
    const st = await this.status(id);
    if (selector === 'extension') {
      // The extension: the one open now, else the latest (a repeat then reads "already approved",
      // a late click "already decided"); never an older one.
      const extensions = (st.rounds ?? (st.approval ? [st.approval] : [])).filter((r) => r.kind === 'extension' && r.id);
      const ext = extensions.find((r) => r.state === 'open') ?? extensions[extensions.length - 1];
      if (!ext?.id) throw new SafeguardError('NO_ROUND_PENDING', `${id} has no extension to decide`);
      return ext.id;
    }
    return st.mode === 'post-hoc' ? 'ratification' : 'grant';
  }

  private async duplicateOf(id: string, round: string): Promise<DecisionResult> {
    const st = await this.status(id);
    const r = st.rounds?.find((x) => x.id === round) ?? st.approval;
    return { accepted: true, duplicate: true, approvals: r?.approvals.length ?? 0, quorum: r?.quorum ?? 0, phase: st.phase, decided: r?.state !== 'open', round, ...(r ? { roundKind: r.kind, roundState: r.state } : {}) };
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

  sessionOpened(id: string, sessionId: string, target: string, opts: { verified?: boolean } = {}): Promise<void> {
    return this.update(id, (h) => h.signal(sessionOpenedSignal, { sessionId, target, ...(opts.verified ? { verified: true } : {}) }));
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

  /** The request's state, with what Temporal says of the execution: a terminated run still answers
   * the Query with the phase it was in when it was killed, so `execution` tells the truth. */
  status(id: string): Promise<BreakGlassStatus> {
    return this.update(id, async (h) => {
      const [st, desc] = await Promise.all([h.query(statusQuery), h.describe()]);
      return { ...st, execution: { status: desc.status.name, ...(desc.closeTime ? { closeTime: desc.closeTime.toISOString() } : {}) } };
    });
  }

  result(id: string): Promise<BreakGlassResult> {
    return this.update(id, (h) => h.result() as Promise<BreakGlassResult>);
  }

  async list(opts: { active?: boolean; limit?: number } = {}): Promise<ListedRequest[]> {
    // By type as well as by kind: a run started around the CLI still shows up here.
    const query = `(${SEARCH_ATTRIBUTES.kind} = 'break-glass' OR WorkflowType = 'breakGlassWorkflow')${opts.active ? " AND ExecutionStatus = 'Running'" : ''}`;
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
