// drills.restore and drills.sweeper: every source type parses to the workflow's shapes (durations
// in milliseconds, defaults filled in), each bad input fails with the file, line and field, and a
// policy without a drills section gets empty lists. The fire drills are test/unit/policy-fire-drills.test.ts.
import { parsePolicy } from '../../config/policy';
import { editLines, issueAt, issuesOf, validPolicy } from '../support/policy-text';
import type { Edit } from '../support/policy-text';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

// Tests edit single lines, so line numbers in assertions refer to this list.
const BASE: readonly string[] = [
  /* 1 */ 'version: 2',
  /* 2 */ 'groups:',
  /* 3 */ '  - id: oncall',
  /* 4 */ '  - id: dba',
  /* 5 */ '  - id: security',
  /* 6 */ 'people:',
  /* 7 */ '  - { id: alice, name: Alice, groups: [oncall] }',
  /* 8 */ '  - { id: bob, name: Bob, groups: [dba] }',
  /* 9 */ '  - { id: carol, name: Carol, groups: [security] }',
  /* 10 */ 'accounts:',
  /* 11 */ '  - id: "123456789012"',
  /* 12 */ '    name: sandbox',
  /* 13 */ '    executionRoleArn: arn:aws:iam::123456789012:role/SafeguardExecution',
  /* 14 */ '    externalId: safeguard-sandbox',
  /* 15 */ 'security:',
  /* 16 */ '  groups: [security]',
  /* 17 */ 'drills:',
  /* 18 */ '  channel: C0DRILLS',
  /* 19 */ '  sweeper: { olderThan: 12h, schedule: { cron: "0 4 * * *" } }',
  /* 20 */ '  restore:',
  /* 21 */ '    - name: orders-snapshot',
  /* 22 */ '      account: "123456789012"',
  /* 23 */ '      source:',
  /* 24 */ '        type: rds-snapshot',
  /* 25 */ '        dbInstance: orders-db',
  /* 26 */ '      scratch:',
  /* 27 */ '        instanceClass: db.t3.micro',
  /* 28 */ '        subnetGroup: drills-private',
  /* 29 */ '        tags: { team: data }',
  /* 30 */ '      validation:',
  /* 31 */ '        type: ssm-command',
  /* 32 */ '        instance: i-0123456789abcdef0',
  /* 33 */ '        document: Safeguard-ValidateOrders',
  /* 34 */ '        parameters: { Endpoint: ["{{scratch.endpoint}}"] }',
  /* 35 */ '        minRows: 100',
  /* 36 */ '        timeout: 10m',
  /* 37 */ '      rto: 1h',
  /* 38 */ '      rpo: 30m',
  /* 39 */ '      maxDuration: 2h',
  /* 40 */ '      signOff: { approvers: [dba, security], quorum: 1, timeout: 1d }',
  /* 41 */ '      schedule: { every: 7d }',
  /* 42 */ '    - name: orders-named',
  /* 43 */ '      account: "123456789012"',
  /* 44 */ '      source: { type: rds-snapshot, dbInstance: orders-db, snapshot: "rds:orders-db-2024-01-01-03-00" }',
  /* 45 */ '      validation: { type: ssm-command, instance: i-0123456789abcdef0, document: Safeguard-ValidateOrders }',
  /* 46 */ '      rto: 1h',
  /* 47 */ '      rpo: 1d',
  /* 48 */ '      maxDuration: 2h',
  /* 49 */ '    - name: orders-pitr',
  /* 50 */ '      account: "123456789012"',
  /* 51 */ '      source: { type: rds-point-in-time, dbInstance: orders-db, restoreAgo: 15m }',
  /* 52 */ '      validation: { type: ssm-command, instance: i-0123456789abcdef0, document: Safeguard-ValidateOrders }',
  /* 53 */ '      rto: 1h',
  /* 54 */ '      rpo: 30m',
  /* 55 */ '      maxDuration: 2h',
  /* 56 */ '    - name: patients-backup',
  /* 57 */ '      account: "123456789012"',
  /* 58 */ '      source: { type: dynamodb-backup, table: patients, backupArn: "arn:aws:dynamodb:us-east-1:123456789012:table/patients/backup/01700000000000-abcdef12" }',
  /* 59 */ '      validation: { type: dynamodb, minItems: 10, timestampAttribute: updatedAt }',
  /* 60 */ '      rto: 30m',
  /* 61 */ '      rpo: 1d',
  /* 62 */ '      maxDuration: 1h',
  /* 63 */ '    - name: patients-pitr',
  /* 64 */ '      account: "123456789012"',
  /* 65 */ '      source: { type: dynamodb-point-in-time, table: patients }',
  /* 66 */ '      validation: { type: dynamodb }',
  /* 67 */ '      rto: 30m',
  /* 68 */ '      rpo: 5m',
  /* 69 */ '      maxDuration: 1h',
  /* 70 */ '    - name: vault-orders',
  /* 71 */ '      account: "123456789012"',
  /* 72 */ '      source:',
  /* 73 */ '        type: backup-recovery-point',
  /* 74 */ '        vault: phi-vault',
  /* 75 */ '        resource: arn:aws:rds:us-east-1:123456789012:db:orders-db',
  /* 76 */ '        restoreRole: arn:aws:iam::123456789012:role/BackupRestore',
  /* 77 */ '      validation: { type: ssm-command, instance: i-0123456789abcdef0, document: Safeguard-ValidateOrders }',
  /* 78 */ '      rto: 2h',
  /* 79 */ '      rpo: 1d',
  /* 80 */ '      maxDuration: 3h',
];

