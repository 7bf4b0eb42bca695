// runbooks: the schema and cross-checks of declarative runbooks and the root-login watcher, every
// problem at its file:line; freezing a runbook into a run's input; and the worker's check of a run's
// input against its policy (a forged step list, a requester the policy does not allow).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { formatIssue, parsePolicy } from '../../config/policy';
import { REPO_ROOT } from '../../config/stack-file';
import { checkRunbookInput } from '../../activities/policy/runbook-check';
import { rootLoginWatchInput, runbookDefinitionFor } from '../../client/runbook-definition';
import { runbookInput } from '../../client/runbook-client';
import { SafeguardError } from '../../client/errors';
import { desiredSchedules } from '../../client/schedules';
import { runbookInputProblems } from '../../workflows/runbook/input-shape';
import { editLines, issueAt, issuesOf, validPolicy } from '../support/policy-text';

const BASE: readonly string[] = [
  /* 1 */ 'version: 2',
  /* 2 */ 'groups:',
  /* 3 */ '  - id: oncall',
  /* 4 */ '  - id: security',
  /* 5 */ 'people:',
  /* 6 */ '  - { id: alice, name: Alice, groups: [oncall] }',
  /* 7 */ '  - { id: bob, name: Bob, groups: [security] }',
  /* 8 */ '  - { id: carol, name: Carol, groups: [security] }',
  /* 9 */ 'accounts:',
  /* 10 */ '  - id: "123456789012"',
  /* 11 */ '    name: sandbox',
  /* 12 */ '    executionRoleArn: arn:aws:iam::123456789012:role/SafeguardExecution',
  /* 13 */ '    externalId: safeguard-sandbox',
  /* 14 */ 'security:',
  /* 15 */ '  groups: [security]',
  /* 16 */ 'runbooks:',
  /* 17 */ '  procedures:',
  /* 18 */ '    - name: root-recovery',
  /* 19 */ '      title: Root account recovery',
  /* 20 */ '      account: "123456789012"',
  /* 21 */ '      requesters: [oncall]',
  /* 22 */ '      steps:',
  /* 23 */ '        - id: approve',
  /* 24 */ '          type: approval',
  /* 25 */ '          title: Two of security approve',
  /* 26 */ '          approvers: [security]',
  /* 27 */ '          quorum: 2',
  /* 28 */ '          timeout: 1h',
  /* 29 */ '        - id: mfa',
  /* 30 */ '          type: confirm',
  /* 31 */ '          title: MFA device retrieved',
  /* 32 */ '          confirmers: [security, oncall]',
  /* 33 */ '          count: 2',
  /* 34 */ '          noteRequired: true',
  /* 35 */ '          timeout: 30m',
  /* 36 */ '          onTimeout: escalate',
  /* 37 */ '        - id: login',
  /* 38 */ '          type: wait',
  /* 39 */ '          title: Root signs in',
  /* 40 */ '          until: { check: root-console-login }',
  /* 41 */ '          every: 1m',
  /* 42 */ '          timeout: 30m',
  /* 43 */ '        - id: hold',
  /* 44 */ '          type: wait',
  /* 45 */ '          title: Work',
  /* 46 */ '          for: 10m',
  /* 47 */ '        - id: locked',
  /* 48 */ '          type: check',
  /* 49 */ '          title: Root locked down',
  /* 50 */ '          check: { check: root-mfa-no-access-keys }',
  /* 51 */ '          timeout: 5m',
  /* 52 */ '        - id: tell',
  /* 53 */ '          type: notify',
  /* 54 */ '          title: Tell security',
  /* 55 */ '          message: done',
  /* 56 */ '          groups: [security]',
  /* 57 */ '  rootLoginWatch:',
  /* 58 */ '    accounts: ["123456789012"]',
  /* 59 */ '    expectedDuring: [root-recovery]',
  /* 60 */ '    schedule: { every: 5m }',
];

const text = (...edits: Parameters<typeof editLines>[1]): string => editLines(BASE, edits);
const M = 60_000;

