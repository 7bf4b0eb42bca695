// Many break-glass grants, quickly and within bounds, for the bench sections: who asks for which role
// and who approves (round robin over the policy's requesters, roles and approvers), a pool that never
// runs more than N at once, waits that always end, and the cleanup that ends whatever a section
// started, so the next section on the same stack measures only itself. Requests and decisions go
// through the CLI's code paths (cli/commands/breakglass.ts); credentials through the api, as a person's
// `safeguard creds` would.
import { approve, requestAccess, revoke } from '../cli/commands/breakglass';
import { ApiRequestError, SafeguardApiClient } from '../cli/api-client';
import type { CliContext } from '../cli/context';
import { callerCredentials, resolveCaller } from '../cli/identity';
import type { Caller } from '../cli/identity';
import { SafeguardError } from '../client/errors';
import type { ProcessCredentials } from '../client/vending';
import type { BreakGlassResult, BreakGlassStatus, Phase } from '../workflows/break-glass/definitions';
import { Refusals } from '../workflows/shared/refusals';

/** Recorded with every grant the bench makes (reasons need ten characters or more). */
export const BENCH_REASON = 'benchmark: npm run bench measures Safeguard on its own embedded stack';

/** examples/policy.yaml's break-glass roles with approval, its oncall requesters and its approvers. */
export const BENCH_ROLES = ['BreakGlassAdmin', 'BreakGlassReadOnly'] as const;
export const BENCH_REQUESTERS = ['alice', 'dave'] as const;
export const BENCH_APPROVERS = ['bob', 'carol'] as const;

export interface GrantPlan {
  role: string;
  requester: string;
  approver: string;
}

/**
 * Who asks for what and who approves, for grant i: every (role, requester, approver) combination
 * appears once in each run of roles × requesters × approvers grants, so the load is spread over
 * both roles' deny-policy writers and both people's statements however many grants there are.
 */
export function planGrants(
  n: number,
  roles: readonly string[] = BENCH_ROLES,
  requesters: readonly string[] = BENCH_REQUESTERS,
  approvers: readonly string[] = BENCH_APPROVERS,
): GrantPlan[] {
  if (roles.length === 0 || requesters.length === 0 || approvers.length === 0) throw new Error('planGrants needs at least one role, requester and approver');
  return Array.from({ length: n }, (_, i) => ({
    role: roles[i % roles.length]!,
    requester: requesters[Math.floor(i / roles.length) % requesters.length]!,
    approver: approvers[Math.floor(i / (roles.length * requesters.length)) % approvers.length]!,
  }));
}

/**
 * Runs fn over every item with at most `concurrency` calls in flight; every item is tried (a failure
 * does not stop the others) and the outcomes come back in the items' order.
 */
export async function mapBounded<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be a whole number ≥ 1, not ${concurrency}`);
  const out: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { status: 'fulfilled', value: await fn(items[i]!, i) };
      } catch (reason) {
        out[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return out;
}

/** The values of settled outcomes, or an error naming how many failed and the first reason. */
export function fulfilledOrThrow<R>(what: string, outcomes: readonly PromiseSettledResult<R>[]): R[] {
  const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed.length > 0) throw new Error(`${what}: ${failed.length} of ${outcomes.length} failed; first: ${errorText(failed[0]!.reason)}`);
  return outcomes.map((o) => (o as PromiseFulfilledResult<R>).value);
}

export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Rejects with `what` when p has not settled within ms (p itself is left to settle on its own). */
export async function within<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${Math.round(ms / 1000)} s`)), ms);
  });
  p.catch(() => undefined);
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The verified identities of the people the bench acts as (one STS call each, made once). */
export type BenchPeople = Record<string, Caller>;

export async function resolveBenchPeople(ctx: CliContext, people: readonly string[] = [...BENCH_REQUESTERS, ...BENCH_APPROVERS]): Promise<BenchPeople> {
  const callers = await Promise.all(people.map((p) => resolveCaller(ctx, p)));
  return Object.fromEntries(callers.map((c) => [c.person, c]));
}

function callerOf(people: BenchPeople, person: string): Caller {
  const caller = people[person];
  if (!caller) throw new Error(`the bench has no verified identity for ${person}`);
  return caller;
}

/** Starts one request (pending until approved); its workflow id. */
export async function requestGrant(ctx: CliContext, people: BenchPeople, plan: GrantPlan, duration: string): Promise<string> {
  const r = await requestAccess(ctx, callerOf(people, plan.requester), { role: plan.role, duration, reason: BENCH_REASON });
  return r.workflowId;
}

