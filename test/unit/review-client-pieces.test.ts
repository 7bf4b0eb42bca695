// The access review's pure client-side pieces: the policy → workflow input (accounts and escalation
// members frozen in), the start input's shape check, review and reviewer run ids, how `review decide`
// reads its command line and finds an item, how the CLI prints a review, and the broker's role ARN.
import { roleArnOfCaller } from '../../activities/reviews';
import { parseDecideArgs } from '../../cli/areas/reviews';
import { formatReviewStatus, formatReviewerItems } from '../../cli/review-view';
import { SafeguardError } from '../../client/errors';
import { accessReviewId, assertRunId, kindOfWorkflowId, policyScheduleId, scheduledRunId } from '../../client/ids';
import { accessReviewInput, resolveItem } from '../../client/review-client';
import { accessReviewTargetFor } from '../../client/review-targets';
import type { Policy } from '../../config/policy';
import { reviewerWorkflowId } from '../../workflows/access-review/definitions';
import type { AccessReviewInput, AccessReviewStatus, AccessReviewerStatus, ReviewerCounts, ReviewerItemView } from '../../workflows/access-review/definitions';
import { reviewInputProblems } from '../../workflows/access-review/input-shape';
import { validPolicy } from '../support/policy-text';
import { reviewItem, reviewerStatus } from '../support/review-fixtures';

const D = 86_400_000;
const PROD = '111111111111';
const STAGING = '222222222222';

const POLICY_TEXT = [
  'version: 2',
  'groups: [{ id: platform }, { id: data }, { id: security }]',
  'people:',
  '  - { id: alice, name: Alice, groups: [platform] }',
  '  - { id: bob, name: Bob, groups: [data] }',
  '  - { id: carol, name: Carol, groups: [security] }',
  '  - { id: dave, name: Dave, groups: [security, platform] }',
  'accounts:',
  '  - { id: "111111111111", name: prod, executionRoleArn: "arn:aws:iam::111111111111:role/SafeguardExecution", externalId: safeguard-prod }',
  '  - { id: "222222222222", name: staging, executionRoleArn: "arn:aws:iam::222222222222:role/SafeguardExecution", externalId: safeguard-staging }',
  'security: { groups: [security] }',
  'slack: { auditChannel: C0AUDIT }',
  'reviews:',
  '  access:',
  '    - name: quarterly-prod',
  '      accounts: ["222222222222", "111111111111"]',
  '      owners: { fallback: { "111111111111": platform, "222222222222": data } }',
  '      escalation: security',
  '      deadline: 14d',
  '      remindEvery: 2d',
  '      escalateAfter: 7d',
  '      defaultAction: disable-keys',
  '      exempt: [{ principal: "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole", reason: "managed by AWS Organizations" }]',
  '      schedule: { every: 90d }',
  '',
].join('\n');

const policy = (): Policy => validPolicy(POLICY_TEXT);

function safeguardError(fn: () => unknown): SafeguardError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SafeguardError);
    return err as SafeguardError;
  }
  throw new Error('expected a SafeguardError');
}

