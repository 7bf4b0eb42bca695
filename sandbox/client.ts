// A small typed client for the gateway's /_sandbox/ control endpoints (global fetch).

import type { CallFilter, CallRecord } from './call-log';
import type { ConsumerMode, ConsumerView } from './consumers';
import type { FaultRule } from './faults';

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
  };
}
