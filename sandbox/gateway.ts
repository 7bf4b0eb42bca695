// The sandbox gateway: an HTTP server on loopback in front of moto that forwards AWS calls,
// serves the SSM session APIs moto lacks, records every call and injects faults on demand.
// Control endpoints live under /_sandbox/ (see handleControl).

import { handleFederation, isFederationRequest } from './federation';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAwsRequest, redactParams } from './aws-request';
import type { AwsProtocol, AwsRequestInfo } from './aws-request';
import { CallLog } from './call-log';
import type { CallFilter, CallRecord } from './call-log';
import { FaultRules, FaultValidationError, awsErrorReply, faultReply, parseFaultRule, requestId } from './faults';
import type { ErrorReply, FaultDecision } from './faults';
import { IdentityResolver } from './identity';
import { MotoDirectory } from './moto-directory';
import { verifySigV4 } from './sigv4-verify';
import { SsmApiError, SsmSessions, sessionToWire } from './ssm-sessions';
import { escapeXml, motoQuery, xmlText } from './moto-query';
import { sleep } from './net';
import { assumeRoleRequestOf, evaluateTrustPolicy } from './trust-policy';

export interface GatewayOptions {
  motoEndpoint: string;
  /** Port to listen on (127.0.0.1). Default: a free port. */
  port?: number;
  /** EC2 instance ids SSM StartSession accepts. */
  instances?: string[];
  region?: string;
  /**
   * Evaluate role trust policies on sts:AssumeRole (principal, ExternalId, SourceIdentity, the
   * SetSourceIdentity/TagSession actions, MaxSessionDuration) as AWS does; moto does not. Default true.
   */
  enforceTrustPolicies?: boolean;
  /**
   * moto runs with request authentication on (see startSandbox's `authenticate`): the gateway
   * learns identities, secrets and trust policies from moto's /moto-api/data.json instead of
   * fake-signed calls, and verifies the signatures of the calls it answers itself. Default false.
   */
  authenticate?: boolean;
  log?: (msg: string) => void;
}

