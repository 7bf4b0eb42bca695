// Reading runbook runs of any kind: a status Query joined with Temporal's own execution status,
// and recent runs listed by kind (and target) from the search attributes.
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import type { Client, WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import type { RunbookKind } from '../workflows/shared/search-attributes';
import { SEARCH_ATTRIBUTES } from '../workflows/shared/search-attributes';
import { explainTemporalError } from './errors';
import { assertRunId } from './ids';
import { searchAttributeKeys } from './search-attributes';

export interface ListedRun {
  workflowId: string;
  kind: string;
  target?: string;
  status: string;
  startTime: string;
  closeTime?: string;
  outcome?: string;
}

export interface ExecutionState {
  status: string;
  closeTime?: string;
}

export interface StartRunOptions {
  workflowType: string;
  taskQueue: string;
  workflowId: string;
  input: unknown;
  /** SafeguardKind, and the policy target, account and requester the run is listed under. */
  kind: string;
  target: string;
  accountId: string;
  requestedBy: string;
  /** Refuse the id even after an earlier run of it has closed (default: only while one runs). */
  rejectDuplicate?: boolean;
}

/**
 * Starts one runbook run: one input, an id no running run has (a second start fails rather than
 * attaching to the first), and the search attributes every run carries from its start.
 */
export async function startRun(client: Client, o: StartRunOptions): Promise<string> {
  const handle = await client.workflow.start(o.workflowType, {
    taskQueue: o.taskQueue,
    workflowId: o.workflowId,
    args: [o.input],
    ...(o.rejectDuplicate ? { workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE } : {}),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    typedSearchAttributes: [
      { key: searchAttributeKeys.kind, value: o.kind },
      { key: searchAttributeKeys.role, value: o.target },
      { key: searchAttributeKeys.account, value: o.accountId },
      { key: searchAttributeKeys.requester, value: o.requestedBy },
    ],
  });
  return handle.workflowId;
}

/** Runs `fn` on the run's handle, refusing ids that are not of `kinds` and explaining Temporal's errors. */
export async function onRun<T>(client: Client, id: string, kinds: readonly RunbookKind[], fn: (h: WorkflowHandle) => Promise<T>): Promise<T> {
  assertRunId(id, kinds);
  try {
    return await fn(client.workflow.getHandle(id));
  } catch (err) {
    throw explainTemporalError(err, id);
  }
}

/** The run's status Query and Temporal's execution status; refuses ids that are not of `kinds`. */
export function queryRun<T>(client: Client, id: string, kinds: readonly RunbookKind[], query: QueryDefinition<T>): Promise<T & { execution: ExecutionState }> {
  return onRun(client, id, kinds, async (h) => {
    const [st, desc] = await Promise.all([h.query(query), h.describe()]);
    return { ...st, execution: { status: desc.status.name, ...(desc.closeTime ? { closeTime: desc.closeTime.toISOString() } : {}) } };
  });
}

/** The run's result (waits for it to end); refuses ids that are not of `kinds`. */
export function runResult<T>(client: Client, id: string, kinds: readonly RunbookKind[]): Promise<T> {
  return onRun(client, id, kinds, async (h) => (await h.result()) as T);
}

/** Recent runs of these kinds, newest first as Temporal lists them. */
export async function listRuns(client: Client, kinds: readonly string[], opts: { limit?: number; target?: string } = {}): Promise<ListedRun[]> {
  const list = kinds.map((k) => `'${k}'`).join(', ');
  const query = `${SEARCH_ATTRIBUTES.kind} IN (${list})${opts.target ? ` AND ${SEARCH_ATTRIBUTES.role} = '${opts.target.replace(/[^a-z0-9-]/g, '')}'` : ''}`;
  const out: ListedRun[] = [];
  for await (const wf of client.workflow.list({ query })) {
    out.push(listed(wf));
    if (out.length >= (opts.limit ?? 100)) break;
  }
  return out;
}

function listed(wf: WorkflowExecutionInfo): ListedRun {
  const sa = wf.typedSearchAttributes;
  const item: ListedRun = { workflowId: wf.workflowId, kind: sa.get(searchAttributeKeys.kind) ?? wf.type, status: wf.status.name, startTime: wf.startTime.toISOString() };
  const target = sa.get(searchAttributeKeys.role);
  const outcome = sa.get(searchAttributeKeys.outcome);
  if (target) item.target = target;
  if (outcome) item.outcome = outcome;
  if (wf.closeTime) item.closeTime = wf.closeTime.toISOString();
  return item;
}
