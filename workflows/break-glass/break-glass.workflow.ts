// One break-glass request, from approval to a verified revocation. DESIGN.md §4–§5.
import {
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { revocationCleanupWorkflow } from './revocation-cleanup.workflow';
import {
  SEARCH_ATTRIBUTES,
  approveUpdate,
  credentialsIssuedSignal,
  denyUpdate,
  extendUpdate,
  revokeUpdate,
  sessionOpenedSignal,
  statusQuery,
  reserveCredentialsUpdate,
  leaseReleasedSignal,
  accessRefusedSignal,
  grantSessionName,
  VENDING_LEASE_MS,
  MIN_VENDED_SECONDS,
  MAX_VENDED_SECONDS,
} from './definitions';
import type { BreakGlassInput, BreakGlassResult, EndReason, Outcome, RevocationReceipt } from './definitions';
import { BreakGlassState } from './state';

// Grant verification may fail for good (role missing, trust wrong): a few tries, then give up.
const grantActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
});
// Revocation must never give up; each activity retries on its own, and the workflow loops on top
// until the receipt says verified.
const revocationActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 6 },
});
// Notifications and evidence are best-effort from the workflow's point of view; evidence retries long.
const notifyActivities = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});
const evidenceActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

/** After this many unverified revocation attempts, security is paged (and the loop goes on). */
const REVOCATION_ALERT_AFTER = 3;

