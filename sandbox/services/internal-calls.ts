// Requests a service module builds for ServiceContext.invoke (one AWS service calling another, as
// AWS Backup calls RDS and DynamoDB), and reading their answers. Pure.

import { xmlText } from '../moto-query';
import type { InternalRequest, Reply } from './types';

/** A query-protocol call (RDS, IAM …). */
export function queryRequest(service: string, version: string, action: string, params: Record<string, string | undefined>): InternalRequest {
  const form = new URLSearchParams({ Action: action, Version: version });
  for (const [k, v] of Object.entries(params)) if (v !== undefined) form.set(k, v);
  return { service, method: 'POST', url: '/', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: form.toString() };
}

/** A JSON-protocol call (`X-Amz-Target: <target>`). */
export function jsonRequest(service: string, target: string, params: Record<string, unknown>, version: '1.0' | '1.1' = '1.0'): InternalRequest {
  return { service, method: 'POST', url: '/', headers: { 'content-type': `application/x-amz-json-${version}`, 'x-amz-target': target }, body: JSON.stringify(params) };
}

/** A rest-json call. */
export function restRequest(service: string, method: string, url: string, body?: unknown): InternalRequest {
  return { service, method, url, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? '' : JSON.stringify(body) };
}

/** A JSON answer's body (an empty object if it is not a JSON object). */
export function jsonBodyOf(reply: Reply): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(reply.body.toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The error code and message of a failed answer (query XML, JSON `__type`, rest-json header). */
export function replyError(reply: Reply): { code: string; message: string } {
  const text = reply.body.toString('utf8');
  if (text.trimStart().startsWith('<')) {
    return { code: xmlText(text, 'Code') ?? `HTTP${reply.status}`, message: xmlText(text, 'Message') ?? '' };
  }
  const body = jsonBodyOf(reply);
  const header = reply.headers['x-amzn-errortype'];
  const raw = typeof body['__type'] === 'string' ? body['__type'] : typeof body['Code'] === 'string' ? body['Code'] : Array.isArray(header) ? header[0] : header;
  const base = raw === undefined ? `HTTP${reply.status}` : (raw.split(':')[0] ?? raw);
  const code = base.slice(base.lastIndexOf('#') + 1);
  const m = body['message'] ?? body['Message'];
  return { code, message: typeof m === 'string' ? m : '' };
}
