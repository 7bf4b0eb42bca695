// restoreDrill: proves a backup restores. Restore into a scratch resource `sg-drill-<drill>-<id>`
// (never the source), wait until AWS says it is available, validate the data it holds, score RTO and
// RPO against the policy's targets, tell AWS Backup the result when the source is a recovery point,
// and always tear the scratch resource down — after a failure, a cancel, or at maxDuration too — in
// a non-cancellable scope retried until AWS no longer knows it. Then, when the drill asks for it, a
// person signs the results off. One evidence record.
import { ActivityCancellationType, ApplicationFailure, CancellationScope, isCancellation, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { formatElapsed } from '../../config/duration';
import type { PreparedRestore, RestoredResource, StartedRestore, TeardownReceipt, ValidationResult } from '../../activities/drills/types';
import { ApprovalRound } from '../shared/approval/gate';
import { awaitDecision } from '../shared/approval/await-decision';
import { handleSingleRound } from '../shared/approval/single-round';
import { RunbookRun, errorMessage } from '../shared/runbook-run';
import { DEFAULT_DRILL_POLL_MS, SIGN_OFF_ROUND, drillStatusQuery } from './definitions';
import type { DrillScores, DrillTeardown, RestoreDrillInput, RestoreDrillOutcome, RestoreDrillResult, RestoreDrillStatus } from './definitions';
import { drillInputProblems, rejectMalformedDrill } from './input-shape';
import { scratchNameFor } from './scratch-name';
import { DrillFailures } from './targets';
import type { RestoreDrillTarget, RestorePoint, ScratchRef } from './targets';

// A cancel (or maxDuration) waits for an AWS call in flight to finish before the teardown starts: a
// restore request still on its way would otherwise create the scratch resource after it was deleted.
const quick = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: REFUSALS() },
});

/** Restores and validations take minutes to hours: bounded by maxDuration, alive by heartbeat. */
function longActivities(maxDurationMs: number) {
  return proxyActivities<Activities>({
    startToCloseTimeout: Math.max(maxDurationMs, 60_000),
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    heartbeatTimeout: '20s',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20, nonRetryableErrorTypes: REFUSALS() },
  });
}

/**
 * Teardown retries until the resource is gone (no attempt limit: maximumAttempts is left out, as the
 * SDK refuses 0 when the activity is scheduled); a worker that dies mid-call is noticed by heartbeat.
 */
const teardown = proxyActivities<Activities>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: [DrillFailures.notScratch] },
});

/** Failure types that mean "do not try again": the drill is refused, not flaky. */
function REFUSALS(): string[] {
  return Object.values(DrillFailures);
}
const COLLISIONS = new Set<string>([DrillFailures.scratchExists, DrillFailures.scratchIsSource]);

const STEPS = ['check drill', 'restore', 'wait until available', 'validate', 'score', 'report to AWS Backup', 'tear down', 'sign-off'] as const;
type Step = (typeof STEPS)[number];

