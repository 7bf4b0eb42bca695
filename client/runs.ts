// Reading runbook runs of any kind: a status Query joined with Temporal's own execution status,
// and recent runs listed by kind (and target) from the search attributes.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
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

/** The run's status Query and Temporal's execution status; refuses ids that are not of `kinds`. */
export async function queryRun<T>(client: Client, id: string, kinds: readonly RunbookKind[], query: QueryDefinition<T>): Promise<T & { execution: ExecutionState }> {
  assertRunId(id, kinds);
  try {
    const h = client.workflow.getHandle(id);
    const [st, desc] = await Promise.all([h.query(query), h.describe()]);
    return { ...st, execution: { status: desc.status.name, ...(desc.closeTime ? { closeTime: desc.closeTime.toISOString() } : {}) } };
  } catch (err) {
    throw explainTemporalError(err, id);
  }
}

/** The run's result (waits for it to end); refuses ids that are not of `kinds`. */
export async function runResult<T>(client: Client, id: string, kinds: readonly RunbookKind[]): Promise<T> {
  assertRunId(id, kinds);
  try {
    return (await client.workflow.getHandle(id).result()) as T;
  } catch (err) {
    throw explainTemporalError(err, id);
  }
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
