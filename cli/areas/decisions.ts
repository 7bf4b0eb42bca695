// `safeguard approve|deny <any workflow id>`: decisions on every kind that asks for them. A
// break-glass id decides like `safeguard breakglass approve`; any other kind decides its open round
// (or the one named with --round) through the shared approve/deny Updates.
import type { Command } from 'commander';
import { assertRunId } from '../../client/ids';
import { assertRoundId } from '../../client/decisions-client';
import type { DecisionResult } from '../../workflows/shared/approval/definitions';
import { formatDecision } from '../commands/breakglass';
import { actions, callerOf, identity, withContext } from '../program';
import type { Common } from '../program';
import type { CliContext } from '../context';
import { SafeguardApiClient } from '../api-client';
import { callerCredentials } from '../identity';

interface DecideFlags extends Common {
  round?: string;
  extension?: boolean;
}

async function decide(ctx: CliContext, id: string, o: DecideFlags, verb: 'approve' | 'deny', text: string | undefined): Promise<DecisionResult> {
  const kind = assertRunId(id);
  if (kind === 'break-glass') {
    const a = await actions(ctx, o.as);
    const opts = { ...(o.extension ? { extension: true } : {}), ...(o.round ? { round: o.round } : {}) };
    return verb === 'approve' ? a.approve(id, { ...opts, ...(text ? { comment: text } : {}) }) : a.deny(id, text ?? '', opts);
  }
  const round = o.round ? { round: assertRoundId(o.round) } : {};
  if (ctx.api) {
    const api = new SafeguardApiClient(ctx.api, () => callerCredentials(ctx, o.as));
    return verb === 'approve' ? api.approveRun(id, { ...round, ...(text ? { comment: text } : {}) }) : api.denyRun(id, text ?? '', round);
  }
  const who = await callerOf(ctx, o.as)();
  return verb === 'approve'
    ? ctx.decisions.approve(id, who.person, { via: 'cli', ...round, ...(text ? { comment: text } : {}) })
    : ctx.decisions.deny(id, who.person, text ?? '', { via: 'cli', ...round });
}

export function register(program: Command): void {
  identity(program.command('approve <id>').description('approve what any Safeguard run waits for (break-glass request, deleting a rotated key, …)'))
    .option('--round <round>', 'the decision to approve, when the run waits for several')
    .option('--extension', 'break-glass: decide the pending extension')
    .option('--comment <text>')
    .action(async (id: string, o: DecideFlags & { comment?: string }) => {
      await withContext(o, (ctx) => decide(ctx, id, o, 'approve', o.comment), (r: DecisionResult) => formatDecision(r, 'approved'));
    });
  identity(program.command('deny <id>').description('deny what any Safeguard run waits for'))
    .requiredOption('--reason <text>', 'why')
    .option('--round <round>', 'the decision to deny, when the run waits for several')
    .option('--extension', 'break-glass: decide the pending extension')
    .action(async (id: string, o: DecideFlags & { reason: string }) => {
      await withContext(o, (ctx) => decide(ctx, id, o, 'deny', o.reason), (r: DecisionResult) => formatDecision(r, 'denied'));
    });
}
