// The trust holes of issue #7, at the workflow level: decisions name their round, forged or
// off-policy inputs grant nothing, a flood cannot grow the record, a slow notifier cannot delay
// access decisions, and a revocation is never called verified while its proofs fail.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  accessRefusedSignal,
  approveUpdate,
  credentialsIssuedSignal,
  denyUpdate,
  extendUpdate,
  reserveCredentialsUpdate,
  revokeUpdate,
  sessionOpenedSignal,
  statusQuery,
  MAX_CREDENTIAL_ISSUES,
  MAX_RECORDED_REFUSALS,
  MAX_RECORDED_SESSIONS,
} from '../../workflows/break-glass/definitions';
import type { BreakGlassResult } from '../../workflows/break-glass/definitions';
import { REVOCATION_ALERT_AFTER } from '../../workflows/break-glass/revocation';
import { breakGlassInput } from '../support/break-glass-input';
import { fakeActivities } from '../support/fake-activities';
import { createTestWorker, startTimeSkipping } from '../support/time-skipping';
import { MIN, activityCalls, expectRefused, healTimeSkipping, notificationEvents, resultOf, runBreakGlass, terminateLeftovers, timelineEvents, waitActive, waitForStatus } from './harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

const postHoc = { mode: 'post-hoc' as const, ratificationDeadlineMs: 60 * MIN, security: ['sam'] };

describe('decisions go to the round they name', () => {
  test('post-hoc grant with a pending extension: rejecting the ratification revokes and pages, the extension is not touched', async () => {
    const input = breakGlassInput({ durationMs: 60 * MIN, role: postHoc });
    const result = await runBreakGlass(env, input, async ({ handle, state }) => {
      await waitForStatus(handle, (s) => s.approval?.kind === 'ratification');
      const ext = await handle.executeUpdate(extendUpdate, { args: [{ requester: 'alice', byMs: 30 * MIN }] });
      expect(ext.round).toBe('extension-1');
      const st = await handle.query(statusQuery);
      // Both rounds are open at once, and both are listed.
      expect(st.rounds?.map((r) => [r.id, r.state])).toEqual([['ratification', 'open'], ['extension-1', 'open']]);
      const denied = await handle.executeUpdate(denyUpdate, { args: [{ approver: 'bob', round: 'ratification', reason: 'no incident on record' }] });
      expect(denied).toMatchObject({ round: 'ratification', roundKind: 'ratification', roundState: 'denied' });
      const res = await resultOf(handle);
      expect(state.notifications.find((n) => n.severity === 'page' && n.event === 'ratification-rejected')).toMatchObject({ audience: ['sam'] });
      return res;
    });
    expect(result.status.outcome).toBe('revoked');
    expect(result.status.endReason).toBe('ratification-rejected');
    expect(result.status.revocation?.verified).toBe(true);
    // The page is part of the record.
    expect(result.status.timeline.find((e) => e.event === 'security-paged')?.detail).toMatch(/^ratification-rejected/);
  });

  test('post-hoc grant with a pending extension: ratifying ratifies, and the extension stays pending', async () => {
    const input = breakGlassInput({ durationMs: 60 * MIN, role: postHoc });
    await runBreakGlass(env, input, async ({ handle }) => {
      await waitForStatus(handle, (s) => s.approval?.kind === 'ratification');
      await handle.executeUpdate(extendUpdate, { args: [{ requester: 'alice', byMs: 30 * MIN }] });
      const r = await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'ratification' }] });
      expect(r).toMatchObject({ round: 'ratification', roundState: 'approved' });
      const st = await waitForStatus(handle, (s) => timelineEvents(s).includes('ratified'));
      expect(st.rounds?.find((x) => x.id === 'extension-1')?.state).toBe('open');
      expect(st.phase).toBe('active');
      await handle.terminate('test over');
    });
  });

  test('a decision without a round, or naming a round the request does not have, is refused', async () => {
    const input = breakGlassInput();
    await runBreakGlass(env, input, async ({ handle }) => {
      await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob' }] }), 'RoundRequired');
      await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'ratification' }] }), 'UnknownRound');
      await expectRefused(handle.executeUpdate(denyUpdate, { args: [{ approver: 'bob', round: 'extension-1', reason: 'not this one' }] }), 'UnknownRound');
      expect((await handle.query(statusQuery)).approval?.approvals).toEqual([]);
      await handle.terminate('test over');
    });
  });

  test('an approval for an extension that has closed is refused: it never lands on the next extension', async () => {
    const input = breakGlassInput({ durationMs: 60 * MIN, role: { maxDurationMs: 300 * MIN } });
    await runBreakGlass(env, input, async ({ handle }) => {
      await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
      await waitActive(handle);
      await handle.executeUpdate(extendUpdate, { args: [{ requester: 'alice', byMs: 10 * MIN }] });
      await handle.executeUpdate(denyUpdate, { args: [{ approver: 'carol', round: 'extension-1', reason: 'finish it in time' }] });
      await waitForStatus(handle, (s) => timelineEvents(s).includes('extension-denied'));
      await handle.executeUpdate(extendUpdate, { args: [{ requester: 'alice', byMs: 20 * MIN }] });
      // bob saw the first extension's card; his click names extension-1, which is closed.
      await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'extension-1' }] }), 'NoDecisionPending');
      const st = await handle.query(statusQuery);
      expect(st.rounds?.find((r) => r.id === 'extension-2')).toMatchObject({ state: 'open', approvals: [] });
      await handle.terminate('test over');
    });
  });

  test('a step-up role refuses decisions from a Slack click and accepts them through the api', async () => {
    const input = breakGlassInput({ role: { stepUp: true } });
    await runBreakGlass(env, input, async ({ handle }) => {
      await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant', via: 'slack' }] }), 'StepUpRequired');
      const r = await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant', via: 'api' }] });
      expect(r.roundState).toBe('approved');
      expect((await handle.query(statusQuery)).stepUp).toBe(true);
      await handle.terminate('test over');
    });
  });

  test('secret-shaped text in a comment or reason is refused before it reaches the history', async () => {
    const input = breakGlassInput();
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    await runBreakGlass(env, input, async ({ handle }) => {
      await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant', comment: `use ${secret}` }] }), 'SecretInText');
      await expectRefused(handle.executeUpdate(denyUpdate, { args: [{ approver: 'bob', round: 'grant', reason: `key ${secret}` }] }), 'SecretInText');
      const history = JSON.stringify(await handle.fetchHistory());
      expect(history).not.toContain(secret);
      await handle.terminate('test over');
    });
  });
});

