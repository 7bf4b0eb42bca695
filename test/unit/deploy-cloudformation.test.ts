// The CloudFormation templates users deploy (deploy/cloudformation/), checked offline: cfn-lint
// (pinned in tools/requirements.txt) finds no error and no warning in any of them, and fails a
// broken copy; and the invariants Safeguard's security rests on, read from the templates with
// CloudFormation's short-form tags and evaluated for given parameters (sandbox/seed-stacks.ts). The
// sandbox is seeded from these same templates (test/integration/sandbox-cloudformation.test.ts).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { breakGlassTrustProblems } from '../../activities/reviews/break-glass-trust';
import { CODEC_KEY_PURPOSE } from '../../codec/kms-keyring';
import { EVIDENCE_KEY_PURPOSE } from '../../evidence/evidence-key';
import { brokerPolicy } from '../../sandbox/seed';
import { TEMPLATES, TEMPLATE_DIR, checkParameters, parseTemplate, resolveTemplate, roleStackName, templateBody } from '../../sandbox/seed-stacks';
import type { Json, Template, TemplateName } from '../../sandbox/seed-stacks';
import { toolsBin } from '../support/paths';

const ACCOUNT = '111111111111';
const ctx = { accountId: ACCOUNT, region: 'eu-west-1', stackName: 'safeguard' };
const BROKER = 'arn:aws:iam::222222222222:role/SafeguardBroker';
const EXTERNAL_ID = 'safeguard-prod-7f3a';

type Obj = Record<string, Json>;
type Statement = { Sid?: string; Effect: string; Principal?: Json; Action: string | string[]; Resource?: Json; Condition?: Obj };

const template = (name: TemplateName): Template => parseTemplate(templateBody(name));
const resolve = (name: TemplateName, parameters: Record<string, string>) => {
  checkParameters(name, parameters);
  return resolveTemplate(template(name), parameters, ctx);
};
const props = (resources: Template['Resources'], logical: string): Obj => {
  const r = resources[logical];
  if (!r) throw new Error(`no resource ${logical}`);
  return r.Properties ?? {};
};
const statements = (doc: Json | undefined): Statement[] => {
  const s = (doc as { Statement?: Statement | Statement[] } | undefined)?.Statement;
  return s === undefined ? [] : Array.isArray(s) ? s : [s];
};
const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
/** Inline policies (AWS::IAM::Policy) by name for the role with logical id `role`. */
const inlinePolicies = (resources: Template['Resources'], role: string): Record<string, Json> => {
  const roleName = props(resources, role).RoleName as string;
  return Object.fromEntries(
    Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties?.Roles as Json[]).includes(roleName))
      .map((r) => [r.Properties?.PolicyName as string, r.Properties?.PolicyDocument as Json]),
  );
};
/** Whether an IAM action pattern of a policy covers `action` (wildcards as IAM reads them). */
const covers = (pattern: string, action: string): boolean => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action);

const templateNames = Object.keys(TEMPLATES) as TemplateName[];
const templateFiles = templateNames.map((n) => path.join(TEMPLATE_DIR, TEMPLATES[n]));

