// `safeguard runbook …`: how a run's status, a confirmation and the runbook list are printed (every
// step type and outcome; people's text escaped for the terminal), and the command-line errors that
// are refused before anything connects or starts.
import { assertRunbook, formatConfirm, formatRunbookList, formatRunbookStatus, parseConfirmArgs, parseStartReason, printed, runbookListing, unknownRunbook } from '../../cli/areas/runbook';
import { SafeguardError } from '../../client/errors';
import type { ListedRun } from '../../client/runs';
import type { RunbookStatus, StepRecord } from '../../workflows/runbook/definitions';
import { runSafeguard } from '../support/run-cli';
import { validPolicy } from '../support/policy-text';

const ID = 'runbook-root-recovery-0123abcd';
const ESC = '\u001b';
const RLO = '\u202e';

const RUNBOOKS = [
  'runbooks:',
  '  procedures:',
  '    - name: root-recovery',
  '      title: Root account recovery',
  '      account: "123456789012"',
  '      requesters: [oncall]',
  '      steps:',
  '        - { id: approve, type: approval, title: Security approves, timeout: 1h, approvers: [security], quorum: 1 }',
  '        - { id: mfa-retrieved, type: confirm, title: MFA device retrieved, timeout: 1h, confirmers: [security, leads, oncall], count: 2, noteRequired: true }',
  '        - { id: mfa-on, type: check, title: Root MFA on and no keys, timeout: 5m, check: { check: root-mfa-no-access-keys } }',
  '        - { id: settle, type: wait, title: Let CloudTrail catch up, for: 10m }',
  '        - { id: tell, type: notify, title: Tell security, message: root recovered, groups: [security] }',
  '    - name: password-reset',
  '      title: Reset a console password',
  '      account: "123456789012"',
  '      requesters: [oncall, leads]',
  '      steps:',
  '        - { id: changed, type: wait, title: Password changed, timeout: 30m, until: { check: iam-user-password-changed, user: alice } }',
];
const policy = validPolicy(
  [
    'version: 2',
    'groups: [{ id: oncall }, { id: security }, { id: leads }]',
    'people:',
    '  - { id: alice, name: Alice, groups: [oncall] }',
    '  - { id: bob, name: Bob, groups: [leads] }',
    '  - { id: carol, name: Carol, groups: [security] }',
    '  - { id: dave, name: Dave, groups: [oncall] }',
    'accounts:',
    '  - { id: "123456789012", name: sandbox, executionRoleArn: "arn:aws:iam::123456789012:role/SafeguardExecution", externalId: safeguard-sandbox }',
    'security: { groups: [security] }',
    ...RUNBOOKS,
    '',
  ].join('\n'),
);

const at = (min: number): string => new Date(Date.UTC(2025, 0, 6, 9, min)).toISOString();

function status(over: Partial<RunbookStatus> = {}): RunbookStatus {
  return {
    workflowId: ID,
    kind: 'runbook',
    runbook: 'root-recovery',
    title: 'Root account recovery',
    requestedBy: 'alice',
    reason: 'lost root MFA device, INC-42',
    accountId: '123456789012',
    plan: [],
    steps: [],
    view: {
      title: 'Root account recovery',
      target: 'root-recovery',
      phase: 'running',
      startedAt: at(0),
      steps: [
        { name: '1. Security approves', state: 'done' },
        { name: '2. MFA device retrieved', state: 'running' },
        { name: '3. Root MFA on and no keys', state: 'pending' },
      ],
      facts: [{ label: 'account', value: '123456789012' }],
    },
    timeline: [],
    rounds: [],
    ...over,
  };
}

const record = (r: Partial<StepRecord> & Pick<StepRecord, 'index' | 'id' | 'type' | 'outcome'>): StepRecord => ({ startedAt: at(r.index), endedAt: at(r.index + 1), escalated: false, by: [], ...r });

