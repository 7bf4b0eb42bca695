import path from 'node:path';
import { loadPolicyFile } from '../../config/policy';
import type { BreakGlassRole } from '../../config/policy';
import { DEFAULT_SEED_PLAN, parseKmsKeyRef, parseRoleArn, parseUserArn, seedPlanFromPolicy } from '../../sandbox/seed-plan';
import type { SeedPolicy } from '../../sandbox/seed-plan';
import { secretNameOf } from '../../sandbox/seed';

const ACCOUNT = '123456789012';

function role(name: string, ssmTargets: string[] = []): BreakGlassRole {
  return { name, account: ACCOUNT, roleArn: `arn:aws:iam::${ACCOUNT}:role/${name}`, ssmTargets } as Partial<BreakGlassRole> as BreakGlassRole;
}

function policy(over: Partial<SeedPolicy> = {}): SeedPolicy {
  return {
    people: [],
    accounts: [{ id: ACCOUNT, name: 'sandbox', executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/SafeguardExecution`, externalId: 'x' }],
    breakGlass: { roles: [] },
    rotation: { accessKeys: [], kmsKeys: [] },
    ...over,
  };
}

const accessKey = (user: string, store: SeedPolicy['rotation']['accessKeys'][number]['store']): SeedPolicy['rotation']['accessKeys'][number] => ({
  name: `${user}-target`,
  account: ACCOUNT,
  user,
  store,
  maxAgeMs: 1,
  gracePeriodMs: 1,
  switchTimeoutMs: 2,
  observePeriodMs: 1,
});

describe('seedPlanFromPolicy', () => {
  it('plans one entry per person with the IAM user ARNs among their principals (roles are not users)', () => {
    const plan = seedPlanFromPolicy(
      policy({
        people: [
          { id: 'erin', name: 'Erin', awsPrincipals: [`arn:aws:iam::${ACCOUNT}:user/ops/erin`, `arn:aws:iam::${ACCOUNT}:role/ErinSso`], groups: [] },
          { id: 'frank', name: 'Frank', awsPrincipals: [`arn:aws:sts::${ACCOUNT}:assumed-role/Sso/frank`], groups: [] },
        ],
      }),
    );
    expect(plan.people).toEqual([
      { id: 'erin', userArns: [`arn:aws:iam::${ACCOUNT}:user/ops/erin`] },
      { id: 'frank', userArns: [] },
    ]);
  });

  it('plans the break-glass roles, execution roles and SSM targets once each', () => {
    const plan = seedPlanFromPolicy(policy({ breakGlass: { roles: [role('Ops', ['i-0123456789abcdef0']), role('Ops', ['i-0123456789abcdef0', 'i-0fedcba9876543210']), role('Audit')] } }));
    expect(plan.roleArns).toEqual([`arn:aws:iam::${ACCOUNT}:role/Ops`, `arn:aws:iam::${ACCOUNT}:role/Audit`]);
    expect(plan.executionRoleArns).toEqual([`arn:aws:iam::${ACCOUNT}:role/SafeguardExecution`]);
    expect(plan.instances).toEqual(['i-0123456789abcdef0', 'i-0fedcba9876543210']);
  });

  it('plans a service user with a switching consumer per access-key target, and every KMS key named (stores included, AWS managed keys not)', () => {
    const keyArn = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const plan = seedPlanFromPolicy(
      policy({
        rotation: {
          accessKeys: [
            accessKey('svc-a', { type: 'ssm-parameter', name: '/a/key', kmsKeyId: keyArn }),
            accessKey('svc-b', { type: 'secrets-manager', secretId: 'b/key' }),
            accessKey('svc-c', { type: 'ssm-parameter', name: '/c/key', kmsKeyId: 'alias/aws/ssm' }),
          ],
          kmsKeys: [
            { name: 'k1', account: ACCOUNT, keyRef: 'alias/data', rotationPeriodDays: 365, onDemandDrill: false },
            { name: 'k2', account: ACCOUNT, keyRef: keyArn, rotationPeriodDays: 365, onDemandDrill: false },
          ],
        },
      }),
    );
    expect(plan.serviceUsers).toEqual([
      { userName: 'svc-a', store: { type: 'ssm-parameter', name: '/a/key', kmsKeyId: keyArn }, consumer: 'switching' },
      { userName: 'svc-b', store: { type: 'secrets-manager', secretId: 'b/key' }, consumer: 'switching' },
      { userName: 'svc-c', store: { type: 'ssm-parameter', name: '/c/key', kmsKeyId: 'alias/aws/ssm' }, consumer: 'switching' },
    ]);
    expect(plan.kmsKeys).toEqual([{ keyRef: 'alias/data' }, { keyRef: keyArn }]);
  });

  it('is what the default plan is for examples/policy.yaml (its people and rotation targets)', () => {
    const plan = seedPlanFromPolicy(loadPolicyFile(path.join(__dirname, '../../examples/policy.yaml')));
    expect(plan.people).toEqual(DEFAULT_SEED_PLAN.people);
    expect(plan.serviceUsers).toEqual(DEFAULT_SEED_PLAN.serviceUsers);
    expect(plan.kmsKeys).toEqual(DEFAULT_SEED_PLAN.kmsKeys);
    expect(plan.roleArns).toEqual(DEFAULT_SEED_PLAN.roleArns);
  });
});

describe('seed references', () => {
  it('parses user and role ARNs with paths', () => {
    expect(parseUserArn(`arn:aws:iam::${ACCOUNT}:user/ops/team/erin`)).toEqual({ account: ACCOUNT, path: '/ops/team/', name: 'erin' });
    expect(parseUserArn(`arn:aws:iam::${ACCOUNT}:user/erin`)).toEqual({ account: ACCOUNT, path: '/', name: 'erin' });
    expect(parseUserArn(`arn:aws:iam::${ACCOUNT}:role/erin`)).toBeUndefined();
    expect(parseRoleArn(`arn:aws:iam::${ACCOUNT}:role/break-glass/Ops`)).toEqual({ account: ACCOUNT, path: '/break-glass/', name: 'Ops' });
  });

  it('tells aliases from key ids and ARNs', () => {
    expect(parseKmsKeyRef('alias/data')).toEqual({ alias: 'alias/data' });
    expect(parseKmsKeyRef(`arn:aws:kms:us-east-1:${ACCOUNT}:alias/data`)).toEqual({ alias: 'alias/data', account: ACCOUNT, region: 'us-east-1' });
    expect(parseKmsKeyRef(`arn:aws:kms:eu-west-1:${ACCOUNT}:key/abc-1`)).toEqual({ keyId: 'abc-1', account: ACCOUNT, region: 'eu-west-1' });
    expect(parseKmsKeyRef('1234abcd-12ab-34cd-56ef-1234567890ab')).toEqual({ keyId: '1234abcd-12ab-34cd-56ef-1234567890ab' });
    expect(parseKmsKeyRef('not a key!')).toBeUndefined();
  });

  it("creates a secret named by ARN under its name, without AWS's random suffix", () => {
    expect(secretNameOf('app/key')).toBe('app/key');
    expect(secretNameOf(`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:app/key-AbC123`)).toBe('app/key');
  });
});
