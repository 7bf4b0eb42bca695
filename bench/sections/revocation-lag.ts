// DESIGN.md §9: expiry → verified revocation, p99 ≤ 5 s, with 200 grants expiring together.
//
// A grant's planned end is its grant time (approval, then the grant's AssumeRole proof) plus its
// duration, and durations are whole seconds: approving 200 requests in one burst would spread the
// planned ends over however long the worker takes to prove 200 grants. So every grant aims at one
// common end, in batches: each batch is requested with the whole number of seconds left to that end
// (less the approval → granted latency the previous batch showed), approved at the instant that
// makes the arithmetic exact, waited on until active, and has credentials vended once through the
// api, so its revocation denies something real; then the next batch. The pace follows whatever the
// stack manages, and the spread of planned ends that results is reported with the figure. The lag is
// read from each run's own record: planned end → the time its revocation receipt was verified
// (RevocationReceipt.checkedAt), not the time the bench noticed.
import { latencyShown, ms } from '../figures';
import type { Figure } from '../figures';
import type { BenchContext, BenchSection } from '../section';
import { summarize } from '../stats';
import { MIN_DURATION_MS } from '../../workflows/break-glass/definitions';
import type { BreakGlassResult } from '../../workflows/break-glass/definitions';
import { approveGrant, closed, endGrants, errorText, fulfilledOrThrow, mapBounded, planGrants, requestGrant, resolveBenchPeople, sleep, vendOnce, waitForPhase } from '../grants';
import type { BenchPeople, GrantPlan } from '../grants';

const TARGET_P99_MS = 5_000;
/** Grants requested, approved and used together. */
const BATCH_SIZE = 10;
/** From the start to the common planned end: room for every batch at a few seconds each. */
const LEAD_BASE_MS = 20_000;
const LEAD_PER_GRANT_MS = 500;
/** A batch is only started with at least this long left before the end (to be approved and used). */
const BATCH_NEEDS_MS = 8_000;
/** How long a run may take to close after the common planned end before the section gives up. */
const CLOSE_WITHIN_MS = 180_000;

/** When to approve the next batch and for how long it asks, so it ends at `commonEndMs`. */
export interface BatchSlot {
  approveAtMs: number;
  durationS: number;
}

/**
 * The next batch's slot: approved no earlier than `earliestMs` (after its requests are in), asking
 * whole seconds, so that approval + `latencyMs` (approval → granted) + duration = commonEndMs exactly.
 * Undefined when the time left is below the shortest grant the policy allows.
 */
export function nextBatchSlot(earliestMs: number, commonEndMs: number, latencyMs: number): BatchSlot | undefined {
  const durationS = Math.floor((commonEndMs - latencyMs - earliestMs) / 1000);
  if (durationS * 1000 < MIN_DURATION_MS) return undefined;
  return { approveAtMs: commonEndMs - latencyMs - durationS * 1000, durationS };
}

/** What the runs' own records say about their revocations (pure: from their final statuses). */
export interface LagAnalysis {
  /** Planned end → revocation receipt verified, of the runs that expired and verified. */
  lagsMs: number[];
  /** Planned end → the run began revoking (the expiry timer, the workflow task, open leases). */
  toRevokingMs: number[];
  /** Began revoking → receipt verified (cut-off handed to the writer, sessions, verification). */
  revokingToVerifiedMs: number[];
  /** Planned end → the run ended (evidence written, notifications flushed). */
  toEndedMs: number[];
  /** Latest minus earliest planned end of the runs measured. */
  plannedEndSpreadMs: number;
  /** Revocations that needed more than one attempt. */
  retried: number;
  /** Runs that did not end by expiry with a verified receipt (not measured), by why. */
  notMeasured: Record<string, number>;
}