describe('cfn-lint', () => {
  const CFN_LINT = path.join(toolsBin, 'cfn-lint');
  const lint = (files: string[]) => {
    if (!fs.existsSync(CFN_LINT)) throw new Error(`${CFN_LINT} is missing: run bash tools/bootstrap.sh (tools/requirements.txt pins cfn-lint)`);
    const r = spawnSync(CFN_LINT, ['--format', 'parseable', '--', ...files], { encoding: 'utf8', timeout: 60_000 });
    if (r.error) throw r.error;
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-cfn-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('every template in deploy/cloudformation is one the tests and the sandbox know', () => {
    expect(fs.readdirSync(TEMPLATE_DIR).filter((f) => /\.(ya?ml|json|template)$/.test(f)).sort()).toEqual(Object.values(TEMPLATES).sort());
  });

  it('finds no error and no warning in any template', () => {
    expect(lint(templateFiles)).toEqual({ status: 0, out: '' });
  }, 60_000);

  it('fails a broken copy: an error exits 2, a warning alone 4', () => {
    const tooLong = path.join(dir, 'break-glass-role.yaml');
    fs.writeFileSync(tooLong, templateBody('breakGlassRole').replace('MaxSessionDuration: 3600', 'MaxSessionDuration: 43201'));
    const error = lint([tooLong]);
    expect(error.status).toBe(2);
    expect(error.out).toMatch(/E3034/);

    const unusedParameter = path.join(dir, 'target-account.yaml');
    fs.writeFileSync(unusedParameter, templateBody('targetAccount').replace('Parameters:\n', 'Parameters:\n  Unused:\n    Type: String\n'));
    const warning = lint([unusedParameter]);
    expect(warning.status).toBe(4);
    expect(warning.out).toMatch(/W2001/);
  }, 60_000);
});

describe('every template', () => {
  it.each(templateNames)('%s: no role has ManagedPolicyArns (moto ignores them) or Policies (moto answers their Python repr)', (name) => {
    const roles = Object.values(template(name).Resources).filter((r) => r.Type === 'AWS::IAM::Role');
    expect(roles.length).toBeGreaterThan(0);
    for (const r of roles) {
      expect(r.Properties).not.toHaveProperty('ManagedPolicyArns');
      expect(r.Properties).not.toHaveProperty('Policies');
    }
  });

  it.each(['targetAccount', 'breakGlassRole'] as const)('%s names no account (one template for every account, e.g. a StackSet)', (name) => {
    expect(JSON.stringify(template(name))).not.toMatch(/\d{12}/);
  });

  it('the parameter check refuses what CloudFormation would (moto does not)', () => {
    expect(() => checkParameters('breakGlassRole', { RoleName: 'R', AccessLevel: 'owner', BrokerPrincipalArn: BROKER })).toThrow(/AccessLevel=owner is not one of/);
    expect(() => checkParameters('breakGlassRole', { RoleName: 'R', AccessLevel: 'admin' })).toThrow(/BrokerPrincipalArn is required/);
    expect(() => checkParameters('breakGlassRole', { RoleName: 'R', AccessLevel: 'admin', BrokerPrincipalArn: '*' })).toThrow(/does not match/);
    expect(() => checkParameters('targetAccount', { BrokerPrincipalArn: BROKER, ExternalId: 'x1', Extra: 'y' })).toThrow(/no parameter Extra/);
  });

  it('stack names for roles are valid CloudFormation names, distinct for distinct role names', () => {
    const names = ['BreakGlassAdmin', 'ops.admin', 'ops_admin', 'ops@admin'].map((n) => roleStackName('safeguard-break-glass', n));
    for (const n of names) expect(n).toMatch(/^[A-Za-z][A-Za-z0-9-]{0,127}$/);
    expect(new Set(names).size).toBe(names.length);
    expect(names[0]).toBe('safeguard-break-glass-BreakGlassAdmin');
  });
});

describe('break-glass-role.yaml', () => {
  const levels = ['admin', 'read-only', 'none'] as const;
  const deployed = (AccessLevel: (typeof levels)[number]) => resolve('breakGlassRole', { RoleName: 'BreakGlassAdmin', RolePath: '/breakglass/', AccessLevel, BrokerPrincipalArn: BROKER });

  it('the trust names the broker parameter alone', () => {
    const trust = statements(template('breakGlassRole').Resources.Role?.Properties?.AssumeRolePolicyDocument);
    expect(trust).toHaveLength(1);
    expect(trust[0]?.Principal).toEqual({ AWS: { Ref: 'BrokerPrincipalArn' } });
  });

  it.each(levels)('AccessLevel %s: only the broker may assume the role, only with a SourceIdentity; sessions last at most an hour', (level) => {
    const role = props(deployed(level), 'Role');
    expect(role.MaxSessionDuration).toBe(3600);
    // The shape the access review requires of a break-glass role (activities/reviews/break-glass-trust.ts).
    expect(breakGlassTrustProblems(JSON.stringify(role.AssumeRolePolicyDocument), BROKER)).toEqual([]);
    expect(statements(role.AssumeRolePolicyDocument)).toEqual([
      {
        Sid: 'BrokerOnlyWithSourceIdentity',
        Effect: 'Allow',
        Principal: { AWS: BROKER },
        Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
        Condition: { Null: { 'sts:SourceIdentity': 'false' } },
      },
    ]);
    expect(role.RoleName).toBe('BreakGlassAdmin');
    expect(role.Path).toBe('/breakglass/');
  });

  it('admin allows * on *; read-only only describes, gets and lists; a fire-drill role (none) has no policy at all', () => {
    expect(inlinePolicies(deployed('admin'), 'Role')).toEqual({ BreakGlassAdmin: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } });

    const readOnly = statements(inlinePolicies(deployed('read-only'), 'Role').BreakGlassAdmin);
    expect(readOnly).toHaveLength(1);
    expect(readOnly[0]?.Effect).toBe('Allow');
    for (const a of actions(readOnly[0] as Statement)) expect(a).toMatch(/^[a-z0-9]+:(Describe|Get|List)\*$/);

    const drill = deployed('none');
    expect(inlinePolicies(drill, 'Role')).toEqual({});
    expect(Object.values(drill).map((r) => r.Type)).toEqual(['AWS::IAM::Role']);
  });
});

