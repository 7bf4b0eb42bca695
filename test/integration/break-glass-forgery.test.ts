// Attacks on the request itself (issue #7 §1, §2, §4): decisions that land on a round the person did
// not name, starts and decisions forged with only network access to Temporal (the Temporal CLI, no
// codec key), a forged start with the codec key, and secrets typed into a reason.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { promisify } from 'node:util';
import type { ApiRequestError } from '../../cli/api-client';
import { SafeguardApiClient } from '../../cli/api-client';
import { approve, deny, extend, requestAccess, status } from '../../cli/commands/breakglass';
import { callerCredentials } from '../../cli/identity';
import { SafeguardError } from '../../client/errors';
import { buildBreakGlassInput } from '../../client/request';
import { EvidenceStore } from '../../evidence/store';
import { sandboxControl } from '../../sandbox';
import { grantSessionName, statusQuery } from '../../workflows/break-glass/definitions';
import type { BreakGlassInput, BreakGlassResult } from '../../workflows/break-glass/definitions';
import { REASON, callLogMark, sleep, useStackSession, waitForPhase, workerLogFiles } from '../support/it-helpers';
import { temporalCli } from '../support/paths';

const run = promisify(execFile);
const stack = useStackSession();

/** The Temporal CLI against the stack's server: what someone with network access alone can do. */
async function temporal(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(temporalCli, [...args, '--address', stack.info.temporalAddress, '--namespace', stack.info.namespace], { timeout: 60_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const hexId = (role = 'BreakGlassAdmin'): string => `breakglass-${role}-${randomBytes(4).toString('hex')}`;

async function pagesIn(text: RegExp): Promise<boolean> {
  return workerLogFiles(stack.info).some((f) => fs.readFileSync(f, 'utf8').split('\n').some((l) => l.includes('PAGE security') && text.test(l)));
}

describe('a decision goes to the round it names', () => {
  it('post-hoc grant with an extension pending: `deny` rejects the grant itself, revokes it and pages security', async () => {
    const { workflowId: id } = await requestAccess(stack.ctx, stack.who.alice, { role: 'PostHocAdmin', duration: '5m', reason: REASON, ticket: 'INC-701' });
    await waitForPhase(stack.ctx, id, 'active');
    const ext = await extend(stack.ctx, stack.who.alice, id, '10m');
    expect(ext.round).toBe('extension-1');
    const d = await deny(stack.ctx, stack.who.bob, id, 'no incident on record');
    expect(d).toMatchObject({ round: 'ratification', roundState: 'denied' });
    const res = await stack.ctx.breakGlass.result(id);
    expect(res.status.outcome).toBe('revoked');
    expect(res.status.endReason).toBe('ratification-rejected');
    expect(res.status.revocation?.verified).toBe(true);
    expect(res.status.timeline.some((e) => e.event === 'security-paged' && e.detail?.startsWith('ratification-rejected'))).toBe(true);
    for (let i = 0; i < 50 && !(await pagesIn(new RegExp(`ratification-rejected on ${id}`))); i++) await sleep(200);
    expect(await pagesIn(new RegExp(`ratification-rejected on ${id}`))).toBe(true);
  });

  it('post-hoc grant with an extension pending: `approve` ratifies, the extension stays pending; `--extension` decides it', async () => {
    const { workflowId: id } = await requestAccess(stack.ctx, stack.who.alice, { role: 'PostHocAdmin', duration: '5m', reason: REASON, ticket: 'INC-702' });
    await waitForPhase(stack.ctx, id, 'active');
    await extend(stack.ctx, stack.who.alice, id, '10m');
    expect(await approve(stack.ctx, stack.who.bob, id)).toMatchObject({ round: 'ratification', roundState: 'approved' });
    let st = await status(stack.ctx, id);
    expect(st.rounds?.map((r) => [r.id, r.state])).toEqual([['ratification', 'approved'], ['extension-1', 'open']]);
    expect(await approve(stack.ctx, stack.who.carol, id, { extension: true })).toMatchObject({ round: 'extension-1', roundState: 'approved' });
    // A second, identical click is reported as a duplicate, not an error.
    expect(await approve(stack.ctx, stack.who.carol, id, { extension: true })).toMatchObject({ duplicate: true, round: 'extension-1' });
    st = await status(stack.ctx, id);
    expect(st.phase).toBe('active');
    await stack.ctx.breakGlass.revoke(id, 'alice', 'test over');
    await waitForPhase(stack.ctx, id, 'ended');
  });

  it('the api refuses a decision naming a malformed round, and the CLI one naming a made-up round', async () => {
    const { workflowId: id } = await requestAccess(stack.ctx, stack.who.alice, { role: 'BreakGlassAdmin', duration: '30s', reason: REASON });
    const api = new SafeguardApiClient(stack.ctx.api!, () => callerCredentials(stack.ctx, 'bob'));
    for (const round of ['everything', 'extension-', 'grant; drop', 'x'.repeat(500)]) {
      const err = (await api.approve(id, { round }).catch((e: unknown) => e)) as ApiRequestError;
      expect(err.status).toBe(400);
      expect(err.apiCode).toBe('BAD_REQUEST');
    }
    const made = (await api.approve(id, { round: 'extension-7' }).catch((e: unknown) => e)) as ApiRequestError;
    expect(made.refusal).toBe('UnknownRound');
    expect((await status(stack.ctx, id)).approval?.approvals).toEqual([]);
    await stack.ctx.breakGlass.revoke(id, 'alice', 'test over');
    await waitForPhase(stack.ctx, id, 'ended');
  });

  it('a step-up role refuses a decision that comes from a Slack click', async () => {
    const { workflowId: id } = await requestAccess(stack.ctx, stack.who.dave, { role: 'PostHocAdmin', duration: '5m', reason: REASON, ticket: 'INC-703' });
    await waitForPhase(stack.ctx, id, 'active');
    const err = await stack.ctx.breakGlass.approve(id, 'bob', { round: 'ratification', via: 'slack' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SafeguardError);
    expect((err as SafeguardError).refusal).toBe('StepUpRequired');
    expect((err as SafeguardError).message).toContain('safeguard breakglass approve');
    expect((await status(stack.ctx, id)).approval?.approvals).toEqual([]);
    await stack.ctx.breakGlass.revoke(id, 'dave', 'test over');
    await waitForPhase(stack.ctx, id, 'ended');
  });
});

describe('nobody forges a start or a decision through Temporal', () => {
  it('an approval sent with the Temporal CLI (no codec key) is refused and changes nothing', async () => {
    const { workflowId: id } = await requestAccess(stack.ctx, stack.who.alice, { role: 'BreakGlassAdmin', duration: '30s', reason: REASON });
    await waitForPhase(stack.ctx, id, 'pending');
    const forged = await temporal(['workflow', 'update', 'execute', '--workflow-id', id, '--name', 'approve', '--input', JSON.stringify({ approver: 'bob', round: 'grant' })]);
    expect(forged.code).not.toBe(0);
    expect(forged.out).toMatch(/MalformedRequest|malformed/);
    const st = await status(stack.ctx, id);
    expect(st.phase).toBe('pending');
    expect(st.approval?.approvals).toEqual([]);
    // The real decision still works, and the request was never wedged.
    expect(await approve(stack.ctx, stack.who.bob, id)).toMatchObject({ roundState: 'approved' });
    await waitForPhase(stack.ctx, id, 'active');
    await stack.ctx.breakGlass.revoke(id, 'alice', 'test over');
    await waitForPhase(stack.ctx, id, 'ended');
  });

  it('a 20-day, zero-approver start made with the Temporal CLI grants nothing, is listed, pages security and leaves evidence', async () => {
    const id = hexId();
    const since = await callLogMark(stack.info);
    const good = buildBreakGlassInput(stack.ctx.policy, { requester: 'alice', role: 'BreakGlassAdmin', duration: '30m', reason: REASON, via: 'cli' });
    const forgedInput: BreakGlassInput = { ...good, grantId: id, durationMs: 20 * 24 * 3600_000, role: { ...good.role, approvers: [], security: [], quorum: 1, maxDurationMs: 30 * 24 * 3600_000 } };
    const started = await temporal(['workflow', 'start', '--type', 'breakGlassWorkflow', '--task-queue', stack.info.taskQueue, '--workflow-id', id, '--input', JSON.stringify(forgedInput)]);
    expect(started.code).toBe(0);
    const res = (await stack.ctx.temporal.workflow.getHandle(id).result()) as BreakGlassResult;
    expect(res.status.outcome).toBe('rejected-invalid');
    expect(res.status.phase).toBe('ended');
    // Listed like every other run, with its outcome.
    let listed;
    for (let i = 0; i < 50 && !listed; i++) {
      listed = (await stack.ctx.breakGlass.list()).find((r) => r.workflowId === id && r.outcome);
      if (!listed) await sleep(200);
    }
    expect(listed).toMatchObject({ outcome: 'rejected-invalid' });
    // Nothing was assumed for it.
    const calls = await sandboxControl(stack.info.awsEndpoint).calls({ since, service: 'sts', action: 'AssumeRole' });
    expect(calls.filter((c) => c.params['RoleSessionName'] === grantSessionName(id))).toEqual([]);
    // The api refuses to vend for it.
    const api = new SafeguardApiClient(stack.ctx.api!, () => callerCredentials(stack.ctx, 'alice'));
    expect(((await api.credentials(id).catch((e: unknown) => e)) as ApiRequestError).status).toBe(410);
    for (let i = 0; i < 50 && !(await pagesIn(new RegExp(`rejected-invalid on ${id}`))); i++) await sleep(200);
    expect(await pagesIn(new RegExp(`rejected-invalid on ${id}`))).toBe(true);
    const evidence = (await new EvidenceStore(stack.info.evidenceDir).list()).find((e) => e.record['workflowId'] === id);
    expect(evidence?.record).toMatchObject({ outcome: 'rejected-invalid' });
  });

  it('a forged start that does hold the codec key is checked against the worker policy and rejected', async () => {
    const good = buildBreakGlassInput(stack.ctx.policy, { requester: 'alice', role: 'BreakGlassAdmin', duration: '30m', reason: REASON, via: 'cli' });
    const forged: BreakGlassInput = { ...good, durationMs: 20 * 24 * 3600_000, role: { ...good.role, approvers: ['dave'], quorum: 1, maxDurationMs: 30 * 24 * 3600_000 } };
    const handle = await stack.ctx.temporal.workflow.start('breakGlassWorkflow', { taskQueue: stack.info.taskQueue, workflowId: forged.grantId, args: [forged] });
    const res = (await handle.result()) as BreakGlassResult;
    expect(res.status.outcome).toBe('rejected-invalid');
    expect(res.status.grantedAt).toBeUndefined();
    const detail = res.status.timeline.find((e) => e.event === 'rejected-invalid')?.detail ?? '';
    expect(detail).toContain('approvers not in the policy: dave');
    expect(detail).toContain('maxDuration is longer than the policy allows');
    expect((await handle.query(statusQuery)).outcome).toBe('rejected-invalid');
  });
});

describe('a secret typed into a request is refused at intake', () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

  it('by the CLI, starting nothing', async () => {
    const before = (await stack.ctx.breakGlass.list()).length;
    const err = await requestAccess(stack.ctx, stack.who.alice, { role: 'BreakGlassAdmin', duration: '30s', reason: `restart orders db, key is ${secret}` }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SECRET_IN_TEXT' });
    expect((err as Error).message).not.toContain(secret);
    await sleep(500);
    expect((await stack.ctx.breakGlass.list()).length).toBe(before);
  });

  it('by the api, with a clear error', async () => {
    const api = new SafeguardApiClient(stack.ctx.api!, () => callerCredentials(stack.ctx, 'alice'));
    const err = (await api.request({ role: 'BreakGlassAdmin', duration: '30s', reason: `db down, session FwoGZXIvYXdzEFAKESESSIONTOKENxyzxyzxyz0123456789` }).catch((e: unknown) => e)) as ApiRequestError;
    expect(err.status).toBe(400);
    expect(err.apiCode).toBe('SECRET_IN_TEXT');
  });
});
