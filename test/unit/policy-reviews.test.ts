// reviews.access: each review parses to the workflow's shape (durations in milliseconds, defaults
// filled in), every bad input fails with the file, line, field and a specific message, and the
// cross-checks (accounts, fallback and escalation groups, names shared with other scheduled targets)
// error or warn as the policy section says.
import { parsePolicy } from '../../config/policy';
import { editLines, issueAt, issuesOf, validPolicy } from '../support/policy-text';
import type { Edit } from '../support/policy-text';

const D = 86_400_000;
const PROD = '111111111111';
const STAGING = '222222222222';

// Tests edit single lines, so line numbers in assertions refer to this list.
const BASE: readonly string[] = [
  /* 1 */ 'version: 2',
  /* 2 */ 'groups:',
  /* 3 */ '  - id: platform',
  /* 4 */ '  - id: data',
  /* 5 */ '  - id: security',
  /* 6 */ '  - id: empty',
  /* 7 */ 'people:',
  /* 8 */ '  - { id: alice, name: Alice, groups: [platform] }',
  /* 9 */ '  - { id: bob, name: Bob, groups: [data] }',
  /* 10 */ '  - { id: carol, name: Carol, groups: [security] }',
  /* 11 */ '  - { id: dave, name: Dave, groups: [security] }',
  /* 12 */ 'accounts:',
  /* 13 */ '  - id: "111111111111"',
  /* 14 */ '    name: prod',
  /* 15 */ '    executionRoleArn: arn:aws:iam::111111111111:role/SafeguardExecution',
  /* 16 */ '    externalId: safeguard-prod',
  /* 17 */ '  - id: "222222222222"',
  /* 18 */ '    name: staging',
  /* 19 */ '    executionRoleArn: arn:aws:iam::222222222222:role/SafeguardExecution',
  /* 20 */ '    externalId: safeguard-staging',
  /* 21 */ 'security:',
  /* 22 */ '  groups: [security]',
  /* 23 */ 'reviews:',
  /* 24 */ '  channel: C0REVIEWS',
  /* 25 */ '  access:',
  /* 26 */ '    - name: quarterly-prod',
  /* 27 */ '      accounts: ["111111111111", "222222222222"]',
  /* 28 */ '      owners:',
  /* 29 */ '        tag: team-owner',
  /* 30 */ '        fallback: { "111111111111": platform, "222222222222": data }',
  /* 31 */ '      escalation: security',
  /* 32 */ '      deadline: 14d',
  /* 33 */ '      remindEvery: 2d',
  /* 34 */ '      escalateAfter: 7d',
  /* 35 */ '      defaultAction: disable-keys',
  /* 36 */ '      exempt:',
  /* 37 */ '        - principal: arn:aws:iam::111111111111:role/OrganizationAccountAccessRole',
  /* 38 */ '          reason: managed by AWS Organizations, reviewed yearly',
  /* 39 */ '      keyMaxAge: 60d',
  /* 40 */ '      unusedAfter: 30d',
  /* 41 */ '      identityCenter: true',
  /* 42 */ '      schedule: { cron: "0 9 1 */3 *" }',
  /* 43 */ '    - name: staging-light',
  /* 44 */ '      accounts: ["222222222222"]',
  /* 45 */ '      owners: { fallback: { "222222222222": data } }',
  /* 46 */ '      escalation: security',
  /* 47 */ '      deadline: 7d',
  /* 48 */ '      remindEvery: 1d',
  /* 49 */ '      escalateAfter: 3d',
  /* 50 */ '      defaultAction: report-only',
];

const policyText = (...edits: Edit[]): string => editLines(BASE, edits);
const issue = (line: number, field: string, message: string) => ({ file: 'p.yaml', line, field, message });