export async function restoreDrillWorkflow(input: RestoreDrillInput): Promise<RestoreDrillResult> {
  const problems = drillInputProblems(input);
  if (problems.length > 0) return rejectMalformedDrill(workflowInfo().workflowId, problems);
  const d = input.drill;
  const startedMs = Date.now();
  const scratchName = scratchNameFor(d.name, workflowInfo().workflowId);
  let signOffRound: ApprovalRound | undefined;
  const run = new RunbookRun({
    kind: 'restore-drill',
    title: 'Restore drill',
    target: d.name,
    accountId: d.accountId,
    requestedBy: input.requestedBy,
    security: input.security,
    ...(input.channel ? { channel: input.channel } : {}),
    steps: STEPS,
    rounds: () => (signOffRound ? [signOffRound.snapshot()] : []),
  });
  const record = run.record;
  record.fact('Source', describeSource(d));
  record.fact('Scratch', scratchName);
  record.fact('Targets', `RTO ${fmt(d.rtoMs)}, RPO ${fmt(d.rpoMs)}, at most ${fmt(d.maxDurationMs)}`);

  const state: {
    prepared?: PreparedRestore;
    started?: StartedRestore;
    restored?: RestoredResource;
    validation?: ValidationResult;
    teardown?: DrillTeardown;
    signOff: RestoreDrillStatus['signOff'];
    scores: DrillScores;
  } = { signOff: d.signOff ? 'not-asked' : 'not-required', scores: { rtoMs: null, rpoMs: null, rtoTargetMs: d.rtoMs, rpoTargetMs: d.rpoMs, rtoMet: null, rpoMet: null, rpoBasis: null } };

  const status = (): RestoreDrillStatus => ({
    workflowId: workflowInfo().workflowId,
    kind: 'restore-drill',
    drill: d.name,
    requestedBy: input.requestedBy,
    view: record.view(signOffRound ? [signOffRound.snapshot()] : undefined),
    timeline: [...record.timeline],
    scratchName,
    ...(state.started ? { scratch: state.started.scratch } : {}),
    ...(state.prepared ? { restorePoint: state.restored?.restorePoint ?? state.prepared.restorePoint } : {}),
    ...(state.validation ? { validation: validationSummary(state.validation) } : {}),
    scores: state.scores,
    ...(state.teardown ? { teardown: state.teardown } : {}),
    signOff: state.signOff,
    rounds: signOffRound ? [signOffRound.snapshot()] : [],
  });
  setHandler(drillStatusQuery, status);
  handleSingleRound({ roundId: SIGN_OFF_ROUND, round: () => signOffRound, record, what: 'drill', logAs: 'sign-off' });
  record.log(Date.now(), 'started', undefined, input.requestedBy);
  run.notify('started');

  let current: Step = 'check drill';
  const step = (name: Step, s: 'running' | 'done' | 'failed' | 'skipped', detail?: string): void => {
    current = name;
    record.step(Date.now(), name, s, detail);
  };
  const pollMs = Math.min(Math.max(input.pollMs ?? DEFAULT_DRILL_POLL_MS, 200), 60_000);
  const long = longActivities(d.maxDurationMs);
  /** Set once a restore may have been asked for: from then on, whatever happens, the scratch resource is torn down. */
  let mayOwnScratch = false;
  let outcome: RestoreDrillOutcome;

  try {
    outcome = await CancellationScope.withTimeout(d.maxDurationMs, async (): Promise<RestoreDrillOutcome> => {
      step('check drill', 'running');
      const verdict = await quick.checkDrillRequest({ drill: d });
      if (!verdict.accepted) throw new Rejected(verdict.problems.join('; '));
      step('check drill', 'done');

      step('restore', 'running');
      const base = { drill: d, scratchName, runId: workflowInfo().workflowId, drillStartedAt: new Date(startedMs).toISOString() };
      state.prepared = await quick.prepareRestore(base);
      const point = state.prepared.restorePoint;
      record.fact('Restore point', `${point.basis} ${point.time}${point.ref !== 'point-in-time' ? ` (${point.ref})` : ''}`);
      mayOwnScratch = true;
      state.started = await quick.startRestore({ ...base, restorePoint: point });
      step('restore', 'done', `${state.prepared.alreadyStarted ? 'resumed' : 'requested'} ${state.started.scratch.name}${state.started.restoreJobId ? `, restore job ${state.started.restoreJobId}` : ''}`);

      step('wait until available', 'running');
      state.restored = await long.waitRestored({ drill: d, scratch: state.started.scratch, ...(state.started.restoreJobId ? { restoreJobId: state.started.restoreJobId } : {}), pollMs });
      step('wait until available', 'done', `available at ${state.restored.availableAt}`);
      run.notify('restored', { detail: `${state.started.scratch.name} is available` });

      step('validate', 'running');
      state.validation = await long.validateRestore({ drill: d, restored: state.restored });
      const validatedMs = Date.now();
      const v = state.validation;
      step('validate', v.passed ? 'done' : 'failed', v.summary);
      if (v.rows !== undefined) record.fact('Rows found', String(v.rows));
      if (v.newestRecordAt) record.fact('Newest record', v.newestRecordAt);

      step('score', 'running');
      state.scores = score(d, startedMs, validatedMs, v, state.restored.restorePoint ?? point);
      const s = state.scores;
      const scoreLine = `RTO ${s.rtoMs === null ? 'not reached' : fmt(s.rtoMs)} (target ${fmt(d.rtoMs)}${s.rtoMet === false ? ', missed' : ''}), RPO ${s.rpoMs === null ? 'unknown' : fmt(s.rpoMs)} (target ${fmt(d.rpoMs)}${s.rpoMet === false ? ', missed' : ''})`;
      record.fact('Scores', scoreLine);
      step('score', s.rtoMet === true && s.rpoMet === true ? 'done' : 'failed', scoreLine);
      run.notify('scored', { detail: `${v.passed ? 'validated' : 'validation failed'}; ${scoreLine}` });

      if (state.started.restoreJobId) {
        step('report to AWS Backup', 'running');
        await quick.reportBackupValidation({ drill: d, restoreJobId: state.started.restoreJobId, status: v.passed ? 'SUCCESSFUL' : 'FAILED', message: v.summary.slice(0, 1000) });
        step('report to AWS Backup', 'done', v.passed ? 'SUCCESSFUL' : 'FAILED');
      } else step('report to AWS Backup', 'skipped', 'not a recovery point');

      if (!v.passed) return 'validation-failed';
      return s.rtoMet && s.rpoMet ? 'passed' : 'missed-targets';
    });
  } catch (err) {
    const timedOut = Date.now() - startedMs >= d.maxDurationMs;
    if (err instanceof Rejected) {
      outcome = 'rejected-invalid';
      step('check drill', 'failed', `not the policy's drill: ${err.message}`);
      run.notify('rejected-invalid', { page: true, detail: `drill input does not match the policy: ${err.message.slice(0, 500)}` });
    } else if (timedOut) {
      // maxDuration cancels the steps; an AWS call in flight may still end in its own failure (a
      // throttled poll) rather than a cancel, and the drill ran out of time either way.
      outcome = 'timed-out';
      failRunning(current, `stopped at maxDuration ${fmt(d.maxDurationMs)}`);
      run.notify('timed-out', { page: true, detail: `${current} had not finished after ${fmt(d.maxDurationMs)}` });
    } else if (isCancellation(err)) {
      outcome = 'cancelled';
      failRunning(current, 'cancelled');
    } else if (COLLISIONS.has(failureType(err) ?? '')) {
      outcome = 'refused';
      mayOwnScratch = false;
      failRunning(current, errorMessage(err));
      run.notify('refused', { page: true, detail: errorMessage(err) });
    } else {
      outcome = 'failed';
      failRunning(current, errorMessage(err));
      run.notify('failed', { page: true, detail: `${current}: ${errorMessage(err)}` });
    }
  }

  await CancellationScope.nonCancellable(async () => {
    if (mayOwnScratch) {
      const scratch: ScratchRef = state.started?.scratch ?? { type: scratchType(d), name: scratchName };
      step('tear down', 'running', scratch.name);
      const receipt: TeardownReceipt = await teardown.teardownScratch({ drill: d, scratch, pollMs });
      state.teardown = { scratch: receipt.scratch, goneAt: receipt.goneAt, deleteRequested: receipt.deleteRequested, attempt: receipt.attempt ?? 1 };
      step('tear down', 'done', `${receipt.scratch.name} gone at ${receipt.goneAt}`);
      run.notify('torn-down', { detail: `${receipt.scratch.name} is gone` });
    } else step('tear down', 'skipped', 'nothing was restored');
  });

  // Sign-off waits for people, after the scratch resource is gone: a cancel ends the wait.
  if (d.signOff && ['passed', 'missed-targets', 'validation-failed'].includes(outcome)) {
    try {
      outcome = await signOff(d, input.requestedBy, outcome, run, (r) => (signOffRound = r), (s) => (state.signOff = s), step);
    } catch (err) {
      if (!isCancellation(err)) throw err;
      outcome = 'cancelled';
      state.signOff = 'unsigned';
      failRunning('sign-off', 'cancelled while waiting for sign-off');
    }
  } else step('sign-off', 'skipped', d.signOff ? 'the drill did not reach its results' : 'not required');

  return CancellationScope.nonCancellable(async () => {
    const ok = outcome === 'passed';
    const evidenceWritten = await run.finish(
      outcome,
      (ids) => {
        const st = status();
        return {
          ...ids,
          drill: d.name,
          accountId: d.accountId,
          sourceType: d.source.type,
          source: d.source,
          requestedBy: input.requestedBy,
          outcome,
          scratch: state.started?.scratch ?? (mayOwnScratch ? { type: scratchType(d), name: scratchName } : null),
          restorePoint: st.restorePoint ?? null,
          validation: st.validation ?? null,
          scores: state.scores,
          teardown: state.teardown ?? null,
          signOff: state.signOff,
          signOffRound: signOffRound?.snapshot() ?? null,
          ...run.recordFields(),
        };
      },
      ok,
      // A backup whose data did not prove out is a failure people must see; a missed target is a finding on the card.
      outcome === 'validation-failed' ? { page: state.validation?.summary ?? 'the restored data did not prove out' } : {},
    );
    return { status: status(), outcome, evidenceWritten };
  });

  function failRunning(name: Step, detail: string): void {
    const s = record.steps.find((x) => x.name === name);
    if (s && s.state === 'running') record.step(Date.now(), name, 'failed', detail);
  }
}

