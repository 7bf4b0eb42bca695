// A fake Slack Web API on loopback for tests and the benchmark: records every call (method from
// /api/<method>, form or JSON body, token), answers ok with plausible shapes, and injects faults
// (429 with Retry-After, or 5xx) for the next N calls or for a while. Requests to any other path
// (response_url targets such as /response/<id>) are recorded with method `response_url`.
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';

export interface FakeSlackCall {
  seq: number;
  at: number;
  method: string;
  path: string;
  token?: string;
  /** Body fields; JSON-encoded form fields (blocks, view…) are decoded. */
  body: Record<string, unknown>;
  /** The status the fake answered. */
  status: number;
}

export interface Fault {
  status: number;
  retryAfterSec?: number;
  /** Only these methods fail (default: every /api/ method). */
  methods?: string[];
}

export class FakeSlack {
  readonly calls: FakeSlackCall[] = [];
  private server?: http.Server;
  private seq = 0;
  private tsCounter = 0;
  private failNextCount = 0;
  private failNextFault?: Fault;
  private failUntil = 0;
  private failUntilFault?: Fault;
  private waiters: Array<() => void> = [];
  url = '';

  /** Web API base URL for WebClient (`slackApiUrl`), with the trailing slash. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The next `n` API calls fail with `fault`. */
  failNext(n: number, fault: Fault): void {
    this.failNextCount = n;
    this.failNextFault = fault;
  }

  /** Every API call fails with `fault` for `ms` from now. */
  failFor(ms: number, fault: Fault): void {
    this.failUntil = Date.now() + ms;
    this.failUntilFault = fault;
  }

  clearFaults(): void {
    this.failNextCount = 0;
    this.failUntil = 0;
  }

  reset(): void {
    this.calls.length = 0;
    this.clearFaults();
  }

  /** Successful calls of one method, optionally filtered. */
  ok(method: string, pred: (c: FakeSlackCall) => boolean = () => true): FakeSlackCall[] {
    return this.calls.filter((c) => c.method === method && c.status === 200 && pred(c));
  }

