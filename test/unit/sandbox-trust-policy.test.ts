import { assumeRoleRequestOf, evaluateTrustPolicy, principalArnOf } from '../../sandbox/trust-policy';

const broker = 'arn:aws:iam::123456789012:user/safeguard-broker';
const alice = 'arn:aws:iam::123456789012:user/alice';
const breakGlassTrust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: broker },
      Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
      Condition: { Null: { 'sts:SourceIdentity': 'false' } },
    },
  ],
});
const executionTrust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: broker }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'x-1' } } }],
});

describe('evaluateTrustPolicy', () => {
  it('allows only the broker, and only with a SourceIdentity', () => {
    const ok = assumeRoleRequestOf(broker, { RoleSessionName: 'g', SourceIdentity: 'alice', 'Tags.member.1.Key': 'grant', 'Tags.member.1.Value': 'g' });
    expect(ok.actions).toEqual(['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession']);
    expect(ok.context['aws:RequestTag/grant']).toBe('g');
    expect(evaluateTrustPolicy(breakGlassTrust, ok)).toEqual({ allowed: true });
    expect(evaluateTrustPolicy(breakGlassTrust, assumeRoleRequestOf(broker, { RoleSessionName: 'g' }))).toEqual({
      allowed: false,
      deniedAction: 'sts:AssumeRole',
    });
    expect(evaluateTrustPolicy(breakGlassTrust, assumeRoleRequestOf(alice, { RoleSessionName: 'g', SourceIdentity: 'alice' })).allowed).toBe(false);
  });

  it('requires SetSourceIdentity / TagSession in the trust policy when used', () => {
    const req = assumeRoleRequestOf(broker, { ExternalId: 'x-1', SourceIdentity: 'alice' });
    expect(evaluateTrustPolicy(executionTrust, req)).toEqual({ allowed: false, deniedAction: 'sts:SetSourceIdentity' });
  });

  it('checks the ExternalId', () => {
    expect(evaluateTrustPolicy(executionTrust, assumeRoleRequestOf(broker, { ExternalId: 'x-1' })).allowed).toBe(true);
    expect(evaluateTrustPolicy(executionTrust, assumeRoleRequestOf(broker, { ExternalId: 'nope' })).allowed).toBe(false);
    expect(evaluateTrustPolicy(executionTrust, assumeRoleRequestOf(broker, {})).allowed).toBe(false);
  });

  it('understands account principals, role chaining and explicit denies', () => {
    const policy = JSON.stringify({
      Statement: [
        { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:*' },
        { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sts:AssumeRole', Condition: { StringLike: { 'aws:PrincipalArn': '*:user/mallory' } } },
      ],
    });
    const chained = 'arn:aws:sts::123456789012:assumed-role/SafeguardExecution/worker';
    expect(principalArnOf(chained)).toBe('arn:aws:iam::123456789012:role/SafeguardExecution');
    expect(evaluateTrustPolicy(policy, assumeRoleRequestOf(chained, {})).allowed).toBe(true);
    expect(evaluateTrustPolicy(policy, assumeRoleRequestOf('arn:aws:iam::123456789012:user/mallory', {})).allowed).toBe(false);
    expect(evaluateTrustPolicy(policy, assumeRoleRequestOf('arn:aws:iam::999999999999:user/x', {})).allowed).toBe(false);
    expect(evaluateTrustPolicy('not json', assumeRoleRequestOf(alice, {})).allowed).toBe(false);
  });
});
