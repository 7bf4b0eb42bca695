// Time travel for access reviews: the body of POST /_sandbox/iam/ages, checked and turned into the
// overrides moto applies (moto_hooks.py sets them on its IAM objects, so every answer that shows
// the date agrees) and the root-account settings the gateway keeps (moto has no root user). Pure.
//
// One override, or a JSON array of them (seeding sets thousands in one request):
//   {"accountId","userName","accessKeyId","createdAt","lastUsedAt","lastUsedService","lastUsedRegion"}  a key
//   {"accountId","userName","createdAt","passwordLastUsedAt"}                                          a user
//   {"accountId","roleName","createdAt","lastUsedAt","lastUsedRegion"}                                 a role
//   {"accountId","root":{"mfaActive","accessKeysActive","passwordLastUsedAt"}}                          the root user
// `createdAt` is the key's when accessKeyId is given, else the user's or role's. A key body may also
// carry passwordLastUsedAt (its user's). `null` for a last-use date means "never used".

import type { MotoAgeOverride } from './moto-hooks';

export interface RootOverride {
  accountId: string;
  mfaActive?: boolean;
  accessKeysActive?: 0 | 1 | 2;
  passwordLastUsedAt?: string | null;
}

export interface ParsedAges {
  /** For moto, in body order. */
  overrides: MotoAgeOverride[];
  root: RootOverride[];
}

export class IamAgesValidationError extends Error {
  readonly code = 'IamAgesValidation';
  constructor(message: string) {
    super(message);
    this.name = 'IamAgesValidationError';
  }
}

export interface ParseAgesOptions {
  now: number;
  /** The region of a key's or role's last use when the body names none (the sandbox's). */
  defaultRegion: string;
}

/** Service namespace of a key's last use when the body names none: most SDK callers' first call. */
export const DEFAULT_LAST_USED_SERVICE = 'sts';
/** Overrides in one request (two accounts of 5,000 principals with a key each, and room to spare). */
export const MAX_AGES_PER_REQUEST = 50_000;
/** Clock skew tolerated for "not in the future". */
const FUTURE_SKEW_MS = 5_000;
/** Before any AWS account existed: a date this old is a mistake (an epoch of 0, a two-digit year). */
const EARLIEST = Date.parse('2006-01-01T00:00:00Z');

const ACCOUNT_ID = /^\d{12}$/;
const IAM_NAME = /^[\w+=,.@-]{1,64}$/;
const ACCESS_KEY_ID = /^AKIA[A-Z0-9]{16}$/;
const SERVICE = /^[a-z0-9-]{2,64}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const KEY_FIELDS = new Set(['accountId', 'userName', 'accessKeyId', 'createdAt', 'lastUsedAt', 'lastUsedService', 'lastUsedRegion', 'passwordLastUsedAt']);
const USER_FIELDS = new Set(['accountId', 'userName', 'createdAt', 'passwordLastUsedAt']);
const ROLE_FIELDS = new Set(['accountId', 'roleName', 'createdAt', 'lastUsedAt', 'lastUsedRegion']);
const ROOT_FIELDS = new Set(['mfaActive', 'accessKeysActive', 'passwordLastUsedAt']);

type Rec = Record<string, unknown>;

/** The body of POST /_sandbox/iam/ages; throws IamAgesValidationError naming the first problem. */
export function parseIamAges(body: unknown, opts: ParseAgesOptions): ParsedAges {
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) throw new IamAgesValidationError('the body is an empty list: give at least one override');
  if (items.length > MAX_AGES_PER_REQUEST) throw new IamAgesValidationError(`at most ${MAX_AGES_PER_REQUEST} overrides per request, got ${items.length}`);
  const out: ParsedAges = { overrides: [], root: [] };
  items.forEach((item, i) => {
    const where = Array.isArray(body) ? `[${i}] ` : '';
    try {
      parseOne(item, opts, out);
    } catch (err) {
      if (err instanceof IamAgesValidationError) throw new IamAgesValidationError(`${where}${err.message}`);
      throw err;
    }
  });
  return out;
}

