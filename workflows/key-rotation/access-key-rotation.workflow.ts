// accessKeyRotation: replaces a service user's IAM access key without breaking its consumers.
// precheck (2-key limit) → create + store (secret never leaves the activity) → verify with STS →
// promote in the store → wait until consumers stop using the old key for the grace period →
// deactivate → observe (a use of the inactive key means a consumer was missed: reactivate, page,
// stop) → delete (after an approval when the policy asks) → evidence. Rollbacks run in
// non-cancellable scopes, as revocation does: a cancel never leaves a half-rotated user behind.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { ApprovalRound } from '../shared/approval/gate';
import { awaitDecision } from '../shared/approval/await-decision';
import { handleSingleRound } from '../shared/approval/single-round';
import type { RunRecord } from '../shared/run-record';
import { RunbookRun, errorMessage } from '../shared/runbook-run';
import { precheck } from './precheck';
import { rejectMalformedRotation, rotationInputProblems } from './input-shape';
import type { AccessKeyFacts, PrecheckDecision, PrecheckFinding } from './precheck';
import { DEFAULT_POLL_INTERVAL_MS, DELETE_ROUND, MAX_POLL_INTERVAL_MS, rotationStatusQuery } from './definitions';
import type { AccessKeyRotationInput, AccessKeyRotationOutcome, RotationResult, RotationStatus } from './definitions';

const aws = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});
/** Create + store: a heartbeat timeout so a stuck attempt is abandoned before its retry runs. */
const createKey = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});
/** Verify: the activity itself waits out IAM's eventual consistency; three tries, then roll back. */
const verify = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '5s', maximumAttempts: 3 },
});
/** Rollback steps retry until they succeed: a half-rotated user is worse than a slow rollback. */
const rollback = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m' },
});

const STEPS = ['precheck', 'create and store new key', 'verify new key', 'switch consumers', 'deactivate old key', 'observe old key', 'delete old key'] as const;

class Run {
  readonly run: RunbookRun;
  oldKey?: AccessKeyFacts;
  newKeyId?: string;
  finding?: PrecheckFinding;
  deleteRound?: ApprovalRound;

  constructor(readonly input: AccessKeyRotationInput) {
    const t = input.target;
    this.run = new RunbookRun({ kind: 'access-key-rotation', title: 'Access-key rotation', target: t.name, accountId: t.accountId, requestedBy: input.requestedBy, security: input.security, ...(input.channel ? { channel: input.channel } : {}), steps: STEPS, rounds: () => this.rounds() });
    this.record.fact('User', t.userName);
    this.record.fact('Store', t.store.type === 'ssm-parameter' ? `SSM ${t.store.name}` : `Secrets Manager ${t.store.secretId}`);
  }

  get record(): RunRecord {
    return this.run.record;
  }

  rounds() {
    return this.deleteRound ? [this.deleteRound.snapshot()] : [];
  }

  status(): RotationStatus {
    return {
      workflowId: workflowInfo().workflowId,
      kind: 'access-key-rotation',
      target: this.input.target.name,
      requestedBy: this.input.requestedBy,
      view: this.record.view(this.rounds()),
      timeline: [...this.record.timeline],
      ...(this.oldKey ? { oldAccessKeyId: this.oldKey.accessKeyId } : {}),
      ...(this.newKeyId ? { newAccessKeyId: this.newKeyId } : {}),
      ...(this.finding ? { finding: this.finding } : {}),
      rounds: this.rounds(),
    };
  }

  notify(event: string, opts: { page?: boolean; detail?: string; audience?: string[] } = {}): void {
    this.run.notify(event, opts);
  }
}

export async function accessKeyRotationWorkflow(input: AccessKeyRotationInput): Promise<RotationResult> {
  const problems = rotationInputProblems('access-key-rotation', input);
  if (problems.length > 0) return rejectMalformedRotation('access-key-rotation', workflowInfo().workflowId, problems);
  const run = new Run(input);
  const pollMs = Math.min(Math.max(input.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, 1_000), MAX_POLL_INTERVAL_MS);
  setHandler(rotationStatusQuery, () => run.status());
  handleSingleRound({ roundId: DELETE_ROUND, round: () => run.deleteRound, record: run.record, what: 'rotation', logAs: 'delete-approval' });
  run.record.log(Date.now(), 'started', input.force ? 'forced' : undefined, input.requestedBy);

  let outcome: AccessKeyRotationOutcome;
  try {
    outcome = await rotate(run, pollMs);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    outcome = 'cancelled';
    await CancellationScope.nonCancellable(() => undoAfterCancel(run));
  }
  return CancellationScope.nonCancellable(() => finish(run, outcome));
}

