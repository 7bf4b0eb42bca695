// The Bolt app: HTTP receiver (signature verified, requests older than 5 minutes refused — Bolt's
// verifySlackRequest — and requests dated more than 5 minutes ahead refused here) by default, Socket
// Mode when an app-level token is configured. Every listener acks first; see listeners/.
import type { IncomingMessage, RequestListener } from 'node:http';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { Logger as BoltLogger, ReceiverEvent } from '@slack/bolt';
import type { Logger } from 'pino';
import { slackApiBase } from '../activities/slack/client';
import { slackMetrics, slackPayloadType } from '../shared/ops/metrics';
import type { SlackMetrics } from '../shared/ops/metrics';
import { within } from '../shared/ops/shutdown';
import { ephemeral } from '../shared/slack-blocks/messages';
import { listenerContext, tellUser } from './context';
import type { SlackAppDeps } from './context';
import * as breakglass from './areas/breakglass';
import * as reviews from './areas/reviews';
import * as runbooks from './areas/runbooks';
import * as runbookConfirm from './areas/runbook-confirm';

/** Every Slack area: each registers its listeners and says which action ids and views are its. */
const SLACK_AREAS = [breakglass, runbooks, runbookConfirm, reviews];

export interface SlackAppOptions {
  botToken: string;
  signingSecret?: string;
  appToken?: string;
  /** Web API base URL; the fake Slack in tests. */
  slackApiUrl?: string;
  port?: number;
}

export interface SlackApp {
  app: App;
  mode: 'http' | 'socket';
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Graceful stop: stops receiving (HTTP: no new connections; Socket Mode: new events are left
   * unacknowledged, so Slack delivers them again to another connection), lets in-flight events finish
   * (their acks and the work after them) within `graceMs`, then stops the receiver.
   */
  shutdown(opts: { graceMs: number }): Promise<void>;
}

/** Where the HTTP receiver puts a request's arrival time for the ack timer (a Bolt custom property). */
const RECEIVED_AT = 'safeguardReceivedAtMs';

