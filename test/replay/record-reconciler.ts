// Records the histories of break-glass's helper workflows, replayed by test/workflows/replay.test.ts
// (time-skipping server, the fake activities, no codec): the reconciler finding one terminated,
// unrevoked grant and its per-grant reconciliation revoking it with a verified receipt; the role's
// deny-policy writer merging two cut-offs and removing them once their tokens are gone; and the
// cleanup that removes a deny statement after the role's longest session. Workflow ids are fixed
// (replay needs the original id: the reconciliation's id derives from the grant's). Re-record only
// on purpose, when a change is meant to be incompatible (and then version the workflow with patched()).
//   npx tsx test/replay/record-reconciler.ts
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { reconcileWorkflowId } from '../../workflows/break-glass/definitions';
import type { UnrevokedGrant } from '../../workflows/break-glass/definitions';
import { addRevocationCutoffSignal, revocationWriterId } from '../../workflows/break-glass/revocation-policy';
import type { RevocationWriterInput } from '../../workflows/break-glass/revocation-policy';
import type { RevocationCleanupInput } from '../../workflows/break-glass/revocation-cleanup.workflow';
import { fakeActivities } from '../support/fake-activities';
import { createTestWorker } from '../support/time-skipping';
import { recording, runRecorder, saveHistory, until } from './recorder';

const MIN = 60_000;
const ROLE_ARN = 'arn:aws:iam::123456789012:role/BreakGlassAdmin';
const account = { accountId: '123456789012', executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecution', externalId: 'safeguard-sandbox' };

async function withWorker<T>(env: TestWorkflowEnvironment, taskQueue: string, activities: object, fn: () => Promise<T>): Promise<T> {
  const worker = await createTestWorker(env, taskQueue, activities);
  return worker.runUntil(fn);
}

async function main(): Promise<void> {

  // 1. The reconciler finds a terminated grant with a live session; its reconciliation revokes and verifies.
  await recording(async (env) => {
    const { activities, state } = fakeActivities();
    const grant: UnrevokedGrant = {
      workflowId: 'breakglass-BreakGlassAdmin-0000f001',
      runId: '0000f001-0000-4000-8000-000000000001',
      closedAs: 'TERMINATED',
      grantId: 'breakglass-BreakGlassAdmin-0000f001',
      requester: 'alice',
      role: { name: 'BreakGlassAdmin', roleArn: ROLE_ARN, ...account, maxSessionDurationMs: 60 * MIN },
      phase: 'active',
      granted: true,
      revocationVerified: false,
      sessions: ['alice-0f0f0f0f'],
    };
    state.unrevoked = [grant];
    state.sessions.set('alice-0f0f0f0f', 'Active');
    await withWorker(env, 'replay-record-reconciler', activities, async () => {
      const h = await env.client.workflow.start('breakGlassReconcilerWorkflow', { taskQueue: 'replay-record-reconciler', workflowId: 'safeguard-reconciler-0000f002', args: [{}] });
      const res = (await h.result()) as { reconciling: string[] };
      if (res.reconciling.join(',') !== grant.workflowId) throw new Error(`the reconciler reconciled ${res.reconciling.join(',') || 'nothing'}`);
      const child = env.client.workflow.getHandle(reconcileWorkflowId(grant.workflowId, grant.runId));
      const out = (await child.result()) as { receipt: { verified: boolean } };
      if (!out.receipt.verified) throw new Error('the reconciliation did not verify its revocation: not recorded');
      await saveHistory(h, 'found-one');
      await saveHistory(child, 'revoked-verified');
    });
  });

  // 2. The role's deny-policy writer: two cut-offs merged into one document, removed after their tokens are gone.
  await recording(async (env) => {
    const { activities, state } = fakeActivities();
    const target: RevocationWriterInput = { ...account, roleArn: ROLE_ARN, maxSessionDurationMs: 60 * MIN };
    const id = `${revocationWriterId(account.accountId, ROLE_ARN)}-0000f003`;
    await withWorker(env, 'replay-record-writer', activities, async () => {
      const t0 = await env.currentTimeMs();
      const at = (ms: number): string => new Date(t0 + ms).toISOString();
      const h = await env.client.workflow.signalWithStart('revocationPolicyWriterWorkflow', { taskQueue: 'replay-record-writer', workflowId: id, args: [target], signal: addRevocationCutoffSignal, signalArgs: [{ person: 'alice', tokensIssuedBefore: at(1000), grantId: 'breakglass-BreakGlassAdmin-0000f001' }] });
      await until(async () => state.documents.get(ROLE_ARN) !== undefined, 'the first statement is written');
      await h.signal(addRevocationCutoffSignal, { person: 'bob', tokensIssuedBefore: at(2000), grantId: 'breakglass-BreakGlassAdmin-0000f004' });
      await until(async () => (state.documents.get(ROLE_ARN) ?? '').includes('bob'), "bob's statement is written");
      await env.sleep(62 * MIN);
      await h.result();
      if (state.documents.get(ROLE_ARN) !== null) throw new Error('the writer did not remove the policy: not recorded');
      await saveHistory(h, 'merged-then-removed');
    });
  });

  // 3. The cleanup removes the deny statement once the role's longest session has passed.
  await recording(async (env) => {
    const { activities, state } = fakeActivities();
    const input: RevocationCleanupInput = { ...account, roleArn: ROLE_ARN, policyName: 'SafeguardRevocations', waitMs: 60 * MIN };
    await withWorker(env, 'replay-record-cleanup', activities, async () => {
      const h = await env.client.workflow.start('revocationCleanupWorkflow', { taskQueue: 'replay-record-cleanup', workflowId: 'breakglass-BreakGlassAdmin-0000f005-cleanup', args: [input] });
      await h.result();
      if (!state.calls.some((c) => c.activity === 'removeRevocationPolicy')) throw new Error('the cleanup removed nothing: not recorded');
      await saveHistory(h, 'removed');
    });
  });
}

runRecorder(main);
