// `safeguard doctor` against the integration stack, run as the real command in a child process (its
// exit code, its output, that it ends): green when the stack is healthy, through the stack file and
// through the environment alone; red, quickly, when Temporal is down; red naming the account and
// role when an execution role cannot be assumed; Slack's auth.test against the fake Slack.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { CheckRow, DoctorJson } from '../../cli/doctor/report';
import { ScheduleClient } from '../../client/schedules';
import type { Policy } from '../../config/policy/types';
import type { StackInfo } from '../../dev/stack';
import { freePort } from '../../sandbox/net';
import { FakeSlack } from '../support/fake-slack';
import { useStackSession } from '../support/it-helpers';
import { repoRoot } from '../support/paths';
import { sandboxSeed } from '../support/stack';

const stack = useStackSession();
let info: StackInfo;
let tmp: string;
let fake: FakeSlack;
/** A Slack Web API that refuses every token, as Slack does a revoked one (the fake Slack accepts any). */
let refusing: http.Server;
let refusingUrl: string;

const TOKEN = 'xoxb-4242-4242-DOCTORTESTFAKETOKEN';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The environment the stack gives its worker (dev/stack.ts spawnWorker): production's way, env only. */
function workerEnv(): NodeJS.ProcessEnv {
  const broker = sandboxSeed(info).broker;
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: info.temporalAddress,
    TEMPORAL_NAMESPACE: info.namespace,
    SAFEGUARD_TASK_QUEUE: info.taskQueue,
    SAFEGUARD_AWS_ENDPOINT: info.awsEndpoint,
    AWS_REGION: info.region,
    SAFEGUARD_CODEC_KEY_FILE: info.codecKeyFile,
    SAFEGUARD_EVIDENCE_KEY_FILE: info.evidenceKeyFile,
    SAFEGUARD_EVIDENCE_BUCKET: info.evidenceBucket,
    SAFEGUARD_POLICY: info.policyFile,
    AWS_ACCESS_KEY_ID: broker.accessKeyId,
    AWS_SECRET_ACCESS_KEY: broker.secretAccessKey,
  };
}

function doctor(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(repoRoot, 'bin/safeguard'), ['doctor', ...args], { env, cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    // Doctor must end by itself; this only keeps a hung child from outliving the test.
    const kill = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: Date.now() - started });
    });
  });
}

