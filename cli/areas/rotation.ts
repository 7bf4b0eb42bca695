// `safeguard rotation run|status|list`: key rotations (IAM access keys, KMS keys).
import type { Command } from 'commander';
import { RotationClient } from '../../client/rotation-client';
import type { ListedRotation } from '../../client/rotation-client';
import type { RotationStatus } from '../../workflows/key-rotation/definitions';
import { callerOf, identity, withContext } from '../program';
import type { Common } from '../program';
import { executionNote, formatRunList, runViewLines } from '../run-view';

export function formatRotationStatus(st: RotationStatus & { execution?: { status: string } }): string {
  const v = st.view;
  const lines = [`${st.workflowId}: ${st.kind} of ${st.target} — ${v.outcome ?? v.phase}${executionNote(st.execution)}`, ...runViewLines(v, st.rounds, st.workflowId)];
  if (st.finding) lines.push(`  finding ${st.finding.code}: ${st.finding.message}`);
  return lines.join('\n');
}

function formatList(rows: ListedRotation[]): string {
  return formatRunList(rows, 'no rotations');
}

export function register(program: Command): void {
  const rotation = program.command('rotation').description('key rotations: IAM access keys and KMS keys');
  identity(rotation.command('run <target>').description('rotate a target from the policy now (rotation.accessKeys / rotation.kmsKeys)'))
    .option('--force', 'rotate an access key even when it is younger than its maxAge')
    .option('--wait', 'wait for the rotation to end and print its status')
    .action(async (target: string, o: Common & { force?: boolean; wait?: boolean }) => {
      await withContext(
        o,
        async (ctx) => {
          const who = await callerOf(ctx, o.as)();
          const client = new RotationClient(ctx.temporal, ctx.taskQueue);
          const started = await client.start(ctx.policy, target, who.person, { ...(o.force ? { force: true } : {}) });
          if (!o.wait) return started;
          await client.result(started.workflowId);
          return client.status(started.workflowId);
        },
        (r: { workflowId: string; kind: string } | (RotationStatus & { execution: { status: string } })) =>
          'view' in r ? formatRotationStatus(r) : `started ${r.workflowId} (${r.kind})\n  follow it: safeguard rotation status ${r.workflowId}`,
      );
    });
  identity(rotation.command('status <id>').description('where a rotation is: steps, key ids, decisions'))
    .action(async (id: string, o: Common) => {
      await withContext(o, (ctx) => new RotationClient(ctx.temporal, ctx.taskQueue).status(id), formatRotationStatus);
    });
  identity(rotation.command('list').description('recent rotations'))
    .option('--target <name>', 'only this target')
    .action(async (o: Common & { target?: string }) => {
      await withContext(o, (ctx) => new RotationClient(ctx.temporal, ctx.taskQueue).list(o.target ? { target: o.target } : {}), formatList);
    });
}