function parseOne(item: unknown, opts: ParseAgesOptions, out: ParsedAges): void {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new IamAgesValidationError('an override must be a JSON object');
  const o = item as Rec;
  const accountId = o['accountId'];
  if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId)) throw new IamAgesValidationError(`accountId must be a 12-digit account id (a string), got ${show(accountId)}`);
  const targets = ['userName', 'roleName', 'root'].filter((k) => o[k] !== undefined);
  if (targets.length !== 1) {
    throw new IamAgesValidationError(targets.length === 0 ? 'name what to change: userName (a user or, with accessKeyId, its key), roleName or root' : `name one of userName, roleName or root, not ${targets.join(' and ')}`);
  }
  if (o['root'] !== undefined) return void out.root.push(parseRoot(accountId, o, opts));
  if (o['roleName'] !== undefined) return void out.overrides.push(parseRole(accountId, o, opts));
  out.overrides.push(...parseUserOrKey(accountId, o, opts));
}

function parseRoot(accountId: string, o: Rec, opts: ParseAgesOptions): RootOverride {
  onlyFields(o, new Set(['accountId', 'root']), 'a root override');
  const root = o['root'];
  if (root === null || typeof root !== 'object' || Array.isArray(root)) throw new IamAgesValidationError('root must be an object: {"mfaActive": true|false, "accessKeysActive": 0|1|2, "passwordLastUsedAt": "…"}');
  const r = root as Rec;
  onlyFields(r, ROOT_FIELDS, 'root');
  const out: RootOverride = { accountId };
  if (r['mfaActive'] !== undefined) {
    if (typeof r['mfaActive'] !== 'boolean') throw new IamAgesValidationError(`root.mfaActive must be true or false, got ${show(r['mfaActive'])}`);
    out.mfaActive = r['mfaActive'];
  }
  if (r['accessKeysActive'] !== undefined) {
    const n = r['accessKeysActive'];
    if (n !== 0 && n !== 1 && n !== 2) throw new IamAgesValidationError(`root.accessKeysActive must be 0, 1 or 2 (a root user has at most two keys), got ${show(n)}`);
    out.accessKeysActive = n;
  }
  if (r['passwordLastUsedAt'] !== undefined) out.passwordLastUsedAt = dateOrNull(r['passwordLastUsedAt'], 'root.passwordLastUsedAt', opts);
  if (Object.keys(out).length === 1) throw new IamAgesValidationError('root sets nothing: give mfaActive, accessKeysActive or passwordLastUsedAt');
  return out;
}

function parseRole(accountId: string, o: Rec, opts: ParseAgesOptions): MotoAgeOverride {
  onlyFields(o, ROLE_FIELDS, 'a role override', { lastUsedService: 'RoleLastUsed has no service: lastUsedService is for access keys' });
  const roleName = name(o['roleName'], 'roleName');
  const out: MotoAgeOverride & { kind: 'role' } = { kind: 'role', accountId, roleName };
  const createdAt = o['createdAt'] === undefined ? undefined : date(o['createdAt'], 'createdAt', opts);
  if (createdAt !== undefined) out.createdAt = createdAt;
  const lastUsedAt = o['lastUsedAt'] === undefined ? undefined : dateOrNull(o['lastUsedAt'], 'lastUsedAt', opts);
  if (o['lastUsedRegion'] !== undefined && (lastUsedAt === undefined || lastUsedAt === null)) throw new IamAgesValidationError('lastUsedRegion needs lastUsedAt (the date of that use)');
  if (lastUsedAt !== undefined) out.lastUsed = lastUsedAt === null ? null : { at: lastUsedAt, region: region(o['lastUsedRegion'], opts) };
  if (createdAt !== undefined && lastUsedAt) notBefore(lastUsedAt, 'lastUsedAt', createdAt, 'the role');
  if (out.createdAt === undefined && out.lastUsed === undefined) throw new IamAgesValidationError(`nothing to set for role ${roleName}: give createdAt or lastUsedAt`);
  return out;
}