describe('accessReviewTargetFor', () => {
  it("freezes each account's execution role and the escalation group's members into the review, without its schedule", () => {
    expect(accessReviewTargetFor(policy(), 'quarterly-prod')).toEqual({
      name: 'quarterly-prod',
      accounts: [STAGING, PROD],
      owners: { tag: 'owner', fallback: { [PROD]: 'platform', [STAGING]: 'data' } },
      escalation: 'security',
      deadlineMs: 14 * D,
      remindEveryMs: 2 * D,
      escalateAfterMs: 7 * D,
      defaultAction: 'disable-keys',
      exempt: [{ principal: `arn:aws:iam::${PROD}:role/OrganizationAccountAccessRole`, reason: 'managed by AWS Organizations' }],
      keyMaxAgeMs: 90 * D,
      unusedAfterMs: 90 * D,
      identityCenter: false,
      accountRefs: [
        { accountId: STAGING, executionRoleArn: `arn:aws:iam::${STAGING}:role/SafeguardExecution`, externalId: 'safeguard-staging' },
        { accountId: PROD, executionRoleArn: `arn:aws:iam::${PROD}:role/SafeguardExecution`, externalId: 'safeguard-prod' },
      ],
      escalationMembers: ['carol', 'dave'],
    });
  });

  it('keeps what it froze when the policy changes afterwards', () => {
    const p = policy();
    const target = accessReviewTargetFor(p, 'quarterly-prod');
    p.people.push({ id: 'erin', name: 'Erin', awsPrincipals: [], groups: ['security'] });
    p.accounts[1]!.executionRoleArn = `arn:aws:iam::${STAGING}:role/Other`;
    expect(target.escalationMembers).toEqual(['carol', 'dave']);
    expect(target.accountRefs[0]?.executionRoleArn).toBe(`arn:aws:iam::${STAGING}:role/SafeguardExecution`);
  });

  it("freezes the Identity Center account's execution role, not its id", () => {
    const p = validPolicy(POLICY_TEXT.replace('      schedule: { every: 90d }', `      identityCenter: true\n      identityCenterAccount: "${PROD}"\n      schedule: { every: 90d }`));
    const target = accessReviewTargetFor(p, 'quarterly-prod');
    expect(target.identityCenterRef).toEqual({ accountId: PROD, executionRoleArn: `arn:aws:iam::${PROD}:role/SafeguardExecution`, externalId: 'safeguard-prod' });
    expect(target).not.toHaveProperty('identityCenterAccount');
  });

  it('refuses a review the policy does not have with UNKNOWN_TARGET, listing the ones it has', () => {
    const err = safeguardError(() => accessReviewTargetFor(policy(), 'yearly'));
    expect(err.code).toBe('UNKNOWN_TARGET');
    expect(err.message).toBe('"yearly" is not an access review in the policy (reviews: quarterly-prod)');
  });

  it('builds the start input with the security people and the audit channel when reviews has none', () => {
    const input = accessReviewInput(policy(), 'quarterly-prod', 'alice');
    expect(input).toMatchObject({ requestedBy: 'alice', security: ['carol', 'dave'], channel: 'C0AUDIT' });
    expect(input.review.name).toBe('quarterly-prod');
  });
});