export async function breakGlassWorkflow(input: BreakGlassInput): Promise<BreakGlassResult> {
  const s = new BreakGlassState(input, Date.now());
  const role = input.role;
  s.log(Date.now(), 'requested', input.requester, input.reason);
  // Open the grant round before any handler is set: setHandler dispatches the Updates that arrived
  // with the first workflow task at once, and their validators must find the round to decide on.
  if (role.mode === 'approval') s.openRound('grant', Date.now(), Date.now() + role.approvalTimeoutMs);

  setHandler(statusQuery, () => s.snapshot());
  setHandler(credentialsIssuedSignal, (issue) => {
    // Recorded even while revoking: a lease granted before revocation may complete during the drain.
    if (s.phase === 'ended') return;
    s.recordCredentials(issue);
    s.lastUseAtMs = Date.now();
    s.log(Date.now(), 'credentials-issued', input.requester, `key ${issue.accessKeyId} until ${issue.expiresAt}`);
  });
  setHandler(sessionOpenedSignal, ({ sessionId, target }) => {
    s.recordSession(sessionId);
    s.lastUseAtMs = Date.now();
    s.log(Date.now(), 'session-opened', input.requester, `${sessionId} on ${target}`);
  });
  setHandler(leaseReleasedSignal, ({ leaseId }) => {
    s.leases.delete(leaseId);
  });
  setHandler(accessRefusedSignal, ({ by, code, what }) => {
    s.log(Date.now(), 'access-refused', by, `${what}: ${code}`);
  });
  setHandler(
    reserveCredentialsUpdate,
    () => {
      const now = Date.now();
      const plannedEnd = s.plannedEndAtMs ?? now;
      const leaseId = uuid4();
      const leaseExpires = now + VENDING_LEASE_MS;
      s.leases.set(leaseId, leaseExpires);
      // STS allows 900..3600 s; credentials may outlive the grant by < 15 min, which is why
      // revocation also denies by token issue time.
      const durationSeconds = Math.min(MAX_VENDED_SECONDS, Math.max(MIN_VENDED_SECONDS, Math.ceil((plannedEnd - now) / 1000)));
      return {
        leaseId,
        roleArn: role.roleArn,
        sessionName: grantSessionName(input.grantId),
        sourceIdentity: input.requester,
        tags: [{ Key: 'safeguard:grant', Value: input.grantId }, ...(input.ticket ? [{ Key: 'safeguard:ticket', Value: input.ticket.slice(0, 256) }] : [])],
        durationSeconds,
        grantEndsAt: new Date(plannedEnd).toISOString(),
        leaseExpiresAt: new Date(leaseExpires).toISOString(),
      };
    },
    { validator: ({ by }) => s.validateReserve(by) },
  );
  setHandler(
    approveUpdate,
    ({ approver, comment }) => {
      const round = s.decisionRound();
      const fresh = round.approve(approver, new Date().toISOString(), comment);
      if (fresh) s.log(Date.now(), `${round.config.kind}-approved`, approver, comment);
      return { accepted: true, duplicate: !fresh, approvals: round.approvers.length, quorum: round.config.quorum, phase: s.phase, decided: !round.isOpen };
    },
    { validator: ({ approver }) => s.decisionRound().validateApprove(approver) },
  );
  setHandler(
    denyUpdate,
    ({ approver, reason }) => {
      const round = s.decisionRound();
      round.deny(approver, new Date().toISOString(), reason);
      s.log(Date.now(), `${round.config.kind}-denied`, approver, reason);
      return { accepted: true, duplicate: false, approvals: round.approvers.length, quorum: round.config.quorum, phase: s.phase, decided: true };
    },
    { validator: ({ approver, reason }) => s.decisionRound().validateDeny(approver, reason ?? '') },
  );
  setHandler(
    extendUpdate,
    ({ byMs, reason }) => {
      const now = Date.now();
      const proposed = (s.plannedEndAtMs ?? now) + byMs;
      s.proposedEndAtMs = proposed;
      // The extension must be decided before the grant ends; otherwise it simply lapses.
      s.openRound('extension', now, Math.min(now + role.approvalTimeoutMs, s.plannedEndAtMs ?? now));
      s.log(now, 'extension-requested', input.requester, reason);
      void notifyActivities.notify({ event: 'extension-requested', grantId: input.grantId, requester: input.requester, role: role.name, approvers: role.approvers }).catch(() => undefined);
      return { pendingApproval: true, proposedEndAt: new Date(proposed).toISOString() };
    },
    { validator: (req) => s.validateExtend(req) },
  );
  setHandler(
    revokeUpdate,
    ({ by, reason }) => {
      if (!s.revokeRequest && (s.phase === 'pending' || s.phase === 'active')) {
        s.revokeRequest = { by, at: Date.now(), endReason: s.revokeEndReason(by), ...(reason !== undefined ? { reason } : {}) };
        s.log(Date.now(), 'revoke-requested', by, reason);
      }
      return { accepted: true, phase: s.phase };
    },
    { validator: (req) => s.validateRevoke(req) },
  );

  let granted = false;
  let lagFromMs: number | undefined;
  let revocation: RevocationReceipt | undefined;
  let cancelled = false;

  try {
    if (role.mode === 'approval') {
      const decided = await awaitGrantDecision(s);
      if (decided !== 'approved') {
        s.outcome = decided;
        if (decided === 'cancelled') s.endReason = 'cancelled';
        s.log(Date.now(), decided === 'denied' ? 'denied' : decided === 'cancelled' ? 'withdrawn' : 'approval-expired');
        return await finish(s, undefined, undefined);
      }
    }

    s.log(Date.now(), 'granting');
    try {
      s.status.grantReceipt = await grantActivities.verifyGrant({
        grantId: input.grantId,
        requester: input.requester,
        roleArn: role.roleArn,
        accountId: role.accountId,
        ...(input.ticket !== undefined ? { ticket: input.ticket } : {}),
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      s.outcome = 'grant-failed';
      s.log(Date.now(), 'grant-failed', undefined, errorMessage(err));
      await notifySecurity(s, 'grant-failed', errorMessage(err));
      return await finish(s, undefined, undefined);
    }
    granted = true;
    const grantedAt = Date.now();
    s.grantedAtMs = grantedAt;
    s.plannedEndAtMs = grantedAt + input.durationMs;
    s.phase = 'active';
    s.log(grantedAt, 'granted', undefined, `until ${new Date(s.plannedEndAtMs).toISOString()}`);
    await notify(s, 'granted');

    if (role.mode === 'post-hoc') {
      s.openRound('ratification', grantedAt, grantedAt + (role.ratificationDeadlineMs ?? role.approvalTimeoutMs));
      await notify(s, 'ratification-needed');
    }

    const ending = await awaitEnd(s);
    s.endReason = ending.reason;
    lagFromMs = ending.atMs;
  } catch (err) {
    if (!isCancellation(err)) throw err;
    cancelled = true;
    s.endReason = 'cancelled';
    lagFromMs = Date.now();
    s.log(Date.now(), 'cancelled');
  }

  // Revocation must finish even if the workflow is cancelled: a non-cancellable scope.
  await CancellationScope.nonCancellable(async () => {
    if (granted) {
      revocation = await revoke(s);
      s.outcome = 'revoked';
      // DESIGN.md §5: a post-hoc grant that is not ratified is revoked *and security is paged*.
      if (s.endReason === 'ratification-rejected' || s.endReason === 'ratification-timeout') {
        await notifySecurity(s, s.endReason, s.endReason === 'ratification-rejected' ? 'post-hoc grant rejected by an approver; access revoked' : 'post-hoc grant not ratified before the deadline; access revoked');
      }
    } else {
      s.outcome = 'cancelled';
    }
    await finish(s, revocation, lagFromMs);
  });
  if (cancelled) throw ApplicationFailure.create({ type: 'Cancelled', message: 'break-glass request cancelled; access was revoked', nonRetryable: true });
  return result(s, lagFromMs);
}

/** Waits for the grant round to be decided; reminders go out while it is open. */
async function awaitGrantDecision(s: BreakGlassState): Promise<Outcome | 'approved'> {
  const role = s.input.role;
  const round = s.grantRound ?? s.openRound('grant', Date.now(), Date.now() + role.approvalTimeoutMs);
  const deadline = Date.parse(round.config.deadlineAt);
  await notify(s, 'approval-needed');
  let seen = 0;
  while (round.isOpen && !s.revokeRequest) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    const woke = await condition(() => !round.isOpen || s.revokeRequest !== undefined || round.approvers.length !== seen, Math.min(remaining, role.reminderIntervalMs));
    if (round.isOpen && round.approvers.length !== seen) {
      // Quorum progress (1 of 2…) is shown on the approval card.
      seen = round.approvers.length;
      await notify(s, 'approval-progress');
    } else if (!woke && deadline - Date.now() > 0) await notify(s, 'approval-reminder');
  }
  if (round.state === 'approved') return 'approved';
  if (round.state === 'denied') {
    await notify(s, 'denied');
    return 'denied';
  }
  if (s.revokeRequest) return 'cancelled';
  round.expire();
  await notify(s, 'approval-expired');
  return 'expired-unapproved';
}

/** Holds the grant open until expiry, revoke, or a failed ratification; applies extensions. */
async function awaitEnd(s: BreakGlassState): Promise<{ reason: EndReason; atMs: number }> {
  // Versioned: histories recorded before the warning existed replay without it.
  const warnBeforeExpiry = patched('expiry-warning');
  for (;;) {
    const now = Date.now();
    const ratification = s.ratificationRound;
    const extension = s.extensionRound;
    if (s.revokeRequest) return { reason: s.revokeRequest.endReason, atMs: s.revokeRequest.at };
    if (ratification?.state === 'denied') return { reason: 'ratification-rejected', atMs: now };
    // Checked here, not only after a wake-up: a ratification can land while a notification is out.
    if (ratification?.state === 'approved' && !s.ratifiedAnnounced) {
      s.ratifiedAnnounced = true;
      s.log(now, 'ratified');
      await notify(s, 'ratified');
      continue;
    }
    if (ratification?.isOpen && now >= Date.parse(ratification.config.deadlineAt)) {
      ratification.expire();
      return { reason: 'ratification-timeout', atMs: now };
    }
    if (extension && s.proposedEndAtMs !== undefined && !extension.isOpen) {
      if (extension.state === 'approved') {
        s.plannedEndAtMs = s.proposedEndAtMs;
        s.log(now, 'extended', undefined, `until ${new Date(s.plannedEndAtMs).toISOString()}`);
        await notify(s, 'extended');
      } else {
        s.log(now, extension.state === 'denied' ? 'extension-denied' : 'extension-expired');
      }
      s.proposedEndAtMs = undefined;
    }
    if (extension?.isOpen && now >= Date.parse(extension.config.deadlineAt)) {
      extension.expire();
      continue;
    }
    const plannedEnd = s.plannedEndAtMs ?? now;
    if (now >= plannedEnd) return { reason: 'expired', atMs: plannedEnd };
    // Automatic logoff (§164.312(a)(2)(iii)): no credentials or sessions for idleLimit ends the grant.
    const idleAt = s.input.role.idleLimitMs !== undefined ? (s.lastUseAtMs ?? s.grantedAtMs ?? now) + s.input.role.idleLimitMs : Infinity;
    if (now >= idleAt) return { reason: 'idle', atMs: idleAt };
    // Warn the requester before the end (with Extend / Revoke now in Slack): once per planned end.
    const warnAt = warnBeforeExpiry && s.warnedForEndMs !== plannedEnd ? plannedEnd - expiryWarningLeadMs(plannedEnd - (s.grantedAtMs ?? now)) : Infinity;
    if (now >= warnAt) {
      s.warnedForEndMs = plannedEnd;
      await notify(s, 'expiry-warning');
      continue;
    }

    const wakeAt = Math.min(
      plannedEnd,
      idleAt,
      warnAt,
      ratification?.isOpen ? Date.parse(ratification.config.deadlineAt) : Infinity,
      extension?.isOpen ? Date.parse(extension.config.deadlineAt) : Infinity,
    );
    const ratOpen = ratification?.isOpen ?? false;
    const extOpen = extension?.isOpen ?? false;
    // An updatable timer: wakes on expiry, on a revoke, when a round is decided, or when an
    // extension is requested (its round's deadline must join the wake-up time).
    await condition(
      () => s.revokeRequest !== undefined || (ratOpen && !ratification?.isOpen) || (extOpen && !extension?.isOpen) || s.extensionRound !== extension,
      Math.max(1, wakeAt - Date.now()),
    );
  }
}

/** How long before the planned end the requester is warned: a fifth of the grant, at most 10 min. */
function expiryWarningLeadMs(grantLengthMs: number): number {
  return Math.min(10 * 60_000, Math.floor(grantLengthMs / 5));
}

/** DESIGN.md §4 steps 1–5. Loops until the receipt is verified; pages security if it takes long. */
async function revoke(s: BreakGlassState): Promise<RevocationReceipt> {
  const role = s.input.role;
  s.phase = 'revoking'; // step 1: vending stops as soon as the phase leaves 'active'
  // Credentials whose lease was granted before now may still be minted; wait for them (bounded by
  // the lease length) so the deny statement's issue-time cut-off covers them too.
  if (s.openLeases(Date.now()) > 0) {
    const latest = Math.max(...s.leases.values());
    await condition(() => s.openLeases(Date.now()) === 0, Math.max(1, latest - Date.now()));
  }
  const tokensIssuedBefore = new Date(Date.now() + 1000).toISOString();
  s.log(Date.now(), 'revoking', s.revokeRequest?.by, s.endReason);
  const target = {
    grantId: s.input.grantId,
    requester: s.input.requester,
    roleArn: role.roleArn,
    accountId: role.accountId,
    executionRoleArn: role.executionRoleArn,
    externalId: role.externalId,
    tokensIssuedBefore,
  };
  let terminated: string[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await revocationActivities.applyRevocation(target);
      const ended = await revocationActivities.terminateGrantSessions({ ...target, knownSessionIds: s.status.sessions });
      terminated = [...new Set([...terminated, ...ended.terminated])];
      for (const id of ended.terminated) s.recordSession(id);
      const check = await revocationActivities.verifyRevocation(target);
      const receipt: RevocationReceipt = {
        verified: check.statementPresent && check.activeSessionsLeft.length === 0,
        checkedAt: check.checkedAt,
        policyName: applied.policyName,
        statementPresent: check.statementPresent,
        deniedSourceIdentity: s.input.requester,
        tokensIssuedBefore,
        sessionsTerminated: terminated,
        activeSessionsLeft: check.activeSessionsLeft,
        attempts: attempt,
      };
      if (receipt.verified) {
        s.status.revocation = receipt;
        s.log(Date.now(), 'revocation-verified', undefined, `${terminated.length} session(s) terminated`);
        await scheduleStatementRemoval(s, applied.policyName);
        return receipt;
      }
      s.log(Date.now(), 'revocation-unverified', undefined, `attempt ${attempt}`);
    } catch (err) {
      s.log(Date.now(), 'revocation-attempt-failed', undefined, `attempt ${attempt}: ${errorMessage(err)}`);
    }
    if (attempt === REVOCATION_ALERT_AFTER) await notifySecurity(s, 'revocation-not-verified', `not verified after ${attempt} attempts; still retrying`);
    await sleep(Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6)));
  }
}

