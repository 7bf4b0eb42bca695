// The declarative runbook interpreter on the time-skipping server, with in-memory activities: the
// shipped root-recovery runbook step by step (two people, a refused self-confirmation, notes and
// check results in evidence), timeouts that fail, escalate or continue, a failed check, a denial, a
// forged input, and a policy edit mid-run that changes nothing. The same runbook against the sandbox,
// Slack and the CLI is test/integration/runbook-root-recovery.test.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { parsePolicy } from '../../config/policy';
import type { Policy } from '../../config/policy/types';
import { runbookInput } from '../../client/runbook-client';
import { REPO_ROOT } from '../../config/stack-file';
import { approveUpdate, confirmUpdate, denyUpdate, runbookStatusQuery } from '../../workflows/runbook/definitions';
import type { RunbookInput, RunbookResult, RunbookStatus } from '../../workflows/runbook/definitions';
import type { RunbookStep } from '../../workflows/runbook/steps';
import { createTestWorker, startTimeSkipping } from '../support/time-skipping';
import { fakeRunbook, notPassed, passed } from '../support/fake-runbook';
import type { FakeRunbook } from '../support/fake-runbook';
import { MIN, expectRefused, healTimeSkipping, terminateLeftovers } from './harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

const EXAMPLE = readFileSync(path.join(REPO_ROOT, 'examples/policy.yaml'), 'utf8');

