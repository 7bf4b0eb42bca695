// The restore drill's pure pieces: the scratch name, the RTO/RPO scoring, the start input's shape
// check, the auditor's report, and the policy → workflow input resolution. The workflow itself runs
// in test/workflows/restore-drill.test.ts.
import { drillReport, formatDrillStatus } from '../../cli/drill-report';
import { restoreDrillTargetFor } from '../../client/drill-targets';
import { SafeguardError } from '../../client/errors';
import type { Policy } from '../../config/policy';
import type { ValidationResult } from '../../activities/drills/types';
import type { RestoreDrillInput, RestoreDrillStatus } from '../../workflows/restore-drill/definitions';
import { drillInputProblems } from '../../workflows/restore-drill/input-shape';
import { score, scratchType } from '../../workflows/restore-drill/restore-drill.workflow';
import { scratchNameFor } from '../../workflows/restore-drill/scratch-name';
import type { RestoreDrillTarget, RestorePoint } from '../../workflows/restore-drill/targets';
import { validPolicy } from '../support/policy-text';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;

const target = (over: Partial<RestoreDrillTarget> = {}): RestoreDrillTarget => ({
  accountId: '123456789012',
  executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecution',
  externalId: 'safeguard-sandbox',
  name: 'orders-snapshot',
  source: { type: 'rds-snapshot', dbInstance: 'orders-db' },
  scratch: { tags: {} },
  validation: { type: 'ssm-command', instanceId: 'i-0123456789abcdef0', document: 'Safeguard-ValidateOrders', parameters: {}, minRows: 1, timeoutMs: 10 * M },
  rtoMs: H,
  rpoMs: 30 * M,
  maxDurationMs: 2 * H,
  ...over,
});

describe('scratchNameFor', () => {
  it('is sg-drill-<drill>-<8 hex>, the same for the same run every time', () => {
    const name = scratchNameFor('orders-snapshot', 'restore-drill-orders-snapshot-20240101');
    expect(name).toMatch(/^sg-drill-orders-snapshot-[0-9a-f]{8}$/);
    expect(scratchNameFor('orders-snapshot', 'restore-drill-orders-snapshot-20240101')).toBe(name);
  });

  it('differs per workflow id, also for ids that differ by one character', () => {
    const ids = ['restore-drill-a', 'restore-drill-b', 'restore-drill-a1', 'restore-drill-1a', 'x', 'y', 'restore-drill-orders-snapshot-20240101', 'restore-drill-orders-snapshot-20240102'];
    const names = new Set(ids.map((id) => scratchNameFor('orders', id)));
    expect(names.size).toBe(ids.length);
  });

  it('stays a valid RDS identifier of at most 63 characters for the longest drill name', () => {
    const longest = `a${'-b'.repeat(15)}c`; // 32 characters, the policy's maximum
    expect(longest).toHaveLength(32);
    const name = scratchNameFor(longest, 'restore-drill-with-a-rather-long-workflow-id-from-a-schedule-2024-01-01T03:00:00Z');
    expect(name.length).toBeLessThanOrEqual(63);
    // RDS: a letter, then letters, digits and single hyphens, not ending in a hyphen.
    expect(name).toMatch(/^[A-Za-z](?:[A-Za-z0-9]|-(?!-))*(?<!-)$/);
    // DynamoDB table names too.
    expect(name).toMatch(/^[A-Za-z0-9_.-]{3,255}$/);
  });
});

