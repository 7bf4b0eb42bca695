// The runbook check catalogue and the root-login watcher's read against the AWS sandbox with the real
// SDK, as the worker runs them: broker → AssumeRole(SafeguardExecution, ExternalId) → the gateway →
// moto. Root MFA and keys are set through the time-travel endpoint (/_sandbox/iam/ages), console
// sign-ins through /_sandbox/cloudtrail/console-logins (they never pass the gateway), passwords with
// IAM's own calls. Starts its own sandbox (with an execution role in a second account, to show each
// account's event history is its own); the stack's Temporal answers the watcher's visibility query.

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CreateLoginProfileCommand, CreateUserCommand, IAMClient, UpdateLoginProfileCommand } from '@aws-sdk/client-iam';
import { AwsClients } from '../../activities/aws/clients';
import { runRunbookCheck } from '../../activities/runbooks/checks';
import { findRootLogins, temporalOpenRunAt } from '../../activities/runbooks/root-logins';
import { searchAttributeKeys } from '../../client/search-attributes';
import { DEFAULT_SEED_PLAN, sandboxControl, startSandbox } from '../../sandbox';
import type { Sandbox, SandboxControl, SandboxSeed } from '../../sandbox';
import { SandboxControlError } from '../../sandbox/client';
import type { CheckResult } from '../../workflows/runbook/definitions';
import type { AccountRef, CheckSpec } from '../../workflows/runbook/steps';
import { eventually } from '../support/aws-calls';
import { testStack } from '../support/stack';
import { openContext } from '../../cli/context';

jest.setTimeout(120_000);

const ACCOUNT = '123456789012';
const OTHER = '210987654321';
const PASSWORD = `Rb-${randomBytes(6).toString('hex')}-Passw0rd!`;

let sandbox: Sandbox<SandboxSeed>;
let dataDir: string;
let aws: AwsClients;
let control: SandboxControl;
let admin: IAMClient;
/** Every check answer, for the secret scan at the end. */
const answers: CheckResult[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits into the next whole second and returns its start (CloudTrail and report times are whole seconds). */
async function nextSecond(): Promise<Date> {
  const boundary = Math.ceil((Date.now() + 1) / 1000) * 1000;
  await sleep(boundary - Date.now() + 20);
  return new Date(boundary);
}
const execution = (accountId: string): AccountRef => ({ accountId, executionRoleArn: `arn:aws:iam::${accountId}:role/SafeguardExecution`, externalId: sandbox.seed.externalId });
async function check(name: CheckSpec['name'], since: Date, opts: { user?: string; accountId?: string } = {}): Promise<CheckResult> {
  const r = await runRunbookCheck(aws, { check: { name, since: 'step', ...(opts.user ? { user: opts.user } : {}) }, account: execution(opts.accountId ?? ACCOUNT), sinceIso: since.toISOString() });
  answers.push(r);
  return r;
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'safeguard-runbook-checks-'));
  // No drill sources or service users: not what this file is about.
  sandbox = await startSandbox({
    dataDir,
    plan: { ...DEFAULT_SEED_PLAN, serviceUsers: [], rdsInstances: [], dynamoTables: [], backupVaults: [], executionRoleArns: [`arn:aws:iam::${OTHER}:role/SafeguardExecution`] },
  });
  const { broker } = sandbox.seed;
  const brokerCredentials = { accessKeyId: broker.accessKeyId, secretAccessKey: broker.secretAccessKey };
  aws = new AwsClients({ region: sandbox.region, endpoint: sandbox.endpoint, brokerCredentials });
  admin = new IAMClient({ region: sandbox.region, endpoint: sandbox.endpoint, credentials: brokerCredentials, maxAttempts: 1 });
  control = sandboxControl(sandbox.endpoint);
}, 120_000);

