// The restore-drill workflow and the drill sweeper on the time-skipping server, AWS replaced by the
// in-memory scratch registry of test/support/fake-drill.ts: a passing drill and its scores and
// evidence, RPO missed, validation failed (reported back to AWS Backup), a name collision refused,
// maxDuration exceeded, a cancel mid-restore, a flaky teardown, a lost startRestore answer, the
// sign-off round (signed, self-sign refused, overdue then unsigned, rejected), a malformed input,
// and the sweeper. Whatever happens after a restore may have started, the scratch resource is gone.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { approveUpdate, denyUpdate } from '../../workflows/shared/approval/definitions';
import { drillStatusQuery, SIGN_OFF_ROUND } from '../../workflows/restore-drill/definitions';
import type { RestoreDrillInput, RestoreDrillResult, RestoreDrillStatus } from '../../workflows/restore-drill/definitions';
import type { DrillSweepInput, DrillSweepResult } from '../../workflows/restore-drill/sweeper.workflow';
import { scratchNameFor } from '../../workflows/restore-drill/scratch-name';
import type { RestoreDrillTarget } from '../../workflows/restore-drill/targets';
import { AWS_ACTIVITIES, callNames, callsOf, fakeDrill, RESTORE_JOB_ID } from '../support/fake-drill';
import type { FakeDrillState } from '../support/fake-drill';
import type { TeardownInput, StartRestoreInput, ReportValidationInput } from '../../activities/drills/types';
import { startTimeSkipping, workflowBundle } from '../support/time-skipping';
import { expectRefused, healTimeSkipping, terminateLeftovers } from './harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

const MIN = 60_000;
const HOUR = 60 * MIN;
const ACCOUNT = { accountId: '123456789012', executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecution', externalId: 'safeguard-sandbox' };
const SOURCE_DB = 'orders-db';

function drill(over: Partial<RestoreDrillTarget> = {}): RestoreDrillTarget {
  return {
    ...ACCOUNT,
    name: 'orders-snapshot',
    source: { type: 'rds-snapshot', dbInstance: SOURCE_DB },
    scratch: { tags: { team: 'data' } },
    validation: { type: 'ssm-command', instanceId: 'i-0123456789abcdef0', document: 'Safeguard-ValidateOrders', parameters: { Endpoint: ['{{scratch.endpoint}}'] }, minRows: 100, timeoutMs: 10 * MIN },
    rtoMs: HOUR,
    rpoMs: 30 * MIN,
    maxDurationMs: 2 * HOUR,
    ...over,
  };
}

const BACKUP_SOURCE = {
  type: 'backup-recovery-point' as const,
  vault: 'phi-vault',
  resourceArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/patients',
  iamRoleArn: 'arn:aws:iam::123456789012:role/BackupRestore',
};

function input(d: RestoreDrillTarget = drill(), over: Partial<RestoreDrillInput> = {}): RestoreDrillInput {
  return { drill: d, requestedBy: 'alice', security: ['carol'], channel: 'C0DRILLS', pollMs: 1_000, ...over };
}

interface Ctx {
  handle: WorkflowHandle;
  state: FakeDrillState;
  workflowId: string;
}

type Prepare = (s: FakeDrillState, seed: ReturnType<typeof fakeDrill>['seed'], workflowId: string) => void;

/** Starts a worker with fresh fakes (the source instance seeded), starts the workflow, runs `fn`. */
async function run<T>(workflow: string, args: unknown, fn: (c: Ctx) => Promise<T>, prepare?: Prepare): Promise<T> {
  const { activities, state, seed } = fakeDrill();
  seed({ name: SOURCE_DB, type: 'rds-instance' });
  const workflowId = `restore-drill-${Math.random().toString(16).slice(2, 10)}`;
  prepare?.(state, seed, workflowId);
  const taskQueue = `tq-${workflowId}`;
  // Heartbeats go out every 100 ms rather than every 16 s (0.8 × the 20 s heartbeat timeout), so
  // a cancelled waitRestored hears about it at once: the workflow waits for it to stop.
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
    maxHeartbeatThrottleInterval: '100ms',
  });
  try {
    return await worker.runUntil(async () => fn({ handle: await env.client.workflow.start(workflow, { taskQueue, workflowId, args: [args] }), state, workflowId }));
  } finally {
    await terminateLeftovers(env, workflowId);
    await healTimeSkipping(env);
  }
}

async function drillResult(inp: unknown, prepare?: Prepare): Promise<{ res: RestoreDrillResult; state: FakeDrillState; workflowId: string }> {
  return run('restoreDrillWorkflow', inp, async ({ handle, state, workflowId }) => ({ res: (await handle.result()) as RestoreDrillResult, state, workflowId }), prepare);
}

