import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  approverPool,
  canRequest,
  findPersonByAwsArn,
  findPersonById,
  findPersonBySlackId,
  formatIssue,
  getRole,
  loadPolicyFile,
  parsePolicy,
  peopleInGroups,
  PolicyError,
  requestableRoles,
  securityPeople,
} from '../../config/policy';
import type { Policy } from '../../config/policy';
import { POLICY_JSON_SCHEMA_PATH, renderPolicyJsonSchema } from '../../config/write-json-schema';
import { editLines, issueAt, issuesOf, validPolicy } from '../support/policy-text';
import type { Edit } from '../support/policy-text';

const ROOT = join(__dirname, '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'policy.yaml');
const QUORUM_2_OF_3 = join(ROOT, 'test', 'fixtures', 'policies', 'quorum-2-of-3.yaml');

const M = 60_000;
const H = 60 * M;

// A small valid policy; tests edit single lines, so line numbers in assertions refer to this list.
const BASE: readonly string[] = [
  /* 1 */ 'version: 2',
  /* 2 */ 'groups:',
  /* 3 */ '  - id: oncall',
  /* 4 */ '  - id: security',
  /* 5 */ '  - id: leads',
  /* 6 */ 'people:',
  /* 7 */ '  - id: alice',
  /* 8 */ '    name: Alice',
  /* 9 */ '    slackId: U0000ALICE',
  /* 10 */ '    awsPrincipals: ["arn:aws:iam::123456789012:user/alice"]',
  /* 11 */ '    groups: [oncall]',
  /* 12 */ '  - id: bob',
  /* 13 */ '    name: Bob',
  /* 14 */ '    slackId: U00000BOB',
  /* 15 */ '    awsPrincipals: ["arn:aws:iam::123456789012:user/bob"]',
  /* 16 */ '    groups: [leads]',
  /* 17 */ '  - id: carol',
  /* 18 */ '    name: Carol',
  /* 19 */ '    slackId: U000CAROL',
  /* 20 */ '    awsPrincipals: ["arn:aws:iam::123456789012:user/carol"]',
  /* 21 */ '    groups: [security]',
  /* 22 */ 'accounts:',
  /* 23 */ '  - id: "123456789012"',
  /* 24 */ '    name: sandbox',
  /* 25 */ '    executionRoleArn: arn:aws:iam::123456789012:role/SafeguardExecution',
  /* 26 */ '    externalId: safeguard-sandbox',
  /* 27 */ 'security:',
  /* 28 */ '  groups: [security]',
  /* 29 */ 'breakGlass:',
  /* 30 */ '  roles:',
  /* 31 */ '    - name: BreakGlassAdmin',
  /* 32 */ '      account: "123456789012"',
  /* 33 */ '      roleArn: arn:aws:iam::123456789012:role/BreakGlassAdmin',
  /* 34 */ '      requesters: [oncall]',
  /* 35 */ '      approvers: [leads, security]',
  /* 36 */ '      quorum: 1',
  /* 37 */ '      mode: approval',
  /* 38 */ '      defaultDuration: 30m',
  /* 39 */ '      maxDuration: 4h',
  /* 40 */ '      approvalTimeout: 15m',
];

function policyText(...edits: Edit[]): string {
  return editLines(BASE, edits);
}

const example = (): Policy => loadPolicyFile(EXAMPLE);

describe('policy: valid files', () => {
  it('accepts the base policy used by these tests', () => {
    expect(validPolicy(policyText()).breakGlass.roles).toHaveLength(1);
  });

  it('fills in an absent rotation section with empty lists', () => {
    const policy = validPolicy(policyText());
    expect(policy.rotation).toEqual({ accessKeys: [], kmsKeys: [] });
  });

  it('fills in an absent breakGlass section with no roles', () => {
    const policy = validPolicy(BASE.slice(0, 28).join('\n'));
    expect(policy.breakGlass).toEqual({ roles: [] });
  });

  it('parses examples/policy.yaml to the expected values', () => {
    const policy = example();
    expect(policy.version).toBe(2);
    expect(policy.groups.map((g) => g.id)).toEqual(['oncall', 'security', 'leads', 'auditors']);
    expect(policy.people.map((p) => p.id)).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(findPersonById(policy, 'alice')).toEqual({
      id: 'alice',
      name: 'Alice Example',
      email: 'alice@example.com',
      slackId: 'U0000ALICE',
      awsPrincipals: ['arn:aws:iam::123456789012:user/alice'],
      groups: ['oncall'],
    });
    expect(policy.accounts).toEqual([
      {
        id: '123456789012',
        name: 'sandbox',
        executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecution',
        externalId: 'safeguard-sandbox',
      },
    ]);
    expect(policy.security).toEqual({ groups: ['security'] });
    expect(policy.breakGlass.roles.map((r) => r.name)).toEqual(['BreakGlassAdmin', 'BreakGlassReadOnly', 'PostHocAdmin']);

    expect(getRole(policy, 'BreakGlassAdmin')).toEqual({
      name: 'BreakGlassAdmin',
      account: '123456789012',
      roleArn: 'arn:aws:iam::123456789012:role/BreakGlassAdmin',
      description: 'Full administrator access to the sandbox account',
      requesters: ['oncall'],
      approvers: ['leads', 'security'],
      quorum: 1,
      mode: 'approval',
      defaultDurationMs: 30 * M,
      maxDurationMs: 4 * H,
      approvalTimeoutMs: 15 * M,
      reminderIntervalMs: 5 * M,
      idleLimitMs: 30 * M,
      reasonMinLength: 10,
      ticketRequired: false,
      ssmTargets: ['i-0123456789abcdef0'],
      stepUp: false,
    });

    const readOnly = getRole(policy, 'BreakGlassReadOnly');
    expect(readOnly).toMatchObject({ quorum: 1, requesters: ['oncall', 'leads'], approvers: ['leads', 'security'] });
    expect(readOnly?.reminderIntervalMs).toBe(5 * M); // default
    expect(readOnly?.idleLimitMs).toBeUndefined();
    expect(readOnly?.ratificationDeadlineMs).toBeUndefined();
    expect(readOnly?.ssmTargets).toEqual([]);

    const postHoc = getRole(policy, 'PostHocAdmin');
    expect(postHoc).toMatchObject({ mode: 'post-hoc', ratificationDeadlineMs: H, requesters: ['oncall'], stepUp: true });
  });

  it('parses the example\'s rotation section', () => {
    const { rotation } = example();
    expect(rotation.channel).toBeUndefined();
    expect(rotation.accessKeys.map((k) => [k.name, k.user, k.store])).toEqual([
      ['reporting-exporter', 'svc-reporting', { type: 'ssm-parameter', name: '/safeguard/reporting/access-key' }],
      ['legacy-etl', 'svc-legacy-etl', { type: 'secrets-manager', secretId: 'safeguard/legacy-etl/access-key' }],
    ]);
    expect(rotation.accessKeys[0]).toMatchObject({ maxAgeMs: 90 * 24 * H, gracePeriodMs: 20_000, switchTimeoutMs: 2 * M, observePeriodMs: 15_000, schedule: { everyMs: 30 * 24 * H } });
    expect(rotation.accessKeys[0]?.deleteApproval).toBeUndefined();
    expect(rotation.accessKeys[1]?.deleteApproval).toEqual({ approvers: ['security'], quorum: 1, timeoutMs: 15 * M });
    expect(rotation.kmsKeys).toEqual([
      { name: 'phi-data', account: '123456789012', keyRef: 'alias/safeguard-phi', rotationPeriodDays: 365, onDemandDrill: false, schedule: { everyMs: 7 * 24 * H } },
      { name: 'audit-logs', account: '123456789012', keyRef: 'alias/safeguard-audit', rotationPeriodDays: 180, onDemandDrill: true },
    ]);
  });

  it('parses the 2-of-3 quorum fixture', () => {
    const policy = loadPolicyFile(QUORUM_2_OF_3);
    expect(getRole(policy, 'BreakGlassAdmin')?.quorum).toBe(2);
    expect(approverPool(policy, 'BreakGlassAdmin')).toEqual(['bob', 'carol', 'erin']);
  });

  it('has a yaml-language-server modeline pointing at the JSON Schema', () => {
    expect(readFileSync(EXAMPLE, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../config/policy.schema.json');
  });

  it('ships a JSON Schema that matches the zod schema (run `npm run schema` after changing it)', () => {
    expect(readFileSync(POLICY_JSON_SCHEMA_PATH, 'utf8')).toBe(renderPolicyJsonSchema());
    const schema = JSON.parse(renderPolicyJsonSchema()) as { additionalProperties?: boolean; required?: string[]; properties?: Record<string, unknown> };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['version', 'groups', 'people', 'accounts', 'security']);
    expect(Object.keys(schema.properties ?? {})).toEqual(expect.arrayContaining(['breakGlass', 'rotation']));
  });

  it('warns, without failing, when a requester in the pool would leave the quorum unreachable', () => {
    const result = parsePolicy(policyText({ line: 34, text: '      requesters: [oncall, leads]' }, { line: 36, text: '      quorum: 2' }), 'p.yaml');
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      expect.objectContaining({ line: 36, field: 'breakGlass.roles[0].quorum', message: expect.stringMatching(/bob/) }),
    ]);
  });
});