/** Step 5: the deny statement is useless once every token it targets has expired; a child workflow
 * (abandoned by this one) removes it then, so this workflow can end now. */
async function scheduleStatementRemoval(s: BreakGlassState, policyName: string): Promise<void> {
  const role = s.input.role;
  try {
    await startChild(revocationCleanupWorkflow, {
      workflowId: `${workflowInfo().workflowId}-cleanup`,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [{ accountId: role.accountId, executionRoleArn: role.executionRoleArn, externalId: role.externalId, roleArn: role.roleArn, policyName, waitMs: role.maxSessionDurationMs }],
    });
  } catch (err) {
    // Leaving a deny statement in place is safe; failing the revocation over it is not.
    log.warn('could not schedule deny statement removal', { error: errorMessage(err) });
  }
}

async function finish(s: BreakGlassState, revocation: RevocationReceipt | undefined, lagFromMs: number | undefined): Promise<BreakGlassResult> {
  s.phase = 'ended';
  s.status.actualEndAt = new Date(Date.now()).toISOString();
  if (revocation) s.status.revocation = revocation;
  s.log(Date.now(), `ended:${s.outcome ?? 'unknown'}`);
  upsertSearchAttributes({ [SEARCH_ATTRIBUTES.outcome]: [s.outcome ?? 'unknown'] });
  const res = result(s, lagFromMs);
  const info = workflowInfo();
  await evidenceActivities.recordEvidence({
    id: `${info.workflowId}/${info.runId}`,
    kind: 'break-glass',
    record: { workflowId: info.workflowId, runId: info.runId, ...res.status, revocationLagMs: res.revocationLagMs ?? null },
  });
  await notify(s, 'ended');
  // Let in-flight Update handlers reply before the workflow completes.
  await condition(allHandlersFinished);
  return res;
}

