// Root-account recovery end to end on the integration stack (Temporal dev server, the stack's worker,
// moto behind the gateway): alice starts it, bob and carol approve, dual-control confirmations with
// notes (alice's own refused), the real CloudTrail check waits for the root sign-in seeded through
// the sandbox, a step escalated for real when nobody confirmed it in time, the real GetAccountSummary
// check, and an evidence record per step that verifies. Then the root-login watcher: it pages on a
// root sign-in with no recovery open (once, however often it looks) and stays quiet during one.
import { randomBytes } from 'node:crypto';
import { DecisionsClient } from '../../client/decisions-client';
import { RunbookClient } from '../../client/runbook-client';
import { rootLoginWatchInput } from '../../client/runbook-definition';
import { ScheduleClient } from '../../client/schedules';
import { SafeguardError } from '../../client/errors';
import { EvidenceStore } from '../../evidence/store';
import { sandboxControl } from '../../sandbox/client';
import { ROOT_LOGIN_WATCH_WORKFLOW } from '../../workflows/runbook/definitions';
import type { RootLoginWatchResult, RunbookStatus } from '../../workflows/runbook/definitions';
import { runSafeguard } from '../support/run-cli';
import { sleep, useStackSession } from '../support/it-helpers';

const stack = useStackSession();
const ACCOUNT = '123456789012';
let runbooks: RunbookClient;
let decisions: DecisionsClient;
let recoveryId: string;
const savedStackFile = process.env.SAFEGUARD_STACK_FILE;

beforeAll(() => {
  runbooks = new RunbookClient(stack.ctx.temporal, stack.info.taskQueue);
  decisions = new DecisionsClient(stack.ctx.temporal);
  // The CLI finds the integration stack the way a developer's finds `npm run dev`'s.
  process.env.SAFEGUARD_STACK_FILE = process.env.SAFEGUARD_TEST_STACK_FILE;
});
afterAll(() => {
  if (savedStackFile === undefined) delete process.env.SAFEGUARD_STACK_FILE;
  else process.env.SAFEGUARD_STACK_FILE = savedStackFile;
});

async function until(id: string, pred: (s: RunbookStatus) => boolean, what: string, timeoutMs = 60_000): Promise<RunbookStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await runbooks.status(id);
    if (pred(st)) return st;
    if (Date.now() > deadline) throw new Error(`${id} never got to ${what}: on ${JSON.stringify(st.current)}; done ${JSON.stringify(st.steps.map((s) => [s.id, s.outcome, s.detail]))}`);
    await sleep(250);
  }
}
const onStep = (id: string, step: string) => until(id, (s) => s.current?.id === step, `step ${step}`);

async function refusal(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SafeguardError) return err.refusal;
    throw err;
  }
  return undefined;
}

async function watchOnce(): Promise<RootLoginWatchResult> {
  const input = rootLoginWatchInput(stack.ctx.policy)!;
  return stack.ctx.temporal.workflow.execute(ROOT_LOGIN_WATCH_WORKFLOW, { taskQueue: stack.info.taskQueue, workflowId: `root-login-watch-it-${randomBytes(4).toString('hex')}`, args: [input] });
}

