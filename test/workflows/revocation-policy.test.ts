// The role's single deny-policy writer and the reconciler's per-grant workflow, on the time-skipping
// server with fake activities.
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { addRevocationCutoffSignal, parseRevocationStatements, revocationWriterStateQuery } from '../../workflows/break-glass/revocation-policy';
import type { RevocationWriterInput } from '../../workflows/break-glass/revocation-policy';
import type { UnrevokedGrant } from '../../workflows/break-glass/definitions';
import { fakeActivities } from '../support/fake-activities';
import { createTestWorker, startTimeSkipping } from '../support/time-skipping';
import { MIN, activityCalls, healTimeSkipping } from './harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

const ROLE = 'arn:aws:iam::123456789012:role/BreakGlassAdmin';
const target: RevocationWriterInput = {
  accountId: '123456789012',
  executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecution',
  externalId: 'safeguard-sandbox',
  roleArn: ROLE,
  maxSessionDurationMs: 60 * MIN,
};

test('a failing write is retried and pages security after the third failure', async () => {
  const { activities, state } = fakeActivities();
  state.failures.set('writeRoleRevocationPolicy', 4 * 3); // 4 attempts per activity call: three whole writes fail
  const taskQueue = `tq-writer-${Math.random().toString(16).slice(2, 8)}`;
  const workflowId = `revocation-policy-test-${Math.random().toString(16).slice(2, 8)}`;
  const worker = await createTestWorker(env, taskQueue, activities);
  try {
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.signalWithStart('revocationPolicyWriterWorkflow', { taskQueue, workflowId, args: [target], signal: addRevocationCutoffSignal, signalArgs: [{ person: 'alice', tokensIssuedBefore: new Date().toISOString(), grantId: 'g1' }] });
      // Backoffs are virtual time; skip ahead until the fourth write lands.
      for (let i = 0; i < 300 && !state.documents.get(ROLE); i++) {
        await env.sleep(10_000);
        await new Promise((r) => setTimeout(r, 200)); // activities run in real time (and skipping can be off after an earlier test)
      }
      expect(state.notifications.filter((n) => n.event === 'revocation-policy-failing')).toHaveLength(1);
      expect(parseRevocationStatements(state.documents.get(ROLE) ?? '').map((s) => s.person)).toEqual(['alice']);
      await handle.terminate('test over');
    });
  } finally {
    await healTimeSkipping(env);
  }
});

