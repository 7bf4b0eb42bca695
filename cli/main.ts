// The `safeguard` command. Everything a person can do in Slack, plus policy and audit commands.
// Exit codes: 0 done, 1 refused or invalid, 2 usage or environment problem.
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { SafeguardError } from '../client/errors';
import { ConfigError } from '../config/env';
import { PolicyError } from '../config/policy';
import { runAuditList, runAuditVerify } from './commands/audit';
import { approve, deny, extend, formatDecision, formatList, formatStatus, list, requestAccess, revoke, status } from './commands/breakglass';
import type { DecideOptions } from './commands/breakglass';
import { runPolicyValidate } from './commands/policy-validate';
import { openContext } from './context';
import type { CliContext } from './context';
import { callerCredentials, resolveCaller } from './identity';
import { SafeguardApiClient } from './api-client';
import { connect, formatEnvExports } from './commands/access';
import { credentialCacheDir, readCachedCredentials, writeCachedCredentials } from './credential-cache';
import type { RequestOptions } from './commands/breakglass';
import type { Caller } from './identity';

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

/** People's actions go through the api when one is configured (it derives identity itself);
 * otherwise straight to Temporal with the identity STS gives this process (administrators). */
async function actions(ctx: CliContext, as: string | undefined) {
  if (ctx.api) {
    const api = new SafeguardApiClient(ctx.api, () => callerCredentials(ctx, as));
    return {
      request: (o: RequestOptions) => api.request(o),
      approve: (id: string, opts: DecideOptions) => api.approve(id, opts),
      deny: (id: string, reason: string, opts: DecideOptions) => api.deny(id, reason, opts),
      revoke: (id: string, reason?: string) => api.revoke(id, reason),
      extend: (id: string, by: string, reason?: string) => api.extend(id, by, reason),
      status: (id: string) => api.status(id),
      list: (active: boolean) => api.list(active),
    };
  }
  // Administrators on Temporal directly: reading needs no identity, acting does.
  let caller: Caller | undefined;
  const who = async (): Promise<Caller> => (caller ??= await resolveCaller(ctx, as));
  return {
    request: async (o: RequestOptions) => requestAccess(ctx, await who(), o),
    approve: async (id: string, opts: DecideOptions) => approve(ctx, await who(), id, opts),
    deny: async (id: string, reason: string, opts: DecideOptions) => deny(ctx, await who(), id, reason, opts),
    revoke: async (id: string, reason?: string) => revoke(ctx, await who(), id, reason),
    extend: async (id: string, by: string, reason?: string) => extend(ctx, await who(), id, by, reason),
    status: (id: string) => status(ctx, id),
    list: (active: boolean) => list(ctx, active),
  };
}

function apiFor(ctx: CliContext, as: string | undefined): SafeguardApiClient {
  if (!ctx.api) throw new SafeguardError('NO_STACK', 'using a grant needs the Safeguard api: set SAFEGUARD_API_URL (npm run dev starts one)');
  return new SafeguardApiClient(ctx.api, () => callerCredentials(ctx, as));
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

  identity(program.command('creds <grant>').description('print credentials for an active grant (AWS credential_process format)'))
    .option('--env', 'print shell exports instead')
    .option('--no-cache', 'always mint a new set (by default the last set is reused while it has 5 min left)')
    .action(async (grant: string, o: Common & { env?: boolean; cache: boolean }) => {
      await withContext({}, async (ctx) => {
        const dir = credentialCacheDir();
        const caller = o.as ?? 'self';
        let c = o.cache ? readCachedCredentials(dir, grant, caller) : undefined;
        if (!c) {
          c = await apiFor(ctx, o.as).credentials(grant);
          writeCachedCredentials(dir, grant, caller, c);
        }
        return o.env ? formatEnvExports(c) : JSON.stringify(c);
      }, (text: string) => text);
    });
  identity(program.command('connect <grant>').description('open an SSM session on an instance with the grant'))
    .requiredOption('--target <instance-id>', 'instance id, e.g. i-0123456789abcdef0')
    .action(async (grant: string, o: Common & { target: string }) => {
      if (!/^(i|mi)-[0-9a-f]{8,17}$/.test(o.target)) throw new SafeguardError('REFUSED', `"${o.target.slice(0, 40)}" is not an instance id (i-0123456789abcdef0)`);
      await withContext(o, (ctx) => connect(apiFor(ctx, o.as), ctx.policy, grant, o.target, ctx.aws, { interactive: process.stdout.isTTY === true }), (r: Awaited<ReturnType<typeof connect>>) =>
        r.plugin === 'none' ? `session ${r.sessionId} started on ${r.target} (session-manager-plugin not used); it ends when the grant is revoked` : `session ${r.sessionId} closed`);
    });
  identity(program.command('console <grant>').description('print an AWS console sign-in link for the grant'))
    .action(async (grant: string, o: Common) => {
      await withContext(o, (ctx) => apiFor(ctx, o.as).consoleLink(grant), (r: { url: string; expiresAt: string }) => `${r.url}\n(valid until ${r.expiresAt}; anyone with this link is you)`);
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
