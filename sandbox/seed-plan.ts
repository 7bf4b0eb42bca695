// What the sandbox seeds, as data: the people (IAM users with one access key each), break-glass and
// execution roles, service users whose key lives in a store their consumers read, KMS keys and SSM
// targets. `seedPlanFromPolicy` derives it from a policy, so every principal, role, service user
// and key a policy names exists in the sandbox; DEFAULT_SEED_PLAN is what a sandbox started
// without a policy gets (the four people of examples/policy.yaml and two rotation targets of each
// kind). Pure: no I/O.

import type { Policy, RestoreDrillPolicy } from '../config/policy/types';
import type { ConsumerMode, KeyStore } from './consumers';

/** moto's default account: the sandbox's people, keys and data are in it (roles may be in others too). */
export const SANDBOX_ACCOUNT_ID = '123456789012';

export interface SeedPlan {
  /** IAM users (arn:aws:iam::<acct>:user/<path/>name) to create, one access key each; `people[id]` in the seed is the first. */
  people: { id: string; userArns: string[] }[];
  /** Break-glass roles to create (trusting the broker with a SourceIdentity, as the fixed ones do). */
  roleArns: string[];
  /** Fire-drill roles: trusted like break-glass roles, with no permissions. */
  drillRoleArns?: string[];
  /** Execution roles other than the fixed SafeguardExecution (trusting the broker with the sandbox ExternalId). */
  executionRoleArns?: string[];
  /** Users with one active key, written to the store (created here), each read and used by a simulated consumer. */
  serviceUsers: { userName: string; store: KeyStore; consumer?: ConsumerMode }[];
  /**
   * `alias/<name>` → a symmetric key with that alias; a key id or key ARN → a key the gateway
   * answers for under that id (moto cannot create a key with a chosen id; see services/kms.ts).
   */
  kmsKeys: { keyRef: string }[];
  /** SSM targets (instance ids) StartSession accepts, beside the instances the seed runs. */
  instances: string[];
  /**
   * RDS source instances for restore drills: created with automated backups (default 7 days, engine
   * postgres), given an `events` table of rows backdated over the hour before creation, and appended
   * to by a writer while the sandbox runs. Default none.
   */
  rdsInstances?: { id: string; engine?: string; backupRetentionDays?: number }[];
  /**
   * DynamoDB source tables for restore drills (key `id`): ~100 items with a `ts` timestamp backdated
   * over the hour before seeding, appended to by a writer while the sandbox runs; PITR on (since an
   * hour ago) if `pitr`; `backups` on-demand backups. Default none.
   */
  dynamoTables?: { name: string; pitr?: boolean; backups?: number }[];
  /**
   * AWS Backup vaults, each with one recovery point per resource (RDS instance ids or DynamoDB table
   * names seeded by the same plan). Default none.
   */
  backupVaults?: { name: string; resources: string[] }[];
}

/** The parts of a policy the seed needs (config/policy/types.ts). */
export type SeedPolicy = Pick<Policy, 'people' | 'accounts' | 'breakGlass' | 'rotation'> & Partial<Pick<Policy, 'drills'>>;

const USER_ARN = /^arn:aws[\w-]*:iam::\d{12}:user\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]+$/;

const arn = (kind: 'user' | 'role', name: string): string => `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:${kind}/${name}`;

export const DEFAULT_SEED_PLAN: SeedPlan = {
  people: ['alice', 'bob', 'carol', 'dave'].map((id) => ({ id, userArns: [arn('user', id)] })),
  roleArns: [arn('role', 'BreakGlassAdmin'), arn('role', 'BreakGlassReadOnly')],
  serviceUsers: [
    { userName: 'svc-reporting', store: { type: 'ssm-parameter', name: '/safeguard/reporting/access-key' }, consumer: 'switching' },
    { userName: 'svc-legacy-etl', store: { type: 'secrets-manager', secretId: 'safeguard/legacy-etl/access-key' }, consumer: 'switching' },
  ],
  kmsKeys: [{ keyRef: 'alias/safeguard-phi' }, { keyRef: 'alias/safeguard-audit' }],
  instances: [],
  rdsInstances: [{ id: 'patients-db', engine: 'postgres', backupRetentionDays: 7 }],
  dynamoTables: [{ name: 'claims', pitr: true, backups: 1 }],
  backupVaults: [{ name: 'safeguard-drills', resources: ['patients-db', 'claims'] }],
};

