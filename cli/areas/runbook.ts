// `safeguard runbook start|status|confirm|list`: declarative runbooks from the policy's `runbooks:`
// section (root-account recovery and the like): typed steps people carry out under dual control.
// Reasons, notes, comments and check summaries are people's (or AWS's) text: everything printed goes
// through safeForTerminal, and JSON through jsonForTerminal.
import { STEP_ID_PATTERN } from '../../config/policy/fields';
import type { Command } from 'commander';
import { SafeguardError } from '../../client/errors';
import { assertRunId } from '../../client/ids';
import { assertFreeText } from '../../client/request';
import { MIN_RUNBOOK_REASON, RunbookClient } from '../../client/runbook-client';
import type { ListedRun } from '../../client/runs';
import { RUNBOOK_NAME_PATTERN } from '../../config/policy/runbooks';
import type { Policy, RunbookStepPolicy } from '../../config/policy/types';
import { jsonForTerminal, safeForTerminal } from '../../shared/terminal-text';
import type { ApprovalSnapshot } from '../../workflows/shared/approval/gate';
import type { Confirmation, ConfirmResult, CurrentStep, RunbookStatus, StepRecord } from '../../workflows/runbook/definitions';
import { SafeguardApiClient } from '../api-client';
import type { CliContext } from '../context';
import { callerCredentials } from '../identity';
import { callerOf, identity, withContext } from '../program';
import type { Common } from '../program';
import { executionNote, formatRunList, runViewLines } from '../run-view';

const MAX_TEXT = 1000;

/** One line of someone's text: whitespace collapsed (a typed newline cannot fake a checklist line), controls escaped. */
const shown = (text: string): string => safeForTerminal(text.replace(/\s+/g, ' ').trim());

// ---- arguments: checked before any connection, so bad input starts nothing ----

/** `runbook start`'s reason, trimmed; the runbook and the caller are checked against the policy next. */
export function parseStartReason(reason: string): string {
  const why = reason.trim();
  if (why.length < MIN_RUNBOOK_REASON) throw new SafeguardError('REASON_TOO_SHORT', `give a reason of at least ${MIN_RUNBOOK_REASON} characters (--reason): it is what the approvers and auditors read`);
  if (why.length > MAX_TEXT) throw new SafeguardError('REASON_TOO_LONG', `the reason is longer than ${MAX_TEXT} characters`);
  assertFreeText('reason', why);
  return why;
}

/** `runbook confirm`'s arguments: a runbook run id, the step (always named), a note if given. */
export function parseConfirmArgs(id: string, o: { step?: string; note?: string }): { step: string; note?: string } {
  assertRunId(id, ['runbook']);
  // Named every time: a confirmation meant for a step that just completed must not land on the next one.
  if (o.step === undefined) throw new SafeguardError('INVALID_OPTION', `name the step you confirm with --step (safeguard runbook status ${id} shows the one it waits on)`);
  if (!STEP_ID_PATTERN.test(o.step)) {
    throw new SafeguardError('INVALID_ID', `--step "${safeForTerminal(o.step.slice(0, 40))}" is not a step id (lower-case letters, digits and "-", starting with a letter; safeguard runbook status ${id} names the step)`);
  }
  const note = o.note?.trim();
  if (o.note !== undefined && !note) throw new SafeguardError('INVALID_OPTION', '--note is empty: leave it out, or say what was done');
  if (note !== undefined && note.length > MAX_TEXT) throw new SafeguardError('INVALID_OPTION', `--note is longer than ${MAX_TEXT} characters`);
  assertFreeText('note', note);
  return { step: o.step, ...(note ? { note } : {}) };
}

/** Why `name` is not a runbook of the policy, naming the ones there are; undefined when it is one. */
export function unknownRunbook(policy: Policy, name: string): string | undefined {
  if (policy.runbooks.procedures.some((p) => p.name === name)) return undefined;
  const known = policy.runbooks.procedures.map((p) => p.name).join(', ') || 'none';
  return `"${safeForTerminal(name.slice(0, 64))}" is not a runbook in the policy (runbooks: ${known})`;
}

export function assertRunbook(policy: Policy, name: string): void {
  const problem = unknownRunbook(policy, name);
  if (problem !== undefined) throw new SafeguardError('UNKNOWN_TARGET', problem);
}

// ---- formatting: pure ----

const when = (c: Confirmation): string => `${c.by} at ${c.at}${c.via ? ` via ${c.via}` : ''}${c.note ? `: "${shown(c.note)}"` : ''}`;

