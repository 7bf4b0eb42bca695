// `safeguard schedules sync|list|trigger|pause|unpause`: the policy's Temporal Schedules.
import type { Command } from 'commander';
import { ScheduleClient } from '../../client/schedules';
import type { ListedSchedule, ScheduleChange } from '../../client/schedules';
import { identity, withContext } from '../program';
import type { Common } from '../program';

function formatList(rows: ListedSchedule[]): string {
  if (rows.length === 0) return 'no schedules (run `safeguard schedules sync` after adding `schedule:` to a rotation target)';
  return rows.map((r) => `${r.scheduleId}  ${r.kind ?? '-'}  ${r.spec}${r.paused ? '  PAUSED' : ''}  next ${r.nextActionTimes[0] ?? '-'}  runs ${r.recentActions}`).join('\n');
}

function formatChanges(rows: ScheduleChange[]): string {
  return rows.length === 0 ? 'no schedules in the policy' : rows.map((r) => `${r.change.padEnd(9)} ${r.scheduleId}`).join('\n');
}

export function register(program: Command): void {
  const schedules = program.command('schedules').description("the policy's rotation schedules (Temporal Schedules)");
  identity(schedules.command('sync').description('create, update and delete Schedules to match the policy'))
    .action(async (o: Common) => {
      await withContext(o, (ctx) => new ScheduleClient(ctx.temporal, ctx.taskQueue).sync(ctx.policy), formatChanges);
    });
  identity(schedules.command('list'))
    .action(async (o: Common) => {
      await withContext(o, (ctx) => new ScheduleClient(ctx.temporal, ctx.taskQueue).list(), formatList);
    });
  identity(schedules.command('trigger <target>').description("run a target's Schedule now (a running rotation is not doubled)"))
    .action(async (target: string, o: Common) => {
      await withContext(o, (ctx) => new ScheduleClient(ctx.temporal, ctx.taskQueue).trigger(ctx.policy, target), (r: { scheduleId: string }) => `triggered ${r.scheduleId}`);
    });
  identity(schedules.command('pause <target>'))
    .option('--note <text>', 'why (shown in `schedules list` and the Web UI)', 'paused with safeguard schedules pause')
    .action(async (target: string, o: Common & { note: string }) => {
      await withContext(o, (ctx) => new ScheduleClient(ctx.temporal, ctx.taskQueue).pause(ctx.policy, target, o.note), (r: { scheduleId: string }) => `paused ${r.scheduleId}`);
    });
  identity(schedules.command('unpause <target>'))
    .option('--note <text>', 'why', 'unpaused with safeguard schedules unpause')
    .action(async (target: string, o: Common & { note: string }) => {
      await withContext(o, (ctx) => new ScheduleClient(ctx.temporal, ctx.taskQueue).unpause(ctx.policy, target, o.note), (r: { scheduleId: string }) => `unpaused ${r.scheduleId}`);
    });
}
