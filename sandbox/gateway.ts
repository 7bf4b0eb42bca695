// The sandbox gateway: an HTTP server on loopback in front of moto that authenticates every AWS
// call as AWS would (moto, with its own authentication off, accepts any signature and Inactive or
// deleted keys; it also accepts a key the instant CreateAccessKey returns it, where IAM needs a few
// seconds to propagate), injects faults on demand, records every call, and routes each call to the
// module for its service under services/ (what moto lacks or gets wrong: SSM sessions, trust
// policies, the role inline-policy quota, KMS rotation, Secrets Manager's AWSCURRENT, CloudTrail's
// LookupEvents over the calls the gateway saw, S3 Object Lock's retention rules, IAM's credential report and listing pages, …); a
// call no module takes goes to moto unchanged. A call the gateway answers itself still counts as a
// use of its key (IAM's last-used date, region and service), as moto counts the calls it answers.
// Control endpoints live under /_sandbox/ (see handleControl); they and the console federation
// endpoint are not AWS calls and are not signed. POST /_sandbox/cloudtrail/console-logins records a
// console sign-in (root's or an IAM user's, succeeded or failed, with or without MFA) that
// cloudtrail:LookupEvents then returns in that account's event history (console-logins.ts).

import { handleFederation, isFederationRequest } from './federation';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { maskAccessKeyId, parseAwsRequest, redactParams } from './aws-request';
import type { AwsProtocol, AwsRequestInfo } from './aws-request';
import { authRefusalReply, protocolFamily } from './auth-refusal';
import { CallLog } from './call-log';
import { CallTrail } from './call-trail';
import { ConsoleLoginValidationError, consoleLoginTrailInput, parseConsoleLogin } from './console-logins';
import type { CallFilter, CallRecord } from './call-log';
import { CONSUMER_MODES, UnknownConsumerError } from './consumers';
import type { ConsumerMode, ConsumerRegistry } from './consumers';
import { FaultRules, FaultValidationError, awsErrorReply, faultReply, parseFaultRule } from './faults';
import type { FaultDecision } from './faults';
import { KeyPropagation } from './key-propagation';
import { KeyedLock } from './keyed-lock';
import { IamAgesValidationError, RootAccounts, parseIamAges } from './iam-ages';
import { IamPrincipalsValidationError, parseBulkPrincipals } from './iam-principals';
import { MotoHookError, MotoHooks } from './moto-hooks';
import { MotoDirectory } from './moto-directory';
import { MotoForwarder } from './moto-forward';
import { xmlText } from './moto-query';
import { authenticateRequest } from './request-auth';
import { SsmSessions, UnknownSessionError, sessionToWire } from './ssm-sessions';
import type { SsmSession } from './ssm-sessions';
import { sleep } from './net';
import { cloudTrailService } from './services/cloudtrail';
import { iamService } from './services/iam';
import { kmsService } from './services/kms';
import { secretsManagerService } from './services/secretsmanager';
import { ssmService } from './services/ssm';
import { ssoAdminService } from './services/sso-admin';
import { s3Service } from './services/s3';
import { rdsService } from './services/rds';
import { dynamoDbService } from './services/dynamodb';
import type { DynamoServiceOptions, RegisterTableOptions } from './services/dynamodb';
import { backupService } from './services/backup';
import type { BackupServiceOptions, StartBackupJobInput } from './services/backup';
import type { MotoKey } from './moto-directory';
import type { RdsSandbox, RdsSandboxOptions } from './services/rds';
import { SsmCommands } from './ssm-commands';
import { VALIDATE_RESTORE_DOCUMENT, validateRestoreRunner } from './validate-restore';
import { stsService } from './services/sts';
import { errorToReply } from './services/types';
import type { AwsCall, Handled, Reply, ServiceContext, ServiceHandler } from './services/types';
import type { ReceivedRequest } from './sigv4-verify';

