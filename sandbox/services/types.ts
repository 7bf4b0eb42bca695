// The seam between the gateway (gateway.ts: HTTP server, authentication, faults, call log,
// control endpoints) and the per-service modules beside this file, which serve what moto lacks or
// gets wrong for one AWS service each. The gateway authenticates a call and lets faults have their
// say first; only then does it hand the call to the module registered for its signing name.

import type { AwsRequestInfo } from '../aws-request';
import type { ErrorReply } from '../faults';
import type { MotoKey } from '../moto-directory';
import type { ReceivedRequest } from '../sigv4-verify';

/** An HTTP answer to an AWS call (body already in wire form). */
export interface Reply {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** A reply and who produced it, as the call log records it. */
export interface Handled {
  reply: Reply;
  /** `moto` when moto's answer is passed on (even if a module looked at or patched it). */
  servedBy: 'gateway' | 'moto';
}

/** One authenticated AWS call. */
export interface AwsCall {
  /** Service (credential-scope signing name), action, protocol and decoded parameters. */
  info: AwsRequestInfo;
  /** The request exactly as received. */
  request: ReceivedRequest;
  /** The principal whose key signed the call (its secret too: the gateway can sign as it). */
  caller: MotoKey;
}

/** What a module may use from the gateway. */
export interface ServiceContext {
  motoEndpoint: string;
  /** moto verifies signatures and IAM policies itself (StartSandboxOptions.authenticate). */
  authenticate: boolean;
  region: string;
  /**
   * Sends the call to moto: as received, or with `body` in place of the received one, signed
   * again as the caller (so moto, authenticating or not, sees a request the caller could have sent).
   */
  forward(call: AwsCall, body?: Buffer): Promise<Reply>;
  /**
   * A JSON-protocol call of the gateway's own to moto (e.g. kms:DescribeKey before judging a
   * call), signed as `as`; never seen by the call log. Returns the HTTP status and parsed body.
   */
  motoJson(as: MotoKey, service: string, target: string, params: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }>;
  /**
   * A call of the gateway's own through its serve path (the service's module, else moto), signed
   * as `as`, as one AWS service calls another (AWS Backup restoring through RDS or DynamoDB, so
   * their realism applies); not authenticated again, not faulted, not in the call log.
   */
  invoke(as: MotoKey, request: InternalRequest): Promise<Reply>;
  log(msg: string): void;
  now(): number;
}

/** A request `ServiceContext.invoke` signs and serves. */
export interface InternalRequest {
  /** Signing name: `rds`, `dynamodb`, `backup` … */
  service: string;
  method: string;
  /** Path plus query string. */
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * One AWS service's module. `handle` answers the call itself (servedBy `gateway`), forwards it
 * itself and passes moto's answer on (servedBy `moto`), or returns undefined to let the gateway
 * forward it unchanged. `afterMoto` sees every answer moto gave to this service's calls (after
 * the gateway turned moto's XML errors into JSON for JSON-protocol services) and may learn from it
 * or patch it.
 */
export interface ServiceHandler {
  readonly service: string;
  handle(ctx: ServiceContext, call: AwsCall): Promise<Handled | undefined>;
  afterMoto?(ctx: ServiceContext, call: AwsCall, reply: Reply): Promise<Reply>;
}

export function errorToReply(e: ErrorReply): Reply {
  return { status: e.status, headers: e.headers, body: Buffer.from(e.body) };
}

/** A JSON 1.1 success answer (SSM, KMS, Secrets Manager …). */
export function jsonReply(body: unknown, requestId: string): Reply {
  return {
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId },
    body: Buffer.from(JSON.stringify(body)),
  };
}

/** A string parameter of a parsed call, or undefined. */
export function param(info: AwsRequestInfo, key: string): string | undefined {
  const v = info.params[key];
  return typeof v === 'string' ? v : undefined;
}
