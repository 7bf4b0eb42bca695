// breakGlassDrill: a fire drill of the emergency access procedure (DESIGN.md §2, §5). It requests a
// drill role (trusted like a break-glass role, with no permissions) through the real break-glass
// workflow, as a child marked DRILL; the rehearsed role's real approvers approve it like any request;
// the drill then uses the grant once exactly as a person would, revokes it and waits for the verified
// revocation. Time to approve, time to grant and revocation lag are scored against the policy's
// targets. Nobody answering is a finding told to security, not a page.
import {
  CancellationScope,
  ParentClosePolicy,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { ChildWorkflowHandle } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { breakGlassWorkflow } from '../break-glass/break-glass.workflow';
import type { BreakGlassInput, BreakGlassResult, RevocationReceipt } from '../break-glass/definitions';
import { RunbookRun, errorMessage } from '../shared/runbook-run';
import { commonInputProblems, isMs, isPeople, isRec, isStr, rejectMalformedRun } from '../shared/start-input';
import { FIRE_DRILL_REQUESTER, drillGrantActiveSignal, drillGrantId, fireDrillStatusQuery } from './definitions';
import type { FireDrillInput, FireDrillOutcome, FireDrillProbe, FireDrillResult, FireDrillScores, FireDrillStatus } from './definitions';

const checks = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: 5 },
});
// The probe is one use of a short grant: a few quick tries (AWS hiccups, an expired lease), then it failed.
const probes = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
});
// Revoking must get through; if it never does, the drill grant still ends at its planned end.
const revokes = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
});

const STEPS = ['check policy', 'request', 'approval', 'use grant', 'revoke', 'verify revocation'] as const;
type Step = (typeof STEPS)[number];

