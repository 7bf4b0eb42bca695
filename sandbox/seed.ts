// Seeds a fresh moto with the sandbox account from a SeedPlan (seed-plan.ts): the people, the
// broker, the execution and break-glass roles (those the plan names in other accounts in their own
// account), service users whose key sits in a store (SSM SecureString parameter or Secrets Manager
// secret) with the reader identity their consumers use, KMS keys, and two EC2 instances to open SSM
// sessions on. The roles are CloudFormation stacks of the templates users deploy
// (deploy/cloudformation/, seed-stacks.ts), so the sandbox runs on their very trust and permission
// policies. Talks to moto directly, so seeding leaves no trace in the gateway's call log and
// seeded keys are usable at once. Keys are fake and sandbox-only.

import { seedEvidenceBucket } from './seed-evidence-bucket';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { CreateDocumentCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { ConsumerMode, KeyStore } from './consumers';
import { motoQuery } from './moto-query';
import { DEFAULT_SEED_PLAN, parseKmsKeyRef, parseRoleArn, parseUserArn } from './seed-plan';
import type { SeedPlan } from './seed-plan';
import { SandboxStacks, breakGlassRoleStack, executionRoleStack } from './seed-stacks';
import type { AccessLevel } from './seed-stacks';
import { VALIDATE_RESTORE_CONTENT, VALIDATE_RESTORE_DOCUMENT } from './validate-restore';
import { seedDynamoAndVaults } from './seed-dynamo';
import { seedCompliance } from './seed-compliance';
import type { ComplianceSeed } from './seed-compliance';
import type { SandboxBackupVault, SandboxDynamoTable, DrillServiceUser } from './seed-dynamo';

export type { SeedPlan } from './seed-plan';

export const SANDBOX_REGION = 'us-east-1';
export const SANDBOX_EXTERNAL_ID = 'safeguard-sandbox';
/** The people of the default plan (examples/policy.yaml's). */
export const SANDBOX_PEOPLE = ['alice', 'bob', 'carol', 'dave'] as const;
export type SandboxPerson = (typeof SANDBOX_PEOPLE)[number];
export const BROKER_USER = 'safeguard-broker';
/** The identity the simulated consumers read key stores with. */
export const CONSUMER_READER_USER = 'safeguard-consumer-reader';

export interface SandboxUser {
  userName: string;
  arn: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** A service user: its key is also in `store`, where its consumer reads it. */
export interface SandboxServiceUser extends SandboxUser {
  store: KeyStore;
  /** How its simulated consumer starts; absent: no consumer. */
  consumer?: ConsumerMode;
}

export interface SandboxKmsKey {
  /** As the plan (policy) wrote it. */
  keyRef: string;
  /** The id callers see (the one the policy chose, for keys named by id or ARN). */
  keyId: string;
  arn: string;
  alias?: string;
  /** moto's own id for the key, when it differs from keyId (the gateway translates). */
  motoKeyId: string;
}

/** An RDS source instance for restore drills (SeedPlan.rdsInstances); the gateway writes its `events` rows. */
export interface SandboxRdsInstance {
  id: string;
  arn: string;
  engine: string;
  /** `host:port` */
  endpoint: string;
  /** InstanceCreateTime (ISO): the start of its restorable window; its backdated rows are older. */
  createdAt: string;
}

export type SandboxPeople = Record<string, SandboxUser>;

export interface SandboxSeed<People extends SandboxPeople = SandboxPeople> {
  accountId: string;
  region: 'us-east-1';
  /** By person id: the person's (first) IAM user and its key. */
  people: People;
  broker: SandboxUser;
  roles: { SafeguardExecution: string; BreakGlassAdmin: string; BreakGlassReadOnly: string };
  externalId: 'safeguard-sandbox';
  /** The EC2 instances the seed ran (SSM StartSession also accepts the plan's `instances`). */
  instances: string[];
  /** By user name. */
  serviceUsers: Record<string, SandboxServiceUser>;
  /** May read every service user's store (SSM parameter with decryption, secret value). */
  consumerReader: SandboxUser;
  /** By keyRef. */
  kmsKeys: Record<string, SandboxKmsKey>;
  /** By DB instance identifier. */
  rdsInstances: Record<string, SandboxRdsInstance>;
  /** DynamoDB drill sources by table name (seed-dynamo.ts). */
  dynamoTables: Record<string, SandboxDynamoTable>;
  /** AWS Backup vaults by name, with their recovery points (filled once the gateway runs). */
  backupVaults: Record<string, SandboxBackupVault>;
  /** The identity of the gateway's own writes (the DynamoDB writer, seeded recovery points). */
  drillService: DrillServiceUser;
  /** What `safeguard compliance` finds (seed-compliance.ts): a non-compliant and a compliant account. */
  compliance?: ComplianceSeed;
  /** The evidence anchors' Object Lock bucket (seed-evidence-bucket.ts), as hub.yaml's EvidenceBucket. */
  evidenceBucket: string;
}

/** The seed of the default plan: alice, bob, carol and dave are there. */
export type DefaultSandboxSeed = SandboxSeed<SandboxPeople & Record<SandboxPerson, SandboxUser>>;

/** Credentials used only to talk to moto while seeding (moto does not check them: authentication, if wanted, is turned on after seeding). */
export const SEED_CREDENTIALS = { accessKeyId: 'AKIASANDBOXSEED00000', secretAccessKey: 'sandbox-seed' } as const;

function doc(statement: Record<string, unknown>[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statement });
}

export interface SeedOptions {
  /**
   * Seed for moto's request authentication (IAM policies are enforced after seeding): also gives
   * the people and service users an identity policy allowing sts:GetCallerIdentity. Default false.
   */
  authenticate?: boolean;
  /** What to create; default DEFAULT_SEED_PLAN. */
  plan?: SeedPlan;
  /** Told about what the plan names but the sandbox cannot create (other accounts, bad references). */
  log?: (msg: string) => void;
}

/** The identity policy of the sandbox's people when moto authenticates requests. */
export const PERSON_POLICY = doc([{ Sid: 'WhoAmI', Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }]);

/** The consumer reader's: read (and decrypt) key stores, nothing else. */
export const CONSUMER_READER_POLICY = doc([
  { Sid: 'ReadKeyStores', Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:GetParameters', 'secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'kms:Decrypt'], Resource: '*' },
  { Sid: 'WhoAmI', Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' },
]);

/**
 * The sandbox broker's identity policy (`SafeguardBroker`): the hub template's broker policy
 * (deploy/cloudformation/hub.yaml) with the seeded roles' exact ARNs and the seeded evidence bucket.
 * The sandbox's broker is an IAM user (tests sign as it), and moto ignores Object Lock in
 * CloudFormation, so the hub stack itself is not deployed here (seed-evidence-bucket.ts).
 */
export function brokerPolicy(executionRoleArns: string[], breakGlassRoleArns: string[], evidenceBucket?: string): string {
  return doc([
    { Sid: 'AssumeExecutionRoles', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: executionRoleArns },
    { Sid: 'AssumeBreakGlassRoles', Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'], Resource: breakGlassRoleArns },
    ...(evidenceBucket
      ? [
          { Sid: 'WriteEvidence', Effect: 'Allow', Action: ['s3:PutObject', 's3:PutObjectRetention', 's3:GetObject', 's3:GetObjectVersion', 's3:GetObjectRetention'], Resource: [`arn:aws:s3:::${evidenceBucket}/*`] },
          { Sid: 'ListEvidence', Effect: 'Allow', Action: ['s3:ListBucket', 's3:ListBucketVersions', 's3:GetBucketObjectLockConfiguration'], Resource: [`arn:aws:s3:::${evidenceBucket}`] },
        ]
      : []),
  ]);
}

export async function seedSandbox(endpoint: string, opts: SeedOptions & { plan?: undefined }): Promise<DefaultSandboxSeed>;
export async function seedSandbox(endpoint: string, opts?: SeedOptions): Promise<SandboxSeed>;
export async function seedSandbox(endpoint: string, opts: SeedOptions = {}): Promise<SandboxSeed> {
  const plan = opts.plan ?? DEFAULT_SEED_PLAN;
  const log = opts.log ?? (() => undefined);
  const client = { endpoint, region: SANDBOX_REGION, credentials: SEED_CREDENTIALS, maxAttempts: 3 };
  const iam = new IAMClient(client);
  const kms = new KMSClient(client);
  const ssm = new SSMClient(client);
  const secrets = new SecretsManagerClient(client);
  const rds = new RDSClient(client);
  const stacks = new SandboxStacks(client);
  try {
    const whoAmIPolicy = async (userName: string): Promise<void> => {
      if (opts.authenticate) await iam.send(new PutUserPolicyCommand({ UserName: userName, PolicyName: 'SandboxPerson', PolicyDocument: PERSON_POLICY }));
    };
    // One creation per user name, whoever names it (a person, a service user, the broker).
    const users = new Map<string, Promise<SandboxUser>>();
    const createUser = (userName: string, path = '/'): Promise<SandboxUser> => {
      let p = users.get(userName);
      if (!p) {
        p = (async () => {
          const user = await iam.send(new CreateUserCommand({ UserName: userName, Path: path, Tags: [{ Key: 'safeguard:sandbox', Value: 'true' }] }));
          const key = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
          const arn = user.User?.Arn;
          const accessKeyId = key.AccessKey?.AccessKeyId;
          const secretAccessKey = key.AccessKey?.SecretAccessKey;
          if (!arn || !accessKeyId || !secretAccessKey) throw new Error(`seeding user ${userName}: moto returned no ARN or key`);
          return { userName, arn, accessKeyId, secretAccessKey };
        })();
        users.set(userName, p);
      }
      return p;
    };

    // The broker first: its ARN says which account moto is (every other ARN must be in it).
    const [broker, instances] = await Promise.all([createUser(BROKER_USER), runInstances(endpoint, 2)]);
    const accountId = broker.arn.split(':')[4] ?? '123456789012';
    const inAccount = (what: string, account: string | undefined): boolean => {
      if (account === undefined || account === accountId) return true;
      log(`seed: skipping ${what}: not in the sandbox account ${accountId}`);
      return false;
    };

    const peopleEntries = await Promise.all(
      plan.people.map(async (person) => {
        const created = await Promise.all(
          person.userArns.flatMap((userArn) => {
            const u = parseUserArn(userArn);
            if (!u) {
              log(`seed: skipping ${userArn} of ${person.id}: not an IAM user ARN`);
              return [];
            }
            return inAccount(`${userArn} of ${person.id}`, u.account) ? [createUser(u.name, u.path)] : [];
          }),
        );
        await Promise.all(created.map((u) => whoAmIPolicy(u.userName)));
        return created[0] ? ([[person.id, created[0]]] as const) : [];
      }),
    );
    const people: SandboxPeople = Object.fromEntries(peopleEntries.flat());

    const consumerReaderP = createUser(CONSUMER_READER_USER).then(async (u) => {
      await iam.send(new PutUserPolicyCommand({ UserName: u.userName, PolicyName: 'ReadKeyStores', PolicyDocument: CONSUMER_READER_POLICY }));
      return u;
    });

    const serviceUsersP = Promise.all(
      plan.serviceUsers.map(async (s): Promise<SandboxServiceUser> => {
        const user = await createUser(s.userName);
        await whoAmIPolicy(user.userName);
        const value = JSON.stringify({ accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey });
        if (s.store.type === 'ssm-parameter') {
          await ssm.send(
            new PutParameterCommand({
              Name: s.store.name,
              Type: 'SecureString',
              Value: value,
              Description: `Access key of ${s.userName} (Safeguard sandbox)`,
              ...(s.store.kmsKeyId !== undefined ? { KeyId: s.store.kmsKeyId } : {}),
            }),
          );
        } else {
          await secrets.send(new CreateSecretCommand({ Name: secretNameOf(s.store.secretId), SecretString: value, Description: `Access key of ${s.userName} (Safeguard sandbox)` }));
        }
        return { ...user, store: s.store, ...(s.consumer !== undefined ? { consumer: s.consumer } : {}) };
      }),
    );

    const kmsKeysP = Promise.all(
      plan.kmsKeys.map(async ({ keyRef }): Promise<SandboxKmsKey[]> => {
        const ref = parseKmsKeyRef(keyRef);
        if (!ref) {
          log(`seed: skipping KMS key ${keyRef}: not a key id, key ARN or alias`);
          return [];
        }
        if (!inAccount(`KMS key ${keyRef}`, ref.account)) return [];
        if (ref.region !== undefined && ref.region !== SANDBOX_REGION) {
          log(`seed: skipping KMS key ${keyRef}: not in the sandbox region ${SANDBOX_REGION}`);
          return [];
        }
        const created = await kms.send(
          new CreateKeyCommand({ Description: `${keyRef} (Safeguard sandbox)`, KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', Tags: [{ TagKey: 'safeguard:sandbox', TagValue: 'true' }] }),
        );
        const motoKeyId = created.KeyMetadata?.KeyId;
        const motoArn = created.KeyMetadata?.Arn;
        if (!motoKeyId || !motoArn) throw new Error(`seeding KMS key ${keyRef}: moto returned no key id`);
        if ('alias' in ref) {
          await kms.send(new CreateAliasCommand({ AliasName: ref.alias, TargetKeyId: motoKeyId }));
          return [{ keyRef, keyId: motoKeyId, arn: motoArn, alias: ref.alias, motoKeyId }];
        }
        return [{ keyRef, keyId: ref.keyId, arn: motoArn.replace(motoKeyId, ref.keyId), motoKeyId }];
      }),
    );

    // The roles, one CloudFormation stack each (seed-stacks.ts), all at once. The plan's roles in
    // other accounts are created there (moto keeps one IAM per account and picks it by the
    // x-moto-account-id header): a policy's other accounts have their execution and break-glass
    // roles too (the worker assumes them across accounts; reviews inventory them).
    type PlannedRole = { arn: string; account: string; path: string; name: string };
    const FIXED_ROLES = new Set(['SafeguardExecution', 'BreakGlassAdmin', 'BreakGlassReadOnly']);
    const fixed = (name: string): PlannedRole => ({ arn: `arn:aws:iam::${accountId}:role/${name}`, account: accountId, path: '/', name });
    const extraRoles = (arns: string[] | undefined, taken: PlannedRole[] = []): PlannedRole[] =>
      [...new Set(arns ?? [])].flatMap((arn) => {
        const r = parseRoleArn(arn);
        if (!r) {
          log(`seed: skipping role ${arn}: not an IAM role ARN`);
          return [];
        }
        // The fixed roles exist in the sandbox account only; other accounts get every role they name.
        if (r.account === accountId && FIXED_ROLES.has(r.name)) return [];
        return taken.some((t) => t.arn === arn) ? [] : [{ arn, ...r }];
      });
    const extraExecution = extraRoles(plan.executionRoleArns);
    const extraBreakGlass = extraRoles(plan.roleArns, extraExecution);
    const drillRoles = extraRoles(plan.drillRoleArns, [...extraExecution, ...extraBreakGlass]);
    // A role the policy names is admin unless its name says read-only (the sandbox cannot know more).
    const accessOf = (r: PlannedRole): AccessLevel => (/read[-_]?only/i.test(r.name) ? 'read-only' : 'admin');
    const deployExecution = (r: PlannedRole): Promise<string> => stacks.deploy(executionRoleStack(r, broker.arn, SANDBOX_EXTERNAL_ID), r.arn);
    const deployBreakGlass = (r: PlannedRole, access: AccessLevel): Promise<string> => stacks.deploy(breakGlassRoleStack(r, access, broker.arn), r.arn);
    const rolesP = Promise.all([
      deployExecution(fixed('SafeguardExecution')),
      deployBreakGlass(fixed('BreakGlassAdmin'), 'admin'),
      deployBreakGlass(fixed('BreakGlassReadOnly'), 'read-only'),
      Promise.all(extraExecution.map(deployExecution)),
      Promise.all([...extraBreakGlass.map((r) => deployBreakGlass(r, accessOf(r))), ...drillRoles.map((r) => deployBreakGlass(r, 'none'))]),
    ]);

    // Restore drills: the sources, and the SSM document that validates what they restore to.
    const rdsInstancesP = Promise.all(
      (plan.rdsInstances ?? []).map(async (db): Promise<SandboxRdsInstance> => {
        const engine = db.engine ?? 'postgres';
        const out = await rds.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: db.id,
            Engine: engine,
            DBInstanceClass: 'db.t3.micro',
            AllocatedStorage: 20,
            MasterUsername: 'sgadmin',
            MasterUserPassword: 'sandbox-only-password',
            BackupRetentionPeriod: db.backupRetentionDays ?? 7,
            Tags: [{ Key: 'safeguard:sandbox', Value: 'true' }],
          }),
        );
        const i = out.DBInstance;
        if (!i?.DBInstanceArn || !i.InstanceCreateTime) throw new Error(`seeding RDS instance ${db.id}: moto returned no ARN or creation time`);
        return { id: db.id, arn: i.DBInstanceArn, engine, endpoint: `${i.Endpoint?.Address ?? ''}:${i.Endpoint?.Port ?? ''}`, createdAt: i.InstanceCreateTime.toISOString() };
      }),
    );
    const documentP = ssm.send(
      new CreateDocumentCommand({ Name: VALIDATE_RESTORE_DOCUMENT, DocumentType: 'Command', DocumentFormat: 'JSON', Content: JSON.stringify(VALIDATE_RESTORE_CONTENT) }),
    );

    const drillDataP = seedDynamoAndVaults(client, plan);
    // The compliance report's AWS rows: non-compliant in the sandbox account, compliant in the plan's first other account.
    const complianceP = seedCompliance(client, { noncompliant: accountId, ...(extraExecution[0] ? { compliant: extraExecution[0].account } : {}) });
    complianceP.catch(() => undefined); // awaited below; a failure of the seed's other work must not leave it unhandled
    const evidenceBucketP = seedEvidenceBucket(client, accountId);
    const [roles, consumerReader, serviceUsers, kmsKeys, rdsInstances, , drillData, evidenceBucket] = await Promise.all([
      rolesP,
      consumerReaderP,
      serviceUsersP,
      kmsKeysP,
      rdsInstancesP,
      documentP,
      drillDataP,
      evidenceBucketP,
    ]);
    const [SafeguardExecution, BreakGlassAdmin, BreakGlassReadOnly, extraExecutionArns, extraBreakGlassArns] = roles;
    await iam.send(
      new PutUserPolicyCommand({
        UserName: BROKER_USER,
        PolicyName: 'SafeguardBroker',
        PolicyDocument: brokerPolicy([SafeguardExecution, ...extraExecutionArns], [BreakGlassAdmin, BreakGlassReadOnly, ...extraBreakGlassArns], evidenceBucket),
      }),
    );
    return {
      accountId,
      evidenceBucket,
      region: SANDBOX_REGION,
      people,
      broker,
      roles: { SafeguardExecution, BreakGlassAdmin, BreakGlassReadOnly },
      externalId: SANDBOX_EXTERNAL_ID,
      instances,
      serviceUsers: Object.fromEntries(serviceUsers.map((u) => [u.userName, u])),
      consumerReader,
      kmsKeys: Object.fromEntries(kmsKeys.flat().map((k) => [k.keyRef, k])),
      rdsInstances: Object.fromEntries(rdsInstances.map((d) => [d.id, d])),
      ...drillData,
      compliance: await complianceP,
    };
  } finally {
    iam.destroy();
    stacks.destroy();
    kms.destroy();
    ssm.destroy();
    secrets.destroy();
    rds.destroy();
  }
}

/**
 * The name to create a secret under: a secret ARN's name without the random six-character suffix
 * AWS appends (moto appends its own; consumers then read by name).
 */
export function secretNameOf(secretId: string): string {
  const m = /^arn:aws[\w-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:(.+?)(-[A-Za-z0-9]{6})?$/.exec(secretId);
  return m?.[1] ?? secretId;
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