function parseUserOrKey(accountId: string, o: Rec, opts: ParseAgesOptions): MotoAgeOverride[] {
  const userName = name(o['userName'], 'userName');
  const createdAt = o['createdAt'] === undefined ? undefined : date(o['createdAt'], 'createdAt', opts);
  const passwordLastUsedAt = o['passwordLastUsedAt'] === undefined ? undefined : dateOrNull(o['passwordLastUsedAt'], 'passwordLastUsedAt', opts);
  const out: MotoAgeOverride[] = [];

  if (o['accessKeyId'] === undefined) {
    onlyFields(o, USER_FIELDS, 'a user override', {
      lastUsedAt: 'a user has no lastUsedAt: give accessKeyId for a key\'s last use, or passwordLastUsedAt for the console password\'s',
      lastUsedService: 'lastUsedService is a key\'s: give accessKeyId',
      lastUsedRegion: 'lastUsedRegion is a key\'s: give accessKeyId',
    });
    if (createdAt !== undefined && passwordLastUsedAt) notBefore(passwordLastUsedAt, 'passwordLastUsedAt', createdAt, 'the user');
    if (createdAt === undefined && passwordLastUsedAt === undefined) throw new IamAgesValidationError(`nothing to set for user ${userName}: give createdAt, passwordLastUsedAt, or accessKeyId with createdAt/lastUsedAt`);
    const user: MotoAgeOverride & { kind: 'user' } = { kind: 'user', accountId, userName };
    if (createdAt !== undefined) user.createdAt = createdAt;
    if (passwordLastUsedAt !== undefined) user.passwordLastUsedAt = passwordLastUsedAt;
    return [user];
  }

  onlyFields(o, KEY_FIELDS, 'a key override');
  const accessKeyId = o['accessKeyId'];
  if (typeof accessKeyId !== 'string' || !ACCESS_KEY_ID.test(accessKeyId)) throw new IamAgesValidationError(`accessKeyId must be an IAM user's access key id (AKIA and 16 letters or digits), got ${show(accessKeyId)}`);
  const lastUsedAt = o['lastUsedAt'] === undefined ? undefined : dateOrNull(o['lastUsedAt'], 'lastUsedAt', opts);
  for (const f of ['lastUsedService', 'lastUsedRegion']) {
    if (o[f] !== undefined && (lastUsedAt === undefined || lastUsedAt === null)) throw new IamAgesValidationError(`${f} needs lastUsedAt (the date of that use)`);
  }
  if (createdAt !== undefined && lastUsedAt) notBefore(lastUsedAt, 'lastUsedAt', createdAt, 'the key');
  if (createdAt === undefined && lastUsedAt === undefined && passwordLastUsedAt === undefined) {
    throw new IamAgesValidationError(`nothing to set for key ${accessKeyId}: give createdAt or lastUsedAt`);
  }
  if (createdAt !== undefined || lastUsedAt !== undefined) {
    const key: MotoAgeOverride & { kind: 'key' } = { kind: 'key', accountId, userName, accessKeyId };
    if (createdAt !== undefined) key.createdAt = createdAt;
    if (lastUsedAt !== undefined) key.lastUsed = lastUsedAt === null ? null : { at: lastUsedAt, service: service(o['lastUsedService']), region: region(o['lastUsedRegion'], opts) };
    out.push(key);
  }
  if (passwordLastUsedAt !== undefined) out.push({ kind: 'user', accountId, userName, passwordLastUsedAt });
  return out;
}

function onlyFields(o: Rec, allowed: Set<string>, what: string, hints: Record<string, string> = {}): void {
  for (const k of Object.keys(o)) {
    if (allowed.has(k)) continue;
    throw new IamAgesValidationError(hints[k] ?? `unknown field "${k}" in ${what} (allowed: ${[...allowed].join(', ')})`);
  }
}

function name(v: unknown, field: string): string {
  if (typeof v !== 'string' || !IAM_NAME.test(v)) throw new IamAgesValidationError(`${field} must be an IAM name (1-64 of letters, digits and +=,.@_-), got ${show(v)}`);
  return v;
}

function service(v: unknown): string {
  if (v === undefined) return DEFAULT_LAST_USED_SERVICE;
  if (typeof v !== 'string' || !SERVICE.test(v)) throw new IamAgesValidationError(`lastUsedService must be a service namespace such as "s3" or "ec2", got ${show(v)}`);
  return v;
}

