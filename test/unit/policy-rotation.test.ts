import { join } from 'node:path';
import { loadPolicyFile, parsePolicy } from '../../config/policy';
import { accessKeyTargetFor, kmsKeyTargetFor, RotationTargetError } from '../../client/rotation-targets';
import type { Policy } from '../../config/policy';
import { editLines, issueAt, issuesOf, validPolicy } from '../support/policy-text';
import type { Edit } from '../support/policy-text';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

// A valid policy with a rotation section; tests edit single lines, so line numbers in assertions
// refer to this list.
const BASE: readonly string[] = [
  /* 1 */ 'version: 2',
  /* 2 */ 'groups:',
  /* 3 */ '  - id: oncall',
  /* 4 */ '  - id: security',
  /* 5 */ 'people:',
  /* 6 */ '  - id: alice',
  /* 7 */ '    name: Alice',
  /* 8 */ '    groups: [oncall]',
  /* 9 */ '  - id: carol',
  /* 10 */ '    name: Carol',
  /* 11 */ '    groups: [security]',
  /* 12 */ 'accounts:',
  /* 13 */ '  - id: "123456789012"',
  /* 14 */ '    name: sandbox',
  /* 15 */ '    executionRoleArn: arn:aws:iam::123456789012:role/SafeguardExecution',
  /* 16 */ '    externalId: safeguard-sandbox',
  /* 17 */ 'security:',
  /* 18 */ '  groups: [security]',
  /* 19 */ 'rotation:',
  /* 20 */ '  channel: C0ROTATION',
  /* 21 */ '  accessKeys:',
  /* 22 */ '    - name: reporting-exporter',
  /* 23 */ '      account: "123456789012"',
  /* 24 */ '      user: svc-reporting',
  /* 25 */ '      store:',
  /* 26 */ '        type: ssm-parameter',
  /* 27 */ '        name: /safeguard/reporting/access-key',
  /* 28 */ '        kmsKeyId: alias/aws/ssm',
  /* 29 */ '      maxAge: 90d',
  /* 30 */ '      gracePeriod: 2m',
  /* 31 */ '      switchTimeout: 1h',
  /* 32 */ '      observePeriod: 5m',
  /* 33 */ '      deleteApproval:',
  /* 34 */ '        approvers: [security]',
  /* 35 */ '        quorum: 1',
  /* 36 */ '        timeout: 1d',
  /* 37 */ '      schedule: { every: 30d }',
  /* 38 */ '    - name: legacy-etl',
  /* 39 */ '      account: "123456789012"',
  /* 40 */ '      user: svc-legacy-etl',
  /* 41 */ '      store:',
  /* 42 */ '        type: secrets-manager',
  /* 43 */ '        secretId: safeguard/legacy-etl/access-key',
  /* 44 */ '      maxAge: 90d',
  /* 45 */ '      gracePeriod: 20s',
  /* 46 */ '      switchTimeout: 2m',
  /* 47 */ '      observePeriod: 15s',
  /* 48 */ '  kmsKeys:',
  /* 49 */ '    - name: phi-data',
  /* 50 */ '      account: "123456789012"',
  /* 51 */ '      key: alias/safeguard-phi',
  /* 52 */ '      rotationPeriod: 365d',
  /* 53 */ '      schedule: { cron: "0 3 * * 1" }',
  /* 54 */ '    - name: audit-logs',
  /* 55 */ '      account: "123456789012"',
  /* 56 */ '      key: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  /* 57 */ '      rotationPeriod: 180d',
  /* 58 */ '      onDemandDrill: true',
];

const OTHER_ACCOUNT = [
  '  - id: "210987654321"',
  '    name: other',
  '    executionRoleArn: arn:aws:iam::210987654321:role/SafeguardExecution',
  '    externalId: safeguard-other',
];

function policyText(...edits: Edit[]): string {
  return editLines(BASE, edits);
}

