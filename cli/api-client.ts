// The CLI's client for the Safeguard api. Each call carries a freshly presigned
// sts:GetCallerIdentity request made with the caller's own AWS credentials; the api derives the
// identity from it and never trusts a name the client sends.
import type { AwsCredentialIdentity } from '@smithy/types';
import type { ListedRequest } from '../client/break-glass-client';
import { SafeguardError } from '../client/errors';
import type { BreakGlassStatus, DecisionResult, ExtendResult, RevokeResult } from '../workflows/break-glass/definitions';
import type { ProcessCredentials } from '../client/vending';
import type { ConfirmResult } from '../workflows/runbook/definitions';
import { AUTH_HEADER } from '../api/server';
import { encodeAuthHeader, signCallerIdentityRequest } from './api-auth';

export interface ApiTarget {
  url: string;
  serverId: string;
  stsEndpoint: string;
  region: string;
}

export class ApiRequestError extends SafeguardError {
  constructor(
    readonly status: number,
    readonly apiCode: string,
    message: string,
    refusal?: string,
  ) {
    super('REFUSED', message, refusal ? { refusal } : {});
    this.name = 'ApiRequestError';
  }
}

/** The api's `round` field: an exact round id, `extension`, or absent for the request's own round. */
function roundOf(opts: { extension?: boolean; round?: string }): { round?: string } {
  if (opts.round) return { round: opts.round };
  return opts.extension ? { round: 'extension' } : {};
}

export class SafeguardApiClient {
  constructor(
    private readonly target: ApiTarget,
    private readonly callerCredentials: () => Promise<AwsCredentialIdentity>,
  ) {}

  request(body: { role: string; duration?: string; reason: string; ticket?: string }) {
    return this.call<{ workflowId: string; role: string; durationMs: number; mode: string; quorum: number; approvers: string[] }>('POST', '/v1/breakglass/requests', body);
  }
  approve(id: string, opts: { extension?: boolean; round?: string; comment?: string } = {}) {
    return this.call<DecisionResult>('POST', `/v1/breakglass/${encodeURIComponent(id)}/approve`, { ...roundOf(opts), ...(opts.comment ? { comment: opts.comment } : {}) });
  }
  deny(id: string, reason: string, opts: { extension?: boolean; round?: string } = {}) {
    return this.call<DecisionResult>('POST', `/v1/breakglass/${encodeURIComponent(id)}/deny`, { reason, ...roundOf(opts) });
  }
  revoke(id: string, reason?: string) {
    return this.call<RevokeResult>('POST', `/v1/breakglass/${encodeURIComponent(id)}/revoke`, reason ? { reason } : {});
  }
  extend(id: string, by: string, reason?: string) {
    return this.call<ExtendResult>('POST', `/v1/breakglass/${encodeURIComponent(id)}/extend`, { by, ...(reason ? { reason } : {}) });
  }
  status(id: string) {
    return this.call<BreakGlassStatus>('GET', `/v1/breakglass/${encodeURIComponent(id)}`);
  }
  async list(active: boolean): Promise<ListedRequest[]> {
    return (await this.call<{ requests: ListedRequest[] }>('GET', `/v1/breakglass${active ? '?active=true' : ''}`)).requests;
  }
  credentials(grantId: string) {
    return this.call<ProcessCredentials>('POST', `/v1/grants/${encodeURIComponent(grantId)}/credentials`, {});
  }
  consoleLink(grantId: string) {
    return this.call<{ url: string; expiresAt: string }>('POST', `/v1/grants/${encodeURIComponent(grantId)}/console-link`, {});
  }
  reportSession(grantId: string, sessionId: string, target: string) {
    return this.call<{ recorded: boolean }>('POST', `/v1/grants/${encodeURIComponent(grantId)}/sessions`, { sessionId, target });
  }
  /** Decisions on any other kind's run (`/v1/runs/<id>/…`). */
  approveRun(id: string, opts: { round?: string; comment?: string } = {}) {
    return this.call<DecisionResult>('POST', `/v1/runs/${encodeURIComponent(id)}/approve`, { ...(opts.round ? { round: opts.round } : {}), ...(opts.comment ? { comment: opts.comment } : {}) });
  }
  denyRun(id: string, reason: string, opts: { round?: string } = {}) {
    return this.call<DecisionResult>('POST', `/v1/runs/${encodeURIComponent(id)}/deny`, { reason, ...(opts.round ? { round: opts.round } : {}) });
  }
  /** Confirms `step` of a declarative runbook run (it must be the step the run waits on). */
  confirmRun(id: string, opts: { step: string; note?: string }) {
    return this.call<ConfirmResult & { duplicate: boolean }>('POST', `/v1/runs/${encodeURIComponent(id)}/confirm`, { step: opts.step, ...(opts.note ? { note: opts.note } : {}) });
  }
  whoami() {
    return this.call<{ person: string; arn: string }>('GET', '/v1/whoami');
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    // The identity header signs this exact request (method, target, body): normalise the target the
    // way fetch will send it, and send the very bytes that were hashed.
    const relative = new URL(path, 'http://api.invalid');
    const target = `${relative.pathname}${relative.search}`;
    const text = body !== undefined ? JSON.stringify(body) : '';
    const signed = await signCallerIdentityRequest({
      credentials: await this.callerCredentials(),
      region: this.target.region,
      stsEndpoint: this.target.stsEndpoint,
      serverId: this.target.serverId,
      request: { method, path: target, body: text },
    });
    const res = await fetch(`${this.target.url.replace(/\/+$/, '')}${target}`, {
      method,
      headers: { [AUTH_HEADER]: encodeAuthHeader(signed), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: text } : {}),
    });
    const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string; refusal?: string } };
    if (!res.ok) {
      const e = json.error ?? {};
      throw new ApiRequestError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? `api answered ${res.status}`, e.refusal);
    }
    return json as T;
  }
}
