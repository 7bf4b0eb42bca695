// The root-login watcher's read: each watched account's successful root console sign-ins in a
// window (the same reading as the `root-console-login` check, console-logins.ts), each marked with
// the open run of an expected runbook (a root recovery) it happened during, so the workflow pages
// only for the unexpected ones. One account that cannot be read is reported, not thrown: the others
// are still watched.
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/activity';
import type { AccountRef } from '../../workflows/runbook/steps';
import { DECLARATIVE_RUNBOOK_WORKFLOW, runbookStatusQuery } from '../../workflows/runbook/definitions';
import type { RootLogin, RunbookStatus } from '../../workflows/runbook/definitions';
import { SEARCH_ATTRIBUTES } from '../../workflows/shared/search-attributes';
import type { AwsClients } from '../aws/clients';
import { accountClients } from '../aws/clients';
import { rootConsoleLogins } from './console-logins';

/** The open run (workflow id) of one of `runbooks` in the account at `atIso`, if any. */
export type OpenRunAt = (q: { accountId: string; runbooks: string[]; atIso: string }) => Promise<string | undefined>;

export interface FindRootLoginsInput {
  accounts: AccountRef[];
  /** Runbook names whose open runs make a root sign-in expected. */
  expectedDuring: string[];
  sinceIso: string;
  untilIso: string;
}

export interface RootLoginsFound {
  logins: RootLogin[];
  unreadable: Array<{ accountId: string; error: string }>;
}

export async function findRootLogins(deps: { aws: AwsClients; openRunAt: OpenRunAt }, input: FindRootLoginsInput): Promise<RootLoginsFound> {
  const since = dateOf(input.sinceIso, 'sinceIso');
  const until = dateOf(input.untilIso, 'untilIso');
  if (since > until) throw invalidInput(`sinceIso ${input.sinceIso} is after untilIso ${input.untilIso}`);
  const logins: RootLogin[] = [];
  const unreadable: RootLoginsFound['unreadable'] = [];
  for (const account of input.accounts) {
    const { accountId } = account;
    let found: Awaited<ReturnType<typeof rootConsoleLogins>>;
    try {
      const { signInTrail } = await accountClients(deps.aws, account);
      found = await rootConsoleLogins(signInTrail, { accountId, since, until });
    } catch (err) {
      unreadable.push({ accountId, error: err instanceof Error ? err.message : String(err) });
      continue;
    }
    // A watcher that silently skipped sign-ins would be worse than one that pages: the ones read are
    // still judged, and the account is reported as not fully read.
    if (found.truncated) unreadable.push({ accountId, error: `more console sign-ins between ${since.toISOString()} and ${until.toISOString()} than one read covers: only the newest were read` });
    for (const login of found.logins) {
      // A visibility failure is not the account's: it fails the activity (and is retried) rather
      // than call an expected sign-in unexpected.
      const duringRun = input.expectedDuring.length > 0 ? await deps.openRunAt({ accountId, runbooks: input.expectedDuring, atIso: login.at }) : undefined;
      logins.push({ accountId, ...login, ...(duringRun !== undefined ? { duringRun } : {}) });
    }
  }
  return { logins, unreadable };
}

const RUNBOOK_NAME = /^[a-z][a-z0-9-]{1,39}$/;
const TASK_QUEUE = /^[\w.-]{1,200}$/;
/** Runs looked at per sign-in: more open recoveries of one account than this is not a real case. */
const MAX_CANDIDATES = 20;
const ACCOUNT_ID = /^\d{12}$/;

/**
 * OpenRunAt from Temporal: a run of one of the runbooks, on that account, open at the sign-in and
 * past its approvals by then. Visibility finds the candidates, but its search attributes are set by
 * whoever starts a workflow (and are not encrypted), so a decoy tagged "runbook root-recovery" on a
 * queue nobody polls must not make a sign-in expected: the query asks for this worker's workflow type
 * and task queue, and each candidate's own status (through the codec) must show the worker accepted
 * it and its approval steps were approved before the sign-in. A run that was only started (or denied,
 * or refused as forged) makes nothing expected. The query is built by interpolation, so only values
 * checked against patterns that cannot hold a quote go into it.
 */
export function temporalOpenRunAt(client: Client, taskQueue: string): OpenRunAt {
  if (!TASK_QUEUE.test(taskQueue)) throw new Error(`"${taskQueue}" is not a task queue name`);
  return async ({ accountId, runbooks, atIso }) => {
    if (runbooks.length === 0) return undefined;
    const bad = runbooks.find((r) => !RUNBOOK_NAME.test(r));
    if (bad !== undefined) throw invalidInput(`"${bad}" is not a runbook name`);
    if (!ACCOUNT_ID.test(accountId)) throw invalidInput(`"${accountId}" is not a 12-digit account id`);
    const at = dateOf(atIso, 'atIso').toISOString();
    // CloudTrail times are whole seconds: a run started (or approved) later in the sign-in's second was open for it.
    const secondEnd = new Date(Date.parse(at) + 999).toISOString();
    const { kind, role, account } = SEARCH_ATTRIBUTES;
    const names = runbooks.map((r) => `'${r}'`).join(', ');
    const query = `WorkflowType = '${DECLARATIVE_RUNBOOK_WORKFLOW}' AND TaskQueue = '${taskQueue}' AND ${kind} = 'runbook' AND ${role} IN (${names}) AND ${account} = '${accountId}' AND StartTime <= '${secondEnd}' AND (ExecutionStatus = 'Running' OR CloseTime >= '${at}')`;
    let looked = 0;
    for await (const wf of client.workflow.list({ query })) {
      if (++looked > MAX_CANDIDATES) break;
      let status: RunbookStatus;
      try {
        status = await client.workflow.getHandle(wf.workflowId, wf.runId).query(runbookStatusQuery);
      } catch {
        // A run that cannot say where it is (a decoy that never ran, a forged input) vouches for
        // nothing; if a real run is briefly unreachable, the sign-in pages: the safe side.
        continue;
      }
      if (status.accountId !== accountId || !runbooks.includes(status.runbook)) continue;
      const armed = approvedAt(status);
      if (armed !== undefined && armed <= secondEnd) return wf.workflowId;
    }
    return undefined;
  };
}

/**
 * When a run was past its approvals: the end of its last approval step, when every approval step of
 * its plan was approved; for a runbook without approvals, when its first step began (the worker had
 * accepted it). Undefined when it never got there.
 */
export function approvedAt(status: Pick<RunbookStatus, 'plan' | 'steps' | 'current'>): string | undefined {
  const approvals = status.plan.filter((p) => p.type === 'approval').map((p) => p.id);
  if (approvals.length === 0) return (status.steps[0] ?? status.current)?.startedAt;
  let last: string | undefined;
  for (const id of approvals) {
    const done = status.steps.find((r) => r.id === id && r.outcome === 'done');
    if (!done) return undefined;
    if (last === undefined || done.endedAt > last) last = done.endedAt;
  }
  return last;
}

function dateOf(iso: string, field: string): Date {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw invalidInput(`${field} "${iso}" is not a date`);
  return d;
}

function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'RootLoginQueryInvalid', message, nonRetryable: true });
}