describe('reviewInputProblems', () => {
  const good = (): AccessReviewInput => accessReviewInput(policy(), 'quarterly-prod', 'alice');

  it('finds nothing wrong with an input built from the policy, from a person or the schedule', () => {
    expect(reviewInputProblems(good())).toEqual([]);
    expect(reviewInputProblems({ ...good(), requestedBy: 'schedule' })).toEqual([]);
  });

  it.each([
    [null, ['the input is not an object (an unencrypted or malformed payload)']],
    [{ __refused: 'unencrypted payload' }, ['the input was refused by the payload codec: unencrypted payload']],
  ])('refuses %j as a whole', (inp, problems) => {
    expect(reviewInputProblems(inp)).toEqual(problems);
  });

  it('names a reviewer history limit that is not a whole number of at least 20', () => {
    expect(reviewInputProblems({ ...good(), reviewerHistoryLimit: 40 })).toEqual([]);
    for (const bad of [5, 40.5, '40']) expect(reviewInputProblems({ ...good(), reviewerHistoryLimit: bad })).toEqual(['reviewerHistoryLimit is not a whole number of at least 20']);
  });

  it('says when the review is not an object at all', () => {
    expect(reviewInputProblems({ ...good(), review: 'quarterly-prod' })).toEqual(['review is not an object']);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['name', { name: 'Quarterly--Prod' }, 'review.name is not a review name'],
    ['accounts', { accounts: ['prod', 'staging'] }, 'review.accounts is not a list of account ids'],
    ['accounts', { accounts: [PROD, 222222222222] }, 'review.accounts is not a list of account ids'],
    ['accountRefs', { accountRefs: [{ accountId: PROD, executionRoleArn: 'arn:aws:iam::111111111111:role/SafeguardExecution', externalId: 'x' }] }, 'review.accountRefs does not match review.accounts'],
    ['accountRefs', { accountRefs: [{ accountId: STAGING }, { accountId: PROD }] }, 'review.accountRefs does not match review.accounts'],
    ['owners', { owners: { tag: 'owner' } }, 'review.owners is not an owner mapping'],
    ['escalation', { escalation: '' }, 'review.escalation is not a group id'],
    ['escalationMembers', { escalationMembers: ['Carol Smith'] }, 'review.escalationMembers is not a list of person ids'],
    ['deadlineMs', { deadlineMs: 0 }, 'review.deadlineMs is not a duration'],
    ['remindEveryMs', { remindEveryMs: '2d' }, 'review.remindEveryMs is not a duration'],
    ['escalateAfterMs', { escalateAfterMs: -1 }, 'review.escalateAfterMs is not a duration'],
    ['keyMaxAgeMs', { keyMaxAgeMs: Number.NaN }, 'review.keyMaxAgeMs is not a duration'],
    ['unusedAfterMs', { unusedAfterMs: undefined }, 'review.unusedAfterMs is not a duration'],
    ['defaultAction', { defaultAction: 'delete-user' }, 'review.defaultAction is not a default action'],
    ['exempt', { exempt: {} }, 'review.exempt is not a list'],
    ['identityCenter', { identityCenter: 'true' }, 'review.identityCenter is not true or false'],
  ])('names a broken review.%s', (_field, over, problem) => {
    const input = good();
    expect(reviewInputProblems({ ...input, review: { ...input.review, ...over } })).toEqual([problem]);
  });

  it('names both when the account list is empty: nothing to review, and refs that match nothing', () => {
    const input = good();
    expect(reviewInputProblems({ ...input, review: { ...input.review, accounts: [] } })).toEqual(['review.accounts is not a list of account ids', 'review.accountRefs does not match review.accounts']);
  });

  it('names the common fields too, alongside a broken review field', () => {
    const input = good();
    expect(reviewInputProblems({ ...input, requestedBy: 'Alice', security: 'carol', review: { ...input.review, defaultAction: 'nuke' } })).toEqual([
      'requestedBy is not a person id or "schedule"',
      'security is not a list of person ids',
      'review.defaultAction is not a default action',
    ]);
  });
});

describe('access review run ids', () => {
  it.each([
    'review-quarterly-prod-1a2b3c4d',
    'review-quarterly-prod-2026-03-01T09:00:00Z',
    'review-quarterly-prod-1a2b3c4d--person-alice',
    'review-quarterly-prod-1a2b3c4d--group-platform',
    'review-quarterly-prod-1a2b3c4d--group-platform-p2',
    'review-quarterly-prod-2026-03-01T09:00:00Z--group-platform-p2',
    `review-quarterly-prod-1a2b3c4d--group-p${'x'.repeat(31)}-p2`,
  ])('accepts %s as an access review run id', (id) => {
    expect(kindOfWorkflowId(id)).toBe('access-review');
    expect(assertRunId(id, ['access-review'])).toBe('access-review');
  });

  it.each([
    'review--x',
    'review-quarterly--prod-1a2b3c4d',
    'review-quarterly-prod-1a2b3c4d--robot-alice',
    'review-quarterly-prod-1a2b3c4d--person-Alice',
    'review-Quarterly-1a2b3c4d',
  ])('refuses %s, naming what review ids look like', (id) => {
    expect(kindOfWorkflowId(id)).toBeUndefined();
    const err = safeguardError(() => assertRunId(id, ['access-review']));
    expect(err.code).toBe('INVALID_ID');
    expect(err.message).toContain('(they look like review-quarterly-prod-1a2b3c4d)');
  });

  it('builds review, reviewer and scheduled ids that the pattern accepts', () => {
    const id = accessReviewId('quarterly-prod', '1a2b3c4d');
    expect(id).toBe('review-quarterly-prod-1a2b3c4d');
    expect(reviewerWorkflowId(id, { type: 'person', id: 'alice' })).toBe('review-quarterly-prod-1a2b3c4d--person-alice');
    expect(kindOfWorkflowId(reviewerWorkflowId(id, { type: 'group', id: 'platform' }))).toBe('access-review');
    expect(scheduledRunId('access-review', 'quarterly-prod')).toBe('review-quarterly-prod');
    expect(policyScheduleId('access-review', 'quarterly-prod')).toBe('safeguard-review-quarterly-prod');
  });
});

