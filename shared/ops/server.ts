// The operations endpoint every Safeguard process serves on SAFEGUARD_OPS_PORT (off by default):
//   GET /metrics  Prometheus text from the process's own registry (plus, on the worker, the Temporal
//                 SDK's exporter: one scrape target per process)
//   GET /healthz  200 while the process is alive (a liveness probe: restart me if this fails)
//   GET /readyz   200 only when connected to Temporal and serving; 503 with a short JSON reason
//                 otherwise, and from the moment shutdown begins (load balancers stop sending first)
// node:http on its own port, so the probes never queue behind the api's or Slack's traffic. Nothing
// it answers carries a secret: readiness reasons are fixed phrases, metric labels are bounded.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Env } from '../../config/env';

export type Readiness = { ready: true } | { ready: false; reason: string };

export interface OpsServerOptions {
  registry: Registry;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Asked on every /readyz while the process is not shutting down. */
  readiness: () => Readiness | Promise<Readiness>;
  /** More exposition text for /metrics (the Temporal SDK's exporter); resolves '' when there is none. */
  extraMetrics?: () => Promise<string>;
}

export interface OpsServer {
  url: string;
  port: number;
  readonly shuttingDown: boolean;
  /** From now on /readyz answers 503; /healthz and /metrics keep answering until close(). */
  beginShutdown(): void;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  let shuttingDown = false;
  const send = (res: http.ServerResponse, status: number, type: string, body: string): void => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://ops').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, JSON_TYPE, '{"error":"method not allowed"}');
    switch (path) {
      case '/healthz':
        return send(res, 200, JSON_TYPE, '{"ok":true}');
      case '/readyz': {
        const r: Readiness = shuttingDown ? { ready: false, reason: 'shutting down' } : await Promise.resolve(opts.readiness()).catch((): Readiness => ({ ready: false, reason: 'readiness check failed' }));
        return r.ready ? send(res, 200, JSON_TYPE, '{"ready":true}') : send(res, 503, JSON_TYPE, JSON.stringify({ ready: false, reason: r.reason }));
      }
      case '/metrics': {
        const [own, extra] = await Promise.all([opts.registry.metrics(), opts.extraMetrics?.() ?? Promise.resolve('')]);
        return send(res, 200, opts.registry.contentType, extra ? `${own.endsWith('\n') ? own : `${own}\n`}${extra}` : own);
      }
      default:
        return send(res, 404, JSON_TYPE, '{"error":"not found"}');
    }
  };
  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      // Never the error text: a collector's message could name anything.
      if (!res.headersSent) send(res, 500, JSON_TYPE, '{"error":"internal"}');
      else res.end();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    get shuttingDown() {
      return shuttingDown;
    },
    beginShutdown() {
      shuttingDown = true;
    },
    close() {
      shuttingDown = true;
      return new Promise((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection must not hold the process open.
        server.closeAllConnections();
      });
    },
  };
}

/**
 * Starts the ops endpoint when SAFEGUARD_OPS_PORT is not `off`, and logs where it listens (tests
 * that pass 0 read the port from this line). Undefined when it is off.
 */
export async function startOpsEndpoint(
  env: Pick<Env, 'SAFEGUARD_OPS_PORT' | 'SAFEGUARD_OPS_HOST'>,
  opts: Omit<OpsServerOptions, 'host' | 'port'>,
  logger: Logger,
): Promise<OpsServer | undefined> {
  if (env.SAFEGUARD_OPS_PORT === 'off') return undefined;
  const ops = await startOpsServer({ ...opts, host: env.SAFEGUARD_OPS_HOST, port: env.SAFEGUARD_OPS_PORT });
  logger.info({ url: ops.url, port: ops.port }, 'ops endpoint listening');
  return ops;
}

/**
 * The Temporal SDK's own Prometheus exporter (TEMPORAL_METRICS_ADDRESS), read on each scrape of
 * /metrics so a process has one scrape target. Its families are all `temporal_…`, so they never clash
 * with this registry's. When it cannot be read, /metrics still answers, with a comment saying so.
 */
export function sdkMetricsReader(bindAddress: string, timeoutMs = 2000): () => Promise<string> {
  const i = bindAddress.lastIndexOf(':');
  const host = bindAddress.slice(0, i);
  // An exporter bound to every interface is read over loopback.
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bindAddress.slice(i + 1)}/metrics`;
  return async () => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) return `# temporal sdk metrics unavailable (HTTP ${res.status})\n`;
      const text = await res.text();
      return text.endsWith('\n') || text === '' ? text : `${text}\n`;
    } catch {
      return '# temporal sdk metrics unavailable\n';
    }
  };
}
