// One break-glass request, from approval to a verified revocation. DESIGN.md §4–§5.
//
// Runs started before the trust hardening (patch TRUST_HARDENING) replay their old path: no input
// check, notifications awaited in line, one deny policy per grant removed by a cleanup child. New
// runs check their input against the worker's policy before anything else, keep notifications off
// the critical path, and revoke through the role's single deny-policy writer.
import {
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
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
import type { BreakGlassNotification } from '../shared/notifications';
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
  roundsQuery,
  reserveCredentialsUpdate,
  leaseReleasedSignal,
  accessRefusedSignal,
  reconcileInfoQuery,
  grantSessionName,
  VENDING_LEASE_MS,
  MIN_VENDED_SECONDS,
  MAX_VENDED_SECONDS,
} from './definitions';
import type { BreakGlassInput, BreakGlassResult, BreakGlassStatus, DecisionResult, EndReason, Outcome, RevocationReceipt } from './definitions';
import { BreakGlassState, RequestErrors } from './state';
import { Outbox } from '../shared/outbox';
import { awaitDecision } from '../shared/approval/await-decision';
import { assertDecisionShape, assertPersonField, inputShapeProblems, isAccessRefusal, isCredentialIssue, isLeaseRelease, isSessionReport } from './input-shape';
import { REVOCATION_ALERT_AFTER, errorMessage, revokeUntilVerified } from './revocation';
import type { ApprovalRound } from '../shared/approval/gate';
import { drillGrantActiveSignal } from '../fire-drill/definitions';

export const TRUST_HARDENING = 'trust-hardening-1';

// Grant verification may fail for good (role missing, trust wrong): a few tries, then give up.
const grantActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
});
// The policy check reads a file the worker already holds: quick, and worth a few tries.
const checkActivities = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: 5 },
});
const legacyRevocationActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 6 },
});
const notifyActivities = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});
// Bounded: a record that cannot be written pages security, and the workflow still completes.
const evidenceActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8 },
});

/** How long a completing workflow waits for its queued notifications. */
const NOTIFY_DRAIN_MS = 120_000;

