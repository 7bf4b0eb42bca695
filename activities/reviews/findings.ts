// The findings an access review raises on each principal (issue #10): one small pure function per
// rule, so each can be tested and explained on its own. Thresholds compare strictly: "older than
// 90 days" is more than 90 days. A date that is missing or unreadable never raises a finding on its
// own: the rules judge only what the inventory actually knows.
import type { AccessKeyFacts, AccountInventory, Finding, Principal } from '../../workflows/access-review/inventory';
import { breakGlassTrustProblems } from './break-glass-trust';

export const DAY_MS = 24 * 60 * 60 * 1000;

export interface FindingContext {
  /** Epoch ms the review judges ages against (the inventory's collection time, not the clock). */
  now: number;
  keyMaxAgeMs: number;
  unusedAfterMs: number;
  /** Whether a person uses this principal; the caller knows from the policy's people. */
  isHuman(p: Principal): boolean;
  breakGlass: { roleArns: Set<string>; brokerArn: string };
}

// AdministratorAccess is administrator by definition; IAMFullAccess lets its holder attach
// AdministratorAccess to itself, so it is administrator in effect. PowerUserAccess is left out: it
// grants no IAM or Organizations writes, so it cannot escalate, and flagging it would flag most
// engineers. Only AWS-managed ARNs count (any partition): a customer-managed policy's name says
// nothing about what it grants, and the inventory carries no policy documents.
const ADMIN_POLICY = /^arn:aws(?:-[a-z]+)*:iam::aws:policy\/(AdministratorAccess|IAMFullAccess)$/;

export function findingsFor(p: Principal, ctx: FindingContext): Finding[] {
  const unused = principalUnused(p, ctx);
  return [
    ...consoleWithoutMfa(p),
    ...accessKeysOld(p, ctx),
    ...accessKeysUnused(p, ctx),
    ...(unused ? [unused] : []),
    ...adminOnHuman(p, ctx),
    ...breakGlassTrustDrift(p, ctx),
    ...inactiveUserWithKeys(p, unused),
  ];
}

export function consoleWithoutMfa(p: Principal): Finding[] {
  if (p.type !== 'user' || p.console?.enabled !== true || p.mfaActive === true) return [];
  const last = p.console.lastUsedAt === undefined ? 'never signed in' : `last signed in ${p.console.lastUsedAt.slice(0, 10)}`;
  return [{ code: 'console-without-mfa', severity: 'high', detail: `console password without MFA (${last})` }];
}

export function accessKeysOld(p: Principal, ctx: Pick<FindingContext, 'now' | 'keyMaxAgeMs'>): Finding[] {
  return p.accessKeys.flatMap((k) => {
    const age = ageMs(k.createdAt, ctx.now);
    if (!k.active || age === undefined || age <= ctx.keyMaxAgeMs) return [];
    return [{ code: 'access-key-old', severity: 'medium', detail: `${keyLabel(k)} is ${days(age)} days old (limit ${days(ctx.keyMaxAgeMs)})` }];
  });
}

export function accessKeysUnused(p: Principal, ctx: Pick<FindingContext, 'now' | 'unusedAfterMs'>): Finding[] {
  return p.accessKeys.flatMap((k): Finding[] => {
    if (!k.active) return [];
    const used = ageMs(k.lastUsedAt, ctx.now);
    if (used !== undefined) {
      return used > ctx.unusedAfterMs ? [{ code: 'access-key-unused', severity: 'medium', detail: `${keyLabel(k)} last used ${days(used)} days ago` }] : [];
    }
    const created = ageMs(k.createdAt, ctx.now);
    if (created === undefined || created <= ctx.unusedAfterMs) return [];
    return [{ code: 'access-key-unused', severity: 'medium', detail: `${keyLabel(k)} never used, created ${days(created)} days ago` }];
  });
}

/** The principal's newest use, or its creation when it was never used; undefined when nothing says. */
export function lastActivity(p: Principal): { at: number; what: string } | undefined {
  if (p.type === 'role') return newest([['role use', p.lastUsedAt]]) ?? newest([['created', p.createdAt]]);
  if (p.type !== 'user') return undefined;
  const uses: [string, string | undefined][] = [['console sign-in', p.console?.lastUsedAt], ...p.accessKeys.map((k): [string, string | undefined] => [`${keyLabel(k)} use`, k.lastUsedAt])];
  return newest(uses) ?? newest([['created', p.createdAt]]);
}

