// declarativeRunbookWorkflow: carries out a policy runbook (root-account recovery, …) one frozen step
// after another. People approve and confirm through Updates whose validators enforce who may (nobody
// confirms a step of a run they started, when the step says so); checks are read-only AWS reads from a
// fixed catalogue; every step ends with an evidence record of who, when, notes and check results;
// a step whose timeout passes fails the run, escalates (a page, then the timeout once more) or lets
// the run continue, as the step says. The steps come from the input alone: a policy edit never
// changes a run in flight (the worker compares the input with its policy once, at the start).
import { ActivityFailure, CancellationScope, TimeoutFailure, condition, isCancellation, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { looksLikeSecret } from '../../config/redact';
import { unsafeCharacterIn } from '../../shared/terminal-text';
import { formatDuration } from '../../config/duration';
import { ApprovalRound } from '../shared/approval/gate';
import { handleSingleRound } from '../shared/approval/single-round';
import type { RunbookNotification } from '../shared/notifications';
import { Refusals, refuse } from '../shared/refusals';
import { rejectMalformedRun } from '../shared/start-input';
import { RunbookRun, errorMessage } from '../shared/runbook-run';
import { PERSON, isRec } from '../shared/shape';
import { confirmUpdate, runbookStatusQuery } from './definitions';
import type { CheckResult, Confirmation, ConfirmInput, ConfirmResult, CurrentStep, RunbookInput, RunbookOutcome, RunbookResult, RunbookStatus, StepOutcome, StepRecord } from './definitions';
import { runbookInputProblems } from './input-shape';
import { stepDeadlineMs, stepLabel } from './steps';
import type { ApprovalStep, CheckSpec, CheckStep, ConfirmStep, NotifyStep, RunbookStep, WaitStep } from './steps';

const policy = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: { initialInterval: '1s', maximumAttempts: 5 } });
const evidence = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 5 } });
/** One look of a wait: a failed look is retried by the next one, not by piling up attempts. */
const look = proxyActivities<Activities>({ startToCloseTimeout: '3m', retry: { initialInterval: '2s', maximumAttempts: 3 } });

const iso = (ms: number): string => new Date(ms).toISOString();

/** What one step came to, before it is recorded. */
interface StepEnd {
  outcome: StepOutcome;
  detail: string;
  by?: Confirmation[];
  check?: CheckResult;
  /** An approval step that was denied ends the run as `denied`. */
  denied?: boolean;
}

