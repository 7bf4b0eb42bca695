// Drills tried as an attacker would: a requester who starts a drill around the policy (skipping its
// sign-off), someone with only network access to Temporal (the Temporal CLI, no codec key) starting a
// drill or signing one off, and a sweep pointed at an execution role of the attacker's choosing.
// Drills are in test/fixtures/policies/integration.yaml.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { AwsClients } from '../../activities/aws/clients';
import type { AccountClients } from '../../activities/aws/clients';
import { DrillClient, drillSweepInput, restoreDrillInput } from '../../client/drill-client';
import { sandboxControl } from '../../sandbox/client';
import type { RestoreDrillResult } from '../../workflows/restore-drill/definitions';
import type { DrillSweepResult } from '../../workflows/restore-drill/sweeper.workflow';
import { scratchNameFor } from '../../workflows/restore-drill/scratch-name';
import { callLogMark, sleep, useStackSession } from '../support/it-helpers';
import { sandboxSeed } from '../support/stack';
import { temporalCli } from '../support/paths';

const exec = promisify(execFile);
const stack = useStackSession();
let aws: AccountClients;
let drills: DrillClient;

beforeAll(async () => {
  const seed = sandboxSeed(stack.info);
  const clients = new AwsClients({ region: stack.info.region, endpoint: stack.info.awsEndpoint, brokerCredentials: { accessKeyId: seed.broker.accessKeyId, secretAccessKey: seed.broker.secretAccessKey } });
  aws = await clients.forAccount({ accountId: seed.accountId, executionRoleArn: seed.roles.SafeguardExecution, externalId: seed.externalId });
  drills = new DrillClient(stack.ctx.temporal, stack.info.taskQueue);
});

/** The Temporal CLI against the stack's server: what someone with network access alone can do. */
async function temporal(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await exec(temporalCli, [...args, '--address', stack.info.temporalAddress, '--namespace', stack.info.namespace], { timeout: 60_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const drillId = (drill: string): string => `drill-restore-${drill}-${randomBytes(4).toString('hex')}`;

/** Calls that restored anything into this scratch name. */
async function restoresInto(since: number, scratch: string): Promise<number> {
  const calls = await sandboxControl(stack.info.awsEndpoint).calls({ since });
  return calls.filter((c) => /^Restore|^StartRestoreJob/.test(c.action) && Object.values(c.params).includes(scratch)).length;
}

async function tableExists(name: string): Promise<boolean> {
  try {
    await aws.dynamodb.send(new DescribeTableCommand({ TableName: name }));
    return true;
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return false;
    throw err;
  }
}

it('a requester who drops the sign-off from a drill (start with the codec key, around the policy) restores nothing', async () => {
  const since = await callLogMark(stack.info);
  const input = restoreDrillInput(stack.ctx.policy, 'it-signed', 'alice');
  delete input.drill.signOff;
  const id = drillId('it-signed');
  await stack.ctx.temporal.workflow.start('restoreDrillWorkflow', { taskQueue: stack.info.taskQueue, workflowId: id, args: [input] });
  const res = (await stack.ctx.temporal.workflow.getHandle(id).result()) as RestoreDrillResult;
  expect(res.outcome).toBe('rejected-invalid');
  expect(res.status.view.steps.find((s) => s.name === 'check drill')).toMatchObject({ state: 'failed', detail: expect.stringMatching(/signOff differs from the policy's target "it-signed"/) });
  expect(res.status.teardown).toBeUndefined();
  expect(await restoresInto(since, scratchNameFor('it-signed', id))).toBe(0);
  expect(res.evidenceWritten).toBe(true);
});

it('a drill started with the Temporal CLI (no codec key) ends rejected-invalid and restores nothing', async () => {
  const since = await callLogMark(stack.info);
  const id = drillId('it-claims-backup');
  const input = restoreDrillInput(stack.ctx.policy, 'it-claims-backup', 'alice');
  const started = await temporal(['workflow', 'start', '--type', 'restoreDrillWorkflow', '--task-queue', stack.info.taskQueue, '--workflow-id', id, '--input', JSON.stringify(input)]);
  expect(started.code).toBe(0);
  const res = (await stack.ctx.temporal.workflow.getHandle(id).result()) as RestoreDrillResult;
  expect(res.outcome).toBe('rejected-invalid');
  expect(await restoresInto(since, scratchNameFor('it-claims-backup', id))).toBe(0);
});

it('a sign-off sent with the Temporal CLI (no codec key) is refused; the real one still works', async () => {
  const { workflowId } = await drills.start(stack.ctx.policy, 'it-signed', 'alice', { pollMs: 500 });
  const deadline = Date.now() + 90_000;
  while ((await drills.status(workflowId)).signOff !== 'waiting') {
    if (Date.now() > deadline) throw new Error('the drill never asked for sign-off');
    await sleep(300);
  }
  const forged = await temporal(['workflow', 'update', 'execute', '--workflow-id', workflowId, '--name', 'approve', '--input', JSON.stringify({ approver: 'bob', round: 'sign-off' })]);
  expect(forged.code).not.toBe(0);
  expect(forged.out).toMatch(/malformed decision \(type: MalformedRequest/);
  expect((await drills.status(workflowId)).rounds[0]).toMatchObject({ state: 'open', approvals: [] });
  await stack.ctx.decisions.approve(workflowId, 'bob', { via: 'cli' });
  expect((await drills.result(workflowId)).outcome).toBe('passed');
});

it("a sweep pointed at an execution role that is not the policy's lists and deletes nothing", async () => {
  const orphan = `sg-drill-it-forged-${randomBytes(4).toString('hex')}`;
  await aws.dynamodb.send(
    new CreateTableCommand({ TableName: orphan, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }),
  );
  try {
    const since = await callLogMark(stack.info);
    const input = drillSweepInput(stack.ctx.policy, 'carol', { olderThanMs: 1 });
    input.accounts = input.accounts.map((a) => ({ ...a, executionRoleArn: 'arn:aws:iam::123456789012:role/BreakGlassAdmin' }));
    const id = `safeguard-drill-sweeper-${randomBytes(4).toString('hex')}`;
    const res = (await stack.ctx.temporal.workflow.execute('drillSweeperWorkflow', { taskQueue: stack.info.taskQueue, workflowId: id, args: [input] })) as DrillSweepResult;
    expect(res.swept).toEqual([]);
    expect(res.evidenceWritten).toBe(true);
    expect(await tableExists(orphan)).toBe(true);
    // Nothing was even listed, and the foreign role was never assumed.
    const calls = await sandboxControl(stack.info.awsEndpoint).calls({ since });
    expect(calls.filter((c) => c.action === 'ListTables' || c.action === 'DescribeDBInstances')).toEqual([]);
    expect(calls.filter((c) => c.action === 'AssumeRole' && c.params['RoleArn'] === 'arn:aws:iam::123456789012:role/BreakGlassAdmin')).toEqual([]);
  } finally {
    await aws.dynamodb.send(new DeleteTableCommand({ TableName: orphan }));
  }
});
