// The sandbox's roles are CloudFormation stacks of deploy/cloudformation's templates (the ones users
// deploy in AWS), in their own accounts: the stacks exist, each role's trust and inline policies are
// what its template says for the stack's parameters (read back from moto with GetRole and
// GetRolePolicy), and through the gateway only the broker may assume a break-glass role, only with a
// SourceIdentity. Starts its own sandbox; does not depend on the integration global setup.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import type { Stack } from '@aws-sdk/client-cloudformation';
import { GetRoleCommand, GetRolePolicyCommand, GetUserPolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetKeyRotationStatusCommand, KMSClient } from '@aws-sdk/client-kms';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { MetadataBearer, MiddlewareStack } from '@smithy/types';
import { DEFAULT_SEED_PLAN, startSandbox } from '../../sandbox';
import type { Sandbox, SandboxSeed, SeedPlan } from '../../sandbox';
import { BROKER_USER, SEED_CREDENTIALS, brokerPolicy } from '../../sandbox/seed';
import { parseTemplate, resolveTemplate, templateBody } from '../../sandbox/seed-stacks';
import type { Json, TemplateName } from '../../sandbox/seed-stacks';
import { failure } from '../support/aws-calls';
import { inMotoAccount } from '../../sandbox/moto-account';

jest.setTimeout(60_000);

const SANDBOX = '123456789012';
const OTHER = '210987654321';
/** An account nothing else in this sandbox uses, for the hub template. */
const HUB = '999999999999';

// The default plan's roles, plus roles with paths, a read-only one, fire-drill roles and an execution
// role in another account; no drill sources or service users (not what this file is about).
const plan: SeedPlan = {
  ...DEFAULT_SEED_PLAN,
  serviceUsers: [],
  rdsInstances: [],
  dynamoTables: [],
  backupVaults: [],
  roleArns: [...DEFAULT_SEED_PLAN.roleArns, `arn:aws:iam::${OTHER}:role/breakglass/PartnerAdmin`, `arn:aws:iam::${SANDBOX}:role/team/ops/OpsReadOnly`],
  drillRoleArns: [`arn:aws:iam::${SANDBOX}:role/FireDrillAdmin`, `arn:aws:iam::${OTHER}:role/FireDrillAdmin`],
  executionRoleArns: [`arn:aws:iam::${SANDBOX}:role/SafeguardExecution`, `arn:aws:iam::${OTHER}:role/SafeguardExecution`],
};

/** Stack name → template, per account. */
const EXPECTED_STACKS: Record<string, Record<string, TemplateName>> = {
  [SANDBOX]: {
    'safeguard-target-SafeguardExecution': 'targetAccount',
    'safeguard-break-glass-BreakGlassAdmin': 'breakGlassRole',
    'safeguard-break-glass-BreakGlassReadOnly': 'breakGlassRole',
    'safeguard-break-glass-OpsReadOnly': 'breakGlassRole',
    'safeguard-fire-drill-FireDrillAdmin': 'breakGlassRole',
  },
  [OTHER]: {
    'safeguard-target-SafeguardExecution': 'targetAccount',
    'safeguard-break-glass-PartnerAdmin': 'breakGlassRole',
    'safeguard-fire-drill-FireDrillAdmin': 'breakGlassRole',
  },
};

let sandbox: Sandbox<SandboxSeed>;
let dataDir: string;
const clients: { destroy(): void }[] = [];

/** Clients talking to moto directly, in `account` (moto's x-moto-account-id), as the seed does. */
function inAccount<C extends { middlewareStack: Pick<MiddlewareStack<object, MetadataBearer>, 'add'>; destroy(): void }>(c: C, account: string): C {
  clients.push(c);
  return inMotoAccount(c, account);
}
const moto = () => ({ endpoint: sandbox.motoEndpoint, region: sandbox.region, credentials: SEED_CREDENTIALS, maxAttempts: 1 });
const cfnIn = (account: string) => inAccount(new CloudFormationClient(moto()), account);
const iamIn = (account: string) => inAccount(new IAMClient(moto()), account);
const kmsIn = (account: string) => inAccount(new KMSClient(moto()), account);

/** An STS client of the gateway, signing as `who`. */
function sts(who: { accessKeyId: string; secretAccessKey: string }): STSClient {
  const c = new STSClient({ endpoint: sandbox.endpoint, region: sandbox.region, credentials: who, maxAttempts: 1 });
  clients.push(c);
  return c;
}

const json = (document: string | undefined): Json => JSON.parse(decodeURIComponent(document ?? '')) as Json;

async function stacksOf(account: string): Promise<Stack[]> {
  return (await cfnIn(account).send(new DescribeStacksCommand({}))).Stacks ?? [];
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-sandbox-cfn-'));
  sandbox = await startSandbox({ dataDir, plan });
}, 90_000);

