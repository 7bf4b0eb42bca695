// Doctor's check runner (order, skipping what an earlier failure makes meaningless, deadlines), the
// configuration it picks (environment or a dev stack's worker environment), and a whole run whose
// Slack token must not reach the output. No deployment: fake checks, and loopback ports nothing
// listens on.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runDoctor } from '../../cli/doctor';
import { doctorEnvironment, workerEnvFromStack } from '../../cli/doctor/environment';
import { renderTable, toJson } from '../../cli/doctor/report';
import { runChecks } from '../../cli/doctor/runner';
import type { CheckOutcome, DoctorCheck } from '../../cli/doctor/runner';
import type { StackInfo } from '../../config/stack-file';

type Ctx = { ran: string[] };

function check(id: string, outcome: CheckOutcome | CheckOutcome[] | (() => Promise<CheckOutcome>), needs: string[] = []): DoctorCheck<Ctx> {
  return {
    id,
    check: `the ${id}`,
    needs,
    fix: `generic fix for ${id}`,
    run: async (ctx) => {
      ctx.ran.push(id);
      return typeof outcome === 'function' ? outcome() : outcome;
    },
  };
}

describe('runChecks', () => {
  it('runs every check in order when all pass', async () => {
    const ctx: Ctx = { ran: [] };
    const rows = await runChecks([check('a', { status: 'ok', detail: 'fine' }), check('b', { status: 'ok', detail: 'fine' }, ['a'])], ctx, { timeoutMs: 1000 });
    expect(ctx.ran).toEqual(['a', 'b']);
    expect(rows.map((r) => [r.id, r.check, r.status])).toEqual([
      ['a', 'the a', 'ok'],
      ['b', 'the b', 'ok'],
    ]);
  });

  it('skips a check whose dependency failed, naming it, without running it', async () => {
    const ctx: Ctx = { ran: [] };
    const rows = await runChecks(
      [check('temporal', { status: 'FAIL', detail: 'down', fix: 'start it' }), check('namespace', { status: 'ok', detail: 'x' }, ['temporal']), check('aws', { status: 'ok', detail: 'x' })],
      ctx,
      { timeoutMs: 1000 },
    );
    expect(ctx.ran).toEqual(['temporal', 'aws']);
    expect(rows[1]).toEqual({ id: 'namespace', check: 'the namespace', status: 'skipped', detail: 'skipped: the temporal failed' });
    expect(rows[2]?.status).toBe('ok');
  });

  it('names the first cause down a chain of skipped checks', async () => {
    const rows = await runChecks(
      [check('a', { status: 'FAIL', detail: 'x' }), check('b', { status: 'ok', detail: 'x' }, ['a']), check('c', { status: 'ok', detail: 'x' }, ['b'])],
      { ran: [] },
      { timeoutMs: 1000 },
    );
    expect(rows[2]?.detail).toBe('skipped: the a failed');
  });

  it('skips dependents of a check that skipped itself, and lets a warning through', async () => {
    const ctx: Ctx = { ran: [] };
    const rows = await runChecks(
      [check('slack', { status: 'skipped', detail: 'skipped: off' }), check('after-slack', { status: 'ok', detail: 'x' }, ['slack']), check('tls', { status: 'warn', detail: 'plaintext', fix: 'tls' }), check('after-tls', { status: 'ok', detail: 'x' }, ['tls'])],
      ctx,
      { timeoutMs: 1000 },
    );
    expect(rows.map((r) => r.status)).toEqual(['skipped', 'skipped', 'warn', 'ok']);
    expect(rows[1]?.detail).toBe('skipped: the slack was skipped');
    expect(ctx.ran).not.toContain('after-slack');
  });

  it('gives a failure without its own fix the check\'s fix, and turns a throw into a FAIL', async () => {
    const rows = await runChecks(
      [
        check('a', { status: 'FAIL', detail: 'x' }),
        check('b', () => Promise.reject(new Error('socket hang up'))),
      ],
      { ran: [] },
      { timeoutMs: 1000 },
    );
    expect(rows[0]?.fix).toBe('generic fix for a');
    expect(rows[1]).toMatchObject({ status: 'FAIL', detail: 'unexpected error: socket hang up', fix: 'generic fix for b' });
  });

  it('reports one row per outcome of a multi-row check; one failed row fails it for its dependents', async () => {
    const rows = await runChecks(
      [
        check('roles', [
          { id: 'roles:1', check: 'role 1', status: 'ok', detail: 'assumed' },
          { id: 'roles:2', check: 'role 2', status: 'FAIL', detail: 'AccessDenied', fix: 'deploy' },
        ]),
        check('after', { status: 'ok', detail: 'x' }, ['roles']),
      ],
      { ran: [] },
      { timeoutMs: 1000 },
    );
    expect(rows.map((r) => [r.id, r.status])).toEqual([
      ['roles:1', 'ok'],
      ['roles:2', 'FAIL'],
      ['after', 'skipped'],
    ]);
  });

  it('fails a check that does not answer in time, aborts it, and carries on', async () => {
    let aborted = false;
    const hang: DoctorCheck<Ctx> = {
      id: 'hang',
      check: 'a check that never answers',
      fix: 'is it reachable?',
      run: (_ctx, signal) =>
        new Promise(() => {
          signal.addEventListener('abort', () => (aborted = true));
        }),
    };
    const started = Date.now();
    const rows = await runChecks([hang, check('next', { status: 'ok', detail: 'x' })], { ran: [] }, { timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(aborted).toBe(true);
    expect(rows[0]).toMatchObject({ status: 'FAIL', detail: 'no answer within 200ms', fix: 'is it reachable?' });
    expect(rows[1]?.status).toBe('ok');
  });

  it('reports a deadline, not the abort error, when the aborted call rejects first', async () => {
    const quitter: DoctorCheck<Ctx> = {
      id: 'q',
      check: 'q',
      fix: 'f',
      run: (_ctx, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('The operation was aborted')))),
    };
    const rows = await runChecks([quitter], { ran: [] }, { timeoutMs: 100 });
    expect(rows[0]?.detail).toBe('no answer within 100ms');
  });
});