const policyText = (...edits: Edit[]): string => editLines(BASE, edits);
const SSM_DEFAULTS = { type: 'ssm-command', instanceId: 'i-0123456789abcdef0', document: 'Safeguard-ValidateOrders', parameters: {}, minRows: 1, timeoutMs: 10 * M };

describe('policy drills.restore: valid files', () => {
  it('parses every source type to the workflow\'s shapes, durations in milliseconds, defaults filled in', () => {
    const drills = validPolicy(policyText()).drills;
    expect(drills.channel).toBe('C0DRILLS');
    expect(drills.sweeper).toEqual({ olderThanMs: 12 * H, schedule: { cron: '0 4 * * *' } });
    expect(drills.fire).toEqual([]);
    expect(drills.restore).toEqual([
      {
        name: 'orders-snapshot',
        account: '123456789012',
        source: { type: 'rds-snapshot', dbInstance: 'orders-db' },
        scratch: { instanceClass: 'db.t3.micro', subnetGroup: 'drills-private', tags: { team: 'data' } },
        validation: { type: 'ssm-command', instanceId: 'i-0123456789abcdef0', document: 'Safeguard-ValidateOrders', parameters: { Endpoint: ['{{scratch.endpoint}}'] }, minRows: 100, timeoutMs: 10 * M },
        rtoMs: H,
        rpoMs: 30 * M,
        maxDurationMs: 2 * H,
        signOff: { approvers: ['dba', 'security'], quorum: 1, timeoutMs: D },
        schedule: { everyMs: 7 * D },
      },
      {
        name: 'orders-named',
        account: '123456789012',
        source: { type: 'rds-snapshot', dbInstance: 'orders-db', snapshot: 'rds:orders-db-2024-01-01-03-00' },
        scratch: { tags: {} },
        validation: SSM_DEFAULTS,
        rtoMs: H,
        rpoMs: D,
        maxDurationMs: 2 * H,
      },
      {
        name: 'orders-pitr',
        account: '123456789012',
        source: { type: 'rds-point-in-time', dbInstance: 'orders-db', restoreAgoMs: 15 * M },
        scratch: { tags: {} },
        validation: SSM_DEFAULTS,
        rtoMs: H,
        rpoMs: 30 * M,
        maxDurationMs: 2 * H,
      },
      {
        name: 'patients-backup',
        account: '123456789012',
        source: { type: 'dynamodb-backup', table: 'patients', backupArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/patients/backup/01700000000000-abcdef12' },
        scratch: { tags: {} },
        validation: { type: 'dynamodb', minItems: 10, timestampAttribute: 'updatedAt' },
        rtoMs: 30 * M,
        rpoMs: D,
        maxDurationMs: H,
      },
      {
        name: 'patients-pitr',
        account: '123456789012',
        source: { type: 'dynamodb-point-in-time', table: 'patients' },
        scratch: { tags: {} },
        validation: { type: 'dynamodb', minItems: 1 },
        rtoMs: 30 * M,
        rpoMs: 5 * M,
        maxDurationMs: H,
      },
      {
        name: 'vault-orders',
        account: '123456789012',
        source: { type: 'backup-recovery-point', vault: 'phi-vault', resourceArn: 'arn:aws:rds:us-east-1:123456789012:db:orders-db', iamRoleArn: 'arn:aws:iam::123456789012:role/BackupRestore' },
        scratch: { tags: {} },
        validation: SSM_DEFAULTS,
        rtoMs: 2 * H,
        rpoMs: D,
        maxDurationMs: 3 * H,
      },
    ]);
  });

  it('accepts a recovery point of a DynamoDB table validated with DynamoDB checks, and a named recovery point', () => {
    const p = validPolicy(
      policyText(
        { line: 75, text: '        resource: arn:aws:dynamodb:us-east-1:123456789012:table/patients' },
        { line: 76, insertAfter: ['        recoveryPoint: arn:aws:backup:us-east-1:123456789012:recovery-point:1EB3B5E7-9EB0-435A-A80B-108B488B0D45'] },
        { line: 77, text: '      validation: { type: dynamodb, minItems: 5 }' },
      ),
    );
    expect(p.drills.restore[5]?.source).toEqual({
      type: 'backup-recovery-point',
      vault: 'phi-vault',
      resourceArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/patients',
      iamRoleArn: 'arn:aws:iam::123456789012:role/BackupRestore',
      recoveryPointArn: 'arn:aws:backup:us-east-1:123456789012:recovery-point:1EB3B5E7-9EB0-435A-A80B-108B488B0D45',
    });
  });

  it('gives a policy without a drills section empty lists and the default sweeper', () => {
    const p = validPolicy(`${BASE.slice(0, 16).join('\n')}\n`);
    expect(p.drills).toEqual({ restore: [], fire: [], sweeper: { olderThanMs: 6 * H } });
  });

  it('fills the sweeper in when only drills are written', () => {
    const p = validPolicy(policyText({ line: 18, remove: true }, { line: 19, remove: true }));
    expect(p.drills.sweeper).toEqual({ olderThanMs: 6 * H });
    expect('channel' in p.drills).toBe(false);
  });

  it('warns, without failing, when rto is longer than maxDuration', () => {
    const result = parsePolicy(policyText({ line: 37, text: '      rto: 3h' }), 'p.yaml');
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      { file: 'p.yaml', line: 37, field: 'drills.restore[0].rto', message: 'rto 3h is longer than maxDuration 2h: the drill is stopped before it could miss its RTO' },
    ]);
  });
});

