// Revokes a reviewed principal's access, one action at a time, each with a receipt step, then reads the
// principal back to prove nothing the actions remove is left. Every step reads before it writes, so a
// retried attempt (after a worker crash mid-batch) finds what the first attempt did and records it as
// `already` instead of doing it twice. A permanent AWS refusal (AccessDenied) is a failed step and an
// unverified receipt, not an endless retry; throttling and 5xx throw, and the activity is retried.
import {
  DeleteLoginProfileCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetLoginProfileCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  RemoveUserFromGroupCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { ApplicationFailure } from '@temporalio/activity';
import type { PrincipalType, RevocationAction, RevocationReceipt, RevocationStep } from '../../workflows/access-review/inventory';
import { awsCall, awsErrorName } from '../aws/errors';
import { deleteAssignment, findAssignment } from './identity-center';

export interface RevokeItem {
  key: string;
  type: PrincipalType;
  name: string;
  accountId: string;
  actions: RevocationAction[];
}

interface Clients {
  iam: IAMClient;
  ssoAdmin: SSOAdminClient;
}

const now = (): string => new Date().toISOString();

/** IAM's NoSuchEntity (and Identity Center's ResourceNotFound) while removing something: someone, or an earlier attempt, removed it already. */
const GONE = new Set(['NoSuchEntity', 'NoSuchEntityException', 'ResourceNotFoundException']);

async function gone<T>(fn: () => Promise<T>): Promise<T | 'gone'> {
  try {
    return await fn();
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    if (GONE.has(awsErrorName(err) ?? '') || GONE.has(awsErrorName(cause) ?? '') || /NoSuchEntity|ResourceNotFound/.test((err as Error).message ?? '')) return 'gone';
    throw err;
  }
}

async function userState(iam: IAMClient, user: string) {
  const keys = (await awsCall('ListAccessKeys', () => iam.send(new ListAccessKeysCommand({ UserName: user })))).AccessKeyMetadata ?? [];
  const profile = await gone(() => iam.send(new GetLoginProfileCommand({ UserName: user })));
  const attached = (await awsCall('ListAttachedUserPolicies', () => iam.send(new ListAttachedUserPoliciesCommand({ UserName: user })))).AttachedPolicies ?? [];
  const inline = (await awsCall('ListUserPolicies', () => iam.send(new ListUserPoliciesCommand({ UserName: user })))).PolicyNames ?? [];
  const groups = (await awsCall('ListGroupsForUser', () => iam.send(new ListGroupsForUserCommand({ UserName: user })))).Groups ?? [];
  return {
    activeKeys: keys.filter((k) => k.Status === 'Active').map((k) => k.AccessKeyId ?? ''),
    inactiveKeys: keys.filter((k) => k.Status !== 'Active').map((k) => k.AccessKeyId ?? ''),
    console: profile !== 'gone',
    attached: attached.map((p) => p.PolicyArn ?? ''),
    inline,
    groups: groups.map((g) => g.GroupName ?? ''),
  };
}

async function roleState(iam: IAMClient, role: string) {
  const attached = (await awsCall('ListAttachedRolePolicies', () => iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role })))).AttachedPolicies ?? [];
  const inline = (await awsCall('ListRolePolicies', () => iam.send(new ListRolePoliciesCommand({ RoleName: role })))).PolicyNames ?? [];
  return { attached: attached.map((p) => p.PolicyArn ?? ''), inline };
}

/** What is still there that the actions should have removed. */
async function remaining(c: Clients, item: RevokeItem): Promise<string[]> {
  const left: string[] = [];
  if (item.type === 'user') {
    const s = await userState(c.iam, item.name);
    if (item.actions.includes('disable-keys')) left.push(...s.activeKeys.map((k) => `active key ${mask(k)}`));
    if (item.actions.includes('remove-console') && s.console) left.push('login profile');
    if (item.actions.includes('detach-policies')) left.push(...s.attached.map((a) => `policy ${a}`), ...s.inline.map((n) => `inline ${n}`), ...s.groups.map((g) => `group ${g}`));
  } else if (item.type === 'role') {
    const s = await roleState(c.iam, item.name);
    if (item.actions.includes('detach-policies')) left.push(...s.attached.map((a) => `policy ${a}`), ...s.inline.map((n) => `inline ${n}`));
  } else if (item.actions.includes('delete-assignment') && (await findAssignment(c.ssoAdmin, item.key))) left.push('assignment');
  return left;
}