describe('root-account recovery', () => {
  afterAll(async () => {
    // A run left open by a failed assertion would make every later root sign-in look expected.
    if (recoveryId) await stack.ctx.temporal.workflow.getHandle(recoveryId).cancel().catch(() => undefined);
  });

  it('runs with two people at every step, refuses a self-confirmation, escalates a late step, and leaves evidence for each step', async () => {
    const control = sandboxControl(stack.info.awsEndpoint);
    const started = await runSafeguard('runbook', 'start', 'root-recovery', '--reason', 'root MFA device lost; recovery under ticket SEC-4242', '--as', 'alice');
    expect(started.code).toBe(0);
    recoveryId = /(runbook-root-recovery-[0-9a-f]+)/.exec(started.stdout)![1]!;

    await onStep(recoveryId, 'approve');
    expect(await refusal(decisions.approve(recoveryId, 'alice', { round: 'approve', via: 'cli' }))).toBe('SelfApproval');
    await decisions.approve(recoveryId, 'bob', { round: 'approve', via: 'cli' });
    await decisions.approve(recoveryId, 'carol', { round: 'approve', via: 'cli' });

    await onStep(recoveryId, 'mfa-retrieved');
    // alice started it: she may not confirm, from the CLI or anywhere else.
    const self = await runSafeguard('runbook', 'confirm', recoveryId, '--step', 'mfa-retrieved', '--note', 'I have the device', '--as', 'alice');
    expect(self.code).not.toBe(0);
    expect(self.stderr).toMatch(/you started this runbook; step mfa-retrieved must be confirmed by someone else \[SelfConfirmation\]/);
    expect(await refusal(runbooks.confirm(recoveryId, 'bob', { step: 'mfa-retrieved', via: 'cli' }))).toBe('NoteRequired');
    const byCli = await runSafeguard('runbook', 'confirm', recoveryId, '--step', 'mfa-retrieved', '--note', 'device #2 out of safe B, seal 00417 intact', '--as', 'bob');
    expect(byCli.code).toBe(0);
    await runbooks.confirm(recoveryId, 'dave', { step: 'mfa-retrieved', note: 'witnessed; seal number matches the log', via: 'cli' });

    await onStep(recoveryId, 'password-retrieved');
    await runbooks.confirm(recoveryId, 'carol', { step: 'password-retrieved', note: 'envelope 7 from the vault', via: 'cli' });
    await runbooks.confirm(recoveryId, 'dave', { step: 'password-retrieved', note: 'witnessed', via: 'cli' });

    // The CloudTrail check looks and does not pass until root signs in (seeded: console sign-ins never reach the gateway).
    const waiting = await until(recoveryId, (s) => s.current?.id === 'root-signed-in' && s.current.lastCheck !== undefined, 'a first look at CloudTrail');
    expect(waiting.current!.lastCheck).toMatchObject({ check: 'root-console-login', passed: false });
    await control.recordConsoleLogin({ accountId: ACCOUNT, user: 'root', sourceIp: '203.0.113.7', mfaUsed: false, success: false });
    await sleep(6_000);
    expect((await runbooks.status(recoveryId)).current?.id).toBe('root-signed-in');
    const login = await control.recordConsoleLogin({ accountId: ACCOUNT, user: 'root', sourceIp: '203.0.113.7', mfaUsed: false });

    // Nobody confirms the rotation in its 8 s: security is paged and the step gets 8 s more.
    await onStep(recoveryId, 'password-rotated');
    const late = await until(recoveryId, (s) => s.current?.escalated === true, 'the escalation', 30_000);
    expect(late.timeline.map((e) => e.event)).toEqual(expect.arrayContaining(['password-rotated:escalated', 'security-paged']));
    await runbooks.confirm(recoveryId, 'bob', { step: 'password-rotated', note: 'rotated; new password in envelope 8', via: 'cli' });
    await runbooks.confirm(recoveryId, 'carol', { step: 'password-rotated', note: 'vault log checked', via: 'cli' });

    await onStep(recoveryId, 'mfa-resealed');
    await runbooks.confirm(recoveryId, 'bob', { step: 'mfa-resealed', note: 'sealed with seal 00418', via: 'cli' });
    await runbooks.confirm(recoveryId, 'dave', { step: 'mfa-resealed', note: 'witnessed', via: 'cli' });

    const res = await runbooks.result(recoveryId);
    expect(res.outcome).toBe('completed');
    expect(res.evidenceWritten).toBe(true);
    const byId = Object.fromEntries(res.status.steps.map((s) => [s.id, s]));
    expect(byId['root-signed-in']).toMatchObject({ outcome: 'done', check: { passed: true, facts: expect.objectContaining({ newestEventId: login.eventId }) } });
    expect(byId['password-rotated']).toMatchObject({ outcome: 'done', escalated: true });
    expect(byId['root-locked-down']).toMatchObject({ outcome: 'done', check: { check: 'root-mfa-no-access-keys', passed: true } });
    expect(byId['mfa-retrieved']!.by.map((b) => [b.by, b.via])).toEqual([
      ['bob', 'api'],
      ['dave', 'cli'],
    ]);

    // Evidence: one record per step, then the run's; the chain verifies.
    const store = new EvidenceStore(stack.info.evidenceDir);
    const steps = (await store.list({ kind: 'runbook-step' })).filter((e) => e.record['workflowId'] === recoveryId);
    expect(steps.map((e) => e.record['id'])).toEqual(['approve', 'mfa-retrieved', 'password-retrieved', 'root-signed-in', 'work', 'password-rotated', 'mfa-resealed', 'root-locked-down', 'tell-security']);
    expect(steps[1]!.record['by']).toEqual([expect.objectContaining({ by: 'bob', note: 'device #2 out of safe B, seal 00417 intact' }), expect.objectContaining({ by: 'dave' })]);
    const final = (await store.list({ kind: 'runbook' })).find((e) => e.record['workflowId'] === recoveryId)!;
    expect(final.record).toMatchObject({ outcome: 'completed', requestedBy: 'alice', runbook: 'root-recovery', schemaVersion: 1 });

    const status = await runSafeguard('runbook', 'status', recoveryId);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/completed/);
    const verify = await runSafeguard('audit', 'verify', '--dir', stack.info.evidenceDir, '--key-file', stack.info.evidenceKeyFile!, '--json');
    expect(verify.code).toBe(0);
  });
});

