// Seeds a fresh moto with the sandbox account: people, the broker, the execution and break-glass
// roles, and two EC2 instances to open SSM sessions on. Keys are fake and sandbox-only.

import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { motoQuery } from './moto-query';

export const SANDBOX_REGION = 'us-east-1';
export const SANDBOX_EXTERNAL_ID = 'safeguard-sandbox';
export const SANDBOX_PEOPLE = ['alice', 'bob', 'carol', 'dave'] as const;
export type SandboxPerson = (typeof SANDBOX_PEOPLE)[number];
export const BROKER_USER = 'safeguard-broker';

export interface SandboxUser {
  userName: string;
  arn: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SandboxSeed {
  accountId: string;
  region: 'us-east-1';
  people: Record<SandboxPerson, SandboxUser>;
  broker: SandboxUser;
  roles: { SafeguardExecution: string; BreakGlassAdmin: string; BreakGlassReadOnly: string };
  externalId: 'safeguard-sandbox';
  instances: string[];
}

/** Credentials used only to talk to moto while seeding (moto does not check them: authentication, if wanted, is turned on after seeding). */
export const SEED_CREDENTIALS = { accessKeyId: 'AKIASANDBOXSEED00000', secretAccessKey: 'sandbox-seed' } as const;

const READ_ONLY_ACTIONS = [
  'ec2:Describe*',
  'iam:Get*',
  'iam:List*',
  'rds:Describe*',
  'rds:List*',
  's3:Get*',
  's3:List*',
  'ssm:Describe*',
  'ssm:Get*',
  'ssm:List*',
  'cloudwatch:Get*',
  'cloudwatch:List*',
  'logs:Describe*',
  'logs:Get*',
];

function doc(statement: Record<string, unknown>[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statement });
}

export interface SeedOptions {
  /**
   * Seed for moto's request authentication (IAM policies are enforced after seeding): also gives
   * the people an identity policy allowing sts:GetCallerIdentity. Default false.
   */
  authenticate?: boolean;
}

/** The identity policy of the sandbox's people when moto authenticates requests. */
export const PERSON_POLICY = doc([{ Sid: 'WhoAmI', Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }]);

