// The parsed, validated policy. Durations are milliseconds; every cross-reference (group,
// account, person) has been checked by the loader, so consumers may rely on them resolving.
// Type-only module: safe to import from workflow code. The loader's zod schemas (shared.ts,
// breakGlass.ts, rotation.ts) produce exactly these shapes; load.ts fails to compile if they drift.
import type { CheckName } from './check-catalogue';

// ---- shared: groups, people, accounts, security, slack ----

export interface Group {
  id: string;
  description?: string;
}

export interface Person {
  id: string;
  name: string;
  email?: string;
  slackId?: string;
  /** IAM user / role ARNs that authenticate as this person (exact strings from the policy). */
  awsPrincipals: string[];
  groups: string[];
}

export interface Account {
  /** 12-digit AWS account id. */
  id: string;
  name: string;
  executionRoleArn: string;
  externalId: string;
}

export interface SecurityConfig {
  /** Members may revoke any grant and are paged on post-hoc rejections and failed revocations. */
  groups: string[];
}

/** Slack channel ids the Slack app posts to; every one is optional. */
export interface SlackSettings {
  approversChannel?: string;
  securityChannel?: string;
  auditChannel?: string;
}

// ---- breakGlass ----

export type BreakGlassMode = 'approval' | 'post-hoc';

export interface BreakGlassRole {
  name: string;
  /** Id of a declared account. */
  account: string;
  roleArn: string;
  description?: string;
  requesters: string[];
  approvers: string[];
  quorum: number;
  mode: BreakGlassMode;
  defaultDurationMs: number;
  maxDurationMs: number;
  approvalTimeoutMs: number;
  reminderIntervalMs: number;
  /** Present exactly when mode is 'post-hoc'. */
  ratificationDeadlineMs?: number;
  idleLimitMs?: number;
  reasonMinLength: number;
  ticketRequired: boolean;
  ssmTargets: string[];
  stepUp: boolean;
  /** Slack channel id for this role's approval cards (overrides slack.approversChannel). */
  approversChannel?: string;
}

export interface BreakGlassSettings {
  roles: BreakGlassRole[];
}

// ---- rotation ----

/** When a target rotates on its own; absent: only on request. */
export type RotationSchedule = { everyMs: number } | { cron: string };

/** Where consumers read an access key (the same shape as the key-rotation workflow's KeyStore). */
export type AccessKeyStore =
  | { type: 'ssm-parameter'; name: string; kmsKeyId?: string }
  | { type: 'secrets-manager'; secretId: string };

export interface DeleteApprovalPolicy {
  /** Group ids; their members may approve deleting the old key. */
  approvers: string[];
  quorum: number;
  timeoutMs: number;
}

export interface AccessKeyRotationPolicy {
  /** Target name, unique across accessKeys and kmsKeys. */
  name: string;
  /** Id of a declared account. */
  account: string;
  /** IAM user name (no path). */
  user: string;
  store: AccessKeyStore;
  maxAgeMs: number;
  /** Always shorter than switchTimeoutMs. */
  gracePeriodMs: number;
  switchTimeoutMs: number;
  observePeriodMs: number;
  /** Absent: the old key is deleted without asking. */
  deleteApproval?: DeleteApprovalPolicy;
  schedule?: RotationSchedule;
}

export interface KmsRotationPolicy {
  name: string;
  account: string;
  /** Key id, key ARN (in `account`) or `alias/<name>`, as written. */
  keyRef: string;
  /** Whole days, 90–2560 (KMS RotationPeriodInDays). */
  rotationPeriodDays: number;
  onDemandDrill: boolean;
  schedule?: RotationSchedule;
}

export interface RotationSettings {
  /** Slack channel id for rotation cards; default slack.auditChannel. */
  channel?: string;
  accessKeys: AccessKeyRotationPolicy[];
  kmsKeys: KmsRotationPolicy[];
}

// ---- drills ----

/** Where a restore drill's data comes back from (the restore-drill workflow's DrillSource, as written). */
export type RestoreDrillSource =
  | { type: 'rds-snapshot'; dbInstance: string; snapshot?: string }
  | { type: 'rds-point-in-time'; dbInstance: string; restoreAgoMs?: number }
  | { type: 'dynamodb-backup'; table: string; backupArn?: string }
  | { type: 'dynamodb-point-in-time'; table: string; restoreAgoMs?: number }
  | { type: 'backup-recovery-point'; vault: string; resourceArn: string; recoveryPointArn?: string; iamRoleArn: string };

export type RestoreDrillValidation =
  | { type: 'ssm-command'; instanceId: string; document: string; parameters: Record<string, string[]>; minRows: number; timeoutMs: number }
  | { type: 'dynamodb'; minItems: number; timestampAttribute?: string };

export interface SignOffPolicy {
  /** Group ids; their members may sign a drill's results off. */
  approvers: string[];
  quorum: number;
  /** Overdue (escalated) after this long; unsigned after twice this long. */
  timeoutMs: number;
}

export interface RestoreDrillPolicy {
  /** Drill name, unique across drills.restore and drills.fire. */
  name: string;
  account: string;
  source: RestoreDrillSource;
  scratch: { instanceClass?: string; subnetGroup?: string; tags: Record<string, string> };
  validation: RestoreDrillValidation;
  rtoMs: number;
  rpoMs: number;
  maxDurationMs: number;
  signOff?: SignOffPolicy;
  schedule?: RotationSchedule;
}