describe('parseDecideArgs', () => {
  const ARN = `arn:aws:iam::${PROD}:user/alice-admin`;

  it('builds per-item decisions for every --item, with the reason, from the CLI', () => {
    expect(parseDecideArgs('revoke', { item: [ARN, 'reporter'], reason: 'left the team' })).toEqual({
      items: [{ item: ARN, decision: 'revoke' }, { item: 'reporter', decision: 'revoke' }],
      reason: 'left the team',
      via: 'cli',
    });
    expect(parseDecideArgs('keep', { item: [ARN] })).toEqual({ items: [{ item: ARN, decision: 'keep' }], via: 'cli' });
  });

  it('builds a bulk choice', () => {
    expect(parseDecideArgs(undefined, { bulk: 'revoke-flagged', reason: 'quarterly clean-up' })).toEqual({ bulk: 'revoke-flagged', reason: 'quarterly clean-up', via: 'cli' });
    expect(parseDecideArgs(undefined, { bulk: 'keep-unflagged', item: [] })).toEqual({ bulk: 'keep-unflagged', via: 'cli' });
  });

  it.each<[string, string | undefined, { item?: string[]; bulk?: string; reason?: string }, string]>([
    ['--bulk with --item', undefined, { bulk: 'keep-all', item: [ARN] }, '--bulk decides every undecided item it covers: give no --item and no keep|revoke'],
    ['--bulk with a decision', 'keep', { bulk: 'keep-all' }, '--bulk decides every undecided item it covers: give no --item and no keep|revoke'],
    ['an unknown bulk choice', undefined, { bulk: 'revoke-everything' }, '--bulk must be one of keep-unflagged, revoke-flagged, keep-all, revoke-all, not "revoke-everything"'],
    ['no item and no bulk', 'keep', {}, 'name the item with --item <principal ARN or name> (repeatable), or use --bulk'],
    ['an empty item list', 'keep', { item: [] }, 'name the item with --item <principal ARN or name> (repeatable), or use --bulk'],
    ['items without a decision', undefined, { item: [ARN] }, 'the decision must be keep or revoke, not ""'],
    ['a decision other than keep or revoke', 'approve', { item: [ARN] }, 'the decision must be keep or revoke, not "approve"'],
    ['an item reason over 1000 characters', 'keep', { item: [ARN], reason: 'r'.repeat(1001) }, '--reason is at most 1000 characters'],
    ['a bulk reason over 1000 characters', undefined, { bulk: 'keep-all', reason: 'r'.repeat(1001) }, '--reason is at most 1000 characters'],
  ])('refuses %s with INVALID_OPTION', (_what, decision, o, message) => {
    const err = safeguardError(() => parseDecideArgs(decision, o));
    expect(err.code).toBe('INVALID_OPTION');
    expect(err.message).toBe(message);
  });
});

// ---- reviewer runs, as the workflow's status query returns them ----

const ITEM_ARN = (name: string, account = PROD) => `arn:aws:iam::${account}:user/${name}`;
const counts = (over: Partial<ReviewerCounts> = {}): ReviewerCounts => ({ items: 3, flagged: 1, decided: 1, kept: 1, revoked: 0, defaulted: 0, applied: 0, verified: 0, failed: 0, ...over });
const view = (name: string, over: Partial<ReviewerItemView> = {}): ReviewerItemView => reviewItem(name, { accountId: PROD, route: 'account-group', ...over });

const run = (workflowId: string, items: ReviewerItemView[], over: Partial<AccessReviewerStatus> = {}): AccessReviewerStatus =>
  reviewerStatus(items, {
    workflowId,
    reviewer: { type: 'group', id: 'platform' },
    deciders: ['alice', 'dave'],
    mayDecide: ['alice', 'dave'],
    deadlineAt: '2026-03-15T09:00:00.000Z',
    escalateAt: '2026-03-08T09:00:00.000Z',
    ...over,
  });

