// drills.fire: the schema (file:line errors), the cross-checks (the rehearsed role, the drill role's
// account and separateness, names shared with restore drills), and the pure functions built on it:
// the drill's workflow input, the worker's checks of a drill and of its break-glass request, and the
// DRILL marks on every Slack message about that request.
import { buildBreakGlassInput } from '../../client/request';
import { fireDrillInput, fireDrillRoleSnapshot } from '../../client/fire-drill-client';
import { SafeguardError } from '../../client/errors';
import { FIRE_DRILL_REQUESTER as POLICY_REQUESTER } from '../../config/policy/fire-drills';
import { checkBreakGlassInput } from '../../activities/policy/break-glass-check';
import { checkFireDrillInput } from '../../activities/policy/fire-drill-check';
import { seedPlanFromPolicy } from '../../sandbox/seed-plan';
import { approvalCard } from '../../shared/slack-blocks/approval-card';
import { auditLine, securityAlert, statusMessage, threadReply } from '../../shared/slack-blocks/messages';
import type { RequestView } from '../../shared/slack-blocks/types';
import { DRILL_GRANT_MS, FIRE_DRILL_REQUESTER, drillGrantId, isFireDrillWorkflowOf } from '../../workflows/fire-drill/definitions';
import type { BreakGlassInput } from '../../workflows/break-glass/definitions';
import { inputShapeProblems } from '../../workflows/break-glass/input-shape';
import { parsePolicy } from '../../config/policy';
import { editLines, issueAt, validPolicy } from '../support/policy-text';
import type { Edit } from '../support/policy-text';

const M = 60_000;

const BASE: readonly string[] = [
  /* 1 */ 'version: 2',
  /* 2 */ 'groups:',
  /* 3 */ '  - id: oncall',
  /* 4 */ '  - id: leads',
  /* 5 */ '  - id: security',
  /* 6 */ 'people:',
  /* 7 */ '  - { id: alice, name: Alice, groups: [oncall] }',
  /* 8 */ '  - { id: bob, name: Bob, groups: [leads] }',
  /* 9 */ '  - { id: carol, name: Carol, groups: [security] }',
  /* 10 */ 'accounts:',
  /* 11 */ '  - id: "123456789012"',
  /* 12 */ '    name: sandbox',
  /* 13 */ '    executionRoleArn: arn:aws:iam::123456789012:role/SafeguardExecution',
  /* 14 */ '    externalId: safeguard-sandbox',
  /* 15 */ 'security:',
  /* 16 */ '  groups: [security]',
  /* 17 */ 'breakGlass:',
  /* 18 */ '  roles:',
  /* 19 */ '    - name: BreakGlassAdmin',
  /* 20 */ '      account: "123456789012"',
  /* 21 */ '      roleArn: arn:aws:iam::123456789012:role/BreakGlassAdmin',
  /* 22 */ '      requesters: [oncall]',
  /* 23 */ '      approvers: [leads, security]',
  /* 24 */ '      quorum: 1',
  /* 25 */ '      mode: approval',
  /* 26 */ '      defaultDuration: 30m',
  /* 27 */ '      maxDuration: 4h',
  /* 28 */ '      approvalTimeout: 15m',
  /* 29 */ '    - name: PostHocAdmin',
  /* 30 */ '      account: "123456789012"',
  /* 31 */ '      roleArn: arn:aws:iam::123456789012:role/PostHocAdmin',
  /* 32 */ '      requesters: [oncall]',
  /* 33 */ '      approvers: [leads, security]',
  /* 34 */ '      quorum: 1',
  /* 35 */ '      mode: post-hoc',
  /* 36 */ '      defaultDuration: 30m',
  /* 37 */ '      maxDuration: 2h',
  /* 38 */ '      approvalTimeout: 15m',
  /* 39 */ '      ratificationDeadline: 1h',
  /* 40 */ 'drills:',
  /* 41 */ '  channel: C0DRILLS',
  /* 42 */ '  fire:',
  /* 43 */ '    - name: admin-fire',
  /* 44 */ '      rehearses: BreakGlassAdmin',
  /* 45 */ '      drillRoleArn: arn:aws:iam::123456789012:role/BreakGlassDrill',
  /* 46 */ '      approveWithin: 10m',
  /* 47 */ '      answerWindow: 12m',
  /* 48 */ '      grantWithin: 30s',
  /* 49 */ '      revokeWithin: 20s',
  /* 50 */ '      schedule: { cron: "0 10 * * 2" }',
];

