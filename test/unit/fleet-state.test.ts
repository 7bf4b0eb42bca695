// The deployment-wide gauges (worker/fleet-state.ts): read from Temporal (visibility counts, then
// each open run's Query), cached so a scrape storm costs one refresh, and emptied rather than stale
// when Temporal cannot be read.
import type { Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { Registry } from 'prom-client';
import { searchAttributeKeys } from '../../client/search-attributes';
import type { ApprovalSnapshot } from '../../workflows/shared/approval/gate';
import { registerFleetGauges, temporalFleetSource } from '../../worker/fleet-state';
import type { FleetSnapshot } from '../../worker/fleet-state';

const round = (state: ApprovalSnapshot['state']): ApprovalSnapshot => ({ id: 'grant', kind: 'grant', quorum: 1, eligible: ['bob'], approvals: [], state, openedAt: '2026-01-01T00:00:00Z', deadlineAt: '2026-01-01T01:00:00Z' });

interface FakeRun {
  workflowId: string;
  type: string;
  kind?: string;
  answer: (query: string) => unknown;
}

function fakeClient(runs: FakeRun[], counts: Record<string, number>) {
  const queries: string[] = [];
  const visibility: string[] = [];
  const client = {
    withDeadline: <T>(_d: number, fn: () => Promise<T>) => fn(),
    workflow: {
      async count(query: string) {
        visibility.push(query);
        const kind = /SafeguardKind = '([a-z-]+)'/.exec(query)?.[1] ?? '';
        return { count: counts[kind] ?? 0, groups: [] };
      },
      list({ query }: { query: string }) {
        visibility.push(query);
        return (async function* () {
          for (const r of runs) {
            yield { workflowId: r.workflowId, runId: `${r.workflowId}-run`, type: r.type, typedSearchAttributes: new TypedSearchAttributes(r.kind ? [{ key: searchAttributeKeys.kind, value: r.kind }] : []) };
          }
        })();
      },
      getHandle(id: string) {
        return {
          async query(def: { name: string }) {
            queries.push(`${id}:${def.name}`);
            const run = runs.find((r) => r.workflowId === id)!;
            const out = run.answer(def.name);
            if (out instanceof Error) throw out;
            return out;
          },
        };
      },
    },
  };
  return { client: client as unknown as Client, queries, visibility };
}

const notRegistered = new Error('QueryNotRegistered');

describe('temporalFleetSource', () => {
  it('counts open runs from visibility and reads phases and open rounds from the runs themselves', async () => {
    const { client, queries, visibility } = fakeClient(
      [
        { workflowId: 'bg-1', type: 'breakGlassWorkflow', kind: 'break-glass', answer: () => ({ phase: 'pending', rounds: [round('open')] }) },
        { workflowId: 'bg-2', type: 'breakGlassWorkflow', kind: 'break-glass', answer: () => ({ phase: 'active', rounds: [round('approved'), { ...round('open'), id: 'extension-1', kind: 'extension' }] }) },
        // Started around the CLI, without the kind: found by its type.
        { workflowId: 'bg-3', type: 'breakGlassWorkflow', answer: () => ({ phase: 'revoking', rounds: [round('approved')] }) },
        { workflowId: 'bg-4', type: 'breakGlassWorkflow', kind: 'break-glass', answer: () => new Error('query timed out') },
        { workflowId: 'rot-1', type: 'accessKeyRotationWorkflow', kind: 'access-key-rotation', answer: () => [round('open')] },
        { workflowId: 'rev-1', type: 'accessReviewWorkflow', kind: 'access-review', answer: () => notRegistered },
        // Housekeeping runs are not runbook runs.
        { workflowId: 'writer-1', type: 'revocationPolicyWorkflow', kind: 'revocation-writer', answer: () => [] },
      ],
      // One more open grant than the list returns (e.g. beyond the query limit): unknown.
      { 'break-glass': 5, 'access-key-rotation': 1, 'access-review': 1 },
    );
    const s = await temporalFleetSource(client)();
    expect(s.runsOpen).toEqual({ 'break-glass': 5, 'access-key-rotation': 1, 'kms-rotation': 0, 'restore-drill': 0, 'break-glass-drill': 0, 'access-review': 1, runbook: 0 });
    expect(s.grants).toEqual({ pending: 1, active: 1, revoking: 1, unknown: 2 });
    expect(s.approvalsPending).toMatchObject({ 'break-glass': 2, 'access-key-rotation': 1, 'access-review': 0 });
    expect(queries.sort()).toEqual(['bg-1:status', 'bg-2:status', 'bg-3:status', 'bg-4:status', 'rev-1:rounds', 'rot-1:rounds']);
    // Only open runs are asked about; break-glass also by workflow type.
    for (const q of visibility) expect(q).toContain("ExecutionStatus = 'Running'");
    expect(visibility.some((q) => q.includes("WorkflowType = 'breakGlassWorkflow'"))).toBe(true);
  });

  it('queries at most maxQueried runs', async () => {
    const runs: FakeRun[] = Array.from({ length: 10 }, (_, i) => ({ workflowId: `bg-${i}`, type: 'breakGlassWorkflow', kind: 'break-glass', answer: () => ({ phase: 'active', rounds: [] }) }));
    const { client, queries } = fakeClient(runs, { 'break-glass': 10 });
    const s = await temporalFleetSource(client, { maxQueried: 3 })();
    expect(queries).toHaveLength(3);
    expect(s.grants).toEqual({ pending: 0, active: 3, revoking: 0, unknown: 7 });
  });
});

const snapshot = (active: number): FleetSnapshot => ({
  runsOpen: { 'break-glass': active, 'access-key-rotation': 0, 'kms-rotation': 0, 'restore-drill': 0, 'break-glass-drill': 0, 'access-review': 0, runbook: 0 },
  grants: { pending: 0, active, revoking: 0, unknown: 0 },
  approvalsPending: { 'break-glass': 0, 'access-key-rotation': 1, 'kms-rotation': 0, 'restore-drill': 0, 'break-glass-drill': 0, 'access-review': 0, runbook: 0 },
});

describe('registerFleetGauges', () => {
  it('reads Temporal once per TTL however many scrapes come, then again', async () => {
    let t = 0;
    let calls = 0;
    const registry = new Registry();
    registerFleetGauges(registry, async () => snapshot(++calls), { ttlMs: 30_000, now: () => t });
    const first = await registry.metrics();
    expect(first).toMatch(/^safeguard_grants\{phase="active"\} 1$/m);
    expect(first).toMatch(/^safeguard_runs_open\{kind="break-glass"\} 1$/m);
    expect(first).toMatch(/^safeguard_approvals_pending\{kind="access-key-rotation"\} 1$/m);
    expect(first).toMatch(/^safeguard_fleet_state_up 1$/m);
    await Promise.all([registry.metrics(), registry.metrics(), registry.metrics()]);
    expect(calls).toBe(1);
    t = 30_001;
    expect(await registry.metrics()).toMatch(/^safeguard_grants\{phase="active"\} 2$/m);
    expect(calls).toBe(2);
  });

  it('empties the gauges and says so when Temporal cannot be read, rather than serving old numbers', async () => {
    let t = 0;
    let fail = false;
    const registry = new Registry();
    registerFleetGauges(registry, async () => {
      if (fail) throw new Error('unavailable');
      return snapshot(4);
    }, { ttlMs: 1000, now: () => t });
    expect(await registry.metrics()).toMatch(/^safeguard_grants\{phase="active"\} 4$/m);
    fail = true;
    t = 2000;
    const text = await registry.metrics();
    expect(text).toMatch(/^safeguard_fleet_state_up 0$/m);
    expect(text).not.toMatch(/^safeguard_grants\{/m);
    expect(text).not.toMatch(/^safeguard_runs_open\{/m);
  });

  it('does not hold a scrape longer than waitMs for a slow refresh: the previous values are served', async () => {
    let t = 0;
    let calls = 0;
    let release: (() => void) | undefined;
    const registry = new Registry();
    registerFleetGauges(registry, async () => {
      calls += 1;
      if (calls === 2) await new Promise<void>((r) => (release = r));
      return snapshot(calls);
    }, { ttlMs: 1000, waitMs: 20, now: () => t });
    await registry.metrics();
    t = 5000;
    const during = await registry.metrics();
    expect(during).toMatch(/^safeguard_grants\{phase="active"\} 1$/m);
    release!();
    await new Promise((r) => setImmediate(r));
    expect(await registry.metrics()).toMatch(/^safeguard_grants\{phase="active"\} 2$/m);
  });
});