describe('the root-login watcher', () => {
  it('pages once on a root sign-in with no approved recovery open, and stays quiet about one during an approved recovery', async () => {
    expect(recoveryId).toBeDefined();
    const control = sandboxControl(stack.info.awsEndpoint);
    // CloudTrail times are whole seconds: a sign-in in the second the recovery closed counts as during it.
    await sleep(1500);
    const unexpected = await control.recordConsoleLogin({ accountId: ACCOUNT, user: 'root', sourceIp: '198.51.100.9' });
    // A failed sign-in and an IAM user's are not root logins.
    const failed = await control.recordConsoleLogin({ accountId: ACCOUNT, user: 'root', success: false });
    const user = await control.recordConsoleLogin({ accountId: ACCOUNT, user: 'alice' });

    const first = await watchOnce();
    expect(first.unreadable).toEqual([]);
    // (Other test files may have seeded root sign-ins of their own in this account: only ours are asserted.)
    expect(first.paged).toContainEqual(expect.objectContaining({ eventId: unexpected.eventId, accountId: ACCOUNT, sourceIp: '198.51.100.9' }));
    const seen = [...first.paged, ...first.expected].map((l) => l.eventId);
    expect(seen).not.toContain(failed.eventId);
    expect(seen).not.toContain(user.eventId);
    // The sign-in during the recovery above (closed since) was expected.
    expect(first.expected.some((l) => l.duringRun === recoveryId)).toBe(true);
    const paged = (await new EvidenceStore(stack.info.evidenceDir).list({ kind: 'root-login' })).filter((e) => e.record['eventId'] === unexpected.eventId);
    expect(paged).toHaveLength(1);

    // Looking again finds the same sign-in and does not page it twice.
    const second = await watchOnce();
    expect(second.paged.map((l) => l.eventId)).not.toContain(unexpected.eventId);

    // A recovery only started (not approved yet) makes nothing expected: anyone on call can start one.
    const { workflowId: open } = await runbooks.start(stack.ctx.policy, 'root-recovery', 'dave', 'second recovery drill under ticket SEC-4243');
    try {
      await onStep(open, 'approve');
      const early = await control.recordConsoleLogin({ accountId: ACCOUNT, user: 'root', sourceIp: '198.51.100.10' });
      const third = await watchOnce();
      expect(third.paged.map((l) => l.eventId)).toContain(early.eventId);
      // Approved: a root sign-in now is the procedure working.
      await decisions.approve(open, 'bob', { round: 'approve', via: 'cli' });
      await decisions.approve(open, 'carol', { round: 'approve', via: 'cli' });
      await onStep(open, 'mfa-retrieved');
      await sleep(1100);
      const during = await control.recordConsoleLogin({ accountId: ACCOUNT, user: 'root' });
      const fourth = await watchOnce();
      expect(fourth.paged.map((l) => l.eventId)).not.toContain(during.eventId);
      expect(fourth.expected).toContainEqual(expect.objectContaining({ eventId: during.eventId, duringRun: open }));
      const recorded = (await new EvidenceStore(stack.info.evidenceDir).list({ kind: 'root-login' })).find((e) => e.record['eventId'] === during.eventId);
      expect(recorded?.record).toMatchObject({ verdict: 'expected', duringRun: open });
    } finally {
      await stack.ctx.temporal.workflow.getHandle(open).cancel();
    }
    const cancelled = await runbooks.result(open);
    expect(cancelled.outcome).toBe('cancelled');
    // Stopped half-way (approved, root may be in use): security is paged.
    expect(cancelled.status.timeline.some((e) => e.event === 'security-paged' && /cancelled/.test(e.detail ?? ''))).toBe(true);
  });

  it('runs on a Schedule the worker created from the policy', async () => {
    const schedules = new ScheduleClient(stack.ctx.temporal, stack.info.taskQueue);
    const described = await schedules.describe(stack.ctx.policy, 'root-login-watch');
    expect(described).toMatchObject({ scheduleId: 'safeguard-root-login-watch', kind: 'root-login-watch', spec: 'every 3600s', paused: false });
    await schedules.trigger(stack.ctx.policy, 'root-login-watch');
    const deadline = Date.now() + 30_000;
    for (;;) {
      let done: string | undefined;
      for await (const wf of stack.ctx.temporal.workflow.list({ query: "SafeguardKind = 'root-login-watch' AND ExecutionStatus = 'Completed'" })) {
        if (wf.workflowId.startsWith('safeguard-root-login-watch')) done = wf.workflowId;
      }
      if (done) break;
      if (Date.now() > deadline) throw new Error('the triggered watcher run never completed');
      await sleep(500);
    }
  });
});