describe('forged and off-policy inputs', () => {
  test('an input the worker policy does not accept grants nothing: rejected-invalid, security paged, evidence written', async () => {
    const input = breakGlassInput({ durationMs: 20 * 24 * 60 * MIN, role: { approvers: [], quorum: 1, security: ['sam'] } });
    const result = await runBreakGlass(
      env,
      input,
      async ({ handle, state }) => {
        // A decision sent while the check runs is refused once the check fails, never applied.
        const early = handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] }).catch((e: unknown) => e);
        const res = await resultOf(handle);
        await early;
        expect(activityCalls(state, 'verifyGrant')).toBe(0);
        expect(state.notifications.filter((n) => n.event === 'approval-needed')).toEqual([]);
        expect(state.notifications.find((n) => n.severity === 'page')).toMatchObject({ event: 'rejected-invalid' });
        expect(state.evidence[0]?.record).toMatchObject({ outcome: 'rejected-invalid' });
        return res;
      },
      (state) => {
        state.verdict = { accepted: false, problems: ['maxDuration is longer than the policy allows'] };
      },
    );
    expect(result.status.outcome).toBe('rejected-invalid');
    expect(result.status.grantedAt).toBeUndefined();
    expect(result.evidenceWritten).toBe(true);
  });

  test('an input the codec refused (an unencrypted start) ends at once as rejected-invalid and pages', async () => {
    const { activities, state } = fakeActivities();
    const taskQueue = `tq-forged-${Math.random().toString(16).slice(2, 8)}`;
    const workflowId = 'breakglass-BreakGlassAdmin-f0f0f0f0';
    const worker = await createTestWorker(env, taskQueue, activities);
    try {
      const res = await worker.runUntil(async () => {
        const handle = await env.client.workflow.start('breakGlassWorkflow', { taskQueue, workflowId, args: [{ __refused: 'unencrypted json/plain payload refused by the codec' }] });
        return (await handle.result()) as BreakGlassResult;
      });
      expect(res.status.outcome).toBe('rejected-invalid');
      expect(activityCalls(state, 'verifyGrant')).toBe(0);
      expect(activityCalls(state, 'checkBreakGlassRequest')).toBe(0);
      expect(state.notifications[0]).toMatchObject({ event: 'rejected-invalid', severity: 'page' });
      expect(state.evidence[0]).toMatchObject({ kind: 'break-glass', record: { outcome: 'rejected-invalid' } });
      const desc = await env.client.workflow.getHandle(workflowId).describe();
      expect(desc.searchAttributes['SafeguardKind']).toEqual(['break-glass']);
      expect(desc.searchAttributes['SafeguardOutcome']).toEqual(['rejected-invalid']);
    } finally {
      await terminateLeftovers(env, workflowId);
      await healTimeSkipping(env);
    }
  });

  test('malformed decisions and signals are refused or dropped', async () => {
    const input = breakGlassInput();
    await runBreakGlass(env, input, async ({ handle }) => {
      const marker = { __refused: 'unencrypted json/plain payload refused by the codec' };
      await expectRefused(handle.executeUpdate(approveUpdate, { args: [marker as never] }), 'MalformedRequest');
      await expectRefused(handle.executeUpdate(revokeUpdate, { args: [marker as never] }), 'MalformedRequest');
      await handle.signal(sessionOpenedSignal, marker as never);
      await handle.signal(credentialsIssuedSignal, marker as never);
      await handle.signal(accessRefusedSignal, marker as never);
      const st = await handle.query(statusQuery);
      expect(st.sessions).toEqual([]);
      expect(st.credentials).toEqual([]);
      expect(timelineEvents(st)).toEqual(['requested']);
      await handle.terminate('test over');
    });
  });
});

