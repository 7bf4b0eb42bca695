// What the gateway knows about moto's identities: every access key with its secret, owner and
// status, the roles (trust policy, session limit, inline policies) and STS sessions. It is how the
// gateway verifies the signature of every AWS call (moto, with its authentication off, accepts
// any), names callers (SSM session owners, AssumeRole trust checks, the call log) and judges
// trust policies when moto authenticates requests.
//
// The source is `GET /moto-api/sandbox/directory` (moto_hooks.py: the same listing as moto's
// unauthenticated dashboard endpoint /moto-api/data.json, but only the fields read here), else
// data.json itself (moto started without the hooks). data.json is large (~6 MB: moto's EC2
// catalogue; tens of MB with thousands of principals) and slow (0.5-2 s and more), and even the
// hooks' listing grows with every principal, so it is read lazily and cached:
// - a key the cache does not know triggers one re-read (concurrent misses share it), and a key
//   still unknown after a read is not re-read for until something changes;
// - credentials from the STS answers the gateway forwards are learned without reading moto;
// - IAM calls that change keys, users or roles are applied from what the gateway saw (every call
//   after seeding passes through the gateway): a key's status change and deletion are recorded
//   here, a new key makes the next miss re-read, a user or role change drops the cache.
// data.json lists every object moto ever created, deleted ones included (its model registry is
// append-only), so deletions are known only from the calls the gateway saw; and the status of a
// key there is moto's, so a status the gateway saw changed overrides a read that began earlier.

export interface MotoKey {
  accessKeyId: string;
  secretAccessKey: string;
  /** Set for assumed-role (temporary) credentials. */
  sessionToken?: string;
  /** The caller's ARN: the IAM user, or `arn:aws:sts::A:assumed-role/Role/Session`. */
  arn: string;
}

export type AccessKeyStatus = 'Active' | 'Inactive';

/** What a key id is to the sandbox. Only an `active` key may sign a request. */
export type KeyLookup = { state: 'active'; key: MotoKey } | { state: 'inactive' | 'deleted' | 'unknown' };

export interface MotoRole {
  arn: string;
  name: string;
  assumeRolePolicyDocument: string;
  maxSessionDuration: number;
  /** Inline policies by name (documents as moto stores them: JSON text). */
  inlinePolicies: Record<string, string>;
}

interface DirectoryKey extends MotoKey {
  status: AccessKeyStatus;
  /** IAM user keys only. */
  userName?: string;
}

export interface DirectorySnapshot {
  keys: Map<string, DirectoryKey>;
  /** By name, and by `<account>/<name>`: the sandbox serves several accounts. */
  roles: Map<string, MotoRole>;
}

type Rec = Record<string, unknown>;

const str = (r: Rec, k: string): string | undefined => (typeof r[k] === 'string' ? (r[k] as string) : undefined);

/** Bound on remembered unknown key ids (random ids must not grow memory without end). */
const MAX_REMEMBERED_MISSES = 10_000;

export class MotoDirectory {
  private snapshot: DirectorySnapshot | undefined;
  private refreshing: { generation: number; promise: Promise<DirectorySnapshot> } | undefined;
  /** Bumped by every change the cache may not reflect: reads begun before it are not reused. */
  private generation = 0;
  /** Credentials learned from STS answers (kept across re-reads). */
  private readonly learned = new Map<string, MotoKey>();
  /** Key statuses the gateway saw set (UpdateAccessKey), over whatever a read says. */
  private readonly statusSeen = new Map<string, AccessKeyStatus>();
  private readonly deletedKeys = new Set<string>();
  private readonly deletedRoles = new Set<string>();
  /** Key ids a read did not find, with the generation of that read. */
  private readonly misses = new Map<string, number>();

  constructor(
    private readonly motoEndpoint: string,
    private readonly loadData: (endpoint: string) => Promise<unknown> = fetchMotoData,
  ) {}

  /** What `accessKeyId` is: re-reads moto once when the key is not known yet. */
  async lookup(accessKeyId: string): Promise<KeyLookup> {
    const known = this.fromCache(accessKeyId);
    if (known) return known;
    if (this.misses.get(accessKeyId) === this.generation) return { state: 'unknown' };
    const generation = this.generation;
    await this.refresh();
    const found = this.fromCache(accessKeyId);
    if (found) return found;
    if (this.misses.size >= MAX_REMEMBERED_MISSES) this.misses.clear();
    this.misses.set(accessKeyId, generation);
    return { state: 'unknown' };
  }

