// Key rotation end to end on the integration stack: the stack's worker process, the Temporal dev
// server, moto behind the gateway with its simulated consumers (each reads its key from its store
// every 2 s and signs with it). One service user per test (test/fixtures/policies/integration.yaml).
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateAccessKeyCommand, ListAccessKeysCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { GetParameterCommand, GetParameterHistoryCommand } from '@aws-sdk/client-ssm';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ListKeyRotationsCommand } from '@aws-sdk/client-kms';
import { AwsClients } from '../../activities/aws/clients';
import type { AccountClients } from '../../activities/aws/clients';
import { DecisionsClient } from '../../client/decisions-client';
import { RotationClient, accessKeyRotationInput } from '../../client/rotation-client';
import { SafeguardError } from '../../client/errors';
import { EvidenceStore } from '../../evidence/store';
import { maskAccessKeyId } from '../../sandbox/aws-request';
import { sandboxControl } from '../../sandbox/client';
import type { RotationStatus } from '../../workflows/key-rotation/definitions';
import { decodedPayloadText, historyText } from '../support/history-text';
import { sleep, startTestWorker, useStackSession, workerLogFiles } from '../support/it-helpers';
import { formatFindings, scanFiles, scanForSecrets } from '../support/secret-scan';
import { sandboxSeed } from '../support/stack';

const stack = useStackSession();
let aws: AccountClients;
let rotations: RotationClient;
/** Every secret the tests see: the seeded keys' and the new keys' (read from their stores). */
const known: string[] = [];
const rotated: string[] = [];

beforeAll(async () => {
  const seed = sandboxSeed(stack.info);
  const clients = new AwsClients({ region: stack.info.region, endpoint: stack.info.awsEndpoint, brokerCredentials: { accessKeyId: seed.broker.accessKeyId, secretAccessKey: seed.broker.secretAccessKey } });
  aws = await clients.forAccount({ accountId: seed.accountId, executionRoleArn: seed.roles.SafeguardExecution, externalId: seed.externalId });
  rotations = new RotationClient(stack.ctx.temporal, stack.info.taskQueue);
  for (const u of Object.values(seed.serviceUsers)) known.push(u.secretAccessKey);
});

async function keysOf(user: string): Promise<Array<{ id: string; status: string }>> {
  const r = await aws.iam.send(new ListAccessKeysCommand({ UserName: user }));
  return (r.AccessKeyMetadata ?? []).map((k) => ({ id: k.AccessKeyId!, status: k.Status! })).sort((a, b) => a.id.localeCompare(b.id));
}

async function storedSsm(name: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const r = await aws.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  return JSON.parse(r.Parameter!.Value!) as { accessKeyId: string; secretAccessKey: string };
}

async function waitForStatus(id: string, until: (s: RotationStatus) => boolean, timeoutMs = 60_000): Promise<RotationStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await rotations.status(id);
    if (until(st)) return st;
    if (Date.now() > deadline) throw new Error(`rotation ${id} did not get there: ${JSON.stringify(st.view.steps)}`);
    await sleep(500);
  }
}

const step = (st: RotationStatus, name: string) => st.view.steps.find((s) => s.name === name)?.state;

