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
import type { Policy, PolicyIssue } from '../../config/policy';
import { POLICY_JSON_SCHEMA_PATH, renderPolicyJsonSchema } from '../../config/write-json-schema';

const ROOT = join(__dirname, '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'policy.yaml');
const QUORUM_2_OF_3 = join(ROOT, 'test', 'fixtures', 'policies', 'quorum-2-of-3.yaml');

const M = 60_000;
const H = 60 * M;

// A small valid policy; tests edit single lines, so line numbers in assertions refer to this list.
const BASE: readonly string[] = [
  /* 1 */ 'version: 1',
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
  /* 29 */ 'breakGlassRoles:',
  /* 30 */ '  - name: BreakGlassAdmin',
  /* 31 */ '    account: "123456789012"',
  /* 32 */ '    roleArn: arn:aws:iam::123456789012:role/BreakGlassAdmin',
  /* 33 */ '    requesters: [oncall]',
  /* 34 */ '    approvers: [leads, security]',
  /* 35 */ '    quorum: 1',
  /* 36 */ '    mode: approval',
  /* 37 */ '    defaultDuration: 30m',
  /* 38 */ '    maxDuration: 4h',
  /* 39 */ '    approvalTimeout: 15m',
];

type Edit = { line: number; text?: string; insertAfter?: string[]; remove?: true };

function policyText(...edits: Edit[]): string {
  const lines: (string | string[])[] = [...BASE];
  for (const e of edits) {
    const i = e.line - 1;
    if (e.remove) lines[i] = [];
    else if (e.insertAfter) lines[i] = [BASE[i] ?? '', ...e.insertAfter];
    else if (e.text !== undefined) lines[i] = e.text;
  }
  return `${lines.flat().join('\n')}\n`;
}

function issuesOf(text: string): PolicyIssue[] {
  const result = parsePolicy(text, 'p.yaml');
  if (result.ok) throw new Error('expected the policy to be invalid');
  return result.issues;
}

function issueAt(text: string, field: string): PolicyIssue {
  const issues = issuesOf(text);
  const issue = issues.find((i) => i.field === field);
  if (!issue) throw new Error(`no issue for ${field}; got:\n${issues.map(formatIssue).join('\n')}`);
  return issue;
}

function validPolicy(text: string): Policy {
  const result = parsePolicy(text, 'p.yaml');
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.policy;
}

const example = (): Policy => loadPolicyFile(EXAMPLE);

describe('policy: valid files', () => {
  it('accepts the base policy used by these tests', () => {
    expect(validPolicy(policyText()).breakGlassRoles).toHaveLength(1);
  });

  it('parses examples/policy.yaml to the expected values', () => {
    const policy = example();
    expect(policy.version).toBe(1);
    expect(policy.groups.map((g) => g.id)).toEqual(['oncall', 'security', 'leads']);
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
    expect(policy.breakGlassRoles.map((r) => r.name)).toEqual(['BreakGlassAdmin', 'BreakGlassReadOnly', 'PostHocAdmin']);

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
    const schema = JSON.parse(renderPolicyJsonSchema()) as { additionalProperties?: boolean; required?: string[] };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['version', 'people', 'accounts', 'breakGlassRoles']));
  });

  it('warns, without failing, when a requester in the pool would leave the quorum unreachable', () => {
    const result = parsePolicy(policyText({ line: 33, text: '    requesters: [oncall, leads]' }, { line: 35, text: '    quorum: 2' }), 'p.yaml');
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      expect.objectContaining({ line: 35, field: 'breakGlassRoles[0].quorum', message: expect.stringMatching(/bob/) }),
    ]);
  });
});

