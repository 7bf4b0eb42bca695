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
  // Anything a person types
  secretInText: 'SecretInText',
  malformed: 'MalformedRequest',
  /** The worker's policy check rejected the request's input. */
  requestRejected: 'RequestRejected',
} as const;

export type RefusalCode = (typeof Refusals)[keyof typeof Refusals];

/** Throws the refusal a person should see (from a validator: nothing is recorded). */
export function refuse(type: RefusalCode, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}