const policyText = (...edits: Edit[]): string => editLines(BASE, edits);
const policy = validPolicy(policyText());

describe('policy drills.fire', () => {
  it('parses every field, durations in milliseconds', () => {
    expect(policy.drills.fire).toEqual([
      {
        name: 'admin-fire',
        rehearses: 'BreakGlassAdmin',
        drillRoleArn: 'arn:aws:iam::123456789012:role/BreakGlassDrill',
        approveWithinMs: 10 * M,
        answerWindowMs: 12 * M,
        grantWithinMs: 30_000,
        revokeWithinMs: 20_000,
        schedule: { cron: '0 10 * * 2' },
      },
    ]);
    expect(policy.drills.channel).toBe('C0DRILLS');
  });

  it('defaults grantWithin and revokeWithin to a minute and needs no schedule', () => {
    const p = validPolicy(policyText({ line: 48, remove: true }, { line: 49, remove: true }, { line: 50, remove: true }));
    expect(p.drills.fire[0]).toMatchObject({ grantWithinMs: M, revokeWithinMs: M });
    expect(p.drills.fire[0]?.schedule).toBeUndefined();
  });

  it('reports a missing field at its drill, and a bad duration and an unknown field at their lines', () => {
    expect(issueAt(policyText({ line: 45, remove: true }), 'drills.fire[0].drillRoleArn')).toMatchObject({ line: 43, message: 'missing required field "drillRoleArn"' });
    expect(issueAt(policyText({ line: 46, text: '      approveWithin: soon' }), 'drills.fire[0].approveWithin')).toMatchObject({ file: 'p.yaml', line: 46 });
    expect(issueAt(policyText({ line: 49, insertAfter: ['      ttl: 5m'] }), 'drills.fire[0].ttl')).toMatchObject({ line: 50, message: 'unknown field "ttl"' });
    expect(issueAt(policyText({ line: 45, text: '      drillRoleArn: BreakGlassDrill' }), 'drills.fire[0].drillRoleArn').message).toMatch(/is not an IAM role ARN/);
    expect(issueAt(policyText({ line: 43, text: '    - name: Admin_Fire' }), 'drills.fire[0].name').line).toBe(43);
  });

  it('refuses a rehearsed role that does not exist or is post-hoc', () => {
    expect(issueAt(policyText({ line: 44, text: '      rehearses: NoSuchRole' }), 'drills.fire[0].rehearses')).toMatchObject({ line: 44, message: expect.stringMatching(/unknown break-glass role "NoSuchRole" \(roles: BreakGlassAdmin, PostHocAdmin\)/) });
    expect(issueAt(policyText({ line: 44, text: '      rehearses: PostHocAdmin' }), 'drills.fire[0].rehearses').message).toMatch(/post-hoc role; a fire drill rehearses an approval-mode role/);
  });

  it('refuses a drill role outside the rehearsed role\'s account', () => {
    expect(issueAt(policyText({ line: 45, text: '      drillRoleArn: arn:aws:iam::210987654321:role/BreakGlassDrill' }), 'drills.fire[0].drillRoleArn')).toMatchObject({
      line: 45,
      message: expect.stringMatching(/not in BreakGlassAdmin's account 123456789012/),
    });
  });

  it('refuses a drill role that is a break-glass role (any path)', () => {
    const issue = issueAt(policyText({ line: 45, text: '      drillRoleArn: arn:aws:iam::123456789012:role/emergency/PostHocAdmin' }), 'drills.fire[0].drillRoleArn');
    expect(issue).toMatchObject({ line: 45, message: expect.stringMatching(/IAM role of break-glass role PostHocAdmin/) });
  });

  it('refuses an approve target longer than the answer window', () => {
    expect(issueAt(policyText({ line: 46, text: '      approveWithin: 20m' }), 'drills.fire[0].approveWithin')).toMatchObject({ line: 46, message: expect.stringMatching(/approveWithin 20m is longer than answerWindow 12m/) });
  });

  it('shares names with restore drills: a duplicate is reported at the second one', () => {
    const dup = policyText({ line: 50, insertAfter: ['    - name: admin-fire', '      rehearses: BreakGlassAdmin', '      drillRoleArn: arn:aws:iam::123456789012:role/OtherDrill', '      approveWithin: 1m', '      answerWindow: 2m'] });
    expect(issueAt(dup, 'drills.fire[1].name')).toMatchObject({ line: 51, message: expect.stringMatching(/duplicate drill name "admin-fire" \(also drills\.fire\[0\]\)/) });
  });

  it('refuses a person with the drill identity\'s id', () => {
    expect(issueAt(policyText({ line: 9, insertAfter: ['  - { id: fire-drill, name: Mallory }'] }), 'people[3].id')).toMatchObject({ line: 10 });
    expect(POLICY_REQUESTER).toBe(FIRE_DRILL_REQUESTER);
  });

  it('warns (does not fail) when the answer window is longer than the role\'s approval timeout', () => {
    const r = parsePolicy(policyText({ line: 47, text: '      answerWindow: 20m' }), 'p.yaml');
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual([expect.objectContaining({ line: 47, field: 'drills.fire[0].answerWindow', message: expect.stringMatching(/longer than BreakGlassAdmin's approvalTimeout 15m/) })]);
    expect(fireDrillInput(r.ok ? r.policy : policy, 'admin-fire', 'bob').drill.role.approvalTimeoutMs).toBe(15 * M);
  });
});

describe('fire drill input and the worker\'s checks', () => {
  const id = 'drill-fire-admin-fire-1a2b3c4d';

  it('freezes the rehearsed role with the drill role, the answer window and a short grant', () => {
    const input = fireDrillInput(policy, 'admin-fire', 'schedule');
    expect(input.drill).toMatchObject({ name: 'admin-fire', rehearses: 'BreakGlassAdmin', durationMs: DRILL_GRANT_MS });
    expect(input.drill.role).toMatchObject({ name: 'BreakGlassAdmin', roleArn: 'arn:aws:iam::123456789012:role/BreakGlassDrill', approvers: ['bob', 'carol'], quorum: 1, approvalTimeoutMs: 12 * M });
    expect(input.targets).toEqual({ approveWithinMs: 10 * M, grantWithinMs: 30_000, revokeWithinMs: 20_000 });
    expect(input).toMatchObject({ requestedBy: 'schedule', security: ['carol'], channel: 'C0DRILLS' });
    expect(() => fireDrillInput(policy, 'nope', 'bob')).toThrow(SafeguardError);
    expect(checkFireDrillInput(input, policy, id)).toEqual({ accepted: true, problems: [] });
  });

  it('rejects a drill input looser than the policy or run under another drill\'s id', () => {
    const input = fireDrillInput(policy, 'admin-fire', 'schedule');
    const longer = { ...input, drill: { ...input.drill, role: { ...input.drill.role, approvalTimeoutMs: 60 * M } } };
    expect(checkFireDrillInput(longer, policy, id).problems).toEqual([expect.stringMatching(/differs from the policy/)]);
    expect(checkFireDrillInput({ ...input, targets: { ...input.targets, approveWithinMs: 60 * M } }, policy, id).accepted).toBe(false);
    expect(checkFireDrillInput(input, policy, 'drill-fire-other-1a2b3c4d').problems).toEqual(['the workflow id does not name this drill']);
  });

  it('names drill requests from the drill id, never like a person\'s request', () => {
    const a = drillGrantId('BreakGlassAdmin', id);
    expect(a).toMatch(/^breakglass-BreakGlassAdmin-[0-9a-f]{16}$/);
    expect(drillGrantId('BreakGlassAdmin', id)).toBe(a);
    expect(drillGrantId('BreakGlassAdmin', `${id}-2026-12-01T03:00:00Z`)).not.toBe(a);
    expect(isFireDrillWorkflowOf('admin-fire', id)).toBe(true);
    expect(isFireDrillWorkflowOf('admin-fire', 'drill-fire-admin-fire-2026-12-01T03:00:00Z')).toBe(true);
    expect(isFireDrillWorkflowOf('admin', id)).toBe(false);
  });

  const drillRequest = (over: Partial<BreakGlassInput> = {}): BreakGlassInput => {
    const grantId = drillGrantId('BreakGlassAdmin', id);
    return { grantId, requester: FIRE_DRILL_REQUESTER, role: fireDrillRoleSnapshot(policy, policy.drills.fire[0]!), durationMs: DRILL_GRANT_MS, reason: 'DRILL: break-glass fire drill', via: 'drill', ...over };
  };

  it('accepts the drill\'s own request for its drill role (a well-formed break-glass input)', () => {
    const req = drillRequest();
    expect(inputShapeProblems(req, req.grantId)).toEqual([]);
    expect(checkBreakGlassInput(req, policy, req.grantId, id)).toEqual({ accepted: true, problems: [] });
  });

  it('refuses a drill request not started by that drill, or from a person', () => {
    const req = drillRequest();
    expect(checkBreakGlassInput(req, policy, req.grantId, undefined).problems).toEqual(['a drill request must be started by fire drill admin-fire']);
    expect(checkBreakGlassInput(req, policy, req.grantId, 'drill-fire-other-1a2b3c4d').accepted).toBe(false);
    expect(checkBreakGlassInput(drillRequest({ requester: 'alice' }), policy, req.grantId, id).problems).toEqual(['a drill request must come from fire-drill, not alice']);
  });

  it('refuses via drill for a real role, and the drill role or identity without via drill', () => {
    const real = buildBreakGlassInput(policy, { requester: 'alice', role: 'BreakGlassAdmin', reason: 'orders database is down', via: 'cli' }, '0123abcd');
    expect(checkBreakGlassInput(real, policy, real.grantId).accepted).toBe(true);
    expect(checkBreakGlassInput({ ...real, via: 'drill' }, policy, real.grantId, id).problems).toEqual([expect.stringMatching(/must be for a declared drill role of BreakGlassAdmin/)]);
    // A person asking (through a tampered input) for the drill role: its ARN is not the role's.
    expect(checkBreakGlassInput({ ...real, role: { ...real.role, roleArn: 'arn:aws:iam::123456789012:role/BreakGlassDrill' } }, policy, real.grantId).problems).toContain('role.roleArn differs from the policy');
    expect(checkBreakGlassInput({ ...real, requester: FIRE_DRILL_REQUESTER }, policy, real.grantId).problems).toContain('fire-drill may only make drill requests');
    expect(() => buildBreakGlassInput(policy, { requester: 'alice', role: 'BreakGlassAdmin', reason: 'orders database is down', via: 'drill' })).toThrow(/drill requests are made by fire drills/);
  });

  it('seeds the drill role in the sandbox apart from the break-glass roles (it gets no permissions)', () => {
    const plan = seedPlanFromPolicy(policy);
    expect(plan.roleArns).toEqual(['arn:aws:iam::123456789012:role/BreakGlassAdmin', 'arn:aws:iam::123456789012:role/PostHocAdmin']);
    expect(plan.drillRoleArns).toEqual(['arn:aws:iam::123456789012:role/BreakGlassDrill']);
  });
});

describe('DRILL marks on a drill request\'s messages', () => {
  const view: RequestView = {
    grantId: 'breakglass-BreakGlassAdmin-0123456789abcdef',
    requester: FIRE_DRILL_REQUESTER,
    role: 'BreakGlassAdmin',
    roleArn: 'arn:aws:iam::123456789012:role/BreakGlassDrill',
    accountId: '123456789012',
    mode: 'approval',
    drill: true,
    phase: 'pending',
    reason: 'DRILL: break-glass fire drill',
    requestedAt: '2026-01-01T00:00:00.000Z',
    durationMs: DRILL_GRANT_MS,
    sessions: [],
  };
  const e = { event: 'approval-needed', grantId: view.grantId, requester: view.requester, role: view.role };

  it('marks the card, thread replies, audit lines, pages and status replies', () => {
    const card = approvalCard(view);
    expect(card.text).toMatch(/^DRILL — Break-glass request: BreakGlassAdmin/);
    expect(JSON.stringify(card.blocks[0])).toContain('DRILL — Break-glass request');
    expect(JSON.stringify(card.blocks[1])).toContain('this is a break-glass fire drill, not an incident');
    expect(JSON.stringify(threadReply(e, view).blocks)).toContain('DRILL ·');
    expect(auditLine(e, view).text).toContain('drill=true');
    // Pages carry no view: the drill identity marks them.
    expect(securityAlert({ ...e, event: 'grant-failed' }, undefined).text).toMatch(/^DRILL ALERT/);
    expect(JSON.stringify(statusMessage(view).blocks)).toContain('*DRILL*');
  });

  it('leaves a person\'s request unmarked', () => {
    const real = { ...view, drill: undefined, requester: 'alice' } as RequestView;
    expect(approvalCard(real).text).toMatch(/^Break-glass request/);
    expect(auditLine({ ...e, requester: 'alice' }, real).text).not.toContain('drill');
    expect(securityAlert({ ...e, requester: 'alice', event: 'grant-failed' }, undefined).text).toMatch(/^ALERT/);
  });
});