export function createSlackApp(opts: SlackAppOptions, deps: SlackAppDeps): SlackApp {
  const logger = boltLogger(deps.logger);
  // Interactive paths may retry once; the worker's notifier leaves retries to Temporal.
  const clientOptions = { slackApiUrl: slackApiBase(opts.slackApiUrl), retryConfig: { retries: 1, maxTimeout: 1000 }, rejectRateLimitedCalls: true, timeout: 5000 };
  const socket = opts.appToken !== undefined;
  const metrics = deps.metrics ?? slackMetrics();
  // Arrival times of HTTP requests, read back through Bolt's custom properties.
  const receivedAt = new WeakMap<IncomingMessage, number>();
  let app: App;
  if (socket) {
    app = new App({ token: opts.botToken, appToken: opts.appToken, socketMode: true, logger, clientOptions });
  } else {
    if (!opts.signingSecret) throw new Error('a signing secret is required for the HTTP receiver');
    const receiver = new HTTPReceiver({
      signingSecret: opts.signingSecret,
      endpoints: ['/slack/events'],
      // ack() answers Slack at once; the listener's work continues after the response.
      processBeforeResponse: false,
      logger,
      customPropertiesExtractor: (req) => ({ [RECEIVED_AT]: receivedAt.get(req) ?? Date.now() }),
      customRoutes: [{ path: '/healthz', method: ['GET'], handler: (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"ok":true}'); } }],
      // A request no listener acknowledged (a payload of no known type): a clean 400, not a 3 s hang then 404.
      unhandledRequestTimeoutMillis: 2500,
      unhandledRequestHandler: ({ response }) => {
        if (!response.headersSent) {
          response.writeHead(400, { 'content-type': 'application/json' });
          response.end('{"ok":false,"error":"unhandled_request"}');
        }
      },
    });
    // Wrapped before start(): HTTPReceiver's server calls `this.requestListener` per request.
    const refusing = refuseFutureSlackRequests(receiver.requestListener, {
      onRefused: (aheadS) => deps.logger.warn({ aheadS }, 'slack request refused: its timestamp is in the future'),
    });
    receiver.requestListener = (req, res) => {
      receivedAt.set(req, Date.now());
      return refusing(req, res);
    };
    app = new App({ receiver, token: opts.botToken, logger, clientOptions });
  }
  const ctx = listenerContext(deps);
  let draining = false;
  const events = trackEvents(app, metrics, () => draining && socket);

  // Workspace pinning and unknown interactions, before any listener.
  app.use(async (args) => {
    const body = args.body as unknown as Record<string, unknown>;
    const team = (body['team_id'] ?? (body['team'] as { id?: unknown } | undefined)?.id) as unknown;
    const ack = 'ack' in args && typeof args.ack === 'function' ? (args.ack as (r?: unknown) => Promise<void>) : undefined;
    if (deps.teamId && typeof team === 'string' && team !== deps.teamId) {
      if (ack) await ack(ephemeral('This Safeguard app serves another workspace; nothing was done.'));
      return;
    }
    if (body['type'] === 'block_actions') {
      const actions = body['actions'];
      const id = Array.isArray(actions) ? (actions[0] as { action_id?: unknown } | undefined)?.action_id : undefined;
      if (typeof id !== 'string' || !SLACK_AREAS.some((a) => a.knows.action(id))) {
        if (ack) await ack();
        const user = (body['user'] as { id?: unknown } | undefined)?.id;
        const channel = (body['channel'] as { id?: unknown } | undefined)?.id;
        if (typeof user === 'string') {
          await tellUser(args.client, { channel: typeof channel === 'string' ? channel : undefined, user }, 'That button is not one Safeguard knows; nothing was changed.').catch(() => undefined);
        }
        return;
      }
    }
    if (body['type'] === 'view_submission' || body['type'] === 'view_closed') {
      const cb = (body['view'] as { callback_id?: unknown } | undefined)?.callback_id;
      if (typeof cb !== 'string' || !SLACK_AREAS.some((a) => a.knows.view(cb))) {
        if (ack) await ack();
        return;
      }
    }
    await args.next();
  });

  for (const area of SLACK_AREAS) area.register(app, ctx);

  app.error(async (err) => {
    deps.logger.error({ err: { message: err.message, code: (err as { code?: unknown }).code } }, 'slack listener failed');
  });

  return {
    app,
    mode: socket ? 'socket' : 'http',
    async start() {
      if (socket) await app.start();
      else await app.start(opts.port ?? 3000);
    },
    async stop() {
      await app.stop();
    },
    async shutdown({ graceMs }) {
      draining = true;
      // HTTP: the server stops accepting now; requests already received go on and are answered.
      // (Settled into a result at once: a rejection must not go unhandled while the drain waits.)
      const stopped = socket ? undefined : app.stop().then(() => undefined, (err: unknown) => err);
      await within(events.idle(), graceMs, undefined);
      // Socket Mode: the socket stays open until the in-flight acks are sent.
      const failed = await within(stopped ?? app.stop().then(() => undefined, (err: unknown) => err), 1000, undefined);
      if (failed !== undefined) throw failed;
    },
  };
}

/**
 * Every event Bolt processes passes here: the time from its arrival to its ack is observed (HTTP:
 * arrival at the server; Socket Mode: arrival of the envelope), and events in flight are counted so a
 * shutdown can wait for them. `dropping()`: leave new events unacknowledged (Socket Mode, draining).
 */
function trackEvents(app: App, metrics: SlackMetrics, dropping: () => boolean): { idle(): Promise<void> } {
  let inFlight = 0;
  let waiters: Array<() => void> = [];
  const processEvent = app.processEvent.bind(app);
  app.processEvent = async (event: ReceiverEvent): Promise<void> => {
    if (dropping()) return;
    const arrived = event.customProperties?.[RECEIVED_AT];
    const start = typeof arrived === 'number' ? arrived : Date.now();
    const type = slackPayloadType(event.body);
    let observed = false;
    const ack: ReceiverEvent['ack'] = async (response) => {
      try {
        await event.ack(response);
      } finally {
        if (!observed) {
          observed = true;
          metrics.ackDuration.observe({ type }, (Date.now() - start) / 1000);
        }
      }
    };
    inFlight += 1;
    try {
      await processEvent({ ...event, ack });
    } finally {
      inFlight -= 1;
      if (inFlight === 0) {
        for (const w of waiters) w();
        waiters = [];
      }
    }
  };
  return { idle: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => waiters.push(r))) };
}

/** How far ahead of this host's clock a Slack request timestamp may be; Slack's own rule is ±5 minutes. */
export const MAX_FUTURE_SKEW_S = 300;

/**
 * Bolt's verifySlackRequest refuses requests older than 5 minutes but accepts any timestamp in the
 * future, so a request signed with a future timestamp (a leaked signing secret, or a captured request
 * from a sender whose clock ran ahead) would stay replayable until that time had passed. This answers
 * 401 to any request dated more than MAX_FUTURE_SKEW_S ahead, before Bolt reads it; everything else,
 * stale requests included, goes to Bolt unchanged.
 */
export function refuseFutureSlackRequests(next: RequestListener, opts: { now?: () => number; onRefused?: (aheadS: number) => void } = {}): RequestListener {
  return (req, res) => {
    const header = req.headers['x-slack-request-timestamp'];
    const ts = typeof header === 'string' && /^\d{1,12}$/.test(header.trim()) ? Number(header) : undefined;
    const aheadS = ts === undefined ? 0 : ts - Math.floor((opts.now?.() ?? Date.now()) / 1000);
    if (aheadS > MAX_FUTURE_SKEW_S) {
      opts.onRefused?.(aheadS);
      res.writeHead(401, { connection: 'close' });
      res.end();
      return;
    }
    return next(req, res);
  };
}

/** Bolt's logger interface over pino (Bolt logs request details at debug only). */
function boltLogger(base: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const log = base.child({ component: 'bolt' });
  return {
    debug: (...m: unknown[]) => log.debug(m.map(String).join(' ')),
    info: (...m: unknown[]) => log.info(m.map(String).join(' ')),
    warn: (...m: unknown[]) => log.warn(m.map(String).join(' ')),
    error: (...m: unknown[]) => log.error(m.map(String).join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