describe('target-account.yaml', () => {
  const base = { BrokerPrincipalArn: BROKER, ExternalId: EXTERNAL_ID };
  const all = { ...base, EnableKeyRotation: 'true', EnableRestoreDrills: 'true', EnableAccessReviews: 'true', EnableComplianceChecks: 'true', EnableRunbookChecks: 'true' };

  it('SafeguardExecution trusts the broker alone, only with the ExternalId', () => {
    const role = props(resolve('targetAccount', all), 'ExecutionRole');
    expect(role.RoleName).toBe('SafeguardExecution');
    expect(statements(role.AssumeRolePolicyDocument)).toEqual([
      { Sid: 'BrokerOnlyWithExternalId', Effect: 'Allow', Principal: { AWS: BROKER }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } } },
    ]);
  });

  it('always has its break-glass policy; rotation, drills and reviews only where enabled', () => {
    expect(Object.keys(inlinePolicies(resolve('targetAccount', base), 'ExecutionRole'))).toEqual(['SafeguardExecution']);
    expect(Object.keys(inlinePolicies(resolve('targetAccount', { ...base, EnableRestoreDrills: 'true' }), 'ExecutionRole')).sort()).toEqual(['SafeguardDrillsDynamoBackup', 'SafeguardDrillsRds', 'SafeguardExecution']);
    expect(Object.keys(inlinePolicies(resolve('targetAccount', all), 'ExecutionRole')).sort()).toEqual([
      'SafeguardAccessReviews',
      'SafeguardComplianceChecks',
      'SafeguardDrillsDynamoBackup',
      'SafeguardDrillsRds',
      'SafeguardExecution',
      'SafeguardRotation',
      'SafeguardRunbookChecks',
    ]);
  });

  it('the runbook checks policy exists only where enabled and covers exactly the check catalogue\'s reads', () => {
    expect(Object.keys(inlinePolicies(resolve('targetAccount', { ...base, EnableRunbookChecks: 'true' }), 'ExecutionRole')).sort()).toEqual(['SafeguardExecution', 'SafeguardRunbookChecks']);
    const allowed = statements(inlinePolicies(resolve('targetAccount', all), 'ExecutionRole').SafeguardRunbookChecks).flatMap(actions).sort();
    expect(allowed).toEqual(['cloudtrail:LookupEvents', 'iam:GenerateCredentialReport', 'iam:GetAccountSummary', 'iam:GetCredentialReport']);
  });

  it('allows only named actions (no wildcard at all), and never the IAM writes that would let it grant itself or any role more', () => {
    const ESCALATION = ['iam:AttachRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:PutRolePermissionsBoundary', 'iam:DeleteRolePermissionsBoundary', 'iam:CreatePolicyVersion'];
    for (const doc of Object.values(inlinePolicies(resolve('targetAccount', all), 'ExecutionRole'))) {
      for (const s of statements(doc).filter((x) => x.Effect === 'Allow')) {
        for (const a of actions(s)) {
          expect(a).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
          expect(ESCALATION).not.toContain(a);
        }
      }
    }
  });

  it('denies the role any change to its own permissions or trust; that is its only Deny', () => {
    const docs = Object.values(inlinePolicies(resolve('targetAccount', all), 'ExecutionRole'));
    const denies = docs.flatMap((d) => statements(d)).filter((s) => s.Effect === 'Deny');
    expect(denies).toHaveLength(1);
    const protect = denies[0];
    if (!protect) throw new Error('no Deny');
    expect(protect.Sid).toBe('ProtectThisRole');
    expect(protect.Resource).toBe(`arn:aws:iam::${ACCOUNT}:role/SafeguardExecution`);
    for (const a of ['iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:PutRolePermissionsBoundary', 'iam:DeleteRole']) {
      expect(actions(protect)).toContain(a);
    }
  });

  it('the compliance checks policy exists only where enabled, reads only (Describe/Get/List), and covers every call the report makes', () => {
    expect(Object.keys(inlinePolicies(resolve('targetAccount', { ...base, EnableComplianceChecks: 'true' }), 'ExecutionRole')).sort()).toEqual(['SafeguardComplianceChecks', 'SafeguardExecution']);
    const doc = inlinePolicies(resolve('targetAccount', all), 'ExecutionRole').SafeguardComplianceChecks;
    const allowed = statements(doc).flatMap(actions);
    for (const a of allowed) expect(a).toMatch(/^[a-z0-9-]+:(Describe|Get|List)[A-Za-z]+$/);
    // Nothing that reads data: object contents, secrets, key material.
    for (const a of allowed) expect(['s3:GetObject', 'kms:Decrypt', 'secretsmanager:GetSecretValue', 'ssm:GetParameter']).not.toContain(a);
    const needed = [
      'cloudtrail:DescribeTrails', 'cloudtrail:GetTrailStatus', 'ec2:DescribeVpcs', 'ec2:DescribeFlowLogs', 'ec2:DescribeSecurityGroups',
      's3:ListAllMyBuckets', 's3:GetBucketLogging', 's3:GetBucketVersioning', 'rds:DescribeDBInstances', 'kms:ListKeys', 'kms:DescribeKey', 'kms:GetKeyRotationStatus',
      'elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeSSLPolicies',
      'wafv2:GetWebACLForResource', 'config:DescribeConfigurationRecorderStatus', 'guardduty:ListDetectors', 'guardduty:GetDetector', 'securityhub:DescribeHub', 'iam:GetRole',
    ];
    for (const n of needed) expect(allowed).toContain(n);
  });

  it('revocation can write, read back and delete deny statements, and end sessions', () => {
    const doc = inlinePolicies(resolve('targetAccount', base), 'ExecutionRole').SafeguardExecution;
    const allowed = statements(doc).flatMap(actions);
    for (const needed of ['iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy', 'iam:GetRole', 'ssm:DescribeSessions', 'ssm:TerminateSession']) {
      expect(allowed.some((a) => covers(a, needed))).toBe(true);
    }
  });
});