export async function breakGlassWorkflow(input: BreakGlassInput): Promise<BreakGlassResult> {
  const hardened = patched(TRUST_HARDENING);
  if (hardened) {
    const problems = inputShapeProblems(input, workflowInfo().workflowId);
    if (problems.length > 0) return rejectMalformed(problems);
  }
  const s = new BreakGlassState(input, Date.now(), hardened);
  const outbox = new Outbox();
  const role = input.role;
  s.log(Date.now(), 'requested', input.requester, input.reason);
  // Open the grant round before any handler is set: setHandler dispatches the Updates that arrived
  // with the first workflow task at once, and their validators must find the round to decide on.
  if (role.mode === 'approval') s.openRound('grant', Date.now(), Date.now() + role.approvalTimeoutMs);

  /** Decisions wait for the input check: a forged request is never decided on. */
  const untilChecked = async (): Promise<void> => {
    if (s.inputCheck === 'pending') await condition(() => s.inputCheck !== 'pending');
    if (s.inputCheck === 'rejected') throw ApplicationFailure.create({ type: RequestErrors.notChecked, message: 'this request was rejected: it does not match the policy', nonRetryable: true });
  };

  setHandler(statusQuery, () => s.snapshot());
  setHandler(roundsQuery, () => s.rounds.map((r) => r.snapshot()));
  setHandler(reconcileInfoQuery, () => ({
    grantId: input.grantId,
    requester: input.requester,
    role: { name: role.name, accountId: role.accountId, roleArn: role.roleArn, executionRoleArn: role.executionRoleArn, externalId: role.externalId, maxSessionDurationMs: role.maxSessionDurationMs },
    phase: s.phase,
    granted: s.grantedAtMs !== undefined,
    revocationVerified: s.status.revocation?.verified === true,
    sessions: [...s.status.sessions],
    ...(s.latestIssueMs !== undefined ? { latestIssuedAt: new Date(s.latestIssueMs).toISOString() } : {}),
  }));
  setHandler(credentialsIssuedSignal, (issue) => {
    // Recorded even while revoking: a lease granted before revocation may complete during the drain.
    if (s.phase === 'ended' || (hardened && !isCredentialIssue(issue))) return;
    s.recordCredentials(issue, Date.now(), input.requester);
    if (issue.delivered !== false) s.lastUseAtMs = Date.now();
  });
  setHandler(sessionOpenedSignal, (report) => {
    if (hardened && !isSessionReport(report)) return;
    const { sessionId, target } = report;
    const fresh = s.recordSession(sessionId, Date.now(), `${sessionId} on ${target}${hardened && !report.verified ? ' (unverified)' : ''}`);
    // Only a session the api verified with SSM counts as use (an unverified report cannot keep a grant alive).
    if (fresh && (!hardened || report.verified)) s.lastUseAtMs = Date.now();
  });
  setHandler(leaseReleasedSignal, (r) => {
    if (hardened && !isLeaseRelease(r)) return;
    s.leases.delete(r.leaseId);
  });
  setHandler(accessRefusedSignal, (r) => {
    if (hardened && !isAccessRefusal(r)) return;
    s.recordRefusal(r, Date.now());
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
    {
      validator: (req) => {
        if (hardened) assertPersonField(req, 'by');
        s.validateReserve(req.by, Date.now());
      },
    },
  );
  const decided = (round: ApprovalRound, duplicate: boolean): DecisionResult => ({
    accepted: true,
    duplicate,
    approvals: round.approvers.length,
    quorum: round.config.quorum,
    phase: s.phase,
    decided: !round.isOpen,
    round: round.config.id,
    roundKind: round.config.kind,
    roundState: round.state,
  });
  setHandler(
    approveUpdate,
    async (d) => {
      await untilChecked();
      const round = s.decisionRound(d.round);
      const fresh = round.approve(d.approver, new Date().toISOString(), d.comment);
      if (fresh) s.log(Date.now(), `${round.config.kind}-approved`, d.approver, d.comment);
      return decided(round, !fresh);
    },
    {
      validator: (d) => {
        if (hardened) assertDecisionShape(d, 'comment');
        s.validateApprove(d);
      },
    },
  );
  setHandler(
    denyUpdate,
    async (d) => {
      await untilChecked();
      const round = s.decisionRound(d.round);
      round.deny(d.approver, new Date().toISOString(), d.reason);
      s.log(Date.now(), `${round.config.kind}-denied`, d.approver, d.reason);
      return decided(round, false);
    },
    {
      validator: (d) => {
        if (hardened) assertDecisionShape(d, 'reason');
        s.validateDeny(d);
      },
    },
  );
  setHandler(
    extendUpdate,
    ({ byMs, reason }) => {
      const now = Date.now();
      const proposed = (s.plannedEndAtMs ?? now) + byMs;
      s.proposedEndAtMs = proposed;
      // The extension must be decided before the grant ends; otherwise it simply lapses.
      const round = s.openRound('extension', now, Math.min(now + role.approvalTimeoutMs, s.plannedEndAtMs ?? now));
      s.log(now, 'extension-requested', input.requester, reason);
      if (hardened) void notify(s, outbox, 'extension-requested');
      else void notifyActivities.notify({ kind: 'break-glass', event: 'extension-requested', subjectId: input.grantId, requester: input.requester, role: role.name, audience: role.approvers, severity: 'info' }).catch(() => undefined);
      return { pendingApproval: true, proposedEndAt: new Date(proposed).toISOString(), round: round.config.id };
    },
    {
      validator: (req) => {
        if (hardened) assertPersonField(req, 'requester');
        s.validateExtend(req);
      },
    },
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
    {
      validator: (req) => {
        if (hardened) assertPersonField(req, 'by');
        s.validateRevoke(req);
      },
    },
  );

  if (hardened) {
    // Every execution of this type is listed, whoever started it and however.
    upsertSearchAttributes({
      [SEARCH_ATTRIBUTES.kind]: ['break-glass'],
      [SEARCH_ATTRIBUTES.requester]: [input.requester],
      [SEARCH_ATTRIBUTES.role]: [role.name],
      [SEARCH_ATTRIBUTES.account]: [role.accountId],
    });
    // The input is only as trustworthy as whoever could start this workflow: the worker's own policy
    // decides whether it may run at all, before any approval, notification or grant.
    // A drill request is only ever started by its fire drill: the check is told who started it.
    const parentWorkflowId = input.via === 'drill' ? { parentWorkflowId: workflowInfo().parent?.workflowId ?? '' } : {};
    const verdict = await checkActivities.checkBreakGlassRequest({ input, workflowId: workflowInfo().workflowId, ...parentWorkflowId });
    if (!verdict.accepted) {
      s.inputCheck = 'rejected';
      s.outcome = 'rejected-invalid';
      s.log(Date.now(), 'rejected-invalid', undefined, verdict.problems.join('; ').slice(0, 1000));
      await notifySecurity(s, outbox, 'rejected-invalid', `request does not match the policy: ${verdict.problems.join('; ').slice(0, 500)}`);
      return await finish(s, outbox, undefined, undefined);
    }
    s.inputCheck = 'accepted';
  }

  let granted = false;
  let lagFromMs: number | undefined;
  let revocation: RevocationReceipt | undefined;
  let cancelled = false;

  try {
    if (role.mode === 'approval') {
      const decision = await awaitGrantDecision(s, outbox);
      if (decision !== 'approved') {
        s.outcome = decision;
        if (decision === 'cancelled') s.endReason = 'cancelled';
        s.log(Date.now(), decision === 'denied' ? 'denied' : decision === 'cancelled' ? 'withdrawn' : 'approval-expired');
        return await finish(s, outbox, undefined, undefined);
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
      await notifySecurity(s, outbox, 'grant-failed', errorMessage(err));
      return await finish(s, outbox, undefined, undefined);
    }
    granted = true;
    const grantedAt = Date.now();
    s.grantedAtMs = grantedAt;
    s.plannedEndAtMs = grantedAt + input.durationMs;
    s.phase = 'active';
    s.log(grantedAt, 'granted', undefined, `until ${new Date(s.plannedEndAtMs).toISOString()}`);
    await notify(s, outbox, 'granted');
    if (input.via === 'drill') tellDrill(grantedAt);

    if (role.mode === 'post-hoc') {
      s.openRound('ratification', grantedAt, grantedAt + (role.ratificationDeadlineMs ?? role.approvalTimeoutMs));
      await notify(s, outbox, 'ratification-needed');
    }

    const ending = await awaitEnd(s, outbox);
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
  let res: BreakGlassResult | undefined;
  await CancellationScope.nonCancellable(async () => {
    if (granted) {
      revocation = hardened ? await revoke(s, outbox) : await revokeLegacy(s);
      s.outcome = 'revoked';
      // DESIGN.md §5: a post-hoc grant that is not ratified is revoked *and security is paged*.
      if (s.endReason === 'ratification-rejected' || s.endReason === 'ratification-timeout') {
        await notifySecurity(s, outbox, s.endReason, s.endReason === 'ratification-rejected' ? 'post-hoc grant rejected by an approver; access revoked' : 'post-hoc grant not ratified before the deadline; access revoked');
      }
    } else {
      s.outcome = 'cancelled';
    }
    res = await finish(s, outbox, revocation, lagFromMs);
  });
  if (cancelled) throw ApplicationFailure.create({ type: 'Cancelled', message: 'break-glass request cancelled; access was revoked', nonRetryable: true });
  return res ?? result(s, lagFromMs);
}

/** A drill request tells its fire drill the grant is active, so the drill's probe starts at once.
 * Only drill runs reach this (`via: 'drill'`), so older histories replay without the signal. */
function tellDrill(grantedAtMs: number): void {
  const parent = workflowInfo().parent;
  if (!parent) return;
  const arg = { grantId: workflowInfo().workflowId, grantedAt: new Date(grantedAtMs).toISOString() };
  void getExternalWorkflowHandle(parent.workflowId, parent.runId)
    .signal(drillGrantActiveSignal, arg)
    .catch((err: unknown) => log.warn('could not tell the fire drill its grant is active', { error: errorMessage(err) }));
}

/** Waits for the grant round to be decided; reminders go out while it is open. */
async function awaitGrantDecision(s: BreakGlassState, outbox: Outbox): Promise<Outcome | 'approved'> {
  const role = s.input.role;
  const round = s.grantRound ?? s.openRound('grant', Date.now(), Date.now() + role.approvalTimeoutMs);
  await notify(s, outbox, 'approval-needed');
  const decided = await awaitDecision(round, {
    reminderEveryMs: role.reminderIntervalMs,
    interrupted: () => s.revokeRequest !== undefined,
    // Quorum progress (1 of 2…) is shown on the approval card.
    onEvent: (moment) => notify(s, outbox, moment === 'progress' ? 'approval-progress' : 'approval-reminder'),
  });
  if (decided === 'approved') return 'approved';
  if (decided === 'denied') {
    await notify(s, outbox, 'denied');
    return 'denied';
  }
  if (decided === 'interrupted') return 'cancelled';
  await notify(s, outbox, 'approval-expired');
  return 'expired-unapproved';
}

/** Holds the grant open until expiry, revoke, or a failed ratification; applies extensions. */
async function awaitEnd(s: BreakGlassState, outbox: Outbox): Promise<{ reason: EndReason; atMs: number }> {
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
      await notify(s, outbox, 'ratified');
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
        await notify(s, outbox, 'extended');
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
      await notify(s, outbox, 'expiry-warning');
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

/** DESIGN.md §4 steps 1–4 (step 5, removing the statement later, is the role writer's job). */
async function revoke(s: BreakGlassState, outbox: Outbox): Promise<RevocationReceipt> {
  s.phase = 'revoking'; // step 1: vending stops as soon as the phase leaves 'active'
  // Credentials whose lease was granted before now may still be minted; wait for them (bounded by
  // the lease length) so the cut-off covers them too. The api discards credentials whose AssumeRole
  // answered after the lease expired, and any issue recorded at or after the cut-off moves it.
  if (s.openLeases(Date.now()) > 0) {
    const latest = Math.max(...s.leases.values());
    await condition(() => s.openLeases(Date.now()) === 0, Math.max(1, latest - Date.now()));
  }
  s.log(Date.now(), 'revoking', s.revokeRequest?.by, s.endReason);
  const firstCutoff = Math.max(Date.now(), s.latestIssueMs ?? 0) + 1000;
  const receipt = await revokeUntilVerified(s.input, {
    log: (event, detail) => s.log(Date.now(), event, undefined, detail),
    page: (event, detail) => notifySecurity(s, outbox, event, detail),
    issuedAtOrAfter: (cutoffMs) => s.issuedAtOrAfter(cutoffMs),
    sessionsTerminated: (ids) => ids.forEach((id) => s.recordSession(id)),
  }, firstCutoff);
  s.status.revocation = receipt;
  return receipt;
}

/** The revocation of runs recorded before the trust hardening: a deny policy per grant. */
async function revokeLegacy(s: BreakGlassState): Promise<RevocationReceipt> {
  const role = s.input.role;
  s.phase = 'revoking';
  if (s.openLeases(Date.now()) > 0) {
    const latest = Math.max(...s.leases.values());
    await condition(() => s.openLeases(Date.now()) === 0, Math.max(1, latest - Date.now()));
  }
  const tokensIssuedBefore = new Date(Date.now() + 1000).toISOString();
  s.log(Date.now(), 'revoking', s.revokeRequest?.by, s.endReason);
  const target = { grantId: s.input.grantId, requester: s.input.requester, roleArn: role.roleArn, accountId: role.accountId, executionRoleArn: role.executionRoleArn, externalId: role.externalId, tokensIssuedBefore };
  let terminated: string[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await legacyRevocationActivities.applyRevocation(target);
      const ended = await legacyRevocationActivities.terminateGrantSessions({ ...target, knownSessionIds: s.status.sessions });
      terminated = [...new Set([...terminated, ...ended.terminated])];
      for (const id of ended.terminated) s.recordSession(id);
      const check = await legacyRevocationActivities.verifyRevocation(target);
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
        try {
          await startChild(revocationCleanupWorkflow, {
            workflowId: `${workflowInfo().workflowId}-cleanup`,
            parentClosePolicy: ParentClosePolicy.ABANDON,
            args: [{ accountId: role.accountId, executionRoleArn: role.executionRoleArn, externalId: role.externalId, roleArn: role.roleArn, policyName: applied.policyName, waitMs: role.maxSessionDurationMs }],
          });
        } catch (err) {
          log.warn('could not schedule deny statement removal', { error: errorMessage(err) });
        }
        return receipt;
      }
      s.log(Date.now(), 'revocation-unverified', undefined, `attempt ${attempt}`);
    } catch (err) {
      s.log(Date.now(), 'revocation-attempt-failed', undefined, `attempt ${attempt}: ${errorMessage(err)}`);
    }
    if (attempt === REVOCATION_ALERT_AFTER) await notifySecurityLegacy(s, 'revocation-not-verified', `not verified after ${attempt} attempts; still retrying`);
    await sleep(Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6)));
  }
}