async function waitFor(h: WorkflowHandle, pred: (s: RestoreDrillStatus) => boolean): Promise<RestoreDrillStatus> {
  const until = Date.now() + 15_000;
  for (;;) {
    const st = await h.query(drillStatusQuery);
    if (pred(st)) return st;
    if (Date.now() > until) throw new Error(`status never matched: ${JSON.stringify(st.view.steps)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const eventAt = (st: RestoreDrillStatus, event: string): number => {
  const e = st.timeline.find((x) => x.event === event);
  if (!e) throw new Error(`no ${event} on the timeline: ${st.timeline.map((x) => x.event).join(', ')}`);
  return Date.parse(e.at);
};
const stepState = (st: RestoreDrillStatus, name: string): string | undefined => st.view.steps.find((s) => s.name === name)?.state;
const teardowns = (s: FakeDrillState): TeardownInput[] => callsOf(s, 'teardownScratch').map((c) => c.input as TeardownInput);
const pages = (s: FakeDrillState): string[] => s.notifications.filter((n) => n.severity === 'page').map((n) => n.event);

/** The source is never acted on: every mutating call names an sg-drill-* scratch resource, and the source is still there. */
function expectSourceUntouched(s: FakeDrillState): void {
  for (const c of s.calls) {
    if (c.activity === 'startRestore' || c.activity === 'prepareRestore') expect((c.input as StartRestoreInput).scratchName).toMatch(/^sg-drill-/);
    if (c.activity === 'teardownScratch') expect((c.input as TeardownInput).scratch.name).toMatch(/^sg-drill-/);
  }
  expect(s.resources.get(SOURCE_DB)).toMatchObject({ status: 'available' });
  expect(s.deleted).not.toContain(SOURCE_DB);
}

/** Nothing the drill created is left in the account. */
function expectNoScratchLeft(s: FakeDrillState): void {
  expect([...s.resources.keys()].filter((n) => n.startsWith('sg-drill-'))).toEqual([]);
}

describe('restoreDrill', () => {
  test('a passing drill: scored from start to validated and from the newest record, evidence written, torn down once', async () => {
    const { res, state, workflowId } = await drillResult(input(), (s) => {
      s.restorePointAgoMs = 40 * MIN;
      s.validation = { passed: true, rows: 1200, newestAgoMs: 5 * MIN };
    });
    expect(res.outcome).toBe('passed');
    const st = res.status;
    const scratch = scratchNameFor('orders-snapshot', workflowId);
    expect(scratch).toMatch(/^sg-drill-orders-snapshot-[0-9a-f]{8}$/);
    expect(st.scratchName).toBe(scratch);

    // RTO: drill start → validated; RPO: drill start − the newest record validation found.
    const started = eventAt(st, 'started');
    const validated = eventAt(st, 'validate:done');
    expect(st.scores).toEqual({ rtoMs: validated - started, rpoMs: 5 * MIN, rtoTargetMs: HOUR, rpoTargetMs: 30 * MIN, rtoMet: true, rpoMet: true, rpoBasis: 'newest-record' });
    expect(st.validation).toMatchObject({ passed: true, rows: 1200, commandId: 'cmd-0001' });
    expect(st.restorePoint).toMatchObject({ basis: 'snapshot', ref: 'rds:orders-2024-01-01-03-00' });

    // Torn down exactly once, by name, and seen gone.
    expect(teardowns(state)).toEqual([expect.objectContaining({ scratch: { type: 'rds-instance', name: scratch } })]);
    expect(state.created).toEqual([scratch]);
    expect(state.deleted).toEqual([scratch]);
    expect(st.teardown).toMatchObject({ scratch: { name: scratch }, deleteRequested: true, attempt: 1 });
    expectNoScratchLeft(state);
    expectSourceUntouched(state);
    // Not a recovery point: nothing reported to AWS Backup.
    expect(callNames(state)).not.toContain('reportBackupValidation');
    expect(stepState(st, 'report to AWS Backup')).toBe('skipped');
    expect(st.signOff).toBe('not-required');

    // One evidence record of kind restore-drill, with the scores and the teardown receipt.
    expect(res.evidenceWritten).toBe(true);
    expect(state.evidence).toHaveLength(1);
    const ev = state.evidence[0]!;
    expect(ev.kind).toBe('restore-drill');
    expect(ev.id).toMatch(new RegExp(`^${workflowId}/`));
    expect(ev.record).toMatchObject({
      workflowId,
      drill: 'orders-snapshot',
      sourceType: 'rds-snapshot',
      outcome: 'passed',
      scratch: { type: 'rds-instance', name: scratch },
      scores: st.scores,
      teardown: { scratch: { name: scratch }, goneAt: st.teardown!.goneAt, deleteRequested: true, attempt: 1 },
      validation: { passed: true, rows: 1200 },
    });
    expect(pages(state)).toEqual([]);
  });

  test('a point-in-time drill that misses its RPO target fails as missed-targets, scored from the restore point, and is still torn down', async () => {
    const d = drill({ name: 'orders-pitr', source: { type: 'rds-point-in-time', dbInstance: SOURCE_DB, restoreAgoMs: 2 * HOUR }, rpoMs: 15 * MIN });
    const { res, state, workflowId } = await drillResult(input(d), (s) => {
      s.restorePoint = { basis: 'point-in-time', time: '', ref: 'point-in-time' };
      s.restorePointAgoMs = 2 * HOUR;
      // The validation found rows but no timestamps: the RPO comes from the restore point AWS reached.
      s.validation = { passed: true, rows: 50 };
    });
    expect(res.outcome).toBe('missed-targets');
    expect(res.status.scores).toMatchObject({ rpoMs: 2 * HOUR, rpoTargetMs: 15 * MIN, rpoMet: false, rtoMet: true, rpoBasis: 'point-in-time' });
    expect(stepState(res.status, 'score')).toBe('failed');
    expect(teardowns(state).map((t) => t.scratch.name)).toEqual([scratchNameFor('orders-pitr', workflowId)]);
    expectNoScratchLeft(state);
    expectSourceUntouched(state);
    expect(state.evidence[0]?.record).toMatchObject({ outcome: 'missed-targets', scores: { rpoMet: false }, teardown: { deleteRequested: true } });
    // A missed target is a finding on the card, not a page.
    expect(state.notifications.filter((n) => n.severity === 'page')).toEqual([]);
    expect(state.notifications.find((n) => n.event === 'ended')).toMatchObject({ severity: 'info', detail: 'missed-targets' });
  });

  test('a restore slower than the RTO target misses it: RTO measured in workflow time from start to validated', async () => {
    const d = drill({ rtoMs: 20_000 });
    const { res, state } = await drillResult(input(d), (s) => {
      // Four attempts find it still creating: 2 + 4 + 8 + 16 s of retry backoff before it is available.
      s.restorePolls = 4;
      s.restoreWait = 'retry';
    });
    expect(res.outcome).toBe('missed-targets');
    const st = res.status;
    expect(callsOf(state, 'waitRestored')).toHaveLength(5);
    expect(st.scores.rtoMs).toBe(eventAt(st, 'validate:done') - eventAt(st, 'started'));
    expect(st.scores.rtoMs).toBeGreaterThanOrEqual(30_000);
    expect(st.scores).toMatchObject({ rtoMet: false, rpoMet: true, rpoMs: 10 * MIN, rpoBasis: 'snapshot' });
    expect(st.view.facts.find((f) => f.label === 'Scores')?.value).toMatch(/^RTO \d+s \(target 20s, missed\), RPO 10m \(target 30m\)$/);
    expect(teardowns(state)).toHaveLength(1);
    expectNoScratchLeft(state);
  });

  test('a failed validation of an AWS Backup recovery point fails the drill, reports FAILED to AWS Backup, and tears down', async () => {
    const d = drill({ name: 'patients-backup', source: BACKUP_SOURCE, validation: { type: 'dynamodb', minItems: 10, timestampAttribute: 'updatedAt' } });
    const { res, state, workflowId } = await drillResult(input(d), (s) => {
      s.restorePoint = { basis: 'recovery-point', time: new Date(Date.now() - HOUR).toISOString(), ref: 'arn:aws:backup:us-east-1:123456789012:recovery-point:rp-1' };
      s.validation = { passed: false, rows: 3, summary: 'only 3 items, expected at least 10' };
    });
    expect(res.outcome).toBe('validation-failed');
    expect(res.status.scores).toMatchObject({ rtoMs: null, rtoMet: null });
    expect(res.status.validation).toMatchObject({ passed: false, rows: 3, summary: 'only 3 items, expected at least 10' });
    expect(stepState(res.status, 'validate')).toBe('failed');
    const reports = callsOf(state, 'reportBackupValidation').map((c) => c.input as ReportValidationInput);
    expect(reports).toEqual([expect.objectContaining({ restoreJobId: RESTORE_JOB_ID, status: 'FAILED', message: 'only 3 items, expected at least 10' })]);
    // The recovery point of a table comes back as a scratch table, and goes again.
    expect(teardowns(state)).toEqual([expect.objectContaining({ scratch: { type: 'dynamodb-table', name: scratchNameFor('patients-backup', workflowId) } })]);
    expectNoScratchLeft(state);
    expect(state.evidence[0]?.record).toMatchObject({ outcome: 'validation-failed', sourceType: 'backup-recovery-point', validation: { passed: false } });
    // A backup whose data did not prove out pages security, once, with the run's end.
    expect(state.notifications.filter((n) => n.severity === 'page').map((n) => [n.event, n.detail])).toEqual([['ended', 'validation-failed: only 3 items, expected at least 10']]);
  });

  test('a passing AWS Backup drill reports SUCCESSFUL', async () => {
    const d = drill({ name: 'patients-backup', source: BACKUP_SOURCE, validation: { type: 'dynamodb', minItems: 1 } });
    const { res, state } = await drillResult(input(d), (s) => {
      s.restorePoint = { basis: 'recovery-point', time: new Date(Date.now() - 10 * MIN).toISOString(), ref: 'arn:aws:backup:us-east-1:123456789012:recovery-point:rp-2' };
      s.restorePointAgoMs = 10 * MIN;
    });
    expect(res.outcome).toBe('passed');
    expect(res.status.scores).toMatchObject({ rpoMs: 10 * MIN, rpoBasis: 'recovery-point' });
    expect(callsOf(state, 'reportBackupValidation').map((c) => (c.input as ReportValidationInput).status)).toEqual(['SUCCESSFUL']);
  });

  test('a scratch name that is taken is refused: nothing restored, nothing torn down, security paged', async () => {
    const { res, state } = await drillResult(input(), (s) => {
      s.failures.set('startRestore', { times: 1, type: 'ScratchExists', nonRetryable: true, message: 'sg-drill-orders-snapshot-x already exists and is not this drill run\'s' });
    });
    expect(res.outcome).toBe('refused');
    expect(callsOf(state, 'startRestore')).toHaveLength(1);
    expect(callNames(state)).not.toContain('teardownScratch');
    expect(callNames(state)).not.toContain('waitRestored');
    expect(res.status.teardown).toBeUndefined();
    expect(stepState(res.status, 'tear down')).toBe('skipped');
    expect(pages(state)).toContain('refused');
    expect(state.evidence[0]?.record).toMatchObject({ outcome: 'refused', teardown: null, scratch: null });
  });

  test('someone else\'s resource of the scratch name is refused at prepare and left alone', async () => {
    const { res, state } = await drillResult(input(), (_s, seed, workflowId) => {
      seed({ name: scratchNameFor('orders-snapshot', workflowId), runId: 'restore-drill-someone-else', drill: 'orders-snapshot' });
    });
    expect(res.outcome).toBe('refused');
    expect(callNames(state)).not.toContain('startRestore');
    expect(callNames(state)).not.toContain('teardownScratch');
    expect(state.resources.get(res.status.scratchName)).toMatchObject({ runId: 'restore-drill-someone-else', status: 'available' });
  });

  test('a restore that outlasts maxDuration is stopped as timed-out and torn down', async () => {
    const d = drill({ maxDurationMs: 10 * MIN, rtoMs: 5 * MIN });
    const { res, state, workflowId } = await drillResult(input(d), (s) => {
      s.restorePolls = Number.POSITIVE_INFINITY;
      s.restoreWait = 'retry';
    });
    expect(res.outcome).toBe('timed-out');
    // Still waiting, attempt after attempt, when maxDuration stopped it.
    expect(callsOf(state, 'waitRestored').length).toBeGreaterThan(3);
    expect(stepState(res.status, 'wait until available')).toBe('failed');
    expect(callNames(state)).not.toContain('validateRestore');
    expect(teardowns(state).map((t) => t.scratch.name)).toEqual([scratchNameFor('orders-snapshot', workflowId)]);
    expectNoScratchLeft(state);
    expect(pages(state)).toContain('timed-out');
    expect(res.status.scores).toMatchObject({ rtoMs: null, rpoMs: null });
    expect(state.evidence[0]?.record).toMatchObject({ outcome: 'timed-out', teardown: { deleteRequested: true } });
  });

  test('cancelled while waiting for the restore: cancelled, and the scratch resource is torn down', async () => {
    const { res, state, workflowId } = await run(
      'restoreDrillWorkflow',
      input(),
      async ({ handle, state: s, workflowId: id }) => {
        await waitFor(handle, (st) => stepState(st, 'wait until available') === 'running');
        await handle.cancel();
        return { res: (await handle.result()) as RestoreDrillResult, state: s, workflowId: id };
      },
      (s) => {
        s.restorePolls = Number.POSITIVE_INFINITY;
      },
    );
    expect(res.outcome).toBe('cancelled');
    expect(stepState(res.status, 'wait until available')).toBe('failed');
    expect(teardowns(state).map((t) => t.scratch.name)).toEqual([scratchNameFor('orders-snapshot', workflowId)]);
    expect(res.status.teardown?.scratch.name).toBe(scratchNameFor('orders-snapshot', workflowId));
    expectNoScratchLeft(state);
    expect(callNames(state)).not.toContain('validateRestore');
    expect(state.evidence[0]?.record).toMatchObject({ outcome: 'cancelled' });
  });

  test('a teardown that fails a few times is retried until the scratch resource is gone', async () => {
    const { res, state } = await drillResult(input(), (s) => {
      s.failures.set('teardownScratch', { times: 3, message: 'Throttling: Rate exceeded' });
    });
    expect(res.outcome).toBe('passed');
    expect(callsOf(state, 'teardownScratch').map((c) => c.attempt)).toEqual([1, 2, 3, 4]);
    expect(res.status.teardown).toMatchObject({ attempt: 4 });
    expect(stepState(res.status, 'tear down')).toBe('done');
    expectNoScratchLeft(state);
  });

  test('a startRestore whose answer was lost still leads to the scratch resource being torn down, by name', async () => {
    const { res, state, workflowId } = await drillResult(input(), (s) => {
      // Every attempt reaches AWS and then fails: the first one restored, the answer never came back.
      s.failures.set('startRestore', { times: 5, after: true, message: 'socket hang up' });
    });
    const scratch = scratchNameFor('orders-snapshot', workflowId);
    expect(res.outcome).toBe('failed');
    expect(callsOf(state, 'startRestore')).toHaveLength(5);
    expect(state.created).toEqual([scratch]);
    expect(teardowns(state)).toEqual([expect.objectContaining({ scratch: { type: 'rds-instance', name: scratch } })]);
    expectNoScratchLeft(state);
    expect(res.status.teardown).toMatchObject({ scratch: { name: scratch }, deleteRequested: true });
    expect(pages(state)).toContain('failed');
    expect(state.evidence[0]?.record).toMatchObject({ outcome: 'failed', scratch: { name: scratch }, teardown: { scratch: { name: scratch } } });
  });

  test('a policy mismatch is rejected before any AWS call', async () => {
    const { res, state } = await drillResult(input(), (s) => {
      s.verdict = { accepted: false, problems: ['rpoMs differs from the policy'] };
    });
    expect(res.outcome).toBe('rejected-invalid');
    expect(callNames(state)).toEqual(['checkDrillRequest', 'recordEvidence']);
    expect(pages(state)).toContain('rejected-invalid');
    expect(res.status.timeline.find((e) => e.event === 'check drill:failed')?.detail).toMatch(/rpoMs differs from the policy/);
  });

  test.each([
    ['a payload the codec refused', { __refused: 'unencrypted payload' }, /refused by the payload codec/],
    ['not an object', 'orders-snapshot', /not an object/],
    ['a bad source and a negative RTO', { ...input(), drill: { ...drill(), source: { type: 'ftp' }, rtoMs: -1 } }, /drill\.source is not a drill source; drill\.rtoMs is not a duration/],
    ['a sign-off with no quorum', { ...input(), drill: { ...drill(), signOff: { eligible: ['bob'], quorum: 0, timeoutMs: HOUR } } }, /drill\.signOff is not a sign-off/],
    ['a requester who is not a person', { ...input(), requestedBy: 'Robert; DROP TABLE' }, /requestedBy is not a person id/],
  ])('a malformed input (%s) ends as rejected-invalid without any AWS activity', async (_what, forged, problem) => {
    const { res, state } = await drillResult(forged);
    expect(res.outcome).toBe('rejected-invalid');
    expect(res.status.timeline.find((e) => e.event === 'rejected-invalid')?.detail).toMatch(problem);
    expect(callNames(state)).toEqual(['recordEvidence']);
    expect(callNames(state).filter((n) => AWS_ACTIVITIES.includes(n))).toEqual([]);
    expect(pages(state)).toContain('rejected-invalid');
    expect(res.evidenceWritten).toBe(true);
    expect(state.evidence[0]).toMatchObject({ kind: 'restore-drill', record: { outcome: 'rejected-invalid', scratch: null, teardown: null } });
  });
});

describe('restoreDrill sign-off', () => {
  const signOff = { eligible: ['alice', 'bob', 'carol'], quorum: 1, timeoutMs: HOUR };
  const signed = drill({ signOff });
  const open = (st: RestoreDrillStatus): boolean => st.signOff === 'waiting' && st.rounds[0]?.state === 'open';

  test('an eligible person signs the results off: passed and signed, after the teardown', async () => {
    const { res, state } = await run('restoreDrillWorkflow', input(signed), async ({ handle, state: s }) => {
      const st = await waitFor(handle, open);
      // The scratch resource is gone before anyone is asked.
      expect(st.teardown).toBeDefined();
      expectNoScratchLeft(s);
      const r = await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: SIGN_OFF_ROUND, comment: 'row counts look right' }] });
      expect(r).toMatchObject({ accepted: true, decided: true, round: SIGN_OFF_ROUND, roundState: 'approved' });
      return { res: (await handle.result()) as RestoreDrillResult, state: s };
    });
    expect(res.outcome).toBe('passed');
    expect(res.status.signOff).toBe('signed');
    expect(res.status.rounds[0]).toMatchObject({ id: SIGN_OFF_ROUND, state: 'approved', approvals: [expect.objectContaining({ by: 'bob', comment: 'row counts look right' })] });
    expect(stepState(res.status, 'sign-off')).toBe('done');
    const asked = state.notifications.find((n) => n.event === 'sign-off-needed');
    expect(asked?.audience).toEqual(['alice', 'bob', 'carol']);
    expect(pages(state)).toEqual([]);
    expect(state.evidence[0]?.record).toMatchObject({ outcome: 'passed', signOff: 'signed', signOffRound: { state: 'approved' } });
  });

  test('the requester cannot sign off their own drill, nor can someone outside the sign-off groups', async () => {
    const res = await run('restoreDrillWorkflow', input(signed), async ({ handle }) => {
      await waitFor(handle, open);
      await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice', round: SIGN_OFF_ROUND }] }), 'SelfApproval');
      await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'mallory', round: SIGN_OFF_ROUND }] }), 'NotAnApprover');
      await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'delete-old-key' }] }), 'UnknownRound');
      await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob' }] }), 'RoundRequired');
      // Forged or garbled arguments: a sign-off sent without the codec key, a non-person, a comment too long for history.
      await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ __refused: 'unencrypted payload' } as never] }), 'MalformedRequest');
      await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'Bob; DROP', round: SIGN_OFF_ROUND }] }), 'MalformedRequest');
      await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'carol', round: SIGN_OFF_ROUND, comment: 'x'.repeat(6000) }] }), 'MalformedRequest');
      const st = await handle.query(drillStatusQuery);
      expect(st.rounds[0]).toMatchObject({ state: 'open', approvals: [] });
      await handle.executeUpdate(approveUpdate, { args: [{ approver: 'carol', round: SIGN_OFF_ROUND }] });
      return (await handle.result()) as RestoreDrillResult;
    });
    expect(res.outcome).toBe('passed');
    expect(res.status.rounds[0]?.approvals.map((a) => a.by)).toEqual(['carol']);
  });

  test('nobody signs: escalated once the sign-off is overdue, then the drill ends unsigned', async () => {
    const { res, state } = await drillResult(input(signed));
    expect(res.outcome).toBe('unsigned');
    expect(res.status.signOff).toBe('unsigned');
    expect(res.status.rounds[0]?.state).toBe('expired');
    const p = pages(state);
    expect(p.filter((e) => e === 'sign-off-overdue')).toHaveLength(1);
    expect(p).toContain('sign-off-missing');
    expect(p.indexOf('sign-off-overdue')).toBeLessThan(p.indexOf('sign-off-missing'));
    const overdue = state.notifications.find((n) => n.event === 'sign-off-overdue');
    expect(overdue).toMatchObject({ severity: 'page', audience: ['carol'] });
    // Escalated after the timeout, ended after twice the timeout (workflow time on the timeline).
    const opened = Date.parse(res.status.rounds[0]!.openedAt);
    expect(Date.parse(res.status.rounds[0]!.deadlineAt) - opened).toBe(2 * HOUR);
    expect(state.evidence[0]?.record).toMatchObject({ outcome: 'unsigned', signOff: 'unsigned' });
    // Torn down long before anyone was asked.
    expect(teardowns(state)).toHaveLength(1);
    expectNoScratchLeft(state);
  });

  test('a rejected sign-off ends the drill as sign-off-rejected', async () => {
    const res = await run('restoreDrillWorkflow', input(signed), async ({ handle }) => {
      await waitFor(handle, open);
      await expectRefused(handle.executeUpdate(denyUpdate, { args: [{ approver: 'bob', round: SIGN_OFF_ROUND, reason: '' }] }), 'ReasonRequired');
      await handle.executeUpdate(denyUpdate, { args: [{ approver: 'bob', round: SIGN_OFF_ROUND, reason: 'the newest row is from last week' }] });
      return (await handle.result()) as RestoreDrillResult;
    });
    expect(res.outcome).toBe('sign-off-rejected');
    expect(res.status.signOff).toBe('rejected');
    expect(res.status.rounds[0]).toMatchObject({ state: 'denied', denial: { by: 'bob', reason: 'the newest row is from last week' } });
    expect(stepState(res.status, 'sign-off')).toBe('failed');
  });

  test('cancelled while waiting for sign-off: the wait ends, the drill is cancelled, its evidence written', async () => {
    const { res, state } = await run('restoreDrillWorkflow', input(signed), async ({ handle, state: s }) => {
      await waitFor(handle, open);
      await handle.cancel();
      return { res: (await handle.result()) as RestoreDrillResult, state: s };
    });
    expect(res.outcome).toBe('cancelled');
    expect(res.status.signOff).toBe('unsigned');
    expect(stepState(res.status, 'sign-off')).toBe('failed');
    expect(teardowns(state)).toHaveLength(1);
    expectNoScratchLeft(state);
    expect(res.evidenceWritten).toBe(true);
    expect(state.evidence[0]?.record).toMatchObject({ outcome: 'cancelled', signOff: 'unsigned', teardown: { deleteRequested: true } });
  });

  test('a drill that failed before its results is not put up for sign-off', async () => {
    const { res, state } = await drillResult(input(signed), (s) => {
      s.failures.set('validateRestore', { times: 1, type: 'RestoreFailed', nonRetryable: true });
    });
    expect(res.outcome).toBe('failed');
    expect(res.status.signOff).toBe('not-asked');
    expect(state.notifications.map((n) => n.event)).not.toContain('sign-off-needed');
    expectNoScratchLeft(state);
  });
});

describe('drillSweeper', () => {
  test('deletes an old orphan, keeps a young one and one whose drill is still running, and writes a drill-sweep record', async () => {
    const now = await env.currentTimeMs();
    const ago = (ms: number) => new Date(now - ms).toISOString();
    const sweep: DrillSweepInput = { accounts: [ACCOUNT], olderThanMs: 6 * HOUR, requestedBy: 'schedule', security: ['carol'], pollMs: 1_000 };
    const { res, state } = await run(
      'drillSweeperWorkflow',
      sweep,
      async ({ handle, state: s }) => ({ res: (await handle.result()) as DrillSweepResult, state: s }),
      (s, seed) => {
        seed({ name: 'sg-drill-orders-snapshot-0badf00d', createdAt: ago(10 * HOUR), runId: 'restore-drill-long-gone', drill: 'orders-snapshot' });
        seed({ name: 'sg-drill-orders-snapshot-00c0ffee', createdAt: ago(HOUR), runId: 'restore-drill-young', drill: 'orders-snapshot' });
        seed({ name: 'sg-drill-patients-backup-5ca1ab1e', type: 'dynamodb-table', createdAt: ago(9 * HOUR), runId: 'restore-drill-still-running', drill: 'patients-backup' });
        s.openRuns.add('restore-drill-still-running');
      },
    );
    const byName = Object.fromEntries(res.swept.map((x) => [x.name, x]));
    expect(Object.keys(byName).sort()).toEqual(['sg-drill-orders-snapshot-00c0ffee', 'sg-drill-orders-snapshot-0badf00d', 'sg-drill-patients-backup-5ca1ab1e']);
    expect(byName['sg-drill-orders-snapshot-0badf00d']).toMatchObject({ deleted: true, accountId: ACCOUNT.accountId, runId: 'restore-drill-long-gone', why: expect.stringMatching(/^orphan; gone at /) });
    expect(byName['sg-drill-orders-snapshot-00c0ffee']).toMatchObject({ deleted: false, why: 'younger than the limit' });
    expect(byName['sg-drill-patients-backup-5ca1ab1e']).toMatchObject({ deleted: false, type: 'dynamodb-table', why: expect.stringMatching(/still running/) });

    expect(teardowns(state).map((t) => t.scratch.name)).toEqual(['sg-drill-orders-snapshot-0badf00d']);
    expect([...state.resources.keys()].sort()).toEqual([SOURCE_DB, 'sg-drill-orders-snapshot-00c0ffee', 'sg-drill-patients-backup-5ca1ab1e']);
    expect(callsOf(state, 'drillRunIsOpen').map((c) => (c.input as { runId: string }).runId).sort()).toEqual(['restore-drill-long-gone', 'restore-drill-still-running']);

    expect(res.evidenceWritten).toBe(true);
    expect(state.evidence).toHaveLength(1);
    expect(state.evidence[0]).toMatchObject({ kind: 'drill-sweep', record: { swept: res.swept, olderThanMs: 6 * HOUR, outcome: 'swept' } });
    const page = state.notifications.find((n) => n.event === 'orphans-swept');
    expect(page).toMatchObject({ severity: 'page' });
    expect(page?.detail).toContain('sg-drill-orders-snapshot-0badf00d');
  });

  test('a scratch resource it cannot delete is kept and listed, the sweep fails and pages', async () => {
    const now = await env.currentTimeMs();
    const sweep: DrillSweepInput = { accounts: [ACCOUNT], olderThanMs: 6 * HOUR, requestedBy: 'carol', security: ['carol'] };
    const { res, state } = await run(
      'drillSweeperWorkflow',
      sweep,
      async ({ handle, state: s }) => ({ res: (await handle.result()) as DrillSweepResult, state: s }),
      (s, seed) => {
        // Someone else's resource named like a scratch one, without the drill tags.
        seed({ name: 'sg-drill-handmade', createdAt: new Date(now - 2 * 24 * HOUR).toISOString() });
        s.failures.set('teardownScratch', { times: 1, type: 'NotScratch', nonRetryable: true, message: 'refusing to delete sg-drill-handmade' });
      },
    );
    expect(res.swept).toEqual([expect.objectContaining({ name: 'sg-drill-handmade', deleted: false, why: expect.stringMatching(/^delete failed: refusing to delete sg-drill-handmade/) })]);
    expect(res.swept[0]).not.toHaveProperty('runId');
    // No drill tag: nothing to ask Temporal about.
    expect(callNames(state)).not.toContain('drillRunIsOpen');
    expect(state.resources.has('sg-drill-handmade')).toBe(true);
    expect(state.notifications.find((n) => n.event === 'orphans-swept')).toMatchObject({ severity: 'page', detail: expect.stringMatching(/1 could not be deleted/) });
    expect(state.evidence[0]).toMatchObject({ kind: 'drill-sweep', record: { outcome: 'failed' } });
  });

  test("a sweep whose accounts are not the policy's lists and deletes nothing, pages, and is recorded", async () => {
    const now = await env.currentTimeMs();
    const sweep: DrillSweepInput = { accounts: [{ ...ACCOUNT, executionRoleArn: 'arn:aws:iam::123456789012:role/Attacker' }], olderThanMs: 1, requestedBy: 'carol', security: ['carol'] };
    const { res, state } = await run(
      'drillSweeperWorkflow',
      sweep,
      async ({ handle, state: s }) => ({ res: (await handle.result()) as DrillSweepResult, state: s }),
      (s, seed) => {
        seed({ name: 'sg-drill-orders-snapshot-0badf00d', createdAt: new Date(now - 10 * HOUR).toISOString(), runId: 'restore-drill-long-gone' });
        s.sweepVerdict = { accepted: false, problems: ["account 123456789012's execution role or ExternalId differs from the policy's"] };
      },
    );
    expect(res.swept).toEqual([]);
    expect(callNames(state).filter((c) => c !== 'recordEvidence')).toEqual(['checkSweepRequest']);
    expect(state.resources.has('sg-drill-orders-snapshot-0badf00d')).toBe(true);
    expect(pages(state)).toContain('rejected-invalid');
    expect(state.evidence).toEqual([expect.objectContaining({ kind: 'drill-sweep', record: expect.objectContaining({ outcome: 'rejected-invalid', swept: [] }) })]);
  });

  test.each([
    ['not an object', 42],
    ['refused by the codec', { __refused: 'no codec key' }],
    ['no accounts', { olderThanMs: 1000, requestedBy: 'carol', security: ['carol'] }],
    ['a zero age limit', { accounts: [ACCOUNT], olderThanMs: 0, requestedBy: 'carol', security: ['carol'] }],
  ])('a malformed sweep input (%s) ends rejected-invalid without any AWS call', async (_what, sweep) => {
    const { res, state } = await run('drillSweeperWorkflow', sweep as DrillSweepInput, async ({ handle, state: s }) => ({ res: (await handle.result()) as DrillSweepResult, state: s }));
    expect(res.swept).toEqual([]);
    expect(callNames(state).filter((c) => c !== 'recordEvidence')).toEqual([]);
    expect(state.evidence).toEqual([expect.objectContaining({ kind: 'drill-sweep', record: expect.objectContaining({ outcome: 'rejected-invalid' }) })]);
  });

  test('nothing to delete: no page, and the record says so', async () => {
    const now = await env.currentTimeMs();
    const sweep: DrillSweepInput = { accounts: [ACCOUNT], olderThanMs: 6 * HOUR, requestedBy: 'schedule', security: ['carol'] };
    const { res, state } = await run(
      'drillSweeperWorkflow',
      sweep,
      async ({ handle, state: s }) => ({ res: (await handle.result()) as DrillSweepResult, state: s }),
      (_s, seed) => seed({ name: 'sg-drill-orders-snapshot-00c0ffee', createdAt: new Date(now - HOUR).toISOString(), runId: 'restore-drill-young' }),
    );
    expect(res.swept).toEqual([expect.objectContaining({ name: 'sg-drill-orders-snapshot-00c0ffee', deleted: false })]);
    expect(callNames(state)).not.toContain('teardownScratch');
    expect(pages(state)).toEqual([]);
    expect(state.evidence[0]?.kind).toBe('drill-sweep');
  });
});
