// Bulk seeding for access-review benchmarks and tests: in each given account, N IAM users and N
// roles with the variety a review meets: owner tags naming the policy's people (and some untagged),
// console users with and without MFA, one or two access keys each, AdministratorAccess on some users
// directly and on others through a group, ReadOnlyAccess on some roles; then ages through the
// sandbox's time travel so findings appear (keys older than 90 days, keys and users unused for 90
// days, console passwords never used). Deterministic for a given seed.
//
// How: through the gateway's control endpoints, not one IAM call per item. Measured on this 2-core
// machine, one IAM call through the gateway costs ~3.4 ms (moto: ~3 ms), so 2 × 5,000 users and
// roles with keys, groups, MFA and login profiles (~47,000 calls) would take ~2.5 minutes;
// POST /_sandbox/iam/principals creates them inside moto in seconds, and POST /_sandbox/iam/ages
// sets their ages. Any 12-digit account id works: moto keeps one IAM per account and creates it on
// first use.
//
// As a script (prints how long each step took):
//   tsx bench/seed-principals.ts [--per-account 5000] [--accounts 111111111111,222222222222]
//                                [--endpoint http://127.0.0.1:PORT] [--policy policy.yaml] [--seed 1] [--measure]
// Without --endpoint it seeds the running stack (SAFEGUARD_STACK_FILE or .data/stack.json), or,
// with none running, a sandbox of its own. --measure then pages GetAccountAuthorizationDetails
// (MaxItems 1000) and reads the credential report of each account with the SDK, as an inventory
// would, and prints those times too.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GenerateCredentialReportCommand, GetAccountAuthorizationDetailsCommand, GetCredentialReportCommand, IAMClient } from '@aws-sdk/client-iam';
import { sandboxControl } from '../sandbox/client';
import type { IamAgeOverride, SandboxPrincipals, SandboxPrincipalsResult } from '../sandbox/client';

export interface SeedPrincipalsOptions {
  /** The sandbox gateway (its /_sandbox/ control endpoints). */
  endpoint: string;
  /** 12-digit account ids; each gets `perAccount` users and `perAccount` roles. */
  accounts: string[];
  perAccount: number;
  /** Person ids the owner tags name (default the example policy's people). */
  people?: string[];
  /** The tag naming an owner (default `owner`, as a review's owners.tag defaults to). */
  ownerTag?: string;
  /** PRNG seed: the same seed gives the same principals, tags and ages. Default 1. */
  seed?: number;
  /** Principals per control request. Default 1000. */
  batchSize?: number;
  /** Name prefix (default `sg`): users are `<prefix>-user-00001`, roles `<prefix>-role-00001`. */
  prefix?: string;
  /** "Now" for ages. Default Date.now(). */
  now?: number;
  log?: (msg: string) => void;
}

export interface SeededKey {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SeededAccount {
  accountId: string;
  users: number;
  roles: number;
  groups: number;
  accessKeys: number;
  /** Ages set through the time-travel endpoint. */
  ages: number;
  /** A key of a user with AdministratorAccess in the account (to read it with the SDK). */
  adminKey: SeededKey;
  /** By user name: the keys created. */
  keys: Map<string, SeededKey[]>;
  createMs: number;
  agesMs: number;
}

export interface SeedPrincipalsResult {
  accounts: SeededAccount[];
  totalMs: number;
}

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const DAY = 86_400_000;
const DEFAULT_PEOPLE = ['alice', 'bob', 'carol', 'dave'];

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number): string => String(n).padStart(5, '0');

