// Runs doctor's checks in order. A check that needs another (Temporal before its namespace, the
// policy before the execution roles) is skipped, with the reason, when that one did not pass; every
// check has a deadline, so doctor always finishes and says which check did not answer.
import type { CheckRow, CheckStatus } from './report';

/** One row a check reports; `id`/`check` default to the check's own (a check may report several rows). */
export interface CheckOutcome {
  status: Exclude<CheckStatus, 'skipped'> | 'skipped';
  detail: string;
  fix?: string;
  id?: string;
  check?: string;
}

export interface DoctorCheck<C> {
  id: string;
  /** What is checked, for a person. */
  check: string;
  /** Ids of the checks this one builds on: each must be ok or warn, else this one is skipped. */
  needs?: readonly string[];
  /** What to do when the check throws something unexpected or does not answer in time. */
  fix: string;
  run(ctx: C, signal: AbortSignal): Promise<CheckOutcome | CheckOutcome[]>;
}

export interface RunOptions {
  /** Per check. */
  timeoutMs: number;
}

export class CheckTimeout extends Error {
  override readonly name = 'CheckTimeout';
  readonly code = 'CHECK_TIMEOUT';
}

const msText = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

/** The status a dependent sees: the worst of the check's rows (FAIL, then skipped, then warn). */
function overall(rows: readonly CheckRow[]): CheckStatus {
  if (rows.some((r) => r.status === 'FAIL')) return 'FAIL';
  if (rows.length === 0 || rows.some((r) => r.status === 'skipped')) return 'skipped';
  return rows.some((r) => r.status === 'warn') ? 'warn' : 'ok';
}

async function withDeadline<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timeout = new CheckTimeout(`no answer within ${msText(ms)}`);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Abort first, so the SDK call in flight is cancelled rather than left running.
      controller.abort(timeout);
      reject(timeout);
    }, ms);
  });
  try {
    return await Promise.race([fn(controller.signal), expired]);
  } catch (err) {
    // Whatever the aborted call threw (AbortError, a cancelled gRPC call), the cause is the deadline.
    throw controller.signal.aborted ? timeout : err;
  } finally {
    clearTimeout(timer);
  }
}

export async function runChecks<C>(checks: readonly DoctorCheck<C>[], ctx: C, opts: RunOptions): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  const statusOf = new Map<string, CheckStatus>();
  /** Why a check was skipped for want of another: its dependents name the same first cause. */
  const causeOf = new Map<string, string>();
  const titleOf = new Map(checks.map((c) => [c.id, c.check]));
  for (const c of checks) {
    const causes = new Set<string>();
    for (const id of c.needs ?? []) {
      const s = statusOf.get(id);
      if (s === 'ok' || s === 'warn') continue;
      causes.add(causeOf.get(id) ?? `${titleOf.get(id) ?? id} ${s === 'FAIL' ? 'failed' : s === 'skipped' ? 'was skipped' : 'did not run'}`);
    }
    let produced: CheckRow[];
    if (causes.size > 0) {
      const why = [...causes].join('; ');
      causeOf.set(c.id, why);
      produced = [{ id: c.id, check: c.check, status: 'skipped', detail: `skipped: ${why}` }];
    } else {
      produced = await runOne(c, ctx, opts.timeoutMs);
    }
    statusOf.set(c.id, overall(produced));
    rows.push(...produced);
  }
  return rows;
}

async function runOne<C>(c: DoctorCheck<C>, ctx: C, timeoutMs: number): Promise<CheckRow[]> {
  try {
    const out = await withDeadline(timeoutMs, (signal) => c.run(ctx, signal));
    const outcomes = Array.isArray(out) ? out : [out];
    return outcomes.map((o) => ({
      id: o.id ?? c.id,
      check: o.check ?? c.check,
      status: o.status,
      detail: o.detail,
      ...(o.fix !== undefined ? { fix: o.fix } : o.status === 'FAIL' ? { fix: c.fix } : {}),
    }));
  } catch (err) {
    const detail = err instanceof CheckTimeout ? err.message : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
    return [{ id: c.id, check: c.check, status: 'FAIL', detail, fix: c.fix }];
  }
}
