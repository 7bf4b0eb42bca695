// What runs while the faults land: break-glass requesters going through the api (request, approve,
// wait until active, take credentials, sometimes revoke early, otherwise let the grant expire), and
// lanes of the demo's plays (dev/demo-plays.ts) covering every other runbook kind through the
// CLI's own code paths. Every call that meets an outage is retried within a bound; a refusal is an
// answer. Everything started is written to the ledger for the final checks.
import { SafeguardApiClient } from '../cli/api-client';
import type { CliContext } from '../cli/context';
import { callerCredentials } from '../cli/identity';
import { play } from '../dev/demo-plays';
import type { DemoKind } from '../dev/demo-args';
import { sleep } from '../sandbox/net';
import type { ChaosGrant, ChaosLedger } from './ledger';
import type { Random } from './random';
import { retryTransient } from './retry';

/**
 * Plays in lanes that run side by side, each kind in its own lane and looping while the window lasts.
 * The long run plays the access review after the access-key rotation, once (the order the demo plays
 * them in: the review revokes a service user the rotation rotates); the quick run has no time for
 * that, so there the two overlap, as a team's review and a scheduled rotation may.
 */
export function playLanes(quick: boolean): Array<{ kinds: DemoKind[]; loop: boolean }> {
  const others: Array<{ kinds: DemoKind[]; loop: boolean }> = [
    { kinds: ['kms-rotation'], loop: true },
    { kinds: ['restore-drill'], loop: true },
    { kinds: ['break-glass-drill'], loop: true },
    { kinds: ['runbook'], loop: true },
  ];
  return quick
    ? [{ kinds: ['access-key-rotation'], loop: false }, { kinds: ['access-review'], loop: false }, ...others]
    : [{ kinds: ['access-key-rotation', 'access-review'], loop: false }, ...others];
}

const REQUESTERS = ['alice', 'dave'] as const;
const APPROVERS = ['bob', 'carol'] as const;
const ROLES = ['BreakGlassAdmin', 'BreakGlassReadOnly'] as const;
/** How long one client call may keep meeting an outage before the workload gives up on it. */
const CALL_WITHIN_MS = 90_000;

export interface PlayRecord {
  kind: DemoKind;
  startedAtMs: number;
  endedAtMs: number;
  ok: boolean;
  workflowId?: string;
  error?: string;
}

export interface WorkloadStats {
  requested: number;
  approved: number;
  active: number;
  credentialsVended: number;
  revokedEarly: number;
  gaveUp: string[];
  retries: number;
  plays: PlayRecord[];
}

export interface Workload {
  ctx: CliContext;
  ledger: ChaosLedger;
  random: Random;
  /** No new request starts after this (epoch ms). */
  stopNewAtMs: number;
  /** No new play starts after this (epoch ms). */
  stopPlaysAtMs: number;
  /** Grant lengths, in seconds. */
  grantSeconds: [min: number, max: number];
  /** Plays still running then are abandoned (their runs are checked like any other), epoch ms. */
  abandonPlaysAtMs: number;
  log(m: string): void;
}

export function newStats(): WorkloadStats {
  return { requested: 0, approved: 0, active: 0, credentialsVended: 0, revokedEarly: 0, gaveUp: [], retries: 0, plays: [] };
}

export function apiAs(ctx: CliContext, person: string): SafeguardApiClient {
  return new SafeguardApiClient(ctx.api!, () => callerCredentials(ctx, person));
}

