// Restore drills end to end on the integration stack: the stack's worker, the Temporal dev server,
// and the sandbox's RDS instances (a writer appends timestamped rows), DynamoDB tables and AWS
// Backup vault, each restore taking seconds and each validation reading the restored data. Drills
// are in test/fixtures/policies/integration.yaml.
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { AwsClients } from '../../activities/aws/clients';
import type { AccountClients } from '../../activities/aws/clients';
import { DecisionsClient } from '../../client/decisions-client';
import { DrillClient } from '../../client/drill-client';
import { SafeguardError } from '../../client/errors';
import { ScheduleClient } from '../../client/schedules';
import { EvidenceStore } from '../../evidence/store';
import { sandboxControl } from '../../sandbox/client';
import type { CallRecord } from '../../sandbox/call-log';
import type { RestoreDrillResult, RestoreDrillStatus } from '../../workflows/restore-drill/definitions';
import { scratchNameFor } from '../../workflows/restore-drill/scratch-name';
import { sleep, startTestWorker, useStackSession } from '../support/it-helpers';
import { sandboxSeed } from '../support/stack';

const stack = useStackSession();
let aws: AccountClients;
let drills: DrillClient;
const control = () => sandboxControl(stack.info.awsEndpoint);

beforeAll(async () => {
  const seed = sandboxSeed(stack.info);
  const clients = new AwsClients({ region: stack.info.region, endpoint: stack.info.awsEndpoint, brokerCredentials: { accessKeyId: seed.broker.accessKeyId, secretAccessKey: seed.broker.secretAccessKey } });
  aws = await clients.forAccount({ accountId: seed.accountId, executionRoleArn: seed.roles.SafeguardExecution, externalId: seed.externalId });
  drills = new DrillClient(stack.ctx.temporal, stack.info.taskQueue);
});

afterEach(async () => {
  await control().clearFaults();
});

const POLL = { pollMs: 500 };

async function rdsExists(id: string): Promise<boolean> {
  try {
    await aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    return true;
  } catch (err) {
    if ((err as Error).name === 'DBInstanceNotFoundFault' || (err as Error).name === 'DBInstanceNotFound') return false;
    throw err;
  }
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

async function waitForStep(id: string, name: string, state: string, timeoutMs = 60_000): Promise<RestoreDrillStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await drills.status(id);
    if (st.view.steps.find((s) => s.name === name)?.state === state) return st;
    if (st.view.outcome) throw new Error(`${id} ended ${st.view.outcome} before ${name} was ${state}: ${JSON.stringify(st.view.steps)}`);
    if (Date.now() > deadline) throw new Error(`${id}: ${name} never ${state}: ${JSON.stringify(st.view.steps)}`);
    await sleep(200);
  }
}

const MUTATING = /^(Create|Delete|Modify|Restore|Reboot|Stop|Start|Update|Put|Tag|Untag|Add|Remove)/;

/** Mutating calls that named the source (an RDS instance id or a DynamoDB table name). */
function touchesSource(calls: CallRecord[], source: string): CallRecord[] {
  return calls.filter((c) => MUTATING.test(c.action) && ['DBInstanceIdentifier', 'TableName', 'TargetDBInstanceIdentifier', 'TargetTableName'].some((k) => c.params[k] === source));
}

async function evidenceOf(workflowId: string): Promise<Record<string, unknown> | undefined> {
  return (await new EvidenceStore(stack.info.evidenceDir).list({ kind: 'restore-drill' })).find((e) => e.record['workflowId'] === workflowId)?.record;
}

const stepState = (r: RestoreDrillResult, name: string) => r.status.view.steps.find((s) => s.name === name)?.state;

