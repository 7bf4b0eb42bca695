// The evidence activity: the one way workflows append to the evidence store. Retried attempts are
// safe because append() is idempotent by id. A secret-shaped value that reaches it (someone pasted a
// key into a reason) is redacted and the redaction noted in the record: the record is never dropped,
// because suppressing evidence must not be as easy as typing something key-shaped. Errors no retry
// can fix are non-retryable, so the workflow's bounded retries end quickly and it pages security.
import { ApplicationFailure } from '@temporalio/common';
import { redactSecretShapes } from '../config/redact';
import { EvidenceError, EvidenceInputError } from '../evidence/errors';
import { prepareRecord } from '../evidence/records';
import type { AppendResult, EvidenceStore } from '../evidence/store';
import { observeEvidence } from '../shared/ops/metrics';
import type { WorkerMetrics } from '../shared/ops/metrics';

export interface RecordEvidenceInput {
  /** Stable per event, e.g. `${workflowId}/${runId}`, so a retried activity writes once. */
  id: string;
  kind: string;
  record: Record<string, unknown>;
}

/** Codes that no retry can fix. */
const PERMANENT = new Set(['EVIDENCE_CONTAINS_SECRET', 'EVIDENCE_INVALID_INPUT']);

export function createEvidenceActivities(deps: { store: EvidenceStore; metrics?: WorkerMetrics }) {
  return {
    /** Whether a record with this id was written (a watcher's "paged before?"). */
    async findEvidence(input: { id: string }): Promise<{ found: boolean }> {
      return { found: await deps.store.has(input.id) };
    },

    async recordEvidence(input: RecordEvidenceInput): Promise<AppendResult> {
      const { value: record, paths } = redactSecretShapes(input.record);
      try {
        // Every kind's record has a versioned schema (evidence/records.ts): a record that does not
        // fit it is a bug in the workflow, and no retry fixes it.
        const checked = prepareRecord(input.kind, paths.length > 0 ? { ...record, redactions: paths } : record);
        if (!checked.ok) throw new EvidenceInputError(checked.problem);
        const appended = await deps.store.append({ ...input, record: checked.record });
        // Every run ends with exactly one record: its outcome (and a grant's revocation lag) is
        // counted when the record is first written, not again when a retried attempt finds it there.
        if (!appended.duplicate && deps.metrics) observeEvidence(deps.metrics, input.kind, checked.record);
        return appended;
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