describe('policy: version 1 files', () => {
  const V1 = 'version 1 policies put break-glass roles at the top level; move "breakGlassRoles:" under "breakGlass: roles:" and set "version: 2"';
  // Today's base policy written the version 1 way: roles at the top level.
  const v1 = (version = 'version: 1') =>
    [version, ...BASE.slice(1, 28), 'breakGlassRoles:', ...BASE.slice(30).map((l) => l.slice(2))].join('\n');

  it('refuses a version 1 file with one issue at breakGlassRoles, not a list of schema errors', () => {
    expect(issuesOf(v1())).toEqual([{ file: 'p.yaml', line: 29, field: 'breakGlassRoles', message: V1 }]);
  });

  it('gives the same single issue when only the version was bumped', () => {
    expect(issuesOf(v1('version: 2'))).toEqual([{ file: 'p.yaml', line: 29, field: 'breakGlassRoles', message: V1 }]);
  });

  it('points at the version line when a version 1 file has no break-glass roles', () => {
    expect(issuesOf(['version: 1', ...BASE.slice(1, 28)].join('\n'))).toEqual([{ file: 'p.yaml', line: 1, field: 'version', message: V1 }]);
  });

  it('formats as file:line: field: message like every other issue', () => {
    expect(formatIssue(issuesOf(v1())[0]!)).toBe(`p.yaml:29: breakGlassRoles: ${V1}`);
  });
});