/** Everything `policy` names that must exist in the sandbox (ARNs in other accounts included: the seed creates roles there and skips the rest). */
export function seedPlanFromPolicy(policy: SeedPolicy): SeedPlan {
  const roles = policy.breakGlass.roles;
  const drills = policy.drills?.restore ?? [];
  const serviceUsers = new Map<string, SeedPlan['serviceUsers'][number]>();
  for (const k of policy.rotation.accessKeys) {
    if (serviceUsers.has(k.user)) continue;
    const store: KeyStore =
      k.store.type === 'ssm-parameter'
        ? { type: 'ssm-parameter', name: k.store.name, ...(k.store.kmsKeyId !== undefined ? { kmsKeyId: k.store.kmsKeyId } : {}) }
        : { type: 'secrets-manager', secretId: k.store.secretId };
    serviceUsers.set(k.user, { userName: k.user, store, consumer: 'switching' });
  }
  const storeKeys = [...serviceUsers.values()].flatMap((u) => (u.store.type === 'ssm-parameter' && u.store.kmsKeyId !== undefined ? [u.store.kmsKeyId] : []));
  const kmsRefs = unique([...policy.rotation.kmsKeys.map((k) => k.keyRef), ...storeKeys].filter(isCustomerKeyRef));
  return {
    people: policy.people.map((p) => ({ id: p.id, userArns: p.awsPrincipals.filter((a) => USER_ARN.test(a)) })),
    roleArns: unique(roles.map((r) => r.roleArn)),
    drillRoleArns: unique((policy.drills?.fire ?? []).map((d) => d.drillRoleArn)),
    executionRoleArns: unique(policy.accounts.map((a) => a.executionRoleArn)),
    serviceUsers: [...serviceUsers.values()],
    kmsKeys: kmsRefs.map((keyRef) => ({ keyRef })),
    instances: unique([...roles.flatMap((r) => r.ssmTargets), ...drills.flatMap((d) => (d.validation.type === 'ssm-command' ? [d.validation.instanceId] : []))]),
    ...drillSources(drills),
  };
}

/** The databases, tables and vaults restore drills restore from (RDS sources are seeded before the vaults that back them up). */
function drillSources(drills: RestoreDrillPolicy[]): Pick<SeedPlan, 'rdsInstances' | 'dynamoTables' | 'backupVaults'> {
  const rds = new Map<string, NonNullable<SeedPlan['rdsInstances']>[number]>();
  const tables = new Map<string, NonNullable<SeedPlan['dynamoTables']>[number]>();
  const vaults = new Map<string, Set<string>>();
  const table = (name: string) => tables.get(name) ?? tables.set(name, { name }).get(name)!;
  for (const d of drills) {
    const s = d.source;
    if (s.type === 'rds-snapshot' || s.type === 'rds-point-in-time') rds.set(s.dbInstance, { id: s.dbInstance, engine: 'postgres', backupRetentionDays: 7 });
    else if (s.type === 'dynamodb-backup') table(s.table).backups = 1;
    else if (s.type === 'dynamodb-point-in-time') table(s.table).pitr = true;
    else {
      const isRds = s.resourceArn.includes(':rds:');
      const name = s.resourceArn.split(isRds ? ':db:' : ':table/').pop() ?? s.resourceArn;
      if (isRds) rds.set(name, rds.get(name) ?? { id: name, engine: 'postgres', backupRetentionDays: 7 });
      else table(name);
      vaults.set(s.vault, (vaults.get(s.vault) ?? new Set()).add(name));
    }
  }
  return {
    rdsInstances: [...rds.values()],
    dynamoTables: [...tables.values()],
    backupVaults: [...vaults.entries()].map(([name, resources]) => ({ name, resources: [...resources] })),
  };
}

/** A key reference the sandbox can create: not an AWS managed key (alias/aws/…), not an alias ARN's managed form. */
function isCustomerKeyRef(ref: string): boolean {
  return !/(^|:)alias\/aws\//.test(ref);
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** `arn:aws:iam::A:user/path/name` → its account, path (`/path/`) and name; undefined if not a user ARN. */
export function parseUserArn(userArn: string): { account: string; path: string; name: string } | undefined {
  if (!USER_ARN.test(userArn)) return undefined;
  const [, , , , account = '', resource = ''] = userArn.split(':');
  const parts = resource.slice('user/'.length).split('/');
  const name = parts.pop() ?? '';
  return { account, path: parts.length > 0 ? `/${parts.join('/')}/` : '/', name };
}

/** `arn:aws:iam::A:role/path/name` → its account, path and name; undefined if not a role ARN. */
export function parseRoleArn(roleArn: string): { account: string; path: string; name: string } | undefined {
  const m = /^arn:aws[\w-]*:iam::(\d{12}):role\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]+)$/.exec(roleArn);
  if (!m) return undefined;
  return { account: m[1] ?? '', path: m[2] ? `/${m[2]}` : '/', name: m[3] ?? '' };
}

/**
 * What a KMS key reference asks the seed for: an alias to create (`alias/name`, or an alias ARN),
 * or a key id to answer for (a bare id or key ARN). The account and region of an ARN, if any.
 */
export function parseKmsKeyRef(ref: string): { alias: string; account?: string; region?: string } | { keyId: string; account?: string; region?: string } | undefined {
  if (ref.startsWith('alias/')) return { alias: ref };
  const m = /^arn:aws[\w-]*:kms:([a-z0-9-]*):(\d{12}):(alias\/.+|key\/.+)$/.exec(ref);
  if (m) {
    const [, region = '', account = '', resource = ''] = m;
    return resource.startsWith('alias/') ? { alias: resource, account, region } : { keyId: resource.slice('key/'.length), account, region };
  }
  return /^[A-Za-z0-9-]{1,128}$/.test(ref) ? { keyId: ref } : undefined;
}