  /** The key's owner and secret, for an active key only. */
  async key(accessKeyId: string): Promise<MotoKey | undefined> {
    const found = await this.lookup(accessKeyId);
    return found.state === 'active' ? found.key : undefined;
  }

  /** Caller ARN of an active key; throws for keys the sandbox does not accept. */
  async resolve(accessKeyId: string): Promise<string> {
    const k = await this.key(accessKeyId);
    if (!k) throw new UnknownAccessKeyError(accessKeyId);
    return k.arn;
  }

  /**
   * A role as moto holds it (re-read when unknown or after a role change): the one in `accountId`
   * when given (several accounts may each have a SafeguardExecution), else any of that name.
   */
  async role(roleName: string, accountId?: string): Promise<MotoRole | undefined> {
    if (this.deletedRoles.has(roleName)) return undefined;
    const known = this.snapshot && roleIn(this.snapshot, roleName, accountId);
    if (known) return known;
    return roleIn(await this.refresh(), roleName, accountId);
  }

  /**
   * A role as moto holds it now, from a read begun after this call: inline policies change
   * without the cache knowing (PutRolePolicy does not invalidate it), so this always reads moto.
   */
  async freshRole(roleName: string, accountId?: string): Promise<MotoRole | undefined> {
    this.generation++;
    const s = await this.refresh();
    return this.deletedRoles.has(roleName) ? undefined : roleIn(s, roleName, accountId);
  }

  /**
   * The ARN of the principal `accessKeyId` belongs (or belonged) to, from what is already cached:
   * Inactive and deleted keys included, never a read of moto. For the CloudTrail view of refused
   * calls (services/cloudtrail.ts); undefined when the cache does not know the key.
   */
  ownerOf(accessKeyId: string): string | undefined {
    return this.learned.get(accessKeyId)?.arn ?? this.snapshot?.keys.get(accessKeyId)?.arn;
  }

  /** Records credentials seen in an STS answer. */
  learn(key: MotoKey): void {
    this.learned.set(key.accessKeyId, key);
    this.misses.delete(key.accessKeyId);
  }

  /** iam:CreateAccessKey succeeded: the next miss must read moto again. */
  keyCreated(): void {
    this.generation++;
  }

  /** iam:UpdateAccessKey succeeded. */
  keyStatusChanged(accessKeyId: string, status: AccessKeyStatus): void {
    this.statusSeen.set(accessKeyId, status);
  }

  /** iam:DeleteAccessKey succeeded. */
  keyDeleted(accessKeyId: string): void {
    this.deletedKeys.add(accessKeyId);
    this.learned.delete(accessKeyId);
  }

  /** iam:DeleteUser succeeded: moto deletes the user's keys with it (AWS would refuse instead). */
  async userDeleted(userName: string): Promise<void> {
    const s = this.snapshot ?? (await this.refresh());
    for (const k of s.keys.values()) if (k.userName === userName) this.deletedKeys.add(k.accessKeyId);
    this.invalidate();
  }

  /** iam:DeleteRole succeeded (data.json keeps listing deleted roles). */
  roleDeleted(roleName: string): void {
    this.deletedRoles.add(roleName);
    this.invalidate();
  }

  /** iam:CreateRole succeeded. */
  roleCreated(roleName: string): void {
    this.deletedRoles.delete(roleName);
    this.invalidate();
  }

  /** Forgets what was read from moto (after a call that changed users or roles). */
  invalidate(): void {
    this.snapshot = undefined;
    this.generation++;
  }

  private fromCache(accessKeyId: string): KeyLookup | undefined {
    if (this.deletedKeys.has(accessKeyId)) return { state: 'deleted' };
    const learned = this.learned.get(accessKeyId);
    if (learned) return { state: 'active', key: learned };
    const k = this.snapshot?.keys.get(accessKeyId);
    if (!k) return undefined;
    const status = this.statusSeen.get(accessKeyId) ?? k.status;
    if (status !== 'Active') return { state: 'inactive' };
    const key: MotoKey = { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey, arn: k.arn };
    if (k.sessionToken !== undefined) key.sessionToken = k.sessionToken;
    return { state: 'active', key };
  }