/** What one account gets: the groups, users and roles to create, in batches. */
function planAccount(accountId: string, n: number, opts: Required<Pick<SeedPrincipalsOptions, 'people' | 'ownerTag' | 'prefix'>>, rand: () => number): SandboxPrincipals {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const owner = (share: number) => (rand() < share ? [{ Key: opts.ownerTag, Value: pick(opts.people) }] : []);
  const groups = [
    { name: `${opts.prefix}-admins`, managedPolicies: [ADMIN] },
    { name: `${opts.prefix}-readonly`, managedPolicies: [READ_ONLY] },
    { name: `${opts.prefix}-developers` },
  ];
  const users: NonNullable<SandboxPrincipals['users']> = [];
  for (let i = 1; i <= n; i++) {
    const console = rand() < 0.3;
    const r = rand();
    users.push({
      name: `${opts.prefix}-user-${pad(i)}`,
      // About 70% name an owner; the rest go to the account's fallback reviewers.
      tags: [...owner(0.7), { Key: 'team', Value: pick(['payments', 'claims', 'platform', 'data']) }],
      loginProfile: console,
      // Most console users have MFA; the others are a finding.
      mfa: console && rand() < 0.7,
      accessKeys: rand() < 0.7 ? 1 : 2,
      // The first user of each account is an administrator: its key reads the account (adminKey).
      ...(i === 1 || r < 0.02 ? { managedPolicies: [ADMIN] } : {}),
      ...(r >= 0.02 && r < 0.05 ? { groups: [`${opts.prefix}-admins`] } : r < 0.3 ? { groups: [pick([`${opts.prefix}-readonly`, `${opts.prefix}-developers`])] } : {}),
    });
  }
  const trust = (principal: Record<string, string>) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }] });
  const roles: NonNullable<SandboxPrincipals['roles']> = [];
  for (let i = 1; i <= n; i++) {
    const r = rand();
    roles.push({
      name: `${opts.prefix}-role-${pad(i)}`,
      trustPolicy: rand() < 0.5 ? trust({ Service: pick(['ec2.amazonaws.com', 'lambda.amazonaws.com', 'ecs-tasks.amazonaws.com']) }) : trust({ AWS: `arn:aws:iam::${accountId}:root` }),
      tags: owner(0.5),
      ...(r < 0.01 ? { managedPolicies: [ADMIN] } : r < 0.1 ? { managedPolicies: [READ_ONLY] } : {}),
    });
  }
  return { accountId, groups, users, roles };
}

/** Ages that make findings: old keys, keys and users unused for 90+ days, passwords never used. */
function agesFor(accountId: string, created: SandboxPrincipalsResult, consoleUsers: Set<string>, now: number, rand: () => number): IamAgeOverride[] {
  const daysAgo = (d: number) => new Date(now - Math.floor(d * DAY));
  // A moment in [from, to]; `from` itself when the window is empty (a principal created after `to`).
  const between = (from: Date, to: number) => new Date(from.getTime() + rand() * Math.max(0, to - from.getTime()));
  const out: IamAgeOverride[] = [];
  for (const u of created.users) {
    const userCreated = daysAgo(30 + rand() * 700);
    out.push({ accountId, userName: u.name, createdAt: userCreated });
    // A quarter of the users are dormant: nothing used for 120+ days.
    const dormant = rand() < 0.25;
    for (const k of u.accessKeys) {
      const keyCreated = between(userCreated, now - DAY);
      const r = rand();
      const lastUsedAt = dormant || r < 0.15 ? (r < 0.08 ? null : between(keyCreated, now - 120 * DAY)) : between(new Date(Math.max(keyCreated.getTime(), now - 30 * DAY)), now - 60_000);
      out.push({
        accountId,
        userName: u.name,
        accessKeyId: k.accessKeyId,
        createdAt: keyCreated,
        lastUsedAt,
        ...(lastUsedAt !== null ? { lastUsedService: ['s3', 'sts', 'ec2', 'dynamodb', 'iam'][Math.floor(rand() * 5)] as string, lastUsedRegion: rand() < 0.8 ? 'us-east-1' : 'eu-west-1' } : {}),
      });
    }
    if (consoleUsers.has(u.name)) {
      const r = rand();
      out.push({ accountId, userName: u.name, passwordLastUsedAt: dormant || r < 0.2 ? (r < 0.1 ? null : between(userCreated, now - 120 * DAY)) : between(new Date(Math.max(userCreated.getTime(), now - 20 * DAY)), now - 60_000) });
    }
  }
  for (const r of created.roles) {
    const roleCreated = daysAgo(30 + rand() * 700);
    const x = rand();
    out.push({
      accountId,
      roleName: r.name,
      createdAt: roleCreated,
      lastUsedAt: x < 0.3 ? null : x < 0.6 ? between(roleCreated, now - 100 * DAY) : between(new Date(Math.max(roleCreated.getTime(), now - 10 * DAY)), now - 60_000),
    });
  }
  return out;
}

