// With moto's request authentication on, the gateway can no longer ask moto "whose key is this?"
// with a fake signature. It reads moto's internal state instead: `GET /moto-api/data.json` (an
// unauthenticated dashboard endpoint) lists IAM users, their access keys (with secrets), roles and
// STS assumed-role sessions. The gateway uses it to name callers (SSM session owners, AssumeRole
// trust checks), to verify signatures on the calls it serves itself, and to read trust policies.
// data.json is large (~6 MB, 1-2 s: moto's EC2 catalogue), so it is read lazily and cached: keys
// are re-read only on a miss, roles only after the gateway saw an IAM call that changes roles or
// keys (every call after seeding passes through the gateway), and credentials from AssumeRole
// answers the gateway forwards are learned without reading moto at all.

export interface MotoKey {
  accessKeyId: string;
  secretAccessKey: string;
  /** Set for assumed-role (temporary) credentials. */
  sessionToken?: string;
  /** The caller's ARN: the IAM user, or `arn:aws:sts::A:assumed-role/Role/Session`. */
  arn: string;
}

export interface MotoRole {
  arn: string;
  name: string;
  assumeRolePolicyDocument: string;
  maxSessionDuration: number;
}

interface Snapshot {
  keys: Map<string, MotoKey>;
  roles: Map<string, MotoRole>;
}

type Rec = Record<string, unknown>;

const str = (r: Rec, k: string): string | undefined => (typeof r[k] === 'string' ? (r[k] as string) : undefined);

export class MotoDirectory {
  private snapshot: Snapshot | undefined;
  private refreshing: Promise<Snapshot> | undefined;
  /** Credentials learned from AssumeRole answers (kept across re-reads). */
  private readonly learned = new Map<string, MotoKey>();
  private generation = 0;

  constructor(private readonly motoEndpoint: string) {}

  /** The key's owner and secret; re-reads moto once when the key is not known yet. */
  async key(accessKeyId: string): Promise<MotoKey | undefined> {
    const known = this.learned.get(accessKeyId) ?? this.snapshot?.keys.get(accessKeyId);
    if (known) return known;
    return (await this.refresh()).keys.get(accessKeyId);
  }

  /** Caller ARN of a key; throws for keys moto does not know. */
  async resolve(accessKeyId: string): Promise<string> {
    const k = await this.key(accessKeyId);
    if (!k) throw new UnknownAccessKeyError(accessKeyId);
    return k.arn;
  }

  /** A role as moto holds it (re-read when unknown or after `invalidate`). */
  async role(roleName: string): Promise<MotoRole | undefined> {
    const known = this.snapshot?.roles.get(roleName);
    if (known) return known;
    return (await this.refresh()).roles.get(roleName);
  }

  /** Records credentials seen in an AssumeRole answer. */
  learn(key: MotoKey): void {
    this.learned.set(key.accessKeyId, key);
  }

  /** Forgets what was read from moto (after a call that changed roles, users or keys). */
  invalidate(): void {
    this.snapshot = undefined;
    this.generation++;
  }

  private refresh(): Promise<Snapshot> {
    const generation = this.generation;
    this.refreshing ??= this.load().then(
      (s) => {
        // A read that started before an invalidation may predate the change: use it, don't keep it.
        if (generation === this.generation) this.snapshot = s;
        this.refreshing = undefined;
        return s;
      },
      (err: unknown) => {
        this.refreshing = undefined;
        throw err;
      },
    );
    return this.refreshing;
  }

  private async load(): Promise<Snapshot> {
    const res = await fetch(new URL('/moto-api/data.json', this.motoEndpoint), { signal: AbortSignal.timeout(15_000) });
    if (!res.ok) throw new Error(`moto /moto-api/data.json answered HTTP ${res.status}`);
    const data = (await res.json()) as Record<string, Record<string, Rec[] | undefined> | undefined>;
    const iam = data['iam'] ?? {};
    const sts = data['sts'] ?? {};
    const keys = new Map<string, MotoKey>();
    const roles = new Map<string, MotoRole>();
    const userArns = new Map<string, string>();
    for (const u of iam['User'] ?? []) {
      const name = str(u, 'name');
      const arn = str(u, 'arn');
      if (name && arn) userArns.set(name, arn);
    }
    for (const k of iam['AccessKey'] ?? []) {
      const id = str(k, 'access_key_id');
      const secret = str(k, 'secret_access_key');
      const user = str(k, 'user_name');
      const arn = user ? userArns.get(user) : undefined;
      if (id && secret && arn && str(k, 'status') !== 'Inactive') keys.set(id, { accessKeyId: id, secretAccessKey: secret, arn });
    }
    for (const a of sts['AssumedRole'] ?? []) {
      const id = str(a, 'access_key_id');
      const secret = str(a, 'secret_access_key');
      const token = str(a, 'session_token');
      const arn = str(a, 'arn');
      if (id && secret && token && arn) keys.set(id, { accessKeyId: id, secretAccessKey: secret, sessionToken: token, arn });
    }
    for (const r of iam['Role'] ?? []) {
      const name = str(r, 'name');
      const arn = str(r, 'arn');
      const trust = str(r, 'assume_role_policy_document');
      const max = typeof r['max_session_duration'] === 'number' ? r['max_session_duration'] : Number(r['max_session_duration'] ?? 3600);
      if (name && arn && trust !== undefined) roles.set(name, { arn, name, assumeRolePolicyDocument: trust, maxSessionDuration: Number.isFinite(max) ? max : 3600 });
    }
    return { keys, roles };
  }
}

export class UnknownAccessKeyError extends Error {
  constructor(readonly accessKeyId: string) {
    super(`the access key ${accessKeyId} is not known to the sandbox`);
    this.name = 'UnknownAccessKeyError';
  }
}
