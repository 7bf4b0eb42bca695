// Safeguard's metric definitions (shared/ops/metrics.ts) and the helpers that observe them: names,
// label sets that stay low-cardinality whatever a run reports, and where each observation comes from
// (the evidence record, the verification check, the notify activity, vending, Slack acks).
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Registry } from 'prom-client';
import { createActivities } from '../../activities';
import type { ActivityDeps } from '../../activities';
import { createEvidenceActivities } from '../../activities/evidence';
import { EvidenceStore } from '../../evidence/store';
import {
  REVOCATION_LAG_BUCKETS,
  apiMetrics,
  createOpsRegistry,
  labelValue,
  observeEvidence,
  observeRevocationCheck,
  slackMetrics,
  slackPayloadType,
  timeVending,
  workerMetrics,
} from '../../shared/ops/metrics';

/** Every sample of a family; `name` may be a histogram's series (…_count, …_sum, …_bucket). */
async function values(registry: Registry, name: string): Promise<Array<{ labels: Partial<Record<string, string | number>>; value: number; metricName?: string }>> {
  const m = registry.getSingleMetric(name) ?? registry.getSingleMetric(name.replace(/_(count|sum|bucket)$/, ''));
  if (!m) throw new Error(`no metric ${name}`);
  return (await m.get()).values;
}

async function sample(registry: Registry, name: string, labels: Record<string, string | number> = {}): Promise<number | undefined> {
  const want = Object.entries(labels);
  return (await values(registry, name)).find((v) => (v.metricName ?? name) === name && want.every(([k, x]) => v.labels[k] === x) && Object.keys(v.labels).length === want.length)?.value;
}

describe('definitions', () => {
  it('names every Safeguard metric safeguard_… with bounded label names, one registry per process', async () => {
    const w = workerMetrics();
    const a = apiMetrics();
    const s = slackMetrics();
    const all = [...(await w.registry.getMetricsAsJSON()), ...(await a.registry.getMetricsAsJSON()), ...(await s.registry.getMetricsAsJSON())];
    expect(Object.fromEntries(all.map((m) => [m.name, m.type]))).toEqual({
      safeguard_runbook_outcomes_total: 'counter',
      safeguard_revocation_lag_seconds: 'histogram',
      safeguard_revocations_unverified_total: 'counter',
      safeguard_revocation_checks_failed_total: 'counter',
      safeguard_vending_duration_seconds: 'histogram',
      safeguard_slack_ack_duration_seconds: 'histogram',
    });
    // No label that could hold a person, a workflow id or a secret.
    const labelNames = (w.registry.getSingleMetric('safeguard_runbook_outcomes_total') as unknown as { labelNames: string[] }).labelNames;
    expect(labelNames).toEqual(['kind', 'outcome']);
    expect((w.registry.getSingleMetric('safeguard_revocation_lag_seconds') as unknown as { labelNames: string[] }).labelNames).toEqual(['end_reason']);
    expect((a.registry.getSingleMetric('safeguard_vending_duration_seconds') as unknown as { labelNames: string[] }).labelNames).toEqual(['route', 'outcome']);
    expect((s.registry.getSingleMetric('safeguard_slack_ack_duration_seconds') as unknown as { labelNames: string[] }).labelNames).toEqual(['type']);
  });

  it('keeps registries apart: two worker registries in one process count separately', async () => {
    const one = workerMetrics();
    const two = workerMetrics();
    one.revocationsUnverified.inc();
    expect(await sample(one.registry, 'safeguard_revocations_unverified_total')).toBe(1);
    expect(await sample(two.registry, 'safeguard_revocations_unverified_total')).toBe(0);
  });

  it("adds Node's process metrics to a process registry unless asked not to", async () => {
    expect(await createOpsRegistry().metrics()).toMatch(/^process_cpu_user_seconds_total /m);
    expect(await createOpsRegistry({ defaultMetrics: false }).metrics()).toBe('\n');
  });

  it('has a revocation lag bucket at the 5 s alert threshold', () => {
    expect(REVOCATION_LAG_BUCKETS).toContain(5);
  });
});