export async function breakGlassDrillWorkflow(input: FireDrillInput): Promise<FireDrillResult> {
  const problems = drillInputProblems(input);
  if (problems.length > 0) return rejectMalformedFireDrill(workflowInfo().workflowId, problems);
  const info = workflowInfo();
  const d = input.drill;
  const run = new RunbookRun({
    kind: 'break-glass-drill',
    title: 'DRILL — break-glass fire drill',
    target: d.name,
    accountId: d.role.accountId,
    requestedBy: input.requestedBy,
    security: input.security,
    ...(input.channel ? { channel: input.channel } : {}),
    steps: STEPS,
  });
  const record = run.record;
  const grantId = drillGrantId(d.role.name, info.workflowId);
  record.fact('Rehearses', d.rehearses);
  record.fact('Drill role', d.role.roleArn);
  record.fact('Approvers', `${d.role.quorum} of ${d.role.approvers.join(', ')}`);

  const scores: FireDrillScores = { timeToApproveMs: null, timeToGrantMs: null, revocationLagMs: null };
  const missed: string[] = [];
  let outcome: FireDrillOutcome | undefined;
  let probe: FireDrillProbe | undefined;
  let revocation: RevocationReceipt | undefined;
  let grantStarted = false;
  let grantActive = false;
  const status = (): FireDrillStatus => ({
    workflowId: info.workflowId,
    drill: d.name,
    rehearses: d.rehearses,
    requestedBy: input.requestedBy,
    ...(grantStarted ? { grantWorkflowId: grantId } : {}),
    view: record.view(),
    timeline: [...record.timeline],
    scores: { ...scores },
    targets: { ...input.targets },
    missed: [...missed],
    ...(probe ? { probe } : {}),
    ...(revocation ? { revocation } : {}),
    ...(outcome ? { outcome } : {}),
  });
  setHandler(fireDrillStatusQuery, status);
  setHandler(drillGrantActiveSignal, (s) => {
    if (s.grantId === grantId) grantActive = true;
  });

  let current: Step = 'check policy';
  const step = (name: Step, state: 'running' | 'done' | 'failed' | 'skipped', detail?: string): void => {
    current = name;
    record.step(Date.now(), name, state, detail);
  };
  record.log(Date.now(), 'started', undefined, input.requestedBy);

  let child: ChildWorkflowHandle<typeof breakGlassWorkflow> | undefined;
  let grant: BreakGlassResult | undefined;
  let grantError: unknown;
  let firstUseAtMs: number | undefined;
  let revokeAtMs: number | undefined;
  let page: string | undefined;

  try {
    step('check policy', 'running');
    const verdict = await checks.checkFireDrillRequest({ input, workflowId: info.workflowId });
    if (!verdict.accepted) throw new Rejected(verdict.problems.join('; '));
    step('check policy', 'done');

    step('request', 'running');
    const request: BreakGlassInput = {
      grantId,
      requester: FIRE_DRILL_REQUESTER,
      role: d.role,
      durationMs: d.durationMs,
      reason: `DRILL: break-glass fire drill "${d.name}" of ${d.rehearses}. Approve or deny as you would a real request; the drill role has no permissions and is revoked after one use.`,
      via: 'drill',
    };
    // REQUEST_CANCEL, not the default TERMINATE: a terminated grant would skip its own revocation.
    child = await startChild(breakGlassWorkflow, { workflowId: grantId, args: [request], parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL });
    grantStarted = true;
    void child.result().then(
      (r) => void (grant = r),
      (err: unknown) => void (grantError = err),
    );
    record.fact('Break-glass request', grantId);
    step('request', 'done', grantId);
    step('approval', 'running', `approve ${grantId} within ${minutes(d.role.approvalTimeoutMs)}`);
    run.notify('started', { detail: `approvers asked to approve ${grantId}` });

    await condition(() => grantActive || grant !== undefined || grantError !== undefined);
    if (!grantActive) {
      // The request ended without a grant: denied, unanswered, refused or failed.
      const ended = grant?.status.outcome;
      if (ended === 'expired-unapproved') {
        outcome = 'unanswered';
        step('approval', 'failed', `nobody approved within ${minutes(d.role.approvalTimeoutMs)}`);
      } else if (ended === 'denied') {
        outcome = 'denied';
        step('approval', 'failed', `denied by ${grant?.status.approval?.denial?.by ?? 'an approver'}: ${grant?.status.approval?.denial?.reason ?? ''}`);
      } else if (ended === 'rejected-invalid') {
        throw new Rejected('the drill request was rejected by the worker\'s policy check');
      } else if (ended === 'cancelled') {
        outcome = 'cancelled';
        step('approval', 'failed', 'the drill request was withdrawn');
      } else {
        throw new DrillFailure(ended === 'grant-failed' ? 'the drill role could not be granted' : `the drill request ended without a grant (${ended ?? errorMessage(grantError)})`);
      }
    } else {
      step('approval', 'done');
      step('use grant', 'running');
      try {
        probe = await probes.probeDrillGrant({ grantId });
        firstUseAtMs = Date.now();
        record.fact('Used as', probe.callerArn);
        step('use grant', 'done', `credentials ${probe.accessKeyId} work: ${probe.callerArn}`);
      } catch (err) {
        if (isCancellation(err)) throw err;
        page = `the drill grant could not be used: ${errorMessage(err)}`;
        step('use grant', 'failed', errorMessage(err));
      }
    }
  } catch (err) {
    if (isCancellation(err)) {
      outcome = 'cancelled';
      record.log(Date.now(), 'cancelled');
    } else if (err instanceof Rejected) {
      outcome = 'rejected-invalid';
      record.step(Date.now(), current, 'failed', `does not match the policy: ${err.message}`);
      page = `fire drill input does not match the policy: ${err.message.slice(0, 500)}`;
    } else {
      outcome = 'failed';
      const s = record.steps.find((x) => x.name === current);
      if (s && s.state === 'running') record.step(Date.now(), current, 'failed', errorMessage(err));
      page = `${current}: ${errorMessage(err)}`;
    }
  }

  // Revocation and the wait for its receipt run even if the drill is cancelled.
  return CancellationScope.nonCancellable(async () => {
    if (child && grant === undefined && grantError === undefined) {
      if (grantActive) {
        step('revoke', 'running');
        revokeAtMs = Date.now();
        try {
          await revokes.revokeDrillGrant({ grantId, reason: 'fire drill complete' });
          step('revoke', 'done');
        } catch (err) {
          // The grant still ends at its planned end, and is revoked then.
          step('revoke', 'failed', `${errorMessage(err)}; the grant ends on its own at its planned end`);
        }
        step('verify revocation', 'running');
      }
      await condition(() => grant !== undefined || grantError !== undefined);
    }
    if (grant) scoreFrom(grant);
    if (grantActive) {
      revocation = grant?.status.revocation;
      if (revocation?.verified) step('verify revocation', 'done', `verified at ${revocation.checkedAt}`);
      else {
        step('verify revocation', 'failed', grant ? 'the grant ended without a verified revocation' : `the drill request failed: ${errorMessage(grantError)}`);
        page ??= 'the drill grant\'s revocation was not verified';
      }
    }
    if (outcome === undefined) {
      if (page !== undefined) outcome = 'failed';
      else if (missed.length > 0) outcome = 'missed-targets';
      else outcome = 'passed';
    }
    if (page !== undefined && outcome !== 'cancelled') run.notify(outcome, { page: true, detail: page });
    else if (outcome === 'unanswered') run.notify('unanswered', { detail: `nobody approved the drill request ${grantId} within ${minutes(d.role.approvalTimeoutMs)}: a finding, not an outage` });
    else if (outcome === 'denied' || outcome === 'missed-targets') run.notify(outcome, { detail: outcome === 'denied' ? 'approvers denied the drill request' : `missed: ${missed.join(', ')}` });

    const evidenceWritten = await run.finish(
      outcome,
      (ids) => {
        const st = status();
        return {
          ...ids,
          drill: d.name,
          rehearses: d.rehearses,
          drillRoleArn: d.role.roleArn,
          accountId: d.role.accountId,
          requestedBy: input.requestedBy,
          outcome,
          grantWorkflowId: grantStarted ? grantId : null,
          approvals: grant?.status.rounds?.find((r) => r.id === 'grant')?.approvals ?? [],
          scores: st.scores,
          targets: st.targets,
          missed: st.missed,
          probe: probe ?? null,
          revocation: revocation ?? null,
          ...run.recordFields(),
        };
      },
      outcome === 'passed',
    );
    return { status: status(), outcome, evidenceWritten };
  });

  /** Scores from the grant's own record (workflow time on both sides, so the clocks agree). */
  function scoreFrom(r: BreakGlassResult): void {
    const round = r.status.rounds?.find((x) => x.id === 'grant') ?? r.status.approval;
    const requestedAt = Date.parse(r.status.requestedAt);
    // The final approval is the one that completed the quorum: the latest of the approvals counted.
    const approvedAt = round?.state === 'approved' ? Math.max(...round.approvals.map((a) => Date.parse(a.at))) : undefined;
    if (approvedAt !== undefined && Number.isFinite(approvedAt)) {
      scores.timeToApproveMs = Math.max(0, approvedAt - requestedAt);
      record.fact('Time to approve', seconds(scores.timeToApproveMs));
      if (firstUseAtMs !== undefined) {
        scores.timeToGrantMs = Math.max(0, firstUseAtMs - approvedAt);
        record.fact('Time to grant', seconds(scores.timeToGrantMs));
      }
    }
    if (revokeAtMs !== undefined && r.revocationLagMs !== undefined) {
      scores.revocationLagMs = r.revocationLagMs;
      record.fact('Revocation lag', seconds(r.revocationLagMs));
    }
    if (!grantActive) return;
    const t = input.targets;
    if (scores.timeToApproveMs === null || scores.timeToApproveMs > t.approveWithinMs) missed.push('approve');
    if (scores.timeToGrantMs === null || scores.timeToGrantMs > t.grantWithinMs) missed.push('grant');
    if (scores.revocationLagMs === null || scores.revocationLagMs > t.revokeWithinMs) missed.push('revoke');
  }
}

