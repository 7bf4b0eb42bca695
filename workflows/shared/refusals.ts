// Every refusal a workflow's Update validators can give, by stable code: the `type` of the
// non-retryable ApplicationFailure they throw. The CLI, the api (HTTP status) and Slack (wording)
// read the same codes, so a refusal means the same thing wherever a person meets it. Free of side
// effects: workflow code and front ends both import it.
import { ApplicationFailure } from '@temporalio/workflow';

export const Refusals = {
  // Decisions on an approval round (workflows/approval/gate.ts)
  selfApproval: 'SelfApproval',
  notApprover: 'NotAnApprover',
  notOpen: 'NoDecisionPending',
  reasonRequired: 'ReasonRequired',
  roundRequired: 'RoundRequired',
  unknownRound: 'UnknownRound',
  alreadyDecided: 'AlreadyDecided',
  stepUpRequired: 'StepUpRequired',
  // Break-glass requests
  notAllowedToRevoke: 'NotAllowedToRevoke',
  notRequester: 'NotTheRequester',
  notActive: 'GrantNotActive',
  extensionPending: 'ExtensionAlreadyPending',
  extensionLimit: 'ExtensionLimitReached',
  overMaximum: 'DurationOverMaximum',
  badDuration: 'InvalidDuration',
  ended: 'RequestEnded',
  revoked: 'GrantRevoked',
  alreadyRevoking: 'AlreadyRevoking',
  vendingLimit: 'VendingLimitReached',
  tooManyLeases: 'TooManyLeases',
  // Access reviews
  unknownItem: 'UnknownReviewItem',
  /** Nobody reviews their own access (the item goes to someone else). */
  ownAccess: 'OwnAccess',
  // Declarative runbooks' confirm steps
  notConfirmer: 'NotAConfirmer',
  /** The person who started the run may not confirm a step that says notRequester. */
  selfConfirmation: 'SelfConfirmation',
  noteRequired: 'NoteRequired',
  /** The step named is not the one the run is waiting on (a stale click, a typo). */
  stepNotOpen: 'StepNotOpen',
  // Anything a person types
  secretInText: 'SecretInText',
  malformed: 'MalformedRequest',
  /** The worker's policy check rejected the request's input. */
  requestRejected: 'RequestRejected',
} as const;

export type RefusalCode = (typeof Refusals)[keyof typeof Refusals];

export interface RefusalInfo {
  /** The api's HTTP status for it. */
  http: 400 | 403 | 404 | 409 | 410 | 429;
  /** The api's error code (stable, in docs/api-auth.md). */
  apiCode: string;
  /** How Slack and the CLI name it in one phrase. */
  label: string;
}

/** One row per refusal: the api, Slack and the CLI read it here, so no front end words it apart. */
export const REFUSAL_INFO: Record<RefusalCode, RefusalInfo> = {
  SelfApproval: { http: 403, apiCode: 'SELF_APPROVAL', label: 'you cannot decide on your own request' },
  NotAnApprover: { http: 403, apiCode: 'NOT_AN_APPROVER', label: 'not an approver' },
  NoDecisionPending: { http: 409, apiCode: 'NO_DECISION_PENDING', label: 'nothing to decide' },
  ReasonRequired: { http: 400, apiCode: 'REASON_REQUIRED', label: 'a reason is required' },
  RoundRequired: { http: 400, apiCode: 'ROUND_REQUIRED', label: 'say which decision' },
  UnknownRound: { http: 404, apiCode: 'UNKNOWN_ROUND', label: 'no such decision' },
  AlreadyDecided: { http: 409, apiCode: 'ALREADY_DECIDED', label: 'already decided' },
  StepUpRequired: { http: 403, apiCode: 'STEP_UP_REQUIRED', label: 'decide from the CLI (step-up)' },
  NotAllowedToRevoke: { http: 403, apiCode: 'NOT_ALLOWED_TO_REVOKE', label: 'not allowed to revoke' },
  NotTheRequester: { http: 403, apiCode: 'NOT_REQUESTER', label: 'only the requester may' },
  GrantNotActive: { http: 409, apiCode: 'GRANT_NOT_ACTIVE', label: 'the grant is not active' },
  ExtensionAlreadyPending: { http: 409, apiCode: 'EXTENSION_PENDING', label: 'an extension is already pending' },
  ExtensionLimitReached: { http: 409, apiCode: 'EXTENSION_LIMIT', label: 'no more extensions' },
  DurationOverMaximum: { http: 400, apiCode: 'DURATION_OVER_MAXIMUM', label: 'longer than the role allows' },
  InvalidDuration: { http: 400, apiCode: 'INVALID_DURATION', label: 'not a duration' },
  RequestEnded: { http: 410, apiCode: 'GRANT_REVOKED', label: 'the request has ended' },
  GrantRevoked: { http: 410, apiCode: 'GRANT_REVOKED', label: 'the grant was revoked' },
  AlreadyRevoking: { http: 409, apiCode: 'ALREADY_REVOKING', label: 'already being revoked' },
  VendingLimitReached: { http: 429, apiCode: 'VENDING_LIMIT_REACHED', label: 'too many credentials for this grant' },
  TooManyLeases: { http: 429, apiCode: 'TOO_MANY_REQUESTS', label: 'too many credential requests at once' },
  OwnAccess: { http: 403, apiCode: 'OWN_ACCESS', label: 'you cannot review your own access' },
  UnknownReviewItem: { http: 404, apiCode: 'UNKNOWN_REVIEW_ITEM', label: 'not one of your review items' },
  NotAConfirmer: { http: 403, apiCode: 'NOT_A_CONFIRMER', label: 'not a confirmer for this step' },
  SelfConfirmation: { http: 403, apiCode: 'SELF_CONFIRMATION', label: 'you started this runbook; someone else must confirm this step' },
  NoteRequired: { http: 400, apiCode: 'NOTE_REQUIRED', label: 'this step needs a note' },
  StepNotOpen: { http: 409, apiCode: 'STEP_NOT_OPEN', label: 'that step is not waiting for confirmation' },
  SecretInText: { http: 400, apiCode: 'SECRET_IN_TEXT', label: 'the text looks like a secret' },
  MalformedRequest: { http: 400, apiCode: 'BAD_REQUEST', label: 'malformed request' },
  RequestRejected: { http: 409, apiCode: 'REQUEST_REJECTED', label: 'the request does not match the policy' },
};

export function refusalInfo(code: string | undefined): RefusalInfo | undefined {
  return code !== undefined && Object.prototype.hasOwnProperty.call(REFUSAL_INFO, code) ? REFUSAL_INFO[code as RefusalCode] : undefined;
}

/** Throws the refusal a person should see (from a validator: nothing is recorded). */
export function refuse(type: RefusalCode, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}