async function finish(s: BreakGlassState, outbox: Outbox, revocation: RevocationReceipt | undefined, lagFromMs: number | undefined): Promise<BreakGlassResult> {
  s.phase = 'ended';
  s.status.actualEndAt = new Date(Date.now()).toISOString();
  if (revocation) s.status.revocation = revocation;
  s.log(Date.now(), `ended:${s.outcome ?? 'unknown'}`);
  upsertSearchAttributes({ [SEARCH_ATTRIBUTES.outcome]: [s.outcome ?? 'unknown'] });
  const res = result(s, lagFromMs);
  const info = workflowInfo();
  try {
    await evidenceActivities.recordEvidence({
      id: `${info.workflowId}/${info.runId}`,
      kind: 'break-glass',
      record: { workflowId: info.workflowId, runId: info.runId, ...res.status, revocationLagMs: res.revocationLagMs ?? null },
    });
    if (s.hardened) res.evidenceWritten = true;
  } catch (err) {
    // The store refusing or failing must not hold the workflow (and its revocation record) hostage.
    res.evidenceWritten = false;
    await notifySecurity(s, outbox, 'evidence-not-written', `the evidence record could not be written: ${errorMessage(err)}`);
  }
  await notify(s, outbox, 'ended');
  if (s.hardened) await outbox.flush(NOTIFY_DRAIN_MS);
  // Let in-flight Update handlers reply before the workflow completes.
  await condition(allHandlersFinished);
  return res;
}