describe('labelValue', () => {
  it.each([
    ['revoked', 'revoked'],
    ['expired-unapproved', 'expired-unapproved'],
    ['breakglass-BreakGlassAdmin-0123abcd', 'other'],
    ['alice@example.com', 'other'],
    ['AKIAIOSFODNN7EXAMPLE', 'other'],
    ['x'.repeat(60), 'other'],
    [undefined, 'other'],
    [42, 'other'],
  ])('%p → %p', (input, out) => {
    expect(labelValue(input)).toBe(out);
  });
});

describe('observeEvidence', () => {
  it("counts a run's outcome by kind and observes a grant's revocation lag in seconds by end reason", async () => {
    const m = workerMetrics();
    observeEvidence(m, 'break-glass', { workflowId: 'breakglass-BreakGlassAdmin-0123abcd', runId: 'r', outcome: 'revoked', endReason: 'expired', revocationLagMs: 2_500, requester: 'alice' });
    observeEvidence(m, 'access-key-rotation', { outcome: 'rotated' });
    expect(await sample(m.registry, 'safeguard_runbook_outcomes_total', { kind: 'break-glass', outcome: 'revoked' })).toBe(1);
    expect(await sample(m.registry, 'safeguard_runbook_outcomes_total', { kind: 'access-key-rotation', outcome: 'rotated' })).toBe(1);
    expect(await sample(m.registry, 'safeguard_revocation_lag_seconds_count', { end_reason: 'expired' })).toBe(1);
    expect(await sample(m.registry, 'safeguard_revocation_lag_seconds_sum', { end_reason: 'expired' })).toBe(2.5);
    expect(await sample(m.registry, 'safeguard_revocation_lag_seconds_bucket', { end_reason: 'expired', le: 2 })).toBe(0);
    expect(await sample(m.registry, 'safeguard_revocation_lag_seconds_bucket', { end_reason: 'expired', le: 3 })).toBe(1);
    // Nothing a person could be identified by reaches the exposition text.
    const text = await m.registry.metrics();
    expect(text).not.toContain('alice');
    expect(text).not.toContain('0123abcd');
  });

  it('observes no lag for a grant that was never granted (no revocation) and maps odd values to other', async () => {
    const m = workerMetrics();
    observeEvidence(m, 'break-glass', { outcome: 'denied', revocationLagMs: null });
    observeEvidence(m, 'break-glass', { outcome: 'Revoked by ALICE' });
    expect(await sample(m.registry, 'safeguard_runbook_outcomes_total', { kind: 'break-glass', outcome: 'denied' })).toBe(1);
    expect(await sample(m.registry, 'safeguard_runbook_outcomes_total', { kind: 'break-glass', outcome: 'other' })).toBe(1);
    expect((await values(m.registry, 'safeguard_revocation_lag_seconds')).length).toBe(0);
  });

  it('counts a reconciliation by whether its revocation was verified, and ignores refused-access records', async () => {
    const m = workerMetrics();
    observeEvidence(m, 'reconciled', { revocation: { verified: true } });
    observeEvidence(m, 'access-refused', { grantId: 'g', by: 'bob', code: 'NOT_REQUESTER', what: 'credentials', at: 'now' });
    observeEvidence(m, 'drill-sweep', { swept: [] });
    expect(await sample(m.registry, 'safeguard_runbook_outcomes_total', { kind: 'reconciled', outcome: 'revoked' })).toBe(1);
    expect(await sample(m.registry, 'safeguard_runbook_outcomes_total', { kind: 'drill-sweep', outcome: 'recorded' })).toBe(1);
    expect((await values(m.registry, 'safeguard_runbook_outcomes_total')).length).toBe(2);
  });
});

describe('observeRevocationCheck', () => {
  it('counts each thing a verification found still in place', async () => {
    const m = workerMetrics();
    observeRevocationCheck(m, { statementPresent: true, activeSessionsLeft: [] });
    observeRevocationCheck(m, { statementPresent: false, activeSessionsLeft: ['s-1'] });
    observeRevocationCheck(m, { statementPresent: true, activeSessionsLeft: ['s-2'] });
    expect(await sample(m.registry, 'safeguard_revocation_checks_failed_total', { reason: 'statement-missing' })).toBe(1);
    expect(await sample(m.registry, 'safeguard_revocation_checks_failed_total', { reason: 'sessions-active' })).toBe(2);
  });
});

