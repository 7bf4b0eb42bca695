// What the final checks read, gathered once: the executions Temporal lists for the run, the evidence
// records, the call log up to the start of the checks, and (on demand, cached) each role's deny
// statements. Every read from Temporal or AWS is bounded in time.
import type { Client, WorkflowExecutionInfo, WorkflowExecutionStatusName } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { readRoleRevocationStatements } from '../../activities/aws/iam';
import { searchAttributeKeys } from '../../client/search-attributes';
import type { Policy } from '../../config/policy/types';
import type { StackInfo } from '../../config/stack-file';
import type { EvidenceEntry } from '../../evidence/chain';
import type { CallRecord } from '../../sandbox/call-log';
import { reconcileInfoQuery } from '../../workflows/break-glass/definitions';
import type { RoleTarget, StatementCutoff } from '../../workflows/break-glass/revocation-policy';
import type { ChaosLedger } from '../ledger';
import type { CheckAws } from './aws';
import { within } from './bounded';

/** One run of a workflow, as the checks need it. */
export interface ListedExecution {
  workflowId: string;
  runId: string;
  type: string;
  status: WorkflowExecutionStatusName;
  startMs: number;
  closeMs?: number;
  parentWorkflowId?: string;
  /** SafeguardKind, SafeguardRole (the target's name for runbook kinds), SafeguardRequester. */
  kind?: string;
  target?: string;
  requester?: string;
}

export interface CheckFacts {
  stack: StackInfo;
  policy: Policy;
  temporal: Client;
  ledger: ChaosLedger;
  /** The ledger's calls made before the checks started: the checks' own probes come after. */
  calls: CallRecord[];
  checksStartedAtMs: number;
  /** No check waits past this moment (epoch ms). */
  waitDeadlineMs: number;
  /** max(ledger start, every fault's recovery): access is measured from here at the earliest. */
  lastRecoveryMs: number;
  aws: CheckAws;
  /** Every run started since the ledger's start (re-read after the checks' waits). */
  executions: ListedExecution[];
  evidence: EvidenceEntry[];
  /** The role's deny statements as IAM holds them now (read once per role per check run). */
  statements(role: RoleTarget): Promise<StatementCutoff[]>;
}

/** Listing and describing one workflow may take this long each. */
export const TEMPORAL_READ_TIMEOUT_MS = 30_000;

export function listedExecution(wf: Omit<WorkflowExecutionInfo, 'raw'>): ListedExecution {
  const sa = wf.typedSearchAttributes;
  const kind = sa.get(searchAttributeKeys.kind);
  const target = sa.get(searchAttributeKeys.role);
  const requester = sa.get(searchAttributeKeys.requester);
  return {
    workflowId: wf.workflowId,
    runId: wf.runId,
    type: wf.type,
    status: wf.status.name,
    startMs: wf.startTime.getTime(),
    ...(wf.closeTime ? { closeMs: wf.closeTime.getTime() } : {}),
    ...(wf.parentExecution?.workflowId ? { parentWorkflowId: wf.parentExecution.workflowId } : {}),
    ...(kind !== undefined ? { kind } : {}),
    ...(target !== undefined ? { target } : {}),
    ...(requester !== undefined ? { requester } : {}),
  };
}

/** Every run started at or after `sinceMs` (visibility), oldest first. */
export async function listExecutionsSince(client: Client, sinceMs: number, extraQuery?: string): Promise<ListedExecution[]> {
  const query = `StartTime >= '${new Date(sinceMs).toISOString()}'${extraQuery ? ` AND ${extraQuery}` : ''}`;
  const collect = async (): Promise<ListedExecution[]> => {
    const out: ListedExecution[] = [];
    for await (const wf of client.workflow.list({ query })) out.push(listedExecution(wf));
    return out.sort((a, b) => a.startMs - b.startMs);
  };
  return within(TEMPORAL_READ_TIMEOUT_MS, `listing workflows (${query})`, collect());
}

/** The workflow's latest run as `describe` sees it (visibility may lag behind it), or undefined if Temporal has none. */
export async function describeExecution(client: Client, workflowId: string): Promise<ListedExecution | undefined> {
  try {
    return listedExecution(await within(TEMPORAL_READ_TIMEOUT_MS, `describing ${workflowId}`, client.workflow.getHandle(workflowId).describe()));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Role deny statements, read through the role's account's execution role, once per role. */
export function statementReader(aws: CheckAws): (role: RoleTarget) => Promise<StatementCutoff[]> {
  const cache = new Map<string, Promise<StatementCutoff[]>>();
  return (role) => {
    const key = `${role.accountId}|${role.roleArn}`;
    let read = cache.get(key);
    if (!read) {
      read = aws.account(role).then(({ iam }) => readRoleRevocationStatements(iam, role.roleArn));
      read.catch(() => cache.delete(key));
      cache.set(key, read);
    }
    return read;
  };
}

/**
 * Whether a closed break-glass run had been granted, from the reconcile info a closed run still
 * answers (the worker replays it); undefined when it cannot be asked.
 */
export async function wasGranted(client: Client, workflowId: string, runId?: string): Promise<boolean | undefined> {
  try {
    const info = await within(TEMPORAL_READ_TIMEOUT_MS, `querying ${workflowId}`, client.workflow.getHandle(workflowId, runId).query(reconcileInfoQuery));
    return info?.granted;
  } catch {
    return undefined;
  }
}

/** Evidence records of `kind` about `workflowId` (record.workflowId). */
export function recordsAbout(evidence: readonly EvidenceEntry[], kind: string, workflowId: string): EvidenceEntry[] {
  return evidence.filter((e) => e.kind === kind && e.record['workflowId'] === workflowId);
}