describe('policy: schema errors name the file, line and field', () => {
  it('rejects a wrong type', () => {
    expect(issueAt(policyText({ line: 36, text: '      quorum: two' }), 'breakGlass.roles[0].quorum')).toEqual({
      file: 'p.yaml',
      line: 36,
      field: 'breakGlass.roles[0].quorum',
      message: 'quorum must be a whole number',
    });
  });

  it('rejects a missing field, pointing at the parent', () => {
    const issue = issueAt(policyText({ line: 24, remove: true }), 'accounts[0].name');
    expect(issue.line).toBe(23);
    expect(issue.message).toBe('missing required field "name"');
  });

  it('rejects an unknown key, pointing at the key', () => {
    const issue = issueAt(policyText({ line: 36, insertAfter: ['      quorom: 2'] }), 'breakGlass.roles[0].quorom');
    expect(issue).toEqual({ file: 'p.yaml', line: 37, field: 'breakGlass.roles[0].quorom', message: 'unknown field "quorom"' });
  });

  it('rejects an unknown top-level key', () => {
    expect(issueAt(`${policyText()}extra: 1\n`, 'extra').line).toBe(41);
  });

  it('rejects a malformed role ARN', () => {
    const issue = issueAt(policyText({ line: 33, text: '      roleArn: arn:aws:iam::12345:role/BreakGlassAdmin' }), 'breakGlass.roles[0].roleArn');
    expect(issue.line).toBe(33);
    expect(issue.message).toMatch(/not an IAM role ARN/);
  });

  it('rejects a user ARN where a role ARN is required', () => {
    const issue = issueAt(policyText({ line: 25, text: '    executionRoleArn: arn:aws:iam::123456789012:user/x' }), 'accounts[0].executionRoleArn');
    expect(issue.line).toBe(25);
  });

  it('rejects a malformed AWS principal', () => {
    const issue = issueAt(policyText({ line: 10, text: '    awsPrincipals: ["arn:aws:s3:::bucket"]' }), 'people[0].awsPrincipals[0]');
    expect(issue.line).toBe(10);
    expect(issue.message).toMatch(/not an IAM user or role ARN/);
  });

  it('accepts role and assumed-role principals', () => {
    const text = policyText({
      line: 10,
      text: '    awsPrincipals: ["arn:aws:iam::123456789012:role/ops/alice", "arn:aws:sts::123456789012:assumed-role/Ops/alice"]',
    });
    expect(validPolicy(text).people[0]?.awsPrincipals).toHaveLength(2);
  });

  it.each([
    [9, '    slackId: alice', 'people[0].slackId', /Slack user id/],
    [7, '  - id: Alice', 'people[0].id', /person id/],
    [23, '  - id: 123456789012', 'accounts[0].id', /quoted string of 12 digits/],
    [32, '      account: "1234"', 'breakGlass.roles[0].account', /12-digit AWS account id/],
    [31, '    - name: 1bad', 'breakGlass.roles[0].name', /role name/],
    [37, '      mode: later', 'breakGlass.roles[0].mode', /mode must be "approval" or "post-hoc"/],
    [1, 'version: 3', 'version', /version must be 2/],
  ])('rejects a bad value on line %d', (line, text, field, message) => {
    const issue = issueAt(policyText({ line, text }), field);
    expect(issue.line).toBe(line);
    expect(issue.message).toMatch(message);
  });

  it('parses booleans explicitly ("yes" is not true)', () => {
    const issue = issueAt(policyText({ line: 40, insertAfter: ['      stepUp: yes'] }), 'breakGlass.roles[0].stepUp');
    expect(issue).toMatchObject({ line: 41, message: 'stepUp must be true or false' });
  });

  it('rejects a malformed SSM target', () => {
    const issue = issueAt(policyText({ line: 40, insertAfter: ['      ssmTargets: [i-123, i-0123456789abcdef0]'] }), 'breakGlass.roles[0].ssmTargets[0]');
    expect(issue.line).toBe(41);
  });

  it.each([
    [38, '      defaultDuration: -5m', 'breakGlass.roles[0].defaultDuration', '"-5m" is not a duration: it must be longer than zero'],
    [39, '      maxDuration: 99999h', 'breakGlass.roles[0].maxDuration', '"99999h" is longer than the 366d limit'],
    [40, '      approvalTimeout: 30', 'breakGlass.roles[0].approvalTimeout', '"30" is not a duration: add a unit (s, m, h, d), like 30m'],
    [40, '      approvalTimeout: 1.5', 'breakGlass.roles[0].approvalTimeout', '"1.5" is not a duration: use whole numbers, like 1h30m'],
    [40, '      approvalTimeout: true', 'breakGlass.roles[0].approvalTimeout', 'approvalTimeout must be a duration: write a whole number and a unit (s, m, h, d), largest unit first, like 30m or 1h30m'],
    [40, '      approvalTimeout: 30 minutes', 'breakGlass.roles[0].approvalTimeout', '"30 minutes" is not a duration: write a whole number and a unit (s, m, h, d), largest unit first, like 30m or 1h30m'],
    [38, '      defaultDuration: 0m', 'breakGlass.roles[0].defaultDuration', '"0m" is not a duration: it must be longer than zero'],
  ])('rejects a bad duration on line %d with the duration parser\'s message', (line, text, field, message) => {
    expect(issueAt(policyText({ line, text }), field)).toEqual({ file: 'p.yaml', line, field, message });
  });

  it('reports a YAML syntax error with its line', () => {
    const issues = issuesOf(policyText({ line: 34, text: '      requesters: [oncall' }));
    expect(issues[0]).toMatchObject({ file: 'p.yaml', field: '(yaml)' });
    expect(issues[0]?.line).toBeGreaterThanOrEqual(34);
    expect(issues[0]?.line).toBeLessThanOrEqual(35);
  });

  it('reports a duplicate YAML key as a syntax error on the second key', () => {
    expect(issuesOf(policyText({ line: 36, insertAfter: ['      quorum: 2'] }))).toEqual([
      { file: 'p.yaml', line: 37, field: '(yaml)', message: 'Map keys must be unique' },
    ]);
  });

  it('rejects an empty file and a non-mapping document', () => {
    expect(issuesOf('')).toEqual([{ file: 'p.yaml', line: 1, field: '(root)', message: 'policy file is empty' }]);
    expect(issuesOf('- a\n- b\n')[0]?.field).toBe('(root)');
  });

  it('reports every schema problem at once', () => {
    const issues = issuesOf(policyText({ line: 36, text: '      quorum: 0' }, { line: 38, text: '      defaultDuration: 1.5h' }));
    expect(issues.map((i) => [i.line, i.field])).toEqual([
      [36, 'breakGlass.roles[0].quorum'],
      [38, 'breakGlass.roles[0].defaultDuration'],
    ]);
  });
});