describe('runbook status', () => {
  it('shows the checklist, the confirm step it waits on (who confirmed, when, with what note; how many; the rules) and how to confirm', () => {
    const text = formatRunbookStatus({
      ...status({
        current: {
          index: 1,
          id: 'mfa-retrieved',
          type: 'confirm',
          title: 'MFA device retrieved',
          startedAt: at(5),
          deadlineAt: at(65),
          escalated: false,
          confirmations: [{ by: 'carol', at: at(7), note: 'taken from safe B', via: 'cli' }],
          needed: 2,
          noteRequired: true,
          notRequester: true,
        },
      }),
      execution: { status: 'RUNNING' },
    });
    expect(text.split('\n')).toEqual([
      `${ID}: Root account recovery (root-recovery) — running`,
      '  started by alice in account 123456789012: "lost root MFA device, INC-42"',
      '  account: 123456789012',
      '  [x] 1. Security approves',
      '  [>] 2. MFA device retrieved',
      '  [ ] 3. Root MFA on and no keys',
      '  now: step 2 mfa-retrieved (confirm) — MFA device retrieved',
      `    started ${at(5)}, deadline ${at(65)}`,
      '    confirmations: 1 of 2',
      `      carol at ${at(7)} via cli: "taken from safe B"`,
      '    each confirmation needs a note (--note); alice started the run and may not confirm',
      `    confirm: safeguard runbook confirm ${ID} --step mfa-retrieved --note <what was done>`,
    ]);
  });

  it('says when nobody has confirmed yet, and leaves out the rules a step does not have', () => {
    const text = formatRunbookStatus(status({ current: { index: 1, id: 'mfa-retrieved', type: 'confirm', title: 'MFA device retrieved', startedAt: at(5), escalated: true, confirmations: [], needed: 1, noteRequired: false, notRequester: false } }));
    expect(text).toContain(`    started ${at(5)} (escalated)\n    confirmations: 0 of 1 (none yet)\n    confirm: safeguard runbook confirm ${ID} --step mfa-retrieved\n`.trimEnd());
    expect(text).not.toMatch(/needs a note|may not confirm/);
  });

  it('shows an approval step through its decision round, with who approved and how to approve', () => {
    const text = formatRunbookStatus(
      status({
        current: { index: 0, id: 'approve', type: 'approval', title: 'Security approves', startedAt: at(0), deadlineAt: at(60), escalated: false },
        rounds: [{ id: 'approve', kind: 'approve', quorum: 2, eligible: ['bob', 'carol'], approvals: [{ by: 'carol', at: at(2), comment: 'call verified' }], state: 'open', openedAt: at(0), deadlineAt: at(60) }],
      }),
    );
    expect(text).toContain('  now: step 1 approve (approval) — Security approves');
    expect(text).toContain(`  decisions:\n  decision approve: open (1/2) — safeguard approve ${ID} --round approve\n    approved by carol at ${at(2)}: "call verified"`);
    expect(text).not.toContain('runbook confirm');
  });

  it('shows a wait step’s last look at its check', () => {
    const text = formatRunbookStatus(
      status({
        current: { index: 0, id: 'changed', type: 'wait', title: 'Password changed', startedAt: at(0), deadlineAt: at(30), escalated: false, lastCheck: { check: 'iam-user-password-changed', passed: false, summary: 'alice: password unchanged since 09:00', facts: {}, checkedAt: at(3) } },
      }),
    );
    expect(text).toContain(`    last check iam-user-password-changed at ${at(3)}: not yet — alice: password unchanged since 09:00`);
  });

  it('lists every finished step with its outcome, who approved or confirmed, and the check summary', () => {
    const text = formatRunbookStatus({
      ...status({
        view: { ...status().view, phase: 'failed', outcome: 'failed' },
        steps: [
          record({ index: 0, id: 'approve', type: 'approval', outcome: 'done', by: [{ by: 'carol', at: at(1), via: 'slack' }] }),
          record({ index: 1, id: 'mfa-retrieved', type: 'confirm', outcome: 'done', by: [{ by: 'bob', at: at(2), note: 'in hand' }, { by: 'carol', at: at(2), note: 'seen it' }] }),
          record({ index: 2, id: 'mfa-on', type: 'check', outcome: 'failed', check: { check: 'root-mfa-no-access-keys', passed: false, summary: 'MFA off, 1 access key', facts: { mfa: false }, checkedAt: at(3) } }),
          record({ index: 3, id: 'settle', type: 'wait', outcome: 'timed-out', escalated: true, detail: 'gave up after 20m' }),
          record({ index: 4, id: 'tell', type: 'notify', outcome: 'skipped' }),
        ],
      }),
      execution: { status: 'COMPLETED' },
    });
    expect(text.split('\n')[0]).toBe(`${ID}: Root account recovery (root-recovery) — failed`);
    expect(text).toContain(
      [
        '  results:',
        `  1. approve (approval): done — ${at(0)} to ${at(1)}`,
        `     approved by carol at ${at(1)} via slack`,
        `  2. mfa-retrieved (confirm): done — ${at(1)} to ${at(2)}`,
        `     confirmed by bob at ${at(2)}: "in hand"`,
        `     confirmed by carol at ${at(2)}: "seen it"`,
        `  3. mfa-on (check): failed — ${at(2)} to ${at(3)}`,
        '     check root-mfa-no-access-keys: failed — MFA off, 1 access key',
        `  4. settle (wait): timed-out, escalated — ${at(3)} to ${at(4)} — gave up after 20m`,
        `  5. tell (notify): skipped — ${at(4)} to ${at(5)}`,
      ].join('\n'),
    );
    expect(text).not.toContain('  now:');
  });

  it('says when Temporal ended the run itself', () => {
    expect(formatRunbookStatus({ ...status(), execution: { status: 'TERMINATED' } }).split('\n')[0]).toBe(`${ID}: Root account recovery (root-recovery) — running (TERMINATED)`);
  });

  it('escapes control and bidi characters in everything people or AWS wrote, and keeps each on one line', () => {
    const evil = `done${ESC}[2J${ESC}]0;pwned\u0007\n  [x] 3. forged step ${RLO}fdp.sh`;
    const text = formatRunbookStatus(
      status({
        reason: `incident ${ESC}[31mred`,
        current: { index: 1, id: 'mfa-retrieved', type: 'confirm', title: 'MFA device retrieved', startedAt: at(5), escalated: false, confirmations: [{ by: 'carol', at: at(7), note: evil }], needed: 2, noteRequired: false, notRequester: true },
        steps: [record({ index: 0, id: 'approve', type: 'approval', outcome: 'done', by: [{ by: 'bob', at: at(1), note: evil }], detail: evil })],
        rounds: [{ id: 'approve', kind: 'approve', quorum: 1, eligible: ['bob'], approvals: [{ by: 'bob', at: at(1), comment: evil }], state: 'approved', openedAt: at(0), deadlineAt: at(60) }],
        view: { ...status().view, facts: [{ label: 'user', value: `x${ESC}[8m` }] },
      }),
    );
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u);
    expect(text).toContain('"incident \\u{1b}[31mred"');
    expect(text).toContain('  user: x\\u{1b}[8m');
    expect(text).toContain(`carol at ${at(7)}: "done\\u{1b}[2J\\u{1b}]0;pwned\\u{7} [x] 3. forged step \\u{202e}fdp.sh"`);
    // The typed newline did not start a line of its own anywhere.
    expect(text.split('\n').filter((l) => l.includes('forged step')).every((l) => !l.trimStart().startsWith('[x] 3.'))).toBe(true);
    expect(text.split('\n').filter((l) => l.includes('forged step'))).toHaveLength(4);
  });

  it('--json prints the status as one line of JSON with the same characters escaped', () => {
    const st = status({ reason: `x${RLO}y${ESC}` });
    const json = printed({ json: true }, formatRunbookStatus)(st);
    expect(json).not.toContain('\n');
    expect(json).toContain('"reason":"x\\u202ey\\u001b"');
    expect(JSON.parse(json)).toEqual(st);
    expect(printed({}, formatRunbookStatus)(st)).toBe(formatRunbookStatus(st));
  });
});

