import path from 'node:path';
import { stackPolicyFile } from '../../dev/stack';
import { REPO_ROOT } from '../../dev/temporal-server';

describe('stackPolicyFile', () => {
  it('uses SAFEGUARD_POLICY when no policy file is given, as the worker, the api and the CLI do', () => {
    expect(stackPolicyFile(undefined, { SAFEGUARD_POLICY: '/etc/safeguard/policy.yaml' })).toBe('/etc/safeguard/policy.yaml');
    expect(stackPolicyFile(undefined, { SAFEGUARD_POLICY: 'policies/mine.yaml' })).toBe(path.resolve('policies/mine.yaml'));
  });

  it('prefers an explicit file, and falls back to examples/policy.yaml when SAFEGUARD_POLICY is unset or blank', () => {
    expect(stackPolicyFile('/tmp/p.yaml', { SAFEGUARD_POLICY: '/etc/safeguard/policy.yaml' })).toBe('/tmp/p.yaml');
    expect(stackPolicyFile(undefined, {})).toBe(path.join(REPO_ROOT, 'examples/policy.yaml'));
    expect(stackPolicyFile(undefined, { SAFEGUARD_POLICY: '  ' })).toBe(path.join(REPO_ROOT, 'examples/policy.yaml'));
  });
});
