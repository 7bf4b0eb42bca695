// Key-rotation activities (access keys and KMS keys), one object for createActivities to spread.
// Every activity takes its target (targets.ts) and acts through the account's execution role.
import type { Logger } from 'pino';
import type { AwsClients } from '../aws/clients';
import { createAccessKeyActivities } from './access-keys';
import { createKmsActivities } from './kms';
import { createKeyUseActivities } from './key-use';

export interface RotationActivityDeps {
  aws: AwsClients;
  logger: Logger;
  /** verifyAccessKey's wait for a new key to become valid (default 30 s) and its poll interval (2 s). */
  verifyTimeoutMs?: number;
  verifyIntervalMs?: number;
}

export function createRotationActivities(deps: RotationActivityDeps) {
  return {
    ...createAccessKeyActivities(deps),
    ...createKmsActivities(deps),
    ...createKeyUseActivities(deps),
  };
}

export type RotationActivities = ReturnType<typeof createRotationActivities>;

export { RotationFailures } from './failures';
export type { RotationFailureType } from './failures';
export type { AccessKeyInspection, CreatedAccessKey, AccessKeyVerification } from './access-keys';
export type { KmsKeyFacts, KeyRotationStatus } from './kms';
export type { PromoteResult, RestoreResult } from './key-store';