it('an RDS snapshot drill restores, validates the rows, meets RTO and RPO, tears down, and never touches the source', async () => {
  const mark = (await control().calls()).reduce((m, c) => Math.max(m, c.seq), 0);
  const { workflowId } = await drills.start(stack.ctx.policy, 'it-rds-snap', 'carol', POLL);
  const res = await drills.result(workflowId);
  expect(res.outcome).toBe('passed');
  expect(res.evidenceWritten).toBe(true);
  const st = res.status;
  expect(st.scratchName).toBe(scratchNameFor('it-rds-snap', workflowId));
  expect(st.validation).toMatchObject({ passed: true });
  expect(st.validation!.rows).toBeGreaterThanOrEqual(10);
  expect(st.scores).toMatchObject({ rtoMet: true, rpoMet: true, rpoBasis: 'newest-record' });
  expect(st.scores.rtoMs).toBeGreaterThan(0);
  expect(st.restorePoint?.basis).toBe('snapshot');
  expect(st.teardown?.scratch.name).toBe(st.scratchName);
  expect(await rdsExists(st.scratchName)).toBe(false);
  expect(await rdsExists('it-patients')).toBe(true);
  const calls = await control().calls({ since: mark });
  expect(touchesSource(calls, 'it-patients')).toEqual([]);
  const restores = calls.filter((c) => c.action === 'RestoreDBInstanceFromDBSnapshot' && c.status === 200);
  expect(restores.map((c) => c.params['DBInstanceIdentifier'])).toEqual([st.scratchName]);
  const deletes = calls.filter((c) => c.action === 'DeleteDBInstance');
  expect(deletes.every((c) => c.params['DBInstanceIdentifier'] === st.scratchName && c.params['SkipFinalSnapshot'] === 'true')).toBe(true);
  const ev = await evidenceOf(workflowId);
  expect(ev).toMatchObject({ drill: 'it-rds-snap', outcome: 'passed', sourceType: 'rds-snapshot', scores: { rtoMet: true, rpoMet: true }, teardown: { scratch: { name: st.scratchName } } });
});

it('a point-in-time drill that misses its RPO target fails and is still torn down', async () => {
  const { workflowId } = await drills.start(stack.ctx.policy, 'it-rds-pitr', 'carol', POLL);
  const res = await drills.result(workflowId);
  expect(res.outcome).toBe('missed-targets');
  expect(res.status.restorePoint?.basis).toBe('point-in-time');
  expect(res.status.scores.rpoMet).toBe(false);
  expect(res.status.scores.rpoMs).toBeGreaterThan(1000);
  expect(stepState(res, 'tear down')).toBe('done');
  expect(await rdsExists(res.status.scratchName)).toBe(false);
});

it('a failed validation fails the drill and still tears down', async () => {
  const { workflowId } = await drills.start(stack.ctx.policy, 'it-rds-badtable', 'carol', POLL);
  const res = await drills.result(workflowId);
  expect(res.outcome).toBe('validation-failed');
  expect(res.status.validation?.passed).toBe(false);
  expect(res.status.validation?.output).toMatch(/no_such_table/);
  expect(stepState(res, 'tear down')).toBe('done');
  expect(await rdsExists(res.status.scratchName)).toBe(false);
});

it('a DynamoDB backup drill counts the items and finds the newest one', async () => {
  const mark = (await control().calls()).reduce((m, c) => Math.max(m, c.seq), 0);
  const { workflowId } = await drills.start(stack.ctx.policy, 'it-claims-backup', 'carol', POLL);
  const res = await drills.result(workflowId);
  expect(res.outcome).toBe('passed');
  expect(res.status.validation!.rows).toBeGreaterThanOrEqual(10);
  expect(Date.parse(res.status.validation!.newestRecordAt!)).toBeLessThanOrEqual(Date.parse(res.status.view.startedAt));
  expect(res.status.restorePoint?.basis).toBe('backup');
  expect(await tableExists(res.status.scratchName)).toBe(false);
  expect(touchesSource(await control().calls({ since: mark }), 'it-claims')).toEqual([]);
});

it('a DynamoDB point-in-time drill restores the table as it was restoreAgo before the start, not as it is now', async () => {
  const { workflowId } = await drills.start(stack.ctx.policy, 'it-claims-pitr', 'carol', POLL);
  const res = await drills.result(workflowId);
  expect(res.outcome).toBe('passed');
  const st = res.status;
  expect(st.restorePoint?.basis).toBe('point-in-time');
  const startedMs = Date.parse(st.view.startedAt);
  // restoreAgo is 10s: the restore point is 10 s before the start, and nothing newer came back
  // although the table's writer kept adding items.
  expect(startedMs - Date.parse(st.restorePoint!.time)).toBe(10_000);
  expect(Date.parse(st.validation!.newestRecordAt!)).toBeLessThanOrEqual(Date.parse(st.restorePoint!.time));
  expect(st.scores.rpoMs).toBeGreaterThanOrEqual(10_000);
  expect(st.scores.rpoBasis).toBe('newest-record');
  expect(await tableExists(st.scratchName)).toBe(false);
});

