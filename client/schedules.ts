// The policy's schedules as Temporal Schedules: one per rotation target, drill or access review that declares
// `schedule`, and the drill sweeper's and the root-login watcher's, created, updated and deleted to match the policy,
// idempotently (`safeguard schedules sync`, and the worker at start-up); `plan` reports the same changes
// without making them (`safeguard doctor`). Runs carry SafeguardKind; overlapping runs are skipped. Schedules
// Safeguard did not create (no `managedBy` memo) are never touched.
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Client, ScheduleDescription, ScheduleOptionsStartWorkflowAction, ScheduleSpec } from '@temporalio/client';
import type { Policy } from '../config/policy/types';
import { DEFAULT_TASK_QUEUE } from '../workflows/shared/task-queues';
import { canonicalJson } from '../evidence/canonical-json';
import { SafeguardError } from './errors';
import { DRILL_SWEEPER_WORKFLOW, RESTORE_DRILL_WORKFLOW, SWEEPER_ID, drillSweepInput, restoreDrillInput } from './drill-client';
import { FIRE_DRILL_WORKFLOW_TYPE, fireDrillInput } from './fire-drill-client';
import { policyScheduleId, scheduledRunId } from './ids';
import { ACCESS_REVIEW_WORKFLOW, accessReviewInput } from './review-client';
import type { ScheduledKind } from './ids';
import { ROTATION_WORKFLOW_TYPES, accessKeyRotationInput, kmsRotationInput } from './rotation-client';
import { searchAttributeKeys } from './search-attributes';
import { assertFreeText } from './request';
import { ROOT_LOGIN_WATCH_SCHEDULE_ID, ROOT_LOGIN_WATCH_WORKFLOW } from '../workflows/runbook/definitions';
import { rootLoginWatchInput } from './runbook-definition';

export const MANAGED_BY = 'safeguard-policy';
/** Schedule ids this sync owns start with one of these (and carry the managedBy memo). */
const SCHEDULE_ID = /^safeguard-(?:rotate-key|rotate-kms|drill-restore|drill-fire|review)-|^safeguard-drill-sweeper$|^safeguard-root-login-watch$/;
const TARGET_OF_ID = /^safeguard-(?:rotate-key|rotate-kms|drill-restore|drill-fire|review)-/;

/** Kinds with one Schedule for the whole policy rather than one per target: its id and how commands name it. */
type SingletonKind = 'drill-sweeper' | 'root-login-watch';
const SINGLETONS: Record<SingletonKind, { scheduleId: string; target: string }> = {
  'drill-sweeper': { scheduleId: SWEEPER_ID, target: 'sweeper' },
  'root-login-watch': { scheduleId: ROOT_LOGIN_WATCH_SCHEDULE_ID, target: 'root-login-watch' },
};

const WORKFLOW_TYPES: Record<ScheduledKind | SingletonKind, string> = {
  ...ROTATION_WORKFLOW_TYPES,
  'restore-drill': RESTORE_DRILL_WORKFLOW,
  'break-glass-drill': FIRE_DRILL_WORKFLOW_TYPE,
  'drill-sweeper': DRILL_SWEEPER_WORKFLOW,
  'access-review': ACCESS_REVIEW_WORKFLOW,
  'root-login-watch': ROOT_LOGIN_WATCH_WORKFLOW,
};

export interface DesiredSchedule {
  scheduleId: string;
  kind: ScheduledKind | SingletonKind;
  target: string;
  spec: ScheduleSpec;
  action: ScheduleOptionsStartWorkflowAction<(...args: unknown[]) => Promise<unknown>>;
}

export interface ScheduleChange {
  scheduleId: string;
  target: string;
  change: 'created' | 'updated' | 'unchanged' | 'deleted';
}

/** One step of bringing Temporal in line with the policy, with what applying it needs. */
interface PlannedStep extends ScheduleChange {
  desired?: DesiredSchedule;
  /** For `updated`: the Schedule being replaced (its paused state is kept). */
  current?: ScheduleDescription;
}

export interface ListedSchedule {
  scheduleId: string;
  kind?: string;
  target?: string;
  paused: boolean;
  spec: string;
  recentActions: number;
  nextActionTimes: string[];
}

