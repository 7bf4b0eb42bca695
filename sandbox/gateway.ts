// The sandbox gateway: an HTTP server on loopback in front of moto that authenticates every AWS
// call as AWS would (moto, with its own authentication off, accepts any signature and Inactive or
// deleted keys), forwards it, serves the SSM session APIs moto lacks, enforces a few AWS rules moto
// skips (trust policies, the role inline-policy quota), records every call and injects faults on
// demand. Control endpoints live under /_sandbox/ (see handleControl); they and the console
// federation endpoint are not AWS calls and are not signed.

import { handleFederation, isFederationRequest } from './federation';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { parseAwsRequest, redactParams } from './aws-request';
import type { AwsProtocol, AwsRequestInfo } from './aws-request';
import { authRefusalReply, protocolFamily } from './auth-refusal';
import { CallLog } from './call-log';
import type { CallFilter, CallRecord } from './call-log';
import { FaultRules, FaultValidationError, awsErrorReply, faultReply, parseFaultRule, requestId } from './faults';
import type { ErrorReply, FaultDecision } from './faults';
import { KeyedLock } from './keyed-lock';
import { MotoDirectory } from './moto-directory';
import type { MotoKey } from './moto-directory';
import { motoRoleInlinePolicies } from './moto-role-policies';
import { authenticateRequest } from './request-auth';
import { ROLE_INLINE_POLICY_QUOTA, inlinePolicyTotalAfter, rolePolicyQuotaMessage } from './role-policy-quota';
import { SsmApiError, SsmSessions, UnknownSessionError, sessionToWire } from './ssm-sessions';
import type { SsmSession } from './ssm-sessions';
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
   * moto runs with request authentication on (see startSandbox's `authenticate`): the gateway's
   * own moto look-ups cannot be fake-signed, so it reads trust policies and inline policies from
   * moto's /moto-api/data.json. (Signatures are verified by the gateway in both modes.) Default false.
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
/** STS answers that carry new credentials, and where the answer names their principal. */
const STS_CREDENTIAL_ARN: Record<string, RegExp | 'caller'> = {
  AssumeRole: /<AssumedRoleUser>[\s\S]*?<Arn>([^<]+)<\/Arn>/,
  AssumeRoleWithWebIdentity: /<AssumedRoleUser>[\s\S]*?<Arn>([^<]+)<\/Arn>/,
  AssumeRoleWithSAML: /<AssumedRoleUser>[\s\S]*?<Arn>([^<]+)<\/Arn>/,
  GetFederationToken: /<FederatedUser>[\s\S]*?<Arn>([^<]+)<\/Arn>/,
  // Session credentials act as the user who asked for them.
  GetSessionToken: 'caller',
};
const SESSION_PATH = /^\/_sandbox\/sessions\/([^/]+)\/stuck$/;
const stuckBodySchema = z.object({ stuck: z.boolean() }).strict();
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

interface Reply {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

interface Served {
  reply: Reply;
  servedBy: CallRecord['servedBy'];
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
  const roleWrites = new KeyedLock();
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

  function serveSsm(info: AwsRequestInfo, caller: MotoKey): Reply {
    try {
      let result: unknown;
      switch (info.action) {
        case 'StartSession':
          result = sessions.start(caller.arn, info.params);
          break;
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

  /** AWS's own AssumeRole checks that moto skips; a Reply when the call must be refused. */
  async function checkAssumeRole(info: AwsRequestInfo, caller: MotoKey): Promise<Reply | undefined> {
    const roleArn = typeof info.params['RoleArn'] === 'string' ? info.params['RoleArn'] : '';
    const deny = (who: string, action = 'sts:AssumeRole'): Reply =>
      errorToReply(
        awsErrorReply('query', 403, 'AccessDenied', `User: ${who} is not authorized to perform: ${action} on resource: ${roleArn}`),
      );
    const callerArn = caller.arn;
    const roleAccount = roleArn.split(':')[4];
    // Other accounts' roles are outside the sandbox's model: let moto answer.
    if (!/^arn:aws:iam::\d{12}:role\/.+/.test(roleArn) || roleAccount !== callerArn.split(':')[4]) return undefined;
    const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    const role = await lookupRole(caller.accessKeyId, roleName);
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

  /**
   * iam:PutRolePolicy with IAM's quota on the role's inline policies (role-policy-quota.ts), which
   * moto does not enforce. The check and the write run under a per-role lock, so concurrent writes
   * to one role cannot each pass against the same old total. The role's other policies are read
   * from moto each time (fake-signed queries; data.json when moto authenticates, where the quota
   * is then judged before moto judges the caller's permission, unlike AWS).
   */
  function putRolePolicy(req: IncomingMessage, body: Buffer, info: AwsRequestInfo, caller: MotoKey): Promise<Served> {
    const param = (k: string): string | undefined => (typeof info.params[k] === 'string' ? info.params[k] : undefined);
    const roleName = param('RoleName');
    const policyName = param('PolicyName');
    const document = param('PolicyDocument');
    const write = async (): Promise<Served> => ({ reply: await forward(req, body), servedBy: 'moto' });
    // Incomplete calls are moto's to refuse (ValidationError), as AWS would before any quota.
    if (roleName === undefined || policyName === undefined || document === undefined) return write();
    // Role names are unique case-insensitively.
    return roleWrites.run(roleName.toLowerCase(), async () => {
      const existing = authenticate
        ? (await directory.freshRole(roleName))?.inlinePolicies
        : await motoRoleInlinePolicies(opts.motoEndpoint, caller.accessKeyId, roleName);
      // No such role: moto answers NoSuchEntity.
      if (existing !== undefined && inlinePolicyTotalAfter(existing, { roleName, policyName, document }) > ROLE_INLINE_POLICY_QUOTA) {
        return { reply: errorToReply(awsErrorReply('query', 409, 'LimitExceeded', rolePolicyQuotaMessage(roleName))), servedBy: 'gateway' };
      }
      return write();
    });
  }

  /**
   * Keeps the directory current from the calls it sees (see moto-directory.ts): credentials in STS
   * answers, and IAM changes to keys, users and roles.
   */
  async function observe(info: AwsRequestInfo, reply: Reply, caller: MotoKey): Promise<void> {
    if (reply.status !== 200 || info.protocol !== 'query') return;
    const param = (k: string): string | undefined => (typeof info.params[k] === 'string' ? info.params[k] : undefined);
    if (info.service === 'sts') {
      const arnOf = STS_CREDENTIAL_ARN[info.action];
      if (arnOf === undefined) return;
      const text = reply.body.toString('utf8');
      const accessKeyId = xmlText(text, 'AccessKeyId');
      const secretAccessKey = xmlText(text, 'SecretAccessKey');
      const sessionToken = xmlText(text, 'SessionToken');
      const arn = arnOf === 'caller' ? caller.arn : arnOf.exec(text)?.[1];
      if (accessKeyId && secretAccessKey && sessionToken && arn) directory.learn({ accessKeyId, secretAccessKey, sessionToken, arn });
      return;
    }
    if (info.service !== 'iam') return;
    switch (info.action) {
      case 'CreateAccessKey':
        return directory.keyCreated();
      case 'UpdateAccessKey': {
        const id = param('AccessKeyId');
        const status = param('Status');
        if (id && (status === 'Active' || status === 'Inactive')) directory.keyStatusChanged(id, status);
        return;
      }
      case 'DeleteAccessKey': {
        const id = param('AccessKeyId');
        if (id) directory.keyDeleted(id);
        return;
      }
      case 'DeleteUser': {
        const name = param('UserName');
        if (name) await directory.userDeleted(name);
        return;
      }
      case 'CreateRole': {
        const name = param('RoleName');
        if (name) directory.roleCreated(name);
        return;
      }
      case 'DeleteRole': {
        const name = param('RoleName');
        if (name) directory.roleDeleted(name);
        return;
      }
      case 'UpdateUser': // renames change the ARN of the user's keys
      case 'UpdateRole':
      case 'UpdateAssumeRolePolicy':
        return directory.invalidate();
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

  /** Answers an authenticated call that no fault intercepted: the gateway's own SSM APIs, or moto. */
  async function serve(req: IncomingMessage, body: Buffer, info: AwsRequestInfo, caller: MotoKey): Promise<Served> {
    if (info.service === 'ssm' && SSM_LOCAL_ACTIONS.has(info.action)) {
      return { reply: serveSsm(info, caller), servedBy: 'gateway' };
    }
    const isAssumeRole = info.service === 'sts' && info.action === 'AssumeRole' && info.protocol === 'query';
    if (isAssumeRole && opts.enforceTrustPolicies !== false) {
      const refused = await checkAssumeRole(info, caller);
      if (refused) return { reply: refused, servedBy: 'gateway' };
    }
    const served: Served =
      info.service === 'iam' && info.action === 'PutRolePolicy' && info.protocol === 'query'
        ? await putRolePolicy(req, body, info, caller)
        : { reply: await forward(req, body), servedBy: 'moto' };
    if (served.servedBy !== 'moto') return served;
    const reply = jsonErrorOf(info, served.reply);
    await observe(info, reply, caller);
    return { reply: isAssumeRole ? addSourceIdentity(info, reply) : reply, servedBy: 'moto' };
  }

  async function handleAws(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const started = Date.now();
    const at = new Date(started).toISOString();
    const info = parseAwsRequest({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body });
    let reply: Reply;
    let servedBy: CallRecord['servedBy'] = 'gateway';
    let caller: string | undefined;
    let faultRule: CallRecord['fault'];
    try {
      // Authentication comes first, as in AWS: an unauthenticated call meets no fault and reaches no service.
      const auth = await authenticateRequest({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body }, info.accessKeyId, directory);
      if (!auth.ok) {
        reply = errorToReply(authRefusalReply(auth.reason, protocolFamily(info.service, info.protocol)));
      } else {
        caller = auth.key.arn;
        const decision: FaultDecision = faults.decide(info.service, info.action);
        if (decision.latencyMs > 0) await sleep(decision.latencyMs);
        const failure = decision.failure;
        const rule = failure ?? decision.latencyRule;
        if (rule) faultRule = { id: rule.id, kind: rule.kind };
        if (failure && failure.kind !== 'latency') {
          reply = errorToReply(faultReply(failure.kind, protocolOf(info)));
          servedBy = 'fault';
        } else {
          ({ reply, servedBy } = await serve(req, body, info, auth.key));
        }
      }
    } catch (err) {
      const message = `sandbox gateway could not serve the call: ${(err as Error).message}`;
      reply = errorToReply(awsErrorReply(protocolOf(info), 502, 'SandboxGatewayError', message));
      servedBy = 'gateway';
    }
    const error = reply.status >= 400 ? errorCodeOf(reply) : undefined;
    const rec = callLog.record({
      at,
      service: info.service,
      action: info.action,
      params: redactParams(info),
      caller,
      status: reply.status,
      ...(error !== undefined ? { error } : {}),
      ...(faultRule ? { fault: faultRule } : {}),
      servedBy,
      durationMs: Date.now() - started,
    });
    log(`#${rec.seq} ${info.service}:${info.action} → ${reply.status}${error ? ` ${error}` : ''}${rec.fault ? ` [fault ${rec.fault.kind}]` : ''}`);
    send(res, reply);
  }

  /** POST /_sandbox/sessions/<id>/stuck {"stuck": true|false}: see SsmSessions.setStuck. */
  function setSessionStuck(res: ServerResponse, rawId: string, body: Buffer): void {
    let sessionId: string;
    let parsed: unknown;
    try {
      sessionId = decodeURIComponent(rawId);
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return sendJson(res, 400, { error: 'the body must be JSON {"stuck": true|false} and the session id URL-encoded' });
    }
    const stuck = stuckBodySchema.safeParse(parsed);
    if (!stuck.success) return sendJson(res, 400, { error: 'the body must be exactly {"stuck": true|false}' });
    try {
      const session = sessions.setStuck(sessionId, stuck.data.stuck);
      log(`session ${session.SessionId} ${stuck.data.stuck ? 'is stuck' : 'is no longer stuck'}`);
      return sendJson(res, 200, { sessionId: session.SessionId, stuck: session.Stuck === true, status: session.Status });
    } catch (err) {
      if (err instanceof UnknownSessionError) return sendJson(res, 404, { error: err.message, code: err.code });
      throw err;
    }
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
        return sendJson(res, 200, { sessions: sessions.all().map(controlView) });
      default: {
        const stuck = req.method === 'POST' ? SESSION_PATH.exec(url.pathname.replace(/\/+$/, '')) : null;
        if (stuck) return setSessionStuck(res, stuck[1] ?? '', body);
        return sendJson(res, 404, { error: `no sandbox route ${route}` });
      }
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

/** A session as the control API shows it: the AWS wire form plus whether it is stuck. */
function controlView(s: SsmSession): Record<string, unknown> {
  return { ...sessionToWire(s), ...(s.Stuck === true ? { Stuck: true } : {}) };
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
