// Post-hoc mode (grant first, ratify within a deadline), revocation that has to be retried, and
// what a finished request leaves behind: evidence, no secrets in history, a small history.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { approveUpdate, credentialsIssuedSignal, denyUpdate, statusQuery } from '../../workflows/break-glass/definitions';
import { breakGlassInput } from '../support/break-glass-input';
import { formatFindings, scanForSecrets } from '../support/secret-scan';
import { startTimeSkipping } from '../support/time-skipping';
import { MIN, activityCalls, expectRefused, notificationEvents, resultOf, runBreakGlass, timelineEvents, waitForStatus } from './harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

/** The history as JSON, payload bytes as base64 (how they travel and how tools export them). */
function historyText(history: unknown): string {
  return JSON.stringify(history, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
}

const postHoc = { mode: 'post-hoc' as const, ratificationDeadlineMs: 10 * MIN };

test('post-hoc: granted without approval, ratified before the deadline, stays active until expiry', async () => {
  const input = breakGlassInput({ durationMs: 30 * MIN, role: postHoc });
  const result = await runBreakGlass(env, input, async ({ handle, state }) => {
    const st = await waitForStatus(handle, (s) => s.approval?.kind === 'ratification');
    expect(st.phase).toBe('active');
    expect(st.approval?.state).toBe('open');
    expect(Date.parse(st.approval?.deadlineAt ?? '') - Date.parse(st.grantedAt ?? '')).toBe(10 * MIN);
    expect(activityCalls(state, 'verifyGrant')).toBe(1);
    expect(notificationEvents(state)).toContain('ratification-needed');
    await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice', round: 'ratification' }] }), 'SelfApproval');
    const r = await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'ratification' }] });
    expect(r).toMatchObject({ decided: true, phase: 'active' });
    await waitForStatus(handle, (s) => timelineEvents(s).includes('ratified'));
    return resultOf(handle);
  });
  expect(result.status.mode).toBe('post-hoc');
  expect(result.status.outcome).toBe('revoked');
  expect(result.status.endReason).toBe('expired');
  expect(result.status.approval).toMatchObject({ kind: 'ratification', state: 'approved' });
  expect(Date.parse(result.status.actualEndAt ?? '') - Date.parse(result.status.grantedAt ?? '')).toBeGreaterThanOrEqual(30 * MIN);
});

test('post-hoc: a rejected ratification revokes at once and pages security', async () => {
  const input = breakGlassInput({ role: { ...postHoc, security: ['sam'] } });
  const result = await runBreakGlass(env, input, async ({ handle, state }) => {
    await waitForStatus(handle, (s) => s.approval?.kind === 'ratification');
    await expectRefused(handle.executeUpdate(denyUpdate, { args: [{ approver: 'bob', round: 'ratification', reason: '' }] }), 'ReasonRequired');
    await handle.executeUpdate(denyUpdate, { args: [{ approver: 'bob', round: 'ratification', reason: 'no incident open for this' }] });
    const res = await resultOf(handle);
    const page = state.notifications.find((n) => n.severity === 'page');
    expect(page).toMatchObject({ event: 'ratification-rejected', audience: ['sam'] });
    return res;
  });
  expect(result.status.outcome).toBe('revoked');
  expect(result.status.endReason).toBe('ratification-rejected');
  expect(result.status.revocation?.verified).toBe(true);
  expect(Date.parse(result.status.actualEndAt ?? '')).toBeLessThan(Date.parse(result.status.plannedEndAt ?? ''));
});

test('post-hoc: no ratification by the deadline revokes and pages security', async () => {
  const input = breakGlassInput({ durationMs: 60 * MIN, role: { ...postHoc, security: ['sam'] } });
  const result = await runBreakGlass(env, input, async ({ handle, state }) => {
    const res = await resultOf(handle);
    expect(state.notifications.find((n) => n.severity === 'page')).toMatchObject({ event: 'ratification-timeout', audience: ['sam'] });
    // The page is on the timeline, and so in the evidence record.
    const recorded = (state.evidence[0]?.record as { timeline?: Array<{ event: string; detail?: string }> } | undefined)?.timeline ?? [];
    expect(recorded.find((e) => e.event === 'security-paged')?.detail).toMatch(/^ratification-timeout: post-hoc grant not ratified before the deadline/);
    return res;
  });
  expect(result.status.endReason).toBe('ratification-timeout');
  expect(result.status.timeline.find((e) => e.event === 'security-paged')?.detail).toMatch(/^ratification-timeout: /);
  expect(result.status.approval?.state).toBe('expired');
  expect(result.status.revocation?.verified).toBe(true);
  const lived = Date.parse(result.status.actualEndAt ?? '') - Date.parse(result.status.grantedAt ?? '');
  expect(lived).toBeGreaterThanOrEqual(10 * MIN);
  expect(lived).toBeLessThan(60 * MIN);
});

