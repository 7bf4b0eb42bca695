// Evidence store errors: named classes with a stable `code` (STYLE.md), so activities can map
// them to non-retryable ApplicationFailures by code.

export type EvidenceErrorCode =
  | 'EVIDENCE_CONTAINS_SECRET'
  | 'EVIDENCE_INVALID_INPUT'
  | 'EVIDENCE_LOCK_TIMEOUT'
  | 'EVIDENCE_IO'
  | 'EVIDENCE_CORRUPT';

export class EvidenceError extends Error {
  override name = 'EvidenceError';
  readonly code: EvidenceErrorCode;
  constructor(code: EvidenceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The record holds a secret-looking value; evidence must never hold secrets (invariant 1). */
export class EvidenceSecretError extends EvidenceError {
  override name = 'EvidenceSecretError';
  declare readonly code: 'EVIDENCE_CONTAINS_SECRET';
  constructor(message: string, options?: { cause?: unknown }) {
    super('EVIDENCE_CONTAINS_SECRET', message, options);
  }
}

export class EvidenceInputError extends EvidenceError {
  override name = 'EvidenceInputError';
  declare readonly code: 'EVIDENCE_INVALID_INPUT';
  constructor(message: string, options?: { cause?: unknown }) {
    super('EVIDENCE_INVALID_INPUT', message, options);
  }
}

/** Another writer held the lock file for longer than the acquire timeout. */
export class EvidenceLockError extends EvidenceError {
  override name = 'EvidenceLockError';
  declare readonly code: 'EVIDENCE_LOCK_TIMEOUT';
  constructor(message: string, options?: { cause?: unknown }) {
    super('EVIDENCE_LOCK_TIMEOUT', message, options);
  }
}

export class EvidenceIoError extends EvidenceError {
  override name = 'EvidenceIoError';
  declare readonly code: 'EVIDENCE_IO';
  constructor(message: string, options?: { cause?: unknown }) {
    super('EVIDENCE_IO', message, options);
  }
}
