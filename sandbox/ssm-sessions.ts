// Stateful stand-in for the Session Manager APIs moto lacks: StartSession, DescribeSessions,
// TerminateSession. Shapes follow the SSM JSON API (dates as epoch seconds).

import { randomBytes } from 'node:crypto';

export type SessionStatus = 'Connected' | 'Terminated';

export interface SsmSession {
  SessionId: string;
  Target: string;
  Status: SessionStatus;
  StartDate: Date;
  EndDate?: Date;
  Owner: string;
  DocumentName?: string;
  Reason?: string;
  /**
   * Set by tests through the control API: TerminateSession answers success but the session stays
   * Connected, as a session whose (asynchronous) termination never completes would in AWS.
   */
  Stuck?: boolean;
}

/** An SSM API error, answered as `{"__type": code, "message": …}`. */
export class SsmApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'SsmApiError';
  }
}

const FILTER_KEYS = ['InvokedAfter', 'InvokedBefore', 'Target', 'Owner', 'Status', 'SessionId'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

function str(params: Record<string, unknown>, key: string): string | undefined {
  const v = params[key];
  return typeof v === 'string' ? v : undefined;
}

function epochSeconds(d: Date): number {
  return d.getTime() / 1000;
}

/** No session has this id (control API). */
export class UnknownSessionError extends Error {
  readonly code = 'UnknownSession';
  constructor(readonly sessionId: string) {
    super(`no SSM session ${sessionId}`);
    this.name = 'UnknownSessionError';
  }
}

/** Wire form of a session (dates → epoch seconds, which the SDK's JSON protocol deserializes); never says `Stuck`. */
export function sessionToWire(s: SsmSession): Record<string, unknown> {
  const out: Record<string, unknown> = {
    SessionId: s.SessionId,
    Target: s.Target,
    Status: s.Status,
    StartDate: epochSeconds(s.StartDate),
    Owner: s.Owner,
  };
  if (s.EndDate) out['EndDate'] = epochSeconds(s.EndDate);
  if (s.DocumentName) out['DocumentName'] = s.DocumentName;
  if (s.Reason) out['Reason'] = s.Reason;
  return out;
}

export interface SsmSessionsOptions {
  /** Instance ids StartSession accepts; others fail with TargetNotConnected. */
  instances: Iterable<string>;
  region?: string;
  now?: () => Date;
}

export class SsmSessions {
  private readonly sessions = new Map<string, SsmSession>();
  private instances: Set<string>;
  private readonly region: string;
  private readonly now: () => Date;

  constructor(opts: SsmSessionsOptions) {
    this.instances = new Set(opts.instances);
    this.region = opts.region ?? 'us-east-1';
    this.now = opts.now ?? (() => new Date());
  }

  setInstances(ids: Iterable<string>): void {
    this.instances = new Set(ids);
  }

  /** A managed node: StartSession and SendCommand accept it. */
  isManaged(instanceId: string): boolean {
    return this.instances.has(instanceId);
  }

  all(): SsmSession[] {
    return [...this.sessions.values()].map((s) => ({ ...s }));
  }

  /** StartSession for `owner` (the caller's ARN). Returns the API response body. */
  start(owner: string, params: Record<string, unknown>): { SessionId: string; TokenValue: string; StreamUrl: string } {
    const target = str(params, 'Target');
    if (!target) throw new SsmApiError('ValidationException', "1 validation error detected: Value null at 'target' failed to satisfy constraint: Member must not be null");
    if (!this.instances.has(target)) {
      throw new SsmApiError('TargetNotConnected', `${target} is not connected.`);
    }
    // AWS names sessions after the caller: the IAM user name or the role session name.
    const tail = owner.split('/').pop() || 'session';
    const sessionId = `${tail}-${randomBytes(9).toString('hex').slice(0, 17)}`;
    const session: SsmSession = { SessionId: sessionId, Target: target, Status: 'Connected', StartDate: this.now(), Owner: owner };
    const doc = str(params, 'DocumentName');
    if (doc) session.DocumentName = doc;
    const reason = str(params, 'Reason');
    if (reason) session.Reason = reason;
    this.sessions.set(sessionId, session);
    return {
      SessionId: sessionId,
      TokenValue: randomBytes(48).toString('base64'),
      StreamUrl: `wss://ssmmessages.${this.region}.amazonaws.com/v1/data-channel/${sessionId}?role=publish_subscribe&cell-number=AAEAAQ`,
    };
  }

  describe(params: Record<string, unknown>): { Sessions: Record<string, unknown>[]; NextToken?: string } {
    const state = str(params, 'State');
    if (state !== 'Active' && state !== 'History') {
      throw new SsmApiError(
        'ValidationException',
        `1 validation error detected: Value '${String(params['State'])}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [Active, History]`,
      );
    }
    const filters = this.parseFilters(params['Filters']);
    const matches = [...this.sessions.values()]
      .filter((s) => (state === 'Active' ? s.Status !== 'Terminated' : s.Status === 'Terminated'))
      .filter((s) => filters.every(([key, value]) => matchesFilter(s, key, value)))
      .sort((a, b) => b.StartDate.getTime() - a.StartDate.getTime());

    const maxResults = typeof params['MaxResults'] === 'number' ? params['MaxResults'] : 200;
    const offset = Number.parseInt(str(params, 'NextToken') ?? '0', 10) || 0;
    const page = matches.slice(offset, offset + maxResults);
    const result: { Sessions: Record<string, unknown>[]; NextToken?: string } = { Sessions: page.map(sessionToWire) };
    if (offset + maxResults < matches.length) result.NextToken = String(offset + maxResults);
    return result;
  }

  /**
   * Idempotent like AWS: unknown or already terminated ids succeed. A stuck session also
   * "succeeds" and stays Connected (AWS terminates asynchronously and answers before it is done).
   */
  terminate(params: Record<string, unknown>): { SessionId: string } {
    const id = str(params, 'SessionId');
    if (!id) throw new SsmApiError('ValidationException', "1 validation error detected: Value null at 'sessionId' failed to satisfy constraint: Member must not be null");
    const s = this.sessions.get(id);
    if (s && s.Status !== 'Terminated' && s.Stuck !== true) {
      s.Status = 'Terminated';
      s.EndDate = this.now();
    }
    return { SessionId: id };
  }

  /**
   * Makes a session refuse to die (or die normally again). Clearing the flag does not end the
   * session: the next TerminateSession does, so a test decides when a retried revocation succeeds.
   */
  setStuck(sessionId: string, stuck: boolean): SsmSession {
    const s = this.sessions.get(sessionId);
    if (!s) throw new UnknownSessionError(sessionId);
    if (stuck) s.Stuck = true;
    else delete s.Stuck;
    return { ...s };
  }

  private parseFilters(raw: unknown): Array<[FilterKey, string]> {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) throw new SsmApiError('ValidationException', 'Filters must be a list');
    return raw.map((f: unknown) => {
      const key = (f as { key?: unknown } | null)?.key;
      const value = (f as { value?: unknown } | null)?.value;
      if (typeof key !== 'string' || !(FILTER_KEYS as readonly string[]).includes(key) || typeof value !== 'string') {
        throw new SsmApiError('InvalidFilterKey', `invalid session filter: ${JSON.stringify(f)}`);
      }
      return [key as FilterKey, value];
    });
  }
}

function matchesFilter(s: SsmSession, key: FilterKey, value: string): boolean {
  switch (key) {
    case 'Owner':
      return s.Owner === value;
    case 'Target':
      return s.Target === value;
    case 'SessionId':
      return s.SessionId === value;
    case 'Status':
      return s.Status === value;
    case 'InvokedAfter':
      return s.StartDate.getTime() >= Date.parse(value);
    case 'InvokedBefore':
      return s.StartDate.getTime() <= Date.parse(value);
  }
}
