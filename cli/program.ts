// What every CLI area shares: output, the context a command runs in, the identity options, and
// the actions a person may take (through the api when one is configured). Areas register their
// commands in cli/areas/<area>.ts; main.ts only lists the areas.
import type { Command } from 'commander';
import { SafeguardError } from '../client/errors';
import { approve, deny, extend, list, requestAccess, revoke, status } from './commands/breakglass';
import type { DecideOptions, RequestOptions } from './commands/breakglass';
import { openContext } from './context';
import type { CliContext } from './context';
import { callerCredentials, resolveCaller } from './identity';
import type { Caller } from './identity';
import { SafeguardApiClient } from './api-client';

export interface Out {
  stdout(s: string): void;
  stderr(s: string): void;
}

export const out: Out = { stdout: (s: string) => process.stdout.write(`${s}\n`), stderr: (s: string) => process.stderr.write(`${s}\n`) };

export interface Common {
  as?: string;
  json?: boolean;
}

export async function withContext(opts: Common, fn: (ctx: CliContext) => Promise<unknown>, text: (result: never) => string): Promise<void> {
  const ctx = await openContext();
  try {
    const result = await fn(ctx);
    out.stdout(opts.json ? JSON.stringify(result) : text(result as never));
  } finally {
    await ctx.close();
  }
}

/** `--as` (sandbox only) and `--json`, on every command that acts or reads. */
export const identity = (c: Command): Command => c.option('--as <person>', 'sandbox only: act as this sandbox person').option('--json', 'print one JSON object');

/** The person running the command, as STS says (or `--as` against the sandbox). */
export function callerOf(ctx: CliContext, as: string | undefined): () => Promise<Caller> {
  let caller: Caller | undefined;
  return async () => (caller ??= await resolveCaller(ctx, as));
}

/** People's actions go through the api when one is configured (it derives identity itself);
 * otherwise straight to Temporal with the identity STS gives this process (administrators). */
export async function actions(ctx: CliContext, as: string | undefined) {
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
  const who = callerOf(ctx, as);
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

export function apiFor(ctx: CliContext, as: string | undefined): SafeguardApiClient {
  if (!ctx.api) throw new SafeguardError('NO_STACK', 'using a grant needs the Safeguard api: set SAFEGUARD_API_URL (npm run dev starts one)');
  return new SafeguardApiClient(ctx.api, () => callerCredentials(ctx, as));
}