describe('policy rotation: valid files', () => {
  it('parses every field, durations in milliseconds', () => {
    expect(validPolicy(policyText()).rotation).toEqual({
      channel: 'C0ROTATION',
      accessKeys: [
        {
          name: 'reporting-exporter',
          account: '123456789012',
          user: 'svc-reporting',
          store: { type: 'ssm-parameter', name: '/safeguard/reporting/access-key', kmsKeyId: 'alias/aws/ssm' },
          maxAgeMs: 90 * D,
          gracePeriodMs: 2 * M,
          switchTimeoutMs: H,
          observePeriodMs: 5 * M,
          deleteApproval: { approvers: ['security'], quorum: 1, timeoutMs: D },
          schedule: { everyMs: 30 * D },
        },
        {
          name: 'legacy-etl',
          account: '123456789012',
          user: 'svc-legacy-etl',
          store: { type: 'secrets-manager', secretId: 'safeguard/legacy-etl/access-key' },
          maxAgeMs: 90 * D,
          gracePeriodMs: 20 * S,
          switchTimeoutMs: 2 * M,
          observePeriodMs: 15 * S,
        },
      ],
      kmsKeys: [
        { name: 'phi-data', account: '123456789012', keyRef: 'alias/safeguard-phi', rotationPeriodDays: 365, onDemandDrill: false, schedule: { cron: '0 3 * * 1' } },
        {
          name: 'audit-logs',
          account: '123456789012',
          keyRef: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          rotationPeriodDays: 180,
          onDemandDrill: true,
        },
      ],
    });
  });

  it('accepts an empty section and leaves the channel out when absent', () => {
    const text = `${BASE.slice(0, 18).join('\n')}\nrotation: {}\n`;
    expect(validPolicy(text).rotation).toEqual({ accessKeys: [], kmsKeys: [] });
  });

  it.each(['90d', '2560d', '2160h', '1d', '0 3 * JAN MON', '*/15 * * * *', '0 3 1-7 * 1,3,5'])('accepts %j where its kind allows it', (value) => {
    const text = value.includes(' ')
      ? policyText({ line: 53, text: `      schedule: { cron: "${value}" }` })
      : value === '1d'
        ? policyText({ line: 53, text: `      schedule: { every: ${value} }` })
        : policyText({ line: 52, text: `      rotationPeriod: ${value}` });
    expect(() => validPolicy(text)).not.toThrow();
  });

  it('accepts a key id, and a secret given by ARN', () => {
    const p = validPolicy(
      policyText(
        { line: 51, text: '      key: mrk-1234abcd12ab34cd56ef1234567890ab' },
        { line: 43, text: '        secretId: arn:aws:secretsmanager:us-east-1:123456789012:secret:legacy-AbCdEf' },
      ),
    );
    expect(p.rotation.kmsKeys[0]?.keyRef).toBe('mrk-1234abcd12ab34cd56ef1234567890ab');
  });

  it('accepts the same IAM user in two different accounts', () => {
    expect(() =>
      validPolicy(policyText({ line: 16, insertAfter: OTHER_ACCOUNT }, { line: 39, text: '      account: "210987654321"' }, { line: 40, text: '      user: svc-reporting' })),
    ).not.toThrow();
  });
});

