// Identity Center account assignments as review principals: who (a user or a group of the identity
// store) holds which permission set in the account. Also finds and deletes one assignment, for revocation.
import {
  DeleteAccountAssignmentCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  DescribePermissionSetCommand,
  ListAccountAssignmentsCommand,
  ListInstancesCommand,
  ListManagedPoliciesInPermissionSetCommand,
  ListPermissionSetsCommand,
} from '@aws-sdk/client-sso-admin';
import type { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { DescribeGroupCommand, DescribeUserCommand } from '@aws-sdk/client-identitystore';
import type { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import type { PolicyRef, Principal } from '../../workflows/access-review/inventory';
import { awsCall } from '../aws/errors';
import { heartbeat, pause } from '../heartbeat';

interface PermissionSet {
  arn: string;
  name: string;
  policies: PolicyRef[];
}

/** The key of an assignment item: `sso:<account>:<permission set name>:<USER|GROUP>:<principal id>`. */
export function assignmentKey(accountId: string, permissionSetName: string, principalType: string, principalId: string): string {
  return `sso:${accountId}:${permissionSetName}:${principalType}:${principalId}`;
}

async function paged<T>(call: (token?: string) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const page = await call(token);
    out.push(...page.items);
    token = page.next;
    heartbeat();
  } while (token);
  return out;
}

async function instance(sso: SSOAdminClient): Promise<{ instanceArn: string; identityStoreId: string } | undefined> {
  const out = await awsCall('ListInstances', () => sso.send(new ListInstancesCommand({})));
  const i = out.Instances?.[0];
  return i?.InstanceArn && i.IdentityStoreId ? { instanceArn: i.InstanceArn, identityStoreId: i.IdentityStoreId } : undefined;
}

async function permissionSets(sso: SSOAdminClient, instanceArn: string): Promise<PermissionSet[]> {
  const arns = await paged((token) =>
    awsCall('ListPermissionSets', () => sso.send(new ListPermissionSetsCommand({ InstanceArn: instanceArn, ...(token ? { NextToken: token } : {}) }))).then((o) => ({ items: o.PermissionSets ?? [], ...(o.NextToken ? { next: o.NextToken } : {}) })),
  );
  const out: PermissionSet[] = [];
  for (const arn of arns) {
    const d = await awsCall('DescribePermissionSet', () => sso.send(new DescribePermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn })));
    const managed = await paged((token) =>
      awsCall('ListManagedPoliciesInPermissionSet', () => sso.send(new ListManagedPoliciesInPermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn, ...(token ? { NextToken: token } : {}) }))).then((o) => ({
        items: o.AttachedManagedPolicies ?? [],
        ...(o.NextToken ? { next: o.NextToken } : {}),
      })),
    );
    out.push({ arn, name: d.PermissionSet?.Name ?? arn.split('/').pop() ?? arn, policies: managed.map((m) => ({ name: m.Name ?? '', arn: m.Arn ?? '' })) });
  }
  return out;
}