class Rejected extends Error {}
class DrillFailure extends Error {}

function minutes(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Problems with the start input's shape (empty when well-formed); never throws. */
/** Problems with a fire drill start input's shape (empty when well-formed). Never throws. */
export function drillInputProblems(raw: unknown): string[] {
  const { input, problems: p } = commonInputProblems(raw);
  if (!input) return p;
  const drill = input['drill'];
  if (!isRec(drill) || !isStr(drill['name'], 32) || !isStr(drill['rehearses'], 64) || !isMs(drill['durationMs'])) p.push('drill is not a fire drill');
  else if (!isRec(drill['role']) || !isStr(drill['role']['name'], 64) || !isStr(drill['role']['accountId'], 12) || !isPeople(drill['role']['approvers'])) p.push('drill.role is not a role snapshot');
  const t = input['targets'];
  if (!isRec(t) || !['approveWithinMs', 'grantWithinMs', 'revokeWithinMs'].every((k) => isMs(t[k]))) p.push('targets are not durations');
  return p;
}

/** Ends a fire drill whose input is malformed: nothing requested, security paged, evidence written. */
async function rejectMalformedFireDrill(workflowId: string, problems: string[]): Promise<FireDrillResult> {
  const scores: FireDrillScores = { timeToApproveMs: null, timeToGrantMs: null, revocationLagMs: null };
  const targets = { approveWithinMs: 0, grantWithinMs: 0, revokeWithinMs: 0 };
  const { run, evidenceWritten } = await rejectMalformedRun('break-glass-drill', 'DRILL — break-glass fire drill', problems, { drill: '-', rehearses: '-', grantWorkflowId: null, scores, targets, revocation: null });
  const status: FireDrillStatus = { workflowId, drill: '-', rehearses: '-', requestedBy: '-', view: run.record.view(), timeline: [...run.record.timeline], scores, targets, missed: [], outcome: 'rejected-invalid' };
  return { status, outcome: 'rejected-invalid', evidenceWritten };
}