const PLATFORM = 'review-quarterly-prod-1a2b3c4d--group-platform';
const DATA = 'review-quarterly-prod-1a2b3c4d--group-data';
const runs = (): AccessReviewerStatus[] => [
  run(PLATFORM, [view('alice-admin', { holder: 'alice', findings: ['admin-on-human'] }), view('reporter'), view('deploy', { key: `arn:aws:iam::${PROD}:role/deploy`, type: 'role' })]),
  run(DATA, [view('etl'), view('reporter', { key: ITEM_ARN('reporter', STAGING), accountId: STAGING })], { reviewer: { type: 'group', id: 'data' } }),
];

describe('resolveItem', () => {
  it('finds an item by its key, in whichever run holds it', () => {
    expect(resolveItem(runs(), ITEM_ARN('reporter', STAGING))).toEqual({ run: DATA, key: ITEM_ARN('reporter', STAGING) });
    expect(resolveItem(runs(), `arn:aws:iam::${PROD}:role/deploy`)).toEqual({ run: PLATFORM, key: `arn:aws:iam::${PROD}:role/deploy` });
  });

  it('finds an item by a name unique among the runs', () => {
    expect(resolveItem(runs(), 'etl')).toEqual({ run: DATA, key: ITEM_ARN('etl') });
  });

  it('refuses a name several items share, listing their keys', () => {
    const err = safeguardError(() => resolveItem(runs(), 'reporter'));
    expect(err.code).toBe('INVALID_OPTION');
    expect(err.message).toBe(`"reporter" names 2 items (${ITEM_ARN('reporter')}, ${ITEM_ARN('reporter', STAGING)}): give the ARN`);
  });

  it('refuses an item in none of the runs as UNKNOWN_TARGET', () => {
    const err = safeguardError(() => resolveItem(runs(), 'mallory'));
    expect(err.code).toBe('UNKNOWN_TARGET');
    expect(err.message).toBe('"mallory" is not one of your items in this review');
  });
});