export async function identityCenterPrincipals(sso: SSOAdminClient, store: IdentitystoreClient, accountId: string): Promise<Principal[]> {
  const inst = await instance(sso);
  if (!inst) return [];
  const users = new Map<string, { userName?: string; email?: string; display: string }>();
  const groups = new Map<string, string>();
  const out: Principal[] = [];
  for (const ps of await permissionSets(sso, inst.instanceArn)) {
    const assignments = await paged((token) =>
      awsCall('ListAccountAssignments', () => sso.send(new ListAccountAssignmentsCommand({ InstanceArn: inst.instanceArn, AccountId: accountId, PermissionSetArn: ps.arn, ...(token ? { NextToken: token } : {}) }))).then((o) => ({
        items: o.AccountAssignments ?? [],
        ...(o.NextToken ? { next: o.NextToken } : {}),
      })),
    );
    for (const a of assignments) {
      const principalId = a.PrincipalId ?? '';
      const principalType = a.PrincipalType === 'GROUP' ? 'GROUP' : 'USER';
      let name: string;
      let userName: string | undefined;
      let email: string | undefined;
      if (principalType === 'USER') {
        if (!users.has(principalId)) {
          const u = await awsCall('DescribeUser', () => store.send(new DescribeUserCommand({ IdentityStoreId: inst.identityStoreId, UserId: principalId })));
          const primary = u.Emails?.find((e) => e.Primary) ?? u.Emails?.[0];
          users.set(principalId, { ...(u.UserName ? { userName: u.UserName } : {}), ...(primary?.Value ? { email: primary.Value } : {}), display: u.DisplayName ?? u.UserName ?? principalId });
        }
        const u = users.get(principalId)!;
        name = u.display;
        userName = u.userName;
        email = u.email;
      } else {
        if (!groups.has(principalId)) {
          const g = await awsCall('DescribeGroup', () => store.send(new DescribeGroupCommand({ IdentityStoreId: inst.identityStoreId, GroupId: principalId })));
          groups.set(principalId, g.DisplayName ?? principalId);
        }
        name = groups.get(principalId)!;
      }
      out.push({
        key: assignmentKey(accountId, ps.name, principalType, principalId),
        type: 'sso-assignment',
        accountId,
        name: `${name} → ${ps.name}`,
        arn: ps.arn,
        tags: {},
        accessKeys: [],
        managedPolicies: ps.policies,
        inlinePolicies: [],
        groups: [],
        groupPolicies: [],
        sso: { instanceArn: inst.instanceArn, permissionSetArn: ps.arn, permissionSetName: ps.name, principalType, principalId, ...(userName ? { userName } : {}), ...(email ? { email } : {}) },
      });
    }
  }
  return out;
}

/** The assignment a key names, looked up live (it may already be gone). */
export async function findAssignment(sso: SSOAdminClient, key: string): Promise<{ instanceArn: string; permissionSetArn: string; accountId: string; principalType: 'USER' | 'GROUP'; principalId: string } | undefined> {
  const [, accountId, psName, principalType, principalId] = key.split(':');
  if (!accountId || !psName || !principalId || (principalType !== 'USER' && principalType !== 'GROUP')) throw new Error(`not an Identity Center assignment key: ${key}`);
  const inst = await instance(sso);
  if (!inst) return undefined;
  for (const ps of await permissionSets(sso, inst.instanceArn)) {
    if (ps.name !== psName) continue;
    const assignments = await paged((token) =>
      awsCall('ListAccountAssignments', () => sso.send(new ListAccountAssignmentsCommand({ InstanceArn: inst.instanceArn, AccountId: accountId, PermissionSetArn: ps.arn, ...(token ? { NextToken: token } : {}) }))).then((o) => ({
        items: o.AccountAssignments ?? [],
        ...(o.NextToken ? { next: o.NextToken } : {}),
      })),
    );
    if (assignments.some((a) => a.PrincipalId === principalId && a.PrincipalType === principalType)) return { instanceArn: inst.instanceArn, permissionSetArn: ps.arn, accountId, principalType, principalId };
  }
  return undefined;
}

/** Deletes an assignment and waits for AWS to say the deletion succeeded. */
export async function deleteAssignment(sso: SSOAdminClient, a: NonNullable<Awaited<ReturnType<typeof findAssignment>>>): Promise<void> {
  const out = await awsCall('DeleteAccountAssignment', () =>
    sso.send(new DeleteAccountAssignmentCommand({ InstanceArn: a.instanceArn, PermissionSetArn: a.permissionSetArn, TargetId: a.accountId, TargetType: 'AWS_ACCOUNT', PrincipalType: a.principalType, PrincipalId: a.principalId })),
  );
  let status = out.AccountAssignmentDeletionStatus;
  for (let i = 0; i < 30 && status?.Status === 'IN_PROGRESS' && status.RequestId; i++) {
    await pause(1_000);
    const requestId = status.RequestId;
    status = (await awsCall('DescribeAccountAssignmentDeletionStatus', () => sso.send(new DescribeAccountAssignmentDeletionStatusCommand({ InstanceArn: a.instanceArn, AccountAssignmentDeletionRequestId: requestId })))).AccountAssignmentDeletionStatus;
  }
  if (status?.Status === 'FAILED') throw new Error(`DeleteAccountAssignment failed: ${status.FailureReason ?? 'no reason given'}`);
}