describe('policy rotation: field errors name the file, line and field', () => {
  it.each([
    [52, '      rotationPeriod: 30d', 'rotation.kmsKeys[0].rotationPeriod', 'rotationPeriod 30d is too short (AWS allows 90d to 2560d)'],
    [52, '      rotationPeriod: 89d', 'rotation.kmsKeys[0].rotationPeriod', 'rotationPeriod 89d is too short (AWS allows 90d to 2560d)'],
    [52, '      rotationPeriod: 2561d', 'rotation.kmsKeys[0].rotationPeriod', 'rotationPeriod 2561d is too long (AWS allows 90d to 2560d)'],
    [52, '      rotationPeriod: 365d12h', 'rotation.kmsKeys[0].rotationPeriod', 'rotationPeriod 365d12h is not a whole number of days (AWS allows 90d to 2560d)'],
    [52, '      rotationPeriod: 1.5d', 'rotation.kmsKeys[0].rotationPeriod', '"1.5d" is not a duration: use whole numbers, like 1h30m'],
    [52, '      rotationPeriod: 365', 'rotation.kmsKeys[0].rotationPeriod', 'rotationPeriod must be a number of days, like 365d'],
    [53, '      schedule: { cron: "0 3 * *" }', 'rotation.kmsKeys[0].schedule.cron', 'cron "0 3 * *" has 4 fields; write 5 (minute hour day-of-month month day-of-week), like "0 3 * * 1"'],
    [53, '      schedule: { cron: "0 0 3 * * 1" }', 'rotation.kmsKeys[0].schedule.cron', expect.stringMatching(/has 6 fields; write 5/)],
    [53, '      schedule: { cron: "0 3h * * 1" }', 'rotation.kmsKeys[0].schedule.cron', 'cron "0 3h * * 1": the hour field "3h" may only use digits, *, ",", - and /'],
    [53, '      schedule: { cron: "0 3 * * MON;" }', 'rotation.kmsKeys[0].schedule.cron', expect.stringMatching(/day-of-week field "MON;" may only use/)],
    [53, '      schedule: { every: 30d, cron: "0 3 * * 1" }', 'rotation.kmsKeys[0].schedule', 'schedule needs exactly one of every or cron'],
    [53, '      schedule: {}', 'rotation.kmsKeys[0].schedule', 'schedule needs exactly one of every or cron'],
    [53, '      schedule: { at: "03:00" }', 'rotation.kmsKeys[0].schedule.at', 'unknown field "at"'],
    [37, '      schedule: { every: 1.5d }', 'rotation.accessKeys[0].schedule.every', '"1.5d" is not a duration: use whole numbers, like 1h30m'],
    [51, '      key: alias/aws/ebs', 'rotation.kmsKeys[0].key', 'alias/aws/ebs is an AWS managed key: AWS rotates it every year and its rotation cannot be changed'],
    [51, '      key: safeguard-phi', 'rotation.kmsKeys[0].key', expect.stringMatching(/is not a KMS key id, key ARN .* or alias\/<name>/)],
    [51, '      key: arn:aws:kms:us-east-1:123456789012:alias/x', 'rotation.kmsKeys[0].key', expect.stringMatching(/is not a KMS key id/)],
    [58, '      onDemandDrill: yes', 'rotation.kmsKeys[1].onDemandDrill', 'onDemandDrill must be true or false'],
    [22, '    - name: Reporting_Exporter', 'rotation.accessKeys[0].name', expect.stringMatching(/is not a valid target name/)],
    [24, '      user: users/svc-reporting', 'rotation.accessKeys[0].user', expect.stringMatching(/is not an IAM user name/)],
    [23, '      account: 123456789012', 'rotation.accessKeys[0].account', expect.stringMatching(/quoted string of 12 digits/)],
    [26, '        type: s3-object', 'rotation.accessKeys[0].store.type', 'store.type must be "ssm-parameter" (with name:) or "secrets-manager" (with secretId:)'],
    [27, '        name: safeguard/reporting/access-key', 'rotation.accessKeys[0].store.name', expect.stringMatching(/is not an SSM parameter name starting with "\/"/)],
    [27, '        name: /aws/reference/secretsmanager/x', 'rotation.accessKeys[0].store.name', 'parameter names under /aws and /ssm are reserved by AWS'],
    [28, '        kmsKeyId: my key', 'rotation.accessKeys[0].store.kmsKeyId', expect.stringMatching(/is not a KMS key id/)],
    [30, '      gracePeriod: 30', 'rotation.accessKeys[0].gracePeriod', '"30" is not a duration: add a unit (s, m, h, d), like 30m'],
    [31, '      switchTimeout: 1 hour', 'rotation.accessKeys[0].switchTimeout', '"1 hour" is not a duration: write a whole number and a unit (s, m, h, d), largest unit first, like 30m or 1h30m'],
    [35, '        quorum: 0', 'rotation.accessKeys[0].deleteApproval.quorum', 'deleteApproval.quorum must be at least 1'],
    [34, '        approvers: []', 'rotation.accessKeys[0].deleteApproval.approvers', 'deleteApproval.approvers must name at least one group'],
    [20, '  channel: rotation', 'rotation.channel', expect.stringMatching(/Slack channel id/)],
  ])('rejects line %d: %s', (line, text, field, message) => {
    expect(issueAt(policyText({ line, text }), field)).toEqual({ file: 'p.yaml', line, field, message });
  });

  it('names the missing field of a store: secretId for secrets-manager, not name', () => {
    const issues = issuesOf(policyText({ line: 43, text: '        name: /safeguard/legacy-etl/access-key' }));
    expect(issues).toEqual([
      { file: 'p.yaml', line: 42, field: 'rotation.accessKeys[1].store.secretId', message: 'missing required field "secretId"' },
      { file: 'p.yaml', line: 43, field: 'rotation.accessKeys[1].store.name', message: 'unknown field "name"' },
    ]);
  });

  it('rejects kmsKeyId on a secrets-manager store', () => {
    expect(issueAt(policyText({ line: 43, insertAfter: ['        kmsKeyId: alias/x'] }), 'rotation.accessKeys[1].store.kmsKeyId').line).toBe(44);
  });

  it('reports a missing required field at its parent', () => {
    const text = policyText({ line: 29, text: '      maxAge:' });
    expect(issueAt(text, 'rotation.accessKeys[0].maxAge')).toMatchObject({ line: 29, message: '"maxAge" has no value' });
  });

  it('reports every problem at once, in line order', () => {
    const issues = issuesOf(
      policyText(
        { line: 24, text: '      user: a/b' },
        { line: 52, text: '      rotationPeriod: 30d' },
        { line: 53, text: '      schedule: { cron: "0 3 * *" }' },
        { line: 57, text: '      rotationPeriod: 2561d' },
      ),
    );
    expect(issues.map((i) => [i.line, i.field])).toEqual([
      [24, 'rotation.accessKeys[0].user'],
      [52, 'rotation.kmsKeys[0].rotationPeriod'],
      [53, 'rotation.kmsKeys[0].schedule.cron'],
      [57, 'rotation.kmsKeys[1].rotationPeriod'],
    ]);
  });
});