function chunks<T>(xs: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** Creates `perAccount` users and roles (with groups, keys, MFA, login profiles, policies and ages) in each account. */
export async function seedPrincipals(opts: SeedPrincipalsOptions): Promise<SeedPrincipalsResult> {
  if (!Number.isInteger(opts.perAccount) || opts.perAccount < 1) throw new Error(`perAccount must be a positive integer, got ${opts.perAccount}`);
  for (const a of opts.accounts) if (!/^\d{12}$/.test(a)) throw new Error(`not a 12-digit account id: ${a}`);
  const control = sandboxControl(opts.endpoint);
  const log = opts.log ?? (() => undefined);
  const batch = opts.batchSize ?? 1000;
  const now = opts.now ?? Date.now();
  const people = opts.people && opts.people.length > 0 ? opts.people : DEFAULT_PEOPLE;
  const started = performance.now();
  const accounts: SeededAccount[] = [];
  // One account after the other: moto is one Python process, so parallel requests only queue.
  for (const [i, accountId] of opts.accounts.entries()) {
    const rand = prng((opts.seed ?? 1) * 1_000_003 + i);
    const plan = planAccount(accountId, opts.perAccount, { people, ownerTag: opts.ownerTag ?? 'owner', prefix: opts.prefix ?? 'sg' }, rand);
    const t0 = performance.now();
    const created: SandboxPrincipalsResult = { accountId, groups: [], users: [], roles: [] };
    const users = plan.users ?? [];
    const roles = plan.roles ?? [];
    const rounds = Math.max(Math.ceil(users.length / batch), Math.ceil(roles.length / batch));
    for (let r = 0; r < rounds; r++) {
      const got = await control.createPrincipals({
        accountId,
        ...(r === 0 ? { groups: plan.groups ?? [] } : {}),
        users: users.slice(r * batch, (r + 1) * batch),
        roles: roles.slice(r * batch, (r + 1) * batch),
      });
      created.groups.push(...got.groups);
      created.users.push(...got.users);
      created.roles.push(...got.roles);
    }
    const createMs = performance.now() - t0;
    const consoleUsers = new Set(users.filter((u) => u.loginProfile).map((u) => u.name));
    const ages = agesFor(accountId, created, consoleUsers, now, rand);
    const t1 = performance.now();
    for (const part of chunks(ages, batch * 5)) await control.setIamAges(part);
    const agesMs = performance.now() - t1;
    const keys = new Map(created.users.map((u) => [u.name, u.accessKeys]));
    const adminKey = created.users[0]?.accessKeys[0];
    if (!adminKey) throw new Error(`account ${accountId}: the first seeded user got no key`);
    const accessKeys = created.users.reduce((n, u) => n + u.accessKeys.length, 0);
    accounts.push({ accountId, users: created.users.length, roles: created.roles.length, groups: created.groups.length, accessKeys, ages: ages.length, adminKey, keys, createMs, agesMs });
    log(`${accountId}: ${created.users.length} users (${accessKeys} keys), ${created.roles.length} roles, ${created.groups.length} groups in ${(createMs / 1000).toFixed(1)} s; ${ages.length} ages in ${(agesMs / 1000).toFixed(1)} s`);
  }
  return { accounts, totalMs: performance.now() - started };
}

/** What an inventory reads first, timed: every page of GetAccountAuthorizationDetails (MaxItems 1000) and the credential report. */
export async function measureInventoryReads(endpoint: string, account: SeededAccount, region = 'us-east-1'): Promise<{ gaadMs: number; pages: number; principals: number; reportMs: number; reportRows: number }> {
  const iam = new IAMClient({ endpoint, region, credentials: account.adminKey, maxAttempts: 1 });
  try {
    const t0 = performance.now();
    let marker: string | undefined;
    let pages = 0;
    let principals = 0;
    do {
      const page = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User', 'Role', 'Group'], MaxItems: 1000, Marker: marker }));
      pages++;
      principals += (page.UserDetailList?.length ?? 0) + (page.RoleDetailList?.length ?? 0);
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker !== undefined);
    const gaadMs = performance.now() - t0;
    const t1 = performance.now();
    let state = (await iam.send(new GenerateCredentialReportCommand({}))).State;
    for (let i = 0; state !== 'COMPLETE' && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await iam.send(new GenerateCredentialReportCommand({}))).State;
    }
    const report = await iam.send(new GetCredentialReportCommand({}));
    const reportMs = performance.now() - t1;
    const reportRows = Buffer.from(report.Content ?? new Uint8Array()).toString('utf8').trimEnd().split('\n').length - 1;
    return { gaadMs, pages, principals, reportMs, reportRows };
  } finally {
    iam.destroy();
  }
}

