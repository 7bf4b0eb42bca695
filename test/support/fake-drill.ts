// In-memory stand-ins for the restore-drill activities (activities/drills), for the workflow tier:
// one account's scratch-resource registry (restores that take a number of polls, deletes that take
// a number of polls), a validation whose result the test sets, injectable failures, and a log of
// every call. Plus recordEvidence (checked against the evidence schema, as the real activity does)
// and notify, as fake-rotation.ts does. The real activities run against the sandbox in the
// integration tier.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { prepareRecord } from '../../evidence/records';
import type {
  PreparedRestore,
  PrepareRestoreInput,
  ReportValidationInput,
  RestoredResource,
  ScratchListing,
  StartedRestore,
  StartRestoreInput,
  TeardownInput,
  TeardownReceipt,
  ValidateRestoreInput,
  ValidationResult,
  WaitRestoredInput,
} from '../../activities/drills/types';
import type { PolicyVerdict } from '../../activities/policy/break-glass-check';
import type { AccountRef, RestoreDrillTarget, RestorePoint, ScratchRef } from '../../workflows/restore-drill/targets';
import { SCRATCH_PREFIX } from '../../workflows/restore-drill/targets';
import type { Notification } from '../../workflows/shared/notifications';

/** A resource the fake account knows: a source, or a scratch copy. */
export interface FakeResource {
  name: string;
  type: ScratchRef['type'];
  status: 'creating' | 'available' | 'deleting';
  /** `safeguard:drill-run` tag. */
  runId?: string;
  drill?: string;
  createdAt: string;
  /** Polls of waitRestored (creating) or teardownScratch (deleting) until the next state. */
  pollsLeft: number;
}

export interface FakeCall {
  activity: string;
  input: unknown;
  attempt: number;
}

/** A failure to inject into the next `times` calls of an activity. */
export interface InjectedFailure {
  times: number;
  /** ApplicationFailure type (default `Injected`). */
  type?: string;
  nonRetryable?: boolean;
  /** Throw after the activity did its work (the work happened, the answer was lost). */
  after?: boolean;
  message?: string;
}

export interface FakeDrillState {
  /** Every resource by name (sources and scratch copies). */
  resources: Map<string, FakeResource>;
  /** Every scratch name ever created, in order (never removed). */
  created: string[];
  /** Every scratch name ever deleted, in order. */
  deleted: string[];
  calls: FakeCall[];
  notifications: Notification[];
  evidence: Array<{ id: string; kind: string; record: Record<string, unknown> }>;
  /** What checkDrillRequest answers. */
  verdict: PolicyVerdict;
  restorePoint: RestorePoint;
  /** When set (default 10 min), the restore point is this long before the drill started; unset: `restorePoint.time` as given. */
  restorePointAgoMs?: number;
  /** The drill start prepareRestore was told (ISO). */
  drillStartedAt?: string;
  /** waitRestored polls until a created scratch resource is available; `Infinity`: never. */
  restorePolls: number;
  /**
   * How a restore in progress is waited for. `poll`: inside one waitRestored attempt, heartbeating
   * (as the real activity does). `retry`: each attempt polls once and fails retryably while the
   * resource is still creating, so the wait is spent in the server's retry backoff — the
   * time-skipping server holds virtual time still while an activity runs, so a restore that takes
   * virtual minutes or hours (maxDuration) is modelled this way.
   */
  restoreWait: 'poll' | 'retry';
  /** teardownScratch polls until a deleting resource is gone. */
  deletePolls: number;
  /**
   * What validateRestore answers (the output defaults to a JSON line of rows/newest). `newestAgoMs`:
   * the newest record is this long before the drill started (overrides newestRecordAt).
   */
  validation: { passed: boolean; rows?: number; newestRecordAt?: string; summary?: string; output?: string; newestAgoMs?: number };
  failures: Map<string, InjectedFailure>;
  /** Drill run ids drillRunIsOpen answers true for. */
  openRuns: Set<string>;
  /** What checkSweepRequest answers. */
  sweepVerdict: PolicyVerdict;
  /** Real milliseconds between the polls of a long activity (the poll interval the workflow asks for is virtual). */
  realPollMs: number;
}

export const RESTORE_JOB_ID = 'restore-job-0001';

