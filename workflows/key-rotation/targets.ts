// What a rotation run is about, frozen into the workflow input when the run starts (a policy edit
// never changes a run in flight). Built from the policy's `rotation` section by the client; the
// activities read nothing else. Type-only: safe in workflow code.

/** Where the account's execution role is: every AWS call of a run goes through it. */
export interface AccountRef {
  accountId: string;
  executionRoleArn: string;
  externalId: string;
}

/** Where consumers read the access key. The value stored is JSON
 * `{"accessKeyId": "...", "secretAccessKey": "..."}`; only activities ever see it. */
export type KeyStore =
  | { type: 'ssm-parameter'; name: string; kmsKeyId?: string }
  | { type: 'secrets-manager'; secretId: string };

export interface DeleteApproval {
  /** Person ids who may approve deleting the old key (from the policy's groups, resolved at start). */
  eligible: string[];
  quorum: number;
  timeoutMs: number;
}

export interface AccessKeyTarget extends AccountRef {
  /** Target name from the policy (`rotation.accessKeys[].name`). */
  name: string;
  userName: string;
  store: KeyStore;
  /** Rotate when the active key is older than this (a scheduled run with a younger key is a no-op). */
  maxAgeMs: number;
  /** The old key must show no use for this long after the switch before it is deactivated. */
  gracePeriodMs: number;
  /** Consumers that have not switched within this long: no deactivation, escalate. */
  switchTimeoutMs: number;
  /** After deactivation, watch the old key this long for use before deleting it. */
  observePeriodMs: number;
  /** Absent: the old key is deleted without asking. */
  deleteApproval?: DeleteApproval;
}

export interface KmsKeyTarget extends AccountRef {
  name: string;
  /** Key id, key ARN or alias (`alias/...`); resolved to the key id with DescribeKey. */
  keyRef: string;
  /** RotationPeriodInDays, 90–2560. */
  rotationPeriodDays: number;
  /** Also rotate the key material now (RotateKeyOnDemand, at most 25 per key on AWS). */
  onDemandDrill: boolean;
}