describe('policy drills.restore: errors name the file, line and field', () => {
  it.each([
    [24, '        type: s3-bucket', 'drills.restore[0].source.type', 'source.type must be one of rds-snapshot, rds-point-in-time, dynamodb-backup, dynamodb-point-in-time, backup-recovery-point'],
    [25, '        dbInstance: sg-drill-orders', 'drills.restore[0].source.dbInstance', 'dbInstance sg-drill-orders starts with sg-drill-: that prefix is for the scratch resources drills create, never a source'],
    [65, '      source: { type: dynamodb-point-in-time, table: SG-Drill-patients }', 'drills.restore[4].source.table', expect.stringMatching(/^table SG-Drill-patients starts with sg-drill-/)],
    [75, '        resource: arn:aws:rds:us-east-1:123456789012:db:sg-drill-orders-db', 'drills.restore[5].source.resource', expect.stringMatching(/^resource sg-drill-orders-db starts with sg-drill-/)],
    [37, '      rto: 1 hour', 'drills.restore[0].rto', expect.stringMatching(/"1 hour" is not a duration/)],
    [38, '      rpo: 30', 'drills.restore[0].rpo', '"30" is not a duration: add a unit (s, m, h, d), like 30m'],
    [39, '      maxDuration: 1.5h', 'drills.restore[0].maxDuration', '"1.5h" is not a duration: use whole numbers, like 1h30m'],
    [36, '        timeout: soon', 'drills.restore[0].validation.timeout', expect.stringMatching(/"soon" is not a duration/)],
    [51, '      source: { type: rds-point-in-time, dbInstance: orders-db, restoreAgo: 40d }', 'drills.restore[2].source.restoreAgo', '"40d" is longer than the 35d limit'],
    [31, '        type: sql', 'drills.restore[0].validation.type', 'validation.type must be ssm-command or dynamodb'],
    [35, '        minRows: 0', 'drills.restore[0].validation.minRows', 'validation.minRows must be at least 1'],
    [21, '    - name: Orders_Snapshot', 'drills.restore[0].name', expect.stringMatching(/is not a valid drill name/)],
    [21, '    - name: orders-snapshot-with-a-name-far-too-long', 'drills.restore[0].name', expect.stringMatching(/is not a valid drill name/)],
    [29, '        tags: { "safeguard:drill": x }', 'drills.restore[0].scratch.tags.safeguard:drill', 'tag key "safeguard:drill" is not allowed (1-128 characters; aws: and safeguard: are reserved)'],
    [29, '        tags: [team, data]', 'drills.restore[0].scratch.tags', 'scratch.tags must be a map of tag keys to values'],
    [34, '        parameters: { "bad name!": ["x"] }', 'drills.restore[0].validation.parameters.bad name!', '"bad name!" is not an SSM parameter name'],
    [34, '        parameters: { Endpoint: "{{scratch.endpoint}}" }', 'drills.restore[0].validation.parameters.Endpoint', 'each parameter must be a list of strings'],
  ])('rejects line %d: %s', (line, text, field, message) => {
    expect(issueAt(policyText({ line, text }), field)).toEqual({ file: 'p.yaml', line, field, message });
  });

  it('rejects an RDS source validated with DynamoDB checks, and a DynamoDB source validated by SSM', () => {
    const issues = issuesOf(policyText({ line: 52, text: '      validation: { type: dynamodb }' }, { line: 66, text: '      validation: { type: ssm-command, instance: i-0123456789abcdef0, document: Safeguard-ValidateOrders }' }));
    expect(issues).toEqual([
      { file: 'p.yaml', line: 52, field: 'drills.restore[2].validation.type', message: 'an RDS source is validated with type ssm-command (DynamoDB checks read a table)' },
      { file: 'p.yaml', line: 66, field: 'drills.restore[4].validation.type', message: 'a DynamoDB source is validated with type dynamodb' },
    ]);
  });

  it('rejects a recovery point of an RDS instance validated with DynamoDB checks', () => {
    expect(issueAt(policyText({ line: 77, text: '      validation: { type: dynamodb }' }), 'drills.restore[5].validation.type')).toMatchObject({
      line: 77,
      message: 'an RDS source is validated with type ssm-command (DynamoDB checks read a table)',
    });
  });

  it.each([
    ['2h', 'validation.timeout 2h must be shorter than maxDuration 2h'],
    ['3h', 'validation.timeout 3h must be shorter than maxDuration 2h'],
  ])('rejects validation.timeout %s with maxDuration 2h', (timeout, message) => {
    expect(issueAt(policyText({ line: 36, text: `        timeout: ${timeout}` }), 'drills.restore[0].validation.timeout')).toEqual({ file: 'p.yaml', line: 36, field: 'drills.restore[0].validation.timeout', message });
  });

  it('rejects an undeclared sign-off group, and a sign-off quorum its groups cannot reach', () => {
    expect(issueAt(policyText({ line: 40, text: '      signOff: { approvers: [dba, sre], quorum: 1, timeout: 1d }' }), 'drills.restore[0].signOff.approvers[1]')).toEqual({
      file: 'p.yaml',
      line: 40,
      field: 'drills.restore[0].signOff.approvers[1]',
      message: 'unknown group "sre" (declare it under groups)',
    });
    expect(issueAt(policyText({ line: 40, text: '      signOff: { approvers: [dba], quorum: 2, timeout: 1d }' }), 'drills.restore[0].signOff.quorum')).toMatchObject({
      line: 40,
      message: 'quorum 2 is larger than the approver pool (1 person: bob)',
    });
  });

  it('rejects a drill name used twice', () => {
    expect(issueAt(policyText({ line: 63, text: '    - name: orders-pitr' }), 'drills.restore[4].name')).toEqual({
      file: 'p.yaml',
      line: 63,
      field: 'drills.restore[4].name',
      message: 'duplicate drill name "orders-pitr" (also drills.restore[2])',
    });
  });

  it('rejects a drill named like a rotation target (`safeguard schedules` names both alike)', () => {
    const text = `${policyText()}rotation:\n  kmsKeys:\n    - { name: orders-named, account: "123456789012", key: alias/orders, rotationPeriod: 365d }\n`;
    expect(issueAt(text, 'drills.restore[1].name')).toEqual({
      file: 'p.yaml',
      line: 42,
      field: 'drills.restore[1].name',
      message: '"orders-named" is also a rotation target\'s name; `safeguard schedules` could not tell them apart',
    });
  });

  it('rejects a recovery point resource, or a restore role, in another account', () => {
    const issues = issuesOf(
      policyText({ line: 75, text: '        resource: arn:aws:rds:us-east-1:210987654321:db:orders-db' }, { line: 76, text: '        restoreRole: arn:aws:iam::210987654321:role/BackupRestore' }),
    );
    expect(issues).toEqual([
      { file: 'p.yaml', line: 75, field: 'drills.restore[5].source.resource', message: "resource arn:aws:rds:us-east-1:210987654321:db:orders-db is not in the drill's account 123456789012" },
      { file: 'p.yaml', line: 76, field: 'drills.restore[5].source.restoreRole', message: "restoreRole arn:aws:iam::210987654321:role/BackupRestore is not in the drill's account 123456789012" },
    ]);
  });

  it('rejects a backup ARN of another table, and an undeclared account', () => {
    const issues = issuesOf(
      policyText(
        { line: 58, text: '      source: { type: dynamodb-backup, table: patients, backupArn: "arn:aws:dynamodb:us-east-1:123456789012:table/orders/backup/01700000000000-abcdef12" }' },
        { line: 64, text: '      account: "999999999999"' },
      ),
    );
    expect(issues).toEqual([
      { file: 'p.yaml', line: 58, field: 'drills.restore[3].source.backupArn', message: expect.stringMatching(/is not a backup of table patients$/) },
      { file: 'p.yaml', line: 64, field: 'drills.restore[4].account', message: 'unknown account "999999999999" (declare it under accounts)' },
    ]);
  });

  it('rejects an unknown field inside a source', () => {
    const issue = issueAt(policyText({ line: 25, insertAfter: ['        table: patients'] }), 'drills.restore[0].source.table');
    expect(issue).toMatchObject({ line: 26, message: 'unknown field "table"' });
  });
});