export function analyseRevocations(results: readonly BreakGlassResult[]): LagAnalysis {
  const a: LagAnalysis = { lagsMs: [], toRevokingMs: [], revokingToVerifiedMs: [], toEndedMs: [], plannedEndSpreadMs: NaN, retried: 0, notMeasured: {} };
  const ends: number[] = [];
  for (const { status: s } of results) {
    const plannedEnd = s.plannedEndAt !== undefined ? Date.parse(s.plannedEndAt) : NaN;
    const why = s.endReason !== 'expired' ? `ended ${s.endReason ?? s.outcome ?? 'without an end reason'}` : !s.revocation?.verified ? 'revocation not verified' : Number.isNaN(plannedEnd) ? 'no planned end' : undefined;
    if (why !== undefined) {
      a.notMeasured[why] = (a.notMeasured[why] ?? 0) + 1;
      continue;
    }
    const verifiedAt = Date.parse(s.revocation!.checkedAt);
    ends.push(plannedEnd);
    a.lagsMs.push(verifiedAt - plannedEnd);
    if (s.revocation!.attempts > 1) a.retried++;
    const revoking = s.timeline.filter((e) => e.event === 'revoking').pop();
    if (revoking) {
      a.toRevokingMs.push(Date.parse(revoking.at) - plannedEnd);
      a.revokingToVerifiedMs.push(verifiedAt - Date.parse(revoking.at));
    }
    if (s.actualEndAt !== undefined) a.toEndedMs.push(Date.parse(s.actualEndAt) - plannedEnd);
  }
  if (ends.length > 0) a.plannedEndSpreadMs = Math.max(...ends) - Math.min(...ends);
  return a;
}

interface Grant {
  id: string;
  plan: GrantPlan;
  vended: boolean;
  /** When its approval was sent (epoch ms). */
  approvalSentMs?: number;
}

/** Requests, approves, waits for and uses one batch; returns its approval → granted latencies. */
async function runBatch(bench: BenchContext, people: BenchPeople, plans: GrantPlan[], grants: Grant[], commonEndMs: number, est: { latencyMs: number; requestMs: number }): Promise<number[] | undefined> {
  const { ctx } = bench;
  // The requests must be in before the approvals go out: allow twice what the last batch's took, so
  // their input checks are done too (an approval waits for the check, which would skew the latency).
  const slot = nextBatchSlot(Date.now() + est.requestMs, commonEndMs, est.latencyMs);
  if (!slot) return undefined;
  const t0 = Date.now();
  const batch = fulfilledOrThrow(
    'requests',
    await Promise.allSettled(
      plans.map(async (plan) => {
        const grant: Grant = { id: await requestGrant(ctx, people, plan, `${slot.durationS}s`), plan, vended: false };
        grants.push(grant);
        return grant;
      }),
    ),
  );
  est.requestMs = Math.max(500, 2 * (Date.now() - t0));
  await sleep(Math.max(0, slot.approveAtMs - Date.now()));
  const active = fulfilledOrThrow(
    'approve → active',
    await Promise.allSettled(
      batch.map(async (g) => {
        g.approvalSentMs = Date.now();
        await approveGrant(ctx, people, g.id, g.plan);
        const st = await waitForPhase(ctx, g.id, 'active', { timeoutMs: Math.max(10_000, commonEndMs - Date.now()), intervalMs: 200 });
        if (st.phase !== 'active' || st.grantedAt === undefined) throw new Error(`${g.id} is ${st.phase}, not active`);
        return Date.parse(st.grantedAt) - g.approvalSentMs;
      }),
    ),
  );
  fulfilledOrThrow(
    'credentials',
    await Promise.allSettled(
      batch.map(async (g) => {
        await vendOnce(ctx, g.id, g.plan.requester);
        g.vended = true;
      }),
    ),
  );
  return active;
}