  /** Resolves when `pred` holds over the recorded calls, or rejects after `timeoutMs`. */
  async waitFor<T>(pred: () => T | undefined | false, timeoutMs = 30_000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = pred();
      if (v) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`fake Slack: timed out waiting for ${what}; calls so far: ${this.calls.map((c) => c.method).join(', ')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  private fault(method: string): Fault | undefined {
    const applies = (f: Fault | undefined) => f !== undefined && (!f.methods || f.methods.includes(method));
    if (this.failNextCount > 0 && applies(this.failNextFault)) {
      this.failNextCount--;
      return this.failNextFault;
    }
    if (Date.now() < this.failUntil && applies(this.failUntilFault)) return this.failUntilFault;
    return undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const m = /^\/api\/([\w.]+)$/.exec(path);
    const method = m?.[1] ?? 'response_url';
    const body = decodeBody(raw, String(req.headers['content-type'] ?? ''));
    const auth = String(req.headers.authorization ?? '');
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : typeof body['token'] === 'string' ? body['token'] : undefined;
    const fault = m ? this.fault(method) : undefined;
    const call: FakeSlackCall = { seq: ++this.seq, at: Date.now(), method, path, body, status: fault?.status ?? 200, ...(token ? { token } : {}) };
    this.calls.push(call);
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w();
    if (fault) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.retryAfterSec !== undefined) headers['retry-after'] = String(fault.retryAfterSec);
      res.writeHead(fault.status, headers);
      res.end(JSON.stringify({ ok: false, error: fault.status === 429 ? 'ratelimited' : 'internal_error' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(this.answer(method, body)));
  }

  private answer(method: string, body: Record<string, unknown>): Record<string, unknown> {
    const channel = typeof body['channel'] === 'string' ? body['channel'] : 'C0FAKE';
    // Posting to a user id opens the DM, as Slack does: the answer names the D… channel.
    const dmChannel = /^[UW]/.test(channel) ? `D${channel.slice(1)}` : channel;
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://fake.slack.test/', team: 'Fake', user: 'safeguard', team_id: 'T0FAKE', user_id: 'U0SAFEGUARD', bot_id: 'B0SAFEGUARD' };
      case 'chat.postMessage': {
        const ts = this.nextTs();
        return { ok: true, channel: dmChannel, ts, message: { ts, text: body['text'], blocks: body['blocks'] } };
      }
      case 'chat.update':
        return { ok: true, channel, ts: body['ts'], text: body['text'] };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: this.nextTs() };
      case 'views.open':
      case 'views.publish':
      case 'views.update':
      case 'views.push':
        return { ok: true, view: { id: `V${String(this.seq).padStart(8, '0')}`, ...(typeof body['view'] === 'object' ? (body['view'] as object) : {}) } };
      case 'conversations.open':
        return { ok: true, channel: { id: `D${String(body['users'] ?? 'X').slice(1)}` } };
      case 'response_url':
        return { ok: true };
      default:
        return { ok: true };
    }
  }

  private nextTs(): string {
    this.tsCounter++;
    return `${Math.floor(Date.now() / 1000)}.${String(this.tsCounter).padStart(6, '0')}`;
  }
}

function decodeBody(raw: string, contentType: string): Record<string, unknown> {
  if (raw === '') return {};
  if (contentType.includes('application/json')) {
    try {
      const v = JSON.parse(raw) as unknown;
      return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : { value: v };
    } catch {
      return { raw };
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parseQuery(raw))) {
    const s = Array.isArray(v) ? v[0] : v;
    if (typeof s !== 'string') continue;
    out[k] = /^[[{]/.test(s) ? tryJson(s) : s;
  }
  return out;
}

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const f = new FakeSlack();
  await f.start();
  return f;
}

// Correctly signed Slack requests (v0 HMAC-SHA256 of `v0:<ts>:<body>`), as Slack sends them to the
// app's HTTP endpoint: slash commands (form), interactions (form field `payload` = JSON), events (JSON).

export interface SignedResponse {
  status: number;
  body: string;
  ms: number;
}

export function sign(secret: string, ts: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
}

export interface SendOptions {
  secret: string;
  /** Seconds since the epoch; default now. */
  ts?: number;
  signature?: string;
  retryNum?: number;
  contentType?: string;
}

export async function sendSigned(url: string, body: string, o: SendOptions): Promise<SignedResponse> {
  const ts = o.ts ?? Math.floor(Date.now() / 1000);
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': o.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': o.signature ?? sign(o.secret, ts, body),
      ...(o.retryNum !== undefined ? { 'x-slack-retry-num': String(o.retryNum), 'x-slack-retry-reason': 'http_timeout' } : {}),
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text, ms: performance.now() - started };
}

export function triggerId(): string {
  return `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(8).toString('hex')}`;
}

export function commandBody(p: { user: string; text: string; responseUrl: string; team?: string; channel?: string; trigger?: string }): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: p.team ?? 'T0FAKE',
    team_domain: 'fake',
    channel_id: p.channel ?? 'C0GENERAL',
    channel_name: 'general',
    user_id: p.user,
    user_name: p.user.toLowerCase(),
    command: '/breakglass',
    text: p.text,
    api_app_id: 'A0SAFEGUARD',
    is_enterprise_install: 'false',
    response_url: p.responseUrl,
    trigger_id: p.trigger ?? triggerId(),
  }).toString();
}

export function interactionBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function buttonPayload(p: { user: string; actionId: string; value: string; channel?: string; messageTs?: string; responseUrl: string }): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: { id: p.user, username: p.user.toLowerCase(), team_id: 'T0FAKE' },
    api_app_id: 'A0SAFEGUARD',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: p.messageTs ?? '1.000001', channel_id: p.channel ?? 'C0APPROVERS', is_ephemeral: false },
    trigger_id: triggerId(),
    team: { id: 'T0FAKE', domain: 'fake' },
    channel: { id: p.channel ?? 'C0APPROVERS', name: 'approvers' },
    message: { ts: p.messageTs ?? '1.000001', text: 'card' },
    response_url: p.responseUrl,
    actions: [{ type: 'button', action_id: p.actionId, block_id: 'decision', value: p.value, action_ts: `${Date.now() / 1000}` }],
  };
}

export function viewSubmissionPayload(p: { user: string; viewId: string; callbackId: string; values: Record<string, Record<string, unknown>>; privateMetadata?: string }): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: { id: 'T0FAKE', domain: 'fake' },
    user: { id: p.user, username: p.user.toLowerCase(), team_id: 'T0FAKE' },
    api_app_id: 'A0SAFEGUARD',
    token: 'deprecated-verification-token',
    trigger_id: triggerId(),
    view: {
      id: p.viewId,
      team_id: 'T0FAKE',
      type: 'modal',
      callback_id: p.callbackId,
      private_metadata: p.privateMetadata ?? '',
      state: { values: p.values },
      hash: 'h',
      app_id: 'A0SAFEGUARD',
      bot_id: 'B0SAFEGUARD',
    },
    response_urls: [],
  };
}