test('the writer keeps one statement per person (the latest cut-off), adopts what IAM holds, and removes statements once their tokens are gone', async () => {
  const { activities, state } = fakeActivities();
  // A statement left by an earlier writer run: adopted, not lost.
  state.statements.set(ROLE, [{ person: 'carol', tokensIssuedBefore: new Date(Date.now() - 30 * MIN).toISOString() }]);
  const taskQueue = `tq-writer-${Math.random().toString(16).slice(2, 8)}`;
  const workflowId = `revocation-policy-test-${Math.random().toString(16).slice(2, 8)}`;
  const worker = await createTestWorker(env, taskQueue, activities);
  try {
    await worker.runUntil(async () => {
      const t0 = Date.now();
      const at = (ms: number) => new Date(t0 + ms).toISOString();
      const handle = await env.client.workflow.signalWithStart('revocationPolicyWriterWorkflow', { taskQueue, workflowId, args: [target], signal: addRevocationCutoffSignal, signalArgs: [{ person: 'alice', tokensIssuedBefore: at(1000), grantId: 'g1' }] });
      await handle.signal(addRevocationCutoffSignal, { person: 'alice', tokensIssuedBefore: at(5000), grantId: 'g2' });
      await handle.signal(addRevocationCutoffSignal, { person: 'alice', tokensIssuedBefore: at(2000), grantId: 'g3' }); // earlier: keeps 5000
      await handle.signal(addRevocationCutoffSignal, { person: 'bob', tokensIssuedBefore: at(3000), grantId: 'g4' });
      await handle.signal(addRevocationCutoffSignal, { person: 'NOT A PERSON', tokensIssuedBefore: 'yesterday', grantId: 'x' } as never);
      let doc: string | null | undefined;
      for (let i = 0; i < 100; i++) {
        const st = await handle.query(revocationWriterStateQuery);
        doc = state.documents.get(ROLE);
        if (st.pending === 0 && doc && parseRevocationStatements(doc).length === 3) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const statements = parseRevocationStatements(doc ?? '');
      expect(statements.map((s) => s.person).sort()).toEqual(['alice', 'bob', 'carol']);
      expect(statements.find((s) => s.person === 'alice')?.tokensIssuedBefore).toBe(at(5000));
      // Time passes beyond every statement's tokens (cut-off + 1 h + margin): all removed, policy deleted, writer done.
      await env.sleep(62 * MIN);
      await handle.result();
      expect(state.documents.get(ROLE)).toBeNull();
      expect(activityCalls(state, 'readRoleRevocationPolicy')).toBe(1);
    });
  } finally {
    await env.client.workflow.getHandle(workflowId).terminate('test over').catch(() => undefined);
    await healTimeSkipping(env);
  }
});

test('the reconciler revokes for a closed, unrevoked grant once and records it as reconciled', async () => {
  const { activities, state } = fakeActivities();
  const grant: UnrevokedGrant = {
    workflowId: 'breakglass-BreakGlassAdmin-00c0ffee',
    runId: '11111111-2222-3333-4444-555555555555',
    closedAs: 'TERMINATED',
    grantId: 'breakglass-BreakGlassAdmin-00c0ffee',
    requester: 'alice',
    role: { name: 'BreakGlassAdmin', ...target },
    phase: 'active',
    granted: true,
    revocationVerified: false,
    sessions: ['alice-0a0a0a0a'],
  };
  state.unrevoked = [grant];
  state.sessions.set('alice-0a0a0a0a', 'Active');
  const taskQueue = `tq-reconcile-${Math.random().toString(16).slice(2, 8)}`;
  const worker = await createTestWorker(env, taskQueue, activities);
  const reconcileId = `reconcile-${grant.workflowId}-${grant.runId}`;
  try {
    await worker.runUntil(async () => {
      const first = await env.client.workflow.execute('breakGlassReconcilerWorkflow', { taskQueue, workflowId: `reconciler-${taskQueue}-1`, args: [{}] });
      expect(first).toMatchObject({ reconciling: [grant.workflowId] });
      const res = (await env.client.workflow.getHandle(reconcileId).result()) as { receipt: { verified: boolean; sessionsTerminated: string[] }; evidenceWritten: boolean };
      expect(res.receipt).toMatchObject({ verified: true, sessionsTerminated: ['alice-0a0a0a0a'] });
      expect(res.evidenceWritten).toBe(true);
      // A second sweep finds the same run (visibility lags) but never reconciles it twice.
      const second = await env.client.workflow.execute('breakGlassReconcilerWorkflow', { taskQueue, workflowId: `reconciler-${taskQueue}-2`, args: [{}] });
      expect(second).toMatchObject({ reconciling: [] });
    });
    expect(state.evidence.filter((e) => e.kind === 'reconciled')).toHaveLength(1);
    expect(state.evidence[0]).toMatchObject({ id: `reconciled/${grant.workflowId}/${grant.runId}`, record: { closedAs: 'TERMINATED', requester: 'alice', revocation: { verified: true } } });
    expect(state.statements.get(ROLE)?.map((s) => s.person)).toEqual(['alice']);
    expect(state.notifications.find((n) => n.event === 'reconciling')).toMatchObject({ severity: 'page' });
  } finally {
    await env.client.workflow.getHandle(reconcileId).terminate('test over').catch(() => undefined);
    await healTimeSkipping(env);
  }
});

test('a sweep whose orphaned-writer check fails (AWS throttling past its retries) still completes with its reconciliations started', async () => {
  const { activities, state } = fakeActivities();
  const grant: UnrevokedGrant = {
    workflowId: 'breakglass-BreakGlassAdmin-00beef00',
    runId: '21111111-2222-3333-4444-555555555555',
    closedAs: 'TERMINATED',
    grantId: 'breakglass-BreakGlassAdmin-00beef00',
    requester: 'alice',
    role: { name: 'BreakGlassAdmin', ...target },
    phase: 'active',
    granted: true,
    revocationVerified: false,
    sessions: [],
  };
  state.unrevoked = [grant];
  let checks = 0;
  const failing = {
    ...activities,
    async ensureRevocationWriters(): Promise<{ started: string[] }> {
      checks += 1;
      throw ApplicationFailure.create({ type: 'AwsThrottling', message: 'Rate exceeded (injected)', nonRetryable: true });
    },
  };
  const taskQueue = `tq-reconcile-${Math.random().toString(16).slice(2, 8)}`;
  const worker = await createTestWorker(env, taskQueue, failing);
  const reconcileId = `reconcile-${grant.workflowId}-${grant.runId}`;
  try {
    await worker.runUntil(async () => {
      const sweep = await env.client.workflow.execute('breakGlassReconcilerWorkflow', { taskQueue, workflowId: `reconciler-${taskQueue}-1`, args: [{}] });
      expect(sweep).toEqual({ reconciling: [grant.workflowId], writersStarted: [] });
      await env.client.workflow.getHandle(reconcileId).result();
    });
    expect(checks).toBe(1);
    expect(state.evidence.filter((e) => e.kind === 'reconciled')).toHaveLength(1);
  } finally {
    await env.client.workflow.getHandle(reconcileId).terminate('test over').catch(() => undefined);
    await healTimeSkipping(env);
  }
});
