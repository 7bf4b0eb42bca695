// Small per-kind annotations over a generic history walk: what each Update, Signal and activity of
// Safeguard's workflows means to an auditor, and which AWS action an activity performs. A name not
// listed still appears on the timeline, under its own name; adding a kind needs no new renderer.
import type { CheckName } from '../../config/policy/check-catalogue';

/** Updates and Signals of every workflow kind (wire names, as in each definitions.ts). */
export const MESSAGE_LABELS: Readonly<Record<string, string>> = {
  approve: 'approval',
  deny: 'denial',
  extend: 'extension requested',
  revoke: 'early revocation requested',
  reserveCredentials: 'credential vending lease (no secret passes here)',
  credentialsIssued: 'credentials issued to the requester (access key id and expiry only)',
  leaseReleased: 'vending lease released',
  sessionOpened: 'SSM session opened',
  accessRefused: 'access refused to a caller',
  'decide-items': 'access review decisions',
  addRevocationCutoff: 'revocation cut-off handed to the role deny-policy writer',
  drillGrantActive: 'fire drill: grant active',
  confirm: 'confirmation of a runbook step',
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
/** `round approve: "comment"`: which round (a runbook's approval step) or step, and the person's words. */
function aboutWhat(what: string, id: unknown, words: unknown): string | undefined {
  const i = text(id);
  const w = text(words);
  return i || w ? `${i ? `${what} ${i}` : ''}${i && w ? ': ' : ''}${w ? `"${w}"` : ''}` : undefined;
}

/** A line that says what a message decided, from its input: the round or step, the comment or note. */
export const MESSAGE_DETAILS: Readonly<Record<string, (input: Record<string, unknown>) => string | undefined>> = {
  approve: (i) => aboutWhat('round', i['round'], i['comment']),
  deny: (i) => aboutWhat('round', i['round'], i['reason']),
  confirm: (i) => aboutWhat('step', i['step'], i['note']),
};

/** The AWS reads of each runbook check (config/policy/check-catalogue.ts): read-only, through the execution role. */
const CHECK_AWS: Readonly<Record<CheckName, string>> = {
  'root-mfa-no-access-keys': 'iam:GetAccountSummary (read-only)',
  'root-console-login': 'cloudtrail:LookupEvents (read-only)',
  'iam-user-password-changed': 'iam:GenerateCredentialReport + iam:GetCredentialReport (read-only)',
};
/** The AWS reads behind a runbook check, by its catalogue name. */
export function checkAws(check: unknown): string | undefined {
  return typeof check === 'string' && Object.prototype.hasOwnProperty.call(CHECK_AWS, check) ? CHECK_AWS[check as CheckName] : undefined;
}
/** The check a runRunbookCheck input names (its frozen CheckSpec: `{ name, since, user? }`). */
const checkOf = (input: unknown): string | undefined => (isObject(input) && isObject(input['check']) ? text(input['check']['name']) : undefined);

export interface ActivityNote {
  label: string;
  /** The AWS API calls it makes, for activities that act on AWS. */
  aws?: string;
  /** Inputs too large or too chatty to print (notifications carry whole views). */
  quietInput?: boolean;
  /** Label and AWS calls that depend on the input (which check a runbook check runs). */
  labelOf?: (input: unknown) => string | undefined;
  awsOf?: (input: unknown) => string | undefined;
  /** One line a person reads from the result (a check's verdict and summary); the result itself stays too. */
  resultDetail?: (result: unknown) => string | undefined;
}

export const ACTIVITY_NOTES: Readonly<Record<string, ActivityNote>> = {
  // break-glass
  checkBreakGlassRequest: { label: "request checked against the worker's policy" },
  verifyGrant: { label: 'grant proved', aws: 'sts:AssumeRole + sts:GetCallerIdentity (credentials discarded)' },
  applyRevocation: { label: 'deny statement written', aws: 'iam:PutRolePolicy' },
  submitRevocationCutoff: { label: 'revocation cut-off submitted', aws: 'iam:PutRolePolicy (through the role deny-policy writer)' },
  terminateGrantSessions: { label: 'SSM sessions terminated', aws: 'ssm:DescribeSessions + ssm:TerminateSession' },
  verifyRevocation: { label: 'revocation verified', aws: 'iam:GetRolePolicy + ssm:DescribeSessions' },
  readRoleRevocationPolicy: { label: 'role deny policy read', aws: 'iam:GetRolePolicy' },
  writeRoleRevocationPolicy: { label: 'role deny policy written', aws: 'iam:PutRolePolicy / iam:DeleteRolePolicy' },
  removeRevocationPolicy: { label: 'expired deny statement removed', aws: 'iam:DeleteRolePolicy' },
  findUnrevokedGrants: { label: 'closed grants without a verified revocation found' },
  ensureRevocationWriters: { label: 'role deny-policy writers ensured' },
  // key rotation
  checkRotationRequest: { label: "rotation checked against the worker's policy" },
  inspectAccessKeys: { label: 'access keys inspected', aws: 'iam:ListAccessKeys' },
  createAndStoreAccessKey: { label: 'new access key created and stored (secret straight to SSM)', aws: 'iam:CreateAccessKey + ssm:PutParameter (SecureString)' },
  verifyAccessKey: { label: 'new access key verified', aws: 'sts:GetCallerIdentity' },
  accessKeyLastUsed: { label: 'old key last use checked', aws: 'iam:GetAccessKeyLastUsed' },
  accessKeyUsedSince: { label: 'old key use checked', aws: 'iam:GetAccessKeyLastUsed' },
  setAccessKeyStatus: { label: 'access key status changed', aws: 'iam:UpdateAccessKey' },
  deleteAccessKey: { label: 'access key deleted', aws: 'iam:DeleteAccessKey' },
  promoteStoredKey: { label: 'stored key promoted', aws: 'ssm:PutParameter' },
  restorePreviousStoredKey: { label: 'previous stored key restored (rollback)', aws: 'ssm:PutParameter' },
  describeKmsKey: { label: 'KMS key described', aws: 'kms:DescribeKey' },
  ensureKeyRotation: { label: 'automatic KMS rotation ensured', aws: 'kms:EnableKeyRotation' },
  keyRotationStatus: { label: 'KMS rotation status read', aws: 'kms:GetKeyRotationStatus' },
  rotateKeyOnDemand: { label: 'KMS key rotated on demand', aws: 'kms:RotateKeyOnDemand' },
  listKeyRotations: { label: 'KMS rotations listed', aws: 'kms:ListKeyRotations' },
  encryptCanary: { label: 'canary encrypted', aws: 'kms:Encrypt' },
  checkCanary: { label: 'canary decrypted and checked', aws: 'kms:Decrypt' },
  // restore drills and the sweeper
  checkDrillRequest: { label: "drill checked against the worker's policy" },
  checkSweepRequest: { label: "sweep checked against the worker's policy" },
  prepareRestore: { label: 'restore point chosen', aws: 'rds:DescribeDBSnapshots / backup:ListRecoveryPointsByResource' },
  startRestore: { label: 'restore started', aws: 'rds:RestoreDBInstanceFromDBSnapshot / backup:StartRestoreJob' },
  waitRestored: { label: 'restore awaited', aws: 'rds:DescribeDBInstances / backup:DescribeRestoreJob' },
  validateRestore: { label: 'restored data validated', aws: 'ssm:SendCommand / dynamodb:Scan' },
  reportBackupValidation: { label: 'validation result reported to AWS Backup', aws: 'backup:PutRestoreValidationResult' },
  teardownScratch: { label: 'scratch copy torn down', aws: 'rds:DeleteDBInstance / dynamodb:DeleteTable' },
  listDrillScratch: { label: 'drill scratch resources listed', aws: 'rds:DescribeDBInstances + tag reads' },
  drillRunIsOpen: { label: 'drill run checked open' },
  // break-glass fire drills
  checkFireDrillRequest: { label: "fire drill checked against the worker's policy" },
  probeDrillGrant: { label: 'drill grant probed', aws: 'sts:AssumeRole' },
  revokeDrillGrant: { label: 'drill grant revoked' },
  // access reviews
  checkReviewRequest: { label: "review checked against the worker's policy" },
  collectInventory: { label: 'inventory collected', aws: 'iam:GenerateCredentialReport + iam:GetCredentialReport + iam:List*' },
  planReview: { label: 'review planned (findings, routing)' },
  loadReviewItems: { label: 'review items loaded' },
  saveReviewerOutcome: { label: 'reviewer outcome saved' },
  applyRevocations: { label: 'review revocations applied', aws: 'iam:UpdateAccessKey / iam:DetachUserPolicy / …' },
  writeReviewReport: { label: 'review report written' },
  // declarative runbooks and the root-login watcher
  checkRunbookRequest: { label: "runbook run checked against the worker's policy" },
  runRunbookCheck: {
    label: 'runbook check',
    labelOf: (input) => (checkOf(input) ? `runbook check ${checkOf(input)!}` : undefined),
    awsOf: (input) => checkAws(checkOf(input)),
    resultDetail: (result) => (isObject(result) && typeof result['passed'] === 'boolean' ? `${result['passed'] ? 'passed' : 'not passed'}${text(result['summary']) ? `: ${text(result['summary'])!}` : ''}` : undefined),
  },
  findRootLogins: { label: 'root console sign-ins read', aws: 'cloudtrail:LookupEvents (read-only)' },
  // every kind
  notify: { label: 'notification (Slack, log)', quietInput: true },
  recordEvidence: { label: 'evidence record written' },
};

/** Argument fields that name the person a message or run is from, most specific first. */
export const ACTOR_FIELDS = ['approver', 'by', 'reviewer', 'requester', 'requestedBy', 'person'] as const;

/** Input fields that name what an activity acts on (searched at the top level and one level down). */
export const RESOURCE_FIELDS = [
  'roleArn',
  'accountId',
  'userName',
  'accessKeyId',
  'keyId',
  'keyArn',
  'instanceId',
  'dbInstance',
  'resourceArn',
  'vault',
  'tableName',
  'parameterName',
  'policyName',
  'sessionId',
] as const;