/** Access key ids are identifiers, not secrets; receipts still show only enough to recognise one. */
export function mask(keyId: string): string {
  return keyId.length > 8 ? `${keyId.slice(0, 4)}…${keyId.slice(-4)}` : keyId;
}

export async function revokePrincipal(c: Clients, item: RevokeItem): Promise<RevocationReceipt> {
  const steps: RevocationStep[] = [];
  const record = (action: RevocationAction, target: string, result: RevocationStep['result'], detail?: string) => steps.push({ action, target, result, at: now(), ...(detail ? { detail } : {}) });
  const attempt = async (action: RevocationAction, target: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      const r = await gone(fn);
      record(action, target, r === 'gone' ? 'already' : 'done');
    } catch (err) {
      // Retryable failures retry the whole (idempotent) activity; permanent ones are written down.
      if (err instanceof ApplicationFailure && err.nonRetryable) record(action, target, 'failed', err.message.slice(0, 300));
      else throw err;
    }
  };
  const iam = c.iam;
  if (item.type === 'user') {
    const s = await userState(iam, item.name);
    const user = item.name;
    if (item.actions.includes('disable-keys')) {
      for (const k of s.activeKeys) await attempt('disable-keys', mask(k), () => awsCall('UpdateAccessKey', () => iam.send(new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: k, Status: 'Inactive' }))));
      for (const k of s.inactiveKeys) record('disable-keys', mask(k), 'already');
      if (s.activeKeys.length + s.inactiveKeys.length === 0) record('disable-keys', '(no keys)', 'already');
    }
    if (item.actions.includes('remove-console')) {
      if (s.console) await attempt('remove-console', 'login-profile', () => awsCall('DeleteLoginProfile', () => iam.send(new DeleteLoginProfileCommand({ UserName: user }))));
      else record('remove-console', 'login-profile', 'already');
    }
    if (item.actions.includes('detach-policies')) {
      for (const arn of s.attached) await attempt('detach-policies', arn, () => awsCall('DetachUserPolicy', () => iam.send(new DetachUserPolicyCommand({ UserName: user, PolicyArn: arn }))));
      for (const n of s.inline) await attempt('detach-policies', `inline:${n}`, () => awsCall('DeleteUserPolicy', () => iam.send(new DeleteUserPolicyCommand({ UserName: user, PolicyName: n }))));
      for (const g of s.groups) await attempt('detach-policies', `group:${g}`, () => awsCall('RemoveUserFromGroup', () => iam.send(new RemoveUserFromGroupCommand({ UserName: user, GroupName: g }))));
      if (s.attached.length + s.inline.length + s.groups.length === 0) record('detach-policies', '(none attached)', 'already');
    }
  } else if (item.type === 'role') {
    if (item.actions.includes('detach-policies')) {
      const s = await roleState(iam, item.name);
      const role = item.name;
      for (const arn of s.attached) await attempt('detach-policies', arn, () => awsCall('DetachRolePolicy', () => iam.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: arn }))));
      for (const n of s.inline) await attempt('detach-policies', `inline:${n}`, () => awsCall('DeleteRolePolicy', () => iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: n }))));
      if (s.attached.length + s.inline.length === 0) record('detach-policies', '(none attached)', 'already');
    }
  } else if (item.actions.includes('delete-assignment')) {
    const a = await findAssignment(c.ssoAdmin, item.key);
    if (a) await attempt('delete-assignment', item.key, () => deleteAssignment(c.ssoAdmin, a));
    else record('delete-assignment', item.key, 'already');
  }
  const left = await remaining(c, item);
  return { key: item.key, actions: item.actions, steps, verified: left.length === 0, verifiedAt: now(), remaining: left };
}