describe('policy: break-glass roles sharing an IAM role', () => {
  const second = ['    - name: PostHocAdmin', ...BASE.slice(31, 40), '      ratificationDeadline: 1h'].map((l) => l.replace('mode: approval', 'mode: post-hoc'));

  it('warns, without failing, with both roles named and the line of the second roleArn', () => {
    const result = parsePolicy(policyText({ line: 40, insertAfter: second }), 'p.yaml');
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      {
        file: 'p.yaml',
        line: 43,
        field: 'breakGlass.roles[1].roleArn',
        message: 'breakGlass.roles[1] (PostHocAdmin) uses the same IAM role as breakGlass.roles[0] (BreakGlassAdmin): concurrent grants on it end together when either is revoked',
      },
    ]);
  });

  it('treats role ARNs that differ only by path as one IAM role', () => {
    const withPath = second.map((l) => l.replace('role/BreakGlassAdmin', 'role/team/BreakGlassAdmin'));
    const result = parsePolicy(policyText({ line: 40, insertAfter: withPath }), 'p.yaml');
    expect(result.warnings.map((w) => w.field)).toEqual(['breakGlass.roles[1].roleArn']);
  });

  it('does not warn for distinct IAM roles', () => {
    const other = second.map((l) => l.replace('role/BreakGlassAdmin', 'role/BreakGlassOther'));
    expect(parsePolicy(policyText({ line: 40, insertAfter: other }), 'p.yaml').warnings).toEqual([]);
  });

  it('warns about the example policy, whose PostHocAdmin reuses BreakGlassAdmin', () => {
    const result = parsePolicy(readFileSync(EXAMPLE, 'utf8'), 'policy.yaml');
    expect(result.warnings.map((w) => w.message)).toEqual([
      'breakGlass.roles[2] (PostHocAdmin) uses the same IAM role as breakGlass.roles[0] (BreakGlassAdmin): concurrent grants on it end together when either is revoked',
    ]);
  });
});