function parse(run: Run): DoctorJson & { byId: Record<string, CheckRow> } {
  let json: DoctorJson;
  try {
    json = JSON.parse(run.stdout) as DoctorJson;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
  return { ...json, byId: Object.fromEntries(json.checks.map((c) => [c.id, c])) };
}

const notOk = (rows: CheckRow[]): CheckRow[] => rows.filter((r) => r.status !== 'ok');

beforeAll(async () => {
  info = stack.info;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-doctor-it-'));
  fake = new FakeSlack();
  await fake.start();
  refusing = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: false, error: 'invalid_auth' }));
  });
  await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', () => r()));
  refusingUrl = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/api/`;
  // The stack's worker synced the Schedules at start-up; a test file before this one may have
  // changed them (schedules.test.ts edits and restores). Green means in sync with the policy.
  await new ScheduleClient(stack.ctx.temporal, info.taskQueue).sync(stack.ctx.policy);
});

afterAll(async () => {
  await fake?.stop();
  refusing?.closeAllConnections();
  await new Promise<void>((r) => (refusing ? refusing.close(() => r()) : r()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('green', () => {
  it('every check is ok against the running dev stack, found through its stack file (exit 0)', async () => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, SAFEGUARD_STACK_FILE: process.env.SAFEGUARD_TEST_STACK_FILE, SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: fake.apiUrl };
    const run = await doctor(env, '--json');
    const report = parse(run);
    expect(notOk(report.checks)).toEqual([]);
    expect(run.code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.source).toContain(String(process.env.SAFEGUARD_TEST_STACK_FILE));
    expect(report.checks.map((c) => c.id)).toEqual([
      'environment',
      'policy',
      'codec-key',
      'evidence',
      'temporal-tls',
      'temporal',
      'namespace',
      'search-attributes',
      'schedules',
      'reconciler',
      'aws-broker',
      ...stack.ctx.policy.accounts.map((a) => `aws-role:${a.id}`),
      'slack',
      'api',
    ]);
    expect(report.byId['aws-broker']?.detail).toContain(sandboxSeed(info).broker.arn);
    expect(report.byId['evidence']?.detail).toMatch(/key file .*evidence-keys\.json: 1 key\(s\), active "k1"; anchors in s3:\/\/safeguard-evidence-\d+ \(Object Lock COMPLIANCE\)/);
    expect(report.byId['reconciler']?.detail).toContain(`safeguard-reconciler-${info.taskQueue}, not paused`);
    expect(report.byId['slack']?.detail).toMatch(/team Fake \(T0FAKE\)/);
    expect(fake.ok('auth.test', (c) => c.token === TOKEN)).toHaveLength(1);
    expect(report.byId['api']?.detail).toBe(`${info.apiUrl}/health answered ok`);
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
  });

  it('every check is ok with production configuration: the environment only, printed as a table', async () => {
    const run = await doctor(workerEnv());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^safeguard doctor: the environment \(TEMPORAL_ADDRESS is set\)/);
    expect(run.stdout).toMatch(/^ok\s+Temporal reachable\s+127\.0\.0\.1:\d+/m);
    expect(run.stdout).toMatch(/^skipped\s+Slack bot token\s+skipped: Slack notifications off/m);
    expect(run.stdout).not.toMatch(/^FAIL/m);
    expect(run.stdout).not.toContain(sandboxSeed(info).broker.secretAccessKey);
  });
});

describe('red', () => {
  it('Temporal down: its row fails with the address, what needs it is skipped, and doctor ends quickly', async () => {
    const closed = await freePort();
    const run = await doctor({ ...workerEnv(), TEMPORAL_ADDRESS: `127.0.0.1:${closed}` }, '--json');
    const report = parse(run);
    expect(run.code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.byId['temporal']).toMatchObject({
      status: 'FAIL',
      detail: expect.stringContaining(`no Temporal frontend answered at 127.0.0.1:${closed} within 5s`),
      fix: expect.stringContaining(`check TEMPORAL_ADDRESS=127.0.0.1:${closed}`),
    });
    for (const id of ['namespace', 'search-attributes', 'schedules', 'reconciler']) {
      expect(report.byId[id]).toMatchObject({ status: 'skipped', detail: 'skipped: Temporal reachable failed' });
    }
    // What does not need Temporal is still checked.
    expect(report.byId['aws-broker']?.status).toBe('ok');
    // A 5 s connect deadline plus the CLI's start: nowhere near a hang.
    expect(run.ms).toBeLessThan(30_000);
  });

  it.each([
    ['a role the account does not have', { executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecutionMissing' }],
    ['an ExternalId the role does not trust', { externalId: 'not-the-external-id' }],
  ])('%s: that account\'s row fails naming the account and the role, with the fix (exit 1)', async (_what, change) => {
    const policy = fs.readFileSync(info.policyFile, 'utf8');
    const account = stack.ctx.policy.accounts[0]!;
    expect(account.id).toBe('123456789012');
    const edited = policy
      .replace(`executionRoleArn: ${account.executionRoleArn}`, `executionRoleArn: ${'executionRoleArn' in change ? change.executionRoleArn : account.executionRoleArn}`)
      .replace(`externalId: ${account.externalId}   #`, `externalId: ${'externalId' in change ? change.externalId : account.externalId}   #`);
    expect(edited).not.toBe(policy);
    const file = path.join(tmp, `policy-${Object.keys(change)[0]}.yaml`);
    fs.writeFileSync(file, edited);
    const run = await doctor({ ...workerEnv(), SAFEGUARD_POLICY: file }, '--json');
    const report = parse(run);
    expect(run.code).toBe(1);
    expect(report.byId['policy']?.status).toBe('ok');
    const roleArn = 'executionRoleArn' in change ? change.executionRoleArn : account.executionRoleArn;
    expect(report.byId['aws-role:123456789012']).toMatchObject({
      status: 'FAIL',
      check: 'execution role, sandbox (123456789012)',
      detail: expect.stringMatching(new RegExp(`cannot assume ${roleArn.replace(/[/.]/g, '\\$&')} in account 123456789012 \\(sandbox\\): AccessDenied`)),
      fix: expect.stringContaining('deploy the target-account stack in deploy/cloudformation to account 123456789012'),
    });
    expect(report.byId['aws-role:123456789012']?.fix).toContain('ExternalId');
    // The other accounts' roles are still there.
    expect(report.byId['aws-role:210987654321']?.status).toBe('ok');
  });
});

