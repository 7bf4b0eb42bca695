// The policy's rotation schedules as Temporal Schedules on the dev server (the time-skipping server
// has none): the stack's worker created them at start-up; sync is idempotent and follows policy
// edits; a triggered run is a real rotation carrying SafeguardKind. Runs are driven by trigger, never
// by waiting for the clock.
import { ScheduleClient } from '../../client/schedules';
import { RotationClient } from '../../client/rotation-client';
import type { Policy } from '../../config/policy/types';
import { searchAttributeKeys } from '../../client/search-attributes';
import { sleep, useStackSession } from '../support/it-helpers';

const stack = useStackSession();
let schedules: ScheduleClient;

beforeAll(() => {
  schedules = new ScheduleClient(stack.ctx.temporal, stack.info.taskQueue);
});

/** Schedule listing is eventually consistent: ask until `ok` holds (bounded). */
async function listUntil(ok: (ids: string[]) => boolean, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids = (await schedules.list()).map((s) => s.scheduleId);
    if (ok(ids)) return ids;
    if (Date.now() > deadline) throw new Error(`schedules never matched; last seen ${ids.join(', ')}`);
    await sleep(500);
  }
}

function withoutSchedule(policy: Policy, target: string): Policy {
  return { ...policy, rotation: { ...policy.rotation, kmsKeys: policy.rotation.kmsKeys.map((k) => (k.name === target ? { ...k, schedule: undefined } : k)) } } as Policy;
}

it('the worker created one Schedule per scheduled target; sync again changes nothing', async () => {
  const ids = await listUntil((ids) => ids.includes('safeguard-rotate-kms-it-kms'));
  expect(ids).toEqual(expect.arrayContaining(['safeguard-rotate-key-reporting-exporter', 'safeguard-rotate-kms-phi-data', 'safeguard-rotate-kms-it-kms']));
  // Targets without `schedule` have none.
  expect(ids).not.toContain('safeguard-rotate-key-it-rotate');
  const again = await schedules.sync(stack.ctx.policy);
  expect(again.every((c) => c.change === 'unchanged')).toBe(true);
  const kms = await schedules.describe(stack.ctx.policy, 'it-kms');
  expect(kms).toMatchObject({ kind: 'kms-rotation', spec: 'every 3600s', paused: false });
});

it('a triggered run is a rotation carrying SafeguardKind, started by the schedule', async () => {
  const before = new Set((await new RotationClient(stack.ctx.temporal).list({ target: 'it-kms' })).map((r) => r.workflowId));
  await schedules.trigger(stack.ctx.policy, 'it-kms');
  const deadline = Date.now() + 30_000;
  let runId: string | undefined;
  while (!runId) {
    for await (const wf of stack.ctx.temporal.workflow.list({ query: "SafeguardKind = 'kms-rotation' AND SafeguardRole = 'it-kms'" })) {
      if (!before.has(wf.workflowId) && wf.workflowId.startsWith('rotate-kms-it-kms-')) {
        runId = wf.workflowId;
        expect(wf.typedSearchAttributes.get(searchAttributeKeys.requester)).toBe('schedule');
      }
    }
    if (!runId && Date.now() > deadline) throw new Error('the triggered run never appeared');
    if (!runId) await sleep(500);
  }
  const res = await new RotationClient(stack.ctx.temporal).result(runId);
  expect(res.outcome).toBe('verified');
  expect(res.status.requestedBy).toBe('schedule');
});

it('pause and unpause say so; unknown targets are refused by name', async () => {
  await schedules.pause(stack.ctx.policy, 'it-kms', 'maintenance window');
  expect((await schedules.describe(stack.ctx.policy, 'it-kms')).paused).toBe(true);
  await schedules.unpause(stack.ctx.policy, 'it-kms', 'done');
  expect((await schedules.describe(stack.ctx.policy, 'it-kms')).paused).toBe(false);
  await expect(schedules.trigger(stack.ctx.policy, 'it-rotate')).rejects.toThrow(/"it-rotate" has no schedule in the policy/);
});

it('follows policy edits: a removed schedule is deleted, a restored one created again', async () => {
  const removed = await schedules.sync(withoutSchedule(stack.ctx.policy, 'it-kms'));
  expect(removed).toContainEqual({ scheduleId: 'safeguard-rotate-kms-it-kms', target: 'it-kms', change: 'deleted' });
  await listUntil((ids) => !ids.includes('safeguard-rotate-kms-it-kms'));
  const restored = await schedules.sync(stack.ctx.policy);
  expect(restored).toContainEqual({ scheduleId: 'safeguard-rotate-kms-it-kms', target: 'it-kms', change: 'created' });
  // A changed period replaces the Schedule (its fingerprint changed); the same policy leaves it.
  const faster = { ...stack.ctx.policy, rotation: { ...stack.ctx.policy.rotation, kmsKeys: stack.ctx.policy.rotation.kmsKeys.map((k) => (k.name === 'it-kms' ? { ...k, schedule: { everyMs: 30 * 60_000 } } : k)) } } as Policy;
  expect((await schedules.sync(faster)).find((c) => c.target === 'it-kms')?.change).toBe('updated');
  expect((await schedules.describe(faster, 'it-kms')).spec).toBe('every 1800s');
  expect((await schedules.sync(stack.ctx.policy)).find((c) => c.target === 'it-kms')?.change).toBe('updated');
});
