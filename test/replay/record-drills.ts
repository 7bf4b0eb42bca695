// Records the drill histories replayed by test/workflows/replay.test.ts (time-skipping server,
// in-memory activities, no codec): two restore drills (an RDS snapshot signed off; an AWS Backup
// recovery point whose validation fails), a sweep that deletes one orphan, and a break-glass fire
// drill approved by an approver, with its break-glass child. Workflow ids are fixed (replay needs the
// original id: scratch names and the fire drill's grant id derive from it). Re-record only on
// purpose, when a change is meant to be incompatible (and then version the workflow with patched()).
//   npx tsx test/replay/record-drills.ts
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { fireDrillInput } from '../../client/fire-drill-client';
import { statusQuery } from '../../workflows/break-glass/definitions';
import { drillGrantId } from '../../workflows/fire-drill/definitions';
import type { FireDrillResult } from '../../workflows/fire-drill/definitions';
import { approveUpdate } from '../../workflows/shared/approval/definitions';
import { SIGN_OFF_ROUND, drillStatusQuery } from '../../workflows/restore-drill/definitions';
import type { RestoreDrillInput, RestoreDrillResult } from '../../workflows/restore-drill/definitions';
import type { DrillSweepInput, DrillSweepResult } from '../../workflows/restore-drill/sweeper.workflow';
import type { RestoreDrillTarget } from '../../workflows/restore-drill/targets';
import { fakeDrill } from '../support/fake-drill';
import { FIRE_DRILL_POLICY, fakeFireDrill } from '../support/fake-fire-drill';
import { createTestWorker, startTimeSkipping } from '../support/time-skipping';
import { runRecorder, saveHistory, until } from './recorder';