  private refresh(): Promise<DirectorySnapshot> {
    const generation = this.generation;
    if (this.refreshing?.generation === generation) return this.refreshing.promise;
    const promise: Promise<DirectorySnapshot> = this.loadData(this.motoEndpoint)
      .then((data) => {
        const s = parseMotoData(data);
        // A read begun before a change may predate it: its waiters use it, the cache does not.
        if (generation === this.generation) this.snapshot = s;
        return s;
      })
      .finally(() => {
        if (this.refreshing?.promise === promise) this.refreshing = undefined;
      });
    this.refreshing = { generation, promise };
    return promise;
  }
}

/** `roles` holds each role by name and by `<account>/<name>` (parseMotoData). */
function roleIn(s: DirectorySnapshot, roleName: string, accountId: string | undefined): MotoRole | undefined {
  return accountId !== undefined ? s.roles.get(`${accountId}/${roleName}`) : s.roles.get(roleName);
}

async function fetchMotoData(motoEndpoint: string): Promise<unknown> {
  const hooked = await fetch(new URL('/moto-api/sandbox/directory', motoEndpoint), { signal: AbortSignal.timeout(30_000) });
  if (hooked.ok) return hooked.json();
  await hooked.arrayBuffer();
  const res = await fetch(new URL('/moto-api/data.json', motoEndpoint), { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`moto /moto-api/data.json answered HTTP ${res.status}`);
  return res.json();
}

/** The keys and roles in moto's data.json (pure; exported for tests). */
export function parseMotoData(raw: unknown): DirectorySnapshot {
  const data = (raw ?? {}) as Record<string, Record<string, Rec[] | undefined> | undefined>;
  const iam = data['iam'] ?? {};
  const sts = data['sts'] ?? {};
  const keys = new Map<string, DirectoryKey>();
  const roles = new Map<string, MotoRole>();
  // By name, and by account and name: the sandbox serves several accounts (moto keeps one IAM per
  // account), and two accounts may each have a user `alice`. A key's account (moto_hooks.py records
  // it) names the right one; without it (plain data.json) the name alone does, as before.
  const userArns = new Map<string, string>();
  for (const u of iam['User'] ?? []) {
    const name = str(u, 'name');
    const arn = str(u, 'arn');
    if (!name || !arn) continue;
    userArns.set(name, arn);
    userArns.set(`${arn.split(':')[4] ?? ''}/${name}`, arn);
  }
  for (const k of iam['AccessKey'] ?? []) {
    const id = str(k, 'access_key_id');
    const secret = str(k, 'secret_access_key');
    const userName = str(k, 'user_name');
    const account = str(k, 'account_id');
    const arn = userName ? ((account !== undefined ? userArns.get(`${account}/${userName}`) : undefined) ?? userArns.get(userName)) : undefined;
    // moto keeps STS credentials as user-less AccessKeys too; those come from sts.AssumedRole.
    if (!id || !secret || !userName || !arn) continue;
    keys.set(id, { accessKeyId: id, secretAccessKey: secret, arn, userName, status: str(k, 'status') === 'Inactive' ? 'Inactive' : 'Active' });
  }
  for (const a of sts['AssumedRole'] ?? []) {
    const id = str(a, 'access_key_id');
    const secret = str(a, 'secret_access_key');
    const token = str(a, 'session_token');
    const arn = str(a, 'arn');
    if (id && secret && token && arn) keys.set(id, { accessKeyId: id, secretAccessKey: secret, sessionToken: token, arn, status: 'Active' });
  }
  // Later entries are newer objects: a role deleted and created again under the same name ends as the new one.
  for (const r of iam['Role'] ?? []) {
    const name = str(r, 'name');
    const arn = str(r, 'arn');
    const trust = str(r, 'assume_role_policy_document');
    const max = Number(r['max_session_duration'] ?? 3600);
    const inlinePolicies: Record<string, string> = {};
    const policies = r['policies'];
    if (policies !== null && typeof policies === 'object') {
      for (const [policyName, doc] of Object.entries(policies as Rec)) if (typeof doc === 'string') inlinePolicies[policyName] = doc;
    }
    if (name && arn && trust !== undefined) {
      const role = { arn, name, assumeRolePolicyDocument: trust, maxSessionDuration: Number.isFinite(max) ? max : 3600, inlinePolicies };
      roles.set(name, role);
      roles.set(`${arn.split(':')[4] ?? ''}/${name}`, role);
    }
  }
  return { keys, roles };
}

export class UnknownAccessKeyError extends Error {
  readonly code = 'UnknownAccessKey';
  constructor(readonly accessKeyId: string) {
    super(`the access key ${accessKeyId} is not known to the sandbox`);
    this.name = 'UnknownAccessKeyError';
  }
}
