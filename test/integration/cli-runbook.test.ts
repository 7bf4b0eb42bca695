// `safeguard runbook …` against the integration stack (its worker runs the real declarative runbook
// workflow): what list, status and confirm print, confirmations through the api (the stack's default)
// and straight to Temporal (a stack file without the api), the workflow's refusals as the CLI shows
// them, and bad input refused before anything starts. The run is cancelled at the end so no recovery
// stays open for the root-login watcher's tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunbookClient } from '../../client/runbook-client';
import type { RunbookStatus } from '../../workflows/runbook/definitions';
import { runSafeguard } from '../support/run-cli';
import { sleep, useStackSession } from '../support/it-helpers';

const stack = useStackSession();
const REASON = 'root MFA device lost; CLI test under ticket SEC-77';
const savedStackFile = process.env.SAFEGUARD_STACK_FILE;
let runbooks: RunbookClient;
let tmp: string;
let id: string | undefined;

beforeAll(() => {
  runbooks = new RunbookClient(stack.ctx.temporal, stack.info.taskQueue);
  process.env.SAFEGUARD_STACK_FILE = process.env.SAFEGUARD_TEST_STACK_FILE;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-cli-runbook-'));
});
afterAll(async () => {
  if (id) {
    await stack.ctx.temporal.workflow.getHandle(id).cancel().catch(() => undefined);
    await runbooks.result(id).catch(() => undefined);
  }
  if (savedStackFile === undefined) delete process.env.SAFEGUARD_STACK_FILE;
  else process.env.SAFEGUARD_STACK_FILE = savedStackFile;
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function onStep(step: string, timeoutMs = 60_000): Promise<RunbookStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await runbooks.status(id!);
    if (st.current?.id === step) return st;
    if (Date.now() > deadline) throw new Error(`${id} never got to step ${step}: on ${JSON.stringify(st.current)}`);
    await sleep(250);
  }
}

async function runbookRunIds(): Promise<string[]> {
  return (await runbooks.list({ runbook: 'root-recovery' })).map((r) => r.workflowId).sort();
}

