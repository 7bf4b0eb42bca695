// The pure judgements behind the chaos final checks (chaos/checks/*): when access must be over and
// whether IAM would still grant it, what counts as a duplicate, and what each workflow may be at
// the end of a run.
import { accessDeadlineMs, grantEnd, uncoveredReason } from '../../chaos/checks/access';
import { probeOutcome } from '../../chaos/checks/aws';
import { lastIssueBoundMs, restoreTargetOf, tookEffect } from '../../chaos/checks/calls';
import { duplicateOutcomes, duplicateStatements, excessKeyCreations, restoresFromCalls, restoresFromJobs, targetOfRun } from '../../chaos/checks/duplicates';
import { verifyProblems } from '../../chaos/checks/evidence';
import type { ListedExecution } from '../../chaos/checks/facts';
import { countsByTypeAndStatus, expectationFor, ledgerExpectations, statusProblem } from '../../chaos/checks/workflows';
import { newLedger } from '../../chaos/ledger';
import type { EvidenceEntry } from '../../evidence/chain';
import type { CallRecord } from '../../sandbox/call-log';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function call(over: Partial<CallRecord>): CallRecord {
  return { seq: 1, at: iso(T0), service: 'iam', action: 'ListRoles', params: {}, caller: undefined, status: 200, servedBy: 'moto', durationMs: 10, ...over };
}

describe('access deadlines', () => {
  it('a grant ends at the earliest of its planned end, its recorded end and its run\'s close', () => {
    expect(grantEnd({ plannedEndAtMs: T0 + 60_000 }, {})).toEqual({ endMs: T0 + 60_000, source: 'planned end' });
    expect(grantEnd({ plannedEndAtMs: T0 + 60_000 }, { endedAtMs: T0 + 20_000, closedAtMs: T0 + 21_000 })).toEqual({ endMs: T0 + 20_000, source: 'ended' });
    expect(grantEnd({ plannedEndAtMs: T0 + 60_000 }, { closedAtMs: T0 + 5_000 })).toEqual({ endMs: T0 + 5_000, source: 'run closed' });
    expect(grantEnd({}, {})).toBeUndefined();
  });

  it('access is measured from max(end, last recovery) + 5 s', () => {
    expect(accessDeadlineMs(T0, T0 - 1000)).toBe(T0 + 5000);
    expect(accessDeadlineMs(T0, T0 + 30_000)).toBe(T0 + 35_000);
  });
});