// Identity Center assignments carry no last use, so they are never judged unused.
export function principalUnused(p: Principal, ctx: Pick<FindingContext, 'now' | 'unusedAfterMs'>): Finding | undefined {
  const last = lastActivity(p);
  if (!last) return undefined;
  const age = ctx.now - last.at;
  if (age <= ctx.unusedAfterMs) return undefined;
  const detail = last.what === 'created' ? `${p.type} never used, created ${days(age)} days ago` : `${p.type} unused for ${days(age)} days (last: ${last.what} on ${new Date(last.at).toISOString().slice(0, 10)})`;
  return { code: 'principal-unused', severity: 'low', detail };
}

export function adminOnHuman(p: Principal, ctx: Pick<FindingContext, 'isHuman'>): Finding[] {
  const own = p.managedPolicies.filter((r) => ADMIN_POLICY.test(r.arn)).map((r) => `${r.name} (attached)`);
  const viaGroups = p.groupPolicies.filter((r) => ADMIN_POLICY.test(r.arn)).map((r) => `${r.name} (through a group)`);
  const all = [...new Set([...own, ...viaGroups])];
  if (all.length === 0 || !ctx.isHuman(p)) return [];
  return [{ code: 'admin-on-human', severity: 'high', detail: `administrator policies on a person's ${p.type}: ${all.join(', ')}` }];
}

export function isAdministratorPolicy(arn: string): boolean {
  return ADMIN_POLICY.test(arn);
}

export function breakGlassTrustDrift(p: Principal, ctx: Pick<FindingContext, 'breakGlass'>): Finding[] {
  if (p.type !== 'role' || !ctx.breakGlass.roleArns.has(p.arn)) return [];
  const problems = breakGlassTrustProblems(p.trustPolicy, ctx.breakGlass.brokerArn);
  if (problems.length === 0) return [];
  return [{ code: 'break-glass-trust-drift', severity: 'high', detail: `break-glass trust policy drifted: ${problems.join('; ')}` }];
}

/** `unused` is principalUnused's finding for the same principal: this rule escalates it. */
export function inactiveUserWithKeys(p: Principal, unused: Finding | undefined): Finding[] {
  const active = p.accessKeys.filter((k) => k.active);
  if (p.type !== 'user' || !unused || active.length === 0) return [];
  return [{ code: 'inactive-user-with-keys', severity: 'high', detail: `unused user still has ${active.length} active key${active.length === 1 ? '' : 's'}: ${active.map(keyLabel).join(', ')}` }];
}

export function rootFindings(root: AccountInventory['root'], accountId: string): Finding[] {
  if (!root) return [];
  const out: Finding[] = [];
  if (root.accessKeysActive > 0) {
    out.push({ code: 'root-access-keys', severity: 'high', detail: `root of account ${accountId} has ${root.accessKeysActive} active access key${root.accessKeysActive === 1 ? '' : 's'}` });
  }
  if (!root.mfaActive) out.push({ code: 'root-without-mfa', severity: 'high', detail: `root of account ${accountId} has no MFA` });
  return out;
}

/** At most the first 4 and last 4 characters: enough to find the key in the console, too little to use. */
export function maskAccessKeyId(id: string): string {
  return id.length >= 12 ? `${id.slice(0, 4)}…${id.slice(-4)}` : '…';
}

function keyLabel(k: AccessKeyFacts): string {
  return k.accessKeyId === undefined ? `key in slot ${k.slot}` : `key ${maskAccessKeyId(k.accessKeyId)}`;
}

function ageMs(at: string | undefined, now: number): number | undefined {
  if (at === undefined) return undefined;
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? undefined : now - ms;
}

function newest(candidates: [string, string | undefined][]): { at: number; what: string } | undefined {
  let best: { at: number; what: string } | undefined;
  for (const [what, at] of candidates) {
    const ms = at === undefined ? NaN : Date.parse(at);
    if (!Number.isNaN(ms) && (!best || ms > best.at)) best = { at: ms, what };
  }
  return best;
}

function days(ms: number): string {
  const d = ms / DAY_MS;
  return Number.isInteger(d) ? String(d) : d >= 1 ? String(Math.floor(d)) : d.toFixed(1);
}