describe('score', () => {
  const START = Date.parse('2024-05-01T12:00:00.000Z');
  const validation = (over: Partial<ValidationResult> = {}): ValidationResult => ({ passed: true, rows: 10, output: '', summary: 'ok', validation: 'ssm-command', ...over });
  const point = (basis: RestorePoint['basis'], agoMs: number): RestorePoint => ({ basis, time: new Date(START - agoMs).toISOString(), ref: basis === 'point-in-time' ? 'point-in-time' : 'ref-1' });

  it('RTO is drill start → validated; RPO is drill start − the newest record validation found', () => {
    const s = score(target(), START, START + 42 * M, validation({ newestRecordAt: new Date(START - 7 * M).toISOString() }), point('snapshot', 3 * H));
    expect(s).toEqual({ rtoMs: 42 * M, rpoMs: 7 * M, rtoTargetMs: H, rpoTargetMs: 30 * M, rtoMet: true, rpoMet: true, rpoBasis: 'newest-record' });
  });

  it.each(['snapshot', 'backup', 'recovery-point', 'point-in-time'] as const)('without a newest record, RPO is measured from the %s the restore reached', (basis) => {
    const s = score(target(), START, START + 10 * M, validation(), point(basis, 45 * M));
    expect(s).toMatchObject({ rpoMs: 45 * M, rpoBasis: basis, rpoMet: false });
  });

  it('falls back to the restore point when the newest record is not a time', () => {
    const s = score(target(), START, START + 10 * M, validation({ newestRecordAt: 'yesterday-ish' }), point('snapshot', 20 * M));
    expect(s).toMatchObject({ rpoMs: 20 * M, rpoBasis: 'snapshot', rpoMet: true });
  });

  it('meets a target exactly on it, and misses it one millisecond later', () => {
    const on = score(target(), START, START + H, validation({ newestRecordAt: new Date(START - 30 * M).toISOString() }), point('snapshot', H));
    expect(on).toMatchObject({ rtoMs: H, rtoMet: true, rpoMs: 30 * M, rpoMet: true });
    const over = score(target(), START, START + H + 1, validation({ newestRecordAt: new Date(START - 30 * M - 1).toISOString() }), point('snapshot', H));
    expect(over).toMatchObject({ rtoMet: false, rpoMet: false });
  });

  it('a failed validation has no RTO (the data never proved out), but its RPO is still measured', () => {
    const s = score(target(), START, START + 5 * M, validation({ passed: false, newestRecordAt: new Date(START - 2 * M).toISOString() }), point('snapshot', H));
    expect(s).toMatchObject({ rtoMs: null, rtoMet: null, rpoMs: 2 * M, rpoMet: true, rpoBasis: 'newest-record' });
  });

  it('a newest record after the drill started (clock skew) counts as RPO 0, never negative', () => {
    const s = score(target(), START, START + M, validation({ newestRecordAt: new Date(START + 5 * S).toISOString() }), point('snapshot', H));
    expect(s.rpoMs).toBe(0);
  });

  it('no usable time at all: RPO unknown, not met nor missed', () => {
    const s = score(target(), START, START + M, validation(), { basis: 'snapshot', time: 'not a time', ref: 'x' });
    expect(s).toMatchObject({ rpoMs: null, rpoMet: null, rpoBasis: null, rtoMs: M });
  });
});