test('revocation is retried through activity failures until verified, and security is paged', async () => {
  const input = breakGlassInput({ role: { security: ['sam'] } });
  const result = await runBreakGlass(
    env,
    input,
    async ({ handle, state }) => {
      await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
      const res = await resultOf(handle);
      expect(state.failures.get('submitRevocationCutoff')).toBe(0);
      expect(state.failures.get('verifyRevocation')).toBe(0);
      expect(state.notifications.filter((n) => n.event === 'revocation-not-verified')).toHaveLength(1);
      expect(state.notifications.find((n) => n.event === 'revocation-not-verified')).toMatchObject({ severity: 'page', audience: ['sam'] });
      expect(state.evidence).toHaveLength(1);
      return res;
    },
    // 6 tries per activity call: two whole workflow attempts fail on submitRevocationCutoff, the third on
    // verifyRevocation, the fourth succeeds.
    (state) => {
      state.failures.set('submitRevocationCutoff', 12);
      state.failures.set('verifyRevocation', 8);
    },
  );
  expect(result.status.outcome).toBe('revoked');
  expect(result.status.revocation?.verified).toBe(true);
  expect(result.status.revocation?.attempts).toBeGreaterThan(1);
  expect(result.status.revocation?.attempts).toBe(4);
  expect(timelineEvents(result.status).filter((e) => e === 'revocation-attempt-failed')).toHaveLength(3);
});

test('a normal lifecycle leaves complete evidence, no secret in history, and a small history', async () => {
  const input = breakGlassInput({ ticket: 'INC-4242' });
  // What the vending api would hold: the secret goes to the caller, only the key id to the workflow.
  const vended = { accessKeyId: 'ASIAFAKEKEYID0000001', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKESECRET1', sessionToken: 'FwoGZXIvYXdzEFAKESESSIONTOKENxyzxyzxyz0123456789' };
  const { result, historyJson, events, bytes } = await runBreakGlass(env, input, async ({ handle, state }) => {
    await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant', comment: 'go' }] });
    await waitForStatus(handle, (s) => s.phase === 'active');
    state.sessions.set('alice-0123abcd', 'Active');
    await handle.signal(credentialsIssuedSignal, { accessKeyId: vended.accessKeyId, expiresAt: new Date(Date.now() + 15 * MIN).toISOString(), issuedAt: new Date().toISOString() });
    await waitForStatus(handle, (s) => s.credentials.length === 1);
    const res = await resultOf(handle);
    expect(state.evidence).toHaveLength(1);
    const history = await handle.fetchHistory();
    return { result: res, historyJson: historyText(history), events: history.events ?? [], bytes: temporal.api.history.v1.History.encode(history).finish().length };
  });

  // Evidence: timeline, approvers, planned vs actual end, revocation receipt.
  expect(result.status.outcome).toBe('revoked');
  const status = result.status;
  expect(timelineEvents(status)).toEqual(expect.arrayContaining(['requested', 'grant-approved', 'granting', 'granted', 'credentials-issued', 'revoking', 'revocation-verified']));
  expect(status.approval?.approvals.map((a) => a.by)).toEqual(['bob']);
  expect(status.plannedEndAt).toBeDefined();
  expect(status.actualEndAt).toBeDefined();
  expect(Date.parse(status.actualEndAt ?? '')).toBeGreaterThanOrEqual(Date.parse(status.plannedEndAt ?? ''));
  expect(status.revocation).toMatchObject({ verified: true, sessionsTerminated: ['alice-0123abcd'], deniedSourceIdentity: 'alice' });
  expect(status.credentials).toEqual([expect.objectContaining({ accessKeyId: vended.accessKeyId })]);
  expect(result.revocationLagMs).toBeGreaterThanOrEqual(0);

  // No secret: neither the vended ones nor anything shaped like one. (Positive control: the same
  // scan does find a value that is in the history.)
  const findings = scanForSecrets(historyJson, { known: [vended.secretAccessKey, vended.sessionToken] });
  if (findings.length > 0) throw new Error(`secrets in history:\n${formatFindings(findings)}`);
  expect(historyJson).not.toContain(vended.secretAccessKey);
  expect(scanForSecrets(historyJson, { known: [input.reason] }).length).toBeGreaterThan(0);

  // A normal lifecycle stays far from Temporal's history limits.
  expect(events.length).toBeGreaterThan(10);
  expect(events.length).toBeLessThanOrEqual(150);
  expect(bytes).toBeLessThanOrEqual(64 * 1024);
});

test('the evidence record is what the status Query reported at the end', async () => {
  const input = breakGlassInput();
  await runBreakGlass(env, input, async ({ handle, state }) => {
    await handle.executeUpdate(approveUpdate, { args: [{ approver: 'erin', round: 'grant' }] });
    const res = await resultOf(handle);
    const record = state.evidence[0]?.record as Record<string, unknown>;
    expect(state.evidence[0]?.kind).toBe('break-glass');
    expect(state.evidence[0]?.id).toBe(`${input.grantId}/${(await handle.describe()).runId}`);
    expect(record).toMatchObject({
      workflowId: input.grantId,
      grantId: input.grantId,
      requester: 'alice',
      outcome: 'revoked',
      endReason: 'expired',
      plannedEndAt: res.status.plannedEndAt,
      revocation: res.status.revocation,
      revocationLagMs: res.revocationLagMs,
    });
    expect((record.approval as { approvals: Array<{ by: string }> }).approvals.map((a) => a.by)).toEqual(['erin']);
    expect((record.timeline as unknown[]).length).toBe(res.status.timeline.length);
    expect((await handle.query(statusQuery)).phase).toBe('ended');
  });
});