async function rotate(run: Run, pollMs: number): Promise<AccessKeyRotationOutcome> {
  const { input } = run;
  const t = input.target;

  // 1. Precheck: the target is the policy's (a forged start rotates nothing); the one key the store
  // holds is the one replaced; an old inactive key makes room.
  run.record.step(Date.now(), 'precheck', 'running');
  run.notify('started');
  const verdict = await aws.checkRotationRequest({ kind: 'access-key-rotation', target: t });
  if (!verdict.accepted) {
    run.record.step(Date.now(), 'precheck', 'failed', `not the policy's target: ${verdict.problems.join('; ')}`);
    run.notify('rejected-invalid', { page: true, detail: `rotation input does not match the policy: ${verdict.problems.join('; ').slice(0, 500)}` });
    return 'rejected-invalid';
  }
  let decision: PrecheckDecision | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const seen = await aws.inspectAccessKeys(t);
    decision = precheck(seen.keys, seen.storedAccessKeyId);
    if (decision.action !== 'delete-inactive-first') break;
    await aws.deleteAccessKey({ target: t, accessKeyId: decision.keyId });
    run.record.log(Date.now(), 'deleted-inactive-key', decision.keyId);
  }
  if (!decision) throw ApplicationFailure.nonRetryable('precheck did not run', 'PrecheckUnsettled');
  if (decision.action === 'stop') {
    run.finding = decision.finding;
    run.record.step(Date.now(), 'precheck', 'failed', `${decision.finding.code}: ${decision.finding.message}`);
    run.notify('stopped', { page: true, detail: decision.finding.message });
    return 'stopped';
  }
  if (decision.action !== 'proceed') throw ApplicationFailure.nonRetryable('precheck did not settle after deleting inactive keys', 'PrecheckUnsettled');
  const old = decision.old;
  run.oldKey = old;
  run.record.fact('Old key', old.accessKeyId);
  const ageMs = Date.now() - Date.parse(old.createdAt);
  if (!input.force && ageMs < t.maxAgeMs) {
    run.record.step(Date.now(), 'precheck', 'done', `key ${old.accessKeyId} is ${Math.floor(ageMs / 86_400_000)} days old; rotation due at ${Math.round(t.maxAgeMs / 86_400_000)} days`);
    return 'not-due';
  }
  run.record.step(Date.now(), 'precheck', 'done', `old key ${old.accessKeyId}`);

  // 2. Create the new key and store its secret, in one activity (idempotent by rotation id).
  const rotationId = workflowInfo().workflowId;
  run.record.step(Date.now(), 'create and store new key', 'running');
  const created = await createKey.createAndStoreAccessKey({ target: t, rotationId, oldAccessKeyId: old.accessKeyId });
  run.newKeyId = created.accessKeyId;
  run.record.fact('New key', created.accessKeyId);
  run.record.step(Date.now(), 'create and store new key', 'done', created.accessKeyId);

  // 3. Verify with STS; a key that never works is rolled back (store restored, key deleted).
  run.record.step(Date.now(), 'verify new key', 'running');
  try {
    const v = await verify.verifyAccessKey({ target: t, accessKeyId: created.accessKeyId });
    await aws.promoteStoredKey({ target: t, accessKeyId: created.accessKeyId, rotationId });
    run.record.step(Date.now(), 'verify new key', 'done', `works as ${v.arn}`);
  } catch (err) {
    if (isCancellation(err)) throw err;
    run.record.step(Date.now(), 'verify new key', 'failed', errorMessage(err));
    await CancellationScope.nonCancellable(() => rollBackNewKey(run));
    run.notify('rolled-back', { page: true, detail: `the new key did not work (${errorMessage(err)}); the store and the old key are as before` });
    return 'rolled-back';
  }

  // 4. Consumers switch: the old key shows no use since the switch for the grace period.
  const switchedAtMs = Date.now();
  run.record.step(switchedAtMs, 'switch consumers', 'running', `waiting for ${formatMs(t.gracePeriodMs)} without use of ${old.accessKeyId}`);
  run.notify('switching');
  const switched = await waitForSwitch(run, switchedAtMs, pollMs);
  if (!switched) {
    run.record.step(Date.now(), 'switch consumers', 'failed', `${old.accessKeyId} still in use after ${formatMs(t.switchTimeoutMs)}`);
    run.notify('consumers-not-switched', { page: true, detail: `a consumer still uses ${old.accessKeyId} ${formatMs(t.switchTimeoutMs)} after the switch; both keys stay active until someone moves it` });
    return 'consumers-not-switched';
  }
  run.record.step(Date.now(), 'switch consumers', 'done', `${old.accessKeyId} unused for ${formatMs(t.gracePeriodMs)}`);

  // 5. Deactivate, then 6. observe: a use of the inactive key means a consumer was missed.
  run.record.step(Date.now(), 'deactivate old key', 'running');
  await aws.setAccessKeyStatus({ target: t, accessKeyId: old.accessKeyId, status: 'Inactive' });
  const deactivatedAtMs = Date.now();
  run.record.step(deactivatedAtMs, 'deactivate old key', 'done', old.accessKeyId);
  run.record.step(Date.now(), 'observe old key', 'running', `watching ${old.accessKeyId} for ${formatMs(t.observePeriodMs)}`);
  const missed = await observeInactive(run, deactivatedAtMs, pollMs);
  if (missed) {
    await CancellationScope.nonCancellable(() => rollback.setAccessKeyStatus({ target: t, accessKeyId: old.accessKeyId, status: 'Active' }));
    run.record.step(Date.now(), 'observe old key', 'failed', `used at ${missed} after deactivation; reactivated`);
    run.notify('consumer-missed', { page: true, detail: `${old.accessKeyId} was used at ${missed} after it was deactivated: a consumer was missed. The key is active again; move the consumer to the store, then rotate again.` });
    return 'consumer-missed';
  }
  run.record.step(Date.now(), 'observe old key', 'done', 'no use');

  // 7. Delete (after approval when the policy asks).
  if (t.deleteApproval) {
    const now = Date.now();
    run.deleteRound = new ApprovalRound({
      id: DELETE_ROUND,
      kind: DELETE_ROUND,
      scope: 'rotation',
      requester: input.requestedBy,
      eligible: t.deleteApproval.eligible,
      quorum: t.deleteApproval.quorum,
      openedAt: new Date(now).toISOString(),
      deadlineAt: new Date(now + t.deleteApproval.timeoutMs).toISOString(),
    });
    run.record.step(now, 'delete old key', 'running', `waiting for ${t.deleteApproval.quorum} approval(s)`);
    run.notify('delete-approval-needed', { audience: t.deleteApproval.eligible });
    const decided = await awaitDecision(run.deleteRound, {
      reminderEveryMs: Math.max(60_000, Math.floor(t.deleteApproval.timeoutMs / 3)),
      onEvent: async (moment) => run.notify(moment === 'progress' ? 'delete-approval-progress' : 'delete-approval-reminder', { audience: t.deleteApproval!.eligible }),
    });
    if (decided !== 'approved') {
      const why = decided === 'denied' ? `denied by ${run.deleteRound.snapshot().denial?.by ?? 'an approver'}` : 'no decision before the deadline';
      run.record.step(Date.now(), 'delete old key', 'skipped', `${why}; ${old.accessKeyId} stays inactive`);
      if (decided === 'expired') run.notify('delete-approval-expired', { page: true, detail: `nobody approved deleting ${old.accessKeyId}; it stays inactive` });
      return decided === 'denied' ? 'old-key-kept' : 'delete-not-approved';
    }
  }
  await aws.deleteAccessKey({ target: t, accessKeyId: old.accessKeyId });
  run.record.step(Date.now(), 'delete old key', 'done', old.accessKeyId);
  return 'rotated';
}