describe('Schedules', () => {
  const KMS = 'safeguard-rotate-kms-it-kms';

  function withKmsSchedule(policy: Policy, schedule: { everyMs: number } | undefined): Policy {
    return { ...policy, rotation: { ...policy.rotation, kmsKeys: policy.rotation.kmsKeys.map((k) => (k.name === 'it-kms' ? { ...k, schedule } : k)) } } as Policy;
  }

  it('plan reports what sync would change, and changes nothing', async () => {
    const schedules = new ScheduleClient(stack.ctx.temporal, info.taskQueue);
    const policy = stack.ctx.policy;
    expect((await schedules.plan(policy)).every((c) => c.change === 'unchanged')).toBe(true);
    expect(await schedules.plan(withKmsSchedule(policy, undefined))).toContainEqual({ scheduleId: KMS, target: 'it-kms', change: 'deleted' });
    expect((await schedules.plan(withKmsSchedule(policy, { everyMs: 30 * 60_000 }))).find((c) => c.target === 'it-kms')?.change).toBe('updated');
    // Nothing was written: the Schedule is still the policy's.
    expect(await schedules.describe(policy, 'it-kms')).toMatchObject({ spec: 'every 3600s', paused: false });
    expect((await schedules.plan(policy)).every((c) => c.change === 'unchanged')).toBe(true);
  });

  it('a missing policy Schedule and a paused reconciler fail their rows, each with its fix', async () => {
    const reconciler = stack.ctx.temporal.schedule.getHandle(`safeguard-reconciler-${info.taskQueue}`);
    await stack.ctx.temporal.schedule.getHandle(KMS).delete();
    await reconciler.pause('doctor test');
    try {
      const report = parse(await doctor(workerEnv(), '--json'));
      expect(report.ok).toBe(false);
      expect(report.byId['schedules']).toMatchObject({
        status: 'FAIL',
        detail: expect.stringContaining(`to create: ${KMS}`),
        fix: expect.stringContaining('run `safeguard schedules sync` with this configuration'),
      });
      expect(report.byId['reconciler']).toMatchObject({
        status: 'FAIL',
        detail: expect.stringContaining('is paused ("doctor test")'),
        fix: `temporal schedule toggle --namespace ${info.namespace} --schedule-id safeguard-reconciler-${info.taskQueue} --unpause --reason "safeguard doctor"`,
      });
    } finally {
      await reconciler.unpause('doctor test done');
      await new ScheduleClient(stack.ctx.temporal, info.taskQueue).sync(stack.ctx.policy);
    }
  });
});

describe('Slack', () => {
  it('a token Slack refuses fails the Slack row, without printing the token', async () => {
    const run = await doctor({ ...workerEnv(), SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: refusingUrl });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL\s+Slack bot token\s+Slack refused the token: invalid_auth$/m);
    expect(run.stdout).toMatch(/fix: set SLACK_BOT_TOKEN to the Slack app's Bot User OAuth Token/);
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
  });

  it('a token the fake Slack accepts passes auth.test', async () => {
    const run = await doctor({ ...workerEnv(), SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: fake.apiUrl }, '--json');
    const report = parse(run);
    expect(report.byId['slack']).toMatchObject({ status: 'ok', detail: expect.stringContaining('as safeguard, bot B0SAFEGUARD') });
    expect(run.code).toBe(0);
  });
});