function policyOf(text: string): Policy {
  const r = parsePolicy(text, 'policy.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.policy;
}

async function run<T>(input: RunbookInput, policy: Policy, fn: (h: WorkflowHandle, s: FakeRunbook) => Promise<T>, prepare?: (s: FakeRunbook) => void): Promise<T> {
  const { state, activities } = fakeRunbook(policy);
  prepare?.(state);
  const id = `runbook-${input.runbook.name}-${Math.random().toString(16).slice(2, 10)}`;
  const taskQueue = `tq-${id}`;
  const worker = await createTestWorker(env, taskQueue, activities);
  try {
    return await worker.runUntil(async () => fn(await env.client.workflow.start('declarativeRunbookWorkflow', { taskQueue, workflowId: id, args: [input] }), state));
  } finally {
    await terminateLeftovers(env, id);
    await healTimeSkipping(env);
  }
}

async function waitFor(h: WorkflowHandle, pred: (s: RunbookStatus) => boolean): Promise<RunbookStatus> {
  const until = Date.now() + 15_000;
  for (;;) {
    const st = await h.query(runbookStatusQuery);
    if (pred(st)) return st;
    if (Date.now() > until) throw new Error(`status never matched: current ${JSON.stringify(st.current)}; steps ${JSON.stringify(st.steps.map((s) => [s.id, s.outcome]))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const onStep = (h: WorkflowHandle, id: string) => waitFor(h, (s) => s.current?.id === id);
const confirm = (h: WorkflowHandle, by: string, step: string, note?: string) => h.executeUpdate(confirmUpdate, { args: [{ by, step, ...(note ? { note } : {}), via: 'cli' }] });
const approve = (h: WorkflowHandle, by: string, round: string) => h.executeUpdate(approveUpdate, { args: [{ approver: by, round, via: 'cli' }] });

/** The example's root-recovery runbook started by alice. */
function rootRecovery(policy = policyOf(EXAMPLE)): { input: RunbookInput; policy: Policy } {
  return { input: runbookInput(policy, 'root-recovery', 'alice', 'lost the root MFA device; recovery ticket SEC-42'), policy };
}

/** A one-off runbook input with these steps (in no policy: run it with `accept`). */
function custom(steps: RunbookStep[]): RunbookInput {
  const { input } = rootRecovery();
  return { ...input, runbook: { ...input.runbook, name: 'custom', steps } };
}
const base = { timeoutMs: 30 * MIN, onTimeout: 'fail' as const, escalateTo: ['carol'] };
const accept = (s: FakeRunbook): void => {
  s.verdict = () => ({ accepted: true, problems: [] });
};

test('root recovery end to end: two approvers, dual-control confirmations with notes, checks, a refused self-confirmation, evidence for every step', async () => {
  const { input, policy } = rootRecovery();
  const res = await run(input, policy, async (h, s) => {
    await onStep(h, 'approve');
    await expectRefused(approve(h, 'alice', 'approve'), 'SelfApproval');
    await approve(h, 'bob', 'approve');
    await approve(h, 'carol', 'approve');

    const cur = await onStep(h, 'mfa-retrieved');
    expect(cur.current).toMatchObject({ type: 'confirm', needed: 2, noteRequired: true, notRequester: true });
    expect(cur.view.confirm).toMatchObject({ step: 'mfa-retrieved', needed: 2, by: [] });
    // The person who started the run may not confirm; notes are required; a stale step confirms nothing.
    await expectRefused(confirm(h, 'alice', 'mfa-retrieved', 'I have it'), 'SelfConfirmation');
    await expectRefused(confirm(h, 'bob', 'mfa-retrieved'), 'NoteRequired');
    await expectRefused(confirm(h, 'bob', 'password-retrieved', 'too early'), 'StepNotOpen');
    await expectRefused(confirm(h, 'mallory', 'mfa-retrieved', 'hi'), 'NotAConfirmer');
    await expectRefused(confirm(h, 'bob', 'mfa-retrieved', 'key AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'), 'SecretInText');
    await expectRefused(confirm(h, 'bob', 'mfa-retrieved', 'bad \u001b[2J note'), 'MalformedRequest');
    await expectRefused(h.executeUpdate(confirmUpdate, { args: [{ __refused: 'unencrypted payload' } as never] }), 'MalformedRequest');
    const first = await confirm(h, 'bob', 'mfa-retrieved', 'took device #2 from safe B, seal 00417 intact');
    expect(first).toEqual({ step: 'mfa-retrieved', confirmations: 1, needed: 2, complete: false });
    await expectRefused(confirm(h, 'bob', 'mfa-retrieved', 'again'), 'AlreadyDecided');
    expect((await confirm(h, 'dave', 'mfa-retrieved', 'witnessed, seal number matches the log')).complete).toBe(true);

    await onStep(h, 'password-retrieved');
    await confirm(h, 'carol', 'password-retrieved', 'envelope 7 from the vault');
    await confirm(h, 'dave', 'password-retrieved', 'witnessed');
    // The wait for the root sign-in, then the 15-minute work window on the server's clock.
    await onStep(h, 'work');
    await env.sleep(16 * MIN);
    await onStep(h, 'password-rotated');
    expect(s.checks).toContain('root-console-login');
    await confirm(h, 'bob', 'password-rotated', 'rotated, new password in envelope 8');
    await confirm(h, 'carol', 'password-rotated', 'verified the vault log');
    await onStep(h, 'mfa-resealed');
    await confirm(h, 'bob', 'mfa-resealed', 'sealed with seal 00418');
    await confirm(h, 'dave', 'mfa-resealed', 'witnessed');
    return { res: (await h.result()) as RunbookResult, s };
  });
  const { res: result, s } = res;
  expect(result.outcome).toBe('completed');
  expect(result.evidenceWritten).toBe(true);
  expect(result.status.steps.map((x) => [x.id, x.outcome])).toEqual([
    ['approve', 'done'],
    ['mfa-retrieved', 'done'],
    ['password-retrieved', 'done'],
    ['root-signed-in', 'done'],
    ['work', 'done'],
    ['password-rotated', 'done'],
    ['mfa-resealed', 'done'],
    ['root-locked-down', 'done'],
    ['tell-security', 'done'],
  ]);
  // One evidence record per step as it ended, then the run's: who, when, notes, check results.
  const steps = s.evidence.filter((e) => e.kind === 'runbook-step');
  expect(steps).toHaveLength(9);
  expect(steps[1]!.record).toMatchObject({ id: 'mfa-retrieved', outcome: 'done', by: [{ by: 'bob', note: 'took device #2 from safe B, seal 00417 intact', via: 'cli' }, { by: 'dave' }] });
  expect(steps[0]!.record['by']).toEqual([expect.objectContaining({ by: 'bob' }), expect.objectContaining({ by: 'carol' })]);
  expect(steps[7]!.record).toMatchObject({ id: 'root-locked-down', check: { check: 'root-mfa-no-access-keys', passed: true } });
  const final = s.evidence.filter((e) => e.kind === 'runbook');
  expect(final).toHaveLength(1);
  expect(final[0]!.record).toMatchObject({ runbook: 'root-recovery', outcome: 'completed', requestedBy: 'alice', definition: { name: 'root-recovery' } });
  // The notify step told security as its own message; the card never offered alice a confirmation.
  expect(s.notifications.find((n) => n.event === 'runbook-notify')).toMatchObject({ channel: 'C00SECURITY', audience: ['carol'] });
  const asked = s.notifications.filter((n) => n.event === 'confirm-requested');
  expect(asked.length).toBe(4);
  for (const n of asked) expect(n.audience).not.toContain('alice');
});

test('a confirmation nobody gives in time is escalated (a page to escalateTo), then completed', async () => {
  const input = custom([{ ...base, id: 'hold', type: 'confirm', title: 'Hold the door', confirmers: ['bob', 'carol', 'dave'], count: 1, notRequester: true, noteRequired: false, onTimeout: 'escalate', escalateTo: ['carol'] }]);
  const { result, s } = await run(
    input,
    policyOf(EXAMPLE),
    async (h, s) => {
      await onStep(h, 'hold');
      await env.sleep(31 * MIN);
      const st = await waitFor(h, (x) => x.current?.escalated === true);
      expect(Date.parse(st.current!.deadlineAt!) - Date.parse(st.current!.startedAt)).toBe(60 * MIN);
      await confirm(h, 'dave', 'hold');
      return { result: (await h.result()) as RunbookResult, s };
    },
    accept,
  );
  expect(s.notifications).toContainEqual(expect.objectContaining({ event: 'escalated', severity: 'page', audience: ['carol'] }));
  expect(result.outcome).toBe('completed');
  expect(result.status.steps[0]).toMatchObject({ outcome: 'done', escalated: true });
  expect(s.evidence.find((e) => e.kind === 'runbook-step')!.record).toMatchObject({ escalated: true, by: [{ by: 'dave' }] });
});

test('an escalated step still unanswered after the second window fails the run and pages', async () => {
  const input = custom([{ ...base, id: 'hold', type: 'confirm', title: 'Hold the door', confirmers: ['bob'], count: 1, notRequester: true, noteRequired: false, onTimeout: 'escalate' }]);
  const { result, s } = await run(input, policyOf(EXAMPLE), async (h, s) => ({ result: (await h.result()) as RunbookResult, s }), accept);
  expect(result.outcome).toBe('timed-out');
  expect(result.status.steps[0]).toMatchObject({ outcome: 'timed-out', escalated: true });
  expect(s.notifications.map((n) => [n.event, n.severity])).toEqual(expect.arrayContaining([['escalated', 'page'], ['ended', 'page']]));
});

test('onTimeout continue: an until-wait that never passes is recorded as timed out and the run goes on', async () => {
  const input = custom([
    { ...base, id: 'login', type: 'wait', title: 'Root signs in', until: { name: 'root-console-login', since: 'step' }, everyMs: 5 * MIN, onTimeout: 'continue' },
    { ...base, id: 'final', type: 'check', title: 'Root locked down', check: { name: 'root-mfa-no-access-keys', since: 'step' } },
  ]);
  const { result, s } = await run(
    input,
    policyOf(EXAMPLE),
    async (h, s) => ({ result: (await h.result()) as RunbookResult, s }),
    (s) => {
      accept(s);
      s.answer = (name) => (name === 'root-console-login' ? notPassed(name) : passed(name));
    },
  );
  expect(result.outcome).toBe('completed');
  expect(result.status.steps.map((x) => x.outcome)).toEqual(['timed-out', 'done']);
  // Looked every 5 minutes for 30 minutes: bounded, not a tight loop.
  const looks = s.checks.filter((c) => c === 'root-console-login').length;
  expect(looks).toBeGreaterThanOrEqual(6);
  expect(looks).toBeLessThanOrEqual(8);
  expect(result.status.view.steps[0]).toMatchObject({ state: 'skipped' });
});

test('a check that does not pass fails the run: later steps skipped, security paged', async () => {
  const input = custom([
    { ...base, id: 'final', type: 'check', title: 'Root locked down', check: { name: 'root-mfa-no-access-keys', since: 'step' } },
    { ...base, id: 'tell', type: 'notify', title: 'Tell', message: 'done', people: ['carol'], onTimeout: 'continue' },
  ]);
  const { result, s } = await run(
    input,
    policyOf(EXAMPLE),
    async (h, s) => ({ result: (await h.result()) as RunbookResult, s }),
    (s) => {
      accept(s);
      s.answer = (name) => notPassed(name);
    },
  );
  expect(result.outcome).toBe('failed');
  expect(result.status.steps).toHaveLength(1);
  expect(result.status.steps[0]).toMatchObject({ outcome: 'failed', check: { passed: false } });
  expect(result.status.view.steps.map((x) => x.state)).toEqual(['failed', 'skipped']);
  expect(s.notifications.find((n) => n.event === 'ended')).toMatchObject({ severity: 'page' });
  expect(s.notifications.some((n) => n.event === 'runbook-notify')).toBe(false);
});

test('a notify step that cannot deliver continues by default', async () => {
  const input = custom([{ ...base, id: 'tell', type: 'notify', title: 'Tell', message: 'hello', people: ['carol'], timeoutMs: MIN, onTimeout: 'continue' }]);
  const { result } = await run(
    input,
    policyOf(EXAMPLE),
    async (h) => ({ result: (await h.result()) as RunbookResult }),
    (s) => {
      accept(s);
      s.notifyFails = true;
    },
  );
  expect(result.outcome).toBe('completed');
  expect(result.status.steps[0]).toMatchObject({ outcome: 'timed-out' });
});

test('a denied approval ends the run as denied; nothing after it runs', async () => {
  const { input, policy } = rootRecovery();
  const { result, s } = await run(input, policy, async (h, s) => {
    await onStep(h, 'approve');
    await h.executeUpdate(denyUpdate, { args: [{ approver: 'carol', round: 'approve', reason: 'no incident open for this' }] });
    return { result: (await h.result()) as RunbookResult, s };
  });
  expect(result.outcome).toBe('denied');
  expect(result.status.steps).toEqual([expect.objectContaining({ id: 'approve', outcome: 'failed', detail: expect.stringContaining('denied by carol') })]);
  expect(s.checks).toEqual([]);
});

test('a policy edit mid-run changes nothing in flight; a run started from the old input afterwards is refused', async () => {
  const { input, policy } = rootRecovery();
  // The edit: one confirmation instead of two for the MFA device.
  const edited = policyOf(EXAMPLE.replace(/count: 2\s+# two distinct people: dual control/, 'count: 1'));
  expect(edited.runbooks.procedures[0]!.steps[1]).toMatchObject({ count: 1 });
  const res = await run(input, policy, async (h, s) => {
    await onStep(h, 'approve');
    s.policy = edited;
    await approve(h, 'bob', 'approve');
    await approve(h, 'carol', 'approve');
    await onStep(h, 'mfa-retrieved');
    const one = await confirm(h, 'bob', 'mfa-retrieved', 'device in hand');
    // Still two needed: the run's steps were frozen when it started.
    expect(one).toMatchObject({ confirmations: 1, needed: 2, complete: false });
    const st = await h.query(runbookStatusQuery);
    expect(st.current).toMatchObject({ id: 'mfa-retrieved', needed: 2 });
    await h.cancel();
    const r = (await h.result()) as RunbookResult;
    // Stopped half-way, after its approval: security is paged.
    expect(s.notifications.find((n) => n.event === 'ended')).toMatchObject({ severity: 'page', detail: expect.stringMatching(/cancelled during step "MFA device retrieved from the safe"/) });
    return r;
  });
  expect(res.outcome).toBe('cancelled');
  const again = await run(input, edited, async (h) => (await h.result()) as RunbookResult);
  expect(again.outcome).toBe('rejected-invalid');
  expect(again.status.timeline.map((e) => e.event)).not.toContain('approve:running');
});

test('a forged start input is refused before any step: rejected-invalid, paged, with evidence', async () => {
  const { input, policy } = rootRecovery();
  const forged = { ...input, runbook: { ...input.runbook, steps: input.runbook.steps.filter((s) => s.type !== 'approval') } };
  const r1 = await run(forged, policy, async (h, s) => ({ res: (await h.result()) as RunbookResult, s }));
  expect(r1.res.outcome).toBe('rejected-invalid');
  expect(r1.res.status.steps).toEqual([]);
  expect(r1.s.checks).toEqual([]);
  expect(r1.s.notifications.find((n) => n.event === 'ended')).toMatchObject({ severity: 'page', detail: expect.stringContaining("does not match the policy") });

  const garbled = { ...input, runbook: { ...input.runbook, steps: [{ id: 'x', type: 'shell', title: 'rm -rf /' }] } } as never;
  const r2 = await run(garbled, policy, async (h, s) => ({ res: (await h.result()) as RunbookResult, s }));
  expect(r2.res.outcome).toBe('rejected-invalid');
  expect(r2.s.evidence).toEqual([expect.objectContaining({ kind: 'runbook', record: expect.objectContaining({ outcome: 'rejected-invalid', problems: expect.arrayContaining([expect.stringMatching(/steps\[0\]\.type is not a step type/)]) }) })]);
});
