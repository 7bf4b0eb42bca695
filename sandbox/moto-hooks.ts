// The gateway's client of the hooks moto_hooks.py installs into moto (/moto-api/sandbox/…): the facts
// a credential report is built from, time-travel overrides, key uses the gateway answered itself,
// and bulk creation of principals. moto's /moto-api/ is unauthenticated and on loopback; only the
// gateway and the sandbox's own tooling call it. Bodies are validated before they get here
// (iam-ages.ts, iam-principals.ts); moto answers 404/409/400 for what only its state can tell.

/** An access key in a credential report's facts. */
export interface AccessKeyFacts {
  accessKeyId: string;
  active: boolean;
  /** ISO 8601 (UTC, whole seconds). */
  created: string;
  /** null: never used. service and region are null only for a date set by hand in moto. */
  lastUsed: { at: string; service: string | null; region: string | null } | null;
}

/** One IAM user as a credential report needs it. */
export interface UserCredentialFacts {
  name: string;
  arn: string;
  created: string;
  /** Has a login profile (console password). */
  passwordEnabled: boolean;
  passwordLastUsed: string | null;
  /** When the login profile was created or its password changed; null without one. */
  passwordLastChanged: string | null;
  mfaActive: boolean;
  /** In creation order: the report's key 1 and key 2. */
  accessKeys: AccessKeyFacts[];
  certificates: { active: boolean; uploaded: string }[];
}

/** An account's users as moto holds them now (moto builds one IAM backend per account). */
export interface CredentialFacts {
  accountId: string;
  /** The earliest thing moto holds of the account: the root account's creation. */
  accountCreated: string;
  /** The account password policy's MaxPasswordAge, if it has one. */
  passwordMaxAgeDays: number | null;
  users: UserCredentialFacts[];
}

/** A time-travel override as moto applies it (the gateway's iam-ages.ts makes these). */
export type MotoAgeOverride =
  | { kind: 'key'; accountId: string; userName: string; accessKeyId: string; createdAt?: string; lastUsed?: { at: string; service: string; region: string } | null }
  | { kind: 'user'; accountId: string; userName: string; createdAt?: string; passwordLastUsedAt?: string | null }
  | { kind: 'role'; accountId: string; roleName: string; createdAt?: string; lastUsed?: { at: string; region: string } | null };

/** An override in force, as moto lists it (field is moto's attribute name). */
export interface MotoAgeView {
  kind: 'key' | 'user' | 'role';
  accountId: string;
  /** `user/AKIA…` for keys, else the user or role name. */
  name: string;
  field: string;
  value: unknown;
  /** false once something real replaced the value (the key was used since). */
  inForce: boolean;
}

/** What POST /moto-api/sandbox/iam/principals creates (validated by iam-principals.ts). */
export interface BulkPrincipals {
  accountId: string;
  groups?: { name: string; path?: string; managedPolicies?: string[] }[];
  users?: {
    name: string;
    path?: string;
    tags?: { Key: string; Value: string }[];
    loginProfile?: boolean;
    mfa?: boolean;
    accessKeys?: number;
    managedPolicies?: string[];
    inlinePolicies?: Record<string, string>;
    groups?: string[];
  }[];
  roles?: {
    name: string;
    path?: string;
    trustPolicy: string;
    description?: string;
    tags?: { Key: string; Value: string }[];
    managedPolicies?: string[];
    inlinePolicies?: Record<string, string>;
    maxSessionDuration?: number;
  }[];
}

export interface BulkPrincipalsResult {
  accountId: string;
  groups: { name: string; arn: string }[];
  users: { name: string; arn: string; accessKeys: { accessKeyId: string; secretAccessKey: string }[] }[];
  roles: { name: string; arn: string }[];
}

/** moto refused a hook call: `status` is what the control endpoint answers too. */
export class MotoHookError extends Error {
  readonly code = 'MotoHookError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'MotoHookError';
  }
}

const HOOK_TIMEOUT_MS = 120_000;

export class MotoHooks {
  constructor(private readonly motoEndpoint: string) {}

  credentialFacts(accountId: string): Promise<CredentialFacts> {
    return this.call<CredentialFacts>('GET', `/moto-api/sandbox/iam/credentials?account=${encodeURIComponent(accountId)}`);
  }

  async applyAges(overrides: MotoAgeOverride[]): Promise<number> {
    return (await this.call<{ applied: number }>('POST', '/moto-api/sandbox/iam/ages', { overrides })).applied;
  }

  async clearAges(accountId?: string): Promise<number> {
    const q = accountId !== undefined ? `?account=${encodeURIComponent(accountId)}` : '';
    return (await this.call<{ cleared: number }>('DELETE', `/moto-api/sandbox/iam/ages${q}`)).cleared;
  }

  async listAges(): Promise<MotoAgeView[]> {
    return (await this.call<{ overrides: MotoAgeView[] }>('GET', '/moto-api/sandbox/iam/ages')).overrides;
  }

  /** A call the gateway answered itself was a use of its key (moto never saw it). */
  async keyUsed(accessKeyId: string, service: string, region: string): Promise<void> {
    await this.call('POST', '/moto-api/sandbox/iam/key-used', { accessKeyId, service, region });
  }

  createPrincipals(body: BulkPrincipals): Promise<BulkPrincipalsResult> {
    return this.call<BulkPrincipalsResult>('POST', '/moto-api/sandbox/iam/principals', body);
  }

  private async call<T>(method: string, pathAndQuery: string, body?: unknown): Promise<T> {
    const res = await fetch(new URL(pathAndQuery, this.motoEndpoint), {
      method,
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(HOOK_TIMEOUT_MS),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // moto without the hooks (moto_server started without the venv's python) answers 404 HTML.
      throw new MotoHookError(`moto ${method} ${pathAndQuery.split('?')[0] ?? ''} answered HTTP ${res.status} without JSON: are the sandbox hooks (moto_hooks.py) installed?`, res.status === 200 ? 502 : res.status);
    }
    if (!res.ok) {
      const error = (parsed as { error?: unknown }).error;
      throw new MotoHookError(typeof error === 'string' ? error : `moto answered HTTP ${res.status}`, res.status);
    }
    return parsed as T;
  }
}