/** True once the old key has shown no use for the grace period after the switch; false at the switch timeout. */
async function waitForSwitch(run: Run, switchedAtMs: number, pollMs: number): Promise<boolean> {
  const t = run.input.target;
  const old = run.oldKey!;
  const deadline = switchedAtMs + t.switchTimeoutMs;
  let lastUseMs = switchedAtMs;
  for (;;) {
    const used = await aws.accessKeyLastUsed({ target: t, accessKeyId: old.accessKeyId });
    const usedMs = used.lastUsedAt ? Date.parse(used.lastUsedAt) : undefined;
    if (usedMs !== undefined && usedMs > lastUseMs) {
      lastUseMs = usedMs;
      run.record.fact('Old key last used', used.lastUsedAt!);
    }
    if (Date.now() - lastUseMs >= t.gracePeriodMs) return true;
    if (Date.now() >= deadline) return false;
    await sleepMs(Math.min(pollMs, Math.max(1, deadline - Date.now())));
  }
}

/** The time the inactive key was used after deactivation, or undefined after the observe period. */
async function observeInactive(run: Run, deactivatedAtMs: number, pollMs: number): Promise<string | undefined> {
  const t = run.input.target;
  const old = run.oldKey!;
  const until = deactivatedAtMs + t.observePeriodMs;
  for (;;) {
    const used = await aws.accessKeyUsedSince({ target: t, accessKeyId: old.accessKeyId, since: new Date(deactivatedAtMs).toISOString() });
    if (used.usedAt) return used.usedAt;
    if (Date.now() >= until) return undefined;
    await sleepMs(Math.min(pollMs, Math.max(1, until - Date.now())));
  }
}