describe('the worker activities observe', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ops-metrics-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('recordEvidence: an outcome once per record, not again for a retried attempt', async () => {
    const m = workerMetrics();
    const { recordEvidence } = createEvidenceActivities({ store: new EvidenceStore(dir), metrics: m });
    const input = { id: 'breakglass-BreakGlassAdmin-ab12cd34/r1', kind: 'break-glass', record: { workflowId: 'breakglass-BreakGlassAdmin-ab12cd34', runId: 'r1', outcome: 'revoked', endReason: 'expired', revocationLagMs: 1200 } };
    await recordEvidence(input);
    await recordEvidence(input);
    expect(await sample(m.registry, 'safeguard_runbook_outcomes_total', { kind: 'break-glass', outcome: 'revoked' })).toBe(1);
    expect(await sample(m.registry, 'safeguard_revocation_lag_seconds_count', { end_reason: 'expired' })).toBe(1);
  });

  it('notify: a page saying a revocation is still unverified, and nothing else', async () => {
    const m = workerMetrics();
    const sent: string[] = [];
    const deps = {
      evidence: new EvidenceStore(dir),
      notifier: { notify: async (n: { event: string }) => void sent.push(n.event) },
      logger: pino({ level: 'silent' }),
      temporal: { client: {}, taskQueue: 'q', revocationTaskQueue: 'r' },
      metrics: m,
    } as unknown as ActivityDeps;
    const { notify } = createActivities(deps);
    await notify({ kind: 'break-glass', event: 'granted', subjectId: 'g', requester: 'alice', role: 'BreakGlassAdmin', audience: [], severity: 'info' });
    await notify({ kind: 'break-glass', event: 'revocation-not-verified', subjectId: 'g', requester: 'alice', role: 'BreakGlassAdmin', audience: ['sam'], severity: 'page', detail: 'not verified after 3 attempts' });
    // The reconciler's page, in the legacy shape.
    await notify({ event: 'revocation-not-verified', grantId: 'g', requester: 'alice', role: 'BreakGlassAdmin', approvers: [], severity: 'page' });
    expect(sent).toEqual(['granted', 'revocation-not-verified', 'revocation-not-verified']);
    expect(await sample(m.registry, 'safeguard_revocations_unverified_total')).toBe(2);
  });
});

describe('timeVending', () => {
  it('observes the duration with the outcome, and rethrows failures unchanged', async () => {
    const m = apiMetrics();
    expect(await timeVending(m, 'credentials', async () => 'creds', () => 'error')).toBe('creds');
    const refusal = new Error('not the requester');
    await expect(timeVending(m, 'credentials', async () => Promise.reject(refusal), () => 'refused')).rejects.toBe(refusal);
    await expect(timeVending(m, 'console-link', async () => Promise.reject(new Error('boom')), () => 'error')).rejects.toThrow('boom');
    expect(await sample(m.registry, 'safeguard_vending_duration_seconds_count', { route: 'credentials', outcome: 'ok' })).toBe(1);
    expect(await sample(m.registry, 'safeguard_vending_duration_seconds_count', { route: 'credentials', outcome: 'refused' })).toBe(1);
    expect(await sample(m.registry, 'safeguard_vending_duration_seconds_count', { route: 'console-link', outcome: 'error' })).toBe(1);
  });

  it('without metrics just runs the call', async () => {
    expect(await timeVending(undefined, 'credentials', async () => 7, () => 'error')).toBe(7);
  });
});

describe('slackPayloadType', () => {
  it.each([
    [{ command: '/breakglass', text: 'help' }, 'command'],
    [{ type: 'block_actions', actions: [] }, 'action'],
    [{ type: 'view_submission' }, 'view'],
    [{ type: 'view_closed' }, 'view'],
    [{ type: 'shortcut' }, 'shortcut'],
    [{ type: 'block_suggestion' }, 'options'],
    [{ type: 'event_callback' }, 'event'],
    [{ type: 'U0000ALICE' }, 'other'],
    [null, 'other'],
  ])('%p → %p', (body, type) => {
    expect(slackPayloadType(body)).toBe(type);
  });
});
