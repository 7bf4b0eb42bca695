// The `safeguard` command. Everything a person can do in Slack, plus policy and audit commands.
// Exit codes: 0 done, 1 refused or invalid, 2 usage or environment problem.
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { SafeguardError } from '../client/errors';
import { ConfigError } from '../config/env';
import { PolicyError } from '../config/policy';
import { runAuditList, runAuditVerify } from './commands/audit';
import { approve, deny, extend, formatList, formatStatus, list, requestAccess, revoke, status } from './commands/breakglass';
import { runPolicyValidate } from './commands/policy-validate';
import { openContext } from './context';
import type { CliContext } from './context';
import { resolveCaller } from './identity';

const out = { stdout: (s: string) => process.stdout.write(`${s}\n`), stderr: (s: string) => process.stderr.write(`${s}\n`) };

interface Common {
  as?: string;
  json?: boolean;
}

async function withContext(opts: Common, fn: (ctx: CliContext) => Promise<unknown>, text: (result: never) => string): Promise<void> {
  const ctx = await openContext();
  try {
    const result = await fn(ctx);
    out.stdout(opts.json ? JSON.stringify(result) : text(result as never));
  } finally {
    await ctx.close();
  }
}

export function buildProgram(): Command {
  const program = new Command('safeguard').description('Break-glass access and runbook automation on Temporal').exitOverride().showHelpAfterError();
  const bg = program.command('breakglass').description('emergency access requests');
  const identity = (c: Command): Command => c.option('--as <person>', 'sandbox only: act as this sandbox person').option('--json', 'print one JSON object');

  identity(bg.command('request').description('ask for emergency access to a break-glass role'))
    .requiredOption('--role <role>', 'break-glass role name from the policy')
    .option('--duration <duration>', 'how long, e.g. 30m or 1h30m (default: the role default)')
    .requiredOption('--reason <text>', 'why you need it')
    .option('--ticket <id>', 'ticket or incident id')
    .action(async (o: Common & { role: string; duration?: string; reason: string; ticket?: string }) => {
      await withContext(o, async (ctx) => requestAccess(ctx, await resolveCaller(ctx, o.as), o), (r: Awaited<ReturnType<typeof requestAccess>>) =>
        `requested ${r.workflowId}: ${r.role} for ${Math.round(r.durationMs / 60000)} min, ${r.mode === 'post-hoc' ? 'granted at once; must be ratified' : `waiting for ${r.quorum} of ${r.approvers.join(', ')}`}\n  follow it: safeguard breakglass status ${r.workflowId}`);
    });
  identity(bg.command('approve <id>').description('approve (or ratify, or approve an extension)'))
    .option('--comment <text>')
    .action(async (id: string, o: Common & { comment?: string }) => {
      await withContext(o, async (ctx) => approve(ctx, await resolveCaller(ctx, o.as), id, o.comment), (r: Awaited<ReturnType<typeof approve>>) =>
        `${r.duplicate ? 'already approved by you' : 'approved'}: ${r.approvals}/${r.quorum}${r.decided ? ' — decided' : ''}`);
    });
  identity(bg.command('deny <id>').description('deny a pending request (or reject a post-hoc grant)'))
    .requiredOption('--reason <text>', 'why')
    .action(async (id: string, o: Common & { reason: string }) => {
      await withContext(o, async (ctx) => deny(ctx, await resolveCaller(ctx, o.as), id, o.reason), () => 'denied');
    });
  identity(bg.command('revoke <id>').description('end a grant now (requester, approver or security)'))
    .option('--reason <text>')
    .action(async (id: string, o: Common & { reason?: string }) => {
      await withContext(o, async (ctx) => revoke(ctx, await resolveCaller(ctx, o.as), id, o.reason), () => 'revocation started; `status` shows the receipt');
    });
  identity(bg.command('extend <id>').description('ask for more time (needs a new approval)'))
    .requiredOption('--by <duration>', 'extra time, e.g. 15m')
    .option('--reason <text>')
    .action(async (id: string, o: Common & { by: string; reason?: string }) => {
      await withContext(o, async (ctx) => extend(ctx, await resolveCaller(ctx, o.as), id, o.by, o.reason), (r: Awaited<ReturnType<typeof extend>>) => `extension to ${r.proposedEndAt} waiting for approval`);
    });
  bg.command('status <id>')
    .option('--json')
    .action(async (id: string, o: Common) => {
      await withContext(o, (ctx) => status(ctx, id), formatStatus);
    });
  bg.command('list')
    .option('--active', 'only requests still running')
    .option('--json')
    .action(async (o: Common & { active?: boolean }) => {
      await withContext(o, (ctx) => list(ctx, o.active ?? false), formatList);
    });

  const policy = program.command('policy').description('policy file tools');
  policy
    .command('validate <file>')
    .option('--json')
    .action((file: string, o: { json?: boolean }) => {
      process.exitCode = runPolicyValidate(file, o, out);
    });

  const audit = program.command('audit').description('evidence store');
  const evidenceDir = (o: { dir?: string }): string => o.dir ?? path.join(process.env.SAFEGUARD_DATA_DIR ?? '.data', 'evidence');
  audit
    .command('verify')
    .option('--dir <dir>', 'evidence directory (default .data/evidence)')
    .option('--json')
    .action(async (o: { dir?: string; json?: boolean }) => {
      process.exitCode = await runAuditVerify(evidenceDir(o), o, out);
    });
  audit
    .command('list')
    .option('--dir <dir>')
    .option('--kind <kind>')
    .option('--since <date>')
    .option('--until <date>')
    .option('--json')
    .action(async (o: { dir?: string; kind?: string; since?: string; until?: string; json?: boolean }) => {
      process.exitCode = await runAuditList(evidenceDir(o), o, out);
    });
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  process.exitCode = 0;
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof SafeguardError) {
      out.stderr(`safeguard: ${err.message}${err.refusal ? ` [${err.refusal}]` : ''}`);
      return 1;
    }
    if (err instanceof PolicyError || err instanceof ConfigError) {
      out.stderr(`safeguard: ${err.message}`);
      return 2;
    }
    out.stderr(`safeguard: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
