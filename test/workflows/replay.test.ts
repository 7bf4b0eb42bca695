// Recorded histories (test/replay/histories, written by test/replay/record.ts for break-glass,
// record-rotation.ts for rotations, record-drills.ts for restore drills, the sweeper and fire drills,
// and record-reviews.ts for an access review and its reviewers) must replay against today's
// workflow code: a change that would break running workflows fails here, not in production. The
// workflow type comes from each history's first event.
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/time-skipping';

const dir = path.join(__dirname, '../replay/histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(2);
});

/** Runbook workflows a person or a Schedule starts, and the break-glass request a fire drill starts as its child. */
const RECORDED_TYPES = ['breakGlassWorkflow', 'accessKeyRotationWorkflow', 'kmsRotationWorkflow', 'restoreDrillWorkflow', 'drillSweeperWorkflow', 'breakGlassDrillWorkflow', 'accessReviewWorkflow', 'accessReviewerWorkflow'];

test('every runbook kind has a recorded history', () => {
  const typeOf = (file: string): string | undefined => {
    const h = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { events?: Array<{ workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } } }> };
    return h.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
  };
  const recorded = new Set(files.map(typeOf));
  expect(RECORDED_TYPES.filter((t) => !recorded.has(t))).toEqual([]);
});

// Files are named <workflow id>.<scenario>.json: replay needs the original id (child ids derive from it).
test.each(files)('%s replays without non-determinism', async (file) => {
  const history = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as unknown;
  const workflowId = file.split('.')[0]!;
  await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId)).resolves.toBeUndefined();
});
