// A small typed client for the gateway's /_sandbox/ control endpoints (global fetch).

import type { CallFilter, CallRecord } from './call-log';
import type { ConsumerMode, ConsumerView } from './consumers';
import type { FaultRule } from './faults';
import type { RootAccountState } from './iam-ages';
import type { BulkPrincipals, BulkPrincipalsResult, MotoAgeView } from './moto-hooks';

/** A simulated key consumer as the control API shows it (see consumers.ts). */
export type SandboxConsumerView = ConsumerView;

export interface SandboxSessionView {
  SessionId: string;
  Target: string;
  Status: 'Connected' | 'Terminated';
  /** Epoch seconds. */
  StartDate: number;
  EndDate?: number;
  Owner: string;
  /** Present (true) while the session refuses to terminate (setSessionStuck). */
  Stuck?: true;
}

/** A date for the time-travel endpoint: a Date, or ISO 8601 text with a zone. */
export type IamDate = string | Date;

/**
 * One time-travel override (POST /_sandbox/iam/ages; rules in sandbox/iam-ages.ts). `createdAt` is
 * the key's when accessKeyId is given, else the user's or role's; `null` for a last use: never used.
 */
export type IamAgeOverride =
  | {
      accountId: string;
      userName: string;
      accessKeyId: string;
      createdAt?: IamDate;
      lastUsedAt?: IamDate | null;
      /** Default `sts`. */
      lastUsedService?: string;
      /** Default the sandbox's region. */
      lastUsedRegion?: string;
      passwordLastUsedAt?: IamDate | null;
    }
  | { accountId: string; userName: string; createdAt?: IamDate; passwordLastUsedAt?: IamDate | null }
  | { accountId: string; roleName: string; createdAt?: IamDate; lastUsedAt?: IamDate | null; lastUsedRegion?: string }
  | { accountId: string; root: { mfaActive?: boolean; accessKeysActive?: 0 | 1 | 2; passwordLastUsedAt?: IamDate | null } };

/** The overrides in force (moto's, by attribute) and the root users changed from the default. */
export interface IamAgesView {
  overrides: MotoAgeView[];
  root: (RootAccountState & { accountId: string })[];
}

/**
 * A console sign-in for POST /_sandbox/cloudtrail/console-logins (rules in sandbox/console-logins.ts):
 * cloudtrail:LookupEvents in `accountId` then returns it as a ConsoleLogin event.
 */
export interface SandboxConsoleLogin {
  accountId: string;
  /** `root` (the default) or an IAM user's name. */
  user?: string;
  /** Default now; not in the future. */
  at?: IamDate;
  /** IPv4; absent: the event has no sourceIPAddress. */
  sourceIp?: string;
  /** Default true. */
  mfaUsed?: boolean;
  /** Default true; false records a failed sign-in (responseElements.ConsoleLogin "Failure"). */
  success?: boolean;
}

/** What POST /_sandbox/iam/principals creates in one account (rules in sandbox/iam-principals.ts). */
export type SandboxPrincipals = BulkPrincipals;
export type SandboxPrincipalsResult = BulkPrincipalsResult;

export interface SandboxControl {
  health(): Promise<boolean>;
  calls(filter?: CallFilter): Promise<CallRecord[]>;
  clearCalls(): Promise<void>;
  addFault(rule: FaultRule): Promise<{ id: string }>;
  clearFaults(): Promise<void>;
  sessions(): Promise<SandboxSessionView[]>;
  /**
   * While stuck, TerminateSession answers success but the session stays Connected (and listed by
   * DescribeSessions State=Active), as when AWS's asynchronous termination does not complete.
   * Unsticking does not end it; the next TerminateSession does. Unknown session → SandboxControlError 404.
   */
  setSessionStuck(sessionId: string, stuck: boolean): Promise<void>;
  /**
   * The service users' simulated consumers: mode, the key they sign with (masked like the call
   * log: compare with maskAccessKeyId), last successful read and call, last error.
   */
  consumers(): Promise<SandboxConsumerView[]>;
  /**
   * `stuck`: the consumer stops reading its store and keeps calling with the key it holds;
   * `switching`: it reads the store before every call again. Unknown user → SandboxControlError 404.
   */
  setConsumerMode(userName: string, mode: ConsumerMode): Promise<SandboxConsumerView>;
  /**
   * Time travel: sets when keys, users and roles were created and last used, and the root user's MFA,
   * keys and sign-in, everywhere IAM shows them (ListAccessKeys, GetAccessKeyLastUsed, ListUsers,
   * GetRole, GetAccountAuthorizationDetails, the credential report). All or nothing; bad input →
   * SandboxControlError 400, a user, key or role that does not exist → 404.
   */
  setIamAges(overrides: IamAgeOverride | IamAgeOverride[]): Promise<{ applied: number }>;
  /** Undoes the overrides (of one account, or all); a date a real use replaced since stays. */
  clearIamAges(accountId?: string): Promise<number>;
  iamAges(): Promise<IamAgesView>;
  /** Creates many groups, users (with keys, MFA, login profiles, policies) and roles in one account at once. */
  createPrincipals(body: SandboxPrincipals): Promise<SandboxPrincipalsResult>;
  /**
   * Records a console sign-in, which never passes the gateway, in the account's CloudTrail event
   * history; the event's id and (whole-second) time. Bad input → SandboxControlError 400.
   */
  recordConsoleLogin(login: SandboxConsoleLogin): Promise<{ eventId: string; eventTime: string }>;
}

