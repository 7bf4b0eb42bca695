// The sections every runbook kind relies on: groups, people, accounts, security and slack; plus
// the reference checks the kind sections reuse (declared groups and accounts, reachable quorums).
import { z } from 'zod';
import { accountId, groupList, id, list, patterned, principalArn, roleArn, slackChannel, SLACK_USER_ID_PATTERN, text } from './fields';
import type { Path, PolicyChecks } from './issues';
import type { Policy } from './types';

export const groupSchema = z.strictObject({
  id: id('group id'),
  description: z.string().optional(),
});

export const personSchema = z.strictObject({
  id: id('person id').describe('Lowercase person id used in audit records and commands.'),
  name: text('name').min(1, 'name must not be empty'),
  email: z.email({ error: 'email must be an email address' }).optional(),
  slackId: patterned('slackId', SLACK_USER_ID_PATTERN, 'a Slack user id (like U0123ABCD)').optional(),
  awsPrincipals: z
    .array(principalArn, { error: 'awsPrincipals must be a list of ARNs' })
    .default([])
    .describe('ARNs of the IAM users / roles that are this person.'),
  groups: groupList('groups').default([]),
});

export const accountSchema = z.strictObject({
  id: accountId,
  name: text('account name').min(1, 'account name must not be empty'),
  executionRoleArn: roleArn.describe('The SafeguardExecution role the worker assumes in this account.'),
  externalId: text('externalId').regex(/^[\w+=,.@:/-]{2,1224}$/, {
    error: 'externalId must be 2-1224 characters of letters, digits and +=,.@:/-',
  }),
});

export const slackSettingsSchema = z
  .strictObject({
    approversChannel: slackChannel('slack.approversChannel').optional().describe('Where approval cards go unless a role names its own.'),
    securityChannel: slackChannel('slack.securityChannel').optional().describe('Loud alerts: post-hoc grants, failed revocations.'),
    auditChannel: slackChannel('slack.auditChannel').optional().describe('One line per state change of every request.'),
  })
  .describe('Optional Slack channels used by the Slack app.');

/** The shared top-level fields, spread into the file's schema by load.ts. */
export const sharedFields = {
  groups: list('groups', groupSchema),
  people: list('people', personSchema),
  accounts: list('accounts', accountSchema).min(1, 'declare at least one account'),
  security: z.strictObject({
    groups: groupList('security.groups').min(1, 'security.groups must name at least one group'),
  }),
  slack: slackSettingsSchema.optional(),
};

/**
 * IAM user and role names are unique within an account whatever their path, so
 * `role/a/ops` and `role/ops` are the same principal (and an assumed-role session
 * could not tell them apart).
 */
export function principalKey(arn: string): string {
  const m = /^(arn:[^:]+:iam::\d{12}:(?:user|role)\/)(?:.*\/)?([^/]+)$/.exec(arn);
  return m ? `${m[1]}${m[2]}` : arn;
}

/** The account field of any ARN (`arn:partition:service:region:account:…`). */
export function accountOfArn(arn: string): string | undefined {
  return arn.split(':')[4];
}

export function checkGroupRefs(policy: Policy, groups: readonly string[], path: Path, issues: PolicyChecks): void {
  const declared = new Set(policy.groups.map((g) => g.id));
  groups.forEach((g, i) => {
    if (!declared.has(g)) issues.error([...path, i], `unknown group "${g}" (declare it under groups)`);
  });
}

/** Reports an undeclared account; true when the account is declared. */
export function checkAccountRef(policy: Policy, account: string, path: Path, issues: PolicyChecks): boolean {
  if (policy.accounts.some((a) => a.id === account)) return true;
  issues.error(path, `unknown account "${account}" (declare it under accounts)`);
  return false;
}

/** Ids of the people in any of the groups, in policy order. */
export function membersOf(policy: Policy, groups: readonly string[]): string[] {
  return policy.people.filter((p) => p.groups.some((g) => groups.includes(g))).map((p) => p.id);
}

/**
 * Reports a quorum the approver groups cannot reach; returns the pool, or undefined when a group
 * is undeclared (that is reported on its own, and the pool would be meaningless).
 */
export function checkQuorum(policy: Policy, approvers: readonly string[], quorum: number, path: Path, issues: PolicyChecks): string[] | undefined {
  const declared = new Set(policy.groups.map((g) => g.id));
  if (!approvers.every((g) => declared.has(g))) return undefined;
  const pool = membersOf(policy, approvers);
  if (quorum > pool.length) {
    issues.error(
      path,
      `quorum ${quorum} is larger than the approver pool (${pool.length} ${pool.length === 1 ? 'person' : 'people'}: ${pool.join(', ') || 'none'})`,
    );
  }
  return pool;
}

/**
 * The approvers who, starting a request themselves, would leave fewer approvers than the quorum:
 * nobody approves their own request, so a requester in the pool shrinks it by one.
 */
export function selfRequestShortfall(policy: Policy, pool: readonly string[], requesterGroups: readonly string[], quorum: number): string[] {
  const requesters = new Set(membersOf(policy, requesterGroups));
  return pool.filter((id) => requesters.has(id) && pool.length - 1 < quorum);
}

export const checkShared = (policy: Policy, issues: PolicyChecks): void => {
  const groupIds = new Set<string>();
  policy.groups.forEach((g, i) => {
    if (groupIds.has(g.id)) issues.error(['groups', i, 'id'], `duplicate group id "${g.id}"`);
    groupIds.add(g.id);
  });

  const personIndex = new Map<string, number>();
  const slackIndex = new Map<string, string>();
  const principalIndex = new Map<string, string>();
  policy.people.forEach((p, i) => {
    if (personIndex.has(p.id)) {
      issues.error(['people', i, 'id'], `duplicate person id "${p.id}" (also people[${personIndex.get(p.id)}])`);
    } else personIndex.set(p.id, i);
    if (p.slackId !== undefined) {
      const owner = slackIndex.get(p.slackId);
      if (owner !== undefined) issues.error(['people', i, 'slackId'], `slackId ${p.slackId} is already used by ${owner}`);
      else slackIndex.set(p.slackId, p.id);
    }
    p.awsPrincipals.forEach((arn, j) => {
      const key = principalKey(arn);
      const owner = principalIndex.get(key);
      if (owner !== undefined && owner !== p.id) {
        issues.error(['people', i, 'awsPrincipals', j], `AWS principal ${arn} is already used by ${owner}; each principal must map to one person`);
      } else if (owner === p.id) {
        issues.error(['people', i, 'awsPrincipals', j], `AWS principal ${arn} is listed twice`);
      } else principalIndex.set(key, p.id);
    });
    checkGroupRefs(policy, p.groups, ['people', i, 'groups'], issues);
  });

  const accountIds = new Set<string>();
  policy.accounts.forEach((a, i) => {
    if (accountIds.has(a.id)) issues.error(['accounts', i, 'id'], `duplicate account id "${a.id}"`);
    accountIds.add(a.id);
    if (accountOfArn(a.executionRoleArn) !== a.id) {
      issues.error(['accounts', i, 'executionRoleArn'], `executionRoleArn ${a.executionRoleArn} is not in account ${a.id}`);
    }
  });

  checkGroupRefs(policy, policy.security.groups, ['security', 'groups'], issues);
};