const MIN = 60_000;
const HOUR = 60 * MIN;
const account = { accountId: '123456789012', executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecution', externalId: 'safeguard-sandbox' };

/** Runs `fn` with a worker on its own task queue serving `activities`. */
async function withWorker<T>(env: TestWorkflowEnvironment, taskQueue: string, activities: object, fn: () => Promise<T>): Promise<T> {
  const worker = await createTestWorker(env, taskQueue, activities);
  return worker.runUntil(fn);
}

function expectOutcome(id: string, got: string, want: string): void {
  if (got !== want) throw new Error(`${id} ended ${got}, not ${want}: not recorded`);
}

async function main(): Promise<void> {
  const env = await startTimeSkipping();

  // 1. An RDS snapshot restored, validated, scored within target, torn down, then signed off.
  {
    const { activities, seed } = fakeDrill();
    seed({ name: 'patients-db', type: 'rds-instance' });
    const drill: RestoreDrillTarget = {
      ...account,
      name: 'patients-db',
      source: { type: 'rds-snapshot', dbInstance: 'patients-db' },
      scratch: { tags: { team: 'data' } },
      validation: { type: 'ssm-command', instanceId: 'i-0123456789abcdef0', document: 'Safeguard-ValidatePatients', parameters: { Endpoint: ['{{scratch.endpoint}}'] }, minRows: 100, timeoutMs: 10 * MIN },
      rtoMs: HOUR,
      rpoMs: 30 * MIN,
      maxDurationMs: 2 * HOUR,
      signOff: { eligible: ['bob', 'carol'], quorum: 1, timeoutMs: HOUR },
    };
    const input: RestoreDrillInput = { drill, requestedBy: 'alice', security: ['carol'], channel: 'C0DRILLS', pollMs: 1_000 };
    await withWorker(env, 'replay-record-drill-1', activities, async () => {
      const h = await env.client.workflow.start('restoreDrillWorkflow', { taskQueue: 'replay-record-drill-1', workflowId: 'drill-restore-patients-db-0000d001', args: [input] });
      await until(async () => {
        const st = await h.query(drillStatusQuery);
        return st.signOff === 'waiting' && st.rounds[0]?.state === 'open';
      }, 'the sign-off round opens');
      await h.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: SIGN_OFF_ROUND, comment: 'row counts look right', via: 'cli' }] });
      const res = (await h.result()) as RestoreDrillResult;
      expectOutcome(h.workflowId, `${res.outcome}/${res.status.signOff}`, 'passed/signed');
      await saveHistory(h, 'passed-signed-off');
    });
  }

  // 2. An AWS Backup recovery point of a DynamoDB table whose validation fails: FAILED reported to AWS Backup, torn down.
  {
    const { activities, state } = fakeDrill();
    state.restorePoint = { basis: 'recovery-point', time: '', ref: 'arn:aws:backup:us-east-1:123456789012:recovery-point:rp-0000d002' };
    state.validation = { passed: false, rows: 3, summary: 'only 3 items, expected at least 10' };
    const drill: RestoreDrillTarget = {
      ...account,
      name: 'claims-vault',
      source: { type: 'backup-recovery-point', vault: 'phi-vault', resourceArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/claims', iamRoleArn: 'arn:aws:iam::123456789012:role/BackupRestore' },
      scratch: { tags: {} },
      validation: { type: 'dynamodb', minItems: 10, timestampAttribute: 'updatedAt' },
      rtoMs: HOUR,
      rpoMs: 30 * MIN,
      maxDurationMs: 2 * HOUR,
    };
    const input: RestoreDrillInput = { drill, requestedBy: 'schedule', security: ['carol'], pollMs: 1_000 };
    await withWorker(env, 'replay-record-drill-2', activities, async () => {
      const h = await env.client.workflow.start('restoreDrillWorkflow', { taskQueue: 'replay-record-drill-2', workflowId: 'drill-restore-claims-vault-0000d002', args: [input] });
      const res = (await h.result()) as RestoreDrillResult;
      expectOutcome(h.workflowId, res.outcome, 'validation-failed');
      if (!state.calls.some((c) => c.activity === 'reportBackupValidation') || !res.status.teardown) throw new Error('validation-failed run did not report to AWS Backup and tear down');
      await saveHistory(h, 'validation-failed');
    });
  }

  // 3. The sweeper deletes one orphan older than the limit whose drill run is not running.
  {
    const { activities, seed } = fakeDrill();
    const now = await env.currentTimeMs();
    seed({ name: 'sg-drill-patients-db-0badf00d', type: 'rds-instance', createdAt: new Date(now - 10 * HOUR).toISOString(), runId: 'drill-restore-patients-db-0badf00d', drill: 'patients-db' });
    const input: DrillSweepInput = { accounts: [account], olderThanMs: 6 * HOUR, requestedBy: 'schedule', security: ['carol'], pollMs: 1_000 };
    await withWorker(env, 'replay-record-drill-3', activities, async () => {
      const h = await env.client.workflow.start('drillSweeperWorkflow', { taskQueue: 'replay-record-drill-3', workflowId: 'safeguard-drill-sweeper-0000d003', args: [input] });
      const res = (await h.result()) as DrillSweepResult;
      expectOutcome(h.workflowId, res.swept.map((s) => `${s.name}:${s.deleted}`).join(','), 'sg-drill-patients-db-0badf00d:true');
      await saveHistory(h, 'swept');
    });
  }

  // 4. A break-glass fire drill: its break-glass child approved by an approver, used once, revoked, verified.
  {
    const { activities } = fakeFireDrill(env.client);
    const id = 'drill-fire-admin-fire-0000d004';
    const grantId = drillGrantId('BreakGlassAdmin', id);
    await withWorker(env, 'replay-record-fire-drill', activities, async () => {
      const h = await env.client.workflow.start('breakGlassDrillWorkflow', { taskQueue: 'replay-record-fire-drill', workflowId: id, args: [fireDrillInput(FIRE_DRILL_POLICY, 'admin-fire', 'schedule')] });
      const child = env.client.workflow.getHandle(grantId);
      await until(async () => {
        const st = await child.query(statusQuery);
        return st.phase === 'pending' && st.approval?.state === 'open';
      }, 'the drill request waits for approval');
      await child.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant', comment: 'fire drill', via: 'cli' }] });
      const res = (await h.result()) as FireDrillResult;
      expectOutcome(id, res.outcome, 'passed');
      const grant = await child.describe();
      if (grant.status.name !== 'COMPLETED') throw new Error(`${grantId} is ${grant.status.name}, not COMPLETED`);
      await saveHistory(h, 'passed');
      await saveHistory(child, 'fire-drill-child');
    });
  }

  await env.teardown();
}

runRecorder(main);
