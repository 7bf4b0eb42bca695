// Records the key-rotation histories replayed by test/workflows/replay.test.ts (time-skipping server,
// in-memory activities, no codec). Re-record only on purpose, when a change is meant to be
// incompatible (and then version the workflow with patched()).
//   npx tsx test/replay/record-rotation.ts
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { approveUpdate } from '../../workflows/shared/approval/definitions';
import { rotationStatusQuery } from '../../workflows/key-rotation/definitions';
import type { AccessKeyRotationInput, KmsRotationInput } from '../../workflows/key-rotation/definitions';
import { fakeRotation } from '../support/fake-rotation';
import { createTestWorker, startTimeSkipping } from '../support/time-skipping';

const account = { accountId: '123456789012', executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecution', externalId: 'safeguard-sandbox' };

async function main(): Promise<void> {
  const env = await startTimeSkipping();
  const worker = await createTestWorker(env, 'replay-record', fakeRotation('2020-01-01T00:00:00.000Z').activities);
  const out = path.join(__dirname, 'histories');
  await worker.runUntil(async () => {
    const keyInput: AccessKeyRotationInput = {
      requestedBy: 'dave',
      security: ['carol'],
      force: false,
      pollIntervalMs: 5000,
      target: { ...account, name: 'legacy-etl', userName: 'svc-legacy-etl', store: { type: 'secrets-manager', secretId: 'safeguard/legacy-etl/access-key' }, maxAgeMs: 90 * 86_400_000, gracePeriodMs: 20_000, switchTimeoutMs: 120_000, observePeriodMs: 15_000, deleteApproval: { eligible: ['carol'], quorum: 1, timeoutMs: 900_000 } },
    };
    const id1 = 'rotate-key-legacy-etl-0000c001';
    const h1 = await env.client.workflow.start('accessKeyRotationWorkflow', { taskQueue: 'replay-record', workflowId: id1, args: [keyInput] });
    while (!(await h1.query(rotationStatusQuery)).rounds.some((r) => r.state === 'open')) await new Promise((r) => setTimeout(r, 50));
    await h1.executeUpdate(approveUpdate, { args: [{ approver: 'carol', round: 'delete-old-key', comment: 'consumers moved', via: 'cli' }] });
    await h1.result();
    fs.writeFileSync(path.join(out, `${id1}.rotated-delete-approved.json`), historyToJSON(await h1.fetchHistory()));

    const kmsInput: KmsRotationInput = { requestedBy: 'schedule', security: ['carol'], target: { ...account, name: 'audit-logs', keyRef: 'alias/safeguard-audit', rotationPeriodDays: 90, onDemandDrill: true } };
    const id2 = 'rotate-kms-audit-logs-0000c002';
    const h2 = await env.client.workflow.start('kmsRotationWorkflow', { taskQueue: 'replay-record', workflowId: id2, args: [kmsInput] });
    await h2.result();
    fs.writeFileSync(path.join(out, `${id2}.verified-on-demand.json`), historyToJSON(await h2.fetchHistory()));
  });
  await env.teardown();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