function currentLines(cur: CurrentStep, workflowId: string, requestedBy: string): string[] {
  const lines = [`  now: step ${cur.index + 1} ${cur.id} (${cur.type}) — ${shown(cur.title)}`, `    started ${cur.startedAt}${cur.deadlineAt ? `, deadline ${cur.deadlineAt}` : ''}${cur.escalated ? ' (escalated)' : ''}`];
  if (cur.type === 'confirm') {
    const got = cur.confirmations ?? [];
    lines.push(`    confirmations: ${got.length} of ${cur.needed ?? '?'}${got.length === 0 ? ' (none yet)' : ''}`);
    for (const c of got) lines.push(`      ${when(c)}`);
    const rules = [cur.noteRequired ? 'each confirmation needs a note (--note)' : '', cur.notRequester ? `${requestedBy} started the run and may not confirm` : ''].filter((r) => r !== '');
    if (rules.length > 0) lines.push(`    ${rules.join('; ')}`);
    lines.push(`    confirm: safeguard runbook confirm ${workflowId} --step ${cur.id}${cur.noteRequired ? ' --note <what was done>' : ''}`);
  }
  if (cur.lastCheck) lines.push(`    last check ${cur.lastCheck.check} at ${cur.lastCheck.checkedAt}: ${cur.lastCheck.passed ? 'passed' : 'not yet'} — ${shown(cur.lastCheck.summary)}`);
  return lines;
}

function recordLines(r: StepRecord): string[] {
  const lines = [`  ${r.index + 1}. ${r.id} (${r.type}): ${r.outcome}${r.escalated ? ', escalated' : ''} — ${r.startedAt} to ${r.endedAt}${r.detail ? ` — ${shown(r.detail)}` : ''}`];
  for (const c of r.by) lines.push(`     ${r.type === 'approval' ? 'approved' : 'confirmed'} by ${when(c)}`);
  if (r.check) lines.push(`     check ${r.check.check}: ${r.check.passed ? 'passed' : 'failed'} — ${shown(r.check.summary)}`);
  return lines;
}

function roundLines(v: RunbookStatus['view'], r: ApprovalSnapshot, workflowId: string): string[] {
  // runViewLines says the round's state and the command to decide it; who decided follows.
  const lines = runViewLines({ ...v, facts: [], steps: [] }, [r], workflowId);
  for (const a of r.approvals) lines.push(`    approved by ${a.by} at ${a.at}${a.comment ? `: "${shown(a.comment)}"` : ''}`);
  if (r.denial) lines.push(`    denied by ${r.denial.by} at ${r.denial.at}: "${shown(r.denial.reason)}"`);
  return lines;
}

export function formatRunbookStatus(st: RunbookStatus & { execution?: { status: string } }): string {
  const v = st.view;
  const lines = [
    `${st.workflowId}: ${shown(st.title)} (${st.runbook}) — ${v.outcome ?? v.phase}${executionNote(st.execution)}`,
    `  started by ${st.requestedBy} in account ${st.accountId}: "${shown(st.reason)}"`,
    ...runViewLines({ ...v, rounds: [] }, [], st.workflowId),
  ];
  if (st.current) lines.push(...currentLines(st.current, st.workflowId, st.requestedBy));
  if (st.steps.length > 0) {
    lines.push('  results:');
    for (const r of st.steps) lines.push(...recordLines(r));
  }
  if (st.rounds.length > 0) {
    lines.push('  decisions:');
    for (const r of st.rounds) lines.push(...roundLines(v, r, st.workflowId));
  }
  // Facts and step names come from the run; escaped too, so no line reaches the terminal raw.
  return lines.map((l) => safeForTerminal(l)).join('\n');
}

export function formatConfirm(id: string, r: ConfirmResult & { duplicate: boolean }): string {
  const count = `(${r.confirmations} of ${r.needed})`;
  // A repeat after the step completed has no count of its own to show: the run has moved on.
  if (r.duplicate) return r.complete ? `you had already confirmed step ${r.step} on ${id}: nothing changed\nstep ${r.step} complete` : `you had already confirmed step ${r.step} on ${id} ${count}: nothing changed`;
  const head = `confirmed step ${r.step} on ${id} ${count}`;
  return r.complete ? `${head}\nstep ${r.step} complete` : head;
}

const requesterText = (groups: readonly string[]): string => `groups ${groups.join(', ')}`;
const stepTypes = (steps: readonly RunbookStepPolicy[]): string => steps.map((s) => s.type).join(' → ');

export interface RunbookListing {
  runbooks: Array<{ name: string; title: string; steps: number; types: string; requesters: string[] }>;
  /** Set when --runbook names one the policy does not have (its old runs are still listed). */
  unknown?: string;
  runs: ListedRun[];
}

export function runbookListing(policy: Policy, runs: ListedRun[], only?: string): RunbookListing {
  const procedures = policy.runbooks.procedures.filter((p) => only === undefined || p.name === only);
  const unknown = only !== undefined ? unknownRunbook(policy, only) : undefined;
  return {
    runbooks: procedures.map((p) => ({ name: p.name, title: p.title, steps: p.steps.length, types: stepTypes(p.steps), requesters: [...p.requesters] })),
    ...(unknown !== undefined ? { unknown } : {}),
    runs,
  };
}