export async function seedSandbox(endpoint: string, opts: SeedOptions = {}): Promise<SandboxSeed> {
  const iam = new IAMClient({ endpoint, region: SANDBOX_REGION, credentials: SEED_CREDENTIALS, maxAttempts: 3 });
  try {
    const createUser = async (userName: string): Promise<SandboxUser> => {
      const user = await iam.send(new CreateUserCommand({ UserName: userName, Tags: [{ Key: 'safeguard:sandbox', Value: 'true' }] }));
      const key = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
      const arn = user.User?.Arn;
      const accessKeyId = key.AccessKey?.AccessKeyId;
      const secretAccessKey = key.AccessKey?.SecretAccessKey;
      if (!arn || !accessKeyId || !secretAccessKey) throw new Error(`seeding user ${userName}: moto returned no ARN or key`);
      return { userName, arn, accessKeyId, secretAccessKey };
    };

    const [broker, instances, ...peopleList] = await Promise.all([
      createUser(BROKER_USER),
      runInstances(endpoint, 2),
      ...SANDBOX_PEOPLE.map((p) => createUser(p)),
    ]);
    if (opts.authenticate) {
      await Promise.all(
        peopleList.map((p) => iam.send(new PutUserPolicyCommand({ UserName: p.userName, PolicyName: 'SandboxPerson', PolicyDocument: PERSON_POLICY }))),
      );
    }
    const people = Object.fromEntries(SANDBOX_PEOPLE.map((p, i) => [p, peopleList[i] as SandboxUser])) as Record<SandboxPerson, SandboxUser>;
    const accountId = broker.arn.split(':')[4] ?? '123456789012';

    const createRole = async (
      roleName: string,
      trust: string,
      policyName: string,
      policy: string,
      description: string,
    ): Promise<string> => {
      const role = await iam.send(
        new CreateRoleCommand({
          RoleName: roleName,
          AssumeRolePolicyDocument: trust,
          Description: description,
          MaxSessionDuration: 3600,
          Tags: [{ Key: 'safeguard:sandbox', Value: 'true' }],
        }),
      );
      await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: policy }));
      const arn = role.Role?.Arn;
      if (!arn) throw new Error(`seeding role ${roleName}: moto returned no ARN`);
      return arn;
    };

    const breakGlassTrust = doc([
      {
        Sid: 'BrokerOnlyWithSourceIdentity',
        Effect: 'Allow',
        Principal: { AWS: broker.arn },
        Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
        Condition: { Null: { 'sts:SourceIdentity': 'false' } },
      },
    ]);

    const [SafeguardExecution, BreakGlassAdmin, BreakGlassReadOnly] = await Promise.all([
      createRole(
        'SafeguardExecution',
        doc([
          {
            Effect: 'Allow',
            Principal: { AWS: broker.arn },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'sts:ExternalId': SANDBOX_EXTERNAL_ID } },
          },
        ]),
        'SafeguardExecution',
        doc([
          { Sid: 'ManageBreakGlassDenyStatements', Effect: 'Allow', Action: ['iam:*Role*Policy*', 'iam:GetRole'], Resource: '*' },
          { Sid: 'RevokeSessions', Effect: 'Allow', Action: ['ssm:DescribeSessions', 'ssm:TerminateSession'], Resource: '*' },
        ]),
        'Lets the Safeguard worker manage break-glass roles and sessions in this account',
      ),
      createRole(
        'BreakGlassAdmin',
        breakGlassTrust,
        'BreakGlassAdmin',
        doc([{ Effect: 'Allow', Action: '*', Resource: '*' }]),
        'Break-glass administrator access, vended by Safeguard only',
      ),
      createRole(
        'BreakGlassReadOnly',
        breakGlassTrust,
        'BreakGlassReadOnly',
        doc([{ Effect: 'Allow', Action: READ_ONLY_ACTIONS, Resource: '*' }]),
        'Break-glass read-only access, vended by Safeguard only',
      ),
    ]);

    await iam.send(
      new PutUserPolicyCommand({
        UserName: BROKER_USER,
        PolicyName: 'SafeguardBroker',
        PolicyDocument: doc([
          {
            Effect: 'Allow',
            Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
            Resource: [SafeguardExecution, BreakGlassAdmin, BreakGlassReadOnly],
          },
        ]),
      }),
    );

    return {
      accountId,
      region: SANDBOX_REGION,
      people,
      broker,
      roles: { SafeguardExecution, BreakGlassAdmin, BreakGlassReadOnly },
      externalId: SANDBOX_EXTERNAL_ID,
      instances,
    };
  } finally {
    iam.destroy();
  }
}

/** EC2 RunInstances through moto's query API (no EC2 SDK client is installed). */
export async function runInstances(endpoint: string, count: number): Promise<string[]> {
  const res = await motoQuery(endpoint, 'ec2', SEED_CREDENTIALS.accessKeyId, {
    Action: 'RunInstances',
    Version: '2016-11-15',
    ImageId: 'ami-12c6146b',
    InstanceType: 't3.micro',
    MinCount: String(count),
    MaxCount: String(count),
    'TagSpecification.1.ResourceType': 'instance',
    'TagSpecification.1.Tag.1.Key': 'Name',
    'TagSpecification.1.Tag.1.Value': 'safeguard-sandbox',
  });
  if (res.status !== 200) throw new Error(`RunInstances failed: HTTP ${res.status}: ${res.text.slice(0, 500)}`);
  const ids = [...res.text.matchAll(/<instanceId>(i-[0-9a-f]+)<\/instanceId>/g)].map((m) => m[1] as string);
  const unique = [...new Set(ids)];
  if (unique.length !== count) throw new Error(`RunInstances returned ${unique.length} instance ids, expected ${count}`);
  return unique;
}