describe('review views', () => {
  const status = (over: Partial<AccessReviewStatus> = {}): AccessReviewStatus & { execution: { status: string }; progress: Array<{ accountId: string; what: string; count: number }> } => ({
    workflowId: 'review-quarterly-prod-1a2b3c4d',
    kind: 'access-review',
    review: 'quarterly-prod',
    requestedBy: 'alice',
    view: { title: 'Access review', target: 'quarterly-prod', phase: 'reviewing', startedAt: '2026-03-01T09:00:00.000Z', steps: [{ name: 'inventory', state: 'done' }], facts: [] },
    timeline: [],
    accounts: [{ accountId: PROD, principals: 40, inventory: { sha256: 'a'.repeat(64), bytes: 100, label: 'inventory' }, rootFindings: ['root-without-mfa'] }],
    totals: { principals: 40, flagged: 6, exempt: 1, findings: { 'access-key-old': 4, 'console-without-mfa': 2 } },
    reviewers: [
      { reviewer: { type: 'group', id: 'platform' }, workflowId: PLATFORM, items: 30, flagged: 5 },
      { reviewer: { type: 'person', id: 'bob' }, workflowId: 'review-quarterly-prod-1a2b3c4d--person-bob', items: 9, flagged: 1, result: { reviewer: { type: 'person', id: 'bob' }, workflowId: 'review-quarterly-prod-1a2b3c4d--person-bob', counts: counts({ items: 9, kept: 6, revoked: 2, defaulted: 1, applied: 3, verified: 3 }), escalated: false, outcome: { sha256: 'b'.repeat(64), bytes: 1, label: 'outcome' }, finishedAt: '2026-03-10T00:00:00.000Z' } },
    ],
    deadlineAt: '2026-03-15T09:00:00.000Z',
    execution: { status: 'RUNNING' },
    progress: [],
    ...over,
  });

  it("shows the review's totals, root findings and each reviewer's progress", () => {
    const text = formatReviewStatus(status());
    expect(text).toContain('review-quarterly-prod-1a2b3c4d  access review quarterly-prod  reviewing');
    expect(text).toContain('principals 40, flagged 6, exempt 1 — access-key-old 4, console-without-mfa 2');
    expect(text).toContain(`root of ${PROD}: root-without-mfa`);
    expect(text).toContain(`reviewer group platform: 30 item(s), 5 flagged — reviewing  (${PLATFORM})`);
    expect(text).toContain('reviewer person bob: 9 item(s), 1 flagged — 6 kept, 2 revoked, 1 defaulted, 3/3 verified');
  });

  it('shows inventory progress while the inventory runs', () => {
    const { totals: _totals, ...inventorying } = status({ reviewers: [] });
    const text = formatReviewStatus({ ...inventorying, progress: [{ accountId: PROD, what: 'users', count: 1200 }] });
    expect(text).toContain(`inventory ${PROD}: 1200 users`);
    expect(text).not.toContain('principals');
  });

  it('lists items with findings and decisions, marking the reader\'s own access and runs they may not decide in', () => {
    const platform = run(PLATFORM, [
      view('alice-admin', { holder: 'alice', findings: ['admin-on-human'] }),
      view('reporter', { decision: { decision: 'keep', by: 'dave', at: '2026-03-02T00:00:00.000Z', bulk: 'keep-unflagged' } }),
      view('old', { defaulted: 'disable-keys', receipt: { key: ITEM_ARN('old'), actions: ['disable-keys'], steps: [], verified: false, verifiedAt: '2026-03-15T09:01:00.000Z', remaining: ['key AKIA…1 still Active'] } }),
    ]);
    const asAlice = formatReviewerItems([platform], 'alice').split('\n');
    expect(asAlice[0]).toBe(`${PLATFORM}  group platform  reviewing  1/3 decided, 1 flagged, deadline 2026-03-15T09:00:00.000Z`);
    expect(asAlice[1]).toBe(`  ! ${ITEM_ARN('alice-admin')}  admin-on-human  undecided  (your own access: someone else decides it)`);
    expect(asAlice[2]).toBe(`    ${ITEM_ARN('reporter')}  -  keep by dave (keep-unflagged)`);
    expect(asAlice[3]).toBe(`    ${ITEM_ARN('old')}  -  default disable-keys, NOT verified: key AKIA…1 still Active`);
    expect(formatReviewerItems([platform], 'bob').split('\n')[0]).toMatch(/ {2}— bob may not decide here$/);
  });

  it('marks no item as the reader\'s own access when no reader is named', () => {
    const text = formatReviewerItems([run(PLATFORM, [view('reporter'), view('alice-admin', { holder: 'alice' })])], undefined);
    expect(text).not.toContain('your own access');
    expect(text).not.toContain('may not decide here');
  });

  it('says when there are no reviewer runs yet', () => {
    expect(formatReviewerItems([], 'alice')).toBe('no reviewer runs yet (the inventory may still be running): safeguard review status <id>');
  });
});

describe('roleArnOfCaller', () => {
  it.each([
    ['arn:aws:sts::123456789012:assumed-role/SafeguardBroker/worker-1', 'arn:aws:iam::123456789012:role/SafeguardBroker'],
    ['arn:aws:sts::123456789012:assumed-role/SafeguardBroker/alice@example.com', 'arn:aws:iam::123456789012:role/SafeguardBroker'],
    ['arn:aws-us-gov:sts::123456789012:assumed-role/SafeguardBroker/worker', 'arn:aws-us-gov:iam::123456789012:role/SafeguardBroker'],
    ['arn:aws-cn:sts::123456789012:assumed-role/SafeguardBroker/worker', 'arn:aws-cn:iam::123456789012:role/SafeguardBroker'],
  ])('turns the session %s into its role %s', (caller, role) => {
    expect(roleArnOfCaller(caller)).toBe(role);
  });

  it.each([
    'arn:aws:iam::123456789012:user/safeguard-worker',
    'arn:aws:iam::123456789012:role/SafeguardBroker',
    'arn:aws:sts::123456789012:assumed-role/SafeguardBroker',
    '',
  ])('leaves %j as it is', (caller) => {
    expect(roleArnOfCaller(caller)).toBe(caller);
  });
});