/** What the policy asks for: one Schedule per target or drill with a `schedule`, the sweeper's and the watcher's. */
export function desiredSchedules(policy: Policy, taskQueue: string = DEFAULT_TASK_QUEUE): DesiredSchedule[] {
  const out: DesiredSchedule[] = [];
  const add = (kind: ScheduledKind | SingletonKind, target: string, schedule: { everyMs: number } | { cron: string }, accountId: string | undefined, args: unknown[]): void => {
    const single = kind === 'drill-sweeper' || kind === 'root-login-watch' ? SINGLETONS[kind] : undefined;
    out.push({
      scheduleId: single ? single.scheduleId : policyScheduleId(kind as ScheduledKind, target),
      kind,
      target,
      spec: 'everyMs' in schedule ? { intervals: [{ every: schedule.everyMs }] } : { cronExpressions: [schedule.cron] },
      action: {
        type: 'startWorkflow',
        workflowType: WORKFLOW_TYPES[kind] as string,
        workflowId: single ? single.scheduleId : scheduledRunId(kind as ScheduledKind, target),
        taskQueue,
        args,
        typedSearchAttributes: [
          { key: searchAttributeKeys.kind, value: kind },
          ...(single ? [] : [{ key: searchAttributeKeys.role, value: target }]),
          ...(accountId ? [{ key: searchAttributeKeys.account, value: accountId }] : []),
          { key: searchAttributeKeys.requester, value: 'schedule' },
        ],
      },
    });
  };
  for (const t of policy.rotation.accessKeys) if (t.schedule) add('access-key-rotation', t.name, t.schedule, t.account, [accessKeyRotationInput(policy, t.name, 'schedule')]);
  for (const t of policy.rotation.kmsKeys) if (t.schedule) add('kms-rotation', t.name, t.schedule, t.account, [kmsRotationInput(policy, t.name, 'schedule')]);
  for (const d of policy.drills.restore) if (d.schedule) add('restore-drill', d.name, d.schedule, d.account, [restoreDrillInput(policy, d.name, 'schedule')]);
  for (const d of policy.drills.fire) {
    if (!d.schedule) continue;
    const input = fireDrillInput(policy, d.name, 'schedule');
    add('break-glass-drill', d.name, d.schedule, input.drill.role.accountId, [input]);
  }
  for (const r of policy.reviews.access) if (r.schedule) add('access-review', r.name, r.schedule, r.accounts[0], [accessReviewInput(policy, r.name, 'schedule')]);
  const sweeper = policy.drills.sweeper.schedule;
  if (sweeper && policy.drills.restore.length > 0) add('drill-sweeper', 'sweeper', sweeper, undefined, [drillSweepInput(policy, 'schedule')]);
  const watch = policy.runbooks.rootLoginWatch;
  if (watch) add('root-login-watch', SINGLETONS['root-login-watch'].target, watch.schedule, undefined, [rootLoginWatchInput(policy)]);
  return out;
}

const POLICIES = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 60 * 60_000 };