describe('the configuration doctor checks', () => {
  let dir: string;
  let info: StackInfo;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-unit-'));
    const sandboxFile = path.join(dir, 'sandbox.json');
    fs.writeFileSync(sandboxFile, JSON.stringify({ broker: { accessKeyId: 'AKIABROKER', secretAccessKey: 'broker-secret-value' } }));
    info = {
      temporalAddress: '127.0.0.1:17233',
      namespace: 'default',
      taskQueue: 'safeguard-dev',
      awsEndpoint: 'http://127.0.0.1:15000',
      region: 'us-east-1',
      policyFile: '/p/policy.yaml',
      dataDir: dir,
      evidenceDir: path.join(dir, 'evidence'),
      sandboxFile,
      apiUrl: 'http://127.0.0.1:18787',
      apiServerId: 'server-id',
      codecKeyFile: path.join(dir, 'codec-keys.json'),
      evidenceKeyFile: path.join(dir, 'evidence-keys.json'),
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
    fs.writeFileSync(path.join(dir, 'stack.json'), JSON.stringify(info));
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is the environment as it is when TEMPORAL_ADDRESS is set, even with a dev stack running', () => {
    const env = { TEMPORAL_ADDRESS: 'temporal.internal:7233', AWS_PROFILE: 'broker' };
    const d = doctorEnvironment(env, path.join(dir, 'stack.json'));
    expect(d.env).toBe(env);
    expect(d.stack).toBeUndefined();
  });

  it("is the dev stack worker's environment otherwise: the stack's Temporal, sandbox, broker keys, codec key and policy", () => {
    const d = doctorEnvironment({ PATH: '/bin', SLACK_BOT_TOKEN: 'xoxb-x', AWS_SESSION_TOKEN: 'stale', SAFEGUARD_CODEC_KEYS: 'k1:abc', SAFEGUARD_POLICY: 'other.yaml' }, path.join(dir, 'stack.json'));
    expect(d.stack?.running).toBe(true);
    expect(d.source).toContain(path.join(dir, 'stack.json'));
    expect(d.env).toEqual({
      PATH: '/bin',
      HOME: process.env.HOME,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      SLACK_BOT_TOKEN: 'xoxb-x',
      SAFEGUARD_RECONCILE_INTERVAL: '15s',
      SAFEGUARD_SCHEDULE_SYNC: 'on',
      TEMPORAL_ADDRESS: '127.0.0.1:17233',
      TEMPORAL_NAMESPACE: 'default',
      SAFEGUARD_TASK_QUEUE: 'safeguard-dev',
      SAFEGUARD_AWS_ENDPOINT: 'http://127.0.0.1:15000',
      AWS_REGION: 'us-east-1',
      SAFEGUARD_EVIDENCE_DIR: info.evidenceDir,
      SAFEGUARD_DATA_DIR: dir,
      SAFEGUARD_CODEC_KEY_FILE: info.codecKeyFile,
      SAFEGUARD_EVIDENCE_KEY_FILE: info.evidenceKeyFile,
      SAFEGUARD_POLICY: '/p/policy.yaml',
      AWS_ACCESS_KEY_ID: 'AKIABROKER',
      AWS_SECRET_ACCESS_KEY: 'broker-secret-value',
      SAFEGUARD_API_URL: 'http://127.0.0.1:18787',
      SAFEGUARD_API_SERVER_ID: 'server-id',
    });
  });

  it('says so when the process that wrote the stack file is gone', () => {
    const file = path.join(dir, 'stale.json');
    fs.writeFileSync(file, JSON.stringify({ ...info, pid: 2 ** 22 + 12345 }));
    const d = doctorEnvironment({}, file);
    expect(d.stack?.running).toBe(false);
    expect(d.source).toMatch(/is not running: start it with npm run dev/);
  });

  it('is the environment (with defaults) without TEMPORAL_ADDRESS or a stack file', () => {
    expect(doctorEnvironment({}, path.join(dir, 'none.json')).source).toMatch(/no running dev stack/);
  });

  it('keeps the shell environment out when the sandbox file is missing', () => {
    const env = workerEnvFromStack({ ...info, sandboxFile: path.join(dir, 'missing.json') }, { AWS_ACCESS_KEY_ID: 'AKIASHELL', AWS_SECRET_ACCESS_KEY: 'shell' });
    expect(env.AWS_ACCESS_KEY_ID).toBeUndefined();
    expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
  });
});

