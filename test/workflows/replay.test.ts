// Recorded histories (test/replay/histories, written by test/replay/record.ts for break-glass,
// record-rotation.ts for rotations, record-drills.ts for restore drills, the sweeper and fire drills,
// record-reviews.ts for an access review and its reviewers, and record-reconciler.ts for the
// reconciler, its per-grant reconciliation, the role deny-policy writer and the cleanup, and
// record-runbooks.ts for a declarative runbook and a root-login watcher look) must replay
// against today's workflow code: a change that would break running workflows fails here, not in
// production. Reading and replaying is worker/replay.ts, the same code `safeguard audit replay` runs.
import path from 'node:path';
import * as workflows from '../../workflows';
import { historyFiles, readHistoryFile, replayHistories } from '../../worker/replay';
import { workflowBundle } from '../support/time-skipping';

const dir = path.join(__dirname, '../replay/histories');
const files = historyFiles(dir).map(readHistoryFile);

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(2);
});

test('every workflow the worker registers (workflows/index.ts) has a recorded history', () => {
  const recorded = new Set(files.map((f) => f.workflowType));
  expect(Object.keys(workflows).filter((t) => !recorded.has(t))).toEqual([]);
});

// Files are named <workflow id>.<scenario>.json: replay needs the original id (child ids derive from it).
test('every recorded history replays without non-determinism', async () => {
  const results = await replayHistories(files, { bundle: await workflowBundle() });
  expect(results.filter((r) => !r.ok)).toEqual([]);
  expect(results).toHaveLength(files.length);
});