/** A start whose input is not even well-formed (a forged or unencrypted payload): nothing is granted,
 * the run is listed, security is paged and the attempt leaves an evidence record. */
async function rejectMalformed(problems: string[]): Promise<BreakGlassResult> {
  const info = workflowInfo();
  const detail = problems.join('; ').slice(0, 500);
  const now = new Date().toISOString();
  const status: BreakGlassStatus = {
    grantId: info.workflowId, requester: '-', role: '-', roleArn: '-', accountId: '-', mode: 'approval', phase: 'ended', outcome: 'rejected-invalid',
    reason: '-', requestedAt: now, actualEndAt: now, durationMs: 0, credentials: [], sessions: [], timeline: [{ at: now, event: 'rejected-invalid', detail }],
  };
  setHandler(statusQuery, () => status);
  upsertSearchAttributes({ [SEARCH_ATTRIBUTES.kind]: ['break-glass'], [SEARCH_ATTRIBUTES.outcome]: ['rejected-invalid'] });
  try {
    await notifyActivities.notify({ kind: 'break-glass', event: 'rejected-invalid', subjectId: info.workflowId, requester: '-', role: '-', audience: [], detail: `malformed break-glass start: ${detail}`, severity: 'page' });
  } catch (err) {
    log.error('security page failed', { error: errorMessage(err) });
  }
  let evidenceWritten = true;
  try {
    await evidenceActivities.recordEvidence({ id: `${info.workflowId}/${info.runId}`, kind: 'break-glass', record: { workflowId: info.workflowId, runId: info.runId, outcome: 'rejected-invalid', problems } });
  } catch {
    evidenceWritten = false;
  }
  return { status, evidenceWritten };
}