describe('hub.yaml', () => {
  const bg = 'arn:aws:iam::*:role/breakglass/*,arn:aws:iam::*:role/drills/*';
  const hub = (over: Record<string, string> = {}) => resolve('hub', { BreakGlassRoleArns: bg, ...over });
  const brokerArn = `arn:aws:iam::${ACCOUNT}:role/SafeguardBroker`;

  it('the broker role is assumed by the principal the parameters name: a service, or a role', () => {
    expect(statements(props(hub(), 'BrokerRole').AssumeRolePolicyDocument)).toEqual([
      { Sid: 'SafeguardProcesses', Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    const runner = 'arn:aws:iam::111111111111:role/platform/safeguard-runner';
    expect(statements(props(hub({ BrokerTrustPrincipalType: 'AWS', BrokerTrustPrincipal: runner }), 'BrokerRole').AssumeRolePolicyDocument)[0]?.Principal).toEqual({ AWS: runner });
  });

  it('the broker may assume the execution roles, and the break-glass roles with a SourceIdentity and tags; the sandbox broker user gets the same statements', () => {
    const [exec, breakGlass, ...evidence] = statements(inlinePolicies(hub(), 'BrokerRole').SafeguardBroker);
    expect(exec).toEqual({ Sid: 'AssumeExecutionRoles', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/SafeguardExecution' });
    expect(breakGlass).toEqual({ Sid: 'AssumeBreakGlassRoles', Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'], Resource: bg.split(',') });
    for (const s of evidence) for (const a of actions(s)) expect(a).toMatch(/^s3:(Get|List|Put)/);

    const sandbox = statements(JSON.parse(brokerPolicy(['arn:aws:iam::123456789012:role/SafeguardExecution'], ['arn:aws:iam::123456789012:role/BreakGlassAdmin'])) as Json);
    const withoutResource = ({ Resource: _r, ...s }: Statement) => s;
    expect(sandbox.map(withoutResource)).toEqual([exec, breakGlass].map((s) => withoutResource(s as Statement)));

    const org = statements(inlinePolicies(hub({ OrganizationId: 'o-abcdefghij' }), 'BrokerRole').SafeguardBroker);
    expect(org.slice(0, 2).map((s) => s.Condition)).toEqual([{ StringEquals: { 'aws:ResourceOrgID': 'o-abcdefghij' } }, { StringEquals: { 'aws:ResourceOrgID': 'o-abcdefghij' } }]);
  });

  it('the codec key rotates, and only the broker may encrypt, decrypt or make data keys with it, for the codec and the evidence chain only', () => {
    const key = props(hub(), 'CodecKey');
    expect(key.EnableKeyRotation).toBe(true);
    const crypto = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:GenerateDataKeyWithoutPlaintext'];
    const granting = statements(key.KeyPolicy).filter((s) => s.Effect === 'Allow' && actions(s).some((a) => crypto.some((c) => covers(a, c))));
    expect(granting.length).toBeGreaterThan(0);
    for (const s of granting) {
      expect(s.Principal).toEqual({ AWS: brokerArn });
      expect(s.Condition).toEqual({ StringEquals: { 'kms:EncryptionContext:purpose': [CODEC_KEY_PURPOSE, EVIDENCE_KEY_PURPOSE] } });
    }
    expect(statements(key.KeyPolicy).flatMap(actions)).toEqual(expect.arrayContaining(['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey']));
  });

  it('the evidence bucket locks every object in COMPLIANCE mode for the retention, is versioned, private and TLS-only, and outlives the stack', () => {
    const raw = template('hub').Resources.EvidenceBucket;
    expect(raw).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const bucket = props(hub({ EvidenceRetentionDays: '2555' }), 'EvidenceBucket');
    expect(bucket.ObjectLockEnabled).toBe(true);
    expect(bucket.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: '2555' } } });
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });

    const policy = props(hub(), 'EvidenceBucketPolicy');
    expect(policy.Bucket).toBe('EvidenceBucket');
    expect(statements(policy.PolicyDocument)).toContainEqual({
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: ['<EvidenceBucket.Arn>', '<EvidenceBucket.Arn>/*'],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    // Retention is COMPLIANCE: nothing may delete it, bypass it or change the bucket. The broker sets each
    // anchor's retain-until date as it writes it (s3:PutObjectRetention); COMPLIANCE mode lets that
    // only ever lengthen a retention (test/integration/evidence-anchors.test.ts).
    const broker = statements(inlinePolicies(hub(), 'BrokerRole').SafeguardBroker).flatMap(actions);
    expect(broker.filter((a) => /Delete|BypassGovernance|PutBucket|PutObjectLegalHold/.test(a))).toEqual([]);
    expect(broker).toContain('s3:PutObjectRetention');
  });
});