describe('policy: cross-reference errors', () => {
  it('rejects a duplicate person id', () => {
    const issue = issueAt(policyText({ line: 12, text: '  - id: alice' }), 'people[1].id');
    expect(issue).toMatchObject({ line: 12, message: expect.stringMatching(/duplicate person id "alice"/) });
  });

  it('rejects a duplicate slackId', () => {
    const issue = issueAt(policyText({ line: 14, text: '    slackId: U0000ALICE' }), 'people[1].slackId');
    expect(issue).toMatchObject({ line: 14, message: 'slackId U0000ALICE is already used by alice' });
  });

  it('rejects the same AWS principal on two people', () => {
    const issue = issueAt(
      policyText({ line: 15, text: '    awsPrincipals: ["arn:aws:iam::123456789012:user/bob", "arn:aws:iam::123456789012:user/alice"]' }),
      'people[1].awsPrincipals[1]',
    );
    expect(issue).toMatchObject({ line: 15, message: expect.stringMatching(/already used by alice/) });
  });

  it('treats role ARNs that differ only by path as the same principal', () => {
    const issue = issueAt(
      policyText({ line: 10, text: '    awsPrincipals: ["arn:aws:iam::123456789012:role/ops"]' }, { line: 15, text: '    awsPrincipals: ["arn:aws:iam::123456789012:role/team/ops"]' }),
      'people[1].awsPrincipals[0]',
    );
    expect(issue.line).toBe(15);
  });

  it('rejects a duplicate role name', () => {
    const copy = BASE.slice(30, 40);
    const issue = issueAt(policyText({ line: 40, insertAfter: copy }), 'breakGlass.roles[1].name');
    expect(issue).toMatchObject({ line: 41, message: expect.stringMatching(/duplicate role name "BreakGlassAdmin"/) });
  });

  it.each([
    [11, '    groups: [oncall, sre]', 'people[0].groups[1]'],
    [34, '      requesters: [oncall, sre]', 'breakGlass.roles[0].requesters[1]'],
    [35, '      approvers: [sre]', 'breakGlass.roles[0].approvers[0]'],
    [28, '  groups: [secops]', 'security.groups[0]'],
  ])('rejects an unknown group on line %d', (line, text, field) => {
    const issue = issueAt(policyText({ line, text }), field);
    expect(issue.line).toBe(line);
    expect(issue.message).toMatch(/unknown group "(sre|secops)" \(declare it under groups\)/);
  });

  it('rejects an unknown account', () => {
    const issue = issueAt(policyText({ line: 32, text: '      account: "999999999999"' }), 'breakGlass.roles[0].account');
    expect(issue).toMatchObject({ line: 32, message: 'unknown account "999999999999" (declare it under accounts)' });
  });

  it('rejects a roleArn outside the role\'s account', () => {
    const issue = issueAt(policyText({ line: 33, text: '      roleArn: arn:aws:iam::210987654321:role/BreakGlassAdmin' }), 'breakGlass.roles[0].roleArn');
    expect(issue).toMatchObject({ line: 33, message: expect.stringMatching(/is not in the role's account 123456789012/) });
  });

  it('rejects an execution role outside its account', () => {
    const issue = issueAt(policyText({ line: 25, text: '    executionRoleArn: arn:aws:iam::210987654321:role/SafeguardExecution' }), 'accounts[0].executionRoleArn');
    expect(issue.line).toBe(25);
  });

  it('rejects a quorum larger than the approver pool', () => {
    const issue = issueAt(policyText({ line: 36, text: '      quorum: 3' }), 'breakGlass.roles[0].quorum');
    expect(issue).toEqual({
      file: 'p.yaml',
      line: 36,
      field: 'breakGlass.roles[0].quorum',
      message: 'quorum 3 is larger than the approver pool (2 people: bob, carol)',
    });
  });

  it('rejects maxDuration below defaultDuration', () => {
    const issue = issueAt(policyText({ line: 39, text: '      maxDuration: 10m' }), 'breakGlass.roles[0].maxDuration');
    expect(issue).toMatchObject({ line: 39, message: 'maxDuration 10m is shorter than defaultDuration 30m' });
  });

  it('rejects post-hoc mode without a ratificationDeadline, pointing at the role', () => {
    const issue = issueAt(policyText({ line: 37, text: '      mode: post-hoc' }), 'breakGlass.roles[0].ratificationDeadline');
    expect(issue).toMatchObject({ line: 31, message: 'ratificationDeadline is required when mode is post-hoc' });
  });

  it('accepts post-hoc mode with a ratificationDeadline', () => {
    const policy = validPolicy(policyText({ line: 37, text: '      mode: post-hoc' }, { line: 40, insertAfter: ['      ratificationDeadline: 1h'] }));
    expect(policy.breakGlass.roles[0]?.ratificationDeadlineMs).toBe(H);
  });

  it('lists issues in line order', () => {
    const issues = issuesOf(policyText({ line: 14, text: '    slackId: U0000ALICE' }, { line: 36, text: '      quorum: 3' }));
    expect(issues.map((i) => i.line)).toEqual([14, 36]);
  });
});

describe('loadPolicyFile and formatIssue', () => {
  const dir = mkdtempSync(join(tmpdir(), 'safeguard-policy-'));

  it('formats an issue as file:line: field: message', () => {
    expect(formatIssue({ file: 'a.yaml', line: 3, field: 'people[0].id', message: 'bad' })).toBe('a.yaml:3: people[0].id: bad');
  });

  it('throws a PolicyError listing every issue', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, policyText({ line: 14, text: '    slackId: U0000ALICE' }, { line: 36, text: '      quorum: 3' }));
    let caught: unknown;
    try {
      loadPolicyFile(file);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PolicyError);
    const err = caught as PolicyError;
    expect(err.name).toBe('PolicyError');
    expect(err.code).toBe('INVALID_POLICY');
    expect(err.issues).toHaveLength(2);
    expect(err.message.split('\n')).toEqual([
      `${file}:14: people[1].slackId: slackId U0000ALICE is already used by alice`,
      `${file}:36: breakGlass.roles[0].quorum: quorum 3 is larger than the approver pool (2 people: bob, carol)`,
    ]);
  });

  it('throws a PolicyError with the cause when the file cannot be read', () => {
    expect(() => loadPolicyFile(join(dir, 'missing.yaml'))).toThrow(
      expect.objectContaining({ name: 'PolicyError', code: 'POLICY_UNREADABLE', cause: expect.anything() }),
    );
  });
});

describe('policy lookups', () => {
  it('finds roles and people', () => {
    const policy = example();
    expect(getRole(policy, 'PostHocAdmin')?.mode).toBe('post-hoc');
    expect(getRole(policy, 'Nope')).toBeUndefined();
    expect(findPersonById(policy, 'dave')?.name).toBe('Dave Example');
    expect(findPersonById(policy, 'mallory')).toBeUndefined();
    expect(findPersonBySlackId(policy, 'U000CAROL')?.id).toBe('carol');
    expect(findPersonBySlackId(policy, 'U999')).toBeUndefined();
  });

  it('lists distinct people in groups', () => {
    const policy = validPolicy(policyText({ line: 16, text: '    groups: [leads, security]' }));
    expect(peopleInGroups(policy, ['leads', 'security']).map((p) => p.id)).toEqual(['bob', 'carol']);
    expect(peopleInGroups(policy, [])).toEqual([]);
  });

  it('answers who may request and approve', () => {
    const policy = example();
    expect(canRequest(policy, 'alice', 'BreakGlassAdmin')).toBe(true);
    expect(canRequest(policy, 'dave', 'BreakGlassAdmin')).toBe(true);
    expect(canRequest(policy, 'bob', 'BreakGlassAdmin')).toBe(false);
    expect(canRequest(policy, 'bob', 'BreakGlassReadOnly')).toBe(true);
    expect(canRequest(policy, 'mallory', 'BreakGlassAdmin')).toBe(false);
    expect(canRequest(policy, 'alice', 'Nope')).toBe(false);
    expect(approverPool(policy, 'BreakGlassAdmin')).toEqual(['bob', 'carol']);
    expect(approverPool(policy, 'Nope')).toEqual([]);
    expect(securityPeople(policy)).toEqual(['carol']);
    expect(requestableRoles(policy, 'alice').map((r) => r.name)).toEqual(['BreakGlassAdmin', 'BreakGlassReadOnly', 'PostHocAdmin']);
    expect(requestableRoles(policy, 'bob').map((r) => r.name)).toEqual(['BreakGlassReadOnly']);
    expect(requestableRoles(policy, 'carol')).toEqual([]);
  });

  describe('findPersonByAwsArn', () => {
    const policy = validPolicy(
      policyText(
        { line: 10, text: '    awsPrincipals: ["arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:role/alice-ops"]' },
        { line: 15, text: '    awsPrincipals: ["arn:aws:iam::123456789012:role/team/bob-ops"]' },
      ),
    );

    it('matches an exact principal', () => {
      expect(findPersonByAwsArn(policy, 'arn:aws:iam::123456789012:user/alice')?.id).toBe('alice');
      expect(findPersonByAwsArn(policy, 'arn:aws:iam::123456789012:role/alice-ops')?.id).toBe('alice');
    });

    it('maps an assumed-role session to the one person holding the role', () => {
      expect(findPersonByAwsArn(policy, 'arn:aws:sts::123456789012:assumed-role/alice-ops/alice-laptop')?.id).toBe('alice');
    });

    it('maps an assumed-role session of a role with a path (STS drops the path)', () => {
      expect(findPersonByAwsArn(policy, 'arn:aws:sts::123456789012:assumed-role/bob-ops/s1')?.id).toBe('bob');
    });

    it('refuses a role that maps to several people', () => {
      // The loader rejects such a policy (see "the same AWS principal on two people"); the lookup
      // must still refuse if handed one built some other way.
      const shared: Policy = {
        ...policy,
        people: policy.people.map((p) =>
          p.id === 'bob' || p.id === 'carol' ? { ...p, awsPrincipals: ['arn:aws:iam::123456789012:role/shared'] } : p,
        ),
      };
      expect(findPersonByAwsArn(shared, 'arn:aws:sts::123456789012:assumed-role/shared/whoever')).toBeUndefined();
      expect(findPersonByAwsArn(shared, 'arn:aws:iam::123456789012:role/shared')).toBeUndefined();
      expect(findPersonByAwsArn(shared, 'arn:aws:sts::123456789012:assumed-role/alice-ops/x')?.id).toBe('alice');
    });

    it('refuses unknown principals and other accounts', () => {
      expect(findPersonByAwsArn(policy, 'arn:aws:iam::123456789012:user/mallory')).toBeUndefined();
      expect(findPersonByAwsArn(policy, 'arn:aws:sts::210987654321:assumed-role/alice-ops/x')).toBeUndefined();
      expect(findPersonByAwsArn(policy, 'arn:aws:sts::123456789012:assumed-role/alice-ops')).toBeUndefined();
      expect(findPersonByAwsArn(policy, 'arn:aws:sts::123456789012:federated-user/alice')).toBeUndefined();
    });
  });
});

describe('policy: Slack channels', () => {
  it('accepts channel ids at the top level and per role', () => {
    const p = validPolicy(policyText({ line: 28, insertAfter: ['slack:', '  approversChannel: C0APPROVE1', '  auditChannel: C0AUDIT01'] }, { line: 40, insertAfter: ['      approversChannel: C0ADMINS01'] }));
    expect(p.breakGlass.roles[0]?.approversChannel).toBe('C0ADMINS01');
  });

  it.each(['#approvals', 'general', '<!channel>', 'C0 SPACE'])('refuses the channel %j with its line', (bad) => {
    const issue = issueAt(policyText({ line: 28, insertAfter: ['slack:', `  auditChannel: "${bad}"`] }), 'slack.auditChannel');
    expect(issue.line).toBe(30);
    expect(issue.message).toMatch(/Slack channel id/);
  });

  it('refuses an unknown key under slack', () => {
    expect(issuesOf(policyText({ line: 28, insertAfter: ['slack:', '  webhook: https://hooks.example/x'] })).map((i) => i.field).join(' ')).toMatch(/slack/);
  });
});