export async function approveGrant(ctx: CliContext, people: BenchPeople, id: string, plan: GrantPlan): Promise<void> {
  // The round named outright, as a Slack button does: no status Query first.
  const d = await approve(ctx, callerOf(people, plan.approver), id, { round: 'grant' });
  if (!d.accepted || d.roundState !== 'approved') throw new Error(`${id}: approval by ${plan.approver} left the round ${d.roundState ?? 'undecided'}`);
}

/** The requester gives the grant back (as `safeguard breakglass revoke` does). */
export async function revokeGrant(ctx: CliContext, people: BenchPeople, id: string, plan: GrantPlan): Promise<void> {
  const r = await revoke(ctx, callerOf(people, plan.requester), id, 'benchmark: done with it');
  if (!r.accepted) throw new Error(`${id}: the revoke by ${plan.requester} was not accepted`);
}

const PHASE_ORDER: Phase[] = ['pending', 'active', 'revoking', 'ended'];

/**
 * Polls the status Query until the request reaches `phase` or a later one; bounded. A Query the
 * worker did not answer in time (it is busy: that is what a bench does to it) is asked again.
 */
export async function waitForPhase(ctx: CliContext, id: string, phase: Phase, opts: { timeoutMs: number; intervalMs: number }): Promise<BreakGlassStatus> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      const st = await ctx.breakGlass.status(id);
      if (PHASE_ORDER.indexOf(st.phase) >= PHASE_ORDER.indexOf(phase)) return st;
      last = st.phase;
    } catch (err) {
      if (err instanceof SafeguardError && err.code === 'WORKFLOW_NOT_FOUND') throw err;
      last = `status Query failed: ${errorText(err)}`;
    }
    if (Date.now() > deadline) throw new Error(`${id} not ${phase} after ${Math.round(opts.timeoutMs / 1000)} s (last: ${last})`);
    await sleep(opts.intervalMs);
  }
}

/** The requester's api client (presigned identity with their sandbox keys, as `--as` does). */
export function apiAs(ctx: CliContext, person: string): SafeguardApiClient {
  if (!ctx.api) throw new Error('the stack has no api: credential vending needs one');
  return new SafeguardApiClient(ctx.api, () => callerCredentials(ctx, person));
}

/** One credential vending through the api for an active grant. */
export async function vendOnce(ctx: CliContext, id: string, requester: string): Promise<ProcessCredentials> {
  try {
    return await apiAs(ctx, requester).credentials(id);
  } catch (err) {
    if (err instanceof ApiRequestError) throw new Error(`${id}: the api refused credentials to ${requester}: ${err.apiCode} ${err.message}`, { cause: err });
    throw err;
  }
}

/** Waits until the run has closed and returns its result (its final status and revocation lag). */
export function closed(ctx: CliContext, id: string, timeoutMs: number): Promise<BreakGlassResult> {
  return within(`the close of ${id}`, timeoutMs, ctx.breakGlass.result(id));
}

/**
 * Ends every run in `grants` that is still open — its requester revokes it, which withdraws a pending
 * request and revokes an active grant — and waits, bounded, until each has closed. Used when a
 * section ends (or fails), so nothing a section started outlives it. Returns how many had to be ended.
 */
export async function endGrants(ctx: CliContext, people: BenchPeople, grants: ReadonlyArray<{ id: string; plan: GrantPlan }>, opts: { concurrency: number; timeoutMs: number; log: (m: string) => void }): Promise<number> {
  let ended = 0;
  const outcomes = await mapBounded(grants, opts.concurrency, async ({ id, plan }) => {
    // Asked of the server, not the worker: a Query on a closed run would make the worker replay it.
    if ((await ctx.temporal.workflow.getHandle(id).describe()).status.name !== 'RUNNING') return;
    try {
      await revoke(ctx, callerOf(people, plan.requester), id, 'benchmark cleanup: the section is over');
    } catch (err) {
      // It ended between the describe and the revoke: nothing left to do.
      if (!(err instanceof SafeguardError && err.refusal === Refusals.ended)) throw err;
    }
    ended++;
    await closed(ctx, id, opts.timeoutMs);
  });
  const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (ended > 0) opts.log(`cleanup: ended ${ended} run(s) the section left open`);
  if (failed.length > 0) throw new Error(`cleanup: ${failed.length} run(s) could not be ended; first: ${errorText(failed[0]!.reason)}`);
  return ended;
}
