// The root-login watcher's decisions on the time-skipping server, with in-memory activities: an
// unexpected sign-in pages once however often it is seen, one during an approved recovery is recorded
// as expected and pages nobody, a page Slack does not take is paged again by the next look (nothing
// recorded meanwhile), and a record that cannot be written pages that too. CloudTrail, visibility and
// the Schedule against the real stack: test/integration/runbook-root-recovery.test.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parsePolicy } from '../../config/policy';
import type { Policy } from '../../config/policy/types';
import { REPO_ROOT } from '../../config/stack-file';
import { rootLoginWatchInput } from '../../client/runbook-definition';
import type { RootLoginWatchResult } from '../../workflows/runbook/definitions';
import { fakeRunbook } from '../support/fake-runbook';
import type { FakeRunbook } from '../support/fake-runbook';
import { createTestWorker, startTimeSkipping } from '../support/time-skipping';
import { healTimeSkipping, terminateLeftovers } from './harness';

let env: TestWorkflowEnvironment;
let policy: Policy;
beforeAll(async () => {
  env = await startTimeSkipping();
  const r = parsePolicy(readFileSync(path.join(REPO_ROOT, 'examples/policy.yaml'), 'utf8'), 'examples/policy.yaml');
  if (!r.ok) throw new Error('examples/policy.yaml does not load');
  policy = r.policy;
});
afterAll(async () => {
  await env?.teardown();
});

const UNEXPECTED = { accountId: '123456789012', eventId: 'ev-unexpected', at: '2026-12-01T10:00:00.000Z', sourceIp: '198.51.100.9', mfaUsed: 'No' };
const DURING = { accountId: '123456789012', eventId: 'ev-during', at: '2026-12-01T10:05:00.000Z', mfaUsed: 'Yes', duringRun: 'runbook-root-recovery-1a2b3c4d' };

/** Runs `looks` watcher looks one after another against the same fake world. */
async function watch(looks: Array<(s: FakeRunbook) => void>): Promise<{ results: RootLoginWatchResult[]; s: FakeRunbook }> {
  const { activities, state } = fakeRunbook(policy);
  state.logins = [UNEXPECTED, DURING];
  const taskQueue = `tq-watch-${Math.random().toString(16).slice(2, 10)}`;
  const worker = await createTestWorker(env, taskQueue, activities);
  const results: RootLoginWatchResult[] = [];
  const ids: string[] = [];
  try {
    await worker.runUntil(async () => {
      for (const [i, before] of looks.entries()) {
        before(state);
        const id = `safeguard-root-login-watch-${taskQueue}-${i}`;
        ids.push(id);
        results.push((await env.client.workflow.execute('rootLoginWatchWorkflow', { taskQueue, workflowId: id, args: [rootLoginWatchInput(policy)] })) as RootLoginWatchResult);
      }
    });
  } finally {
    for (const id of ids) await terminateLeftovers(env, id);
    await healTimeSkipping(env);
  }
  return { results, s: state };
}

const pages = (s: FakeRunbook, event: string) => s.notifications.filter((n) => n.event === event);

test('an unexpected sign-in pages once however often it is seen; one during an approved recovery is recorded as expected', async () => {
  const { results, s } = await watch([() => undefined, () => undefined]);
  expect(results[0]).toMatchObject({ seen: 2, paged: [UNEXPECTED], expected: [DURING] });
  expect(results[1]!.paged).toEqual([]);
  expect(pages(s, 'root-login-unexpected')).toHaveLength(1);
  expect(pages(s, 'root-login-unexpected')[0]).toMatchObject({ severity: 'page', audience: ['carol'], detail: expect.stringContaining('root console sign-in to 123456789012 at 2026-12-01T10:00:00.000Z from 198.51.100.9 (MFA used: No)') });
  expect(s.evidence.map((e) => [e.id, e.record['verdict']])).toEqual([
    ['root-login/123456789012/ev-unexpected', 'unexpected'],
    ['root-login/123456789012/ev-during', 'expected'],
  ]);
  expect(s.evidence[1]!.record).toMatchObject({ duringRun: DURING.duringRun });
});

test('a page Slack does not take records nothing, so the next look pages it', async () => {
  const { results, s } = await watch([(st) => st.failingEvents.add('root-login-unexpected'), (st) => st.failingEvents.clear()]);
  expect(results[0]!.paged).toEqual([]);
  expect(results[1]!.paged).toEqual([UNEXPECTED]);
  expect(pages(s, 'root-login-unexpected')).toHaveLength(1);
  expect(s.evidence.filter((e) => e.record['verdict'] === 'unexpected')).toHaveLength(1);
});

test('a record that cannot be written still pages the sign-in, and says the record is missing', async () => {
  const { results, s } = await watch([(st) => (st.evidenceFails = true)]);
  expect(results[0]!.paged).toEqual([UNEXPECTED]);
  expect(pages(s, 'root-login-unexpected')).toHaveLength(1);
  expect(pages(s, 'evidence-not-written')[0]).toMatchObject({ severity: 'page', detail: expect.stringMatching(/ev-unexpected was paged but its evidence record could not be written/) });
});