describe('a whole doctor run', () => {
  const TOKEN = 'xoxb-000-111-THISISAFAKETOKENVALUE';

  it('never prints the Slack token, whatever fails', async () => {
    const report = await runDoctor(
      {
        // A bad address stops everything that needs the environment; Slack runs on its own.
        env: { TEMPORAL_ADDRESS: 'not an address', SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: 'http://127.0.0.1:1/api/', SAFEGUARD_CODEC_KEYS: 'k1:short' },
        source: 'a test',
      },
      { timeoutMs: 3000 },
    );
    const byId = Object.fromEntries(report.checks.map((r) => [r.id, r]));
    expect(byId['environment']).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('TEMPORAL_ADDRESS: must be host:port') });
    expect(byId['temporal']).toMatchObject({ status: 'skipped', detail: 'skipped: environment variables failed' });
    expect(byId['codec-key']).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('CODEC_KEY_WRONG_LENGTH') });
    expect(byId['evidence']).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('no evidence key'), fix: expect.stringContaining('do not start without an evidence key') });
    expect(byId['slack']).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('no answer from the Slack Web API at http://127.0.0.1:1/api/') });
    for (const text of [renderTable(report), JSON.stringify(toJson(report))]) expect(text).not.toContain(TOKEN);
  });

  it('refuses a token of the wrong shape without echoing it', async () => {
    const report = await runDoctor({ env: { TEMPORAL_ADDRESS: 'not an address', SLACK_BOT_TOKEN: 'not-a-bot-token-SECRET' }, source: 'a test' }, { timeoutMs: 3000 });
    const slack = report.checks.find((r) => r.id === 'slack');
    expect(slack).toMatchObject({ status: 'FAIL', detail: 'SLACK_BOT_TOKEN: must be a bot token (xoxb-…)' });
    expect(slack?.fix).toMatch(/Bot User OAuth Token/);
    expect(JSON.stringify(report)).not.toContain('not-a-bot-token-SECRET');
  });
});
