// An account's IAM principals as an access review needs them, in a handful of paged calls however
// many principals there are: the credential report (console, MFA, keys and their use, the root row) and
// GetAccountAuthorizationDetails (users, roles and groups with their policies, tags, trust and last use).
// Per-principal calls (ListAccessKeys, ListMFADevices…) would be 7 calls × 10,000 principals.
import { GenerateCredentialReportCommand, GetAccountAuthorizationDetailsCommand, GetCredentialReportCommand } from '@aws-sdk/client-iam';
import type { GetAccountAuthorizationDetailsCommandOutput, GroupDetail, IAMClient, RoleDetail, UserDetail } from '@aws-sdk/client-iam';
import type { AccountInventory, PolicyRef, Principal } from '../../workflows/access-review/inventory';
import { awsCall, awsErrorName } from '../aws/errors';
import { heartbeat, pause } from '../heartbeat';
import { parseCredentialReport } from './credential-report';

/** How long to wait for AWS to generate a credential report (it is usually seconds). */
const REPORT_WAIT_MS = 120_000;
/** Poll the report's generation quickly at first (it is usually ready in well under a second), then back off. */
const REPORT_POLL_FIRST_MS = 200;
const REPORT_POLL_MAX_MS = 2_000;
const PAGE = 1000;
const NOT_READY = new Set(['ReportInProgress', 'CredentialReportNotReadyException', 'ReportInProgressException']);

export type Progress = (what: string, count: number) => void;

/** Generates (or reuses, AWS keeps it 4 hours) the credential report and returns its CSV and time. */
export async function credentialReport(iam: IAMClient): Promise<{ csv: string; generatedAt?: string }> {
  const until = Date.now() + REPORT_WAIT_MS;
  let wait = REPORT_POLL_FIRST_MS;
  const next = (): number => {
    const w = wait;
    wait = Math.min(wait * 2, REPORT_POLL_MAX_MS);
    return w;
  };
  for (;;) {
    const gen = await awsCall('GenerateCredentialReport', () => iam.send(new GenerateCredentialReportCommand({})));
    if (gen.State === 'COMPLETE') break;
    if (Date.now() > until) throw new Error(`the credential report was not ready after ${REPORT_WAIT_MS / 1000}s (state ${gen.State ?? 'unknown'})`);
    await pause(next());
  }
  for (;;) {
    try {
      const out = await iam.send(new GetCredentialReportCommand({}));
      const csv = out.Content ? Buffer.from(out.Content).toString('utf8') : '';
      return { csv, ...(out.GeneratedTime ? { generatedAt: out.GeneratedTime.toISOString() } : {}) };
    } catch (err) {
      // Generated but not readable yet: AWS says so with ReportInProgress.
      // The SDK names AWS's ReportInProgress CredentialReportNotReadyException.
      const name = awsErrorName(err) ?? '';
      if (!NOT_READY.has(name) || Date.now() > until) return awsCall('GetCredentialReport', () => Promise.reject(err));
      await pause(next());
    }
  }
}

interface AuthorizationDetails {
  users: UserDetail[];
  roles: RoleDetail[];
  groups: GroupDetail[];
}

export async function authorizationDetails(iam: IAMClient, progress: Progress): Promise<AuthorizationDetails> {
  const out: AuthorizationDetails = { users: [], roles: [], groups: [] };
  let marker: string | undefined;
  do {
    const page: GetAccountAuthorizationDetailsCommandOutput = await awsCall('GetAccountAuthorizationDetails', () =>
      iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User', 'Role', 'Group'], MaxItems: PAGE, ...(marker ? { Marker: marker } : {}) })),
    );
    out.users.push(...(page.UserDetailList ?? []));
    out.roles.push(...(page.RoleDetailList ?? []));
    out.groups.push(...(page.GroupDetailList ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
    progress('principals read', out.users.length + out.roles.length);
    heartbeat();
  } while (marker);
  return out;
}

const tagsOf = (tags: Array<{ Key?: string; Value?: string }> | undefined): Record<string, string> => Object.fromEntries((tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));
const policies = (list: Array<{ PolicyName?: string; PolicyArn?: string }> | undefined): PolicyRef[] => (list ?? []).map((p) => ({ name: p.PolicyName ?? '', arn: p.PolicyArn ?? '' }));
const iso = (d: Date | undefined): string | undefined => (d ? d.toISOString() : undefined);

/** IAM returns policy documents URL-encoded. */
export function decodePolicyDocument(doc: string | undefined): string | undefined {
  if (doc === undefined) return undefined;
  try {
    return decodeURIComponent(doc);
  } catch {
    return doc;
  }
}

/** Service-linked roles belong to AWS services, not to anyone who could review them. */
const isServiceLinked = (r: RoleDetail): boolean => (r.Path ?? '').startsWith('/aws-service-role/');

export async function iamInventory(iam: IAMClient, accountId: string, progress: Progress): Promise<AccountInventory> {
  const report = await credentialReport(iam);
  const parsed = parseCredentialReport(report.csv);
  progress('credential report rows', parsed.users.size);
  const details = await authorizationDetails(iam, progress);
  const groupPolicies = new Map(details.groups.map((g) => [g.GroupName ?? '', policies(g.AttachedManagedPolicies)]));

  const principals: Principal[] = [];
  for (const u of details.users) {
    const name = u.UserName ?? '';
    const row = parsed.users.get(name);
    const created = iso(u.CreateDate);
    const groups = u.GroupList ?? [];
    principals.push({
      key: u.Arn ?? `arn:aws:iam::${accountId}:user/${name}`,
      type: 'user',
      accountId,
      name,
      arn: u.Arn ?? '',
      ...(created ? { createdAt: created } : {}),
      tags: tagsOf(u.Tags),
      console: row?.console ?? { enabled: false },
      mfaActive: row?.mfaActive ?? false,
      accessKeys: row?.accessKeys ?? [],
      managedPolicies: policies(u.AttachedManagedPolicies),
      inlinePolicies: (u.UserPolicyList ?? []).map((p) => p.PolicyName ?? ''),
      groups,
      groupPolicies: groups.flatMap((g) => groupPolicies.get(g) ?? []),
    });
  }
  for (const r of details.roles) {
    if (isServiceLinked(r)) continue;
    const created = iso(r.CreateDate);
    const lastUsed = iso(r.RoleLastUsed?.LastUsedDate);
    const trust = decodePolicyDocument(r.AssumeRolePolicyDocument);
    principals.push({
      key: r.Arn ?? `arn:aws:iam::${accountId}:role/${r.RoleName ?? ''}`,
      type: 'role',
      accountId,
      name: r.RoleName ?? '',
      arn: r.Arn ?? '',
      ...(created ? { createdAt: created } : {}),
      tags: tagsOf(r.Tags),
      accessKeys: [],
      managedPolicies: policies(r.AttachedManagedPolicies),
      inlinePolicies: (r.RolePolicyList ?? []).map((p) => p.PolicyName ?? ''),
      groups: [],
      groupPolicies: [],
      ...(lastUsed ? { lastUsedAt: lastUsed } : {}),
      ...(trust !== undefined ? { trustPolicy: trust } : {}),
    });
  }
  return {
    accountId,
    collectedAt: new Date().toISOString(),
    ...(report.generatedAt ? { credentialReportAt: report.generatedAt } : {}),
    principals,
    ...(parsed.root ? { root: parsed.root } : {}),
  };
}
