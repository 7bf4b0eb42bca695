// `safeguard drill run|status|list|report|sweep`: restore drills and the scratch sweeper (fire
// drills: `drill fire`; their approvers decide on the DRILL break-glass request). Sign-off goes
// through `safeguard approve|deny <id>` like every decision.
import type { Command } from 'commander';
import { DrillClient } from '../../client/drill-client';
import { FireDrillClient } from '../../client/fire-drill-client';
import { assertRunId } from '../../client/ids';
import type { FireDrillStatus } from '../../workflows/fire-drill/definitions';
import type { ListedRun } from '../../client/runs';
import { parseRequestDuration } from '../../client/request';
import type { RestoreDrillStatus } from '../../workflows/restore-drill/definitions';
import type { DrillSweepResult } from '../../workflows/restore-drill/sweeper.workflow';
import { SafeguardError } from '../../client/errors';
import { drillReport, formatDrillStatus, formatFireDrill } from '../drill-report';
import { callerOf, identity, withContext } from '../program';
import type { Common } from '../program';
import { formatRunList } from '../run-view';

type Status = RestoreDrillStatus & { execution: { status: string } };

function formatSweep(r: DrillSweepResult & { workflowId: string }): string {
  if (r.swept.length === 0) return `${r.workflowId}: no sg-drill-* resources found`;
  return [`${r.workflowId}: ${r.swept.filter((s) => s.deleted).length} deleted, ${r.swept.filter((s) => !s.deleted).length} kept`, ...r.swept.map((s) => `  ${s.deleted ? 'deleted' : 'kept   '} ${s.name} (${s.type}, created ${s.createdAt}) — ${s.why}`)].join('\n');
}

export function register(program: Command): void {
  const drill = program.command('drill').description('restore drills, break-glass fire drills and the scratch sweeper');
  identity(drill.command('run <drill>').description('run a restore drill from the policy now (drills.restore)'))
    .option('--wait', 'wait for the drill to end and print its report')
    .action(async (name: string, o: Common & { wait?: boolean }) => {
      await withContext(
        o,
        async (ctx) => {
          const who = await callerOf(ctx, o.as)();
          const client = new DrillClient(ctx.temporal, ctx.taskQueue);
          const started = await client.start(ctx.policy, name, who.person);
          if (!o.wait) return started;
          await client.result(started.workflowId);
          return client.status(started.workflowId);
        },
        (r: { workflowId: string } | Status) => ('view' in r ? drillReport(r, 'text') : `started ${r.workflowId}\n  follow it: safeguard drill status ${r.workflowId}`),
      );
    });
  identity(drill.command('status <id>').description('where a drill is: steps, scores, sign-off'))
    .action(async (id: string, o: Common) => {
      await withContext(
        o,
        async (ctx) => (assertRunId(id, ['restore-drill', 'break-glass-drill']) === 'break-glass-drill' ? new FireDrillClient(ctx.temporal, () => ctx.policy, ctx.taskQueue).status(id) : new DrillClient(ctx.temporal, ctx.taskQueue).status(id)),
        (st: Status | FireDrillStatus) => ('scratchName' in st ? formatDrillStatus(st) : formatFireDrill(st)),
      );
    });
  identity(drill.command('report <id>').description('RTO/RPO against targets, validation output, teardown receipt'))
    .option('--format <format>', 'text or md', 'text')
    .action(async (id: string, o: Common & { format: string }) => {
      if (o.format !== 'text' && o.format !== 'md') throw new SafeguardError('INVALID_OPTION', `--format must be text or md (or use --json), not "${o.format.slice(0, 20)}"`);
      await withContext(o, (ctx) => new DrillClient(ctx.temporal, ctx.taskQueue).status(id), (st: Status) => drillReport(st, o.format as 'text' | 'md'));
    });
  identity(drill.command('list').description('recent drills'))
    .option('--drill <name>', 'only this drill')
    .action(async (o: Common & { drill?: string }) => {
      await withContext(o, (ctx) => new DrillClient(ctx.temporal, ctx.taskQueue).list(o.drill ? { drill: o.drill } : {}), (rows: ListedRun[]) => formatRunList(rows, 'no drills'));
    });
  identity(drill.command('fire <drill>').description('run a break-glass fire drill now (drills.fire): the real approvers are asked to approve a DRILL request'))
    .option('--wait', 'wait for the drill to end and print its scores')
    .action(async (name: string, o: Common & { wait?: boolean }) => {
      await withContext(
        o,
        async (ctx) => {
          const who = await callerOf(ctx, o.as)();
          const client = new FireDrillClient(ctx.temporal, () => ctx.policy, ctx.taskQueue);
          const workflowId = await client.start(name, who.person);
          if (!o.wait) return { workflowId };
          return (await client.result(workflowId)).status;
        },
        (r: { workflowId: string } | FireDrillStatus) => ('view' in r ? formatFireDrill(r) : `started ${r.workflowId}\n  the approvers are asked on its DRILL request; follow it: safeguard drill status ${r.workflowId}`),
      );
    });
  identity(drill.command('sweep').description('delete sg-drill-* resources left behind (older than drills.sweeper.olderThan, drill not running)'))
    .option('--older-than <duration>', 'override the policy limit, e.g. 30m')
    .action(async (o: Common & { olderThan?: string }) => {
      const olderThanMs = o.olderThan !== undefined ? parseRequestDuration(o.olderThan, '--older-than') : undefined;
      await withContext(
        o,
        async (ctx) => {
          const who = await callerOf(ctx, o.as)();
          return new DrillClient(ctx.temporal, ctx.taskQueue).sweep(ctx.policy, who.person, olderThanMs !== undefined ? { olderThanMs } : {});
        },
        formatSweep,
      );
    });
}