/** Asks for sign-off; overdue after the timeout is escalated, and after twice the timeout the drill ends unsigned. */
async function signOff(
  d: RestoreDrillTarget,
  requestedBy: string,
  result: RestoreDrillOutcome,
  run: RunbookRun,
  open: (r: ApprovalRound) => void,
  set: (s: RestoreDrillStatus['signOff']) => void,
  step: (name: Step, s: 'running' | 'done' | 'failed' | 'skipped', detail?: string) => void,
): Promise<RestoreDrillOutcome> {
  const so = d.signOff!;
  const now = Date.now();
  const round = new ApprovalRound({
    id: SIGN_OFF_ROUND,
    kind: SIGN_OFF_ROUND,
    scope: 'drill',
    requester: requestedBy,
    eligible: so.eligible,
    quorum: so.quorum,
    openedAt: new Date(now).toISOString(),
    deadlineAt: new Date(now + 2 * so.timeoutMs).toISOString(),
  });
  open(round);
  set('waiting');
  step('sign-off', 'running', `results: ${result}; waiting for ${so.quorum} sign-off(s)`);
  run.notify('sign-off-needed', { audience: so.eligible });
  let escalated = false;
  const decided = await awaitDecision(round, {
    reminderEveryMs: so.timeoutMs,
    onEvent: async (moment) => {
      if (moment === 'reminder' && !escalated) {
        escalated = true;
        run.notify('sign-off-overdue', { page: true, detail: `nobody has signed off drill ${d.name} after ${fmt(so.timeoutMs)}` });
      } else run.notify(moment === 'progress' ? 'sign-off-progress' : 'sign-off-reminder', { audience: so.eligible });
    },
  });
  const snap = round.snapshot();
  if (decided === 'approved') {
    set('signed');
    step('sign-off', 'done', `signed by ${snap.approvals.map((a) => a.by).join(', ')}`);
    return result;
  }
  if (decided === 'denied') {
    set('rejected');
    step('sign-off', 'failed', `rejected by ${snap.denial?.by ?? '?'}: ${snap.denial?.reason ?? ''}`);
    return 'sign-off-rejected';
  }
  set('unsigned');
  step('sign-off', 'failed', `nobody signed within ${fmt(2 * so.timeoutMs)}`);
  run.notify('sign-off-missing', { page: true, detail: `drill ${d.name} ended unsigned` });
  return result === 'passed' ? 'unsigned' : result;
}

