// An active grant: extensions (a new approval round), early revoke by each kind of person,
// cancellation, and SSM sessions terminated by revocation (DESIGN.md §4, §5, §6.5).
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { approveUpdate, extendUpdate, revokeUpdate, sessionOpenedSignal, statusQuery } from '../../workflows/break-glass/definitions';
import type { EndReason } from '../../workflows/break-glass/definitions';
import { breakGlassInput } from '../support/break-glass-input';
import { startTimeSkipping } from '../support/time-skipping';
import { MIN, activityCalls, expectRefused, resultOf, runBreakGlass, timelineEvents, waitActive, waitForStatus } from './harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

test('an extension within the maximum, approved by an approver, moves the planned end later', async () => {
  const input = breakGlassInput({ durationMs: 30 * MIN, role: { maxDurationMs: 120 * MIN } });
  const result = await runBreakGlass(env, input, async ({ handle }) => {
    await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
    const active = await waitActive(handle);
    const plannedBefore = Date.parse(active.plannedEndAt ?? '');
    expect(plannedBefore - Date.parse(active.grantedAt ?? '')).toBe(30 * MIN);

    const ext = await handle.executeUpdate(extendUpdate, { args: [{ requester: 'alice', byMs: 45 * MIN, reason: 'migration still running' }] });
    expect(ext.pendingApproval).toBe(true);
    expect(Date.parse(ext.proposedEndAt)).toBe(plannedBefore + 45 * MIN);
    // Nothing moves until an approver agrees, and a second request waits for the first.
    let status = await handle.query(statusQuery);
    expect(status.approval?.kind).toBe('extension');
    expect(status.approval?.state).toBe('open');
    expect(Date.parse(status.plannedEndAt ?? '')).toBe(plannedBefore);
    await expectRefused(handle.executeUpdate(extendUpdate, { args: [{ requester: 'alice', byMs: 5 * MIN }] }), 'ExtensionAlreadyPending');
    await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'alice', round: 'extension-1' }] }), 'SelfApproval');

    const decision = await handle.executeUpdate(approveUpdate, { args: [{ approver: 'carol', round: 'extension-1' }] });
    expect(decision).toMatchObject({ duplicate: false, decided: true });
    status = await waitForStatus(handle, (s) => Date.parse(s.plannedEndAt ?? '') > plannedBefore);
    expect(Date.parse(status.plannedEndAt ?? '')).toBe(plannedBefore + 45 * MIN);
    // Status shows the grant's length now, and what was asked for.
    expect(status.durationMs).toBe(75 * MIN);
    expect(status.requestedDurationMs).toBe(30 * MIN);
    expect(timelineEvents(status)).toEqual(expect.arrayContaining(['extension-requested', 'extension-approved', 'extended']));
    return resultOf(handle);
  });
  expect(result.status.endReason).toBe('expired');
  expect(result.status.revocation?.verified).toBe(true);
  const granted = Date.parse(result.status.grantedAt ?? '');
  expect(Date.parse(result.status.plannedEndAt ?? '') - granted).toBe(75 * MIN);
  expect(Date.parse(result.status.actualEndAt ?? '') - granted).toBeGreaterThanOrEqual(75 * MIN);
});

test('an extension beyond the role maximum, or by anyone but the requester, is refused', async () => {
  const input = breakGlassInput({ durationMs: 30 * MIN, role: { maxDurationMs: 60 * MIN } });
  await runBreakGlass(env, input, async ({ handle }) => {
    // Not active yet: nothing to extend.
    await expectRefused(handle.executeUpdate(extendUpdate, { args: [{ requester: 'alice', byMs: 10 * MIN }] }), 'GrantNotActive');
    await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
    const active = await waitActive(handle);
    await expectRefused(handle.executeUpdate(extendUpdate, { args: [{ requester: 'alice', byMs: 31 * MIN }] }), 'DurationOverMaximum');
    await expectRefused(handle.executeUpdate(extendUpdate, { args: [{ requester: 'bob', byMs: 10 * MIN }] }), 'NotTheRequester');
    await expectRefused(handle.executeUpdate(extendUpdate, { args: [{ requester: 'dave', byMs: 10 * MIN }] }), 'NotTheRequester');
    const status = await handle.query(statusQuery);
    expect(status.plannedEndAt).toBe(active.plannedEndAt);
    expect(status.approval?.kind).toBe('grant');
    expect(timelineEvents(status)).not.toContain('extension-requested');
    // Exactly up to the maximum is fine.
    const ok = await handle.executeUpdate(extendUpdate, { args: [{ requester: 'alice', byMs: 30 * MIN }] });
    expect(ok.pendingApproval).toBe(true);
  });
});