export function formatRunbookList(l: RunbookListing): string {
  const lines: string[] = [];
  if (l.unknown !== undefined) lines.push(l.unknown);
  else if (l.runbooks.length === 0) lines.push('no runbooks in the policy (runbooks.procedures)');
  else {
    lines.push('runbooks in the policy:');
    for (const r of l.runbooks) lines.push(`  ${r.name}  ${shown(r.title)}  ${r.steps} step${r.steps === 1 ? '' : 's'} (${r.types})  started by ${requesterText(r.requesters)}`);
  }
  lines.push('recent runs:', ...formatRunList(l.runs, 'none').split('\n').map((r) => `  ${r}`));
  return lines.map((s) => safeForTerminal(s)).join('\n');
}

// ---- commands ----

async function confirm(ctx: CliContext, id: string, as: string | undefined, args: { step: string; note?: string }): Promise<ConfirmResult & { duplicate: boolean }> {
  // Through the api when there is one: it derives the identity from the caller's own AWS credentials.
  if (ctx.api) return new SafeguardApiClient(ctx.api, () => callerCredentials(ctx, as)).confirmRun(id, args);
  const who = await callerOf(ctx, as)();
  return new RunbookClient(ctx.temporal, ctx.taskQueue).confirm(id, who.person, { ...args, via: 'cli' });
}

/** `--json` prints one JSON object, terminal-safe; text otherwise. */
export const printed =
  <T>(o: Common, text: (r: T) => string) =>
  (r: T): string =>
    o.json ? jsonForTerminal(r) : text(r);

export function register(program: Command): void {
  const runbook = program.command('runbook').description('declarative runbooks from the policy (runbooks.procedures): start, follow, confirm steps');
  identity(runbook.command('start <name>').description('start a runbook from the policy as yourself'))
    .requiredOption('--reason <text>', `why (at least ${MIN_RUNBOOK_REASON} characters; approvers and auditors read it)`)
    .option('--wait', 'wait for the run to end and print its status')
    .action(async (name: string, o: Common & { reason: string; wait?: boolean }) => {
      const reason = parseStartReason(o.reason);
      await withContext(
        { ...o, json: false },
        async (ctx) => {
          assertRunbook(ctx.policy, name);
          const who = await callerOf(ctx, o.as)();
          const client = new RunbookClient(ctx.temporal, ctx.taskQueue);
          const started = await client.start(ctx.policy, name, who.person, reason);
          if (!o.wait) return started;
          await client.result(started.workflowId);
          return client.status(started.workflowId);
        },
        printed(o, (r: { workflowId: string } | (RunbookStatus & { execution: { status: string } })) =>
          'view' in r ? formatRunbookStatus(r) : `started ${r.workflowId} (${name})\n  follow it: safeguard runbook status ${r.workflowId}`,
        ),
      );
    });
  identity(runbook.command('status <id>').description('where a run is: the checklist, the step it waits on, confirmations, results, decisions'))
    .action(async (id: string, o: Common) => {
      assertRunId(id, ['runbook']);
      await withContext({ ...o, json: false }, (ctx) => new RunbookClient(ctx.temporal, ctx.taskQueue).status(id), printed(o, formatRunbookStatus));
    });
  identity(runbook.command('confirm <id>').description('confirm the step a run waits on (a confirm step), as yourself'))
    .option('--step <step id>', 'the step you confirm (required; it must be the one the run waits on)')
    .option('--note <text>', 'what you did or saw (required by steps that say so)')
    .action(async (id: string, o: Common & { step?: string; note?: string }) => {
      const args = parseConfirmArgs(id, o);
      await withContext({ ...o, json: false }, (ctx) => confirm(ctx, id, o.as, args), printed(o, (r: ConfirmResult & { duplicate: boolean }) => formatConfirm(id, r)));
    });
  identity(runbook.command('list').description("the policy's runbooks and recent runs"))
    .option('--runbook <name>', 'only this runbook')
    .action(async (o: Common & { runbook?: string }) => {
      if (o.runbook !== undefined && !RUNBOOK_NAME_PATTERN.test(o.runbook)) throw new SafeguardError('INVALID_OPTION', `--runbook "${safeForTerminal(o.runbook.slice(0, 64))}" is not a runbook name (lower-case letters, digits and single hyphens)`);
      await withContext(
        { ...o, json: false },
        async (ctx) => runbookListing(ctx.policy, await new RunbookClient(ctx.temporal, ctx.taskQueue).list(o.runbook ? { runbook: o.runbook } : {}), o.runbook),
        printed(o, formatRunbookList),
      );
    });
}