afterAll(async () => {
  admin?.destroy();
  await sandbox?.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

describe('root-mfa-no-access-keys', () => {
  afterEach(async () => {
    await control.clearIamAges(ACCOUNT);
  });

  it('passes for a root user with MFA and no keys (the sandbox default)', async () => {
    const r = await check('root-mfa-no-access-keys', new Date());
    expect(r).toMatchObject({ check: 'root-mfa-no-access-keys', passed: true, summary: 'root has MFA and no access keys', facts: { accountMfaEnabled: 1, accountAccessKeysPresent: 0 } });
  });

  it('fails once root MFA is off, and once root has an access key', async () => {
    await control.setIamAges({ accountId: ACCOUNT, root: { mfaActive: false } });
    expect(await check('root-mfa-no-access-keys', new Date())).toMatchObject({ passed: false, summary: 'root has no MFA; root has no access keys', facts: { accountMfaEnabled: 0 } });
    await control.setIamAges({ accountId: ACCOUNT, root: { mfaActive: true, accessKeysActive: 1 } });
    expect(await check('root-mfa-no-access-keys', new Date())).toMatchObject({ passed: false, summary: 'root has MFA; root has access keys', facts: { accountAccessKeysPresent: 1 } });
  });
});

describe('root-console-login', () => {
  it('fails before a root sign-in and passes after one, naming it', async () => {
    const since = await nextSecond();
    expect(await check('root-console-login', since)).toMatchObject({ passed: false, facts: { logins: 0 } });
    const { eventId } = await control.recordConsoleLogin({ accountId: ACCOUNT, sourceIp: '203.0.113.7' });
    const r = await check('root-console-login', since);
    expect(r).toMatchObject({ passed: true, facts: { logins: 1, newestEventId: eventId, sourceIp: '203.0.113.7', mfaUsed: 'Yes' } });
    expect(r.summary).toMatch(/^root signed in at \S+Z from 203\.0\.113\.7 with MFA$/);
  });

  it("does not count a failed sign-in, an IAM user's, or one in another account", async () => {
    const since = await nextSecond();
    await control.recordConsoleLogin({ accountId: ACCOUNT, success: false, sourceIp: '198.51.100.1' });
    await control.recordConsoleLogin({ accountId: ACCOUNT, user: 'alice' });
    await control.recordConsoleLogin({ accountId: OTHER, sourceIp: '198.51.100.2', mfaUsed: false });
    expect(await check('root-console-login', since)).toMatchObject({ passed: false, facts: { logins: 0 } });
    // The other account's own history has it, read through that account's execution role.
    expect(await check('root-console-login', since, { accountId: OTHER })).toMatchObject({ passed: true, facts: { logins: 1, sourceIp: '198.51.100.2', mfaUsed: 'No' } });
  });

  it('refuses a sign-in in the future with a 400 that says why', async () => {
    const err = await control.recordConsoleLogin({ accountId: ACCOUNT, at: new Date(Date.now() + 3_600_000) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SandboxControlError);
    expect((err as SandboxControlError).status).toBe(400);
    expect((err as SandboxControlError).message).toMatch(/at .* is in the future/);
  });
});

describe('iam-user-password-changed', () => {
  const user = `rb-user-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    await admin.send(new CreateUserCommand({ UserName: user }));
  });

  it('fails for a user without a console password, and for a user IAM does not have', async () => {
    expect(await check('iam-user-password-changed', new Date(Date.now() - 60_000), { user })).toMatchObject({ passed: false, summary: `IAM user ${user} has no console password` });
    const missing = await check('iam-user-password-changed', new Date(), { user: 'rb-nobody' });
    expect(missing).toMatchObject({ passed: false, facts: { user: 'rb-nobody', inReport: false } });
    expect(missing.summary).toMatch(/^IAM user rb-nobody is not in the credential report of 123456789012/);
  });

  it('passes after the password is set or changed since, and not for a change before since', async () => {
    const beforeCreate = await nextSecond();
    await admin.send(new CreateLoginProfileCommand({ UserName: user, Password: PASSWORD }));
    expect(await check('iam-user-password-changed', beforeCreate, { user })).toMatchObject({ passed: true, facts: { user, passwordEnabled: true } });

    const afterCreate = await nextSecond();
    const stale = await check('iam-user-password-changed', afterCreate, { user });
    expect(stale.passed).toBe(false);
    expect(stale.summary).toMatch(new RegExp(`^${user}'s password last changed at \\S+, before ${afterCreate.toISOString()}`));

    await admin.send(new UpdateLoginProfileCommand({ UserName: user, Password: `${PASSWORD}2` }));
    const changed = await check('iam-user-password-changed', afterCreate, { user });
    expect(changed.passed).toBe(true);
    expect(Date.parse(String(changed.facts['passwordLastChanged']))).toBeGreaterThanOrEqual(afterCreate.getTime());
  });
});

describe('findRootLogins', () => {
  // A window of its own, in the past, so the other tests' sign-ins (all "now") stay out of it.
  const since = new Date(Math.floor(Date.now() / 1000) * 1000 - 10 * 60_000);
  const at = (s: number) => new Date(since.getTime() + s * 1000);
  const window = { sinceIso: since.toISOString(), untilIso: at(60).toISOString() };

  it('returns the root sign-ins in the window, the one during an open run marked, and an unreadable account', async () => {
    const during = await control.recordConsoleLogin({ accountId: ACCOUNT, at: at(10), sourceIp: '203.0.113.10' });
    const outside = await control.recordConsoleLogin({ accountId: ACCOUNT, at: at(20), sourceIp: '203.0.113.20', mfaUsed: false });
    const other = await control.recordConsoleLogin({ accountId: OTHER, at: at(30) });
    await control.recordConsoleLogin({ accountId: ACCOUNT, at: at(40), success: false });
    await control.recordConsoleLogin({ accountId: ACCOUNT, at: at(-10) });
    await control.recordConsoleLogin({ accountId: ACCOUNT, at: at(70) });

    const asked: Array<{ accountId: string; runbooks: string[]; atIso: string }> = [];
    const openRunAt = async (q: { accountId: string; runbooks: string[]; atIso: string }) => {
      asked.push(q);
      return q.accountId === ACCOUNT && q.atIso === at(10).toISOString() ? 'runbook-root-recovery-it' : undefined;
    };
    const missing: AccountRef = { accountId: '999999999999', executionRoleArn: 'arn:aws:iam::999999999999:role/SafeguardExecution', externalId: sandbox.seed.externalId };
    const out = await findRootLogins({ aws, openRunAt }, { accounts: [execution(ACCOUNT), missing, execution(OTHER)], expectedDuring: ['root-recovery'], ...window });

    expect(out.logins).toEqual([
      { accountId: ACCOUNT, eventId: outside.eventId, at: at(20).toISOString(), sourceIp: '203.0.113.20', mfaUsed: 'No' },
      { accountId: ACCOUNT, eventId: during.eventId, at: at(10).toISOString(), sourceIp: '203.0.113.10', mfaUsed: 'Yes', duringRun: 'runbook-root-recovery-it' },
      { accountId: OTHER, eventId: other.eventId, at: at(30).toISOString(), mfaUsed: 'Yes' },
    ]);
    expect(out.unreadable).toEqual([{ accountId: '999999999999', error: expect.stringMatching(/^AssumeRole\(SafeguardExecution\): /) as string }]);
    expect(asked.map((q) => [q.accountId, q.runbooks, q.atIso])).toEqual([
      [ACCOUNT, ['root-recovery'], at(20).toISOString()],
      [ACCOUNT, ['root-recovery'], at(10).toISOString()],
      [OTHER, ['root-recovery'], at(30).toISOString()],
    ]);
  });

  it("a decoy tagged like a recovery in Temporal's visibility makes no sign-in expected", async () => {
    const info = testStack();
    const ctx = await openContext(info);
    // An account and a runbook name nothing else uses.
    const accountId = '464646464646';
    const runbook = `it-recovery-${randomBytes(3).toString('hex')}`;
    const tags = [
      { key: searchAttributeKeys.kind, value: 'runbook' },
      { key: searchAttributeKeys.role, value: runbook },
      { key: searchAttributeKeys.account, value: accountId },
    ];
    // Someone with Temporal access but no codec key: another workflow type on a queue nobody polls
    // (it stays open forever), and the real type on the worker's queue with an input of their own.
    const other = await ctx.temporal.workflow.start('notARealWorkflow', { workflowId: `runbook-${runbook}-decoy1`, taskQueue: `nobody-${randomBytes(4).toString('hex')}`, args: [], typedSearchAttributes: tags });
    const forged = await ctx.temporal.workflow.start('declarativeRunbookWorkflow', { workflowId: `runbook-${runbook}-decoy2`, taskQueue: info.taskQueue, args: [{}], typedSearchAttributes: tags });
    const openRunAt = temporalOpenRunAt(ctx.temporal, info.taskQueue);
    try {
      const now = new Date().toISOString();
      // The first is in visibility, tagged as a recovery …
      await eventually('the decoy in visibility', async () => {
        for await (const wf of ctx.temporal.workflow.list({ query: `SafeguardRole = '${runbook}'` })) if (wf.workflowId === other.workflowId) return true;
        return undefined;
      });
      // … and neither makes a sign-in expected: one is not this worker's runbook, the other was never approved.
      expect(await openRunAt({ accountId, runbooks: [runbook], atIso: now })).toBeUndefined();
      expect(((await forged.result()) as { outcome: string }).outcome).toBe('rejected-invalid');
      expect(await openRunAt({ accountId, runbooks: [runbook], atIso: now })).toBeUndefined();
    } finally {
      await other.terminate('test over').catch(() => undefined);
      await ctx.close();
    }
  });
});

it('puts no secret in any answer', () => {
  const text = JSON.stringify(answers);
  expect(answers.length).toBeGreaterThan(8);
  for (const secret of [PASSWORD, sandbox.seed.broker.secretAccessKey]) expect(text).not.toContain(secret);
});