export type { Reply } from './services/types';

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
  /**
   * How long a key created through the gateway (iam:CreateAccessKey) is refused as unknown
   * (InvalidClientTokenId), as IAM does until a new key has propagated. Default 0 (usable at once).
   */
  newKeyDelayMs?: number;
  /** How long a KMS on-demand rotation stays in progress (ConflictException meanwhile). Default 3000 ms. */
  kmsOnDemandRotationMs?: number;
  /** RDS timings: creating, restoring, deleting, the LatestRestorableTime lag, the seeded sources' writer (services/rds.ts RDS_DEFAULTS). */
  rds?: RdsSandboxOptions;
  /** How long an SSM Run Command stays InProgress before its invocations end. Default 1000 ms. */
  ssmCommandMs?: number;
  /** DynamoDB timings: creatingMs 2000, deletingMs 1000, writerIntervalMs 1000 (services/dynamodb.ts). */
  dynamodb?: DynamoServiceOptions;
  /** AWS Backup timings: restoreStartMs 500, how long a restore job stays PENDING (services/backup.ts). */
  backup?: BackupServiceOptions;
  /**
   * How long generating an account's first IAM credential report takes: GetCredentialReport answers
   * ReportInProgress meanwhile, as in AWS. Default 0 (ready when GenerateCredentialReport answers).
   */
  credentialReportMs?: number;
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
  /** The simulated key consumers the control API lists and steers (consumers.ts). */
  setConsumers(consumers: ConsumerRegistry): void;
  /** Answers for moto's KMS key `motoKeyId` under `visibleKeyId` (a key id the policy chose). */
  registerKmsKeyId(visibleKeyId: string, motoKeyId: string): void;
  /** RDS status, restore points and database content (services/rds.ts, rds-data.ts). */
  rds: RdsSandbox;
  /** SSM Run Command (ssm-commands.ts). */
  commands: SsmCommands;
  /** A seeded DynamoDB table: its items journaled as written at their `ts`, and a writer (services/dynamodb.ts). */
  registerDynamoTable(name: string, opts: RegisterTableOptions): Promise<void>;
  /** An AWS Backup recovery point made without a logged call (the seed's); its ARN (services/backup.ts). */
  startBackupJob(as: MotoKey, input: StartBackupJobInput): Promise<string>;
  stop(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;
const SESSION_PATH = /^\/_sandbox\/sessions\/([^/]+)\/stuck$/;
const CONSUMER_PATH = /^\/_sandbox\/consumers\/([^/]+)\/mode$/;
const AGES_PATH = '/_sandbox/iam/ages';
const PRINCIPALS_PATH = '/_sandbox/iam/principals';
const CONSOLE_LOGINS_PATH = '/_sandbox/cloudtrail/console-logins';
const stuckBodySchema = z.object({ stuck: z.boolean() }).strict();
const modeBodySchema = z.object({ mode: z.enum(CONSUMER_MODES as [ConsumerMode, ...ConsumerMode[]]) }).strict();

interface Served {
  reply: Reply;
  servedBy: CallRecord['servedBy'];
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const log = opts.log ?? (() => undefined);
  const region = opts.region ?? 'us-east-1';
  const callLog = new CallLog();
  // Full access key ids for cloudtrail:LookupEvents only (the call log masks them): see call-trail.ts.
  const trail = new CallTrail();
  const faults = new FaultRules();
  const sessions = new SsmSessions({ instances: opts.instances ?? [], region });
  const authenticate = opts.authenticate === true;
  const directory = new MotoDirectory(opts.motoEndpoint);
  const propagation = new KeyPropagation(opts.newKeyDelayMs ?? 0);
  const moto = new MotoForwarder(opts.motoEndpoint);
  const kms = kmsService(opts.kmsOnDemandRotationMs !== undefined ? { onDemandRotationMs: opts.kmsOnDemandRotationMs } : {});
  const rds = rdsService(opts.rds ?? {});
  const commands = new SsmCommands({
    isManaged: (id) => sessions.isManaged(id),
    ...(opts.ssmCommandMs !== undefined ? { runMs: opts.ssmCommandMs } : {}),
    runners: { [VALIDATE_RESTORE_DOCUMENT]: validateRestoreRunner(rds, region) },
  });
  const dynamodb = dynamoDbService(opts.dynamodb ?? {});
  const backup = backupService(opts.backup ?? {});
  const hooks = new MotoHooks(opts.motoEndpoint);
  const roots = new RootAccounts();
  let consumers: ConsumerRegistry | undefined;

  const services = new Map<string, ServiceHandler>(
    [
      iamService({
        directory,
        propagation,
        roleWrites: new KeyedLock(),
        hooks,
        roots,
        ...(opts.credentialReportMs !== undefined ? { credentialReportMs: opts.credentialReportMs } : {}),
      }),
      stsService({ directory, enforceTrustPolicies: opts.enforceTrustPolicies !== false }),
      ssmService(sessions, commands),
      rds,
      dynamodb,
      backup,
      kms,
      secretsManagerService(),
      cloudTrailService(trail),
      ssoAdminService(),
      s3Service(),
    ].map((s) => [s.service, s]),
  );

  const context: ServiceContext = {
    motoEndpoint: opts.motoEndpoint,
    authenticate,
    region,
    forward: (call, body) =>
      body === undefined ? moto.forward(call.request) : moto.forwardResigned(call.request, body, call.caller, call.info.service, call.info.region ?? region),
    motoJson: (as, service, target, params) => moto.json(as, service, region, target, params),
    invoke: async (as, r) => {
      const request = await moto.signedRequest(as, r.service, region, r.method, r.url, r.headers, Buffer.from(r.body));
      return (await serve({ info: parseAwsRequest(request), request, caller: as })).reply;
    },
    log,
    now: Date.now,
  };

  /** Answers an authenticated call that no fault intercepted: its service's module, or moto. */
  async function serve(call: AwsCall): Promise<Served> {
    const handler = services.get(call.info.service);
    const handled: Handled = (await handler?.handle(context, call)) ?? { reply: await context.forward(call), servedBy: 'moto' };
    if (handled.servedBy !== 'moto') return handled;
    const reply = jsonErrorOf(call.info, handled.reply);
    return { reply: handler?.afterMoto ? await handler.afterMoto(context, call, reply) : reply, servedBy: 'moto' };
  }

  async function handleAws(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const started = Date.now();
    const at = new Date(started).toISOString();
    const request: ReceivedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body };
    const info = parseAwsRequest(request);
    let reply: Reply;
    let servedBy: CallRecord['servedBy'] = 'gateway';
    let caller: string | undefined;
    let faultRule: CallRecord['fault'];
    try {
      // Authentication comes first, as in AWS: an unauthenticated call meets no fault and reaches
      // no service. A key IAM has not propagated yet is one AWS does not know, whatever the signature.
      const auth =
        info.accessKeyId !== undefined && propagation.pending(info.accessKeyId)
          ? ({ ok: false, reason: 'unknown-key' } as const)
          : await authenticateRequest(request, info.accessKeyId, directory);
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
          ({ reply, servedBy } = await serve({ info, request, caller: auth.key }));
          if (servedBy === 'gateway') await keyUsed(auth.key.accessKeyId, info.service, info.region ?? region);
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
    if (info.accessKeyId !== undefined && info.service !== 'unknown') {
      const principalArn = caller ?? directory.ownerOf(info.accessKeyId);
      const rid = requestIdOf(reply);
      const userAgent = req.headers['user-agent'];
      const sourceIp = req.socket.remoteAddress?.replace(/^::ffff:/, '');
      trail.record({
        seq: rec.seq,
        at: started,
        service: info.service,
        action: info.action,
        region: info.region ?? region,
        accessKeyId: info.accessKeyId,
        ...(principalArn !== undefined ? { principalArn } : {}),
        ...(error !== undefined ? { errorCode: error, errorMessage: errorMessageOf(reply) ?? error } : {}),
        ...(rid !== undefined ? { requestId: rid } : {}),
        ...(sourceIp !== undefined ? { sourceIp } : {}),
        ...(userAgent !== undefined ? { userAgent } : {}),
        requestParameters: rec.params,
      });
    }
    log(`#${rec.seq} ${info.service}:${info.action} → ${reply.status}${error ? ` ${error}` : ''}${rec.fault ? ` [fault ${rec.fault.kind}]` : ''}`);
    send(res, reply);
  }

  /**
   * moto records a key's last use (date, service, region) for the calls it answers; a call the
   * gateway answered itself must count too, or a key used only for, say, SSM sessions would look
   * unused to an access review. Never fails the call: the use is lost, and logged.
   */
  async function keyUsed(accessKeyId: string, service: string, callRegion: string): Promise<void> {
    try {
      await hooks.keyUsed(accessKeyId, service, callRegion);
    } catch (err) {
      log(`could not record a use of ${maskAccessKeyId(accessKeyId)}: ${(err as Error).message}`);
    }
  }

  /** A JSON body, or undefined after answering 400 with `error`. */
  function jsonBody(res: ServerResponse, body: Buffer, error: string): { value: unknown } | undefined {
    try {
      return { value: JSON.parse(body.toString('utf8')) as unknown };
    } catch {
      sendJson(res, 400, { error });
      return undefined;
    }
  }

  /**
   * POST /_sandbox/iam/ages: time travel (iam-ages.ts). Keys, users and roles are changed in moto,
   * all or none (404 when one does not exist); root users here.
   */
  async function setIamAges(res: ServerResponse, body: Buffer): Promise<void> {
    const json = jsonBody(res, body, 'the body must be JSON: an override object or an array of them');
    if (!json) return;
    try {
      const parsed = parseIamAges(json.value, { now: Date.now(), defaultRegion: region });
      if (parsed.overrides.length > 0) await hooks.applyAges(parsed.overrides);
      const root = parsed.root.map((o) => ({ accountId: o.accountId, ...roots.apply(o, Date.now()) }));
      log(`iam ages: ${parsed.overrides.length} override(s) in moto, ${root.length} root change(s)`);
      return sendJson(res, 200, { applied: parsed.overrides.length + parsed.root.length, root });
    } catch (err) {
      if (err instanceof IamAgesValidationError) return sendJson(res, 400, { error: err.message });
      if (err instanceof MotoHookError) return sendJson(res, err.status, { error: err.message });
      throw err;
    }
  }

  /** DELETE /_sandbox/iam/ages[?accountId=A]: every override undone (dates a real use replaced since are kept). */
  async function clearIamAges(res: ServerResponse, accountId: string | null): Promise<void> {
    if (accountId !== null && !/^\d{12}$/.test(accountId)) return sendJson(res, 400, { error: `accountId must be a 12-digit account id, got "${accountId}"` });
    const cleared = (await hooks.clearAges(accountId ?? undefined)) + roots.clear(accountId ?? undefined);
    return sendJson(res, 200, { cleared });
  }

  /** POST /_sandbox/iam/principals: bulk creation in one account (iam-principals.ts); not AWS calls, not logged. */
  async function createPrincipals(res: ServerResponse, body: Buffer): Promise<void> {
    const json = jsonBody(res, body, 'the body must be JSON: {"accountId", "groups", "users", "roles"}');
    if (!json) return;
    try {
      const created = await hooks.createPrincipals(parseBulkPrincipals(json.value));
      // New keys: the directory must read moto again before it refuses one as unknown.
      directory.keyCreated();
      log(`created ${created.users.length} user(s), ${created.roles.length} role(s), ${created.groups.length} group(s) in ${created.accountId}`);
      return sendJson(res, 200, created);
    } catch (err) {
      if (err instanceof IamPrincipalsValidationError) return sendJson(res, 400, { error: err.message });
      if (err instanceof MotoHookError) return sendJson(res, err.status, { error: err.message });
      throw err;
    }
  }

  /**
   * POST /_sandbox/cloudtrail/console-logins: a console sign-in in the trail (console-logins.ts),
   * which never passes the gateway; not an AWS call, not in the call log.
   */
  function recordConsoleLogin(res: ServerResponse, body: Buffer): void {
    const json = jsonBody(res, body, 'the body must be JSON: {"accountId", "user", "at", "sourceIp", "mfaUsed", "success"}');
    if (!json) return;
    try {
      const login = parseConsoleLogin(json.value, { now: Date.now() });
      const entry = trail.record(consoleLoginTrailInput(login));
      const eventTime = new Date(entry.time).toISOString();
      log(`console sign-in recorded: ${login.user} in ${login.accountId} at ${eventTime} (${login.success ? 'success' : 'failure'}, MFA ${login.mfaUsed ? 'used' : 'not used'})`);
      return sendJson(res, 200, { eventId: entry.eventId, eventTime });
    } catch (err) {
      if (err instanceof ConsoleLoginValidationError) return sendJson(res, 400, { error: err.message });
      throw err;
    }
  }

  /** A JSON control body, or undefined after answering 400 with `error`. */
  function controlBody<T>(res: ServerResponse, body: Buffer, schema: z.ZodType<T>, error: string): T | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      sendJson(res, 400, { error });
      return undefined;
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      sendJson(res, 400, { error });
      return undefined;
    }
    return result.data;
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

  /** POST /_sandbox/consumers/<userName>/mode {"mode": "stuck"|"switching"}: see Consumers.setMode. */
  function setConsumerMode(res: ServerResponse, rawName: string, body: Buffer): void {
    let userName: string;
    try {
      userName = decodeURIComponent(rawName);
    } catch {
      return sendJson(res, 400, { error: 'the user name must be URL-encoded' });
    }
    const parsed = controlBody(res, body, modeBodySchema, 'the body must be exactly {"mode": "stuck"|"switching"}');
    if (!parsed) return;
    try {
      if (!consumers) throw new UnknownConsumerError(userName);
      return sendJson(res, 200, { consumer: consumers.setMode(userName, parsed.mode) });
    } catch (err) {
      if (err instanceof UnknownConsumerError) return sendJson(res, 404, { error: err.message, code: err.code });
      throw err;
    }
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const pathname = url.pathname.replace(/\/+$/, '');
    const route = `${req.method ?? 'GET'} ${pathname}`;
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
      case 'GET /_sandbox/consumers':
        return sendJson(res, 200, { consumers: consumers?.list() ?? [] });
      case `POST ${AGES_PATH}`:
        return setIamAges(res, body);
      case `GET ${AGES_PATH}`:
        return sendJson(res, 200, { overrides: await hooks.listAges(), root: roots.list() });
      case `DELETE ${AGES_PATH}`:
        return clearIamAges(res, url.searchParams.get('accountId'));
      case `POST ${PRINCIPALS_PATH}`:
        return createPrincipals(res, body);
      case `POST ${CONSOLE_LOGINS_PATH}`:
        return recordConsoleLogin(res, body);
      default: {
        const rdsRoute = pathname.startsWith('/_sandbox/rds/') ? rds.control(req.method ?? 'GET', pathname, body) : undefined;
        if (rdsRoute) return sendJson(res, rdsRoute.status, rdsRoute.body);
        if (req.method === 'POST') {
          const stuck = SESSION_PATH.exec(pathname);
          if (stuck) return setSessionStuck(res, stuck[1] ?? '', body);
          const mode = CONSUMER_PATH.exec(pathname);
          if (mode) return setConsumerMode(res, mode[1] ?? '', body);
        }
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
    setConsumers: (c) => {
      consumers = c;
    },
    registerKmsKeyId: (visible, motoId) => kms.registerKeyId(visible, motoId),
    rds,
    commands,
    registerDynamoTable: (name, o) => dynamodb.registerTable(context, name, o),
    startBackupJob: (as, input) => backup.startBackupJob(context, as, input),
    stop: () =>
      new Promise<void>((resolve) => {
        rds.stop();
        dynamodb.stop();
        backup.stop();
        server.close(() => resolve());
        server.closeAllConnections();
        moto.destroy();
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

/** The message of a failed response (query XML `<Message>`, JSON `message`/`Message`). */
export function errorMessageOf(reply: { body: Buffer }): string | undefined {
  const text = reply.body.toString('utf8');
  if (text.trimStart().startsWith('<')) return xmlText(text, 'Message');
  try {
    const json = JSON.parse(text) as { message?: unknown; Message?: unknown };
    const m = typeof json.message === 'string' ? json.message : json.Message;
    return typeof m === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** The request id AWS (or moto, or the gateway) gave an answer, from its headers or XML body. */
function requestIdOf(reply: Reply): string | undefined {
  for (const h of ['x-amzn-requestid', 'x-amz-request-id']) {
    const v = reply.headers[h];
    const id = Array.isArray(v) ? v[0] : v;
    if (id) return id;
  }
  const type = reply.headers['content-type'];
  if (!String(type ?? '').includes('xml') && !reply.body.subarray(0, 64).toString('utf8').trimStart().startsWith('<')) return undefined;
  return xmlText(reply.body.toString('utf8'), 'RequestId');
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
