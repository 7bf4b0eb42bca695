// Evidence activities. Created with createEvidenceActivities(deps) so the worker injects one
// EvidenceStore; retried activity attempts are safe because append() is idempotent by id.

import { ApplicationFailure } from '@temporalio/common';
import { EvidenceError } from './errors';
import type { AppendResult, EvidenceStore } from './store';

export interface RecordEvidenceInput {
  /** Stable per event, e.g. `${workflowId}:${event}`, so a retried activity writes once. */
  id: string;
  kind: string;
  record: Record<string, unknown>;
}

/** Codes that no retry can fix. */
const PERMANENT = new Set(['EVIDENCE_CONTAINS_SECRET', 'EVIDENCE_INVALID_INPUT']);

export function createEvidenceActivities(deps: { store: EvidenceStore }) {
  return {
    async recordEvidence(input: RecordEvidenceInput): Promise<AppendResult> {
      try {
        return await deps.store.append(input);
      } catch (err) {
        if (err instanceof EvidenceError && PERMANENT.has(err.code)) {
          throw ApplicationFailure.create({ message: err.message, type: err.code, nonRetryable: true, cause: err });
        }
        throw err;
      }
    },
  };
}

export type EvidenceActivities = ReturnType<typeof createEvidenceActivities>;
