// Records the histories replayed by test/workflows/replay.test.ts, run on the time-skipping server
// with the fake activities (no codec, so the files are readable). The 0000a00x files come from
// before the trust hardening (patch `trust-hardening-1`) and must keep replaying; this script records
// today's path (0000b00x). Re-record only on purpose, when a change is meant to be incompatible (and
// then version the workflow with patched()).
//   npx tsx test/replay/record.ts
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { approveUpdate, credentialsIssuedSignal, denyUpdate, extendUpdate, revokeUpdate, statusQuery } from '../../workflows/break-glass/definitions';
import { breakGlassInput } from '../support/break-glass-input';
import { fakeActivities } from '../support/fake-activities';
import { createTestWorker, startTimeSkipping } from '../support/time-skipping';

async function main(): Promise<void> {
  const env = await startTimeSkipping();
  const worker = await createTestWorker(env, 'replay-record', fakeActivities().activities);
  const out = path.join(__dirname, 'histories');
  fs.mkdirSync(out, { recursive: true });
  await worker.runUntil(async () => {
    const approved = breakGlassInput({ grantId: 'breakglass-BreakGlassAdmin-0000b001' });
    const h1 = await env.client.workflow.start('breakGlassWorkflow', { taskQueue: 'replay-record', workflowId: approved.grantId, args: [approved] });
    await h1.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant', comment: 'confirmed', via: 'cli' }] });
    while ((await h1.query(statusQuery)).phase !== 'active') await new Promise((r) => setTimeout(r, 50));
    await h1.signal(credentialsIssuedSignal, { accessKeyId: 'ASIAREPLAYKEY0000001', expiresAt: '2030-01-01T00:15:00.000Z', issuedAt: '2030-01-01T00:00:00.000Z' });
    await h1.executeUpdate(extendUpdate, { args: [{ requester: 'alice', byMs: 600_000, reason: 'migration still running' }] });
    await h1.executeUpdate(approveUpdate, { args: [{ approver: 'carol', round: 'extension-1', via: 'api' }] });
    await h1.result();
    fs.writeFileSync(path.join(out, `${approved.grantId}.approved-extended-expired.json`), historyToJSON(await h1.fetchHistory()));

    const posthoc = breakGlassInput({ grantId: 'breakglass-BreakGlassAdmin-0000b002', role: { mode: 'post-hoc', ratificationDeadlineMs: 3600_000 } });
    const h2 = await env.client.workflow.start('breakGlassWorkflow', { taskQueue: 'replay-record', workflowId: posthoc.grantId, args: [posthoc] });
    while ((await h2.query(statusQuery)).phase !== 'active') await new Promise((r) => setTimeout(r, 50));
    await h2.executeUpdate(extendUpdate, { args: [{ requester: 'alice', byMs: 600_000 }] });
    await h2.executeUpdate(denyUpdate, { args: [{ approver: 'carol', round: 'ratification', reason: 'no incident on record', via: 'cli' }] });
    await h2.result();
    fs.writeFileSync(path.join(out, `${posthoc.grantId}.posthoc-rejected-extension-pending.json`), historyToJSON(await h2.fetchHistory()));

    const revoked = breakGlassInput({ grantId: 'breakglass-BreakGlassAdmin-0000b003' });
    const h3 = await env.client.workflow.start('breakGlassWorkflow', { taskQueue: 'replay-record', workflowId: revoked.grantId, args: [revoked] });
    await h3.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant', via: 'slack' }] });
    while ((await h3.query(statusQuery)).phase !== 'active') await new Promise((r) => setTimeout(r, 50));
    await h3.executeUpdate(revokeUpdate, { args: [{ by: 'alice', reason: 'done early' }] });
    await h3.result();
    fs.writeFileSync(path.join(out, `${revoked.grantId}.revoked-early.json`), historyToJSON(await h3.fetchHistory()));
  });
  await env.teardown();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