function result(s: BreakGlassState, lagFromMs: number | undefined): BreakGlassResult {
  const status = s.snapshot();
  const verifiedAt = status.revocation?.verified ? Date.parse(status.revocation.checkedAt) : undefined;
  return lagFromMs !== undefined && verifiedAt !== undefined ? { status, revocationLagMs: Math.max(0, verifiedAt - lagFromMs) } : { status };
}

async function notify(s: BreakGlassState, event: string): Promise<void> {
  const st = s.snapshot();
  const { timeline: _t, credentials: _c, ...view } = st;
  try {
    const r = await notifyActivities.notify({
      view,
      security: s.input.role.security,
      ...(s.cardRef ? { cardRef: s.cardRef } : {}),
      event,
      grantId: st.grantId,
      requester: st.requester,
      role: st.role,
      approvers: s.input.role.approvers,
      phase: st.phase,
      ...(st.plannedEndAt !== undefined ? { plannedEndAt: st.plannedEndAt } : {}),
      ...(st.outcome !== undefined ? { outcome: st.outcome } : {}),
    });
    if (r?.cardRef) s.cardRef = r.cardRef;
  } catch (err) {
    // A notification channel being down must never hold up approval or revocation.
    log.warn('notification failed', { event, error: errorMessage(err) });
  }
}

async function notifySecurity(s: BreakGlassState, event: string, detail: string): Promise<void> {
  try {
    await notifyActivities.notify({ event, grantId: s.input.grantId, requester: s.input.requester, role: s.input.role.name, approvers: s.input.role.security, phase: s.phase, detail, severity: 'page' });
  } catch (err) {
    log.error('security page failed', { event, error: errorMessage(err) });
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
  return String(err);
}