describe('runbook confirm output', () => {
  it('counts the confirmation, says when it completed the step, and says when it was a repeat', () => {
    expect(formatConfirm(ID, { step: 'mfa-retrieved', confirmations: 1, needed: 2, complete: false, duplicate: false })).toBe(`confirmed step mfa-retrieved on ${ID} (1 of 2)`);
    expect(formatConfirm(ID, { step: 'mfa-retrieved', confirmations: 2, needed: 2, complete: true, duplicate: false })).toBe(`confirmed step mfa-retrieved on ${ID} (2 of 2)\nstep mfa-retrieved complete`);
    expect(formatConfirm(ID, { step: 'mfa-retrieved', confirmations: 1, needed: 2, complete: false, duplicate: true })).toBe(`you had already confirmed step mfa-retrieved on ${ID} (1 of 2): nothing changed`);
    expect(formatConfirm(ID, { step: 'mfa-retrieved', confirmations: 0, needed: 1, complete: true, duplicate: true })).toBe(`you had already confirmed step mfa-retrieved on ${ID}: nothing changed\nstep mfa-retrieved complete`);
  });
});

describe('runbook list', () => {
  const runs: ListedRun[] = [{ workflowId: ID, kind: 'runbook', target: 'root-recovery', status: 'RUNNING', startTime: at(0) }];

  it("lists the policy's runbooks (steps, who may start them) and then recent runs", () => {
    expect(formatRunbookList(runbookListing(policy, runs)).split('\n')).toEqual([
      'runbooks in the policy:',
      '  root-recovery  Root account recovery  5 steps (approval → confirm → check → wait → notify)  started by groups oncall',
      '  password-reset  Reset a console password  1 step (wait)  started by groups oncall, leads',
      'recent runs:',
      `  ${ID}  runbook  root-recovery  RUNNING  ${at(0)}`,
    ]);
  });

  it('with --runbook shows that one; an unknown name is said, with the runbooks there are, and its runs still listed', () => {
    expect(formatRunbookList(runbookListing(policy, [], 'password-reset'))).toBe('runbooks in the policy:\n  password-reset  Reset a console password  1 step (wait)  started by groups oncall, leads\nrecent runs:\n  none');
    expect(formatRunbookList(runbookListing(policy, runs, 'root-recover')).split('\n')[0]).toBe('"root-recover" is not a runbook in the policy (runbooks: root-recovery, password-reset)');
  });
});