describe('policy reviews.access: valid files', () => {
  it("parses each review to the workflow's shape, durations in milliseconds", () => {
    const reviews = validPolicy(policyText()).reviews;
    expect(reviews.channel).toBe('C0REVIEWS');
    expect(reviews.access[0]).toEqual({
      name: 'quarterly-prod',
      accounts: [PROD, STAGING],
      owners: { tag: 'team-owner', fallback: { [PROD]: 'platform', [STAGING]: 'data' } },
      escalation: 'security',
      deadlineMs: 14 * D,
      remindEveryMs: 2 * D,
      escalateAfterMs: 7 * D,
      defaultAction: 'disable-keys',
      exempt: [{ principal: `arn:aws:iam::${PROD}:role/OrganizationAccountAccessRole`, reason: 'managed by AWS Organizations, reviewed yearly' }],
      keyMaxAgeMs: 60 * D,
      unusedAfterMs: 30 * D,
      identityCenter: true,
      schedule: { cron: '0 9 1 */3 *' },
    });
  });

  it("fills in the defaults: owner tag 'owner', 90-day key age and unused limits, no Identity Center, no exemptions, no schedule", () => {
    expect(validPolicy(policyText()).reviews.access[1]).toEqual({
      name: 'staging-light',
      accounts: [STAGING],
      owners: { tag: 'owner', fallback: { [STAGING]: 'data' } },
      escalation: 'security',
      deadlineMs: 7 * D,
      remindEveryMs: D,
      escalateAfterMs: 3 * D,
      defaultAction: 'report-only',
      exempt: [],
      keyMaxAgeMs: 90 * D,
      unusedAfterMs: 90 * D,
      identityCenter: false,
    });
  });

  it('has no warnings for a consistent section', () => {
    const result = parsePolicy(policyText(), 'p.yaml');
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });

  it('gives a policy without a reviews section an empty list, and a section with only a channel too', () => {
    expect(validPolicy(`${BASE.slice(0, 22).join('\n')}\n`).reviews).toEqual({ access: [] });
    expect(validPolicy(`${BASE.slice(0, 24).join('\n')}\n`).reviews).toEqual({ channel: 'C0REVIEWS', access: [] });
  });

  it('accepts an every-schedule, Identity Center and glob exemptions, and each default action', () => {
    const p = validPolicy(
      policyText(
        { line: 38, insertAfter: [`        - { principal: "sso:${PROD}:AdministratorAccess:GROUP:*", reason: "break-glass group, reviewed by security" }`, `        - { principal: "arn:aws:iam::*:role/aws-reserved/*", reason: "roles AWS creates for SSO itself" }`] },
        { line: 42, text: '      schedule: { every: 90d }' },
      ),
    );
    expect(p.reviews.access[0]?.schedule).toEqual({ everyMs: 90 * D });
    expect(p.reviews.access[0]?.exempt.map((e) => e.principal)).toEqual([`arn:aws:iam::${PROD}:role/OrganizationAccountAccessRole`, `sso:${PROD}:AdministratorAccess:GROUP:*`, 'arn:aws:iam::*:role/aws-reserved/*']);
    for (const action of ['report-only', 'disable-keys', 'remove-console', 'detach-policies']) {
      expect(validPolicy(policyText({ line: 35, text: `      defaultAction: ${action}` })).reviews.access[0]?.defaultAction).toBe(action);
    }
  });
});