afterAll(async () => {
  for (const c of clients) c.destroy();
  await sandbox?.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

it('every role is a CREATE_COMPLETE stack of its template, in the role’s own account', async () => {
  for (const [account, expected] of Object.entries(EXPECTED_STACKS)) {
    const stacks = await stacksOf(account);
    expect(Object.fromEntries(stacks.map((s) => [s.StackName, s.StackStatus]))).toEqual(Object.fromEntries(Object.keys(expected).map((name) => [name, 'CREATE_COMPLETE'])));
    for (const [stackName, template] of Object.entries(expected)) {
      const got = await cfnIn(account).send(new GetTemplateCommand({ StackName: stackName }));
      expect(got.TemplateBody).toBe(templateBody(template));
    }
  }
  // The seed's ARNs are the stacks' outputs.
  const outputs = (await stacksOf(SANDBOX)).flatMap((s) => s.Outputs ?? []).map((o) => o.OutputValue);
  expect(outputs).toEqual(expect.arrayContaining(Object.values(sandbox.seed.roles)));
});

it('each role’s trust policy and inline policies are what its template says for the stack’s parameters', async () => {
  let checked = 0;
  for (const [account, expected] of Object.entries(EXPECTED_STACKS)) {
    const iam = iamIn(account);
    for (const stack of await stacksOf(account)) {
      const template = expected[stack.StackName ?? ''];
      if (!template) throw new Error(`unexpected stack ${stack.StackName}`);
      const parameters = Object.fromEntries((stack.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']));
      const resources = resolveTemplate(parseTemplate(templateBody(template)), parameters, { accountId: account, region: sandbox.region });
      for (const role of Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Role')) {
        const p = role.Properties ?? {};
        const roleName = String(p.RoleName);
        const got = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
        expect(got?.Arn).toBe(`arn:aws:iam::${account}:role${String(p.Path)}${roleName}`);
        expect(stack.Outputs?.[0]?.OutputValue).toBe(got?.Arn);
        expect(got?.MaxSessionDuration).toBe(p.MaxSessionDuration);
        expect(got?.Description).toBe(p.Description);
        expect(json(got?.AssumeRolePolicyDocument)).toEqual(p.AssumeRolePolicyDocument);

        const inline = Object.fromEntries(
          Object.values(resources)
            .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties?.Roles as Json[]).includes(roleName))
            .map((r) => [String(r.Properties?.PolicyName), r.Properties?.PolicyDocument]),
        );
        const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
        expect([...names].sort()).toEqual(Object.keys(inline).sort());
        for (const name of names) {
          const doc = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
          // JSON, not the Python repr moto gives a role's `Policies` property (why the templates use AWS::IAM::Policy).
          expect(json(doc.PolicyDocument)).toEqual(inline[name]);
        }
        checked++;
      }
    }
  }
  expect(checked).toBe(8);
  // A role of another account's stack is there only.
  expect((await failure(iamIn(SANDBOX).send(new GetRoleCommand({ RoleName: 'PartnerAdmin' })))).name).toBe('NoSuchEntityException');
});

it('the broker user may assume exactly the seeded roles and write the evidence bucket, with the hub template’s broker statements', async () => {
  const arns = async (account: string, prefix: string) =>
    (await stacksOf(account)).filter((s) => s.StackName?.startsWith(prefix)).map((s) => s.Outputs?.[0]?.OutputValue ?? '');
  const execution = [...(await arns(SANDBOX, 'safeguard-target-')), ...(await arns(OTHER, 'safeguard-target-'))];
  const breakGlass = [
    ...(await arns(SANDBOX, 'safeguard-break-glass-')),
    ...(await arns(SANDBOX, 'safeguard-fire-drill-')),
    ...(await arns(OTHER, 'safeguard-break-glass-')),
    ...(await arns(OTHER, 'safeguard-fire-drill-')),
  ];
  const got = await iamIn(SANDBOX).send(new GetUserPolicyCommand({ UserName: BROKER_USER, PolicyName: 'SafeguardBroker' }));
  type S = { Resource: string[] };
  const sorted = (doc: Json) => (doc as { Statement: S[] }).Statement.map((s) => ({ ...s, Resource: [...s.Resource].sort() }));
  expect(sorted(json(got.PolicyDocument))).toEqual(sorted(JSON.parse(brokerPolicy(execution, breakGlass, sandbox.seed.evidenceBucket)) as Json));
});

describe('through the gateway', () => {
  const assume = (who: { accessKeyId: string; secretAccessKey: string }, input: ConstructorParameters<typeof AssumeRoleCommand>[0]) => sts(who).send(new AssumeRoleCommand(input));
  const refused = async (p: Promise<unknown>) => {
    const e = await failure(p);
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  };

  it('the broker assumes a break-glass role only naming a person; nobody else may, even naming one', async () => {
    const { broker, people, roles } = sandbox.seed;
    const ok = await assume(broker, { RoleArn: roles.BreakGlassAdmin, RoleSessionName: 'grant-cfn', SourceIdentity: 'alice', Tags: [{ Key: 'safeguard:grant', Value: 'grant-cfn' }] });
    expect(ok.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${SANDBOX}:assumed-role/BreakGlassAdmin/grant-cfn`);
    expect(ok.SourceIdentity).toBe('alice');

    expect(await refused(assume(broker, { RoleArn: roles.BreakGlassAdmin, RoleSessionName: 'nobody' }))).toEqual({ name: 'AccessDenied', status: 403 });
    const alice = people.alice;
    if (!alice) throw new Error('no alice in the seed');
    expect(await refused(assume(alice, { RoleArn: roles.BreakGlassAdmin, RoleSessionName: 'self-serve', SourceIdentity: 'alice' }))).toEqual({ name: 'AccessDenied', status: 403 });
  });

  it('the same holds for a role with a path in another account, and for a fire-drill role', async () => {
    const { broker, people } = sandbox.seed;
    for (const roleArn of [`arn:aws:iam::${OTHER}:role/breakglass/PartnerAdmin`, `arn:aws:iam::${OTHER}:role/FireDrillAdmin`, `arn:aws:iam::${SANDBOX}:role/FireDrillAdmin`]) {
      const ok = await assume(broker, { RoleArn: roleArn, RoleSessionName: 'drill', SourceIdentity: 'bob' });
      expect(ok.AssumedRoleUser?.Arn).toBe(`${roleArn.replace(':iam::', ':sts::').replace(/:role\/(?:.*\/)?/, ':assumed-role/')}/drill`);
      expect(await refused(assume(broker, { RoleArn: roleArn, RoleSessionName: 'drill' }))).toMatchObject({ name: 'AccessDenied' });
      expect(await refused(assume(people.bob ?? broker, { RoleArn: roleArn, RoleSessionName: 'drill', SourceIdentity: 'bob' }))).toMatchObject({ name: 'AccessDenied' });
    }
  });

  it('the execution role admits the broker only with the ExternalId', async () => {
    const { broker, roles, externalId } = sandbox.seed;
    const ok = await assume(broker, { RoleArn: roles.SafeguardExecution, RoleSessionName: 'worker', ExternalId: externalId });
    expect(ok.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${SANDBOX}:assumed-role/SafeguardExecution/worker`);
    const other = `arn:aws:iam::${OTHER}:role/SafeguardExecution`;
    expect((await assume(broker, { RoleArn: other, RoleSessionName: 'worker', ExternalId: externalId })).AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${OTHER}:assumed-role/SafeguardExecution/worker`);
    for (const ExternalId of [undefined, 'guessed']) {
      expect(await refused(assume(broker, { RoleArn: roles.SafeguardExecution, RoleSessionName: 'worker', ...(ExternalId ? { ExternalId } : {}) }))).toMatchObject({ name: 'AccessDenied' });
    }
  });
});

// The sandbox does not deploy hub.yaml: its broker is an IAM user (tests sign as it), and moto's
// CloudFormation creates the evidence bucket without Object Lock, versioning or the public access
// block, and skips AWS::S3::BucketPolicy, so a sandbox "evidence bucket" would claim what it does
// not do. The template still deploys on moto, in an account of its own.
it('the hub template deploys on moto: the broker role as templated, the codec key rotating', async () => {
  const cfn = cfnIn(HUB);
  const parameters = { BreakGlassRoleArns: `arn:aws:iam::${SANDBOX}:role/BreakGlassAdmin` };
  await cfn.send(
    new CreateStackCommand({
      StackName: 'safeguard-hub',
      TemplateBody: templateBody('hub'),
      Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      Capabilities: ['CAPABILITY_NAMED_IAM'],
    }),
  );
  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'safeguard-hub' }))).Stacks?.[0];
  expect(stack?.StackStatus).toBe('CREATE_COMPLETE');
  const output = (key: string) => stack?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
  expect(output('BrokerRoleArn')).toBe(`arn:aws:iam::${HUB}:role/SafeguardBroker`);

  const resources = resolveTemplate(parseTemplate(templateBody('hub')), parameters, { accountId: HUB, region: sandbox.region, stackName: 'safeguard-hub' });
  const iam = iamIn(HUB);
  const role = (await iam.send(new GetRoleCommand({ RoleName: 'SafeguardBroker' }))).Role;
  expect(json(role?.AssumeRolePolicyDocument)).toEqual(resources.BrokerRole?.Properties?.AssumeRolePolicyDocument);
  const brokerDoc = json((await iam.send(new GetRolePolicyCommand({ RoleName: 'SafeguardBroker', PolicyName: 'SafeguardBroker' }))).PolicyDocument) as { Statement: { Sid: string }[] };
  expect(brokerDoc.Statement.map((s) => s.Sid)).toEqual(['AssumeExecutionRoles', 'AssumeBreakGlassRoles', 'WriteEvidence', 'ListEvidence']);

  const kms = kmsIn(HUB);
  expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: output('CodecKeyArn') }))).KeyRotationEnabled).toBe(true);
});