/** One requester: a grant at a time, from request to credentials, until the window closes. */
export async function breakGlassActor(w: Workload, stats: WorkloadStats, actor: number): Promise<void> {
  const retry = <T>(what: string, fn: () => Promise<T>) => retryTransient(what, fn, { withinMs: CALL_WITHIN_MS, onRetry: () => void (stats.retries += 1) });
  for (let n = 1; Date.now() < w.stopNewAtMs; n++) {
    const requester = w.random.pick(REQUESTERS);
    const role = w.random.pick(ROLES);
    const seconds = w.random.int(w.grantSeconds[0], w.grantSeconds[1]);
    let grant: ChaosGrant | undefined;
    try {
      const { workflowId } = await retry(`request ${actor}.${n}`, () => apiAs(w.ctx, requester).request({ role, duration: `${seconds}s`, reason: `chaos load, requester ${actor} request ${n}` }));
      stats.requested += 1;
      grant = { workflowId, requester, role };
      w.ledger.grants.set(workflowId, grant);
      w.ledger.runs.push({ workflowId, kind: 'break-glass', expect: 'closed' });
      const approver = w.random.pick(APPROVERS);
      await retry(`approve ${workflowId}`, () => apiAs(w.ctx, approver).approve(workflowId, { comment: 'chaos: approved' }));
      stats.approved += 1;
      const st = await waitUntilActive(w, workflowId, retry);
      if (!st) continue;
      stats.active += 1;
      grant.plannedEndAtMs = Date.parse(st.plannedEndAt);
      const c = await retry(`credentials ${workflowId}`, () => apiAs(w.ctx, requester).credentials(workflowId));
      grant.credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, receivedAtMs: Date.now() };
      stats.credentialsVended += 1;
      if (w.random.chance(0.3)) {
        await sleep(w.random.between(1_000, (seconds * 1000) / 2));
        await retry(`revoke ${workflowId}`, () => apiAs(w.ctx, requester).revoke(workflowId, 'chaos: done early'));
        stats.revokedEarly += 1;
      }
    } catch (err) {
      stats.gaveUp.push(`${grant?.workflowId ?? `request ${actor}.${n}`} at ${new Date().toISOString()}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300));
    }
    await sleep(w.random.between(500, 2_000));
  }
}

async function waitUntilActive(w: Workload, id: string, retry: <T>(what: string, fn: () => Promise<T>) => Promise<T>): Promise<{ plannedEndAt: string } | undefined> {
  const deadline = Date.now() + CALL_WITHIN_MS;
  while (Date.now() < deadline) {
    const st = await retry(`status ${id}`, () => w.ctx.breakGlass.status(id));
    if (st.phase === 'active' && st.plannedEndAt) return { plannedEndAt: st.plannedEndAt };
    if (st.phase !== 'pending') return undefined;
    await sleep(250);
  }
  throw new Error(`${id} was not active ${CALL_WITHIN_MS / 1000} s after its approval`);
}

/** One lane of plays, round after round, until the window closes. */
export async function playLane(w: Workload, stats: WorkloadStats, lane: { kinds: DemoKind[]; loop: boolean }): Promise<void> {
  const quiet = { say: () => undefined, note: () => undefined };
  for (let i = 0; Date.now() < w.stopPlaysAtMs && (lane.loop || i < lane.kinds.length); i++) {
    const kind = lane.kinds[i % lane.kinds.length]!;
    const record: PlayRecord = { kind, startedAtMs: Date.now(), endedAtMs: 0, ok: false };
    stats.plays.push(record);
    w.log(`play ${kind}…`);
    let timer: NodeJS.Timeout | undefined;
    try {
      const played = await Promise.race([
        play(w.ctx, kind, quiet),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`abandoned after ${Math.round((Date.now() - record.startedAtMs) / 1000)} s, at the end of the window`)), Math.max(0, w.abandonPlaysAtMs - Date.now()));
        }),
      ]);
      record.ok = played?.ok ?? false;
      const id = played?.['workflowId'];
      if (typeof id === 'string') record.workflowId = id;
    } catch (err) {
      record.error = (err instanceof Error ? err.message : String(err)).slice(0, 300);
    } finally {
      clearTimeout(timer);
      record.endedAtMs = Date.now();
    }
    w.log(`play ${kind}: ${record.ok ? 'ok' : `not ok${record.error ? ` (${record.error})` : ''}`}`);
  }
}