async function measureRevocationLag(bench: BenchContext): Promise<Figure[]> {
  const { ctx, log } = bench;
  const n = bench.sizes.expiringGrants;
  const plans = planGrants(n);
  const people = await resolveBenchPeople(ctx);
  const grants: Grant[] = [];
  const commonEndMs = Date.now() + LEAD_BASE_MS + LEAD_PER_GRANT_MS * n;
  let failed = false;
  try {
    log(`revocation: ${n} grants in batches of ${BATCH_SIZE}, all planned to end at ${new Date(commonEndMs).toISOString()}`);
    const est = { latencyMs: 1_000, requestMs: 1_000 };
    const approvalToGrantedMs: number[] = [];
    for (let k = 0; k * BATCH_SIZE < n && commonEndMs - Date.now() >= BATCH_NEEDS_MS; k++) {
      const latencies = await runBatch(bench, people, plans.slice(k * BATCH_SIZE, (k + 1) * BATCH_SIZE), grants, commonEndMs, est);
      if (!latencies) break;
      approvalToGrantedMs.push(...latencies);
      est.latencyMs = summarize(latencies).p50;
      if (grants.length % 50 === 0) log(`revocation: ${grants.length} of ${n} grants active and used`);
    }
    const made = grants.length;
    if (made === 0) throw new Error('no batch could be made before the common end');
    log(`revocation: ${made} of ${n} grants active with credentials vended; ${ms(commonEndMs - Date.now())} to their planned end`);

    // Long polls on the server: nothing asks the worker anything while it revokes.
    const results = fulfilledOrThrow('waiting for the runs to close', await mapBounded(grants, 50, (g) => closed(ctx, g.id, Math.max(0, commonEndMs - Date.now()) + CLOSE_WITHIN_MS)));
    log('revocation: every run has closed');
    const problems = made < n ? [`only ${made} of ${n} grants could be made active and used before the common end (${ms(LEAD_BASE_MS + LEAD_PER_GRANT_MS * n)} after the start): the stack was too slow for more`] : [];
    return [lagFigure(analyseRevocations(results), made, approvalToGrantedMs, problems)];
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    await endGrants(ctx, people, grants, { concurrency: 20, timeoutMs: CLOSE_WITHIN_MS, log }).catch((err: unknown) => {
      log(`revocation: ${errorText(err)}`);
      if (!failed) throw err;
    });
  }
}

function lagFigure(a: LagAnalysis, made: number, approvalToGrantedMs: number[], problems: string[]): Figure {
  const s = summarize(a.lagsMs);
  const part = (xs: number[]): string => {
    const p = summarize(xs);
    return `p50 ${ms(p.p50)}, p95 ${ms(p.p95)}, max ${ms(p.max)}`;
  };
  const skipped = Object.entries(a.notMeasured).map(([why, count]) => `${count} ${why}`);
  const measured = s.n > 0;
  return {
    id: 'revocationLag',
    what: `expiry → revocation verified, ${made} grants expiring together`,
    samples: s.n,
    values: {
      p50Ms: measured ? Math.round(s.p50) : null,
      p95Ms: measured ? Math.round(s.p95) : null,
      p99Ms: measured ? Math.round(s.p99) : null,
      maxMs: measured ? Math.round(s.max) : null,
      plannedEndSpreadMs: measured ? a.plannedEndSpreadMs : null,
      grants: made,
      retried: a.retried,
    },
    shown: measured ? latencyShown(s) : 'n/a',
    target: 'p99 ≤ 5 s',
    ...(measured ? { met: s.p99 <= TARGET_P99_MS } : {}),
    notes: [
      `planned ends (granted + whole-second duration) spread over ${ms(a.plannedEndSpreadMs)}, from batches of ${BATCH_SIZE} each timed to end together; approval sent → granted: ${part(approvalToGrantedMs)}`,
      `every grant had credentials vended once through the api before it expired, so each revocation denies a real session`,
      `planned end → revoking began: ${part(a.toRevokingMs)}; revoking → receipt verified: ${part(a.revokingToVerifiedMs)}`,
      `planned end → run ended (evidence written): ${part(a.toEndedMs)}; ${a.retried} revocation(s) needed more than one attempt`,
      ...(skipped.length > 0 ? [`not measured: ${skipped.join(', ')}`] : []),
      ...problems,
    ],
  };
}

export const revocationLagSection: BenchSection = { name: 'revocation', run: measureRevocationLag };