/**
 * RTO: drill start → validated. RPO: drill start − the restore point reached, from the newest record
 * the validation found when it found one (what the data proves), else the restore point AWS reports.
 */
export function score(d: RestoreDrillTarget, startedMs: number, validatedMs: number, v: ValidationResult, point: RestorePoint): DrillScores {
  const rtoMs = v.passed ? validatedMs - startedMs : null;
  const newest = v.newestRecordAt ? Date.parse(v.newestRecordAt) : NaN;
  const pointMs = Date.parse(point.time);
  const basis: DrillScores['rpoBasis'] = Number.isFinite(newest) ? 'newest-record' : Number.isFinite(pointMs) ? point.basis : null;
  const reached = basis === 'newest-record' ? newest : pointMs;
  const rpoMs = basis === null ? null : Math.max(0, startedMs - reached);
  return {
    rtoMs,
    rpoMs,
    rtoTargetMs: d.rtoMs,
    rpoTargetMs: d.rpoMs,
    rtoMet: rtoMs === null ? null : rtoMs <= d.rtoMs,
    rpoMet: rpoMs === null ? null : rpoMs <= d.rpoMs,
    rpoBasis: basis,
  };
}

function validationSummary(v: ValidationResult) {
  return {
    passed: v.passed,
    summary: v.summary,
    output: v.output,
    ...(v.rows !== undefined ? { rows: v.rows } : {}),
    ...(v.newestRecordAt ? { newestRecordAt: v.newestRecordAt } : {}),
    ...(v.commandId ? { commandId: v.commandId } : {}),
  };
}