function region(v: unknown, opts: ParseAgesOptions): string {
  if (v === undefined) return opts.defaultRegion;
  if (typeof v !== 'string' || !REGION.test(v)) throw new IamAgesValidationError(`lastUsedRegion must be a region such as "us-east-1", got ${show(v)}`);
  return v;
}

function dateOrNull(v: unknown, field: string, opts: ParseAgesOptions): string | null {
  return v === null ? null : date(v, field, opts);
}

/** An ISO 8601 date-time with a zone, not in the future and not before AWS: as `toISOString()`. */
export function date(v: unknown, field: string, opts: Pick<ParseAgesOptions, 'now'>): string {
  const example = 'e.g. "2026-01-01T00:00:00Z"';
  if (typeof v !== 'string' || !ISO_DATE_TIME.test(v)) throw new IamAgesValidationError(`${field} must be an ISO 8601 date-time with a time zone, ${example}, got ${show(v)}`);
  const ms = Date.parse(v);
  // V8 rolls 2026-02-30 over into March instead of refusing it.
  const [y, m, d] = v.slice(0, 10).split('-').map(Number) as [number, number, number];
  if (!Number.isFinite(ms) || new Date(Date.UTC(y, m - 1, d)).getUTCDate() !== d) throw new IamAgesValidationError(`${field} is not a real date: ${show(v)}`);
  if (ms > opts.now + FUTURE_SKEW_MS) throw new IamAgesValidationError(`${field} ${v} is in the future: IAM reports only what has happened`);
  if (ms < EARLIEST) throw new IamAgesValidationError(`${field} ${v} is before 2006, when no AWS account existed`);
  return new Date(ms).toISOString();
}

function notBefore(later: string, laterField: string, created: string, what: string): void {
  if (Date.parse(later) < Date.parse(created)) throw new IamAgesValidationError(`${laterField} ${later} is before createdAt ${created}: ${what} cannot be used before it exists`);
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

// ---- the root user -----------------------------------------------------------------------------

/** What the credential report's <root_account> row and GetAccountSummary say about an account's root user. */
export interface RootAccountState {
  mfaActive: boolean;
  accessKeysActive: 0 | 1 | 2;
  /** When keys were last made active through the control endpoint: their last_rotated. */
  keysSince?: string;
  passwordLastUsedAt?: string;
}

/**
 * The root users of the sandbox's accounts. moto has none; AWS's default for an account set up with
 * care is assumed: MFA on, no access keys, no known sign-in. Tests change it to raise root findings.
 */
export class RootAccounts {
  private readonly accounts = new Map<string, RootAccountState>();

  get(accountId: string): RootAccountState {
    return { ...(this.accounts.get(accountId) ?? { mfaActive: true, accessKeysActive: 0 }) };
  }

  apply(o: RootOverride, now: number): RootAccountState {
    const next = this.get(o.accountId);
    if (o.mfaActive !== undefined) next.mfaActive = o.mfaActive;
    if (o.accessKeysActive !== undefined) {
      if (o.accessKeysActive > next.accessKeysActive || next.keysSince === undefined) next.keysSince = new Date(now).toISOString();
      next.accessKeysActive = o.accessKeysActive;
      if (o.accessKeysActive === 0) delete next.keysSince;
    }
    if (o.passwordLastUsedAt === null) delete next.passwordLastUsedAt;
    else if (o.passwordLastUsedAt !== undefined) next.passwordLastUsedAt = o.passwordLastUsedAt;
    this.accounts.set(o.accountId, next);
    return next;
  }

  /** Back to the default (every account, or one); how many were changed. */
  clear(accountId?: string): number {
    if (accountId === undefined) {
      const n = this.accounts.size;
      this.accounts.clear();
      return n;
    }
    return this.accounts.delete(accountId) ? 1 : 0;
  }

  list(): (RootAccountState & { accountId: string })[] {
    return [...this.accounts.entries()].map(([accountId, s]) => ({ accountId, ...s }));
  }
}
