// The evidence record schema of every kind, versioned. Each record is stamped with the version it
// was written under (`schemaVersion`), so verification and reports read old records after a schema
// change: the chain hashes the record as stored, and a reader picks the schema by kind and version.
// Records keep extra fields (passthrough): a schema names what a record must have, never all it may.
import { z } from 'zod';

const iso = z.string().min(1);
const runIds = { workflowId: z.string().min(1), runId: z.string().min(1) };

/** kind → version → schema. Add a version, never edit one that has been written. */
export const EVIDENCE_SCHEMAS = {
  'break-glass': {
    1: z.looseObject({ ...runIds, outcome: z.string().min(1) }),
  },
  reconciled: {
    1: z.looseObject({ ...runIds, reconcileWorkflowId: z.string().min(1), requester: z.string(), role: z.string(), revocation: z.looseObject({ verified: z.boolean() }) }),
  },
  'access-refused': {
    1: z.looseObject({ grantId: z.string().min(1), by: z.string().min(1), code: z.string().min(1), what: z.string().min(1), at: iso }),
  },
  'access-key-rotation': {
    1: z.looseObject({
      ...runIds,
      target: z.string().min(1),
      userName: z.string().min(1),
      outcome: z.string().min(1),
      oldAccessKeyId: z.string().nullable(),
      newAccessKeyId: z.string().nullable(),
      startedAt: iso,
      endedAt: iso,
      steps: z.array(z.looseObject({ name: z.string(), state: z.string() })),
    }),
  },
  'kms-rotation': {
    1: z.looseObject({
      ...runIds,
      target: z.string().min(1),
      keyId: z.string().nullable(),
      outcome: z.string().min(1),
      rotationPeriodDays: z.number().int(),
      startedAt: iso,
      endedAt: iso,
      steps: z.array(z.looseObject({ name: z.string(), state: z.string() })),
    }),
  },
  'restore-drill': {
    1: z.looseObject({
      ...runIds,
      drill: z.string().min(1),
      sourceType: z.string().min(1),
      outcome: z.string().min(1),
      scratch: z.looseObject({ name: z.string().min(1) }).nullable(),
      scores: z.looseObject({ rtoMs: z.number().nullable(), rpoMs: z.number().nullable(), rtoTargetMs: z.number(), rpoTargetMs: z.number() }),
      teardown: z.looseObject({ goneAt: iso }).nullable(),
      startedAt: iso,
      endedAt: iso,
      steps: z.array(z.looseObject({ name: z.string(), state: z.string() })),
    }),
  },
  'break-glass-drill': {
    1: z.looseObject({
      ...runIds,
      drill: z.string().min(1),
      rehearses: z.string().min(1),
      outcome: z.string().min(1),
      grantWorkflowId: z.string().nullable(),
      scores: z.looseObject({ timeToApproveMs: z.number().nullable(), timeToGrantMs: z.number().nullable(), revocationLagMs: z.number().nullable() }),
      targets: z.looseObject({ approveWithinMs: z.number(), grantWithinMs: z.number(), revokeWithinMs: z.number() }),
      revocation: z.looseObject({ verified: z.boolean(), checkedAt: iso }).nullable(),
      startedAt: iso,
      endedAt: iso,
    }),
  },
  'access-review': {
    1: z.looseObject({
      ...runIds,
      review: z.string().min(1),
      outcome: z.string().min(1),
      accounts: z.array(z.looseObject({ accountId: z.string(), principals: z.number().int(), inventory: z.looseObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }) })),
      totals: z.looseObject({ principals: z.number().int(), flagged: z.number().int(), exempt: z.number().int() }).nullable(),
      reviewers: z.array(z.looseObject({ workflowId: z.string().min(1), items: z.number().int() })),
      report: z.looseObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }).nullable(),
      startedAt: iso,
      endedAt: iso,
    }),
  },
  runbook: {
    1: z.looseObject({
      ...runIds,
      runbook: z.string().min(1),
      outcome: z.string().min(1),
      requestedBy: z.string().min(1),
      accountId: z.string().min(1),
      stepResults: z.array(z.looseObject({ id: z.string().min(1), type: z.string().min(1), outcome: z.string().min(1), by: z.array(z.looseObject({ by: z.string(), at: iso })) })),
      startedAt: iso,
      endedAt: iso,
    }),
  },
  'runbook-step': {
    1: z.looseObject({
      ...runIds,
      runbook: z.string().min(1),
      index: z.number().int().min(0),
      id: z.string().min(1),
      type: z.string().min(1),
      outcome: z.string().min(1),
      by: z.array(z.looseObject({ by: z.string().min(1), at: iso })),
      startedAt: iso,
      endedAt: iso,
    }),
  },
  'root-login': {
    1: z.union([
      z.looseObject({ accountId: z.string().regex(/^\d{12}$/), eventId: z.string().min(1), at: iso, verdict: z.literal('unexpected'), watchWorkflowId: z.string().min(1), pagedAt: iso }),
      z.looseObject({ accountId: z.string().regex(/^\d{12}$/), eventId: z.string().min(1), at: iso, verdict: z.literal('expected'), watchWorkflowId: z.string().min(1), duringRun: z.string().min(1) }),
    ]),
  },
  'drill-sweep': {
    1: z.looseObject({ ...runIds, swept: z.array(z.looseObject({ name: z.string().min(1), deleted: z.boolean() })), startedAt: iso, endedAt: iso }),
  },
} as const;

export type EvidenceKind = keyof typeof EVIDENCE_SCHEMAS;
export const EVIDENCE_KINDS = Object.keys(EVIDENCE_SCHEMAS) as EvidenceKind[];

export function currentVersion(kind: EvidenceKind): number {
  return Math.max(...Object.keys(EVIDENCE_SCHEMAS[kind]).map(Number));
}

export type RecordCheck = { ok: true; record: Record<string, unknown> } | { ok: false; problem: string };

/** Checks a new record against its kind's current schema and stamps the version. */
export function prepareRecord(kind: string, record: Record<string, unknown>): RecordCheck {
  if (!(kind in EVIDENCE_SCHEMAS)) return { ok: false, problem: `unknown evidence kind "${kind.slice(0, 60)}" (known: ${EVIDENCE_KINDS.join(', ')})` };
  const k = kind as EvidenceKind;
  const version = currentVersion(k);
  return checkRecord(k, version, record, (r) => ({ ...r, schemaVersion: version }));
}

/** Checks a stored record against the schema version it was written under (absent: version 1). */
export function checkStoredRecord(kind: string, record: Record<string, unknown>): RecordCheck {
  if (!(kind in EVIDENCE_SCHEMAS)) return { ok: false, problem: `unknown evidence kind "${kind.slice(0, 60)}"` };
  const k = kind as EvidenceKind;
  const version = typeof record['schemaVersion'] === 'number' ? record['schemaVersion'] : 1;
  return checkRecord(k, version, record, (r) => r);
}

function checkRecord(kind: EvidenceKind, version: number, record: Record<string, unknown>, out: (r: Record<string, unknown>) => Record<string, unknown>): RecordCheck {
  const schema = (EVIDENCE_SCHEMAS[kind] as Record<number, z.ZodType>)[version];
  if (!schema) return { ok: false, problem: `${kind} records have no schema version ${version}` };
  const parsed = schema.safeParse(record);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, problem: `${kind} record (schema ${version}) is invalid: ${first?.path.join('.') || '(record)'}: ${first?.message ?? 'invalid'}` };
  }
  return { ok: true, record: out(record) };
}
