// Recorded histories (test/replay/histories, written by test/replay/record.ts) must replay against
// today's workflow code: a change that would break running workflows fails here, not in production.
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/time-skipping';

const dir = path.join(__dirname, '../replay/histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(2);
});

// Files are named <workflow id>.<scenario>.json: replay needs the original id (child ids derive from it).
test.each(files)('%s replays without non-determinism', async (file) => {
  const history = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as unknown;
  const workflowId = file.split('.')[0]!;
  await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId)).resolves.toBeUndefined();
});