describe('bounded records', () => {
  test('repeated clicks and a flood of reports leave the record bounded', async () => {
    const input = breakGlassInput({ role: { quorum: 2 } });
    await runBreakGlass(env, input, async ({ handle }) => {
      await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
      const accepted = async (): Promise<number> => ((await handle.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes != null).length;
      const before = await accepted();
      for (let i = 0; i < 20; i++) await expectRefused(handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] }), 'AlreadyDecided');
      // Refused Updates are never accepted into the history (on a real server their workflow task is
      // speculative and leaves nothing at all; the test server records the task: see the integration test).
      expect(await accepted()).toBe(before);
      await handle.executeUpdate(approveUpdate, { args: [{ approver: 'carol', round: 'grant' }] });
      await waitActive(handle);
      const n = MAX_RECORDED_SESSIONS + 15;
      for (let i = 0; i < n; i++) {
        await handle.signal(sessionOpenedSignal, { sessionId: `alice-${i.toString(16).padStart(8, '0')}`, target: 'i-0123456789abcdef0', verified: true });
        await handle.signal(sessionOpenedSignal, { sessionId: 'alice-00000000', target: 'i-0123456789abcdef0', verified: true }); // a repeat merges
        await handle.signal(accessRefusedSignal, { by: 'dave', code: 'NOT_REQUESTER', what: 'credentials' });
      }
      const st = await waitForStatus(handle, (s) => (s.counts?.refusals ?? 0) >= n);
      expect(st.sessions).toHaveLength(MAX_RECORDED_SESSIONS);
      expect(timelineEvents(st).filter((e) => e === 'access-refused')).toHaveLength(MAX_RECORDED_REFUSALS);
      expect(timelineEvents(st).filter((e) => e === 'session-opened')).toHaveLength(MAX_RECORDED_SESSIONS);
      expect(st.counts?.omitted).toBe(n - MAX_RECORDED_SESSIONS + (n - MAX_RECORDED_REFUSALS));
      await handle.terminate('test over');
    });
  });

  test('credential vending stops at the cap, and a repeated revoke is refused', async () => {
    const input = breakGlassInput();
    await runBreakGlass(env, input, async ({ handle }) => {
      await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
      await waitActive(handle);
      for (let i = 0; i < MAX_CREDENTIAL_ISSUES; i++) {
        const lease = await handle.executeUpdate(reserveCredentialsUpdate, { args: [{ by: 'alice' }] });
        await handle.signal(credentialsIssuedSignal, { accessKeyId: `ASIAFAKE${String(i).padStart(12, '0')}`, expiresAt: new Date(Date.now() + 15 * MIN).toISOString(), issuedAt: new Date().toISOString(), leaseId: lease.leaseId });
      }
      await waitForStatus(handle, (s) => s.credentials.length === MAX_CREDENTIAL_ISSUES);
      await expectRefused(handle.executeUpdate(reserveCredentialsUpdate, { args: [{ by: 'alice' }] }), 'VendingLimitReached');
      await handle.executeUpdate(revokeUpdate, { args: [{ by: 'alice' }] });
      await expectRefused(handle.executeUpdate(revokeUpdate, { args: [{ by: 'bob' }] }), 'AlreadyRevoking');
      const res = await resultOf(handle);
      expect(res.status.revocation?.verified).toBe(true);
    });
  });
});