/** The new key did not work: consumers get the old key back from the store, the new key goes. */
async function rollBackNewKey(run: Run): Promise<void> {
  const t = run.input.target;
  await rollback.restorePreviousStoredKey({ target: t, oldAccessKeyId: run.oldKey!.accessKeyId });
  if (run.newKeyId) await rollback.deleteAccessKey({ target: t, accessKeyId: run.newKeyId });
  run.record.log(Date.now(), 'rolled-back', `store holds ${run.oldKey!.accessKeyId} again; ${run.newKeyId ?? 'no new key'} deleted`);
}

/** A cancel: nothing half-done stays. Before verification the new key is undone; after
 * deactivation the old key is active again (its consumers may not all have switched). */
async function undoAfterCancel(run: Run): Promise<void> {
  const t = run.input.target;
  const stepState = (name: (typeof STEPS)[number]) => run.record.steps.find((s) => s.name === name)?.state;
  if (run.newKeyId && stepState('verify new key') !== 'done') await rollBackNewKey(run);
  else if (run.oldKey && stepState('deactivate old key') === 'done' && stepState('delete old key') !== 'done') {
    await rollback.setAccessKeyStatus({ target: t, accessKeyId: run.oldKey.accessKeyId, status: 'Active' });
    run.record.log(Date.now(), 'reactivated-old-key', run.oldKey.accessKeyId);
  }
  run.notify('cancelled', { page: true, detail: 'the rotation was cancelled; see the timeline for what was undone' });
}

async function finish(run: Run, outcome: AccessKeyRotationOutcome): Promise<RotationResult> {
  const t = run.input.target;
  const evidenceWritten = await run.run.finish(
    outcome,
    (ids) => {
      const st = run.status();
      return {
        ...ids,
        target: st.target,
        userName: t.userName,
        accountId: t.accountId,
        requestedBy: run.input.requestedBy,
        outcome,
        oldAccessKeyId: st.oldAccessKeyId ?? null,
        newAccessKeyId: st.newAccessKeyId ?? null,
        startedAt: st.view.startedAt,
        endedAt: st.view.endedAt ?? new Date(Date.now()).toISOString(),
        steps: st.view.steps,
        rounds: st.rounds,
        ...(st.finding ? { finding: st.finding } : {}),
        timeline: st.timeline,
      };
    },
    outcome === 'rotated' || outcome === 'not-due',
  );
  return { status: run.status(), outcome, evidenceWritten };
}

async function sleepMs(ms: number): Promise<void> {
  await condition(() => false, ms);
}

function formatMs(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}
