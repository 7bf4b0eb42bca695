// Records the histories replayed by test/workflows/replay.test.ts: one approved-and-expired request
// and one post-hoc request rejected by an approver, run on the time-skipping server with the fake
// activities (no codec, so the files are readable). Re-record only on purpose, when a change is
// meant to be incompatible (and then version the workflow with patched()).
//   npx tsx test/replay/record.ts
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { approveUpdate, denyUpdate } from '../../workflows/break-glass/definitions';
import { breakGlassInput } from '../support/break-glass-input';
import { fakeActivities } from '../support/fake-activities';
import { createTestWorker, startTimeSkipping } from '../support/time-skipping';

async function main(): Promise<void> {
  const env = await startTimeSkipping();
  const worker = await createTestWorker(env, 'replay-record', fakeActivities().activities);
  const out = path.join(__dirname, 'histories');
  fs.mkdirSync(out, { recursive: true });
  await worker.runUntil(async () => {
    const approved = breakGlassInput({ grantId: 'breakglass-BreakGlassAdmin-0000a001' });
    const h1 = await env.client.workflow.start('breakGlassWorkflow', { taskQueue: 'replay-record', workflowId: approved.grantId, args: [approved] });
    await h1.executeUpdate(approveUpdate, { args: [{ approver: 'bob', comment: 'confirmed' }] });
    await h1.result();
    fs.writeFileSync(path.join(out, `${approved.grantId}.approved-expired.json`), historyToJSON(await h1.fetchHistory()));

    const posthoc = breakGlassInput({ grantId: 'breakglass-BreakGlassAdmin-0000a002', role: { mode: 'post-hoc', ratificationDeadlineMs: 3600_000 } });
    const h2 = await env.client.workflow.start('breakGlassWorkflow', { taskQueue: 'replay-record', workflowId: posthoc.grantId, args: [posthoc] });
    await env.sleep(1000);
    await h2.executeUpdate(denyUpdate, { args: [{ approver: 'carol', reason: 'no incident on record' }] });
    await h2.result();
    fs.writeFileSync(path.join(out, `${posthoc.grantId}.posthoc-rejected.json`), historyToJSON(await h2.fetchHistory()));
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