describe('notifications are off the critical path', () => {
  test('with every notification failing, the grant, the expiry and the revocation happen on time', async () => {
    const input = breakGlassInput({ durationMs: 30 * MIN });
    const result = await runBreakGlass(
      env,
      input,
      async ({ handle, state }) => {
        await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
        const res = await resultOf(handle);
        expect(state.notifications.length).toBeGreaterThan(3);
        return res;
      },
      (state) => {
        state.notifyFails = true;
      },
    );
    expect(result.status.revocation?.verified).toBe(true);
    const planned = Date.parse(result.status.plannedEndAt ?? '');
    // Revocation began at the planned end (workflow time), not after notification retries.
    const revoking = Date.parse(result.status.timeline.find((e) => e.event === 'revoking')?.at ?? '');
    expect(revoking - planned).toBeLessThan(1000);
    const granted = Date.parse(result.status.grantedAt ?? '');
    const approved = Date.parse(result.status.timeline.find((e) => e.event === 'grant-approved')?.at ?? '');
    expect(granted - approved).toBeLessThan(1000);
  });
});

describe('a revocation is never called verified while a proof fails', () => {
  test('a credential issued at or after the cut-off keeps the receipt unverified until a later cut-off covers it', async () => {
    const input = breakGlassInput();
    let late: string | undefined;
    const result = await runBreakGlass(env, input, async ({ handle, state }) => {
      await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
      await waitActive(handle);
      state.onSubmitCutoff = async ({ tokensIssuedBefore }) => {
        if (late) return;
        // A slow AssumeRole answered after the cut-off was chosen (the api discards such credentials).
        late = new Date(Date.parse(tokensIssuedBefore) + 5).toISOString();
        await handle.signal(credentialsIssuedSignal, { accessKeyId: 'ASIALATEISSUE0000001', expiresAt: new Date(Date.now() + 15 * MIN).toISOString(), issuedAt: late, delivered: false });
      };
      await handle.executeUpdate(revokeUpdate, { args: [{ by: 'alice' }] });
      return resultOf(handle);
    });
    const r = result.status.revocation!;
    expect(r.verified).toBe(true);
    expect(r.attempts).toBeGreaterThanOrEqual(2);
    expect(Date.parse(r.tokensIssuedBefore)).toBeGreaterThan(Date.parse(late!));
    expect(timelineEvents(result.status)).toContain('revocation-unverified');
    expect(result.status.timeline.find((e) => e.event === 'revocation-unverified')?.detail).toMatch(/issued at or after the cut-off/);
  });

  test('a session that will not terminate keeps the receipt unverified, pages security after the third attempt, and verifies once it ends', async () => {
    const input = breakGlassInput({ role: { security: ['sam'] } });
    const result = await runBreakGlass(env, input, async ({ handle, state }) => {
      await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
      await waitActive(handle);
      state.sessions.set('alice-stuck0001', 'Active');
      state.stuckSessions.add('alice-stuck0001');
      await handle.executeUpdate(revokeUpdate, { args: [{ by: 'alice' }] });
      const st = await waitForStatus(handle, (s) => timelineEvents(s).includes('security-paged'), 60_000);
      expect(st.revocation).toBeUndefined();
      expect(st.phase).toBe('revoking');
      expect(timelineEvents(st).filter((e) => e === 'revocation-unverified').length).toBeGreaterThanOrEqual(REVOCATION_ALERT_AFTER);
      expect(state.notifications.find((n) => n.event === 'revocation-not-verified')).toMatchObject({ severity: 'page', audience: ['sam'] });
      state.stuckSessions.clear();
      return resultOf(handle);
    });
    expect(result.status.revocation).toMatchObject({ verified: true, activeSessionsLeft: [], sessionsTerminated: ['alice-stuck0001'] });
  });

  test('an evidence record that cannot be written pages security and the workflow still completes', async () => {
    const input = breakGlassInput({ role: { security: ['sam'] } });
    const result = await runBreakGlass(
      env,
      input,
      async ({ handle, state }) => {
        await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
        const res = await resultOf(handle);
        expect(state.notifications.find((n) => n.event === 'evidence-not-written')).toMatchObject({ severity: 'page' });
        expect(notificationEvents(state)).toContain('ended');
        return res;
      },
      (state) => state.failures.set('recordEvidence', 100),
    );
    expect(result.evidenceWritten).toBe(false);
    expect(result.status.revocation?.verified).toBe(true);
  });
});
