// What an access review is about: the principals of an account as the inventory found them, the
// findings the rules raise on them, the items reviewers decide, and the receipts of what was revoked.
// Type-only and side-effect free: workflow code, activities, reports and front ends all import it.
//
// The whole inventory never passes through workflow history: activities store it as a
// content-addressed blob (BlobRef) and workflows carry only references and compact ReviewItems.

export type { BlobRef } from '../../evidence/blob-ref';

export type PrincipalType = 'user' | 'role' | 'sso-assignment';

/** One access-key slot of a user, as the credential report and ListAccessKeys describe it. */
export interface AccessKeyFacts {
  /** 1 or 2: the credential report's slot. */
  slot: number;
  /** Absent when only the credential report was read (it has no key ids). */
  accessKeyId?: string;
  active: boolean;
  /** When the key was created (the report's `last_rotated`). */
  createdAt?: string;
  lastUsedAt?: string;
  lastUsedRegion?: string;
  lastUsedService?: string;
}

export interface PolicyRef {
  name: string;
  arn: string;
}

export interface Principal {
  /** Unique within a review: the IAM ARN, or for Identity Center `sso:<account>:<permission set name>:<USER|GROUP>:<principal id>`. */
  key: string;
  type: PrincipalType;
  accountId: string;
  /** User or role name, or the assigned user's / group's display name. */
  name: string;
  /** The IAM ARN; for an Identity Center assignment, the permission set's ARN. */
  arn: string;
  createdAt?: string;
  tags: Record<string, string>;
  /** Users: console password and MFA, from the credential report. */
  console?: { enabled: boolean; lastUsedAt?: string };
  mfaActive?: boolean;
  /** Users only. */
  accessKeys: AccessKeyFacts[];
  /** Managed policies attached to the principal itself (for an assignment: the permission set's). */
  managedPolicies: PolicyRef[];
  inlinePolicies: string[];
  /** Users: group names. */
  groups: string[];
  /** Managed policies the principal has through its groups (for "administrator on a human"). */
  groupPolicies: PolicyRef[];
  /** Roles: RoleLastUsed. */
  lastUsedAt?: string;
  /** Roles: the trust policy document (JSON text, URL-decoded). */
  trustPolicy?: string;
  /** Identity Center assignments. */
  sso?: { instanceArn: string; permissionSetArn: string; permissionSetName: string; principalType: 'USER' | 'GROUP'; principalId: string; userName?: string; email?: string };
}

/** One account's inventory, stored as a blob. */
export interface AccountInventory {
  accountId: string;
  collectedAt: string;
  /** The credential report's GeneratedTime. */
  credentialReportAt?: string;
  principals: Principal[];
  /** The account root, from the credential report's <root_account> row (never a review item). */
  root?: { mfaActive: boolean; accessKeysActive: number; passwordLastUsedAt?: string };
}

export type FindingCode =
  | 'console-without-mfa'
  | 'access-key-old'
  | 'access-key-unused'
  | 'principal-unused'
  | 'admin-on-human'
  | 'break-glass-trust-drift'
  | 'inactive-user-with-keys'
  | 'root-access-keys'
  | 'root-without-mfa';

export interface Finding {
  code: FindingCode;
  severity: 'high' | 'medium' | 'low';
  /** One line a reviewer reads ("key AKIA…2 is 140 days old"). */
  detail: string;
}

/** Exempt principals are listed as exempt in the report and never sent to a reviewer. */
export interface Exemption {
  key: string;
  reason: string;
}

/** Who reviews an item: one person, or any member of a group (the account's fallback or the escalation group). */
export type Reviewer = { type: 'person'; id: string } | { type: 'group'; id: string };

/** Why an item went to its reviewer. */
export type RouteReason = 'owner-tag' | 'account-group' | 'self-review-escalated' | 'unknown-owner';

/** What a reviewer's workflow carries per item: compact, so histories stay small at 10,000 principals. */
export interface ReviewItem {
  key: string;
  type: PrincipalType;
  accountId: string;
  name: string;
  /** Finding codes on this principal; flagged = at least one. */
  findings: FindingCode[];
  /** The person whose own access this is, when the policy maps it to one (nobody decides their own item). */
  holder?: string;
  route: RouteReason;
}

export type ItemDecision = 'keep' | 'revoke';

/** Decide everything a reviewer has not yet decided, by flag. */
export type BulkChoice = 'keep-unflagged' | 'revoke-flagged' | 'keep-all' | 'revoke-all';

export type DefaultAction = 'report-only' | 'disable-keys' | 'remove-console' | 'detach-policies';

/** What a revocation does to a principal; which apply depends on its type. */
export type RevocationAction = 'disable-keys' | 'remove-console' | 'detach-policies' | 'delete-assignment';

export interface DecisionRecord {
  decision: ItemDecision;
  by: string;
  at: string;
  reason?: string;
  via?: 'slack' | 'api' | 'cli';
  /** Set when the decision came from a bulk choice. */
  bulk?: BulkChoice;
}

/** One AWS change of a revocation, and what AWS said. */
export interface RevocationStep {
  action: RevocationAction;
  /** What was changed: an access key id, `login-profile`, a policy ARN, `group:<name>`, `inline:<name>`, the assignment. */
  target: string;
  /** done: changed now; already: was already so (a retried attempt, or someone else); failed: see detail. */
  result: 'done' | 'already' | 'failed';
  at: string;
  detail?: string;
}

export interface RevocationReceipt {
  key: string;
  actions: RevocationAction[];
  steps: RevocationStep[];
  /** Read back afterwards: nothing the actions remove is still there. */
  verified: boolean;
  verifiedAt: string;
  /** What the read-back still found, when not verified. */
  remaining: string[];
}