describe('policy rotation: cross-reference errors', () => {
  it('rejects an undeclared account, for access keys and KMS keys', () => {
    const issues = issuesOf(policyText({ line: 23, text: '      account: "999999999999"' }, { line: 55, text: '      account: "999999999999"' }));
    expect(issues).toEqual([
      { file: 'p.yaml', line: 23, field: 'rotation.accessKeys[0].account', message: 'unknown account "999999999999" (declare it under accounts)' },
      { file: 'p.yaml', line: 55, field: 'rotation.kmsKeys[1].account', message: 'unknown account "999999999999" (declare it under accounts)' },
      // The ARN's account is checked against the target's, declared or not.
      { file: 'p.yaml', line: 56, field: 'rotation.kmsKeys[1].key', message: expect.stringMatching(/is not in the target's account 999999999999/) },
    ]);
  });

  it('rejects a key ARN outside the target\'s account', () => {
    const text = policyText({ line: 56, text: '      key: arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab' });
    expect(issueAt(text, 'rotation.kmsKeys[1].key')).toMatchObject({ line: 56, message: expect.stringMatching(/is not in the target's account 123456789012/) });
  });

  it('rejects an undeclared approver group', () => {
    const issue = issueAt(policyText({ line: 34, text: '        approvers: [security, sre]' }), 'rotation.accessKeys[0].deleteApproval.approvers[1]');
    expect(issue).toMatchObject({ line: 34, message: 'unknown group "sre" (declare it under groups)' });
  });

  it('rejects a delete quorum larger than the approver groups', () => {
    expect(issueAt(policyText({ line: 35, text: '        quorum: 2' }), 'rotation.accessKeys[0].deleteApproval.quorum')).toEqual({
      file: 'p.yaml',
      line: 35,
      field: 'rotation.accessKeys[0].deleteApproval.quorum',
      message: 'quorum 2 is larger than the approver pool (1 person: carol)',
    });
  });

  it.each([
    ['1h', '1h'],
    ['2h', '1h'],
  ])('rejects gracePeriod %s with switchTimeout %s (grace must be shorter)', (grace, timeout) => {
    const issue = issueAt(policyText({ line: 30, text: `      gracePeriod: ${grace}` }, { line: 31, text: `      switchTimeout: ${timeout}` }), 'rotation.accessKeys[0].gracePeriod');
    expect(issue).toMatchObject({ line: 30, message: expect.stringMatching(new RegExp(`^gracePeriod ${grace} must be shorter than switchTimeout ${timeout}: `)) });
  });

  it('rejects a target name used twice, across access keys and KMS keys', () => {
    const issue = issueAt(policyText({ line: 54, text: '    - name: reporting-exporter' }), 'rotation.kmsKeys[1].name');
    expect(issue).toMatchObject({ line: 54, message: 'duplicate rotation target name "reporting-exporter" (also rotation.accessKeys[0])' });
  });

  it.each(['svc-reporting', 'SVC-Reporting'])('rejects the same IAM user in two targets (%s; IAM names ignore case)', (user) => {
    const issue = issueAt(policyText({ line: 40, text: `      user: ${user}` }), 'rotation.accessKeys[1].user');
    expect(issue).toMatchObject({
      line: 40,
      message: `IAM user ${user} in 123456789012 is already rotated by "reporting-exporter" (rotation.accessKeys[0]); two rotations of one user would fight over its two access keys`,
    });
  });

  it('rejects the same SSM parameter as the store of two targets', () => {
    const issue = issueAt(
      policyText({ line: 42, text: '        type: ssm-parameter' }, { line: 43, text: '        name: /safeguard/reporting/access-key' }),
      'rotation.accessKeys[1].store',
    );
    expect(issue).toMatchObject({
      line: 42,
      message: 'SSM parameter /safeguard/reporting/access-key is already the store of "reporting-exporter" (rotation.accessKeys[0]); each would overwrite the other\'s key',
    });
  });

  it('rejects one secret named once by name and once by ARN', () => {
    const issue = issueAt(
      policyText(
        { line: 26, text: '        type: secrets-manager' },
        { line: 27, text: '        secretId: arn:aws:secretsmanager:us-east-1:123456789012:secret:safeguard/legacy-etl/access-key-AbCdEf' },
        { line: 28, text: '        # no kmsKeyId for secrets' },
      ),
      'rotation.accessKeys[1].store',
    );
    expect(issue.message).toMatch(/^secret safeguard\/legacy-etl\/access-key is already the store of "reporting-exporter"/);
  });

  it('accepts the same parameter name in two different accounts', () => {
    expect(() =>
      validPolicy(
        policyText(
          { line: 16, insertAfter: OTHER_ACCOUNT },
          { line: 39, text: '      account: "210987654321"' },
          { line: 42, text: '        type: ssm-parameter' },
          { line: 43, text: '        name: /safeguard/reporting/access-key' },
        ),
      ),
    ).not.toThrow();
  });

  it('rejects the same KMS key in two targets, by id and by ARN', () => {
    const issue = issueAt(policyText({ line: 51, text: '      key: 1234abcd-12ab-34cd-56ef-1234567890ab' }), 'rotation.kmsKeys[1].key');
    expect(issue).toMatchObject({ line: 56, message: expect.stringMatching(/is already rotated by "phi-data" \(rotation\.kmsKeys\[0\]\)/) });
  });

  it('warns, without failing, when the schedule runs less often than maxAge', () => {
    const result = parsePolicy(policyText({ line: 37, text: '      schedule: { every: 120d }' }), 'p.yaml');
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      {
        file: 'p.yaml',
        line: 37,
        field: 'rotation.accessKeys[0].schedule.every',
        message: 'schedule every 120d is longer than maxAge 90d: keys will outlive maxAge between runs',
      },
    ]);
  });
});

describe('rotation target resolution', () => {
  const policy = validPolicy(policyText());
  const account = {
    accountId: '123456789012',
    executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecution',
    externalId: 'safeguard-sandbox',
  };

  it('resolves an access-key target with its account and the approvers as person ids', () => {
    expect(accessKeyTargetFor(policy, 'reporting-exporter')).toEqual({
      ...account,
      name: 'reporting-exporter',
      userName: 'svc-reporting',
      store: { type: 'ssm-parameter', name: '/safeguard/reporting/access-key', kmsKeyId: 'alias/aws/ssm' },
      maxAgeMs: 90 * D,
      gracePeriodMs: 2 * M,
      switchTimeoutMs: H,
      observePeriodMs: 5 * M,
      deleteApproval: { eligible: ['carol'], quorum: 1, timeoutMs: D },
    });
  });

  it('leaves deleteApproval out when the policy has none', () => {
    const target = accessKeyTargetFor(policy, 'legacy-etl');
    expect(target.store).toEqual({ type: 'secrets-manager', secretId: 'safeguard/legacy-etl/access-key' });
    expect('deleteApproval' in target).toBe(false);
  });

  it('resolves a KMS target', () => {
    expect(kmsKeyTargetFor(policy, 'audit-logs')).toEqual({
      ...account,
      name: 'audit-logs',
      keyRef: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      rotationPeriodDays: 180,
      onDemandDrill: true,
    });
  });

  it('resolves the example policy\'s targets', () => {
    const example = loadPolicyFile(join(__dirname, '..', '..', 'examples', 'policy.yaml'));
    expect(accessKeyTargetFor(example, 'legacy-etl').deleteApproval).toEqual({ eligible: ['carol'], quorum: 1, timeoutMs: 15 * M });
    expect(kmsKeyTargetFor(example, 'phi-data')).toMatchObject({ keyRef: 'alias/safeguard-phi', rotationPeriodDays: 365, onDemandDrill: false });
  });

  it('throws a RotationTargetError naming the known targets for an unknown name, and does not mix the kinds', () => {
    expect(() => accessKeyTargetFor(policy, 'nope')).toThrow(
      expect.objectContaining({
        name: 'RotationTargetError',
        code: 'UNKNOWN_ROTATION_TARGET',
        message: 'unknown access-key rotation target "nope"; access-key targets in the policy: reporting-exporter, legacy-etl',
      }),
    );
    expect(() => kmsKeyTargetFor(policy, 'reporting-exporter')).toThrow(RotationTargetError);
    expect(() => accessKeyTargetFor(policy, 'phi-data')).toThrow(RotationTargetError);
  });

  it('refuses a target whose account is missing (a policy not built by the loader)', () => {
    const broken: Policy = { ...policy, accounts: [] };
    expect(() => kmsKeyTargetFor(broken, 'phi-data')).toThrow(expect.objectContaining({ code: 'UNKNOWN_ACCOUNT' }));
  });
});
