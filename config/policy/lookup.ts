// Pure lookups over a validated policy. No Node built-ins and no value imports, so workflow
// code may use them (config/policy re-exports them for everyone else).
import type { Account, BreakGlassRole, Person, Policy } from './types';

export function getRole(policy: Policy, name: string): BreakGlassRole | undefined {
  return policy.breakGlass.roles.find((r) => r.name === name);
}

export function getAccount(policy: Policy, id: string): Account | undefined {
  return policy.accounts.find((a) => a.id === id);
}

export function findPersonById(policy: Policy, id: string): Person | undefined {
  return policy.people.find((p) => p.id === id);
}

export function findPersonBySlackId(policy: Policy, slackId: string): Person | undefined {
  return policy.people.find((p) => p.slackId !== undefined && p.slackId === slackId);
}

const ASSUMED_ROLE_ARN = /^arn:(aws(?:-cn|-us-gov)?):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

/**
 * Maps a caller ARN (from sts:GetCallerIdentity) to exactly one person, or undefined.
 * An exact match wins. An STS assumed-role session ARN also matches a person listing the
 * role's IAM ARN, but only when exactly one person lists that role: a shared role cannot
 * say who is calling (invariant 3: every identity maps to exactly one person).
 * Role ARNs with a path cannot be recovered from an assumed-role ARN (STS drops the path),
 * so those are matched on the role name.
 */
export function findPersonByAwsArn(policy: Policy, arn: string): Person | undefined {
  const exact = policy.people.filter((p) => p.awsPrincipals.includes(arn));
  if (exact.length === 1) return exact[0];
  if (exact.length > 1) return undefined;

  const m = ASSUMED_ROLE_ARN.exec(arn);
  if (!m) return undefined;
  const [, partition, account, roleName] = m;
  const prefix = `arn:${partition}:iam::${account}:role/`;
  const holders = policy.people.filter((p) =>
    p.awsPrincipals.some((a) => a.startsWith(prefix) && a.slice(prefix.length).split('/').pop() === roleName),
  );
  return holders.length === 1 ? holders[0] : undefined;
}

/** Distinct people who are in at least one of the groups, in policy order. */
export function peopleInGroups(policy: Policy, groups: readonly string[]): Person[] {
  const wanted = new Set(groups);
  return policy.people.filter((p) => p.groups.some((g) => wanted.has(g)));
}

export function canRequest(policy: Policy, personId: string, roleName: string): boolean {
  const role = getRole(policy, roleName);
  const person = findPersonById(policy, personId);
  if (!role || !person) return false;
  return person.groups.some((g) => role.requesters.includes(g));
}

/** Ids of everyone who may approve requests for the role (the requester is excluded per request, not here). */
export function approverPool(policy: Policy, roleName: string): string[] {
  const role = getRole(policy, roleName);
  if (!role) return [];
  return peopleInGroups(policy, role.approvers).map((p) => p.id);
}

export function securityPeople(policy: Policy): string[] {
  return peopleInGroups(policy, policy.security.groups).map((p) => p.id);
}

export function requestableRoles(policy: Policy, personId: string): BreakGlassRole[] {
  return policy.breakGlass.roles.filter((r) => canRequest(policy, personId, r.name));
}