// ---- the script ---------------------------------------------------------------------------------

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const perAccount = Number(flag('per-account') ?? 5000);
  if (!Number.isInteger(perAccount) || perAccount < 1 || perAccount > 20_000) throw new Error('--per-account must be an integer from 1 to 20000');
  const seed = Number(flag('seed') ?? 1);
  const measure = process.argv.includes('--measure');
  const log = (msg: string): void => void process.stdout.write(`${msg}\n`);

  // Where to seed: --endpoint, else the running stack, else a sandbox of our own.
  const { findRunningStack } = await import('../cli/context');
  const stack = flag('endpoint') === undefined ? findRunningStack() : undefined;
  let endpoint = flag('endpoint') ?? stack?.awsEndpoint;
  let stop: (() => Promise<void>) | undefined;
  if (endpoint === undefined) {
    const { startSandbox } = await import('../sandbox');
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-seed-'));
    const t0 = performance.now();
    const sb = await startSandbox({ dataDir });
    log(`no stack running: started a sandbox at ${sb.endpoint} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    endpoint = sb.endpoint;
    stop = async () => {
      await sb.stop();
      await fs.rm(dataDir, { recursive: true, force: true });
    };
  }

  // Whom the owner tags name and which accounts: the policy's, unless given.
  const policyFile = flag('policy') ?? stack?.policyFile;
  let people: string[] | undefined;
  let accounts = flag('accounts')?.split(',').map((a) => a.trim()).filter((a) => a !== '');
  if (policyFile !== undefined) {
    const { loadPolicyFile } = await import('../config/policy');
    const policy = loadPolicyFile(policyFile);
    people = policy.people.map((p) => p.id);
    const reviewed = (policy.reviews?.access ?? []).flatMap((r) => r.accounts);
    accounts ??= reviewed.length > 0 ? [...new Set(reviewed)] : policy.accounts.map((a) => a.id);
  }
  accounts ??= ['111111111111', '222222222222'];

  try {
    log(`seeding ${perAccount} users and ${perAccount} roles in each of ${accounts.join(', ')} through ${endpoint}`);
    const result = await seedPrincipals({ endpoint, accounts, perAccount, seed, log, ...(people ? { people } : {}) });
    log(`seeded ${accounts.length} account(s) × ${perAccount} users + ${perAccount} roles in ${(result.totalMs / 1000).toFixed(1)} s`);
    if (measure) {
      for (const a of result.accounts) {
        const m = await measureInventoryReads(endpoint, a);
        log(
          `${a.accountId}: GetAccountAuthorizationDetails ${m.principals} users+roles in ${m.pages} page(s) in ${(m.gaadMs / 1000).toFixed(2)} s; credential report (${m.reportRows} rows) in ${(m.reportMs / 1000).toFixed(2)} s`,
        );
      }
    }
  } finally {
    await stop?.();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