describe('the runbooks section', () => {
  test('a valid file parses into typed steps with defaults', () => {
    const p = validPolicy(text());
    const r = p.runbooks.procedures[0]!;
    expect(r.steps.map((s) => s.type)).toEqual(['approval', 'confirm', 'wait', 'wait', 'check', 'notify']);
    expect(r.steps[1]).toMatchObject({ count: 2, notRequester: true, noteRequired: true, timeoutMs: 30 * M, onTimeout: 'escalate' });
    expect(r.steps[2]).toMatchObject({ until: { name: 'root-console-login', since: 'step' }, everyMs: M, timeoutMs: 30 * M, onTimeout: 'fail' });
    expect(r.steps[3]).toMatchObject({ forMs: 10 * M });
    expect(r.steps[5]).toMatchObject({ type: 'notify', timeoutMs: M, onTimeout: 'continue', groups: ['security'] });
    expect(p.runbooks.rootLoginWatch).toEqual({ accounts: ['123456789012'], expectedDuring: ['root-recovery'], lookbackMs: 20 * M, schedule: { everyMs: 5 * M } });
  });

  test('the shipped example policy has the root-recovery runbook and the watcher', () => {
    const r = parsePolicy(readFileSync(path.join(REPO_ROOT, 'examples/policy.yaml'), 'utf8'), 'examples/policy.yaml');
    if (!r.ok) throw new Error(r.issues.map(formatIssue).join('\n'));
    const rr = r.policy.runbooks.procedures.find((x) => x.name === 'root-recovery')!;
    expect(rr.steps.map((s) => `${s.type}:${s.id}`)).toEqual([
      'approval:approve',
      'confirm:mfa-retrieved',
      'confirm:password-retrieved',
      'wait:root-signed-in',
      'wait:work',
      'confirm:password-rotated',
      'confirm:mfa-resealed',
      'check:root-locked-down',
      'notify:tell-security',
    ]);
    for (const s of rr.steps) if (s.type === 'confirm') expect(s.count).toBe(2);
    expect(r.policy.runbooks.rootLoginWatch?.expectedDuring).toEqual(['root-recovery']);
  });

  test.each([
    ['an unknown step type', { line: 30, text: '          type: shell' }, 'runbooks.procedures[0].steps[1].type', 30, /type must be one of approval, confirm, check, wait, notify/],
    ['a check outside the catalogue', { line: 50, text: '          check: { check: run-anything }' }, 'runbooks.procedures[0].steps[4].check.check', 50, /not a check in the catalogue/],
    ['a bad duration', { line: 35, text: '          timeout: 30 minutes' }, 'runbooks.procedures[0].steps[1].timeout', 35, /./],
    ['a bad onTimeout', { line: 36, text: '          onTimeout: retry' }, 'runbooks.procedures[0].steps[1].onTimeout', 36, /onTimeout must be fail, escalate or continue/],
    ['an unknown field', { line: 34, text: '          notes: true' }, 'runbooks.procedures[0].steps[1].notes', 34, /unknown field "notes"/],
    ['a bad runbook name', { line: 18, text: '    - name: Root--Recovery' }, 'runbooks.procedures[0].name', 18, /not a valid runbook name/],
    ['a missing timeout on a confirm', { line: 35, remove: true }, 'runbooks.procedures[0].steps[1].timeout', 29, /missing required field "timeout"/],
    ['a check needing a user without one', { line: 50, text: '          check: { check: iam-user-password-changed }' }, 'runbooks.procedures[0].steps[4].check.user', 50, /needs "user"/],
  ] as const)('%s is reported at its line', (_what, edit, field, line, message) => {
    const issue = issueAt(text(edit), field);
    expect(issue.line).toBe(line);
    expect(issue.message).toMatch(message);
  });

  test.each([
    ['an unreachable quorum', { line: 27, text: '          quorum: 3' }, 'runbooks.procedures[0].steps[0].quorum', 27, /quorum 3 is larger than the approver pool \(2 people: bob, carol\)/],
    ['an approval that could be skipped', { line: 28, insertAfter: ['          onTimeout: continue'] }, 'runbooks.procedures[0].steps[0].onTimeout', 29, /an approval cannot be skipped/],
    ['a confirm count nobody but the requester could complete', { line: 33, text: '          count: 3' }, 'runbooks.procedures[0].steps[1].count', 33, /count 3 cannot be reached: the confirmers are 3 people \(alice, bob, carol\), and the one who started the run may not confirm/],
    ['an undeclared group', { line: 32, text: '          confirmers: [security, vault-keepers]' }, 'runbooks.procedures[0].steps[1].confirmers[1]', 32, /unknown group "vault-keepers"/],
    ['an undeclared account', { line: 20, text: '      account: "999999999999"' }, 'runbooks.procedures[0].account', 20, /unknown account "999999999999"/],
    ['a duplicate step id', { line: 37, text: '        - id: mfa' }, 'runbooks.procedures[0].steps[2].id', 37, /duplicate step id "mfa" \(also steps\[1\]\)/],
    ['a wait with both for and until', { line: 46, insertAfter: ['          until: { check: root-console-login }'] }, 'runbooks.procedures[0].steps[3].until', 47, /either "for" or "until"/],
    ['a for-wait with a timeout', { line: 46, insertAfter: ['          timeout: 1h'] }, 'runbooks.procedures[0].steps[3].timeout', 47, /ends on its own/],
    ['an until-wait without a timeout', { line: 42, remove: true }, 'runbooks.procedures[0].steps[2]', 37, /needs a timeout/],
    ['an until-wait polled too often', { line: 41, text: '          every: 1s' }, 'runbooks.procedures[0].steps[2].every', 41, /at least 5s/],
    ['a notify step with nobody to tell', { line: 56, remove: true }, 'runbooks.procedures[0].steps[5]', 52, /needs a channel or groups/],
    ['a watcher expecting an unknown runbook', { line: 59, text: '    expectedDuring: [root-recovry]' }, 'runbooks.rootLoginWatch.expectedDuring[0]', 59, /unknown runbook "root-recovry" \(runbooks: root-recovery\)/],
    ['a watcher lookback shorter than its interval', { line: 60, insertAfter: ['    lookback: 1m'] }, 'runbooks.rootLoginWatch.lookback', 61, /lookback is not longer than the schedule's interval/],
  ] as const)('%s is reported at its line', (_what, edit, field, line, message) => {
    const issue = issueAt(text(edit as never), field);
    expect(issue.line).toBe(line);
    expect(issue.message).toMatch(message);
  });

  test('several problems are all reported, in line order', () => {
    const issues = issuesOf(text({ line: 27, text: '          quorum: 5' }, { line: 41, text: '          every: 1s' }, { line: 59, text: '    expectedDuring: [nope]' }));
    expect(issues.map((i) => i.line)).toEqual([27, 41, 59]);
  });
});

describe('freezing a runbook into a run', () => {
  const policy = validPolicy(text());

  test('groups become person ids, durations milliseconds, the account its execution role', () => {
    const def = runbookDefinitionFor(policy, 'root-recovery');
    expect(def.account).toEqual({ accountId: '123456789012', executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecution', externalId: 'safeguard-sandbox' });
    expect(def.requesters).toEqual(['alice']);
    expect(def.steps[0]).toMatchObject({ type: 'approval', approvers: ['bob', 'carol'], quorum: 2, escalateTo: ['bob', 'carol'] });
    expect(def.steps[1]).toMatchObject({ type: 'confirm', confirmers: ['alice', 'bob', 'carol'] });
    expect(def.steps[5]).toMatchObject({ type: 'notify', people: ['bob', 'carol'] });
    expect(runbookInputProblems(runbookInput(policy, 'root-recovery', 'alice', 'lost the MFA device, ticket 42'))).toEqual([]);
  });

  test('bad starts are refused with what to do', () => {
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (err) {
        return err instanceof SafeguardError ? `${err.code}: ${err.message}` : String(err);
      }
      return undefined;
    };
    expect(code(() => runbookInput(policy, 'root-recvery', 'alice', 'a good long reason'))).toMatch(/UNKNOWN_TARGET: "root-recvery" is not a runbook in the policy \(runbooks: root-recovery\)/);
    expect(code(() => runbookInput(policy, 'root-recovery', 'bob', 'a good long reason'))).toMatch(/NOT_ALLOWED_TO_REQUEST: bob may not start root-recovery/);
    expect(code(() => runbookInput(policy, 'root-recovery', 'alice', 'short'))).toMatch(/REASON_TOO_SHORT/);
    expect(code(() => runbookInput(policy, 'root-recovery', 'alice', 'ticket 42 \u001b]0;pwned\u0007'))).toMatch(/CONTROL_CHARACTER/);
  });

  test('the worker accepts the policy\'s runbook and refuses a forged one or another requester', () => {
    const input = runbookInput(policy, 'root-recovery', 'alice', 'lost the MFA device, ticket 42');
    expect(checkRunbookInput(input, policy)).toEqual({ accepted: true, problems: [] });
    const noApproval = { ...input, runbook: { ...input.runbook, steps: input.runbook.steps.slice(1) } };
    expect(checkRunbookInput(noApproval, policy)).toMatchObject({ accepted: false, problems: [expect.stringMatching(/steps differs/)] });
    expect(checkRunbookInput({ ...input, requestedBy: 'bob' }, policy)).toMatchObject({ accepted: false, problems: [expect.stringMatching(/bob may not start/)] });
    expect(checkRunbookInput({ ...input, runbook: { ...input.runbook, name: 'other' } }, policy).accepted).toBe(false);
  });

  test('the watcher is one Schedule with the policy\'s accounts, runbooks and security', () => {
    expect(rootLoginWatchInput(policy)).toMatchObject({ accounts: [{ accountId: '123456789012' }], expectedDuring: ['root-recovery'], lookbackMs: 20 * M, security: ['bob', 'carol'] });
    const s = desiredSchedules(policy).find((d) => d.kind === 'root-login-watch')!;
    expect(s).toMatchObject({ scheduleId: 'safeguard-root-login-watch', target: 'root-login-watch', spec: { intervals: [{ every: 5 * M }] } });
    expect(s.action.workflowType).toBe('rootLoginWatchWorkflow');
    expect(desiredSchedules(validPolicy(text({ line: 57, remove: true }, { line: 58, remove: true }, { line: 59, remove: true }, { line: 60, remove: true }))).some((d) => d.kind === 'root-login-watch')).toBe(false);
  });
});
