// Errors people see from the CLI (and later Slack and the api): a stable code and a message that
// says what to do. Refusals from workflow Update validators are mapped onto the same codes.
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';

export type SafeguardErrorCode =
  | 'UNKNOWN_ROLE'
  | 'NOT_ALLOWED_TO_REQUEST'
  | 'INVALID_DURATION'
  | 'DURATION_OVER_MAXIMUM'
  | 'REASON_TOO_SHORT'
  | 'REASON_TOO_LONG'
  | 'TICKET_REQUIRED'
  | 'INVALID_TICKET'
  | 'UNKNOWN_PERSON'
  | 'IDENTITY_UNVERIFIED'
  | 'SANDBOX_ONLY'
  | 'WORKFLOW_NOT_FOUND'
  | 'INVALID_ID'
  | 'REFUSED'
  | 'SECRET_IN_TEXT'
  | 'CONTROL_CHARACTER_IN_TEXT'
  | 'NO_ROUND_PENDING'
  | 'NO_STACK'
  | 'UNKNOWN_TARGET'
  | 'UNKNOWN_SCHEDULE'
  | 'INVALID_OPTION'
  | 'NOT_A_REVIEWER';

export class SafeguardError extends Error {
  constructor(
    readonly code: SafeguardErrorCode,
    message: string,
    options?: { cause?: unknown; refusal?: string },
  ) {
    super(message, options);
    this.name = 'SafeguardError';
    this.refusal = options?.refusal;
  }
  readonly refusal: string | undefined;
}

/** Turns Temporal client errors into SafeguardErrors a person can read. */
export function explainTemporalError(err: unknown, workflowId: string): unknown {
  // An Update to a request that has ended is not "not found": say it ended.
  if (err instanceof Error && /already completed/i.test(err.message)) {
    return new SafeguardError('REFUSED', `${workflowId} has already ended`, { cause: err, refusal: 'RequestEnded' });
  }
  if (err instanceof WorkflowNotFoundError || (err instanceof Error && /not found/i.test(err.message) && /workflow/i.test(err.message))) {
    return new SafeguardError('WORKFLOW_NOT_FOUND', `no ${workflowId.startsWith('breakglass-') ? 'break-glass request' : 'Safeguard run'} with id ${workflowId}`, { cause: err });
  }
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    return new SafeguardError('REFUSED', err.cause.message, { cause: err, ...(err.cause.type ? { refusal: err.cause.type } : {}) });
  }
  return err;
}

/**
 * Credential vending refused or failed (client/vending.ts): the HTTP status and the api code a
 * person's CLI gets for it (docs/api-auth.md), so the api answers with exactly these and the fire
 * drill decides retryability from `status` without knowing about HTTP handlers.
 */
export class VendingRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'VendingRefusal';
  }
}