/** The CLI with a copy of the stack file that names no api: people's actions go straight to Temporal. */
async function withoutApi<T>(fn: () => Promise<T>): Promise<T> {
  const file = path.join(tmp, 'stack-no-api.json');
  const { apiUrl: _apiUrl, apiServerId: _serverId, ...rest } = JSON.parse(fs.readFileSync(process.env.SAFEGUARD_TEST_STACK_FILE!, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(file, JSON.stringify(rest));
  process.env.SAFEGUARD_STACK_FILE = file;
  try {
    return await fn();
  } finally {
    process.env.SAFEGUARD_STACK_FILE = process.env.SAFEGUARD_TEST_STACK_FILE;
  }
}

it("lists the policy's runbooks", async () => {
  const r = await runSafeguard('runbook', 'list', '--runbook', 'root-recovery');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^runbooks in the policy:\n {2}root-recovery {2}Root account recovery {2}9 steps \(approval → confirm → confirm → wait → wait → confirm → confirm → check → notify\) {2}started by groups oncall\nrecent runs:\n/);
});

it('refuses an unknown runbook, naming the ones there are, and a short reason, starting nothing', async () => {
  const before = await runbookRunIds();
  const unknown = await runSafeguard('runbook', 'start', 'root-recover', '--reason', REASON, '--as', 'alice');
  expect(unknown.stderr).toMatch(/"root-recover" is not a runbook in the policy \(runbooks: root-recovery\)/);
  expect(unknown.code).toBe(1);
  const short = await runSafeguard('runbook', 'start', 'root-recovery', '--reason', 'lost it', '--as', 'alice');
  expect(short.stderr).toMatch(/reason of at least 10 characters/);
  expect(short.code).toBe(1);
  const bob = await runSafeguard('runbook', 'start', 'root-recovery', '--reason', REASON, '--as', 'bob');
  expect(bob.stderr).toMatch(/bob may not start root-recovery/);
  expect(bob.code).toBe(1);
  await sleep(1000);
  expect(await runbookRunIds()).toEqual(before);
});

it('starts a run, shows it step by step, and takes confirmations through the api and straight to Temporal', async () => {
  const started = await runSafeguard('runbook', 'start', 'root-recovery', '--reason', REASON, '--as', 'alice');
  expect(started.stderr).toBe('');
  expect(started.code).toBe(0);
  id = /^started (runbook-root-recovery-[0-9a-f]+) \(root-recovery\)\n {2}follow it: safeguard runbook status \1\n$/.exec(started.stdout)?.[1];
  expect(id).toBeDefined();

  await onStep('approve');
  const approving = await runSafeguard('runbook', 'status', id!);
  expect(approving.code).toBe(0);
  expect(approving.stdout).toContain(`${id}: Root account recovery (root-recovery)`);
  expect(approving.stdout).toContain(`  started by alice in account 123456789012: "${REASON}"`);
  expect(approving.stdout).toContain('  now: step 1 approve (approval) — Two approvers agree root access is needed');
  expect(approving.stdout).toContain(`— safeguard approve ${id} --round approve`);
  // Nothing to confirm yet.
  const early = await runSafeguard('runbook', 'confirm', id!, '--step', 'mfa-retrieved', '--note', 'too early', '--as', 'bob');
  expect(early.code).toBe(1);
  expect(early.stderr).toMatch(/step "mfa-retrieved" is not waiting for confirmation \(the run is on step approve, a approval step\) \[StepNotOpen\]/);
  // A runbook's approvals name their step: one meant for this step must not land on a later one.
  const unnamed = await runSafeguard('approve', id!, '--as', 'bob');
  expect(unnamed.code).toBe(1);
  expect(unnamed.stderr).toMatch(/is a runbook run: name the approval step you decide \(--round <step id>/);

  expect((await runSafeguard('approve', id!, '--round', 'approve', '--as', 'bob')).code).toBe(0);
  expect((await runSafeguard('approve', id!, '--round', 'approve', '--as', 'carol')).code).toBe(0);
  await onStep('mfa-retrieved');

  const self = await runSafeguard('runbook', 'confirm', id!, '--step', 'mfa-retrieved', '--note', 'I have the device', '--as', 'alice');
  expect(self.code).toBe(1);
  expect(self.stderr).toMatch(/must be confirmed by someone else \[SelfConfirmation\]/);
  const noNote = await runSafeguard('runbook', 'confirm', id!, '--step', 'mfa-retrieved', '--as', 'bob');
  expect(noNote.code).toBe(1);
  expect(noNote.stderr).toMatch(/needs a note .*\[NoteRequired\]/);
  const wrongStep = await runSafeguard('runbook', 'confirm', id!, '--step', 'password-retrieved', '--note', 'vault opened', '--as', 'bob');
  expect(wrongStep.code).toBe(1);
  expect(wrongStep.stderr).toMatch(/step "password-retrieved" is not waiting for confirmation.*\[StepNotOpen\]/);

  // Through the api (the stack's default).
  const first = await runSafeguard('runbook', 'confirm', id!, '--step', 'mfa-retrieved', '--note', 'taken from safe B, seal 0042', '--as', 'bob');
  expect(first.stderr).toBe('');
  expect(first.stdout).toBe(`confirmed step mfa-retrieved on ${id} (1 of 2)\n`);
  const again = await runSafeguard('runbook', 'confirm', id!, '--step', 'mfa-retrieved', '--note', 'again', '--as', 'bob');
  expect(again.code).toBe(0);
  expect(again.stdout).toBe(`you had already confirmed step mfa-retrieved on ${id} (1 of 2): nothing changed\n`);

  const waiting = await runSafeguard('runbook', 'status', id!, '--json');
  const st = JSON.parse(waiting.stdout) as RunbookStatus;
  expect(st.current).toMatchObject({ id: 'mfa-retrieved', type: 'confirm', needed: 2, noteRequired: true, notRequester: true, confirmations: [{ by: 'bob', note: 'taken from safe B, seal 0042', via: 'api' }] });
  const text = await runSafeguard('runbook', 'status', id!);
  expect(text.stdout).toContain('    confirmations: 1 of 2\n');
  expect(text.stdout).toMatch(/ {6}bob at \S+ via api: "taken from safe B, seal 0042"\n/);
  expect(text.stdout).toContain(`    confirm: safeguard runbook confirm ${id} --step mfa-retrieved --note <what was done>`);
  expect(text.stdout).toMatch(/ {2}1\. approve \(approval\): done — /);
  expect(text.stdout).toMatch(/ {5}approved by bob at \S+/);

  // Straight to Temporal, as an administrator's CLI with no api configured does.
  const second = await withoutApi(() => runSafeguard('runbook', 'confirm', id!, '--step', 'mfa-retrieved', '--note', 'witnessed the seal', '--as', 'dave'));
  expect(second.stderr).toBe('');
  expect(second.stdout).toBe(`confirmed step mfa-retrieved on ${id} (2 of 2)\nstep mfa-retrieved complete\n`);

  await onStep('password-retrieved');
  const after = await runSafeguard('runbook', 'status', id!);
  expect(after.stdout).toMatch(/ {2}2\. mfa-retrieved \(confirm\): done — .*\n {5}confirmed by bob at \S+ via api: "taken from safe B, seal 0042"\n {5}confirmed by dave at \S+ via cli: "witnessed the seal"/);
  expect(after.stdout).toContain('  now: step 3 password-retrieved (confirm)');

  const listed = await runSafeguard('runbook', 'list');
  expect(listed.stdout).toMatch(new RegExp(`\\n {2}${id} {2}runbook {2}root-recovery {2}RUNNING`));
});
