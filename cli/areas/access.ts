// `safeguard creds|connect|console <grant>`: using an active grant (always through the api).
import type { Command } from 'commander';
import { SafeguardError } from '../../client/errors';
import { apiFor, identity, withContext } from '../program';
import type { Common } from '../program';
import { connect, formatEnvExports } from '../commands/access';
import { credentialCacheDir, readCachedCredentials, writeCachedCredentials } from '../credential-cache';

export function register(program: Command): void {
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

}