it('an AWS Backup recovery point drill restores through a restore job and reports the validation back', async () => {
  const mark = (await control().calls()).reduce((m, c) => Math.max(m, c.seq), 0);
  const { workflowId } = await drills.start(stack.ctx.policy, 'it-vault-claims', 'carol', POLL);
  const res = await drills.result(workflowId);
  expect(res.outcome).toBe('passed');
  expect(res.status.restorePoint?.basis).toBe('recovery-point');
  expect(stepState(res, 'report to AWS Backup')).toBe('done');
  const calls = await control().calls({ since: mark, service: 'backup' });
  expect(calls.filter((c) => c.action === 'StartRestoreJob' && c.status === 200)).toHaveLength(1);
  expect(calls.filter((c) => c.action === 'PutRestoreValidationResult' && c.status < 300)).toHaveLength(1);
  expect(await tableExists(res.status.scratchName)).toBe(false);
});

it('refuses a scratch name that is already taken, and leaves that resource alone', async () => {
  const workflowId = 'drill-restore-it-claims-backup-c0111de0';
  const taken = scratchNameFor('it-claims-backup', workflowId);
  await aws.dynamodb.send(new CreateTableCommand({ TableName: taken, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }));
  try {
    await drills.start(stack.ctx.policy, 'it-claims-backup', 'carol', { ...POLL, workflowId });
    const res = await drills.result(workflowId);
    expect(res.outcome).toBe('refused');
    expect(stepState(res, 'tear down')).toBe('skipped');
    expect(await tableExists(taken)).toBe(true);
  } finally {
    await aws.dynamodb.send(new DeleteTableCommand({ TableName: taken }));
  }
});

it('a drill cancelled mid-restore is torn down', async () => {
  const { workflowId } = await drills.start(stack.ctx.policy, 'it-rds-snap', 'carol', POLL);
  await waitForStep(workflowId, 'wait until available', 'running');
  await stack.ctx.temporal.workflow.getHandle(workflowId).cancel();
  const res = await drills.result(workflowId);
  expect(res.outcome).toBe('cancelled');
  expect(stepState(res, 'tear down')).toBe('done');
  expect(await rdsExists(res.status.scratchName)).toBe(false);
});

it('a drill that runs past its maximum time is stopped and torn down', async () => {
  // Once the restore is under way RDS answers nothing but throttling: waiting for it never ends
  // within maxDuration (8s), and the teardown keeps retrying until RDS answers again.
  const { workflowId } = await drills.start(stack.ctx.policy, 'it-rds-slow', 'carol', POLL);
  await waitForStep(workflowId, 'wait until available', 'running');
  await control().addFault({ service: 'rds', action: 'DescribeDBInstances', kind: 'throttle', rate: 1 });
  await waitForStep(workflowId, 'tear down', 'running', 90_000);
  await sleep(3000);
  expect((await drills.status(workflowId)).view.steps.find((s) => s.name === 'tear down')?.state).toBe('running');
  await control().clearFaults();
  const res = await drills.result(workflowId);
  expect(res.outcome).toBe('timed-out');
  expect(stepState(res, 'tear down')).toBe('done');
  expect(await rdsExists(res.status.scratchName)).toBe(false);
});

it('a worker SIGKILLed during the restore and again during teardown: exactly one scratch instance, deleted', async () => {
  const worker = await startTestWorker(stack.info, 'drillcrash');
  try {
    const own = new DrillClient(stack.ctx.temporal, worker.taskQueue);
    const mark = (await control().calls()).reduce((m, c) => Math.max(m, c.seq), 0);
    const { workflowId } = await own.start(stack.ctx.policy, 'it-rds-snap', 'carol', POLL);
    await waitForStep(workflowId, 'wait until available', 'running');
    await worker.worker.kill();
    await worker.restart();
    // The delete hangs for 8 s: the worker dies with the teardown in flight.
    const fault = await control().addFault({ service: 'rds', action: 'DeleteDBInstance', kind: 'latency', rate: 1, latencyMs: 8000 });
    const deadline = Date.now() + 120_000;
    while (!(await control().calls({ since: mark, service: 'rds', action: 'DeleteDBInstance' })).some((c) => c.fault?.id === fault.id)) {
      if (Date.now() > deadline) throw new Error('the teardown never started');
      await sleep(200);
    }
    await worker.worker.kill();
    await control().clearFaults();
    await worker.restart();
    const res = await own.result(workflowId);
    expect(res.outcome).toBe('passed');
    expect(res.status.teardown?.scratch.name).toBe(res.status.scratchName);
    const restores = (await control().calls({ since: mark, service: 'rds', action: 'RestoreDBInstanceFromDBSnapshot' })).filter((c) => c.status === 200);
    expect(restores.map((c) => c.params['DBInstanceIdentifier'])).toEqual([res.status.scratchName]);
    expect(await rdsExists(res.status.scratchName)).toBe(false);
  } finally {
    await worker.stop();
  }
});