export interface Gateway {
  /** e.g. http://127.0.0.1:41235 */
  endpoint: string;
  port: number;
  callLog: CallLog;
  faults: FaultRules;
  sessions: SsmSessions;
  setInstances(ids: string[]): void;
  stop(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;
const SSM_LOCAL_ACTIONS = new Set(['StartSession', 'DescribeSessions', 'TerminateSession']);
/** IAM calls after which the auth-mode directory re-reads moto (roles, trust policies, users, keys). */
const IAM_DIRECTORY_CHANGES = /^(Create|Delete|Update)(Role|User|AccessKey|AssumeRolePolicy)$/;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

interface Reply {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const log = opts.log ?? (() => undefined);
  const region = opts.region ?? 'us-east-1';
  const moto = new URL(opts.motoEndpoint);
  const callLog = new CallLog();
  const faults = new FaultRules();
  const sessions = new SsmSessions({ instances: opts.instances ?? [], region });
  const authenticate = opts.authenticate === true;
  const directory = new MotoDirectory(opts.motoEndpoint);
  const identities: { resolve(accessKeyId: string): Promise<string> } = authenticate ? directory : new IdentityResolver(opts.motoEndpoint);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  async function forward(req: IncomingMessage, body: Buffer): Promise<Reply> {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || HOP_BY_HOP.has(k)) continue;
      headers[k] = v;
    }
    headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const out = http.request(
        { protocol: moto.protocol, hostname: moto.hostname, port: moto.port, method: req.method, path: req.url, headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const resHeaders: Record<string, string | string[]> = {};
            for (const [k, v] of Object.entries(res.headers)) {
              if (v === undefined || HOP_BY_HOP.has(k) || k === 'content-length') continue;
              resHeaders[k] = v;
            }
            resolve({ status: res.statusCode ?? 502, headers: resHeaders, body: Buffer.concat(chunks) });
          });
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });
  }

  async function serveSsm(info: AwsRequestInfo): Promise<Reply> {
    try {
      let result: unknown;
      switch (info.action) {
        case 'StartSession': {
          const owner = info.accessKeyId
            ? await identities.resolve(info.accessKeyId)
            : undefined;
          if (!owner) {
            return errorToReply(awsErrorReply('json', 400, 'MissingAuthenticationTokenException', 'Missing Authentication Token'));
          }
          result = sessions.start(owner, info.params);
          break;
        }
        case 'DescribeSessions':
          result = sessions.describe(info.params);
          break;
        case 'TerminateSession':
          result = sessions.terminate(info.params);
          break;
        default:
          throw new SsmApiError('InvalidAction', `unsupported action ${info.action}`);
      }
      return {
        status: 200,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId() },
        body: Buffer.from(JSON.stringify(result)),
      };
    } catch (err) {
      if (err instanceof SsmApiError) return errorToReply(awsErrorReply('json', err.status, err.code, err.message));
      throw err;
    }
  }

  /** A role's trust policy and maximum session duration, as moto holds them. */
  async function lookupRole(accessKeyId: string, roleName: string): Promise<{ trust: string; maxSessionDuration: number } | undefined> {
    if (authenticate) {
      const r = await directory.role(roleName);
      return r ? { trust: r.assumeRolePolicyDocument, maxSessionDuration: r.maxSessionDuration } : undefined;
    }
    const role = await motoQuery(opts.motoEndpoint, 'iam', accessKeyId, { Action: 'GetRole', RoleName: roleName, Version: '2010-05-08' });
    const trust = role.status === 200 ? xmlText(role.text, 'AssumeRolePolicyDocument') : undefined;
    return trust === undefined ? undefined : { trust, maxSessionDuration: Number(xmlText(role.text, 'MaxSessionDuration') ?? '3600') };
  }

  /**
   * With moto's authentication on, the calls the gateway answers or judges itself must be signed
   * like moto would demand: a Reply refusing the call, or undefined when the signature is valid.
   */
  async function checkSignature(req: IncomingMessage, body: Buffer, info: AwsRequestInfo): Promise<Reply | undefined> {
    if (!authenticate) return undefined;
    const protocol = protocolOf(info);
    const refuse = (queryCode: string, jsonCode: string, message: string): Reply =>
      errorToReply(awsErrorReply(protocol, protocol === 'json' ? 400 : 403, protocol === 'json' ? jsonCode : queryCode, message));
    if (!info.accessKeyId) return refuse('MissingAuthenticationToken', 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    const key = await directory.key(info.accessKeyId);
    if (!key) return refuse('InvalidClientTokenId', 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    const verdict = await verifySigV4({ method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body }, key);
    switch (verdict) {
      case 'ok':
        return undefined;
      case 'bad-token':
        return refuse('InvalidClientTokenId', 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      case 'malformed':
        return refuse('IncompleteSignature', 'IncompleteSignatureException', 'The request signature does not conform to AWS standards.');
      case 'mismatch':
        return refuse(
          'SignatureDoesNotMatch',
          'InvalidSignatureException',
          'The request signature we calculated does not match the signature you provided.',
        );
    }
  }

  /** AWS's own AssumeRole checks that moto skips; a Reply when the call must be refused. */
  async function checkAssumeRole(info: AwsRequestInfo): Promise<Reply | undefined> {
    const roleArn = typeof info.params['RoleArn'] === 'string' ? info.params['RoleArn'] : '';
    const deny = (who: string, action = 'sts:AssumeRole'): Reply =>
      errorToReply(
        awsErrorReply('query', 403, 'AccessDenied', `User: ${who} is not authorized to perform: ${action} on resource: ${roleArn}`),
      );
    if (!info.accessKeyId) return deny('anonymous');
    const callerArn = await identities.resolve(info.accessKeyId);
    const roleAccount = roleArn.split(':')[4];
    // Other accounts' roles are outside the sandbox's model: let moto answer.
    if (!/^arn:aws:iam::\d{12}:role\/.+/.test(roleArn) || roleAccount !== callerArn.split(':')[4]) return undefined;
    const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    const role = await lookupRole(info.accessKeyId, roleName);
    const trustRaw = role?.trust;
    if (trustRaw === undefined) return deny(callerArn);
    let trust = trustRaw;
    try {
      trust = decodeURIComponent(trustRaw);
    } catch {
      /* already plain JSON */
    }
    const decision = evaluateTrustPolicy(trust, assumeRoleRequestOf(callerArn, info.params));
    if (!decision.allowed) return deny(callerArn, decision.deniedAction);
    const max = role?.maxSessionDuration ?? 3600;
    const duration = Number(typeof info.params['DurationSeconds'] === 'string' ? info.params['DurationSeconds'] : '3600');
    if (Number.isFinite(duration) && duration > max) {
      return errorToReply(
        awsErrorReply(
          'query',
          400,
          'ValidationError',
          `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
        ),
      );
    }
    return undefined;
  }

  /** Keeps the directory current from the calls it sees (auth mode): see moto-directory.ts. */
  function observe(info: AwsRequestInfo, reply: Reply): void {
    if (reply.status !== 200) return;
    if (info.service === 'sts' && info.action === 'AssumeRole') {
      const text = reply.body.toString('utf8');
      const accessKeyId = xmlText(text, 'AccessKeyId');
      const secretAccessKey = xmlText(text, 'SecretAccessKey');
      const sessionToken = xmlText(text, 'SessionToken');
      const arn = /<AssumedRoleUser>[\s\S]*?<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
      if (accessKeyId && secretAccessKey && sessionToken && arn) directory.learn({ accessKeyId, secretAccessKey, sessionToken, arn });
    } else if (info.service === 'iam' && IAM_DIRECTORY_CHANGES.test(info.action)) {
      directory.invalidate();
    }
  }

  /** moto drops SourceIdentity from AssumeRoleResult; AWS echoes it. */
  function addSourceIdentity(info: AwsRequestInfo, reply: Reply): Reply {
    const sourceIdentity = info.params['SourceIdentity'];
    if (typeof sourceIdentity !== 'string' || reply.status !== 200) return reply;
    const text = reply.body.toString('utf8');
    if (text.includes('<SourceIdentity>') || !text.includes('</AssumeRoleResult>')) return reply;
    const patched = text.replace('</AssumeRoleResult>', `<SourceIdentity>${escapeXml(sourceIdentity)}</SourceIdentity></AssumeRoleResult>`);
    return { ...reply, body: Buffer.from(patched) };
  }

  /** Answers a call that no fault intercepted: the gateway's own SSM APIs, or moto. */
  async function serve(req: IncomingMessage, body: Buffer, info: AwsRequestInfo): Promise<{ reply: Reply; servedBy: CallRecord['servedBy'] }> {
    if (info.service === 'ssm' && SSM_LOCAL_ACTIONS.has(info.action)) {
      const unsigned = await checkSignature(req, body, info);
      if (unsigned) return { reply: unsigned, servedBy: 'gateway' };
      return { reply: await serveSsm(info), servedBy: 'gateway' };
    }
    const isAssumeRole = info.service === 'sts' && info.action === 'AssumeRole' && info.protocol === 'query';
    if (isAssumeRole && opts.enforceTrustPolicies !== false) {
      // Judge the signature before the trust policy, as AWS does (moto re-checks it anyway).
      const unsigned = await checkSignature(req, body, info);
      if (unsigned) return { reply: unsigned, servedBy: 'gateway' };
      const refused = await checkAssumeRole(info);
      if (refused) return { reply: refused, servedBy: 'gateway' };
    }
    const forwarded = jsonErrorOf(info, await forward(req, body));
    if (authenticate) observe(info, forwarded);
    return { reply: isAssumeRole ? addSourceIdentity(info, forwarded) : forwarded, servedBy: 'moto' };
  }

  async function handleAws(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const started = Date.now();
    const at = new Date(started).toISOString();
    const info = parseAwsRequest({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body });
    const decision: FaultDecision = faults.decide(info.service, info.action);
    let reply: Reply;
    let servedBy: CallRecord['servedBy'] = 'moto';
    let error: string | undefined;
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    const failure = decision.failure;
    if (failure && failure.kind !== 'latency') {
      const f = faultReply(failure.kind, info.protocol === 'unknown' ? 'query' : info.protocol);
      reply = errorToReply(f);
      servedBy = 'fault';
    } else {
      try {
        ({ reply, servedBy } = await serve(req, body, info));
      } catch (err) {
        const message = `sandbox gateway could not serve the call: ${(err as Error).message}`;
        reply = errorToReply(awsErrorReply(protocolOf(info), 502, 'SandboxGatewayError', message));
        servedBy = 'gateway';
      }
    }
    if (reply.status >= 400) error = errorCodeOf(reply);
    const faultRule = failure ?? decision.latencyRule;
    const rec = callLog.record({
      at,
      service: info.service,
      action: info.action,
      params: redactParams(info),
      accessKeyId: info.accessKeyId,
      status: reply.status,
      ...(error !== undefined ? { error } : {}),
      ...(faultRule ? { fault: { id: faultRule.id, kind: faultRule.kind } } : {}),
      servedBy,
      durationMs: Date.now() - started,
    });
    log(`#${rec.seq} ${info.service}:${info.action} → ${reply.status}${error ? ` ${error}` : ''}${rec.fault ? ` [fault ${rec.fault.kind}]` : ''}`);
    send(res, reply);
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const route = `${req.method ?? 'GET'} ${url.pathname.replace(/\/+$/, '')}`;
    switch (route) {
      case 'GET /_sandbox/health':
        return sendJson(res, 200, { ok: true });
      case 'GET /_sandbox/calls': {
        const filter: CallFilter = {};
        const since = url.searchParams.get('since');
        if (since !== null && since !== '') {
          const n = Number(since);
          if (!Number.isInteger(n)) return sendJson(res, 400, { error: `since must be an integer, got "${since}"` });
          filter.since = n;
        }
        const service = url.searchParams.get('service');
        if (service) filter.service = service;
        const action = url.searchParams.get('action');
        if (action) filter.action = action;
        return sendJson(res, 200, { calls: callLog.list(filter), lastSeq: callLog.lastSeq });
      }
      case 'DELETE /_sandbox/calls':
        callLog.clear();
        return sendJson(res, 200, { ok: true });
      case 'GET /_sandbox/faults':
        return sendJson(res, 200, { faults: faults.list() });
      case 'POST /_sandbox/faults': {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          return sendJson(res, 400, { error: 'fault rule body must be JSON' });
        }
        try {
          const stored = faults.add(parseFaultRule(parsed));
          log(`fault added ${JSON.stringify(stored)}`);
          return sendJson(res, 200, { id: stored.id });
        } catch (err) {
          if (err instanceof FaultValidationError) return sendJson(res, 400, { error: err.message });
          throw err;
        }
      }
      case 'DELETE /_sandbox/faults':
        faults.clear();
        return sendJson(res, 200, { ok: true });
      case 'GET /_sandbox/sessions':
        return sendJson(res, 200, { sessions: sessions.all().map(sessionToWire) });
      default:
        return sendJson(res, 404, { error: `no sandbox route ${route}` });
    }
  }

  const server = http.createServer((req, res) => {
    readBody(req)
      .then((body) =>
        isFederationRequest(req)
          ? handleFederation(req, res)
          : (req.url ?? '/').startsWith('/_sandbox/') || req.url === '/_sandbox'
            ? handleControl(req, res, body)
            : handleAws(req, res, body),
      )
      .catch((err: unknown) => {
        log(`gateway error: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message });
        else res.destroy();
      });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  log(`sandbox gateway listening at ${endpoint} → ${opts.motoEndpoint}`);

  return {
    endpoint,
    port,
    callLog,
    faults,
    sessions,
    setInstances: (ids) => sessions.setInstances(ids),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

/**
 * moto answers authentication/authorization failures (AccessDenied, SignatureDoesNotMatch, …) in
 * query-protocol XML even to JSON-protocol services such as SSM, which the SDK cannot parse
 * ("Unexpected token '<'"). AWS answers those in JSON: translate them.
 */
function jsonErrorOf(info: AwsRequestInfo, reply: Reply): Reply {
  if (info.protocol !== 'json' || reply.status < 400) return reply;
  const text = reply.body.toString('utf8').trimStart();
  if (!text.startsWith('<')) return reply;
  const code = errorCodeOf(reply);
  const message = xmlText(text, 'Message') ?? code;
  return errorToReply(awsErrorReply('json', reply.status, code, message));
}

function protocolOf(info: AwsRequestInfo): AwsProtocol {
  return info.protocol === 'unknown' ? 'query' : info.protocol;
}

function errorToReply(e: ErrorReply): Reply {
  return { status: e.status, headers: e.headers, body: Buffer.from(e.body) };
}

/** The AWS error code in a failed response (query XML `<Code>`, JSON `__type`, or header). */
export function errorCodeOf(reply: { headers: Record<string, string | string[]>; body: Buffer }): string {
  const header = reply.headers['x-amzn-errortype'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const text = reply.body.toString('utf8');
  const xml = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
  if (xml) return xml;
  try {
    const json = JSON.parse(text) as { __type?: unknown; code?: unknown };
    const t = typeof json.__type === 'string' ? json.__type : typeof json.code === 'string' ? json.code : undefined;
    if (t) return t.slice(t.lastIndexOf('#') + 1);
  } catch {
    /* not JSON */
  }
  if (fromHeader) return fromHeader.split(':')[0] ?? fromHeader;
  return 'UnknownError';
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(reply.body.length) });
  res.end(reply.body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, { status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) });
}