export class SandboxControlError extends Error {
  readonly code = 'SandboxControlError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'SandboxControlError';
  }
}

export function sandboxControl(endpoint: string): SandboxControl {
  const base = endpoint.replace(/\/+$/, '');
  async function call<T>(method: string, pathAndQuery: string, body?: unknown): Promise<T> {
    const res = await fetch(`${base}${pathAndQuery}`, {
      method,
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) {
      let msg = text;
      try {
        msg = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        /* keep raw text */
      }
      throw new SandboxControlError(`${method} ${pathAndQuery} → ${res.status}: ${msg}`, res.status);
    }
    return JSON.parse(text) as T;
  }

  return {
    health: async () => (await call<{ ok: boolean }>('GET', '/_sandbox/health')).ok,
    calls: async (filter = {}) => {
      const q = new URLSearchParams();
      if (filter.since !== undefined) q.set('since', String(filter.since));
      if (filter.service !== undefined) q.set('service', filter.service);
      if (filter.action !== undefined) q.set('action', filter.action);
      const qs = q.toString();
      return (await call<{ calls: CallRecord[] }>('GET', `/_sandbox/calls${qs ? `?${qs}` : ''}`)).calls;
    },
    clearCalls: async () => {
      await call('DELETE', '/_sandbox/calls');
    },
    addFault: (rule) => call<{ id: string }>('POST', '/_sandbox/faults', rule),
    clearFaults: async () => {
      await call('DELETE', '/_sandbox/faults');
    },
    sessions: async () => (await call<{ sessions: SandboxSessionView[] }>('GET', '/_sandbox/sessions')).sessions,
    setSessionStuck: async (sessionId, stuck) => {
      await call('POST', `/_sandbox/sessions/${encodeURIComponent(sessionId)}/stuck`, { stuck });
    },
    consumers: async () => (await call<{ consumers: SandboxConsumerView[] }>('GET', '/_sandbox/consumers')).consumers,
    setConsumerMode: async (userName, mode) =>
      (await call<{ consumer: SandboxConsumerView }>('POST', `/_sandbox/consumers/${encodeURIComponent(userName)}/mode`, { mode })).consumer,
    setIamAges: (overrides) => call<{ applied: number }>('POST', '/_sandbox/iam/ages', Array.isArray(overrides) ? overrides.map(wireDates) : wireDates(overrides)),
    clearIamAges: async (accountId) => (await call<{ cleared: number }>('DELETE', `/_sandbox/iam/ages${accountId !== undefined ? `?accountId=${encodeURIComponent(accountId)}` : ''}`)).cleared,
    iamAges: () => call<IamAgesView>('GET', '/_sandbox/iam/ages'),
    createPrincipals: (body) => call<SandboxPrincipalsResult>('POST', '/_sandbox/iam/principals', body),
    recordConsoleLogin: (login) => call<{ eventId: string; eventTime: string }>('POST', '/_sandbox/cloudtrail/console-logins', wireDates(login)),
  };
}

/** Dates as ISO text, at any depth (the root override nests one). */
function wireDates<T>(value: T): T {
  if (value instanceof Date) return value.toISOString() as T;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, wireDates(v)])) as T;
  }
  return value;
}