it('sign-off: a lead signs the results off; the requester and non-leads cannot', async () => {
  const decisions = new DecisionsClient(stack.ctx.temporal);
  const { workflowId } = await drills.start(stack.ctx.policy, 'it-signed', 'bob', POLL);
  await waitForStep(workflowId, 'sign-off', 'running', 90_000);
  await expect(decisions.approve(workflowId, 'bob', { via: 'cli' })).rejects.toBeInstanceOf(SafeguardError);
  await expect(decisions.approve(workflowId, 'carol', { via: 'cli' })).rejects.toThrow(/not an approver/);
  const extra = await drills.start(stack.ctx.policy, 'it-signed', 'carol', POLL);
  await waitForStep(extra.workflowId, 'sign-off', 'running', 90_000);
  await decisions.approve(extra.workflowId, 'bob', { via: 'cli', comment: 'restored rows look right' });
  const res = await drills.result(extra.workflowId);
  expect(res.outcome).toBe('passed');
  expect(res.status.signOff).toBe('signed');
  expect(res.status.rounds[0]).toMatchObject({ id: 'sign-off', state: 'approved', approvals: [expect.objectContaining({ by: 'bob' })] });
  await stack.ctx.temporal.workflow.getHandle(workflowId).cancel();
});

it('the sweeper deletes an orphaned scratch table whose drill is not running', async () => {
  const orphan = 'sg-drill-it-orphan-0badf00d';
  await aws.dynamodb.send(
    new CreateTableCommand({
      TableName: orphan,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      Tags: [{ Key: 'safeguard:drill-run', Value: 'drill-restore-it-gone-00000000' }, { Key: 'safeguard:drill', Value: 'it-gone' }],
    }),
  );
  await sleep(1500);
  const res = await drills.sweep(stack.ctx.policy, 'carol', { olderThanMs: 1000, pollMs: 500 });
  const mine = res.swept.find((s) => s.name === orphan);
  expect(mine).toMatchObject({ deleted: true, runId: 'drill-restore-it-gone-00000000' });
  expect(res.evidenceWritten).toBe(true);
  expect(await tableExists(orphan)).toBe(false);
  const ev = (await new EvidenceStore(stack.info.evidenceDir).list({ kind: 'drill-sweep' })).find((e) => e.record['sweepWorkflowId'] === res.workflowId);
  expect(ev?.record['swept']).toEqual(expect.arrayContaining([expect.objectContaining({ name: orphan, deleted: true })]));
});

it('a drill with a schedule gets a Temporal Schedule that starts drill runs', async () => {
  const schedules = new ScheduleClient(stack.ctx.temporal, stack.info.taskQueue);
  const listed = await schedules.describe(stack.ctx.policy, 'it-claims-backup');
  expect(listed).toMatchObject({ scheduleId: 'safeguard-drill-restore-it-claims-backup', kind: 'restore-drill', target: 'it-claims-backup' });
  await schedules.trigger(stack.ctx.policy, 'it-claims-backup');
  const deadline = Date.now() + 60_000;
  let run: { workflowId: string } | undefined;
  while (!run) {
    run = (await drills.list({ drill: 'it-claims-backup' })).find((r) => r.workflowId.startsWith('drill-restore-it-claims-backup-20'));
    if (!run && Date.now() > deadline) throw new Error('the schedule started no drill');
    if (!run) await sleep(500);
  }
  const res = await drills.result(run.workflowId);
  expect(res.outcome).toBe('passed');
  expect(res.status.requestedBy).toBe('schedule');
});