describe('scratchType', () => {
  it.each([
    [{ type: 'rds-snapshot', dbInstance: 'orders-db' }, 'rds-instance'],
    [{ type: 'rds-point-in-time', dbInstance: 'orders-db' }, 'rds-instance'],
    [{ type: 'dynamodb-backup', table: 'patients' }, 'dynamodb-table'],
    [{ type: 'dynamodb-point-in-time', table: 'patients' }, 'dynamodb-table'],
    [{ type: 'backup-recovery-point', vault: 'v', resourceArn: 'arn:aws:rds:us-east-1:123456789012:db:orders-db', iamRoleArn: 'arn:aws:iam::123456789012:role/R' }, 'rds-instance'],
    [{ type: 'backup-recovery-point', vault: 'v', resourceArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/patients', iamRoleArn: 'arn:aws:iam::123456789012:role/R' }, 'dynamodb-table'],
  ] as const)('%j restores into a %s', (source, type) => {
    expect(scratchType(target({ source }))).toBe(type);
  });
});

describe('drillInputProblems', () => {
  const good = (): RestoreDrillInput => ({ drill: target({ signOff: { eligible: ['bob'], quorum: 1, timeoutMs: H } }), requestedBy: 'alice', security: ['carol'], channel: 'C0DRILLS', pollMs: 1_000 });

  it('accepts a well-formed input, from a person or from the schedule', () => {
    expect(drillInputProblems(good())).toEqual([]);
    expect(drillInputProblems({ ...good(), requestedBy: 'schedule' })).toEqual([]);
    const { channel: _c, pollMs: _p, ...minimal } = good();
    expect(drillInputProblems(minimal)).toEqual([]);
  });

  it.each([
    [null, ['the input is not an object (an unencrypted or malformed payload)']],
    [['a'], ['the input is not an object (an unencrypted or malformed payload)']],
    [{ __refused: 'unencrypted payload' }, ['the input was refused by the payload codec: unencrypted payload']],
  ])('refuses %j as a whole', (inp, problems) => {
    expect(drillInputProblems(inp)).toEqual(problems);
  });

  it.each([
    [{ requestedBy: 'Alice Smith' }, 'requestedBy is not a person id or "schedule"'],
    [{ security: 'carol' }, 'security is not a list of person ids'],
    [{ security: ['carol', 7] }, 'security is not a list of person ids'],
    [{ channel: 42 }, 'channel is not a channel id'],
    [{ pollMs: 0 }, 'pollMs is not a duration'],
    [{ pollMs: Number.NaN }, 'pollMs is not a duration'],
    [{ drill: 'orders-snapshot' }, 'drill is not an object'],
  ])('names the problem with %j', (over, problem) => {
    expect(drillInputProblems({ ...good(), ...over })).toEqual([problem]);
  });

  it.each([
    [{ name: 'Orders' }, 'drill.name is not a drill name'],
    [{ name: 'a'.repeat(33) }, 'drill.name is not a drill name'],
    [{ accountId: '' }, 'drill.accountId is not text'],
    [{ externalId: undefined }, 'drill.externalId is not text'],
    [{ source: { type: 'efs-backup' } }, 'drill.source is not a drill source'],
    [{ source: null }, 'drill.source is not a drill source'],
    [{ validation: { type: 'sql' } }, 'drill.validation is not a validation'],
    [{ scratch: [] }, 'drill.scratch is not an object'],
    [{ rtoMs: 0 }, 'drill.rtoMs is not a duration'],
    [{ rpoMs: '30m' }, 'drill.rpoMs is not a duration'],
    [{ maxDurationMs: Number.POSITIVE_INFINITY }, 'drill.maxDurationMs is not a duration'],
    [{ signOff: { eligible: ['bob'], quorum: 0, timeoutMs: H } }, 'drill.signOff is not a sign-off'],
    [{ signOff: { eligible: ['Bob!'], quorum: 1, timeoutMs: H } }, 'drill.signOff is not a sign-off'],
    [{ signOff: { eligible: ['bob'], quorum: 1.5, timeoutMs: H } }, 'drill.signOff is not a sign-off'],
  ])('names the drill problem with %j', (over, problem) => {
    const inp = good();
    expect(drillInputProblems({ ...inp, drill: { ...inp.drill, ...over } })).toEqual([problem]);
  });

  it('lists every problem at once and never throws, whatever arrives', () => {
    expect(drillInputProblems({ requestedBy: 1, security: null, drill: { name: 1, rtoMs: -1 } })).toEqual([
      'requestedBy is not a person id or "schedule"',
      'security is not a list of person ids',
      'drill.name is not a drill name',
      'drill.accountId is not text',
      'drill.executionRoleArn is not text',
      'drill.externalId is not text',
      'drill.source is not a drill source',
      'drill.validation is not a validation',
      'drill.scratch is not an object',
      'drill.rtoMs is not a duration',
      'drill.rpoMs is not a duration',
      'drill.maxDurationMs is not a duration',
    ]);
    for (const junk of [undefined, 0, 'x', true, [], { drill: [] }, { drill: { source: 'rds' } }, { drill: { signOff: 'yes' } }]) {
      expect(() => drillInputProblems(junk)).not.toThrow();
      expect(drillInputProblems(junk).length).toBeGreaterThan(0);
    }
  });
});

describe('drillReport', () => {
  const status = (over: Partial<RestoreDrillStatus> = {}): RestoreDrillStatus => ({
    workflowId: 'restore-drill-orders-snapshot-1',
    kind: 'restore-drill',
    drill: 'orders-snapshot',
    requestedBy: 'alice',
    view: {
      title: 'Restore drill',
      target: 'orders-snapshot',
      phase: 'ended',
      outcome: 'passed',
      startedAt: '2024-05-01T12:00:00.000Z',
      endedAt: '2024-05-01T12:50:00.000Z',
      steps: [{ name: 'restore', state: 'done' }],
      facts: [{ label: 'Scratch', value: 'sg-drill-orders-snapshot-0badf00d' }],
    },
    timeline: [],
    scratchName: 'sg-drill-orders-snapshot-0badf00d',
    scratch: { type: 'rds-instance', name: 'sg-drill-orders-snapshot-0badf00d' },
    restorePoint: { basis: 'snapshot', time: '2024-05-01T03:00:00.000Z', ref: 'rds:orders-db-2024-05-01-03-00' },
    validation: { passed: true, summary: '1200 rows, newest 2024-05-01T11:55:00Z', rows: 1200, output: 'checking orders\n{"rows": 1200, "newest": "2024-05-01T11:55:00Z"}', commandId: 'cmd-1' },
    scores: { rtoMs: 42 * M + 17_400, rpoMs: 5 * M, rtoTargetMs: H, rpoTargetMs: 30 * M, rtoMet: true, rpoMet: true, rpoBasis: 'newest-record' },
    teardown: { scratch: { type: 'rds-instance', name: 'sg-drill-orders-snapshot-0badf00d' }, goneAt: '2024-05-01T12:48:00.000Z', deleteRequested: true, attempt: 2 },
    signOff: 'signed',
    rounds: [
      {
        id: 'sign-off',
        kind: 'sign-off',
        quorum: 1,
        eligible: ['bob'],
        approvals: [{ by: 'bob', at: '2024-05-01T12:49:00.000Z' }],
        state: 'approved',
        openedAt: '2024-05-01T12:48:00.000Z',
        deadlineAt: '2024-05-01T14:48:00.000Z',
      },
    ],
    ...over,
  });

  it('renders scores against targets, the restore point, the teardown receipt, the sign-off and the output as text', () => {
    const text = drillReport(status(), 'text');
    const lines = text.split('\n');
    const row = (k: string) => lines.find((l) => l.startsWith(`${k} `))?.replace(/^\S+(?: \S+)?\s{2,}/, '');
    expect(row('Outcome')).toBe('passed');
    // Measured times to the second once past ten seconds.
    expect(row('RTO')).toBe('42m17s (target 1h: met)');
    expect(row('RPO')).toBe('5m (target 30m: met, from newest-record)');
    expect(row('Restore point')).toBe('snapshot 2024-05-01T03:00:00.000Z (rds:orders-db-2024-05-01-03-00)');
    expect(row('Scratch')).toBe('sg-drill-orders-snapshot-0badf00d (rds-instance)');
    expect(row('Teardown')).toBe('gone at 2024-05-01T12:48:00.000Z (attempt 2)');
    expect(row('Validation')).toBe('passed: 1200 rows, newest 2024-05-01T11:55:00Z');
    expect(row('Sign-off')).toBe('signed by bob at 2024-05-01T12:49:00.000Z');
    expect(text).toContain('Validation output:\n  checking orders\n  {"rows": 1200, "newest": "2024-05-01T11:55:00Z"}');
  });

  it('says what was missed, not measured, or not torn down', () => {
    const st = status({
      view: { ...status().view, outcome: 'timed-out' },
      scores: { rtoMs: null, rpoMs: 2 * H, rtoTargetMs: H, rpoTargetMs: 30 * M, rtoMet: null, rpoMet: false, rpoBasis: 'point-in-time' },
      signOff: 'not-required',
      rounds: [],
      validation: undefined,
      scratch: undefined,
      teardown: { scratch: { type: 'rds-instance', name: 'sg-drill-orders-snapshot-0badf00d' }, goneAt: '2024-05-01T14:01:00.000Z', deleteRequested: false, attempt: 1 },
    });
    const text = drillReport(st, 'text');
    expect(text).toMatch(/^RTO\s+n\/a \(target 1h: not measured\)$/m);
    expect(text).toMatch(/^RPO\s+2h \(target 30m: MISSED, from point-in-time\)$/m);
    expect(text).toMatch(/^Teardown\s+gone at 2024-05-01T14:01:00.000Z \(attempt 1, already going\)$/m);
    expect(text).toMatch(/^Validation\s+-$/m);
    expect(text).toMatch(/^Scratch\s+sg-drill-orders-snapshot-0badf00d$/m);
    expect(text).toMatch(/^Sign-off\s+not-required$/m);
    expect(text).toContain('Validation output:\n  (none)');

    const refused = drillReport(status({ teardown: undefined, scratch: undefined, restorePoint: undefined, view: { ...status().view, outcome: 'refused' } }), 'text');
    expect(refused).toMatch(/^Teardown\s+not torn down \(nothing restored, or still running\)$/m);
    expect(refused).toMatch(/^Restore point\s+-$/m);
  });

  it('renders a rejected sign-off with who and why', () => {
    const st = status({
      signOff: 'rejected',
      rounds: [{ ...status().rounds[0]!, approvals: [], state: 'denied', denial: { by: 'bob', at: '2024-05-01T12:49:00.000Z', reason: 'newest row is a week old' } }],
    });
    expect(drillReport(st, 'text')).toMatch(/^Sign-off\s+rejected by bob at 2024-05-01T12:49:00.000Z: newest row is a week old$/m);
  });

  it('renders Markdown: a table (pipes escaped) and the output in a code block', () => {
    const st = status({ validation: { ...status().validation!, summary: 'rows | newest ok' } });
    const md = drillReport(st, 'md');
    expect(md.startsWith('# Restore drill orders-snapshot\n\n| | |\n|---|---|\n')).toBe(true);
    expect(md).toContain('| RTO | 42m17s (target 1h: met) |');
    expect(md).toContain('| RPO | 5m (target 30m: met, from newest-record) |');
    expect(md).toContain('| Teardown | gone at 2024-05-01T12:48:00.000Z (attempt 2) |');
    expect(md).toContain('| Validation | passed: rows \\| newest ok |');
    expect(md).toContain('## Validation output\n\n```\nchecking orders\n{"rows": 1200, "newest": "2024-05-01T11:55:00Z"}\n```');
  });

  it('a drill still running says so', () => {
    const st = status({ view: { ...status().view, outcome: undefined, phase: 'wait until available', endedAt: undefined }, teardown: undefined });
    const text = drillReport(st, 'text');
    expect(text).toMatch(/^Outcome\s+wait until available \(still running\)$/m);
    expect(text).toMatch(/^Ended\s+-$/m);
    expect(formatDrillStatus({ ...st, execution: { status: 'RUNNING' } }).split('\n')[0]).toBe('restore-drill-orders-snapshot-1: restore drill orders-snapshot — wait until available');
    expect(formatDrillStatus({ ...status(), execution: { status: 'TERMINATED' } }).split('\n')[0]).toBe('restore-drill-orders-snapshot-1: restore drill orders-snapshot — passed (TERMINATED)');
  });
});

describe('restoreDrillTargetFor', () => {
  const policy = validPolicy(
    [
      'version: 2',
      'groups: [{ id: oncall }, { id: dba }, { id: security }]',
      'people:',
      '  - { id: alice, name: Alice, groups: [oncall] }',
      '  - { id: bob, name: Bob, groups: [dba] }',
      '  - { id: carol, name: Carol, groups: [security, dba] }',
      '  - { id: dave, name: Dave, groups: [dba] }',
      'accounts:',
      '  - { id: "123456789012", name: sandbox, executionRoleArn: "arn:aws:iam::123456789012:role/SafeguardExecution", externalId: safeguard-sandbox }',
      'security: { groups: [security] }',
      'drills:',
      '  restore:',
      '    - name: orders-snapshot',
      '      account: "123456789012"',
      '      source: { type: rds-snapshot, dbInstance: orders-db }',
      '      scratch: { instanceClass: db.t3.micro, tags: { team: data } }',
      '      validation: { type: ssm-command, instance: i-0123456789abcdef0, document: Safeguard-ValidateOrders, minRows: 100 }',
      '      rto: 1h',
      '      rpo: 30m',
      '      maxDuration: 2h',
      '      signOff: { approvers: [dba, security], quorum: 2, timeout: 1d }',
      '    - name: patients-pitr',
      '      account: "123456789012"',
      '      source: { type: dynamodb-point-in-time, table: patients, restoreAgo: 15m }',
      '      validation: { type: dynamodb }',
      '      rto: 30m',
      '      rpo: 20m',
      '      maxDuration: 1h',
      '',
    ].join('\n'),
  );

  it('resolves the account and the sign-off people (each once, in policy order)', () => {
    expect(restoreDrillTargetFor(policy, 'orders-snapshot')).toEqual({
      accountId: '123456789012',
      executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecution',
      externalId: 'safeguard-sandbox',
      name: 'orders-snapshot',
      source: { type: 'rds-snapshot', dbInstance: 'orders-db' },
      scratch: { instanceClass: 'db.t3.micro', tags: { team: 'data' } },
      validation: { type: 'ssm-command', instanceId: 'i-0123456789abcdef0', document: 'Safeguard-ValidateOrders', parameters: {}, minRows: 100, timeoutMs: 10 * M },
      rtoMs: H,
      rpoMs: 30 * M,
      maxDurationMs: 2 * H,
      signOff: { eligible: ['bob', 'carol', 'dave'], quorum: 2, timeoutMs: 24 * H },
    });
  });

  it('leaves signOff out when the drill has none, and its input passes the shape check', () => {
    const t = restoreDrillTargetFor(policy, 'patients-pitr');
    expect('signOff' in t).toBe(false);
    expect(t.source).toEqual({ type: 'dynamodb-point-in-time', table: 'patients', restoreAgoMs: 15 * M });
    expect(drillInputProblems({ drill: t, requestedBy: 'schedule', security: ['carol'] })).toEqual([]);
  });

  it('throws UNKNOWN_TARGET naming the known drills for an unknown name', () => {
    let caught: unknown;
    try {
      restoreDrillTargetFor(policy, 'nope');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SafeguardError);
    expect(caught).toMatchObject({ code: 'UNKNOWN_TARGET', message: '"nope" is not a restore drill in the policy (restore drills: orders-snapshot, patients-pitr)' });
  });

  it('throws UNKNOWN_TARGET when there are no restore drills, or the drill\'s account is missing', () => {
    const none: Policy = { ...policy, drills: { ...policy.drills, restore: [] } };
    expect(() => restoreDrillTargetFor(none, 'orders-snapshot')).toThrow(expect.objectContaining({ code: 'UNKNOWN_TARGET', message: expect.stringMatching(/\(restore drills: none\)$/) }));
    const noAccount: Policy = { ...policy, accounts: [] };
    expect(() => restoreDrillTargetFor(noAccount, 'orders-snapshot')).toThrow(expect.objectContaining({ code: 'UNKNOWN_TARGET', message: 'restore drill "orders-snapshot" names unknown account 123456789012' }));
  });
});
