// Temporal Schedules the worker owns, created or brought up to date idempotently at start-up: today
// the break-glass reconciler (every minute in production; seconds in dev and tests). A worker with
// `SAFEGUARD_RECONCILE_INTERVAL=off` leaves the Schedule alone (a second worker on the same queue, or
// a throwaway test worker).
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Client, ScheduleOptionsStartWorkflowAction, ScheduleSpec } from '@temporalio/client';
import { searchAttributeKeys } from '../client/search-attributes';
import type { SafeguardKind } from '../workflows/shared/search-attributes';
import { reconcilerScheduleId } from '../workflows/break-glass/definitions';
import { parseDuration } from '../config/duration';
import type { breakGlassReconcilerWorkflow } from '../workflows/break-glass/reconcile.workflow';

export type ScheduleSync = 'created' | 'updated' | 'unchanged' | 'disabled';

export async function ensureReconcilerSchedule(client: Client, taskQueue: string, interval: string): Promise<ScheduleSync> {
  if (interval === 'off') return 'disabled';
  const everyMs = parseDuration(interval, 'SAFEGUARD_RECONCILE_INTERVAL');
  const scheduleId = reconcilerScheduleId(taskQueue);
  const spec: ScheduleSpec = { intervals: [{ every: everyMs }] };
  const action: ScheduleOptionsStartWorkflowAction<typeof breakGlassReconcilerWorkflow> = {
    type: 'startWorkflow',
    workflowType: 'breakGlassReconcilerWorkflow',
    workflowId: `${scheduleId}-run`,
    taskQueue,
    args: [{}],
    typedSearchAttributes: [{ key: searchAttributeKeys.kind, value: 'reconciler' satisfies SafeguardKind }],
  };
  // A run still going when the next is due is not doubled; missed runs are not replayed in bulk.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: Math.max(everyMs, 60_000) };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(scheduleId);
  const current = await handle.describe();
  const same = current.spec.intervals?.length === 1 && current.spec.intervals[0]?.every === everyMs && current.action.taskQueue === taskQueue && current.action.workflowType === action.workflowType;
  if (same && !current.state.paused) return 'unchanged';
  await handle.update((prev) => ({ ...prev, spec, action, policies, state: { ...prev.state, paused: false } }));
  return 'updated';
}