const revokers: Array<[string, string, EndReason]> = [
  ['the requester', 'alice', 'revoked-by-requester'],
  ['an approver', 'erin', 'revoked-by-approver'],
  ['a security person', 'sam', 'revoked-by-security'],
];
test.each(revokers)('early revoke by %s ends the grant with a verified revocation', async (_who, by, endReason) => {
  const input = breakGlassInput({ role: { security: ['sam'] } });
  const result = await runBreakGlass(env, input, async ({ handle, state }) => {
    await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
    await waitActive(handle);
    const r = await handle.executeUpdate(revokeUpdate, { args: [{ by, reason: 'done early' }] });
    expect(r.accepted).toBe(true);
    const res = await resultOf(handle);
    expect(activityCalls(state, 'submitRevocationCutoff')).toBeGreaterThanOrEqual(1);
    expect(activityCalls(state, 'verifyRevocation')).toBeGreaterThanOrEqual(1);
    expect(state.statements.get(input.role.roleArn)?.map((st) => st.person)).toEqual(['alice']);
    return res;
  });
  expect(result.status.outcome).toBe('revoked');
  expect(result.status.endReason).toBe(endReason);
  expect(result.status.revocation).toMatchObject({ verified: true, statementPresent: true, deniedSourceIdentity: 'alice', activeSessionsLeft: [] });
  // Well before the planned end.
  expect(Date.parse(result.status.actualEndAt ?? '')).toBeLessThan(Date.parse(result.status.plannedEndAt ?? ''));
  expect(result.status.timeline.find((e) => e.event === 'revoke-requested')?.by).toBe(by);
});

test('anyone else is refused the revoke and the grant stays active', async () => {
  const input = breakGlassInput({ role: { security: ['sam'] } });
  await runBreakGlass(env, input, async ({ handle, state }) => {
    await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
    await waitActive(handle);
    await expectRefused(handle.executeUpdate(revokeUpdate, { args: [{ by: 'dave' }] }), 'NotAllowedToRevoke');
    const status = await handle.query(statusQuery);
    expect(status.phase).toBe('active');
    expect(timelineEvents(status)).not.toContain('revoke-requested');
    expect(activityCalls(state, 'submitRevocationCutoff')).toBe(0);
  });
});

test('active SSM sessions are terminated by revocation and listed in the receipt', async () => {
  const input = breakGlassInput();
  const result = await runBreakGlass(
    env,
    input,
    async ({ handle, state }) => {
      await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
      await waitActive(handle);
      await handle.signal(sessionOpenedSignal, { sessionId: 'alice-0a1b2c3d', target: 'i-0123456789abcdef0' });
      // A session the workflow was never told about (opened outside `safeguard connect`) is found too.
      state.sessions.set('alice-0a1b2c3d', 'Active');
      state.sessions.set('alice-9f8e7d6c', 'Active');
      await waitForStatus(handle, (s) => s.sessions.includes('alice-0a1b2c3d'));
      await handle.executeUpdate(revokeUpdate, { args: [{ by: 'alice' }] });
      const res = await resultOf(handle);
      expect([...state.sessions.values()]).toEqual(['Terminated', 'Terminated']);
      return res;
    },
  );
  expect(result.status.revocation?.verified).toBe(true);
  expect(result.status.revocation?.sessionsTerminated.sort()).toEqual(['alice-0a1b2c3d', 'alice-9f8e7d6c']);
  expect(result.status.revocation?.activeSessionsLeft).toEqual([]);
  expect(result.status.sessions.sort()).toEqual(['alice-0a1b2c3d', 'alice-9f8e7d6c']);
});

test('cancelling an active grant still revokes it, verified, with evidence', async () => {
  const input = breakGlassInput();
  await runBreakGlass(env, input, async ({ handle, state }) => {
    await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
    await waitActive(handle);
    await handle.cancel();
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(activityCalls(state, 'submitRevocationCutoff')).toBeGreaterThanOrEqual(1);
    expect(activityCalls(state, 'verifyRevocation')).toBeGreaterThanOrEqual(1);
    expect(state.statements.get(input.role.roleArn)?.map((st) => st.person)).toEqual(['alice']);
    expect(state.evidence).toHaveLength(1);
    const record = state.evidence[0]?.record as Record<string, unknown> & { revocation?: { verified: boolean } };
    expect(record).toMatchObject({ outcome: 'revoked', endReason: 'cancelled', phase: 'ended' });
    expect(record.revocation?.verified).toBe(true);
    const status = await handle.query(statusQuery);
    expect(status.revocation?.verified).toBe(true);
  });
});

test('cancelling a pending request grants nothing', async () => {
  const input = breakGlassInput();
  await runBreakGlass(env, input, async ({ handle, state }) => {
    await waitForStatus(handle, (s) => s.phase === 'pending');
    await handle.cancel();
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(activityCalls(state, 'verifyGrant')).toBe(0);
    expect(activityCalls(state, 'submitRevocationCutoff')).toBe(0);
    expect(state.evidence).toHaveLength(1);
    expect(state.evidence[0]?.record).toMatchObject({ outcome: 'cancelled', endReason: 'cancelled' });
    expect(state.evidence[0]?.record.grantedAt).toBeUndefined();
  });
});
