// The parsed, validated policy. Durations are milliseconds; every cross-reference (group,
// account, person) has been checked by the loader, so consumers may rely on them resolving.
// Type-only module: safe to import from workflow code.

export type BreakGlassMode = 'approval' | 'post-hoc';

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

/** Slack channel ids the Slack app posts to; every one is optional. */
export interface SlackSettings {
  approversChannel?: string;
  securityChannel?: string;
  auditChannel?: string;
}

export interface Policy {
  version: 1;
  groups: Group[];
  people: Person[];
  accounts: Account[];
  security: SecurityConfig;
  breakGlassRoles: BreakGlassRole[];
  slack?: SlackSettings;
}

/** One problem in a policy file; `field` is a dotted path like `breakGlassRoles[0].quorum`. */
export interface PolicyIssue {
  file: string;
  line: number;
  field: string;
  message: string;
}