/** What kind of resource a drill's scratch copy is (for teardown when the restore's answer was lost). */
export function scratchType(d: RestoreDrillTarget): ScratchRef['type'] {
  const s = d.source;
  if (s.type === 'rds-snapshot' || s.type === 'rds-point-in-time') return 'rds-instance';
  if (s.type === 'backup-recovery-point') return s.resourceArn.includes(':rds:') ? 'rds-instance' : 'dynamodb-table';
  return 'dynamodb-table';
}

function describeSource(d: RestoreDrillTarget): string {
  const s = d.source;
  switch (s.type) {
    case 'rds-snapshot':
      return `RDS ${s.dbInstance}, ${s.snapshot ?? 'newest automated snapshot'}`;
    case 'rds-point-in-time':
      return `RDS ${s.dbInstance}, point in time ${s.restoreAgoMs !== undefined ? `${fmt(s.restoreAgoMs)} before start` : '(latest restorable)'}`;
    case 'dynamodb-backup':
      return `DynamoDB ${s.table}, ${s.backupArn ?? 'newest backup'}`;
    case 'dynamodb-point-in-time':
      return `DynamoDB ${s.table}, point in time ${s.restoreAgoMs !== undefined ? `${fmt(s.restoreAgoMs)} before start` : '(latest restorable)'}`;
    case 'backup-recovery-point':
      return `AWS Backup ${s.vault}: ${s.resourceArn}`;
  }
}

function failureType(err: unknown): string | undefined {
  const e = err as { cause?: unknown };
  return e.cause instanceof ApplicationFailure ? (e.cause.type ?? undefined) : err instanceof ApplicationFailure ? (err.type ?? undefined) : undefined;
}

/** Targets and measured times for people (850ms, 3.2s, 1h5m). */
function fmt(ms: number): string {
  return formatElapsed(ms);
}

class Rejected extends Error {}