export async function declarativeRunbookWorkflow(input: RunbookInput): Promise<RunbookResult> {
  const problems = runbookInputProblems(input);
  if (problems.length > 0) return rejectMalformed(problems);

  const def = input.runbook;
  const steps = def.steps;
  const labels = steps.map((_, i) => stepLabel(steps, i));
  const info = workflowInfo();
  const runStartedMs = Date.now();
  const rounds: ApprovalRound[] = [];
  const results: StepRecord[] = [];
  let openRound: ApprovalRound | undefined;
  let current: CurrentStep | undefined;
  let confirming: { step: ConfirmStep; list: Confirmation[] } | undefined;
  let stepEvidenceMissing = false;

  const run = new RunbookRun({
    kind: 'runbook',
    title: def.title,
    target: def.name,
    accountId: def.account.accountId,
    requestedBy: input.requestedBy,
    security: input.security,
    ...(def.channel ? { channel: def.channel } : {}),
    steps: labels,
    rounds: () => rounds.map((r) => r.snapshot()),
    confirm: () =>
      confirming && current
        ? {
            step: confirming.step.id,
            title: confirming.step.title,
            needed: confirming.step.count,
            by: confirming.list.map((c) => c.by),
            noteRequired: confirming.step.noteRequired,
            notRequester: confirming.step.notRequester,
            ...(current.deadlineAt ? { deadlineAt: current.deadlineAt } : {}),
          }
        : undefined,
  });
  const record = run.record;
  record.fact('Requested by', input.requestedBy);
  record.fact('Reason', input.reason);
  record.fact('Account', def.account.accountId);

  const currentView = (): CurrentStep | undefined => (current ? { ...current, ...(confirming ? { confirmations: [...confirming.list] } : {}) } : undefined);
  const status = (): RunbookStatus => {
    const cur = currentView();
    return {
      workflowId: info.workflowId,
      kind: 'runbook',
      runbook: def.name,
      title: def.title,
      requestedBy: input.requestedBy,
      reason: input.reason,
      accountId: def.account.accountId,
      plan: steps.map((s) => ({ id: s.id, type: s.type, title: s.title })),
      ...(cur ? { current: cur } : {}),
      steps: results.map((r) => ({ ...r })),
      view: run.view(),
      timeline: [...record.timeline],
      rounds: rounds.map((r) => r.snapshot()),
    };
  };
  setHandler(runbookStatusQuery, status);
  handleSingleRound({ roundId: () => openRound?.config.id, round: () => openRound, rounds: () => rounds, record, what: 'runbook', logAs: 'approval' });
  setHandler(
    confirmUpdate,
    (c): ConfirmResult => {
      const cs = confirming!;
      cs.list.push({ by: c.by, at: iso(Date.now()), ...(c.note?.trim() ? { note: c.note.trim() } : {}), ...(c.via ? { via: c.via } : {}) });
      record.log(Date.now(), `${cs.step.id}:confirmed`, c.note?.trim() || undefined, c.by);
      const complete = cs.list.length >= cs.step.count;
      if (!complete) run.notify('confirmed', { detail: `${cs.step.title}: ${cs.list.length} of ${cs.step.count} confirmed (${c.by})` });
      return { step: cs.step.id, confirmations: cs.list.length, needed: cs.step.count, complete };
    },
    { validator: (c) => validateConfirm(c, confirming, current, input.requestedBy) },
  );

  /** Waits until `done`, escalating once when the step says so; false when the timeout passed. */
  const waitFor = async (s: RunbookStep, startedMs: number, done: () => boolean): Promise<boolean> => {
    if (await condition(done, s.timeoutMs)) return true;
    if (s.onTimeout !== 'escalate') return false;
    escalate(s, startedMs);
    return condition(done, s.timeoutMs);
  };
  const escalate = (s: RunbookStep, startedMs: number): void => {
    if (current) {
      current.escalated = true;
      current.deadlineAt = iso(stepDeadlineMs(s, startedMs, true));
    }
    record.log(Date.now(), `${s.id}:escalated`);
    run.notify('escalated', {
      page: true,
      audience: s.escalateTo,
      detail: `step "${s.title}" is overdue after ${formatDuration(s.timeoutMs)}; it waits ${formatDuration(s.timeoutMs)} more, then the run ${s.type === 'approval' || s.type === 'confirm' ? 'fails' : 'fails unless the step passes'}`,
    });
  };
  const sinceOf = (spec: CheckSpec, stepStartedMs: number): string => iso(spec.since === 'run' ? runStartedMs : stepStartedMs);

  const approval = async (s: ApprovalStep, startedMs: number): Promise<StepEnd> => {
    const round = new ApprovalRound({
      id: s.id,
      kind: s.id,
      requester: input.requestedBy,
      eligible: s.approvers,
      quorum: s.quorum,
      openedAt: iso(startedMs),
      deadlineAt: iso(stepDeadlineMs(s, startedMs, s.onTimeout === 'escalate')),
      scope: 'runbook step',
    });
    rounds.push(round);
    openRound = round;
    run.notify('approval-requested', { audience: s.approvers.filter((p) => p !== input.requestedBy), detail: `${s.title}: ${s.quorum} approval${s.quorum === 1 ? '' : 's'} needed` });
    const decided = await waitFor(s, startedMs, () => !round.isOpen);
    if (!decided) round.expire();
    openRound = undefined;
    const snap = round.snapshot();
    const by = snap.approvals.map((d) => ({ by: d.by, at: d.at, ...(d.comment ? { note: d.comment } : {}) }));
    if (snap.state === 'approved') return { outcome: 'done', detail: `approved by ${by.map((b) => b.by).join(', ')}`, by };
    if (snap.state === 'denied') return { outcome: 'failed', denied: true, detail: `denied by ${snap.denial!.by}: ${snap.denial!.reason}`, by: [...by, { by: snap.denial!.by, at: snap.denial!.at, note: snap.denial!.reason }] };
    return { outcome: 'timed-out', detail: `${snap.approvals.length} of ${s.quorum} approvals when the timeout passed`, by };
  };

  const confirm = async (s: ConfirmStep, startedMs: number): Promise<StepEnd> => {
    const cs = { step: s, list: [] as Confirmation[] };
    confirming = cs;
    run.notify('confirm-requested', {
      audience: s.confirmers.filter((p) => !(s.notRequester && p === input.requestedBy)),
      detail: `${s.title}: ${s.count} confirmation${s.count === 1 ? '' : 's'} needed${s.noteRequired ? ', each with a note' : ''}`,
    });
    const done = await waitFor(s, startedMs, () => cs.list.length >= s.count);
    confirming = undefined;
    const who = cs.list.map((c) => c.by).join(', ');
    return done ? { outcome: 'done', detail: `confirmed by ${who}`, by: cs.list } : { outcome: 'timed-out', detail: `${cs.list.length} of ${s.count} confirmations${who ? ` (${who})` : ''} when the timeout passed`, by: cs.list };
  };

  const runCheck = async (s: CheckStep, startedMs: number): Promise<StepEnd> => {
    const attempt = (): Promise<CheckResult> =>
      proxyActivities<Activities>({ scheduleToCloseTimeout: s.timeoutMs, startToCloseTimeout: Math.min(s.timeoutMs, 180_000), retry: { initialInterval: '2s', maximumInterval: '30s' } }).runRunbookCheck({
        check: s.check,
        account: def.account,
        sinceIso: sinceOf(s.check, startedMs),
      });
    let result: CheckResult;
    try {
      result = await attempt();
    } catch (err) {
      if (isCancellation(err)) throw err;
      if (!timedOut(err)) return { outcome: 'failed', detail: `the check could not run: ${errorMessage(err)}` };
      if (s.onTimeout !== 'escalate') return { outcome: 'timed-out', detail: `no answer within ${formatDuration(s.timeoutMs)}: ${errorMessage(err)}` };
      escalate(s, startedMs);
      try {
        result = await attempt();
      } catch (again) {
        if (isCancellation(again)) throw again;
        return { outcome: timedOut(again) ? 'timed-out' : 'failed', detail: `the check could not run: ${errorMessage(again)}` };
      }
    }
    if (current) current.lastCheck = result;
    return { outcome: result.passed ? 'done' : 'failed', detail: result.summary, check: result };
  };

  const wait = async (s: WaitStep, startedMs: number): Promise<StepEnd> => {
    if (s.forMs !== undefined) {
      await sleep(s.forMs);
      return { outcome: 'done', detail: `waited ${formatDuration(s.forMs)}` };
    }
    const spec = s.until!;
    let deadline = startedMs + s.timeoutMs;
    let escalated = false;
    let last: CheckResult | undefined;
    let lastError: string | undefined;
    for (;;) {
      try {
        last = await look.runRunbookCheck({ check: spec, account: def.account, sinceIso: sinceOf(spec, startedMs) });
        lastError = undefined;
        if (current) current.lastCheck = last;
        if (last.passed) return { outcome: 'done', detail: last.summary, check: last };
      } catch (err) {
        if (isCancellation(err)) throw err;
        lastError = errorMessage(err);
      }
      if (Date.now() >= deadline) {
        if (s.onTimeout !== 'escalate' || escalated) break;
        escalated = true;
        escalate(s, startedMs);
        deadline += s.timeoutMs;
      }
      await sleep(Math.max(1, Math.min(s.everyMs, deadline - Date.now())));
    }
    const why = lastError ? `the last look failed: ${lastError}` : (last?.summary ?? 'never looked');
    return { outcome: 'timed-out', detail: `not passed within ${formatDuration(s.timeoutMs)}: ${why}`, ...(last ? { check: last } : {}) };
  };

  const notifyStep = async (s: NotifyStep, startedMs: number): Promise<StepEnd> => {
    const message: RunbookNotification = {
      kind: 'runbook',
      subjectId: info.workflowId,
      event: 'runbook-notify',
      audience: s.people,
      severity: 'info',
      security: input.security,
      ...(s.channel ? { channel: s.channel } : {}),
      detail: s.message,
      view: run.view(),
    };
    const send = (): Promise<unknown> =>
      proxyActivities<Activities>({ scheduleToCloseTimeout: s.timeoutMs, startToCloseTimeout: Math.min(s.timeoutMs, 30_000), retry: { initialInterval: '1s', maximumInterval: '30s' } }).notify(message);
    const where = [s.channel ? `channel ${s.channel}` : '', s.people.length > 0 ? s.people.join(', ') : ''].filter(Boolean).join(' and ');
    try {
      await send();
      return { outcome: 'done', detail: `told ${where}` };
    } catch (err) {
      if (isCancellation(err)) throw err;
      if (s.onTimeout === 'escalate') {
        escalate(s, startedMs);
        try {
          await send();
          return { outcome: 'done', detail: `told ${where} (after escalating)` };
        } catch (again) {
          if (isCancellation(again)) throw again;
          return { outcome: 'timed-out', detail: `could not tell ${where}: ${errorMessage(again)}` };
        }
      }
      return { outcome: 'timed-out', detail: `could not tell ${where}: ${errorMessage(err)}` };
    }
  };

  const runStep = async (i: number, s: RunbookStep): Promise<StepRecord> => {
    const startedMs = Date.now();
    const waits = !(s.type === 'wait' && s.forMs !== undefined) && s.type !== 'notify';
    current = { index: i, id: s.id, type: s.type, title: s.title, startedAt: iso(startedMs), escalated: false, ...(waits ? { deadlineAt: iso(stepDeadlineMs(s, startedMs, false)) } : {}) };
    if (s.type === 'confirm') Object.assign(current, { needed: s.count, noteRequired: s.noteRequired, notRequester: s.notRequester });
    record.step(startedMs, labels[i]!, 'running');
    run.notify('step-started', { detail: labels[i]! });
    let end: StepEnd;
    switch (s.type) {
      case 'approval':
        end = await approval(s, startedMs);
        break;
      case 'confirm':
        end = await confirm(s, startedMs);
        break;
      case 'check':
        end = await runCheck(s, startedMs);
        break;
      case 'wait':
        end = await wait(s, startedMs);
        break;
      case 'notify':
        end = await notifyStep(s, startedMs);
        break;
    }
    const endedMs = Date.now();
    const continues = end.outcome === 'timed-out' && s.onTimeout === 'continue';
    record.step(endedMs, labels[i]!, end.outcome === 'done' ? 'done' : continues ? 'skipped' : 'failed', continues ? `timed out, continued: ${end.detail}` : end.detail);
    const r: StepRecord = {
      index: i,
      id: s.id,
      type: s.type,
      outcome: end.outcome,
      startedAt: iso(startedMs),
      endedAt: iso(endedMs),
      escalated: current.escalated,
      by: end.by ?? [],
      ...(end.check ? { check: end.check } : {}),
      detail: end.detail.slice(0, 1000),
    };
    current = undefined;
    return r;
  };

  /** One evidence record per step as it ends: who, when, notes and check results survive even a run that never finishes. */
  const recordStep = async (r: StepRecord): Promise<void> => {
    try {
      await evidence.recordEvidence({ id: `${info.workflowId}/${info.runId}/step-${r.index}`, kind: 'runbook-step', record: { workflowId: info.workflowId, runId: info.runId, runbook: def.name, requestedBy: input.requestedBy, ...r } });
    } catch (err) {
      stepEvidenceMissing = true;
      run.notify('evidence-not-written', { page: true, detail: `the evidence record of step ${r.id} could not be written: ${errorMessage(err)}` });
    }
  };

  record.log(runStartedMs, 'started', input.reason, input.requestedBy);
  run.notify('started', { detail: input.reason });
  let outcome: RunbookOutcome = 'completed';
  let page: string | undefined;
  try {
    const verdict = await policy.checkRunbookRequest({ input });
    if (!verdict.accepted) {
      outcome = 'rejected-invalid';
      page = `the run's input does not match the policy: ${verdict.problems.join('; ').slice(0, 500)}`;
    } else {
      for (let i = 0; i < steps.length; i++) {
        const s = steps[i]!;
        const r = await runStep(i, s);
        results.push(r);
        await recordStep(r);
        if (r.outcome === 'done' || (r.outcome === 'timed-out' && s.onTimeout === 'continue')) continue;
        if (r.outcome === 'failed' && rounds.find((x) => x.config.id === s.id)?.state === 'denied') outcome = 'denied';
        else {
          outcome = r.outcome === 'timed-out' ? 'timed-out' : 'failed';
          page = `step "${s.title}" ${r.outcome}: ${r.detail ?? ''}`;
        }
        break;
      }
    }
  } catch (err) {
    if (isCancellation(err)) {
      outcome = 'cancelled';
      // A procedure stopped half-way (root signed in, password not yet rotated) is for security to look at.
      page = `cancelled${current ? ` during step "${current.title}"` : ''}: the procedure did not finish`;
      const i = current?.index;
      if (i !== undefined) record.step(Date.now(), labels[i]!, 'failed', 'cancelled');
    } else {
      outcome = 'failed';
      page = errorMessage(err);
    }
  }
  current = undefined;
  confirming = undefined;
  openRound?.expire();
  return CancellationScope.nonCancellable(async () => {
    const written = await run.finish(
      outcome,
      (ids) => ({
        ...ids,
        runbook: def.name,
        title: def.title,
        accountId: def.account.accountId,
        requestedBy: input.requestedBy,
        reason: input.reason,
        outcome,
        // The procedure as it ran; the account's ExternalId is configuration, not evidence.
        definition: { ...def, account: { accountId: def.account.accountId, executionRoleArn: def.account.executionRoleArn } },
        stepResults: results,
        ...run.recordFields(),
      }),
      outcome === 'completed',
      page ? { page } : {},
    );
    return { status: status(), outcome, evidenceWritten: written && !stepEvidenceMissing };
  });
}

