// The operations endpoint (shared/ops/server.ts): liveness, readiness and its transitions, /metrics
// as Prometheus text with the SDK exporter's output appended, and shutdown.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { sdkMetricsReader, startOpsEndpoint, startOpsServer } from '../../shared/ops/server';
import type { OpsServer, Readiness } from '../../shared/ops/server';

let servers: OpsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function ops(readiness: () => Readiness | Promise<Readiness>, extra?: () => Promise<string>): Promise<{ ops: OpsServer; registry: Registry }> {
  const registry = new Registry();
  new Counter({ name: 'safeguard_test_total', help: 'a test counter', registers: [registry] }).inc(3);
  const s = await startOpsServer({ registry, readiness, ...(extra ? { extraMetrics: extra } : {}) });
  servers.push(s);
  return { ops: s, registry };
}

const get = async (s: OpsServer, path: string, method = 'GET') => {
  const r = await fetch(`${s.url}${path}`, { method });
  return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() };
};

it('answers /healthz 200 whatever readiness says', async () => {
  const { ops: s } = await ops(() => ({ ready: false, reason: 'starting' }));
  expect(await get(s, '/healthz')).toMatchObject({ status: 200, text: '{"ok":true}' });
});

it('moves /readyz from 503 with a reason to 200 as the process becomes ready, and back to 503 once shutdown begins', async () => {
  let state: Readiness = { ready: false, reason: 'starting' };
  const { ops: s } = await ops(() => state);
  const before = await get(s, '/readyz');
  expect(before.status).toBe(503);
  expect(JSON.parse(before.text)).toEqual({ ready: false, reason: 'starting' });

  state = { ready: true };
  expect(await get(s, '/readyz')).toMatchObject({ status: 200, text: '{"ready":true}' });

  s.beginShutdown();
  expect(s.shuttingDown).toBe(true);
  const draining = await get(s, '/readyz');
  expect(draining.status).toBe(503);
  expect(JSON.parse(draining.text)).toEqual({ ready: false, reason: 'shutting down' });
  // Alive while draining, and still scrapeable.
  expect((await get(s, '/healthz')).status).toBe(200);
  expect((await get(s, '/metrics')).status).toBe(200);
});

it('answers /readyz 503 when the readiness check itself fails, without its message', async () => {
  const { ops: s } = await ops(async () => {
    throw new Error('token=supersecret');
  });
  const r = await get(s, '/readyz');
  expect(r.status).toBe(503);
  expect(r.text).not.toContain('supersecret');
  expect(JSON.parse(r.text)).toEqual({ ready: false, reason: 'readiness check failed' });
});

it('serves the registry as Prometheus text with its content type', async () => {
  const { ops: s, registry } = await ops(() => ({ ready: true }));
  const r = await get(s, '/metrics');
  expect(r.status).toBe(200);
  expect(r.type).toBe(registry.contentType);
  expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(r.text).toContain('# TYPE safeguard_test_total counter');
  expect(r.text).toMatch(/^safeguard_test_total 3$/m);
});

it('appends the extra exposition text (the SDK exporter) after its own', async () => {
  const { ops: s } = await ops(() => ({ ready: true }), async () => '# TYPE temporal_request counter\ntemporal_request 7\n');
  const r = await get(s, '/metrics');
  expect(r.text).toMatch(/safeguard_test_total 3\n(.|\n)*# TYPE temporal_request counter\ntemporal_request 7\n$/);
});

it('answers 404 for unknown paths and 405 for other methods', async () => {
  const { ops: s } = await ops(() => ({ ready: true }));
  expect((await get(s, '/nope')).status).toBe(404);
  expect((await get(s, '/metrics', 'POST')).status).toBe(405);
});

it('closes even with a scraper keep-alive connection open', async () => {
  const { ops: s } = await ops(() => ({ ready: true }));
  const agent = new http.Agent({ keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    http.get(`${s.url}/metrics`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    }).on('error', reject);
  });
  await s.close();
  agent.destroy();
  await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  servers = servers.filter((x) => x !== s);
});

describe('startOpsEndpoint', () => {
  const logger = pino({ level: 'silent' });

  it('starts nothing when SAFEGUARD_OPS_PORT is off', async () => {
    expect(await startOpsEndpoint({ SAFEGUARD_OPS_PORT: 'off', SAFEGUARD_OPS_HOST: '127.0.0.1' }, { registry: new Registry(), readiness: () => ({ ready: true }) }, logger)).toBeUndefined();
  });

  it('with port 0 picks a free port and logs where it listens', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const capture = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) });
    const s = await startOpsEndpoint({ SAFEGUARD_OPS_PORT: 0, SAFEGUARD_OPS_HOST: '127.0.0.1' }, { registry: new Registry(), readiness: () => ({ ready: true }) }, capture);
    servers.push(s!);
    expect(s!.port).toBeGreaterThan(0);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'ops endpoint listening', port: s!.port, url: `http://127.0.0.1:${s!.port}` }));
    expect((await get(s!, '/healthz')).status).toBe(200);
  });
});

describe('sdkMetricsReader', () => {
  it("reads the SDK exporter's /metrics over loopback when it is bound to every interface", async () => {
    const exporter = http.createServer((req, res) => {
      res.writeHead(req.url === '/metrics' ? 200 : 404, { 'content-type': 'text/plain' });
      res.end('temporal_worker_task_slots_available 5');
    });
    await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', () => r()));
    try {
      const { port } = exporter.address() as AddressInfo;
      expect(await sdkMetricsReader(`0.0.0.0:${port}`)()).toBe('temporal_worker_task_slots_available 5\n');
    } finally {
      await new Promise<void>((r) => exporter.close(() => r()));
    }
  });

  it('says so in a comment when the exporter cannot be read', async () => {
    const blackhole = http.createServer();
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', () => r()));
    const { port } = blackhole.address() as AddressInfo;
    await new Promise<void>((r) => blackhole.close(() => r()));
    expect(await sdkMetricsReader(`127.0.0.1:${port}`, 500)()).toMatch(/^# temporal sdk metrics unavailable/);
  });
});
