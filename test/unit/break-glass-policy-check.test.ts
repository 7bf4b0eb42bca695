// The worker re-checks every break-glass input against its own policy before acting (DESIGN.md §6.8):
// whoever can start a workflow (or holds the codec key) must not be able to hand it a looser role than
// the policy's. Stricter is allowed, looser never. Pure: the example policy, no Temporal.
import path from 'node:path';
import { checkBreakGlassInput } from '../../activities/policy/break-glass-check';
import { loadPolicyFile } from '../../config/policy';
import type { Policy } from '../../config/policy/types';
import { buildBreakGlassInput } from '../../client/request';
import { MAX_REASON_LENGTH, MIN_DURATION_MS } from '../../workflows/break-glass/definitions';
import type { BreakGlassInput, RoleSnapshot } from '../../workflows/break-glass/definitions';

const policy: Policy = loadPolicyFile(path.resolve(__dirname, '../../examples/policy.yaml'));
const SHORT = '0a1b2c3d';
const MIN = 60_000;

/** A valid request as the CLI builds it: BreakGlassAdmin (approval, idle limit), PostHocAdmin
 * (post-hoc, ratification deadline, step-up, ticket required) or BreakGlassReadOnly. */
function request(role = 'BreakGlassAdmin', over: Partial<BreakGlassInput> = {}): BreakGlassInput {
  const ticket = role === 'PostHocAdmin' ? 'INC-42' : undefined;
  return { ...buildBreakGlassInput(policy, { requester: 'alice', role, reason: 'orders database is down', via: 'cli', ...(ticket ? { ticket } : {}) }, SHORT), ...over };
}
const withRole = (role: Partial<RoleSnapshot>, name = 'BreakGlassAdmin'): BreakGlassInput => {
  const r = request(name);
  return { ...r, role: { ...r.role, ...role } };
};
const check = (input: BreakGlassInput, workflowId = input.grantId) => checkBreakGlassInput(input, policy, workflowId);

