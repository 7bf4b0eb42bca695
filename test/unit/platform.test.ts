// The kind-neutral seams: run ids per kind, the api router, Slack's runbook buttons, the policy's
// schedules as Temporal Schedules, and the rotation input check against the worker's policy.
import path from 'node:path';
import { assertRunId, kindOfWorkflowId, policyScheduleId, scheduledRunId } from '../../client/ids';
import { desiredSchedules } from '../../client/schedules';
import { accessKeyRotationInput, findRotationTarget, kmsRotationInput } from '../../client/rotation-client';
import { loadPolicyFile } from '../../config/policy';
import { checkRotationInput } from '../../activities/policy/rotation-check';
import { Router } from '../../api/router';
import { parseRunButton } from '../../slack-app/areas/runbooks';
import { RunRecord } from '../../workflows/shared/run-record';
import { DEMO_KINDS, parseDemoArgs } from '../../dev/demo-args';
import { rotationInputProblems } from '../../workflows/key-rotation/input-shape';
import { REFUSAL_INFO, Refusals } from '../../workflows/shared/refusals';

const policy = loadPolicyFile(path.join(__dirname, '../../examples/policy.yaml'));

describe('run ids', () => {
  it.each([
    ['breakglass-BreakGlassAdmin-0123abcd', 'break-glass'],
    ['rotate-key-reporting-exporter-0123abcd', 'access-key-rotation'],
    ['rotate-kms-phi-data-0123abcd', 'kms-rotation'],
    // A Schedule's run: the server appends the action time to the action's workflow id.
    [`${scheduledRunId('kms-rotation', 'phi-data')}-2026-12-01T03:00:00Z`, 'kms-rotation'],
  ])('%s is a %s run', (id, kind) => {
    expect(kindOfWorkflowId(id)).toBe(kind);
    expect(assertRunId(id)).toBe(kind);
  });

  it.each(['', 'rotate-key-', 'rotate-key-UPPER-0123abcd', 'breakglass-x', 'rotate-kms-phi data', 'x'.repeat(300)])('refuses %j naming what ids look like', (id) => {
    expect(() => assertRunId(id)).toThrow(/is not a Safeguard run id \(they look like breakglass-BreakGlassAdmin-1a2b3c4d, rotate-key-/);
  });

  it('refuses an id of another kind where one kind is expected', () => {
    expect(() => assertRunId('breakglass-BreakGlassAdmin-0123abcd', ['kms-rotation'])).toThrow(/is not a kms-rotation run id/);
  });

  it('names a target’s Schedule after its runs', () => {
    expect(policyScheduleId('access-key-rotation', 'reporting-exporter')).toBe('safeguard-rotate-key-reporting-exporter');
  });
});

describe('api router', () => {
  const router = new Router();
  const hit = (name: string) => async () => {
    void name;
  };
  router.add('GET', '/v1/breakglass', hit('list')).add('GET', '/v1/breakglass/:id', hit('status')).add('POST', '/v1/breakglass/requests', hit('request')).add('POST', '/v1/runs/:id/approve', hit('approve'));

  it('matches literal segments before parameters and decodes parameters', () => {
    expect(router.match('POST', '/v1/breakglass/requests')?.params).toEqual({});
    expect(router.match('GET', '/v1/breakglass/breakglass-A-0123abcd')?.params).toEqual({ id: 'breakglass-A-0123abcd' });
    expect(router.match('POST', '/v1/runs/rotate-key-a%2Db-0123abcd/approve')?.params).toEqual({ id: 'rotate-key-a-b-0123abcd' });
  });

  it('answers nothing for a wrong method, length or a malformed escape', () => {
    expect(router.match('POST', '/v1/breakglass')).toBeUndefined();
    expect(router.match('GET', '/v1/breakglass/a/b')).toBeUndefined();
    expect(router.match('POST', '/v1/runs/%E0%A4%A/approve')).toBeUndefined();
  });
});

describe('Slack runbook buttons', () => {
  it('reads <workflow id>@<round> when the action id names the run’s kind', () => {
    expect(parseRunButton('access-key-rotation:approve', 'rotate-key-legacy-etl-0123abcd@delete-old-key')).toEqual({ workflowId: 'rotate-key-legacy-etl-0123abcd', round: 'delete-old-key' });
    expect(parseRunButton('restore-drill:deny', 'drill-restore-patients-db-0123abcd@sign-off')).toEqual({ workflowId: 'drill-restore-patients-db-0123abcd', round: 'sign-off' });
  });

  it.each([
    ['kms-rotation:approve', 'rotate-key-legacy-etl-0123abcd@delete-old-key'],
    ['access-key-rotation:approve', 'breakglass-BreakGlassAdmin-0123abcd@grant'],
    ['access-key-rotation:approve', 'rotate-key-legacy-etl-0123abcd'],
    ['access-key-rotation:approve', 'rotate-key-legacy-etl-0123abcd@delete@x'],
    ['access-key-rotation:approve', 'rotate-key-legacy-etl-0123abcd@Delete Old'],
    ['bg_approve', 'rotate-key-legacy-etl-0123abcd@delete-old-key'],
    // A drill's sign-off button cannot be aimed at another kind's run, nor a fire drill's (its approvers decide the break-glass request).
    ['restore-drill:approve', 'rotate-key-legacy-etl-0123abcd@delete-old-key'],
    ['access-key-rotation:approve', 'drill-restore-patients-db-0123abcd@sign-off'],
    ['restore-drill:approve', 'drill-restore-../../x@sign-off'],
    ['restore-drill:approve', `drill-restore-patients-db-0123abcd@${'a'.repeat(80)}`],
  ])('refuses %s with %s', (actionId, value) => {
    expect(parseRunButton(actionId, value)).toBeUndefined();
  });
});

describe('rotation targets', () => {
  it('finds the kind of a target by name, and refuses an unknown one listing the known', () => {
    expect(findRotationTarget(policy, 'legacy-etl')).toEqual({ kind: 'access-key-rotation', name: 'legacy-etl' });
    expect(findRotationTarget(policy, 'phi-data')).toEqual({ kind: 'kms-rotation', name: 'phi-data' });
    expect(() => findRotationTarget(policy, 'payroll')).toThrow(/"payroll" is not a rotation target in the policy \(targets: reporting-exporter, legacy-etl, phi-data, audit-logs\)/);
  });

  it('freezes the policy into the input: account role, approvers as people, security people', () => {
    const input = accessKeyRotationInput(policy, 'legacy-etl', 'dave');
    expect(input.target).toMatchObject({ userName: 'svc-legacy-etl', executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecution', deleteApproval: { eligible: ['carol'], quorum: 1 } });
    expect(input.security).toEqual(['carol']);
    expect(input.force).toBe(false);
  });

  it('accepts the policy’s own target and names every field a forged one changed', () => {
    const good = accessKeyRotationInput(policy, 'legacy-etl', 'dave').target;
    expect(checkRotationInput('access-key-rotation', good, policy)).toEqual({ accepted: true, problems: [] });
    const forged = { ...good, userName: 'svc-reporting', deleteApproval: undefined };
    expect(checkRotationInput('access-key-rotation', forged, policy)).toEqual({ accepted: false, problems: ['userName differs from the policy\'s target "legacy-etl"', 'deleteApproval differs from the policy\'s target "legacy-etl"'] });
    const kms = kmsRotationInput(policy, 'phi-data', 'schedule').target;
    expect(checkRotationInput('kms-rotation', { ...kms, rotationPeriodDays: 2560 }, policy).problems).toEqual(['rotationPeriodDays differs from the policy\'s target "phi-data"']);
    expect(checkRotationInput('kms-rotation', { ...kms, name: 'made-up' }, policy).accepted).toBe(false);
  });
});

describe('schedules from the policy', () => {
  it('one Schedule per target or drill with `schedule` (and the sweeper), starting its run with SafeguardKind and the frozen input', () => {
    const d = desiredSchedules(policy, 'q1');
    expect(d.map((x) => [x.scheduleId, x.kind])).toEqual([
      ['safeguard-rotate-key-reporting-exporter', 'access-key-rotation'],
      ['safeguard-rotate-kms-phi-data', 'kms-rotation'],
      ['safeguard-drill-restore-patients-db-snapshot', 'restore-drill'],
      ['safeguard-drill-restore-claims-pitr', 'restore-drill'],
      ['safeguard-drill-fire-admin-fire', 'break-glass-drill'],
      ['safeguard-review-quarterly-sandbox', 'access-review'],
      ['safeguard-drill-sweeper', 'drill-sweeper'],
      ['safeguard-root-login-watch', 'root-login-watch'],
    ]);
    const watch = d.find((x) => x.kind === 'root-login-watch')!;
    expect(watch.spec).toEqual({ intervals: [{ every: 5 * 60_000 }] });
    expect(watch.action).toMatchObject({ workflowType: 'rootLoginWatchWorkflow', workflowId: 'safeguard-root-login-watch' });
    expect((watch.action.args as unknown[])[0]).toMatchObject({ expectedDuring: ['root-recovery'], security: ['carol'], accounts: [{ accountId: '123456789012' }] });
    const review = d.find((x) => x.kind === 'access-review')!;
    expect(review.spec).toEqual({ cronExpressions: ['0 9 1 */3 *'] });
    expect(review.action).toMatchObject({ workflowType: 'accessReviewWorkflow', workflowId: 'review-quarterly-sandbox' });
    expect((review.action.args as unknown[])[0]).toMatchObject({ requestedBy: 'schedule', review: { name: 'quarterly-sandbox', escalationMembers: ['bob', 'carol'], accountRefs: [{ accountId: '123456789012' }] } });
    const drill = d.find((x) => x.kind === 'restore-drill')!;
    expect(drill.spec).toEqual({ cronExpressions: ['0 4 * * 1'] });
    expect(drill.action).toMatchObject({ workflowType: 'restoreDrillWorkflow', workflowId: 'drill-restore-patients-db-snapshot' });
    expect((drill.action.args as unknown[])[0]).toMatchObject({ requestedBy: 'schedule', drill: { name: 'patients-db-snapshot', signOff: { eligible: ['carol'] } } });
    const fire = d.find((x) => x.kind === 'break-glass-drill')!;
    expect(fire.action).toMatchObject({ workflowType: 'breakGlassDrillWorkflow', workflowId: 'drill-fire-admin-fire' });
    const sweeper = d.find((x) => x.kind === 'drill-sweeper')!;
    expect(sweeper.action).toMatchObject({ workflowType: 'drillSweeperWorkflow', workflowId: 'safeguard-drill-sweeper' });
    expect((sweeper.action.args as unknown[])[0]).toMatchObject({ olderThanMs: 6 * 3_600_000, accounts: [{ accountId: '123456789012' }] });
    expect(d[0]!.spec).toEqual({ intervals: [{ every: 30 * 24 * 3_600_000 }] });
    expect(d[0]!.action).toMatchObject({ workflowType: 'accessKeyRotationWorkflow', workflowId: 'rotate-key-reporting-exporter', taskQueue: 'q1' });
    expect(d[0]!.action.typedSearchAttributes).toEqual(expect.arrayContaining([expect.objectContaining({ value: 'access-key-rotation' }), expect.objectContaining({ value: 'schedule' })]));
    expect((d[0]!.action.args as unknown[])[0]).toMatchObject({ requestedBy: 'schedule', force: false, target: { name: 'reporting-exporter' } });
  });
});

describe('run record', () => {
  it('keeps steps as a checklist; pending steps are skipped at the end', () => {
    const r = new RunRecord('x', 't', '2026-01-01T00:00:00.000Z', ['a', 'b', 'c']);
    r.step(Date.parse('2026-01-01T00:00:01Z'), 'a', 'running');
    r.step(Date.parse('2026-01-01T00:00:02Z'), 'a', 'done', 'ok');
    r.step(Date.parse('2026-01-01T00:00:03Z'), 'b', 'failed', 'no');
    r.end(Date.parse('2026-01-01T00:00:04Z'), 'stopped');
    expect(r.view().steps.map((s) => s.state)).toEqual(['done', 'failed', 'skipped']);
    expect(r.view()).toMatchObject({ outcome: 'stopped', phase: 'ended', endedAt: '2026-01-01T00:00:04.000Z' });
    expect(r.timeline.map((e) => e.event)).toEqual(['a:running', 'a:done', 'b:failed', 'ended:stopped']);
    expect(() => r.step(0, 'nope', 'done')).toThrow(/unknown step/);
  });
});

describe('refusal registry', () => {
  it('gives every refusal code an HTTP status, an api code and a label', () => {
    for (const code of Object.values(Refusals)) expect(REFUSAL_INFO[code]).toEqual({ http: expect.any(Number), apiCode: expect.stringMatching(/^[A-Z_]+$/), label: expect.any(String) });
  });
});

describe('demo arguments', () => {
  it('plays every kind by default, one with --only', () => {
    expect(parseDemoArgs([])).toEqual(DEMO_KINDS);
    expect(parseDemoArgs(['--only', 'break-glass'])).toEqual(['break-glass']);
  });
  it.each([[['--only']], [['--only', 'drills']], [['--fast']], [['--only', 'break-glass', 'x']]])('refuses %j', (argv) => {
    expect(() => parseDemoArgs(argv)).toThrow(/--only takes one of break-glass, access-key-rotation, kms-rotation|usage: npm run demo/);
  });
});

describe('rotation start inputs', () => {
  it('accepts what the client builds from the policy', () => {
    expect(rotationInputProblems('access-key-rotation', accessKeyRotationInput(policy, 'legacy-etl', 'dave'))).toEqual([]);
    expect(rotationInputProblems('kms-rotation', kmsRotationInput(policy, 'audit-logs', 'schedule'))).toEqual([]);
  });
  it('names what is wrong with a malformed one', () => {
    const bad = { ...accessKeyRotationInput(policy, 'legacy-etl', 'dave'), requestedBy: 'Robert"); DROP', security: ['ok', 7] };
    expect(rotationInputProblems('access-key-rotation', bad)).toEqual(['requestedBy is not a person id or "schedule"', 'security is not a list of person ids']);
    expect(rotationInputProblems('kms-rotation', { ...kmsRotationInput(policy, 'audit-logs', 'x1'), target: null })).toEqual(['target is not an object']);
  });
});