it('rotates an SSM-stored key with a switching consumer: one new key, the old one deleted, evidence with ids only', async () => {
  const before = await keysOf('svc-it-rotate');
  expect(before).toHaveLength(1);
  const { workflowId, kind } = await rotations.start(stack.ctx.policy, 'it-rotate', 'carol', { force: true, pollIntervalMs: 1000 });
  expect(kind).toBe('access-key-rotation');
  const res = await rotations.result(workflowId);
  expect(res.outcome).toBe('rotated');
  expect(res.evidenceWritten).toBe(true);
  const newKey = res.status.newAccessKeyId!;
  expect(res.status.oldAccessKeyId).toBe(before[0]!.id);
  expect(await keysOf('svc-it-rotate')).toEqual([{ id: newKey, status: 'Active' }]);
  const stored = await storedSsm('/safeguard/it/rotate');
  expect(stored.accessKeyId).toBe(newKey);
  known.push(stored.secretAccessKey);
  rotated.push(workflowId);
  // The consumer signs with the new key now (it read the store) and its calls work.
  const consumer = (await sandboxControl(stack.info.awsEndpoint).consumers()).find((c) => c.userName === 'svc-it-rotate')!;
  expect(consumer.keyInUse).toBe(maskAccessKeyId(newKey));
  expect(res.status.view.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done', 'done', 'done', 'done']);
  // The store was written once by this rotation.
  const history = await aws.ssm.send(new GetParameterHistoryCommand({ Name: '/safeguard/it/rotate' }));
  expect(history.Parameters).toHaveLength(2);

  const entry = (await new EvidenceStore(stack.info.evidenceDir).list({ kind: 'access-key-rotation' })).find((e) => e.record['workflowId'] === workflowId)!;
  expect(entry.record).toMatchObject({ outcome: 'rotated', userName: 'svc-it-rotate', oldAccessKeyId: before[0]!.id, newAccessKeyId: newKey, schemaVersion: 1 });
  expect(JSON.stringify(entry)).not.toContain(stored.secretAccessKey);
});

it('stops before deactivating when a consumer never switches, and pages security', async () => {
  const control = sandboxControl(stack.info.awsEndpoint);
  await control.setConsumerMode('svc-it-stuck', 'stuck');
  try {
    const old = (await keysOf('svc-it-stuck'))[0]!;
    const { workflowId } = await rotations.start(stack.ctx.policy, 'it-stuck', 'carol', { force: true, pollIntervalMs: 1000 });
    const res = await rotations.result(workflowId);
    expect(res.outcome).toBe('consumers-not-switched');
    expect(step(res.status, 'switch consumers')).toBe('failed');
    expect(step(res.status, 'deactivate old key')).toBe('skipped');
    // Nothing was taken away: both keys still work, the store holds the new one.
    const keys = await keysOf('svc-it-stuck');
    expect(keys.map((k) => k.status)).toEqual(['Active', 'Active']);
    expect(keys.map((k) => k.id)).toContain(old.id);
    expect(res.status.timeline.some((e) => e.event === 'security-paged' && /consumers-not-switched/.test(e.detail ?? ''))).toBe(true);
    known.push((await storedSsm('/safeguard/it/stuck')).secretAccessKey);
    rotated.push(workflowId);
  } finally {
    await control.setConsumerMode('svc-it-stuck', 'switching');
  }
});

it('reactivates the old key and pages when it is used after deactivation (a missed consumer)', async () => {
  const seed = sandboxSeed(stack.info);
  const old = seed.serviceUsers['svc-it-missed']!;
  const { workflowId } = await rotations.start(stack.ctx.policy, 'it-missed', 'carol', { force: true, pollIntervalMs: 1000 });
  await waitForStatus(workflowId, (s) => step(s, 'observe old key') === 'running', 90_000);
  // A consumer nobody knew about still signs with the old key: AWS refuses it (inactive) …
  const sts = new STSClient({ region: stack.info.region, endpoint: stack.info.awsEndpoint, credentials: { accessKeyId: old.accessKeyId, secretAccessKey: old.secretAccessKey }, maxAttempts: 1 });
  await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toThrow();
  sts.destroy();
  // … and the rotation sees it (CloudTrail) and gives the key back.
  const res = await rotations.result(workflowId);
  expect(res.outcome).toBe('consumer-missed');
  expect(step(res.status, 'observe old key')).toBe('failed');
  expect(step(res.status, 'delete old key')).toBe('skipped');
  const keys = await keysOf('svc-it-missed');
  expect(keys.find((k) => k.id === old.accessKeyId)?.status).toBe('Active');
  expect(res.status.timeline.some((e) => e.event === 'security-paged' && /consumer-missed/.test(e.detail ?? ''))).toBe(true);
  known.push((await storedSsm('/safeguard/it/missed')).secretAccessKey);
  rotated.push(workflowId);
});

it('respects the 2-key limit: a second active key stops the run; an inactive one is deleted first', async () => {
  const extra = (await aws.iam.send(new CreateAccessKeyCommand({ UserName: 'svc-it-twokeys' }))).AccessKey!;
  known.push(extra.SecretAccessKey!);
  const stopped = await rotations.result((await rotations.start(stack.ctx.policy, 'it-twokeys', 'carol', { force: true, pollIntervalMs: 1000 })).workflowId);
  expect(stopped.outcome).toBe('stopped');
  expect(stopped.status.finding?.code).toBe('TwoActiveKeys');
  expect(stopped.status.newAccessKeyId).toBeUndefined();
  expect(await keysOf('svc-it-twokeys')).toHaveLength(2);

  await aws.iam.send(new UpdateAccessKeyCommand({ UserName: 'svc-it-twokeys', AccessKeyId: extra.AccessKeyId!, Status: 'Inactive' }));
  const { workflowId } = await rotations.start(stack.ctx.policy, 'it-twokeys', 'carol', { force: true, pollIntervalMs: 1000 });
  const res = await rotations.result(workflowId);
  expect(res.outcome).toBe('rotated');
  expect(res.status.timeline.some((e) => e.event === 'deleted-inactive-key' && e.detail === extra.AccessKeyId)).toBe(true);
  expect(await keysOf('svc-it-twokeys')).toEqual([{ id: res.status.newAccessKeyId!, status: 'Active' }]);
  known.push((await storedSsm('/safeguard/it/twokeys')).secretAccessKey);
  rotated.push(workflowId);
});

it('rotates a Secrets Manager key and deletes the old one only after an approval, never the requester’s', async () => {
  const decisions = new DecisionsClient(stack.ctx.temporal);
  const { workflowId } = await rotations.start(stack.ctx.policy, 'it-secret', 'dave', { force: true, pollIntervalMs: 1000 });
  const waiting = await waitForStatus(workflowId, (s) => s.rounds.some((r) => r.state === 'open'), 90_000);
  expect(waiting.rounds[0]).toMatchObject({ id: 'delete-old-key', quorum: 1, eligible: ['carol'] });
  // Consumers read AWSCURRENT, which is the new key by now.
  const current = await aws.secretsManager.send(new GetSecretValueCommand({ SecretId: 'safeguard/it/secret', VersionStage: 'AWSCURRENT' }));
  const stored = JSON.parse(current.SecretString!) as { accessKeyId: string; secretAccessKey: string };
  expect(stored.accessKeyId).toBe(waiting.newAccessKeyId);
  known.push(stored.secretAccessKey);
  // The person who started it cannot approve; someone outside the approvers cannot either.
  await expect(decisions.approve(workflowId, 'dave', { via: 'cli' })).rejects.toMatchObject({ refusal: 'SelfApproval' });
  await expect(decisions.approve(workflowId, 'alice', { via: 'cli' })).rejects.toMatchObject({ refusal: 'NotAnApprover' });
  await expect(decisions.approve(workflowId, 'carol', { via: 'cli', round: 'grant' })).rejects.toMatchObject({ refusal: 'UnknownRound' });
  // Waiting for the decision: the old key is deactivated, not deleted.
  expect((await keysOf('svc-it-secret')).map((k) => k.status).sort()).toEqual(['Active', 'Inactive']);
  const decided = await decisions.approve(workflowId, 'carol', { via: 'cli', comment: 'consumers moved' });
  expect(decided).toMatchObject({ round: 'delete-old-key', roundState: 'approved', duplicate: false });
  const res = await rotations.result(workflowId);
  expect(res.outcome).toBe('rotated');
  expect(res.status.rounds[0]).toMatchObject({ state: 'approved', approvals: [expect.objectContaining({ by: 'carol', comment: 'consumers moved' })] });
  expect(await keysOf('svc-it-secret')).toEqual([{ id: res.status.newAccessKeyId!, status: 'Active' }]);
  // Plain GetSecretValue (no stage) answers from AWSCURRENT, as AWS does.
  const now = JSON.parse((await aws.secretsManager.send(new GetSecretValueCommand({ SecretId: 'safeguard/it/secret' }))).SecretString!) as { accessKeyId: string };
  expect(now.accessKeyId).toBe(res.status.newAccessKeyId);
  rotated.push(workflowId);
});

it('a worker SIGKILLed while it creates the key: after restart, exactly one new key, stored once', async () => {
  const control = sandboxControl(stack.info.awsEndpoint);
  const worker = await startTestWorker(stack.info, 'rotcrash');
  try {
    const own = new RotationClient(stack.ctx.temporal, worker.taskQueue);
    // Storing the new key hangs for 8 s: the worker dies between CreateAccessKey and the store write.
    const fault = await control.addFault({ service: 'ssm', action: 'PutParameter', kind: 'latency', rate: 1, latencyMs: 8000 });
    const { workflowId } = await own.start(stack.ctx.policy, 'it-crash', 'carol', { force: true, pollIntervalMs: 1000 });
    const deadline = Date.now() + 60_000;
    while (!(await control.calls({ service: 'ssm', action: 'PutParameter' })).some((c) => c.fault?.id === fault.id)) {
      if (Date.now() > deadline) throw new Error('the store write never started');
      await sleep(200);
    }
    await worker.worker.kill();
    await control.clearFaults();
    await worker.restart();
    const res = await own.result(workflowId);
    expect(res.outcome).toBe('rotated');
    expect(await keysOf('svc-it-crash')).toEqual([{ id: res.status.newAccessKeyId!, status: 'Active' }]);
    const stored = await storedSsm('/safeguard/it/crash');
    expect(stored.accessKeyId).toBe(res.status.newAccessKeyId);
    known.push(stored.secretAccessKey);
    // The seed's write and exactly one rotation write.
    expect((await aws.ssm.send(new GetParameterHistoryCommand({ Name: '/safeguard/it/crash' }))).Parameters).toHaveLength(2);
    rotated.push(workflowId);
  } finally {
    await control.clearFaults();
    await worker.stop();
  }
});

it('refuses a rotation started around the policy (another user behind a known target name)', async () => {
  const input = accessKeyRotationInput(stack.ctx.policy, 'it-rotate', 'carol', { force: true });
  input.target.userName = 'svc-reporting';
  const handle = await stack.ctx.temporal.workflow.start('accessKeyRotationWorkflow', { taskQueue: stack.info.taskQueue, workflowId: 'rotate-key-it-rotate-f0f0f0f0', args: [input] });
  const res = await rotations.result(handle.workflowId);
  expect(res.outcome).toBe('rejected-invalid');
  expect(step(res.status, 'create and store new key')).toBe('skipped');
  expect((await keysOf('svc-reporting')).length).toBe(1);
});

it('KMS: turns on rotation with the policy period, rotates on demand, and the canary still decrypts', async () => {
  const { workflowId, kind } = await rotations.start(stack.ctx.policy, 'it-kms', 'carol');
  expect(kind).toBe('kms-rotation');
  const res = await rotations.result(workflowId);
  expect(res.outcome).toBe('verified');
  expect(res.status.view.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
  expect(res.status.view.steps.find((s) => s.name === 'ensure automatic rotation')?.detail).toMatch(/every 90 days/);
  const listed = await aws.kms.send(new ListKeyRotationsCommand({ KeyId: res.status.keyId! }));
  expect((listed.Rotations ?? []).some((r) => r.RotationType === 'ON_DEMAND')).toBe(true);
  const entry = (await new EvidenceStore(stack.info.evidenceDir).list({ kind: 'kms-rotation' })).find((e) => e.record['workflowId'] === workflowId);
  expect(entry?.record).toMatchObject({ outcome: 'verified', rotationPeriodDays: 90, keyId: res.status.keyId });
  rotated.push(workflowId);
});

it('refuses an unknown target with the list of known ones, starting nothing', async () => {
  await expect(rotations.start(stack.ctx.policy, 'nope', 'carol')).rejects.toThrow(SafeguardError);
  await expect(rotations.start(stack.ctx.policy, 'nope', 'carol')).rejects.toThrow(/targets: reporting-exporter, legacy-etl/);
  await sleep(1000);
  expect(await rotations.list({ target: 'nope' })).toEqual([]);
});

it('leaves no secret in any rotation history, the evidence file or the worker logs', async () => {
  expect(rotated.length).toBeGreaterThan(3);
  const problems: string[] = [];
  for (const id of rotated) {
    const history = await stack.ctx.temporal.workflow.getHandle(id).fetchHistory();
    const raw = scanForSecrets(historyText(history), { known });
    if (raw.length) problems.push(`history of ${id}:\n${formatFindings(raw)}`);
    const decoded = scanForSecrets(await decodedPayloadText(stack.ctx, history), { known });
    if (decoded.length) problems.push(`decoded history of ${id}:\n${formatFindings(decoded)}`);
  }
  const files = [`${stack.info.evidenceDir}/evidence.jsonl`, ...workerLogFiles(stack.info)];
  for (const f of await scanFiles(files, { known })) problems.push(`${f.file}: ${f.kind} ${f.excerpt}`);
  expect(problems).toEqual([]);
  // The scan saw the real thing: a key id of this run is in a decoded history.
  const ownHistory = await stack.ctx.temporal.workflow.getHandle(rotated[0]!).fetchHistory();
  expect(await decodedPayloadText(stack.ctx, ownHistory)).toContain('AKIA');
});