export function fakeDrill(opts: { now?: () => Date } = {}) {
  const now = opts.now ?? (() => new Date());
  const s: FakeDrillState = {
    resources: new Map(),
    created: [],
    deleted: [],
    calls: [],
    notifications: [],
    evidence: [],
    verdict: { accepted: true, problems: [] },
    restorePoint: { basis: 'snapshot', time: '', ref: 'rds:orders-2024-01-01-03-00' },
    restorePointAgoMs: 10 * 60_000,
    restorePolls: 2,
    restoreWait: 'poll',
    deletePolls: 1,
    validation: { passed: true, rows: 1200 },
    failures: new Map(),
    openRuns: new Set(),
    sweepVerdict: { accepted: true, problems: [] },
    realPollMs: 10,
  };

  const attempt = (): number => {
    try {
      return Context.current().info.attempt;
    } catch {
      return 1;
    }
  };
  const call = (activity: string, input: unknown): void => {
    s.calls.push({ activity, input, attempt: attempt() });
  };
  /** Throws the injected failure for this call, if any is left for this moment. */
  const maybeFail = (activity: string, moment: 'before' | 'after'): void => {
    const f = s.failures.get(activity);
    if (!f || f.times <= 0 || (f.after ?? false) !== (moment === 'after')) return;
    f.times--;
    const message = f.message ?? `${activity} failed (injected)`;
    throw ApplicationFailure.create({ message, type: f.type ?? 'Injected', nonRetryable: f.nonRetryable ?? false });
  };
  /** Heartbeats, waits a little real time, and throws when the activity was cancelled. */
  const poll = async (): Promise<void> => {
    let ctx: Context | undefined;
    try {
      ctx = Context.current();
    } catch {
      ctx = undefined;
    }
    ctx?.heartbeat();
    await new Promise((r) => setTimeout(r, s.realPollMs));
    if (ctx?.cancellationSignal.aborted) throw new CancelledFailure('activity cancelled (fake)');
  };
  const assertScratch = (name: string): void => {
    if (!name.startsWith(SCRATCH_PREFIX)) throw ApplicationFailure.nonRetryable(`refusing to touch ${name}: not ${SCRATCH_PREFIX}*`, 'NotScratch');
  };

  const activities = {
    async checkDrillRequest(input: { drill: RestoreDrillTarget }): Promise<PolicyVerdict> {
      call('checkDrillRequest', input);
      maybeFail('checkDrillRequest', 'before');
      return s.verdict;
    },

    async prepareRestore(input: PrepareRestoreInput): Promise<PreparedRestore> {
      call('prepareRestore', input);
      assertScratch(input.scratchName);
      maybeFail('prepareRestore', 'before');
      const existing = s.resources.get(input.scratchName);
      const alreadyStarted = existing !== undefined && existing.runId === input.runId;
      if (existing && !alreadyStarted) throw ApplicationFailure.nonRetryable(`${input.scratchName} already exists and is not this drill run's`, 'ScratchExists');
      s.drillStartedAt = input.drillStartedAt;
      const point = s.restorePointAgoMs === undefined ? s.restorePoint : { ...s.restorePoint, time: new Date(Date.parse(input.drillStartedAt) - s.restorePointAgoMs).toISOString() };
      return { restorePoint: point, alreadyStarted };
    },

    async startRestore(input: StartRestoreInput): Promise<StartedRestore> {
      call('startRestore', input);
      assertScratch(input.scratchName);
      maybeFail('startRestore', 'before');
      const type = scratchTypeOf(input.drill);
      const jobId = input.drill.source.type === 'backup-recovery-point' ? { restoreJobId: RESTORE_JOB_ID } : {};
      const existing = s.resources.get(input.scratchName);
      if (existing && existing.runId !== input.runId) throw ApplicationFailure.nonRetryable(`${input.scratchName} already exists and is not this drill run's`, 'ScratchExists');
      if (!existing) {
        s.resources.set(input.scratchName, { name: input.scratchName, type, status: 'creating', runId: input.runId, drill: input.drill.name, createdAt: now().toISOString(), pollsLeft: s.restorePolls });
        s.created.push(input.scratchName);
      }
      maybeFail('startRestore', 'after');
      return { scratch: { type, name: input.scratchName }, requestedAt: now().toISOString(), ...jobId };
    },

    async waitRestored(input: WaitRestoredInput): Promise<RestoredResource> {
      call('waitRestored', input);
      maybeFail('waitRestored', 'before');
      for (;;) {
        const r = s.resources.get(input.scratch.name);
        if (!r || r.status === 'deleting') throw ApplicationFailure.nonRetryable(`${input.scratch.name} is gone while the drill waits for it`, 'ScratchGone');
        if (r.status === 'creating' && r.pollsLeft <= 0) r.status = 'available';
        if (r.status === 'available') {
          return { scratch: input.scratch, availableAt: now().toISOString(), ...(r.type === 'rds-instance' ? { endpoint: `${r.name}.fake.rds.amazonaws.com:5432` } : {}) };
        }
        r.pollsLeft--;
        if (s.restoreWait === 'retry') throw ApplicationFailure.retryable(`${r.name} is still ${r.status}`, 'RestoreInProgress');
        await poll();
      }
    },

    async validateRestore(input: ValidateRestoreInput): Promise<ValidationResult> {
      call('validateRestore', input);
      maybeFail('validateRestore', 'before');
      const v = { ...s.validation };
      if (v.newestAgoMs !== undefined && s.drillStartedAt) v.newestRecordAt = new Date(Date.parse(s.drillStartedAt) - v.newestAgoMs).toISOString();
      const line = JSON.stringify({ rows: v.rows ?? 0, newest: v.newestRecordAt ?? null });
      return {
        passed: v.passed,
        ...(v.rows !== undefined ? { rows: v.rows } : {}),
        ...(v.newestRecordAt !== undefined ? { newestRecordAt: v.newestRecordAt } : {}),
        output: v.output ?? line,
        summary: v.summary ?? (v.passed ? `${v.rows ?? 0} rows found` : `only ${v.rows ?? 0} rows found`),
        validation: input.drill.validation.type,
        ...(input.drill.validation.type === 'ssm-command' ? { commandId: 'cmd-0001' } : {}),
      };
    },

    async reportBackupValidation(input: ReportValidationInput): Promise<void> {
      call('reportBackupValidation', input);
      maybeFail('reportBackupValidation', 'before');
    },

    async teardownScratch(input: TeardownInput): Promise<TeardownReceipt> {
      call('teardownScratch', input);
      assertScratch(input.scratch.name);
      maybeFail('teardownScratch', 'before');
      let deleteRequested = false;
      const r = s.resources.get(input.scratch.name);
      if (r && r.status !== 'deleting') {
        r.status = 'deleting';
        r.pollsLeft = s.deletePolls;
        deleteRequested = true;
        s.deleted.push(r.name);
      }
      for (;;) {
        const cur = s.resources.get(input.scratch.name);
        if (!cur) break;
        if (cur.pollsLeft <= 0) {
          s.resources.delete(cur.name);
          break;
        }
        cur.pollsLeft--;
        await poll();
      }
      maybeFail('teardownScratch', 'after');
      return { scratch: input.scratch, deleteRequested, goneAt: now().toISOString(), attempt: attempt() };
    },

    async checkSweepRequest(input: { accounts: AccountRef[] }): Promise<PolicyVerdict> {
      call('checkSweepRequest', input);
      return s.sweepVerdict;
    },

    async listDrillScratch(input: { account: AccountRef }): Promise<ScratchListing[]> {
      call('listDrillScratch', input);
      maybeFail('listDrillScratch', 'before');
      return [...s.resources.values()]
        .filter((r) => r.name.startsWith(SCRATCH_PREFIX))
        .map((r) => ({ scratch: { type: r.type, name: r.name }, createdAt: r.createdAt, status: r.status, ...(r.runId ? { runId: r.runId } : {}), ...(r.drill ? { drill: r.drill } : {}) }));
    },

    async drillRunIsOpen(input: { runId: string }): Promise<boolean> {
      call('drillRunIsOpen', input);
      return s.openRuns.has(input.runId);
    },

    async notify(n: Notification) {
      s.notifications.push(n);
      return {};
    },

    /** As the real activity: a record that does not fit its kind's schema is refused for good. */
    async recordEvidence(input: { id: string; kind: string; record: Record<string, unknown> }) {
      call('recordEvidence', input);
      const checked = prepareRecord(input.kind, input.record);
      if (!checked.ok) throw ApplicationFailure.nonRetryable(checked.problem, 'EVIDENCE_INVALID_INPUT');
      s.evidence.push(input);
      return { seq: s.evidence.length, hash: 'x'.repeat(64), duplicate: false };
    },
  };

  /** Adds a resource to the account (a source, an orphan, someone else's sg-drill-* instance). */
  const seed = (r: Partial<FakeResource> & { name: string }): void => {
    s.resources.set(r.name, { type: 'rds-instance', status: 'available', createdAt: now().toISOString(), pollsLeft: 0, ...r });
  };

  return { activities, state: s, seed };
}

export function scratchTypeOf(d: RestoreDrillTarget): ScratchRef['type'] {
  const src = d.source;
  if (src.type === 'rds-snapshot' || src.type === 'rds-point-in-time') return 'rds-instance';
  if (src.type === 'backup-recovery-point') return src.resourceArn.includes(':rds:') ? 'rds-instance' : 'dynamodb-table';
  return 'dynamodb-table';
}

/** The activities a state's call log names, in order. */
export const callNames = (s: FakeDrillState): string[] => s.calls.map((c) => c.activity);
export const callsOf = (s: FakeDrillState, activity: string): FakeCall[] => s.calls.filter((c) => c.activity === activity);
/** The activities that act on AWS (everything but the policy check, evidence and notifications). */
export const AWS_ACTIVITIES = ['prepareRestore', 'startRestore', 'waitRestored', 'validateRestore', 'reportBackupValidation', 'teardownScratch', 'listDrillScratch'];