/** A timeout of the activity (no answer in the step's time), as opposed to an answer that was an error. */
function timedOut(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure;
}

/** The confirm Update's validator: refusals a person reads, before anything is recorded. */
function validateConfirm(c: ConfirmInput, confirming: { step: ConfirmStep; list: Confirmation[] } | undefined, current: CurrentStep | undefined, requestedBy: string): void {
  if (!isRec(c) || typeof c.by !== 'string' || !PERSON.test(c.by) || typeof c.step !== 'string' || c.step.length > 40) refuse(Refusals.malformed, 'malformed confirmation');
  if (c.note !== undefined && (typeof c.note !== 'string' || c.note.length > 1000)) refuse(Refusals.malformed, 'malformed confirmation note');
  if (c.via !== undefined && !['slack', 'api', 'cli'].includes(c.via)) refuse(Refusals.malformed, 'malformed confirmation channel');
  if (!confirming || confirming.step.id !== c.step) {
    const on = current ? ` (the run is on step ${current.id}, a ${current.type} step)` : ' (the run is not on a step)';
    refuse(Refusals.stepNotOpen, `step "${c.step.slice(0, 40)}" is not waiting for confirmation${on}`);
  }
  const s = confirming.step;
  if (s.notRequester && c.by === requestedBy) refuse(Refusals.selfConfirmation, `you started this runbook; step ${s.id} must be confirmed by someone else`);
  if (!s.confirmers.includes(c.by)) refuse(Refusals.notConfirmer, `${c.by} is not a confirmer for step ${s.id}`);
  if (confirming.list.some((x) => x.by === c.by)) refuse(Refusals.alreadyDecided, `you have already confirmed step ${s.id}`);
  const note = c.note?.trim() ?? '';
  if (s.noteRequired && note.length === 0) refuse(Refusals.noteRequired, `step ${s.id} needs a note with the confirmation (what was done, what was seen)`);
  if (note && looksLikeSecret(note)) refuse(Refusals.secretInText, 'the note looks like it contains a secret (a key or token); remove it and try again');
  if (note && unsafeCharacterIn(note)) refuse(Refusals.malformed, `the note contains a control character (${unsafeCharacterIn(note)!.codePoint})`);
}

async function rejectMalformed(problems: string[]): Promise<RunbookResult> {
  const { run, evidenceWritten } = await rejectMalformedRun('runbook', 'Runbook', problems, { runbook: '-', requestedBy: '-', reason: '', accountId: '-', stepResults: [] });
  const info = workflowInfo();
  const status: RunbookStatus = { workflowId: info.workflowId, kind: 'runbook', runbook: '-', title: 'Runbook', requestedBy: '-', reason: '', accountId: '-', plan: [], steps: [], view: run.view(), timeline: [...run.record.timeline], rounds: [] };
  setHandler(runbookStatusQuery, () => status);
  return { status, outcome: 'rejected-invalid', evidenceWritten };
}