describe('whether IAM would still grant a token (deny statements by SourceIdentity and TokenIssueTime)', () => {
  const statements = [
    { person: 'alice', tokensIssuedBefore: iso(T0 + 10_000) },
    { person: 'bob', tokensIssuedBefore: iso(T0) },
  ];

  it('a token issued before the person\'s cut-off is denied', () => {
    expect(uncoveredReason(statements, 'alice', T0 + 9_999)).toBeUndefined();
  });

  it('a token issued at or after the cut-off, or of a person without a statement, is not', () => {
    expect(uncoveredReason(statements, 'alice', T0 + 10_000)).toMatch(/alice's deny statement covers tokens issued before 10:00:10.000Z, not those issued up to 10:00:10.000Z/);
    expect(uncoveredReason(statements, 'dave', T0)).toBe('no deny statement for dave on the role');
  });

  it('of two statements for one person the later cut-off counts', () => {
    expect(uncoveredReason([...statements, { person: 'bob', tokensIssuedBefore: iso(T0 + 50_000) }], 'bob', T0 + 20_000)).toBeUndefined();
  });

  it('a session\'s tokens were issued by the end of its last AssumeRole that took effect', () => {
    const calls = [
      call({ action: 'AssumeRole', params: { RoleSessionName: 'g1' }, at: iso(T0), durationMs: 40 }),
      call({ action: 'AssumeRole', params: { RoleSessionName: 'g1' }, at: iso(T0 + 5000), durationMs: 40 }),
      call({ action: 'AssumeRole', params: { RoleSessionName: 'g1' }, at: iso(T0 + 9000), status: 503, error: 'ServiceUnavailable', servedBy: 'fault' }),
      call({ action: 'AssumeRole', params: { RoleSessionName: 'g2' }, at: iso(T0 + 9500) }),
    ];
    expect(lastIssueBoundMs(calls, 'g1')).toBe(T0 + 5040);
    expect(lastIssueBoundMs(calls, 'g1', T0 + 5000)).toBe(T0 + 40);
    expect(lastIssueBoundMs(calls, 'g3')).toBeUndefined();
  });

  it('probe errors: refusals end access, throttling and 5xx prove nothing', () => {
    expect(probeOutcome(undefined)).toEqual({ outcome: 'accepted' });
    expect(probeOutcome(Object.assign(new Error('x'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })).outcome).toBe('refused');
    expect(probeOutcome(Object.assign(new Error('x'), { name: 'ExpiredToken', $metadata: { httpStatusCode: 400 } })).outcome).toBe('refused');
    expect(probeOutcome(Object.assign(new Error('x'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }))).toEqual({ outcome: 'inconclusive', error: 'Throttling (HTTP 400)' });
    expect(probeOutcome(new Error('socket hang up')).outcome).toBe('inconclusive');
  });
});

describe('what took effect', () => {
  it('refused calls and injected faults did nothing', () => {
    expect(tookEffect(call({}))).toBe(true);
    expect(tookEffect(call({ status: 400, error: 'Throttling', servedBy: 'fault' }))).toBe(false);
    expect(tookEffect(call({ status: 409, error: 'EntityAlreadyExists' }))).toBe(false);
  });

  it('restore calls name their scratch target', () => {
    expect(restoreTargetOf(call({ action: 'RestoreDBInstanceFromDBSnapshot', params: { DBInstanceIdentifier: 'sg-drill-a-1' } }))).toBe('sg-drill-a-1');
    expect(restoreTargetOf(call({ action: 'RestoreDBInstanceToPointInTime', params: { TargetDBInstanceIdentifier: 'sg-drill-b-2', SourceDBInstanceIdentifier: 'src' } }))).toBe('sg-drill-b-2');
    expect(restoreTargetOf(call({ action: 'RestoreTableToPointInTime', params: { TargetTableName: 'sg-drill-c-3', SourceTableName: 'claims' } }))).toBe('sg-drill-c-3');
    expect(restoreTargetOf(call({ action: 'DescribeDBInstances', params: { DBInstanceIdentifier: 'sg-drill-a-1' } }))).toBeUndefined();
  });
});

describe('duplicates', () => {
  it('finds a person with two deny statements on one role', () => {
    expect(duplicateStatements([
      { person: 'alice', tokensIssuedBefore: iso(T0) },
      { person: 'bob', tokensIssuedBefore: iso(T0) },
      { person: 'alice', tokensIssuedBefore: iso(T0 + 1) },
    ])).toEqual([{ person: 'alice', cutoffs: [iso(T0), iso(T0 + 1)] }]);
  });

  it('finds a run with two outcome records, a grant with an outcome and a reconciliation, and nothing for one record each', () => {
    const entry = (seq: number, kind: string, workflowId: string, runId: string): EvidenceEntry => ({ seq, at: iso(T0), id: `${kind}/${seq}`, kind, prevHash: '', hash: '', record: { workflowId, runId } });
    const evidence = [
      entry(1, 'break-glass', 'bg-1', 'r1'),
      entry(2, 'break-glass', 'bg-2', 'r1'),
      entry(3, 'reconciled', 'bg-2', 'r1'),
      entry(4, 'restore-drill', 'dr-1', 'r1'),
      entry(5, 'restore-drill', 'dr-1', 'r2'),
      entry(6, 'break-glass', 'bg-3', 'r1'),
      entry(7, 'access-refused', 'bg-3', 'r1'),
    ];
    const runs = [{ workflowId: 'bg-1', kind: 'break-glass' }, { workflowId: 'bg-2', kind: 'break-glass' }, { workflowId: 'dr-1', kind: 'restore-drill' }, { workflowId: 'bg-3', kind: 'break-glass' }, { workflowId: 'bg-1', kind: 'break-glass' }];
    expect(duplicateOutcomes(evidence, runs)).toEqual([
      { workflowId: 'bg-2', records: ['break-glass seq 2 (run r1)', 'reconciled seq 3 (run r1)'] },
      { workflowId: 'dr-1', records: ['restore-drill seq 4 (run r1)', 'restore-drill seq 5 (run r2)'] },
    ]);
  });

  it('a rotation run may create one key; overlapping runs share their window; keys outside every run are nobody\'s', () => {
    const runs = [
      { workflowId: 'rot-a', startMs: T0, closeMs: T0 + 10_000 },
      { workflowId: 'rot-b', startMs: T0 + 20_000, closeMs: T0 + 30_000 },
      { workflowId: 'rot-c', startMs: T0 + 25_000, closeMs: T0 + 40_000 },
      { workflowId: 'rot-d', startMs: T0 + 50_000 },
    ];
    expect(excessKeyCreations(runs, [T0 + 1000, T0 + 21_000, T0 + 35_000, T0 + 51_000], T0 + 60_000)).toEqual([]);
    expect(excessKeyCreations(runs, [T0 + 1000, T0 + 2000], T0 + 60_000)).toEqual([{ runs: ['rot-a'], created: [T0 + 1000, T0 + 2000] }]);
    expect(excessKeyCreations(runs, [T0 + 21_000, T0 + 26_000, T0 + 39_000], T0 + 60_000)).toEqual([{ runs: ['rot-b', 'rot-c'], created: [T0 + 21_000, T0 + 26_000, T0 + 39_000] }]);
    expect(excessKeyCreations(runs, [T0 + 15_000, T0 + 55_000], T0 + 60_000)).toEqual([{ runs: [], created: [T0 + 15_000] }]);
  });

  it('names the target of a run from its search attribute, else from its id (the longest name wins)', () => {
    const names = ['it-rotate', 'it-rotate-x'];
    expect(targetOfRun({ workflowId: 'rotate-key-it-rotate-x-1a2b3c4d', target: 'it-rotate-x' }, 'rotate-key-', names)).toBe('it-rotate-x');
    expect(targetOfRun({ workflowId: 'rotate-key-it-rotate-x-1a2b3c4d' }, 'rotate-key-', names)).toBe('it-rotate-x');
    expect(targetOfRun({ workflowId: 'rotate-key-it-rotate-1a2b3c4d' }, 'rotate-key-', names)).toBe('it-rotate');
    expect(targetOfRun({ workflowId: 'rotate-key-other-1a2b3c4d' }, 'rotate-key-', names)).toBeUndefined();
  });

  it('counts restores that took effect, and AWS Backup jobs rather than their (idempotent) start calls', () => {
    const calls = [
      call({ action: 'RestoreTableFromBackup', params: { TargetTableName: 'sg-drill-x-1' }, at: iso(T0) }),
      call({ action: 'RestoreTableFromBackup', params: { TargetTableName: 'sg-drill-x-1' }, status: 400, error: 'TableAlreadyExistsException' }),
    ];
    expect(restoresFromCalls(calls)).toEqual([{ name: 'sg-drill-x-1', atMs: T0, how: 'RestoreTableFromBackup' }]);
    expect(
      restoresFromJobs([
        { RestoreJobId: 'J1', Status: 'COMPLETED', CreatedResourceArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/sg-drill-v-1', CreationDate: new Date(T0) },
        { RestoreJobId: 'J2', Status: 'FAILED', CreatedResourceArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/sg-drill-v-1' },
        { RestoreJobId: 'J3', Status: 'COMPLETED', CreatedResourceArn: 'arn:aws:rds:us-east-1:123456789012:db:sg-drill-r-2', CreationDate: new Date(T0) },
      ]),
    ).toEqual([
      { name: 'sg-drill-v-1', atMs: T0, how: 'restore job J1' },
      { name: 'sg-drill-r-2', atMs: T0, how: 'restore job J3' },
    ]);
  });
});

describe('workflow states', () => {
  const run = (over: Partial<ListedExecution>): ListedExecution => ({ workflowId: 'w', runId: '0123456789abcdef', type: 'breakGlassWorkflow', status: 'COMPLETED', startMs: T0, ...over });
  const ledger = newLedger(T0);
  ledger.grants.set('bg-ok', { workflowId: 'bg-ok', requester: 'alice', role: 'BreakGlassAdmin' });
  ledger.grants.set('bg-term', { workflowId: 'bg-term', requester: 'alice', role: 'BreakGlassAdmin', terminated: true });
  ledger.runs.push({ workflowId: 'review-q-1', kind: 'access-review', expect: 'closed-or-running' }, { workflowId: 'drill-restore-d-1', kind: 'restore-drill', expect: 'closed' }, { workflowId: 'bg-term', kind: 'break-glass', expect: 'closed' });
  const expected = ledgerExpectations(ledger);
  const none = new Map<string, ListedExecution>();

  it('a terminated grant is expected terminated whatever its run entry says', () => {
    expect(expected.get('bg-term')).toBe('terminated');
    expect(expected.get('bg-ok')).toBe('closed');
  });

  it('housekeeping may run, even when a ledger listed it as closed', () => {
    const writer = run({ workflowId: 'revocation-policy-123-BreakGlassAdmin', type: 'revocationPolicyWriterWorkflow', status: 'RUNNING' });
    const adopted = new Map([...expected, [writer.workflowId, 'closed' as const]]);
    expect(expectationFor(writer, adopted, none).expect).toBe('closed-or-running');
    expect(statusProblem(writer, expectationFor(writer, adopted, none), T0)).toBeUndefined();
  });

  it('children take their chaos parent\'s expectation; scheduled runs may run; anything else must be closed', () => {
    const reviewer = run({ workflowId: 'review-q-1--person-bob', type: 'accessReviewerWorkflow', status: 'RUNNING', parentWorkflowId: 'review-q-1' });
    expect(expectationFor(reviewer, expected, none)).toEqual({ expect: 'closed-or-running', because: 'child of review-q-1, started by the chaos' });
    const grandchild = run({ workflowId: 'g', parentWorkflowId: 'reviewer' });
    const byId = new Map([['reviewer', run({ workflowId: 'reviewer', parentWorkflowId: 'drill-restore-d-1' })]]);
    expect(expectationFor(grandchild, expected, byId).expect).toBe('closed');
    expect(expectationFor(run({ workflowId: 'rotate-key-x-2026-03-01T10:00:00Z', requester: 'schedule' }), expected, none).expect).toBe('closed-or-running');
    const scheduledReview = run({ workflowId: 'review-q-2026-03-01T10:00:00Z', type: 'accessReviewWorkflow', requester: 'schedule' });
    const itsReviewer = run({ workflowId: 'review-q-2026-03-01T10:00:00Z--person-bob', type: 'accessReviewerWorkflow', status: 'RUNNING', parentWorkflowId: scheduledReview.workflowId });
    expect(expectationFor(itsReviewer, expected, new Map([[scheduledReview.workflowId, scheduledReview]]))).toEqual({ expect: 'closed-or-running', because: `child of ${scheduledReview.workflowId}, started by a Safeguard Schedule` });
    expect(expectationFor(run({ workflowId: 'stray' }), expected, none)).toEqual({ expect: 'closed', because: 'not started by the chaos' });
  });

  it('reports FAILED and TIMED_OUT always, TERMINATED unless expected, RUNNING unless allowed', () => {
    const closed = { expect: 'closed' as const, because: 'started by the chaos' };
    expect(statusProblem(run({ workflowId: 'bg-ok' }), closed, T0)).toBeUndefined();
    expect(statusProblem(run({ workflowId: 'bg-ok', status: 'CONTINUED_AS_NEW' }), closed, T0)).toBeUndefined();
    expect(statusProblem(run({ workflowId: 'bg-ok', status: 'FAILED', closeMs: T0 + 1000 }), { expect: 'closed-or-running', because: '' }, T0)).toBe('bg-ok (breakGlassWorkflow, run 0123456789abcdef): FAILED at 10:00:01.000Z');
    expect(statusProblem(run({ workflowId: 'x', status: 'TIMED_OUT' }), { expect: 'terminated', because: '' }, T0)).toMatch(/TIMED_OUT/);
    expect(statusProblem(run({ workflowId: 'bg-ok', status: 'TERMINATED' }), closed, T0)).toBe('bg-ok (breakGlassWorkflow, run 0123456789abcdef): TERMINATED but the chaos did not terminate it (started by the chaos)');
    expect(statusProblem(run({ workflowId: 'bg-term', status: 'TERMINATED' }), { expect: 'terminated', because: '' }, T0)).toBeUndefined();
    expect(statusProblem(run({ workflowId: 'bg-ok', status: 'RUNNING' }), closed, T0 + 90_000)).toBe('bg-ok (breakGlassWorkflow, run 0123456789abcdef): still RUNNING 90.0 s after its start; expected closed (started by the chaos)');
    expect(statusProblem(run({ workflowId: 'bg-term', status: 'RUNNING' }), { expect: 'terminated', because: 'started by the chaos' }, T0)).toMatch(/still RUNNING .* expected terminated/);
  });

  it('counts runs per type and status', () => {
    expect(countsByTypeAndStatus([run({}), run({ status: 'TERMINATED' }), run({}), run({ type: 'restoreDrillWorkflow' })])).toEqual([
      'breakGlassWorkflow: COMPLETED 2, TERMINATED 1',
      'restoreDrillWorkflow: COMPLETED 1',
    ]);
  });
});

describe('evidence verification lines', () => {
  it('names where each problem is and caps the list', () => {
    const problems = Array.from({ length: 25 }, (_, i) => ({ line: i + 1, seq: i + 1, workflowId: `w${i}`, problem: 'link does not match' }));
    const lines = verifyProblems({ ok: false, entries: 30, problems, unkeyed: 0 });
    expect(lines[0]).toBe('evidence.jsonl:1: seq 1: workflow w0: link does not match');
    expect(lines).toHaveLength(21);
    expect(lines[20]).toBe('… and 5 more problems');
    expect(verifyProblems({ ok: true, entries: 3, problems: [], unkeyed: 2 })).toEqual(['2 entries have unkeyed (v1) links: they prove nothing against a rewrite']);
  });
});
