// `safeguard audit show`'s logic: a run's timeline from its Temporal history, decoded, or — when
// Temporal no longer has the history — from its evidence records, saying which.
import { isGrpcServiceError, WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { EvidenceStore } from '../../evidence/store';
import { SafeguardError } from '../errors';
import { timelineFromEvidence } from './from-evidence';
import { payloadDecoder, timelineFromHistory } from './from-history';
import type { Timeline } from './types';

export { payloadDecoder, timelineFromHistory, requestOf, formatDuration } from './from-history';
export type { PayloadDecoder, HistoryTimelineOptions } from './from-history';
export { recordsFor, timelineFromEvidence } from './from-evidence';
export { renderTimeline, formatOffset } from './render';
export { scrubTimeline } from './scrub';
export type { EntryKind, Timeline, TimelineEntry, TimelineRequest, TimelineSource } from './types';

const GRPC_NOT_FOUND = 5;

/** True when Temporal says the execution (or its history) does not exist: retention passed, deleted, never ran. */
export function isNotFound(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND);
}

export interface LoadTimelineInput {
  workflowId: string;
  runId?: string;
  evidenceDir: string;
  /** Temporal, when it could be reached; otherwise `temporalError` says why not. */
  temporal?: Client;
  temporalError?: string;
}

/**
 * The history when Temporal has it; the evidence when it does not (or Temporal is unreachable).
 * Throws SafeguardError WORKFLOW_NOT_FOUND when neither knows the workflow. Any other Temporal error
 * (a codec key missing, permission denied) is thrown as it is: it is not "history gone".
 */
export async function loadTimeline(input: LoadTimelineInput): Promise<Timeline> {
  let why = input.temporalError ? `Temporal could not be reached (${input.temporalError})` : undefined;
  if (input.temporal) {
    const client = input.temporal;
    try {
      const history = await client.workflow.getHandle(input.workflowId, input.runId).fetchHistory();
      return await timelineFromHistory(history, {
        workflowId: input.workflowId,
        ...(input.runId ? { runId: input.runId } : {}),
        decode: payloadDecoder(client.options.loadedDataConverter),
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      why = 'Temporal has no history for it (retention passed or it was deleted)';
    }
  }
  const store = new EvidenceStore(input.evidenceDir);
  const entries = (await store.exists()) ? await store.list() : [];
  const fromEvidence = timelineFromEvidence(input.workflowId, entries, { ...(input.runId ? { runId: input.runId } : {}), ...(why ? { why } : {}) });
  if (fromEvidence) return fromEvidence;
  throw new SafeguardError(
    'WORKFLOW_NOT_FOUND',
    `no run ${input.workflowId}${input.runId ? ` (run ${input.runId})` : ''}: ${why ?? 'not in Temporal'}, and no evidence record in ${store.dir} names it`,
  );
}