describe('policy: schema errors name the file, line and field', () => {
  it('rejects a wrong type', () => {
    expect(issueAt(policyText({ line: 35, text: '    quorum: two' }), 'breakGlassRoles[0].quorum')).toEqual({
      file: 'p.yaml',
      line: 35,
      field: 'breakGlassRoles[0].quorum',
      message: 'quorum must be a whole number',
    });
  });

  it('rejects a missing field, pointing at the parent', () => {
    const issue = issueAt(policyText({ line: 24, remove: true }), 'accounts[0].name');
    expect(issue.line).toBe(23);
    expect(issue.message).toBe('missing required field "name"');
  });

  it('rejects an unknown key, pointing at the key', () => {
    const issue = issueAt(policyText({ line: 35, insertAfter: ['    quorom: 2'] }), 'breakGlassRoles[0].quorom');
    expect(issue).toEqual({ file: 'p.yaml', line: 36, field: 'breakGlassRoles[0].quorom', message: 'unknown field "quorom"' });
  });

  it('rejects an unknown top-level key', () => {
    expect(issueAt(`${policyText()}extra: 1\n`, 'extra').line).toBe(40);
  });

  it('rejects a malformed role ARN', () => {
    const issue = issueAt(policyText({ line: 32, text: '    roleArn: arn:aws:iam::12345:role/BreakGlassAdmin' }), 'breakGlassRoles[0].roleArn');
    expect(issue.line).toBe(32);
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
    [31, '    account: "1234"', 'breakGlassRoles[0].account', /12-digit AWS account id/],
    [30, '  - name: 1bad', 'breakGlassRoles[0].name', /role name/],
    [36, '    mode: later', 'breakGlassRoles[0].mode', /mode must be "approval" or "post-hoc"/],
    [1, 'version: 2', 'version', /version must be 1/],
  ])('rejects a bad value on line %d', (line, text, field, message) => {
    const issue = issueAt(policyText({ line, text }), field);
    expect(issue.line).toBe(line);
    expect(issue.message).toMatch(message);
  });

  it('parses booleans explicitly ("yes" is not true)', () => {
    const issue = issueAt(policyText({ line: 39, insertAfter: ['    stepUp: yes'] }), 'breakGlassRoles[0].stepUp');
    expect(issue).toMatchObject({ line: 40, message: 'stepUp must be true or false' });
  });

  it('rejects a malformed SSM target', () => {
    const issue = issueAt(policyText({ line: 39, insertAfter: ['    ssmTargets: [i-123, i-0123456789abcdef0]'] }), 'breakGlassRoles[0].ssmTargets[0]');
    expect(issue.line).toBe(40);
  });

  it.each([
    [37, '    defaultDuration: -5m', 'breakGlassRoles[0].defaultDuration', 'duration must be positive (got -5m)'],
    [38, '    maxDuration: 99999h', 'breakGlassRoles[0].maxDuration', 'duration 99999h is longer than the 366d limit'],
    [39, '    approvalTimeout: 30', 'breakGlassRoles[0].approvalTimeout', 'approvalTimeout must be a duration string with a unit, like 30m, 4h or 1h30m'],
    [39, '    approvalTimeout: abc', 'breakGlassRoles[0].approvalTimeout', expect.stringMatching(/not a duration/)],
    [37, '    defaultDuration: 0m', 'breakGlassRoles[0].defaultDuration', 'duration must be positive (got 0m)'],
  ])('rejects a bad duration on line %d with parseDuration\'s message', (line, text, field, message) => {
    expect(issueAt(policyText({ line, text }), field)).toEqual({ file: 'p.yaml', line, field, message });
  });

  it('reports a YAML syntax error with its line', () => {
    const issues = issuesOf(policyText({ line: 33, text: '    requesters: [oncall' }));
    expect(issues[0]).toMatchObject({ file: 'p.yaml', field: '(yaml)' });
    expect(issues[0]?.line).toBeGreaterThanOrEqual(33);
    expect(issues[0]?.line).toBeLessThanOrEqual(34);
  });

  it('reports a duplicate YAML key as a syntax error on the second key', () => {
    expect(issuesOf(policyText({ line: 35, insertAfter: ['    quorum: 2'] }))).toEqual([
      { file: 'p.yaml', line: 36, field: '(yaml)', message: 'Map keys must be unique' },
    ]);
  });

  it('rejects an empty file and a non-mapping document', () => {
    expect(issuesOf('')).toEqual([{ file: 'p.yaml', line: 1, field: '(root)', message: 'policy file is empty' }]);
    expect(issuesOf('- a\n- b\n')[0]?.field).toBe('(root)');
  });

  it('reports every schema problem at once', () => {
    const issues = issuesOf(policyText({ line: 35, text: '    quorum: 0' }, { line: 37, text: '    defaultDuration: 1.5h' }));
    expect(issues.map((i) => [i.line, i.field])).toEqual([
      [35, 'breakGlassRoles[0].quorum'],
      [37, 'breakGlassRoles[0].defaultDuration'],
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
    const copy = BASE.slice(29, 39);
    const issue = issueAt(policyText({ line: 39, insertAfter: copy }), 'breakGlassRoles[1].name');
    expect(issue).toMatchObject({ line: 40, message: expect.stringMatching(/duplicate role name "BreakGlassAdmin"/) });
  });

  it.each([
    [11, '    groups: [oncall, sre]', 'people[0].groups[1]'],
    [33, '    requesters: [oncall, sre]', 'breakGlassRoles[0].requesters[1]'],
    [34, '    approvers: [sre]', 'breakGlassRoles[0].approvers[0]'],
    [28, '  groups: [secops]', 'security.groups[0]'],
  ])('rejects an unknown group on line %d', (line, text, field) => {
    const issue = issueAt(policyText({ line, text }), field);
    expect(issue.line).toBe(line);
    expect(issue.message).toMatch(/unknown group "(sre|secops)" \(declare it under groups\)/);
  });

  it('rejects an unknown account', () => {
    const issue = issueAt(policyText({ line: 31, text: '    account: "999999999999"' }), 'breakGlassRoles[0].account');
    expect(issue).toMatchObject({ line: 31, message: 'unknown account "999999999999" (declare it under accounts)' });
  });

  it('rejects a roleArn outside the role\'s account', () => {
    const issue = issueAt(policyText({ line: 32, text: '    roleArn: arn:aws:iam::210987654321:role/BreakGlassAdmin' }), 'breakGlassRoles[0].roleArn');
    expect(issue).toMatchObject({ line: 32, message: expect.stringMatching(/is not in the role's account 123456789012/) });
  });

  it('rejects an execution role outside its account', () => {
    const issue = issueAt(policyText({ line: 25, text: '    executionRoleArn: arn:aws:iam::210987654321:role/SafeguardExecution' }), 'accounts[0].executionRoleArn');
    expect(issue.line).toBe(25);
  });

  it('rejects a quorum larger than the approver pool', () => {
    const issue = issueAt(policyText({ line: 35, text: '    quorum: 3' }), 'breakGlassRoles[0].quorum');
    expect(issue).toEqual({
      file: 'p.yaml',
      line: 35,
      field: 'breakGlassRoles[0].quorum',
      message: 'quorum 3 is larger than the approver pool (2 people: bob, carol)',
    });
  });

  it('rejects maxDuration below defaultDuration', () => {
    const issue = issueAt(policyText({ line: 38, text: '    maxDuration: 10m' }), 'breakGlassRoles[0].maxDuration');
    expect(issue).toMatchObject({ line: 38, message: 'maxDuration 10m is shorter than defaultDuration 30m' });
  });

  it('rejects post-hoc mode without a ratificationDeadline, pointing at the role', () => {
    const issue = issueAt(policyText({ line: 36, text: '    mode: post-hoc' }), 'breakGlassRoles[0].ratificationDeadline');
    expect(issue).toMatchObject({ line: 30, message: 'ratificationDeadline is required when mode is post-hoc' });
  });

  it('accepts post-hoc mode with a ratificationDeadline', () => {
    const policy = validPolicy(policyText({ line: 36, text: '    mode: post-hoc' }, { line: 39, insertAfter: ['    ratificationDeadline: 1h'] }));
    expect(policy.breakGlassRoles[0]?.ratificationDeadlineMs).toBe(H);
  });

  it('lists issues in line order', () => {
    const issues = issuesOf(policyText({ line: 14, text: '    slackId: U0000ALICE' }, { line: 35, text: '    quorum: 3' }));
    expect(issues.map((i) => i.line)).toEqual([14, 35]);
  });
});

describe('loadPolicyFile and formatIssue', () => {
  const dir = mkdtempSync(join(tmpdir(), 'safeguard-policy-'));

  it('formats an issue as file:line: field: message', () => {
    expect(formatIssue({ file: 'a.yaml', line: 3, field: 'people[0].id', message: 'bad' })).toBe('a.yaml:3: people[0].id: bad');
  });

  it('throws a PolicyError listing every issue', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, policyText({ line: 14, text: '    slackId: U0000ALICE' }, { line: 35, text: '    quorum: 3' }));
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
      `${file}:35: breakGlassRoles[0].quorum: quorum 3 is larger than the approver pool (2 people: bob, carol)`,
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
    const p = validPolicy(policyText({ line: 28, insertAfter: ['slack:', '  approversChannel: C0APPROVE1', '  auditChannel: C0AUDIT01'] }, { line: 39, insertAfter: ['    approversChannel: C0ADMINS01'] }));
    expect(p.breakGlassRoles[0]?.approversChannel).toBe('C0ADMINS01');
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