export class ScheduleClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string = DEFAULT_TASK_QUEUE,
  ) {}

  /** Makes Temporal's Schedules match the policy; returns what changed. */
  async sync(policy: Policy): Promise<ScheduleChange[]> {
    const changes: ScheduleChange[] = [];
    for (const step of await this.steps(policy)) {
      const change = await this.apply(step);
      if (change) changes.push({ scheduleId: step.scheduleId, target: step.target, change });
    }
    return changes;
  }

  /**
   * What `sync` would change, without writing anything (`safeguard doctor`): the same list, from
   * the same comparison. A Schedule created, changed or deleted between `plan` and `sync` is
   * handled by `sync` itself.
   */
  async plan(policy: Policy): Promise<ScheduleChange[]> {
    return (await this.steps(policy)).map(({ scheduleId, target, change }) => ({ scheduleId, target, change }));
  }

  /** The policy's Schedules compared with Temporal's, one step each: sync applies them, plan reports them. */
  private async steps(policy: Policy): Promise<PlannedStep[]> {
    const desired = desiredSchedules(policy, this.taskQueue);
    const steps: PlannedStep[] = [];
    for (const d of desired) steps.push(await this.compare(d));
    const wanted = new Set(desired.map((d) => d.scheduleId));
    for (const id of await this.managedIds()) {
      if (wanted.has(id)) continue;
      // The list is eventually consistent: a Schedule deleted a moment ago may still be listed.
      if (!(await this.current(id))) continue;
      steps.push({ scheduleId: id, target: id.replace(TARGET_OF_ID, ''), change: 'deleted' });
    }
    return steps;
  }

  private async compare(d: DesiredSchedule): Promise<PlannedStep> {
    const base = { scheduleId: d.scheduleId, target: d.target, desired: d };
    const current = await this.current(d.scheduleId);
    if (!current) return { ...base, change: 'created' };
    return current.memo?.['fingerprint'] === fingerprint(d) ? { ...base, change: 'unchanged' } : { ...base, change: 'updated', current };
  }

  private async current(id: string): Promise<ScheduleDescription | undefined> {
    try {
      return await this.client.schedule.getHandle(id).describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    }
  }

  /** Carries out one step; returns what changed (undefined: a Schedule to delete was already gone). */
  private async apply(step: PlannedStep, retried = false): Promise<ScheduleChange['change'] | undefined> {
    if (step.change === 'unchanged') return 'unchanged';
    if (step.change === 'deleted') {
      try {
        await this.client.schedule.getHandle(step.scheduleId).delete();
        return 'deleted';
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) return undefined;
        throw err;
      }
    }
    const d = step.desired;
    if (!d) throw new Error(`schedule ${step.scheduleId}: no desired state to ${step.change === 'created' ? 'create' : 'update'} it from`);
    const memo = scheduleMemo(d);
    if (step.change === 'created') {
      try {
        await this.client.schedule.create({ scheduleId: d.scheduleId, spec: d.spec, action: d.action, policies: POLICIES, memo });
        return 'created';
      } catch (err) {
        // Created by someone else since the comparison (another worker starting): compare again, once.
        if (!(err instanceof ScheduleAlreadyRunning) || retried) throw err;
        return this.apply(await this.compare(d), true);
      }
    }
    const current = step.current;
    if (!current) throw new Error(`schedule ${step.scheduleId}: no current state to update`);
    // A Schedule's memo cannot be updated, and the memo is where the fingerprint lives: replace the
    // Schedule, keeping whether it was paused (and why).
    await this.client.schedule.getHandle(d.scheduleId).delete();
    await this.client.schedule.create({ scheduleId: d.scheduleId, spec: d.spec, action: d.action, policies: POLICIES, memo, state: { paused: current.state.paused, ...(current.state.note ? { note: current.state.note } : {}) } });
    return 'updated';
  }

  async list(): Promise<ListedSchedule[]> {
    const out: ListedSchedule[] = [];
    for (const id of await this.managedIds()) {
      try {
        const d = await this.client.schedule.getHandle(id).describe();
        out.push(summary(id, d));
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
    }
    return out.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
  }

  /** Runs a target's Schedule now (overlap still skipped: a running rotation is not doubled). */
  async trigger(policy: Policy, target: string): Promise<{ scheduleId: string }> {
    const id = this.idFor(policy, target);
    await this.handle(id, (h) => h.trigger(ScheduleOverlapPolicy.SKIP));
    return { scheduleId: id };
  }

  async pause(policy: Policy, target: string, note: string): Promise<{ scheduleId: string }> {
    assertFreeText('note', note);
    const id = this.idFor(policy, target);
    await this.handle(id, (h) => h.pause(note));
    return { scheduleId: id };
  }

  async unpause(policy: Policy, target: string, note: string): Promise<{ scheduleId: string }> {
    assertFreeText('note', note);
    const id = this.idFor(policy, target);
    await this.handle(id, (h) => h.unpause(note));
    return { scheduleId: id };
  }

  async describe(policy: Policy, target: string): Promise<ListedSchedule> {
    const id = this.idFor(policy, target);
    return this.handle(id, async (h) => summary(id, await h.describe()));
  }

  private idFor(policy: Policy, target: string): string {
    const all = desiredSchedules(policy, this.taskQueue);
    const d = all.find((x) => x.target === target);
    if (!d) {
      const known = all.map((x) => x.target);
      throw new SafeguardError('UNKNOWN_SCHEDULE', `"${target.slice(0, 64)}" has no schedule in the policy (scheduled targets: ${known.join(', ') || 'none'})`);
    }
    return d.scheduleId;
  }

  private async handle<T>(id: string, fn: (h: ReturnType<Client['schedule']['getHandle']>) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client.schedule.getHandle(id));
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new SafeguardError('UNKNOWN_SCHEDULE', `schedule ${id} does not exist yet: run \`safeguard schedules sync\` (or start the worker)`, { cause: err });
      throw err;
    }
  }

  /** Schedules this policy sync owns, from Temporal's (eventually consistent) list. */
  private async managedIds(): Promise<string[]> {
    const ids: string[] = [];
    for await (const s of this.client.schedule.list()) {
      if (SCHEDULE_ID.test(s.scheduleId) && s.memo?.['managedBy'] === MANAGED_BY) ids.push(s.scheduleId);
    }
    return ids;
  }
}

function specText(spec: ScheduleSpec): string {
  const every = spec.intervals?.[0]?.every;
  if (spec.cronExpressions?.[0]) return `cron ${spec.cronExpressions[0]}`;
  return every !== undefined ? `every ${typeof every === 'number' ? `${Math.round(every / 1000)}s` : String(every)}` : 'calendar';
}

function scheduleMemo(d: DesiredSchedule): Record<string, string> {
  return { managedBy: MANAGED_BY, fingerprint: fingerprint(d), spec: specText(d.spec) };
}

function fingerprint(d: DesiredSchedule): string {
  return canonicalJson({ spec: d.spec, workflowType: d.action.workflowType, taskQueue: d.action.taskQueue, args: d.action.args ?? [] });
}

function summary(id: string, d: ScheduleDescription): ListedSchedule {
  const action = d.action as { workflowType?: string; workflowId?: string };
  const single = Object.values(SINGLETONS).find((x) => x.scheduleId === id);
  const target = single ? single.target : TARGET_OF_ID.test(id) ? id.replace(TARGET_OF_ID, '') : undefined;
  const kind = Object.entries(WORKFLOW_TYPES).find(([, type]) => type === action.workflowType)?.[0];
  const spec = typeof d.memo?.['spec'] === 'string' ? d.memo['spec'] : 'unknown';
  return {
    scheduleId: id,
    ...(kind ? { kind } : {}),
    ...(target ? { target } : {}),
    paused: d.state.paused,
    spec,
    recentActions: d.info.recentActions.length,
    nextActionTimes: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
  };
}
