// What a break-glass role's trust policy must be (the broker alone, with a source identity), and
// every way one found in an account can drift from it.
import { breakGlassTrustProblems } from '../../activities/reviews/break-glass-trust';

const BROKER = 'arn:aws:iam::123456789012:user/safeguard-broker';

type Statement = Record<string, unknown>;
const required: Statement = {
  Sid: 'BrokerOnlyWithSourceIdentity',
  Effect: 'Allow',
  Principal: { AWS: BROKER },
  Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
  Condition: { Null: { 'sts:SourceIdentity': 'false' } },
};
const doc = (...statements: Statement[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const problems = (...statements: Statement[]): string[] => breakGlassTrustProblems(doc(...statements), BROKER);

describe('breakGlassTrustProblems', () => {
  it('accepts exactly what the sandbox seeds and the templates create', () => {
    expect(problems(required)).toEqual([]);
  });

  it('accepts the URL-encoded document IAM returns', () => {
    expect(breakGlassTrustProblems(encodeURIComponent(doc(required)), BROKER)).toEqual([]);
  });

  it('accepts a single Statement object, a boolean false, case-insensitive condition names and wildcard actions', () => {
    const json = JSON.stringify({ Version: '2012-10-17', Statement: { ...required, Action: 'sts:*', Condition: { null: { 'STS:SourceIdentity': false } } } });
    expect(breakGlassTrustProblems(json, BROKER)).toEqual([]);
  });

  it('accepts extra conditions and Deny statements: they only take trust away', () => {
    expect(problems({ ...required, Condition: { Null: { 'sts:SourceIdentity': 'false' }, Bool: { 'aws:SecureTransport': 'true' } } }, { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole' })).toEqual([]);
  });

  it.each([
    ['another role', { AWS: [BROKER, 'arn:aws:iam::123456789012:role/ops'] }, 'lets arn:aws:iam::123456789012:role/ops assume the role; only the broker'],
    ['an account root', { AWS: [BROKER, 'arn:aws:iam::210987654321:root'] }, 'account root arn:aws:iam::210987654321:root'],
    ['a bare account id', { AWS: [BROKER, '210987654321'] }, 'account 210987654321'],
    ['everyone', { AWS: [BROKER, '*'] }, 'everyone (AWS "*")'],
    ['a service', { AWS: BROKER, Service: 'ec2.amazonaws.com' }, 'Service principal ec2.amazonaws.com'],
    ['a federated provider', { AWS: BROKER, Federated: 'arn:aws:iam::123456789012:saml-provider/okta' }, 'Federated principal arn:aws:iam::123456789012:saml-provider/okta'],
  ])('reports %s trusted beside the broker', (_what, principal, expected) => {
    const found = problems({ ...required, Principal: principal });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(expected);
    expect(found[0]).toContain('statement 1 (BrokerOnlyWithSourceIdentity)');
  });

  it('reports Principal "*" in a second statement, even with the broker statement intact', () => {
    expect(problems(required, { Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' })).toEqual(['statement 2 lets everyone (Principal "*") assume the role; only the broker ' + BROKER + ' may']);
  });

  it('reports a missing source-identity condition, and one that also admits sessions without', () => {
    const { Condition: _drop, ...noCondition } = required;
    expect(problems(noCondition)).toEqual([expect.stringContaining('without a source identity')]);
    expect(problems({ ...required, Condition: { Null: { 'sts:SourceIdentity': ['false', 'true'] } } })).toEqual([expect.stringContaining('without a source identity')]);
    expect(problems({ ...required, Condition: { StringLike: { 'sts:SourceIdentity': '*' } } })).toEqual([expect.stringContaining('without a source identity')]);
  });

  it('reports a second broker statement without the condition: it makes the first one moot', () => {
    const found = problems(required, { Effect: 'Allow', Principal: { AWS: BROKER }, Action: 'sts:AssumeRole' });
    expect(found).toEqual([expect.stringMatching(/^statement 2 lets the broker assume the role without a source identity/)]);
  });

  it('reports missing SetSourceIdentity and TagSession, which every grant uses', () => {
    expect(problems({ ...required, Action: 'sts:AssumeRole' })).toEqual([
      'the broker is not allowed sts:SetSourceIdentity, which Safeguard uses on every session',
      'the broker is not allowed sts:TagSession, which Safeguard uses on every session',
    ]);
  });

  it('reports a policy that does not trust the broker at all', () => {
    expect(problems({ ...required, Principal: { AWS: 'arn:aws:iam::123456789012:user/someone-else' } })).toEqual([
      expect.stringContaining('lets arn:aws:iam::123456789012:user/someone-else assume the role'),
      `no statement lets the broker ${BROKER} assume the role`,
    ]);
    expect(breakGlassTrustProblems(doc(), BROKER)).toEqual([`no statement lets the broker ${BROKER} assume the role`]);
  });

  it('reports NotPrincipal and NotAction, which allow far more than they appear to', () => {
    const { Principal: _p, ...rest } = required;
    expect(problems({ ...rest, NotPrincipal: { AWS: 'arn:aws:iam::123456789012:user/mallory' } })).toContainEqual(expect.stringContaining('allows everyone except its NotPrincipal'));
    const { Action: _a, ...noAction } = required;
    expect(problems({ ...noAction, NotAction: 'sts:AssumeRoleWithSAML' })).toContainEqual(expect.stringContaining('NotAction'));
  });

  it('reports unreadable and missing documents as drift', () => {
    expect(breakGlassTrustProblems('{"Statement": [', BROKER)).toEqual(['the trust policy is not a JSON policy document']);
    expect(breakGlassTrustProblems('%7B%22Statement', BROKER)).toEqual(['the trust policy is not a JSON policy document']);
    expect(breakGlassTrustProblems('%E0%A4%A', BROKER)).toEqual(['the trust policy is not a JSON policy document']);
    expect(breakGlassTrustProblems('[]', BROKER)).toEqual(['the trust policy is not a JSON policy document']);
    expect(breakGlassTrustProblems(undefined, BROKER)).toEqual(['no trust policy was read for the role']);
    expect(breakGlassTrustProblems(doc({ ...required, Effect: 'allow' }), BROKER)).toContainEqual(expect.stringContaining('has effect "allow", neither Allow nor Deny'));
  });
});
