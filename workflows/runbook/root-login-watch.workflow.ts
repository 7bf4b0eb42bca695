// rootLoginWatchWorkflow: one look, run by a Schedule, for root console sign-ins in CloudTrail. A root
// sign-in while an approved run of a runbook named in expectedDuring (a root recovery) was open for
// the account is the procedure working (recorded as evidence of the run it fell in); any other pages
// security. Each look reaches back `lookbackMs` because CloudTrail delivers events minutes late, so
// the same sign-in is seen by several looks: it is paged once, because its evidence record is keyed
// by the event id and is written only after the page was delivered. A page that could not be
// delivered leaves no record, so the next look pages again; a record that could not be written pages
// that too.
import { isCancellation, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { RunbookNotification } from '../shared/notifications';
import { SEARCH_ATTRIBUTES } from '../shared/search-attributes';
import { isMs, isPeople, isRec, isStr } from '../shared/shape';
import type { RootLogin, RootLoginWatchInput, RootLoginWatchResult } from './definitions';

const read = proxyActivities<Activities>({ startToCloseTimeout: '2m', retry: { initialInterval: '2s', maximumAttempts: 3 } });
const evidence = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: { maximumAttempts: 5 } });
/** A page is retried for minutes (Slack answering 429 or 500), not dropped after a few seconds. */
const pager = proxyActivities<Activities>({ startToCloseTimeout: '30s', scheduleToCloseTimeout: '4m', retry: { initialInterval: '2s', maximumInterval: '30s' } });

function inputProblems(input: unknown): string[] {
  if (!isRec(input)) return ['the input is not an object'];
  const p: string[] = [];
  const accounts = input['accounts'];
  if (!Array.isArray(accounts) || accounts.length === 0 || accounts.length > 100 || !accounts.every((a) => isRec(a) && /^\d{12}$/.test(String(a['accountId'])) && isStr(a['executionRoleArn']) && isStr(a['externalId'])))
    p.push('accounts is not a list of account references');
  if (!Array.isArray(input['expectedDuring']) || !input['expectedDuring'].every((n) => isStr(n, 40))) p.push('expectedDuring is not a list of runbook names');
  if (!isMs(input['lookbackMs']) || (input['lookbackMs'] as number) > 7 * 24 * 3600_000) p.push('lookbackMs is not a duration of at most 7 days');
  if (!isPeople(input['security'])) p.push('security is not a list of person ids');
  return p;
}

const recordId = (login: RootLogin): string => `root-login/${login.accountId}/${login.eventId}`;

/** Whether an earlier look already paged this sign-in: its record exists. */
async function seenBefore(login: RootLogin): Promise<boolean> {
  try {
    return (await evidence.findEvidence({ id: recordId(login) })).found;
  } catch (err) {
    if (isCancellation(err)) throw err;
    return false; // page rather than stay quiet
  }
}

export async function rootLoginWatchWorkflow(input: RootLoginWatchInput): Promise<RootLoginWatchResult> {
  upsertSearchAttributes({ [SEARCH_ATTRIBUTES.kind]: ['root-login-watch'] });
  const info = workflowInfo();
  const startedAt = new Date(Date.now()).toISOString();
  /** Pages and waits for delivery; false when it could not be delivered. */
  const page = async (event: string, target: string, detail: string, security: string[], channel?: string): Promise<boolean> => {
    const n: RunbookNotification = {
      kind: 'runbook',
      subjectId: info.workflowId,
      event,
      audience: security,
      severity: 'page',
      security,
      ...(channel ? { channel } : {}),
      detail,
      view: { title: 'Root sign-in watch', target, phase: 'ended', startedAt, steps: [], facts: [] },
    };
    try {
      await pager.notify(n);
      return true;
    } catch (err) {
      if (isCancellation(err)) throw err;
      return false;
    }
  };
  const record = async (login: RootLogin, fields: Record<string, unknown>): Promise<boolean> => {
    try {
      await evidence.recordEvidence({ id: recordId(login), kind: 'root-login', record: { ...login, watchWorkflowId: info.workflowId, ...fields } });
      return true;
    } catch (err) {
      if (isCancellation(err)) throw err;
      return false;
    }
  };

  const problems = inputProblems(input);
  if (problems.length > 0) {
    // Nothing to look at: say so loudly rather than stay quiet forever.
    await page('root-login-watch-invalid', 'root-login-watch', `the watcher's input is malformed: ${problems.join('; ')}`, isPeople((input as { security?: unknown })?.security) ? input.security : [], undefined);
    return { checkedAccounts: [], seen: 0, paged: [], expected: [], unreadable: [] };
  }

  const nowMs = Date.now();
  const found = await read.findRootLogins({
    accounts: input.accounts,
    expectedDuring: input.expectedDuring,
    sinceIso: new Date(nowMs - input.lookbackMs).toISOString(),
    untilIso: new Date(nowMs).toISOString(),
  });
  const paged: RootLogin[] = [];
  const expected: RootLogin[] = [];
  for (const login of found.logins) {
    if (login.duringRun) {
      expected.push(login);
      // Evidence of the run it fell in (the run's own check records it too, so a failure loses little).
      await record(login, { verdict: 'expected' });
      continue;
    }
    if (await seenBefore(login)) continue;
    const from = login.sourceIp ? ` from ${login.sourceIp}` : '';
    const mfa = login.mfaUsed ? ` (MFA used: ${login.mfaUsed})` : '';
    const during = input.expectedDuring.length > 0 ? `no approved ${input.expectedDuring.join(' or ')} run was open` : 'no runbook makes a root sign-in expected';
    const delivered = await page('root-login-unexpected', login.accountId, `root console sign-in to ${login.accountId} at ${login.at}${from}${mfa}: ${during}. Event ${login.eventId}.`, input.security, input.channel);
    // Not delivered: no record, so the next look pages again.
    if (!delivered) continue;
    paged.push(login);
    if (!(await record(login, { verdict: 'unexpected', pagedAt: new Date(Date.now()).toISOString() }))) {
      await page('evidence-not-written', login.accountId, `the root sign-in ${login.eventId} was paged but its evidence record could not be written: the next look pages it again`, input.security, input.channel);
    }
  }
  for (const u of found.unreadable) {
    await page('root-login-watch-unreadable', u.accountId, `could not read CloudTrail in ${u.accountId}: root sign-ins there are not being watched (${u.error.slice(0, 300)})`, input.security, input.channel);
  }
  return { checkedAccounts: input.accounts.map((a) => a.accountId), seen: found.logins.length, paged, expected, unreadable: found.unreadable };
}