export interface FireDrillPolicy {
  /** Drill name, unique across drills.restore and drills.fire. */
  name: string;
  /** The break-glass role whose approvers, quorum, account and security the drill rehearses. */
  rehearses: string;
  /** The drill role granted instead: trusted like a break-glass role, with no permissions. */
  drillRoleArn: string;
  /** Target: request → final approval. */
  approveWithinMs: number;
  /** How long approvers have before the drill ends unanswered (a finding, not an outage). */
  answerWindowMs: number;
  /** Target: final approval → first successful use of the drill credentials. */
  grantWithinMs: number;
  /** Target: revocation requested → revocation verified. */
  revokeWithinMs: number;
  schedule?: RotationSchedule;
}

export interface DrillSweeperPolicy {
  /** A scratch resource older than this whose drill is not running is deleted. */
  olderThanMs: number;
  schedule?: RotationSchedule;
}

export interface DrillSettings {
  /** Slack channel id for drill cards; default slack.auditChannel. */
  channel?: string;
  restore: RestoreDrillPolicy[];
  fire: FireDrillPolicy[];
  sweeper: DrillSweeperPolicy;
}

// ---- reviews ----

export type ReviewDefaultAction = 'report-only' | 'disable-keys' | 'remove-console' | 'detach-policies';

export interface AccessReviewPolicy {
  /** Review name, unique across reviews.access. */
  name: string;
  /** Ids of declared accounts whose principals are reviewed. */
  accounts: string[];
  owners: {
    /** The tag on IAM users and roles whose value names the owner (a person id or email); default `owner`. */
    tag: string;
    /** account id → group id whose members review that account's principals without a known owner. */
    fallback: Record<string, string>;
  };
  /** Group id: reviews items whose owner would review their own access, and is told when a reviewer is overdue. */
  escalation: string;
  /** How long reviewers have; at the deadline the default action applies to undecided items. */
  deadlineMs: number;
  remindEveryMs: number;
  /** After this long, an unfinished reviewer is escalated (the escalation group may decide their items too). */
  escalateAfterMs: number;
  defaultAction: ReviewDefaultAction;
  /** Principals listed as exempt and never sent to a reviewer: an ARN (glob `*` allowed) or an Identity Center key. */
  exempt: { principal: string; reason: string }[];
  /** A key older than this is a finding (default 90 days). */
  keyMaxAgeMs: number;
  /** A key, user or role unused for this long is a finding (default 90 days). */
  unusedAfterMs: number;
  /** Include Identity Center account assignments. */
  identityCenter: boolean;
  /** The declared account that holds the Identity Center instance (management or delegated administrator); default: each reviewed account. */
  identityCenterAccount?: string;
  schedule?: RotationSchedule;
}

export interface ReviewSettings {
  /** Slack channel for the review's summary; default slack.auditChannel. */
  channel?: string;
  access: AccessReviewPolicy[];
}

// ---- the whole file ----

export interface Policy {
  version: 2;
  groups: Group[];
  people: Person[];
  accounts: Account[];
  security: SecurityConfig;
  slack?: SlackSettings;
  /** Always present; `roles` is empty when the file has no breakGlass section. */
  breakGlass: BreakGlassSettings;
  /** Always present; the lists are empty when the file has no rotation section. */
  rotation: RotationSettings;
  /** Always present; the lists are empty when the file has no drills section. */
  drills: DrillSettings;
  /** Always present; `access` is empty when the file has no reviews section. */
  reviews: ReviewSettings;
  /** Always present; `procedures` is empty when the file has no runbooks section. */
  runbooks: RunbookSettings;
}

/** One problem in a policy file; `field` is a dotted path like `breakGlass.roles[0].quorum`. */
export interface PolicyIssue {
  file: string;
  line: number;
  field: string;
  message: string;
}

// ---- runbooks ----

/** A check from the fixed catalogue (workflows/runbook/steps.ts CHECK_NAMES), as written. */
export interface RunbookCheckPolicy {
  name: CheckName;
  user?: string;
  since: 'step' | 'run';
}

interface RunbookStepPolicyBase {
  id: string;
  title: string;
  /** Absent only on `wait` steps with `for`. */
  timeoutMs: number;
  onTimeout: 'fail' | 'escalate' | 'continue';
  /** Group ids paged on an escalation; default security.groups. */
  escalateTo: string[];
}

export type RunbookStepPolicy =
  | (RunbookStepPolicyBase & { type: 'approval'; approvers: string[]; quorum: number })
  | (RunbookStepPolicyBase & { type: 'confirm'; confirmers: string[]; count: number; notRequester: boolean; noteRequired: boolean })
  | (RunbookStepPolicyBase & { type: 'check'; check: RunbookCheckPolicy })
  | (RunbookStepPolicyBase & { type: 'wait'; forMs?: number; until?: RunbookCheckPolicy; everyMs: number })
  | (RunbookStepPolicyBase & { type: 'notify'; message: string; channel?: string; groups: string[] });

export interface RunbookPolicy {
  /** Runbook name, unique across runbooks.procedures. */
  name: string;
  title: string;
  description?: string;
  /** Id of a declared account: the one its checks read. */
  account: string;
  /** Group ids whose members may start it. */
  requesters: string[];
  steps: RunbookStepPolicy[];
}

export interface RootLoginWatchPolicy {
  /** Ids of declared accounts watched. */
  accounts: string[];
  /** Runbook names: a root sign-in while one of these is open is expected. */
  expectedDuring: string[];
  /** How far back each look reaches (CloudTrail delivers events late); at least the schedule's interval. */
  lookbackMs: number;
  schedule: RotationSchedule;
}

export interface RunbookSettings {
  /** Slack channel for runbook cards; default slack.securityChannel. */
  channel?: string;
  procedures: RunbookPolicy[];
  rootLoginWatch?: RootLoginWatchPolicy;
}
