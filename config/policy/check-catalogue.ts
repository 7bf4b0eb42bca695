// The read-only AWS checks a declarative runbook may run: a fixed catalogue (implemented in
// activities/runbooks/checks.ts), never anything arbitrary, so a policy author cannot make the worker
// call an API of their choosing. A leaf with no imports: the policy loader, workflow code and front
// ends all read it.

export const CHECK_NAMES = ['root-mfa-no-access-keys', 'root-console-login', 'iam-user-password-changed'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/** What each check reads, for docs, the policy schema's descriptions and the CLI. */
export const CHECK_DESCRIPTIONS: Record<CheckName, string> = {
  'root-mfa-no-access-keys': 'the root user has MFA and no access keys (IAM GetAccountSummary)',
  'root-console-login': 'a root console sign-in appears in CloudTrail since the step (or run) began (CloudTrail LookupEvents)',
  'iam-user-password-changed': "an IAM user's console password changed since the step (or run) began (IAM credential report)",
};

/** Checks that need an IAM user name. */
export const CHECKS_WITH_USER: readonly CheckName[] = ['iam-user-password-changed'];