function result(s: BreakGlassState, lagFromMs: number | undefined): BreakGlassResult {
  const status = s.snapshot();
  const verifiedAt = status.revocation?.verified ? Date.parse(status.revocation.checkedAt) : undefined;
  return lagFromMs !== undefined && verifiedAt !== undefined ? { status, revocationLagMs: Math.max(0, verifiedAt - lagFromMs) } : { status };
}

function notifyInput(s: BreakGlassState, event: string): BreakGlassNotification {
  const st = s.snapshot();
  const { timeline: _t, credentials: _c, ...view } = st;
  return {
    kind: 'break-glass',
    view,
    security: s.input.role.security,
    ...(s.cardRef ? { cardRef: s.cardRef } : {}),
    event,
    subjectId: st.grantId,
    severity: 'info',
    requester: st.requester,
    role: st.role,
    audience: s.input.role.approvers,
    phase: st.phase,
    ...(st.plannedEndAt !== undefined ? { plannedEndAt: st.plannedEndAt } : {}),
    ...(st.outcome !== undefined ? { outcome: st.outcome } : {}),
  };
}

/** Tells people (Slack, the log). Hardened runs queue it; old runs replay their in-line wait. */
async function notify(s: BreakGlassState, outbox: Outbox, event: string): Promise<void> {
  if (s.hardened) return outbox.push(notifyInput(s, event));
  try {
    const r = await notifyActivities.notify(notifyInput(s, event));
    if (r?.cardRef) s.cardRef = r.cardRef;
  } catch (err) {
    // A notification channel being down must never hold up approval or revocation.
    log.warn('notification failed', { event, error: errorMessage(err) });
  }
}

/** Pages security; in hardened runs every page is also on the timeline (and so in the evidence). */
async function notifySecurity(s: BreakGlassState, outbox: Outbox, event: string, detail: string): Promise<void> {
  if (!s.hardened) return notifySecurityLegacy(s, event, detail);
  s.log(Date.now(), 'security-paged', undefined, `${event}: ${detail}`.slice(0, 1000));
  outbox.push(securityPage(s, event, detail));
}

function securityPage(s: BreakGlassState, event: string, detail: string): BreakGlassNotification {
  return { kind: 'break-glass', event, subjectId: s.input.grantId, requester: s.input.requester, role: s.input.role.name, audience: s.input.role.security, phase: s.phase, detail, severity: 'page' };
}

async function notifySecurityLegacy(s: BreakGlassState, event: string, detail: string): Promise<void> {
  try {
    await notifyActivities.notify(securityPage(s, event, detail));
  } catch (err) {
    log.error('security page failed', { error: errorMessage(err) });
  }
}
