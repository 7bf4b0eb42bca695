// `safeguard breakglass …`: emergency access requests.
import type { Command } from 'commander';
import { actions, identity, withContext } from '../program';
import type { Common } from '../program';
import type { approve, deny, extend, requestAccess, revoke } from '../commands/breakglass';
import { formatDecision, formatList, formatStatus } from '../commands/breakglass';

export function register(program: Command): void {
  const bg = program.command('breakglass').description('emergency access requests');

  identity(bg.command('request').description('ask for emergency access to a break-glass role'))
    .requiredOption('--role <role>', 'break-glass role name from the policy')
    .option('--duration <duration>', 'how long, e.g. 30m or 1h30m (default: the role default)')
    .requiredOption('--reason <text>', 'why you need it')
    .option('--ticket <id>', 'ticket or incident id')
    .action(async (o: Common & { role: string; duration?: string; reason: string; ticket?: string }) => {
      await withContext(o, async (ctx) => (await actions(ctx, o.as)).request({ role: o.role, reason: o.reason, ...(o.duration !== undefined ? { duration: o.duration } : {}), ...(o.ticket !== undefined ? { ticket: o.ticket } : {}) }), (r: Awaited<ReturnType<typeof requestAccess>>) =>
        `requested ${r.workflowId}: ${r.role} for ${Math.round(r.durationMs / 60000)} min, ${r.mode === 'post-hoc' ? 'granted at once; must be ratified' : `waiting for ${r.quorum} of ${r.approvers.join(', ')}`}\n  follow it: safeguard breakglass status ${r.workflowId}`);
    });
  identity(bg.command('approve <id>').description("approve a request (or ratify a post-hoc grant); --extension approves its pending extension"))
    .option('--comment <text>')
    .option('--extension', 'decide the extension waiting for approval, not the request itself')
    .action(async (id: string, o: Common & { comment?: string; extension?: boolean }) => {
      await withContext(o, async (ctx) => (await actions(ctx, o.as)).approve(id, { ...(o.extension ? { extension: true } : {}), ...(o.comment ? { comment: o.comment } : {}) }), (r: Awaited<ReturnType<typeof approve>>) => formatDecision(r, 'approved'));
    });
  identity(bg.command('deny <id>').description('deny a pending request (or reject a post-hoc grant: access is revoked); --extension denies its pending extension'))
    .requiredOption('--reason <text>', 'why')
    .option('--extension', 'decide the extension waiting for approval, not the request itself')
    .action(async (id: string, o: Common & { reason: string; extension?: boolean }) => {
      await withContext(o, async (ctx) => (await actions(ctx, o.as)).deny(id, o.reason, o.extension ? { extension: true } : {}), (r: Awaited<ReturnType<typeof deny>>) => formatDecision(r, 'denied'));
    });
  identity(bg.command('revoke <id>').description('end a grant now (requester, approver or security)'))
    .option('--reason <text>')
    .action(async (id: string, o: Common & { reason?: string }) => {
      await withContext(o, async (ctx) => (await actions(ctx, o.as)).revoke(id, o.reason), (r: Awaited<ReturnType<typeof revoke>>) => (r.duplicate ? 'already being revoked; `status` shows the receipt' : 'revocation started; `status` shows the receipt'));
    });
  identity(bg.command('extend <id>').description('ask for more time (needs a new approval)'))
    .requiredOption('--by <duration>', 'extra time, e.g. 15m')
    .option('--reason <text>')
    .action(async (id: string, o: Common & { by: string; reason?: string }) => {
      await withContext(o, async (ctx) => (await actions(ctx, o.as)).extend(id, o.by, o.reason), (r: Awaited<ReturnType<typeof extend>>) => `extension to ${r.proposedEndAt} waiting for approval`);
    });
  identity(bg.command('status <id>'))
    .action(async (id: string, o: Common) => {
      await withContext(o, async (ctx) => (await actions(ctx, o.as)).status(id), formatStatus);
    });
  identity(bg.command('list'))
    .option('--active', 'only requests still running')
    .action(async (o: Common & { active?: boolean }) => {
      await withContext(o, async (ctx) => (await actions(ctx, o.as)).list(o.active ?? false), formatList);
    });

}
