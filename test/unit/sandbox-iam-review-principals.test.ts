// The bulk-creation control body (POST /_sandbox/iam/principals, sandbox/iam-principals.ts) and the
// key directory's accounts: two accounts' users of the same name keep their own ARNs.

import { IamPrincipalsValidationError, parseBulkPrincipals } from '../../sandbox/iam-principals';
import { MotoDirectory, parseMotoData } from '../../sandbox/moto-directory';

const A = '111111111111';
const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

const refused = (body: unknown): string => {
  try {
    parseBulkPrincipals(body);
  } catch (err) {
    if (err instanceof IamPrincipalsValidationError) return err.message;
    throw err;
  }
  throw new Error('expected a validation error');
};

describe('parseBulkPrincipals', () => {
  it('accepts groups, users with keys, MFA, login profiles, policies and groups, and roles', () => {
    const body = {
      accountId: A,
      groups: [{ name: 'admins', managedPolicies: ['arn:aws:iam::aws:policy/AdministratorAccess'] }],
      users: [{ name: 'alice', tags: [{ Key: 'owner', Value: 'bob' }], loginProfile: true, mfa: true, accessKeys: 2, groups: ['admins'], inlinePolicies: { p: '{"Statement":[]}' } }],
      roles: [{ name: 'Deploy', path: '/ci/', trustPolicy: trust, maxSessionDuration: 7200, managedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] }],
    };
    expect(parseBulkPrincipals(body)).toEqual(body);
  });

  it.each([
    [{ users: [{ name: 'a' }] }, 'accountId: Invalid input: expected string, received undefined'],
    [{ accountId: A }, 'nothing to create: give groups, users or roles'],
    [{ accountId: A, users: [{ name: 'al ice' }] }, 'users[0].name: must be an IAM name (1-64 of letters, digits and +=,.@_-)'],
    [{ accountId: A, users: [{ name: 'a', accessKeys: 3 }] }, 'users[0].accessKeys: IAM allows at most 2 access keys per user'],
    [{ accountId: A, users: [{ name: 'a', tags: [{ Key: 'owner', Value: 'x' }, { Key: 'Owner', Value: 'y' }] }] }, 'users[0].tags: tag keys must be unique (case-insensitively)'],
    [{ accountId: A, users: [{ name: 'a', managedPolicies: ['AdministratorAccess'] }] }, 'users[0].managedPolicies[0]: must be a managed policy ARN'],
    [{ accountId: A, users: [{ name: 'a', colour: 'red' }] }, 'users[0]: Unrecognized key: "colour"'],
    [{ accountId: A, roles: [{ name: 'r', trustPolicy: 'allow everyone' }] }, 'roles[0].trustPolicy: must be a JSON policy document (an object)'],
    [{ accountId: A, roles: [{ name: 'AWSServiceRoleForX', trustPolicy: trust }] }, 'roles[0].name: AWSServiceRoleFor… names are reserved for service-linked roles'],
    [{ accountId: A, roles: [{ name: 'r', trustPolicy: trust, maxSessionDuration: 60 }] }, 'roles[0].maxSessionDuration: Too small: expected number to be >=3600'],
  ])('refuses %j: %s', (body, message) => {
    expect(refused(body)).toBe(message);
  });
});

describe('parseMotoData across accounts', () => {
  it("gives each account's key the ARN of its own account's user of that name", () => {
    const s = parseMotoData({
      iam: {
        User: [
          { name: 'alice', arn: `arn:aws:iam::${A}:user/alice`, account_id: A },
          { name: 'alice', arn: 'arn:aws:iam::222222222222:user/alice', account_id: '222222222222' },
        ],
        AccessKey: [
          { access_key_id: 'AKIAAAAAAAAAAAAAAAA1', secret_access_key: 's1', user_name: 'alice', status: 'Active', account_id: A },
          { access_key_id: 'AKIAAAAAAAAAAAAAAAA2', secret_access_key: 's2', user_name: 'alice', status: 'Active', account_id: '222222222222' },
        ],
      },
    });
    expect(s.keys.get('AKIAAAAAAAAAAAAAAAA1')?.arn).toBe(`arn:aws:iam::${A}:user/alice`);
    expect(s.keys.get('AKIAAAAAAAAAAAAAAAA2')?.arn).toBe('arn:aws:iam::222222222222:user/alice');
  });

  it("finds each account's role of a shared name (every account has a SafeguardExecution)", async () => {
    const role = (account: string, trust: string) => ({ name: 'SafeguardExecution', arn: `arn:aws:iam::${account}:role/SafeguardExecution`, assume_role_policy_document: trust, max_session_duration: 3600, policies: {} });
    const data = { iam: { Role: [role(A, '{"Statement":"a"}'), role('222222222222', '{"Statement":"b"}')] } };
    const directory = new MotoDirectory('http://moto.invalid', () => Promise.resolve(data));
    expect((await directory.role('SafeguardExecution', A))?.assumeRolePolicyDocument).toBe('{"Statement":"a"}');
    expect((await directory.role('SafeguardExecution', '222222222222'))?.arn).toBe('arn:aws:iam::222222222222:role/SafeguardExecution');
    expect(await directory.role('SafeguardExecution', '333333333333')).toBeUndefined();
  });
});