describe('policy reviews.access: errors name the file, line and field', () => {
  it.each([
    [26, '    - name: Quarterly_Prod', 'reviews.access[0].name', '"Quarterly_Prod" is not a valid review name (lowercase letters, digits and single hyphens, 2-32, starting with a letter)'],
    [26, '    - name: quarterly--prod', 'reviews.access[0].name', '"quarterly--prod" is not a valid review name (lowercase letters, digits and single hyphens, 2-32, starting with a letter)'],
    [26, '    - name: quarterly-prod-', 'reviews.access[0].name', '"quarterly-prod-" is not a valid review name (lowercase letters, digits and single hyphens, 2-32, starting with a letter)'],
    [26, `    - name: q${'x'.repeat(32)}`, 'reviews.access[0].name', expect.stringMatching(/is not a valid review name/)],
    [35, '      defaultAction: delete-user', 'reviews.access[0].defaultAction', 'defaultAction must be one of report-only, disable-keys, remove-console, detach-policies'],
    [37, '        - principal: arn:aws:s3:::phi-bucket', 'reviews.access[0].exempt[0].principal', '"arn:aws:s3:::phi-bucket" is not an IAM ARN (arn:aws:iam::<account>:user/<name>, * allowed) or sso:<account>:<permission set>:<USER|GROUP>:<id>'],
    [37, '        - principal: sso:111111111111:Admin:ROLE:x', 'reviews.access[0].exempt[0].principal', expect.stringMatching(/^"sso:111111111111:Admin:ROLE:x" is not an IAM ARN/)],
    [38, '          reason: legacy', 'reviews.access[0].exempt[0].reason', 'exempt.reason must say why (at least 10 characters): auditors read it'],
    [29, '        tag: "owner tag!"', 'reviews.access[0].owners.tag', 'owners.tag "owner tag!" is not an IAM tag key'],
    [32, '      deadline: two weeks', 'reviews.access[0].deadline', expect.stringMatching(/"two weeks" is not a duration/)],
    [41, '      identityCenter: yes please', 'reviews.access[0].identityCenter', 'identityCenter must be true or false'],
    [30, '        fallback: { "111111111111": platform, "2222": data }', 'reviews.access[0].owners.fallback.2222', 'owners.fallback must map account ids to group ids'],
    [30, '        fallback: { "111111111111": platform, "222222222222": Data Team }', 'reviews.access[0].owners.fallback.222222222222', expect.stringMatching(/^"Data Team" is not a valid group id/)],
  ])('rejects line %d: %s', (line, text, field, message) => {
    expect(issueAt(policyText({ line, text }), field)).toEqual(issue(line, field, message));
  });

  it('rejects an unknown field in a review', () => {
    expect(issueAt(policyText({ line: 41, insertAfter: ['      owner: alice'] }), 'reviews.access[0].owner')).toEqual(issue(42, 'reviews.access[0].owner', 'unknown field "owner"'));
  });

  it('rejects an undeclared account', () => {
    expect(issuesOf(policyText({ line: 27, text: '      accounts: ["111111111111", "333333333333"]' }))).toEqual([issue(27, 'reviews.access[0].accounts[1]', 'unknown account "333333333333" (declare it under accounts)')]);
  });

  it('rejects an account listed twice', () => {
    expect(issueAt(policyText({ line: 27, text: '      accounts: ["111111111111", "111111111111"]' }), 'reviews.access[0].accounts[1]')).toEqual(
      issue(27, 'reviews.access[0].accounts[1]', 'account 111111111111 is listed twice'),
    );
  });

  it('rejects an account without a fallback group', () => {
    expect(issuesOf(policyText({ line: 30, text: '        fallback: { "111111111111": platform }' }))).toEqual([
      issue(30, 'reviews.access[0].owners.fallback', 'account 222222222222 has no fallback group: principals without an owner tag would have no reviewer'),
    ]);
  });

  it('rejects an undeclared fallback group, at the account it is the fallback of', () => {
    expect(issuesOf(policyText({ line: 30, text: '        fallback: { "111111111111": platform, "222222222222": sre }' }))).toEqual([
      issue(30, 'reviews.access[0].owners.fallback.222222222222', 'unknown group "sre" (declare it under groups)'),
    ]);
  });

  it('rejects a fallback group with no members', () => {
    expect(issuesOf(policyText({ line: 45, text: '      owners: { fallback: { "222222222222": empty } }' }))).toEqual([
      issue(45, 'reviews.access[1].owners.fallback.222222222222', 'group "empty" has no members: nobody could review account 222222222222'),
    ]);
  });

  it('rejects an escalation group with no members', () => {
    expect(issueAt(policyText({ line: 46, text: '      escalation: empty' }), 'reviews.access[1].escalation').message).toBe('escalation group "empty" has no members: self-reviews and late reviewers would reach nobody');
  });

  it('warns, without failing, about a one-person escalation group: their own access can only be defaulted', () => {
    const result = parsePolicy(policyText({ line: 31, text: '      escalation: data' }), 'p.yaml');
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([issue(31, 'reviews.access[0].escalation', expect.stringMatching(/^escalation group "data" has one member \(\w+\): their own access can only get the default action$/))]);
  });

  it('rejects an undeclared escalation group, at the escalation field', () => {
    expect(issuesOf(policyText({ line: 31, text: '      escalation: nobody' }))).toEqual([issue(31, 'reviews.access[0].escalation', 'unknown group "nobody" (declare it under groups)')]);
  });

  it.each([
    ['14d', 'escalateAfter 14d must be shorter than deadline 14d: escalation is what happens before the default action'],
    ['20d', 'escalateAfter 20d must be shorter than deadline 14d: escalation is what happens before the default action'],
    ['336h', 'escalateAfter 336h must be shorter than deadline 14d: escalation is what happens before the default action'],
  ])('rejects escalateAfter %s with a 14d deadline, quoting both as written', (after, message) => {
    expect(issuesOf(policyText({ line: 34, text: `      escalateAfter: ${after}` }))).toEqual([issue(34, 'reviews.access[0].escalateAfter', message)]);
  });

  it("rejects a review named like a rotation target or a drill (`safeguard schedules` names them alike)", () => {
    const rotation = `${policyText()}rotation:\n  kmsKeys:\n    - { name: quarterly-prod, account: "111111111111", key: alias/phi, rotationPeriod: 365d }\n`;
    expect(issueAt(rotation, 'reviews.access[0].name')).toEqual(issue(26, 'reviews.access[0].name', '"quarterly-prod" is also a rotation target\'s or drill\'s name; `safeguard schedules` could not tell them apart'));
    const drill = [
      'drills:',
      '  restore:',
      '    - name: staging-light',
      '      account: "222222222222"',
      '      source: { type: rds-snapshot, dbInstance: orders-db }',
      '      validation: { type: ssm-command, instance: i-0123456789abcdef0, document: Safeguard-ValidateOrders }',
      '      rto: 1h',
      '      rpo: 1d',
      '      maxDuration: 2h',
    ].join('\n');
    expect(issuesOf(`${policyText()}${drill}\n`)).toEqual([issue(43, 'reviews.access[1].name', '"staging-light" is also a rotation target\'s or drill\'s name; `safeguard schedules` could not tell them apart')]);
  });

  it('rejects a review name used twice, naming the first', () => {
    expect(issuesOf(policyText({ line: 43, text: '    - name: quarterly-prod' }))).toEqual([issue(43, 'reviews.access[1].name', 'duplicate review name "quarterly-prod" (also reviews.access[0])')]);
  });
});

