// Starting, reading and confirming declarative runbooks. A run's input is the policy's runbook frozen
// when it starts (client/runbook-definition.ts): a policy edit never changes a run in flight.
import { STEP_ID_PATTERN } from '../config/policy/fields';
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { findPersonById, securityPeople } from '../config/policy/lookup';
import type { Policy } from '../config/policy/types';
import { DEFAULT_TASK_QUEUE } from '../workflows/shared/task-queues';
import { Refusals } from '../workflows/shared/refusals';
import { confirmUpdate, DECLARATIVE_RUNBOOK_WORKFLOW, runbookStatusQuery } from '../workflows/runbook/definitions';
import type { ConfirmResult, RunbookInput, RunbookResult, RunbookStatus } from '../workflows/runbook/definitions';
import type { DecisionChannel } from '../workflows/shared/approval/definitions';
import { SafeguardError } from './errors';
import { runbookRunId } from './ids';
import { assertFreeText } from './request';
import { listRuns, onRun, queryRun, runResult, startRun } from './runs';
import type { ExecutionState, ListedRun } from './runs';
import { runbookDefinitionFor } from './runbook-definition';

const KINDS = ['runbook'] as const;
export const MIN_RUNBOOK_REASON = 10;

/** The input of a run of `name` started by `requestedBy`; refuses what the policy does not allow. */
export function runbookInput(policy: Policy, name: string, requestedBy: string, reason: string): RunbookInput {
  const runbook = runbookDefinitionFor(policy, name);
  if (!findPersonById(policy, requestedBy)) throw new SafeguardError('UNKNOWN_PERSON', `"${requestedBy.slice(0, 40)}" is not a person in the policy`);
  if (!runbook.requesters.includes(requestedBy)) {
    throw new SafeguardError('NOT_ALLOWED_TO_REQUEST', `${requestedBy} may not start ${name} (its requesters: ${policy.runbooks.procedures.find((p) => p.name === name)?.requesters.join(', ')})`);
  }
  const why = reason.trim();
  if (why.length < MIN_RUNBOOK_REASON) throw new SafeguardError('REASON_TOO_SHORT', `give a reason of at least ${MIN_RUNBOOK_REASON} characters (--reason): it is what the approvers and auditors read`);
  if (why.length > 1000) throw new SafeguardError('REASON_TOO_LONG', 'the reason is longer than 1000 characters');
  assertFreeText('reason', why);
  return { runbook, requestedBy, reason: why, security: securityPeople(policy) };
}

export class RunbookClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string = DEFAULT_TASK_QUEUE,
  ) {}

  async start(policy: Policy, name: string, requestedBy: string, reason: string): Promise<{ workflowId: string }> {
    const input = runbookInput(policy, name, requestedBy, reason);
    const workflowId = runbookRunId(name, randomBytes(4).toString('hex'));
    await startRun(this.client, { workflowType: DECLARATIVE_RUNBOOK_WORKFLOW, taskQueue: this.taskQueue, workflowId, input, kind: 'runbook', target: name, accountId: input.runbook.account.accountId, requestedBy, rejectDuplicate: true });
    return { workflowId };
  }

  async status(id: string): Promise<RunbookStatus & { execution: ExecutionState }> {
    return queryRun(this.client, id, KINDS, runbookStatusQuery);
  }

  async result(id: string): Promise<RunbookResult> {
    return runResult<RunbookResult>(this.client, id, KINDS);
  }

  async list(opts: { limit?: number; runbook?: string } = {}): Promise<ListedRun[]> {
    return listRuns(this.client, KINDS, { ...(opts.limit ? { limit: opts.limit } : {}), ...(opts.runbook ? { target: opts.runbook } : {}) });
  }

  /**
   * Confirms `step` of the run as `by`; the step must be the one the run waits on. The step is always
   * named (invariant 10): a confirmation meant for a step that completed a moment ago must not land on
   * the next one. A repeat by the same person reports the step's count and changes nothing.
   */
  async confirm(id: string, by: string, opts: { step: string; note?: string; via?: DecisionChannel }): Promise<ConfirmResult & { duplicate: boolean }> {
    const step = opts.step;
    if (!STEP_ID_PATTERN.test(step)) throw new SafeguardError('INVALID_ID', `"${step.slice(0, 40)}" is not a step id (lower-case letters, digits and "-")`);
    const note = opts.note?.trim();
    assertFreeText('note', note);
    if (note !== undefined && note.length > 1000) throw new SafeguardError('INVALID_OPTION', 'the note is longer than 1000 characters');
    const args = { by, step, ...(note ? { note } : {}), ...(opts.via ? { via: opts.via } : {}) };
    try {
      return { ...(await onRun(this.client, id, KINDS, (h) => h.executeUpdate(confirmUpdate, { args: [args] }))), duplicate: false };
    } catch (err) {
      if (err instanceof SafeguardError && err.refusal === Refusals.alreadyDecided) {
        const cur = (await this.status(id)).current;
        const n = cur?.id === step ? (cur.confirmations?.length ?? 0) : 0;
        return { step, confirmations: n, needed: cur?.needed ?? n, complete: cur?.id !== step, duplicate: true };
      }
      throw err;
    }
  }
}