describe('checkBreakGlassInput', () => {
  test('accepts the input the CLI builds from the same policy, for every role', () => {
    for (const role of ['BreakGlassAdmin', 'BreakGlassReadOnly', 'PostHocAdmin']) expect(check(request(role))).toEqual({ accepted: true, problems: [] });
    expect(check(request('BreakGlassReadOnly', { requester: 'bob', grantId: `breakglass-BreakGlassReadOnly-${SHORT}` }))).toEqual({ accepted: true, problems: [] });
  });

  test('refuses a role the policy does not have, and checks nothing else', () => {
    const r = request();
    const v = check({ ...r, role: { ...r.role, name: 'RootOfAllEvil' } });
    expect(v).toEqual({ accepted: false, problems: ['role "RootOfAllEvil" is not in the policy'] });
    expect(check({ ...r, role: { ...r.role, name: 'X'.repeat(200) } }).problems).toEqual([`role "${'X'.repeat(64)}" is not in the policy`]);
  });

  test('refuses a requester who is not in the policy, or may not request the role', () => {
    expect(check(request('BreakGlassAdmin', { requester: 'mallory' })).problems).toEqual(['requester "mallory" is not a person in the policy']);
    // bob is a lead: an approver of BreakGlassAdmin, not a requester.
    expect(check(request('BreakGlassAdmin', { requester: 'bob' })).problems).toEqual(['bob may not request BreakGlassAdmin']);
  });

  test('refuses a workflow id that does not name the role, or a grant id that is not the workflow id', () => {
    const r = request();
    const problem = ['the workflow id does not name this role'];
    expect(check(r, `breakglass-BreakGlassReadOnly-${SHORT}`).problems).toEqual(problem);
    expect(check(r, 'breakglass-BreakGlassAdmin-XYZXYZ').problems).toEqual(problem);
    expect(check(r, `x-breakglass-BreakGlassAdmin-${SHORT}`).problems).toEqual(problem);
    expect(check(r, `breakglass-BreakGlassAdmin-${SHORT}0`.replace(SHORT, 'f'.repeat(16))).problems).toEqual(problem);
    expect(check(r, `breakglass-BreakGlassAdmin-${SHORT}-x`).problems).toEqual(problem);
    expect(check(r, 'breakglass-BreakGlassAdmin-abcde').problems).toEqual(problem);
    // Right shape, but not this request's id.
    expect(check(r, 'breakglass-BreakGlassAdmin-abcdef').problems).toEqual(problem);
    expect(check(r, 'breakglass-BreakGlassAdmin-abcdef0123456789').problems).toEqual(problem);
    expect(check({ ...r, grantId: 'breakglass-BreakGlassAdmin-abcdef' }, 'breakglass-BreakGlassAdmin-abcdef')).toEqual({ accepted: true, problems: [] });
    // A grant id that agrees with its workflow id is still refused when neither names this role.
    for (const id of [`breakglass-BreakGlassReadOnly-${SHORT}`, `breakglass-BreakGlassAdmin-${SHORT.toUpperCase()}`, `breakglass-BreakGlassAdmin-${SHORT}-x`]) {
      expect(check({ ...r, grantId: id }, id).problems).toEqual(problem);
    }
  });

  test.each<[string, Partial<RoleSnapshot>, string]>([
    ['another account', { accountId: '999999999999' }, 'role.accountId differs from the policy'],
    ['another role ARN', { roleArn: 'arn:aws:iam::123456789012:role/Other' }, 'role.roleArn differs from the policy'],
    ['another execution role', { executionRoleArn: 'arn:aws:iam::999999999999:role/SafeguardExecution' }, 'role.executionRoleArn differs from the policy'],
    ['another external id', { externalId: 'guessed' }, 'role.externalId differs from the policy'],
    ['post-hoc for an approval role', { mode: 'post-hoc' }, "mode post-hoc is looser than the policy's approval"],
    ['a lower quorum', { quorum: 0 }, "quorum 0 is below the policy's 1"],
    ['an approver the policy does not have', { approvers: ['bob', 'carol', 'mallory'] }, 'approvers not in the policy: mallory'],
    ['security people left out', { security: [] }, 'security people missing: carol'],
    ['a longer maximum duration', { maxDurationMs: 4 * 60 * MIN + 1 }, 'maxDuration is longer than the policy allows'],
    ['a longer approval timeout', { approvalTimeoutMs: 15 * MIN + 1 }, 'approvalTimeout is longer than the policy allows'],
    ['no idle limit', { idleLimitMs: undefined }, 'idleLimit is longer than the policy allows'],
    ['a longer idle limit', { idleLimitMs: 30 * MIN + 1 }, 'idleLimit is longer than the policy allows'],
    ['a shorter maximum session (deny statements removed too early)', { maxSessionDurationMs: 60 * MIN - 1 }, 'maxSessionDuration is shorter than the role allows (deny statements would be removed too early)'],
  ])('refuses a looser role snapshot: %s', (_name, role, problem) => {
    expect(check(withRole(role))).toEqual({ accepted: false, problems: [problem] });
  });

  test.each<[string, Partial<RoleSnapshot>]>([
    ['the same values', {}],
    ['fewer approvers', { approvers: ['bob'] }],
    ['more security people', { security: ['carol', 'bob'] }],
    ['a higher quorum', { quorum: 2 }],
    ['a shorter maximum duration (still over the request)', { maxDurationMs: 30 * MIN }],
    ['a shorter approval timeout', { approvalTimeoutMs: MIN }],
    ['a shorter idle limit', { idleLimitMs: MIN }],
    ['a longer maximum session', { maxSessionDurationMs: 12 * 60 * MIN }],
    ['step-up the policy does not require', { stepUp: true }],
  ])('accepts a stricter (or equal) role snapshot: %s', (_name, role) => {
    expect(check(withRole(role))).toEqual({ accepted: true, problems: [] });
  });

  test('a post-hoc role: approval is stricter, a longer or missing ratification deadline and dropped step-up are looser', () => {
    expect(check(withRole({ mode: 'approval' }, 'PostHocAdmin'))).toEqual({ accepted: true, problems: [] });
    // An approval-mode request needs no ratification deadline at all.
    expect(check(withRole({ mode: 'approval', ratificationDeadlineMs: undefined }, 'PostHocAdmin'))).toEqual({ accepted: true, problems: [] });
    expect(check(withRole({ ratificationDeadlineMs: 60 * MIN }, 'PostHocAdmin')).accepted).toBe(true);
    expect(check(withRole({ ratificationDeadlineMs: 60 * MIN + 1 }, 'PostHocAdmin')).problems).toEqual(['ratificationDeadline is longer than the policy allows']);
    expect(check(withRole({ ratificationDeadlineMs: undefined }, 'PostHocAdmin')).problems).toEqual(['ratificationDeadline is longer than the policy allows']);
    expect(check(withRole({ stepUp: false }, 'PostHocAdmin')).problems).toEqual(['the policy requires step-up for this role']);
    expect(check(withRole({ stepUp: undefined }, 'PostHocAdmin')).problems).toEqual(['the policy requires step-up for this role']);
    // A role without an idle limit in the policy accepts a request without one.
    expect(check(withRole({ idleLimitMs: undefined }, 'BreakGlassReadOnly')).accepted).toBe(true);
  });

  test('the limits themselves are accepted', () => {
    expect(check(withRole({ maxDurationMs: 4 * 60 * MIN, approvalTimeoutMs: 15 * MIN, idleLimitMs: 30 * MIN, maxSessionDurationMs: 60 * MIN, quorum: 1 })).accepted).toBe(true);
  });

  test("refuses a duration under the minimum or over the role's (or the input's own) maximum", () => {
    const problem = ["duration is outside the role's limits"];
    expect(check(request('BreakGlassAdmin', { durationMs: MIN_DURATION_MS })).accepted).toBe(true);
    expect(check(request('BreakGlassAdmin', { durationMs: MIN_DURATION_MS - 1 })).problems).toEqual(problem);
    expect(check(request('BreakGlassAdmin', { durationMs: 4 * 60 * MIN })).accepted).toBe(true);
    expect(check(request('BreakGlassAdmin', { durationMs: 4 * 60 * MIN + 1 })).problems).toEqual(problem);
    // An input that lowered its own maximum is held to it.
    const r = withRole({ maxDurationMs: 60 * MIN });
    expect(check({ ...r, durationMs: 60 * MIN })).toEqual({ accepted: true, problems: [] });
    expect(check({ ...r, durationMs: 60 * MIN + 1 }).problems).toEqual(problem);
  });

  test("refuses a reason shorter than the role's minimum (after trimming) or longer than the maximum", () => {
    const problem = ["reason length is outside the policy's limits"];
    expect(check(request('BreakGlassAdmin', { reason: 'x'.repeat(10) })).accepted).toBe(true);
    expect(check(request('BreakGlassAdmin', { reason: `   ${'x'.repeat(9)}   ` })).problems).toEqual(problem);
    expect(check(request('BreakGlassAdmin', { reason: 'x'.repeat(MAX_REASON_LENGTH) })).accepted).toBe(true);
    expect(check(request('BreakGlassAdmin', { reason: 'x'.repeat(MAX_REASON_LENGTH + 1) })).problems).toEqual(problem);
  });

  test('refuses a reason or ticket that holds a secret', () => {
    const problem = ['reason or ticket holds something shaped like a secret'];
    expect(check(request('BreakGlassAdmin', { reason: 'key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' })).problems).toEqual(problem);
    expect(check(request('BreakGlassAdmin', { ticket: 'xoxb-123456789012-abcdefghijkl' })).problems).toEqual(problem);
    expect(check(request('BreakGlassAdmin', { ticket: 'INC-42' })).accepted).toBe(true);
  });

  test('refuses a reason that holds a control or bidi character (a start that bypassed the client)', () => {
    const problem = ['reason or ticket holds a control or bidi character'];
    expect(check(request('BreakGlassAdmin', { reason: 'orders database is down\x1b[2J' })).problems).toEqual(problem);
    expect(check(request('BreakGlassAdmin', { reason: 'orders database \u202enwod si' })).problems).toEqual(problem);
    expect(check(request('BreakGlassAdmin', { reason: 'orders database is down\n\tINC-42' })).accepted).toBe(true);
  });

  test('refuses a request without the ticket its role requires', () => {
    const r = request('PostHocAdmin');
    const { ticket: _ticket, ...noTicket } = r;
    expect(check(noTicket).problems).toEqual(['the role requires a ticket']);
    expect(check({ ...r, ticket: '' }).problems).toEqual(['the role requires a ticket']);
  });

  test('lists every problem of a forged input', () => {
    const r = request();
    const forged: BreakGlassInput = {
      ...r,
      requester: 'bob',
      durationMs: 30 * 24 * 60 * MIN,
      role: { ...r.role, mode: 'post-hoc', quorum: 0, approvers: ['bob', 'dave'], security: [], maxDurationMs: 30 * 24 * 60 * MIN, idleLimitMs: undefined },
    };
    expect(check(forged)).toEqual({
      accepted: false,
      problems: [
        'bob may not request BreakGlassAdmin',
        "mode post-hoc is looser than the policy's approval",
        "quorum 0 is below the policy's 1",
        'approvers not in the policy: dave',
        'security people missing: carol',
        'maxDuration is longer than the policy allows',
        'idleLimit is longer than the policy allows',
        "duration is outside the role's limits",
      ],
    });
  });
});
