// Records the histories of the declarative runbook and the root-login watcher, replayed by
// test/workflows/replay.test.ts (time-skipping server, in-memory activities, no codec): the shipped
// root-recovery runbook completed by two people at every step, with a self-confirmation refused and
// one confirmation escalated before it came; and one watcher look that pages one root sign-in and
// finds another during a recovery. Workflow ids are fixed (replay needs the original id). Re-record
// only on purpose, when a change is meant to be incompatible (and then version the workflow with patched()).
//   npx tsx test/replay/record-runbooks.ts
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePolicy } from '../../config/policy';
import { REPO_ROOT } from '../../config/stack-file';
import { runbookInput } from '../../client/runbook-client';
import { rootLoginWatchInput } from '../../client/runbook-definition';
import { approveUpdate, confirmUpdate, runbookStatusQuery } from '../../workflows/runbook/definitions';
import type { RootLoginWatchResult, RunbookResult } from '../../workflows/runbook/definitions';
import { fakeRunbook } from '../support/fake-runbook';
import { createTestWorker } from '../support/time-skipping';
import { recording, runRecorder, saveHistory, until } from './recorder';

const MIN = 60_000;

async function main(): Promise<void> {
  const parsed = parsePolicy(readFileSync(path.join(REPO_ROOT, 'examples/policy.yaml'), 'utf8'), 'examples/policy.yaml');
  if (!parsed.ok) throw new Error('examples/policy.yaml does not load');
  const policy = parsed.policy;

  // 1. Root recovery, completed; alice's own confirmation refused; password-rotated escalated, then confirmed.
  await recording(async (env) => {
    const { activities } = fakeRunbook(policy);
    const worker = await createTestWorker(env, 'replay-record-runbook', activities);
    await worker.runUntil(async () => {
      const input = runbookInput(policy, 'root-recovery', 'alice', 'root MFA device lost; ticket SEC-4242');
      const h = await env.client.workflow.start('declarativeRunbookWorkflow', { taskQueue: 'replay-record-runbook', workflowId: 'runbook-root-recovery-0000a0a1', args: [input] });
      const on = (step: string) => until(async () => (await h.query(runbookStatusQuery)).current?.id === step, `step ${step}`);
      const confirm = (by: string, step: string, note: string) => h.executeUpdate(confirmUpdate, { args: [{ by, step, note, via: 'cli' }] });
      await on('approve');
      await h.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'approve', via: 'slack' }] });
      await h.executeUpdate(approveUpdate, { args: [{ approver: 'carol', round: 'approve', via: 'cli' }] });
      await on('mfa-retrieved');
      await confirm('alice', 'mfa-retrieved', 'mine').then(
        () => {
          throw new Error('alice confirmed her own run');
        },
        () => undefined,
      );
      await confirm('bob', 'mfa-retrieved', 'device #2, seal 00417');
      await confirm('dave', 'mfa-retrieved', 'witnessed');
      await on('password-retrieved');
      await confirm('carol', 'password-retrieved', 'envelope 7');
      await confirm('dave', 'password-retrieved', 'witnessed');
      await on('work');
      await env.sleep(MIN);
      await on('password-rotated');
      await env.sleep(2 * 60 * MIN + MIN);
      await until(async () => (await h.query(runbookStatusQuery)).current?.escalated === true, 'the escalation');
      await confirm('bob', 'password-rotated', 'rotated; envelope 8');
      await confirm('carol', 'password-rotated', 'vault log checked');
      await on('mfa-resealed');
      await confirm('bob', 'mfa-resealed', 'seal 00418');
      await confirm('dave', 'mfa-resealed', 'witnessed');
      const res = (await h.result()) as RunbookResult;
      if (res.outcome !== 'completed') throw new Error(`root recovery ended ${res.outcome}: not recorded`);
      await saveHistory(h, 'completed-escalated');
    });
  });

  // 2. One watcher look: one root sign-in paged, one during an open recovery.
  await recording(async (env) => {
    const { activities, state } = fakeRunbook(policy);
    state.logins = [
      { accountId: '123456789012', eventId: '0000a0a3-0000-4000-8000-000000000001', at: '2026-12-01T10:00:00.000Z', sourceIp: '198.51.100.9', mfaUsed: 'Yes' },
      { accountId: '123456789012', eventId: '0000a0a3-0000-4000-8000-000000000002', at: '2026-12-01T10:05:00.000Z', mfaUsed: 'Yes', duringRun: 'runbook-root-recovery-0000a0a1' },
    ];
    const worker = await createTestWorker(env, 'replay-record-watch', activities);
    await worker.runUntil(async () => {
      const h = await env.client.workflow.start('rootLoginWatchWorkflow', { taskQueue: 'replay-record-watch', workflowId: 'safeguard-root-login-watch-0000a0a2', args: [rootLoginWatchInput(policy)] });
      const res = (await h.result()) as RootLoginWatchResult;
      if (res.paged.length !== 1 || res.expected.length !== 1) throw new Error(`the watcher paged ${res.paged.length} and expected ${res.expected.length}: not recorded`);
      await saveHistory(h, 'paged-one');
    });
  });
}

runRecorder(main);