describe('bad input is refused before anything starts', () => {
  const refused = (fn: () => unknown): SafeguardError => {
    try {
      fn();
    } catch (err) {
      if (err instanceof SafeguardError) return err;
      throw err;
    }
    throw new Error('expected a SafeguardError');
  };

  it('an unknown runbook, naming the ones there are (escaped)', () => {
    expect(unknownRunbook(policy, 'root-recovery')).toBeUndefined();
    const err = refused(() => assertRunbook(policy, `root${ESC}[2J`));
    expect(err.code).toBe('UNKNOWN_TARGET');
    expect(err.message).toBe('"root\\u{1b}[2J" is not a runbook in the policy (runbooks: root-recovery, password-reset)');
  });

  it('a short, long or secret-looking reason', () => {
    expect(parseStartReason('  lost the MFA device  ')).toBe('lost the MFA device');
    expect(refused(() => parseStartReason('lost it ')).message).toMatch(/reason of at least 10 characters/);
    expect(refused(() => parseStartReason('x'.repeat(1001))).code).toBe('REASON_TOO_LONG');
    expect(refused(() => parseStartReason('lost it, key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).code).toBe('SECRET_IN_TEXT');
  });

  it('a workflow id that is not a runbook run, a bad step id, an empty or over-long note', () => {
    expect(parseConfirmArgs(ID, { step: 'mfa-retrieved', note: ' in hand ' })).toEqual({ step: 'mfa-retrieved', note: 'in hand' });
    // The step is always named: a confirmation meant for a step that just completed must not land on the next.
    expect(refused(() => parseConfirmArgs(ID, {})).message).toMatch(/name the step you confirm with --step/);
    expect(refused(() => parseConfirmArgs('rotate-key-legacy-etl-0123abcd', { step: 'mfa-retrieved' })).code).toBe('INVALID_ID');
    const step = refused(() => parseConfirmArgs(ID, { step: `MFA${ESC}` }));
    expect(step.code).toBe('INVALID_ID');
    expect(step.message).toBe(`--step "MFA\\u{1b}" is not a step id (lower-case letters, digits and "-", starting with a letter; safeguard runbook status ${ID} names the step)`);
    expect(refused(() => parseConfirmArgs(ID, { step: 's', note: '   ' })).message).toMatch(/--note is empty/);
    expect(refused(() => parseConfirmArgs(ID, { step: 's', note: 'n'.repeat(1001) })).message).toMatch(/--note is longer than 1000/);
    expect(refused(() => parseConfirmArgs(ID, { step: 's', note: `ok ${RLO}` })).code).toBe('CONTROL_CHARACTER_IN_TEXT');
  });

  // Through the real command: each is refused before a connection is opened (no stack is needed).
  it.each([
    ['start with a short reason', ['runbook', 'start', 'root-recovery', '--reason', 'lost it'], 1, /safeguard: give a reason of at least 10 characters/],
    ['start without --reason', ['runbook', 'start', 'root-recovery'], 2, /required option '--reason <text>' not specified/],
    ['status of a break-glass id', ['runbook', 'status', 'breakglass-BreakGlassAdmin-0123456789ab'], 1, /safeguard: .*runbook-root-recovery-1a2b3c4d/],
    ['confirm of a made-up id', ['runbook', 'confirm', 'runbook-Root-1'], 1, /safeguard: .*runbook-root-recovery-1a2b3c4d/],
    ['confirm with a bad step id', ['runbook', 'confirm', ID, '--step', 'Step 2'], 1, /safeguard: --step "Step 2" is not a step id/],
    ['confirm with an empty note', ['runbook', 'confirm', ID, '--step', 'mfa-retrieved', '--note', ''], 1, /safeguard: --note is empty/],
    ['confirm without naming the step', ['runbook', 'confirm', ID, '--note', 'done'], 1, /safeguard: name the step you confirm with --step/],
    ['list with a bad runbook name', ['runbook', 'list', '--runbook', 'Root Recovery'], 1, /safeguard: --runbook "Root Recovery" is not a runbook name/],
  ])('%s', async (_name, argv, code, message) => {
    const r = await runSafeguard(...argv);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(code);
  });
});