describe('policy reviews.access: warnings', () => {
  it.each([
    ['2d', undefined],
    ['7d', 'remindEvery 7d is not shorter than the deadline: nobody is reminded'],
    ['10d', 'remindEvery 10d is not shorter than the deadline: nobody is reminded'],
  ])('warns, without failing, when remindEvery %s is not shorter than a 7d deadline', (every, message) => {
    const result = parsePolicy(policyText({ line: 48, text: `      remindEvery: ${every}` }), 'p.yaml');
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual(message ? [issue(48, 'reviews.access[1].remindEvery', message)] : []);
  });

  it("warns about an exemption outside the review's accounts: it never applies", () => {
    const result = parsePolicy(policyText({ line: 37, text: '        - principal: arn:aws:iam::999999999999:user/legacy' }), 'p.yaml');
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([issue(37, 'reviews.access[0].exempt[0].principal', "arn:aws:iam::999999999999:user/legacy is not in one of this review's accounts; the exemption never applies")]);
  });

  it("warns about an Identity Center exemption outside the review's accounts, and not about one for any account", () => {
    const outside = parsePolicy(policyText({ line: 37, text: '        - principal: "sso:999999999999:ReadOnly:USER:abc"' }), 'p.yaml');
    expect(outside.warnings).toEqual([issue(37, 'reviews.access[0].exempt[0].principal', "sso:999999999999:ReadOnly:USER:abc is not in one of this review's accounts; the exemption never applies")]);
    const anyAccount = parsePolicy(policyText({ line: 37, text: '        - principal: "sso:*:ReadOnly:USER:abc"' }), 'p.yaml');
    expect(anyAccount).toMatchObject({ ok: true, warnings: [] });
  });

  it("warns about a fallback group for an account outside the review: it is never used", () => {
    const result = parsePolicy(policyText({ line: 45, text: '      owners: { fallback: { "222222222222": data, "111111111111": platform } }' }), 'p.yaml');
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([issue(45, 'reviews.access[1].owners.fallback.111111111111', "account 111111111111 is not one of this review's accounts; its fallback group is never used")]);
  });
});

describe('policy reviews.access: identityCenterAccount', () => {
  it('names the declared account holding the instance', () => {
    const review = validPolicy(policyText({ line: 41, text: `      identityCenter: true\n      identityCenterAccount: "${STAGING}"` })).reviews.access[0]!;
    expect(review).toMatchObject({ identityCenter: true, identityCenterAccount: STAGING });
  });

  it('rejects an undeclared account, at the field', () => {
    expect(issueAt(policyText({ line: 41, text: '      identityCenter: true\n      identityCenterAccount: "999999999999"' }), 'reviews.access[0].identityCenterAccount').message).toBe('unknown account "999999999999" (declare it under accounts)');
  });

  it('warns when set without identityCenter: nothing would read it', () => {
    const result = parsePolicy(policyText({ line: 41, text: `      identityCenter: false\n      identityCenterAccount: "${PROD}"` }), 'p.yaml');
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([issue(42, 'reviews.access[0].identityCenterAccount', 'identityCenterAccount is set but identityCenter is false: assignments are not reviewed')]);
  });
});
