// The runbook check catalogue and the root-login watcher's read against in-process fakes of the
// AWS clients and Temporal's list: which CloudTrail events count as a root sign-in (a failed one,
// an IAM user's, another account's do not), what each check answers and says, that a refused call
// fails for good with the action named, that paging is bounded and says so, and the visibility
// query the watcher asks.

import { GenerateCredentialReportCommand, GetAccountSummaryCommand, GetCredentialReportCommand } from '@aws-sdk/client-iam';
import type { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import type { Event, LookupEventsCommandInput } from '@aws-sdk/client-cloudtrail';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { AccountClients, AccountTarget, AwsClients } from '../../activities/aws/clients';
import { signInRegion } from '../../activities/aws/clients';
import { reportRow, runRunbookCheck } from '../../activities/runbooks/checks';
import { MAX_PAGES, rootLoginOf } from '../../activities/runbooks/console-logins';
import { approvedAt, findRootLogins, temporalOpenRunAt } from '../../activities/runbooks/root-logins';
import type { RunbookStatus } from '../../workflows/runbook/definitions';
import type { AccountRef, CheckSpec } from '../../workflows/runbook/steps';

const ACCOUNT = '123456789012';
const OTHER = '210987654321';
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const ref = (accountId: string): AccountRef => ({ accountId, executionRoleArn: `arn:aws:iam::${accountId}:role/SafeguardExecution`, externalId: 'x' });
const check = (name: CheckSpec['name'], user?: string): CheckSpec => ({ name, since: 'step', ...(user ? { user } : {}) });
const awsError = (name: string, message = 'not allowed') => Object.assign(new Error(message), { name });

let eventIds = 0;
/** A ConsoleLogin event as LookupEvents returns it. */
function signIn(o: { at: number; type?: string; outcome?: string; account?: string; recipient?: string | null; ip?: string; mfa?: string }): Event {
  const account = o.account ?? ACCOUNT;
  const eventId = `ev-${++eventIds}`;
  const record = {
    eventName: 'ConsoleLogin',
    eventID: eventId,
    eventTime: iso(o.at).replace(/\.\d{3}Z$/, 'Z'),
    userIdentity: { type: o.type ?? 'Root', arn: `arn:aws:iam::${account}:root`, accountId: account },
    ...(o.ip ? { sourceIPAddress: o.ip } : {}),
    responseElements: { ConsoleLogin: o.outcome ?? 'Success' },
    additionalEventData: { MFAUsed: o.mfa ?? 'Yes' },
    ...(o.recipient === null ? {} : { recipientAccountId: o.recipient ?? account }),
  };
  return { EventId: eventId, EventName: 'ConsoleLogin', EventTime: new Date(o.at), CloudTrailEvent: JSON.stringify(record) };
}

interface Fakes {
  iam?: (cmd: unknown) => unknown;
  lookups?: LookupEventsCommandInput[];
  pages?: (input: LookupEventsCommandInput, n: number) => { Events: Event[]; NextToken?: string };
}

/** AwsClients whose accounts answer from `fakes` (by account id), or refuse the AssumeRole. */
function fakeAws(byAccount: Record<string, Fakes | Error>): AwsClients {
  return {
    forAccount: async (t: AccountTarget): Promise<AccountClients> => {
      const f = byAccount[t.accountId];
      if (f === undefined || f instanceof Error) throw f ?? awsError('NoSuchEntity', `role ${t.executionRoleArn} does not exist`);
      let n = 0;
      return {
        iam: { send: async (cmd: unknown) => f.iam?.(cmd) },
        // Root sign-ins are read from the sign-in region's CloudTrail, never the worker's own.
        cloudTrail: { send: async () => Promise.reject(new Error('read the sign-in region, not the worker region')) },
        signInTrail: {
          send: async (cmd: LookupEventsCommand) => {
            f.lookups?.push(cmd.input);
            return f.pages ? f.pages(cmd.input, n++) : { Events: [] };
          },
        },
      } as unknown as AccountClients;
    },
  } as unknown as AwsClients;
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected an ApplicationFailure');
}

describe('rootLoginOf: what counts as a root sign-in', () => {
  it('counts a successful root sign-in to the account, with its time, address and MFA', () => {
    const e = signIn({ at: T0, ip: '203.0.113.7', mfa: 'No' });
    expect(rootLoginOf(e, ACCOUNT)).toEqual({ eventId: e.EventId, at: iso(T0), sourceIp: '203.0.113.7', mfaUsed: 'No' });
  });

  it('does not count a failed sign-in: an attempt is not a login', () => {
    expect(rootLoginOf(signIn({ at: T0, outcome: 'Failure' }), ACCOUNT)).toBeUndefined();
  });

  it("does not count an IAM user's sign-in", () => {
    expect(rootLoginOf(signIn({ at: T0, type: 'IAMUser' }), ACCOUNT)).toBeUndefined();
  });

  it("does not count another account's root, by recipient or by identity", () => {
    expect(rootLoginOf(signIn({ at: T0, account: OTHER }), ACCOUNT)).toBeUndefined();
    expect(rootLoginOf(signIn({ at: T0, account: OTHER, recipient: null }), ACCOUNT)).toBeUndefined();
    expect(rootLoginOf(signIn({ at: T0, recipient: OTHER }), ACCOUNT)).toBeUndefined();
  });

  it('counts a sign-in whose record names no account, and ignores records it cannot read', () => {
    const noAccounts: Event = { EventId: 'e1', EventTime: new Date(T0), CloudTrailEvent: JSON.stringify({ eventName: 'ConsoleLogin', userIdentity: { type: 'Root' }, responseElements: { ConsoleLogin: 'Success' } }) };
    expect(rootLoginOf(noAccounts, ACCOUNT)).toEqual({ eventId: 'e1', at: iso(T0) });
    expect(rootLoginOf({ EventId: 'e2', EventTime: new Date(T0), CloudTrailEvent: '{not json' }, ACCOUNT)).toBeUndefined();
    expect(rootLoginOf({ EventId: 'e3', EventTime: new Date(T0) }, ACCOUNT)).toBeUndefined();
  });
});

describe('root-mfa-no-access-keys', () => {
  const summary = (map: Record<string, number>) =>
    fakeAws({ [ACCOUNT]: { iam: (cmd) => (cmd instanceof GetAccountSummaryCommand ? { SummaryMap: { Users: 4, ...map } } : undefined) } });
  const run = (aws: AwsClients) => runRunbookCheck(aws, { check: check('root-mfa-no-access-keys'), account: ref(ACCOUNT), sinceIso: iso(T0) });

  it('passes with MFA and no keys', async () => {
    const r = await run(summary({ AccountMFAEnabled: 1, AccountAccessKeysPresent: 0 }));
    expect(r).toMatchObject({ check: 'root-mfa-no-access-keys', passed: true, summary: 'root has MFA and no access keys', facts: { accountMfaEnabled: 1, accountAccessKeysPresent: 0 } });
    expect(Date.parse(r.checkedAt)).not.toBeNaN();
  });

  it('fails without MFA, with keys, and says which', async () => {
    expect(await run(summary({ AccountMFAEnabled: 0, AccountAccessKeysPresent: 1 }))).toMatchObject({ passed: false, summary: 'root has no MFA; root has access keys' });
    expect(await run(summary({ AccountMFAEnabled: 1, AccountAccessKeysPresent: 1 }))).toMatchObject({ passed: false, summary: 'root has MFA; root has access keys' });
    expect(await run(summary({ AccountMFAEnabled: 0, AccountAccessKeysPresent: 0 }))).toMatchObject({ passed: false, summary: 'root has no MFA; root has no access keys' });
  });

  it('does not pass when the summary leaves a value out', async () => {
    expect(await run(summary({ AccountMFAEnabled: 1 }))).toMatchObject({ passed: false, facts: {} });
  });

  it('fails for good, naming the call, when the execution role may not read the summary', async () => {
    const denied = fakeAws({
      [ACCOUNT]: {
        iam: () => {
          throw awsError('AccessDenied', 'User is not authorized to perform: iam:GetAccountSummary');
        },
      },
    });
    const f = await failureOf(run(denied));
    expect(f).toMatchObject({ type: 'AwsAccessDenied', nonRetryable: true });
    expect(f.message).toMatch(/^GetAccountSummary: AccessDenied: .*iam:GetAccountSummary/);
  });

  it('fails for good when the execution role cannot be assumed', async () => {
    const f = await failureOf(run(fakeAws({ [ACCOUNT]: awsError('AccessDenied', 'not trusted') })));
    expect(f).toMatchObject({ type: 'AwsAccessDenied', nonRetryable: true });
    expect(f.message).toMatch(/^AssumeRole\(SafeguardExecution\): AccessDenied/);
  });
});

describe('root-console-login', () => {
  it('asks CloudTrail for ConsoleLogin events from the whole second of since, and names the newest root sign-in', async () => {
    const lookups: LookupEventsCommandInput[] = [];
    const events = [
      signIn({ at: T0 + 9000, type: 'IAMUser' }),
      signIn({ at: T0 + 8000, outcome: 'Failure' }),
      signIn({ at: T0 + 7000, ip: '203.0.113.9', mfa: 'Yes' }),
      signIn({ at: T0 + 5000, account: OTHER }),
      signIn({ at: T0 + 1000, ip: '198.51.100.1', mfa: 'No' }),
      // LookupEvents already bounds by StartTime; an event before it is still not counted.
      signIn({ at: T0 - 5000 }),
    ];
    const aws = fakeAws({ [ACCOUNT]: { lookups, pages: () => ({ Events: events }) } });
    const r = await runRunbookCheck(aws, { check: check('root-console-login'), account: ref(ACCOUNT), sinceIso: iso(T0 + 750) });
    expect(lookups).toEqual([{ LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'root' }], StartTime: new Date(T0), MaxResults: 50 }]);
    expect(r.passed).toBe(true);
    expect(r.summary).toBe(`root signed in at ${iso(T0 + 7000)} from 203.0.113.9 with MFA (2 root sign-ins since ${iso(T0 + 750)})`);
    expect(r.facts).toEqual({ logins: 2, newestEventId: events[2]?.EventId, newestAt: iso(T0 + 7000), sourceIp: '203.0.113.9', mfaUsed: 'Yes' });
  });

  it('fails when only failed, IAM-user or other-account sign-ins happened', async () => {
    const events = [signIn({ at: T0, outcome: 'Failure' }), signIn({ at: T0, type: 'IAMUser' }), signIn({ at: T0, account: OTHER })];
    const r = await runRunbookCheck(fakeAws({ [ACCOUNT]: { pages: () => ({ Events: events }) } }), { check: check('root-console-login'), account: ref(ACCOUNT), sinceIso: iso(T0) });
    expect(r).toMatchObject({ passed: false, summary: `no root console sign-in since ${iso(T0)}`, facts: { logins: 0 } });
  });

  it('reads at most MAX_PAGES pages and says the answer is partial', async () => {
    const lookups: LookupEventsCommandInput[] = [];
    const aws = fakeAws({ [ACCOUNT]: { lookups, pages: (_input, n) => ({ Events: [signIn({ at: T0 + 60_000 - n * 1000, type: 'IAMUser' })], NextToken: `t${n + 1}` }) } });
    const r = await runRunbookCheck(aws, { check: check('root-console-login'), account: ref(ACCOUNT), sinceIso: iso(T0) });
    expect(lookups).toHaveLength(MAX_PAGES);
    expect(lookups[1]?.NextToken).toBe('t1');
    expect(r).toMatchObject({ passed: false, facts: { logins: 0, truncated: true } });
    expect(r.summary).toMatch(/only the newest console sign-ins were read/);
  });
});

describe('iam-user-password-changed', () => {
  // Columns in an unusual order, plus one AWS might add: read by name.
  const header = 'arn,user,password_last_changed,some_new_column,password_enabled';
  const row = (user: string, changed: string, enabled = 'true') => `arn:aws:iam::${ACCOUNT}:user/${user},${user},${changed},x,${enabled}`;
  const csv = [header, row('<root_account>', 'not_supported', 'not_supported'), row('alice', '2026-03-01T12:00:05+00:00'), row('bob', 'N/A', 'false'), row('carol', 'N/A')].join('\n');
  const generatedAt = new Date(T0 + 10_000);
  const reportAws = () =>
    fakeAws({
      [ACCOUNT]: {
        iam: (cmd) => {
          if (cmd instanceof GenerateCredentialReportCommand) return { State: 'COMPLETE' };
          if (cmd instanceof GetCredentialReportCommand) return { Content: Buffer.from(csv), GeneratedTime: generatedAt };
          throw new Error(`unexpected ${String(cmd)}`);
        },
      },
    });
  const run = (user: string | undefined, sinceMs: number) => runRunbookCheck(reportAws(), { check: check('iam-user-password-changed', user), account: ref(ACCOUNT), sinceIso: iso(sinceMs) });

  it('passes when the password changed after since (the same whole second counts)', async () => {
    const r = await run('alice', T0 + 5_400);
    expect(r).toMatchObject({ passed: true, facts: { user: 'alice', passwordLastChanged: iso(T0 + 5000), passwordEnabled: true, reportGeneratedAt: generatedAt.toISOString() } });
    expect(r.summary).toBe(`alice's password changed at ${iso(T0 + 5000)}, after ${iso(T0 + 5_400)}`);
  });

  it('fails when it changed before since, and says when the report is older than since', async () => {
    expect(await run('alice', T0 + 6_000)).toMatchObject({ passed: false, summary: `alice's password last changed at ${iso(T0 + 5000)}, before ${iso(T0 + 6000)}` });
    const stale = await run('alice', T0 + 60_000);
    expect(stale.passed).toBe(false);
    expect(stale.summary).toMatch(/the credential report is from .*, before that \(AWS makes a new one at most every 4 hours\)$/);
  });

  it('fails for a user without a console password, or without a change date', async () => {
    expect(await run('bob', T0)).toMatchObject({ passed: false, summary: 'IAM user bob has no console password', facts: { passwordEnabled: false } });
    expect(await run('carol', T0)).toMatchObject({ passed: false, summary: 'the credential report has no password change date for carol' });
  });

  it('fails, saying so, for a user not in the report', async () => {
    const r = await run('mallory', T0);
    expect(r).toMatchObject({ passed: false, facts: { user: 'mallory', inReport: false } });
    expect(r.summary).toBe(`IAM user mallory is not in the credential report of ${ACCOUNT} (generated at ${generatedAt.toISOString()})`);
  });

  it('refuses for good to run without a user, with a since that is not a date, or a check it does not know', async () => {
    expect(await failureOf(run(undefined, T0))).toMatchObject({ type: 'RunbookCheckInvalid', nonRetryable: true });
    expect(await failureOf(runRunbookCheck(reportAws(), { check: check('root-console-login'), account: ref(ACCOUNT), sinceIso: 'yesterday' }))).toMatchObject({ type: 'RunbookCheckInvalid', nonRetryable: true });
    // A check from a newer catalogue: refused before any account is touched.
    const unknown = await failureOf(runRunbookCheck(fakeAws({}), { check: check('root-password-rotated' as CheckSpec['name']), account: ref(ACCOUNT), sinceIso: iso(T0) }));
    expect(unknown).toMatchObject({ type: 'RunbookCheckInvalid', nonRetryable: true, message: 'check "root-password-rotated" is not in the catalogue' });
  });

  it('refuses a report whose date it cannot read, rather than guess', () => {
    expect(() => reportRow(`${header}\n${row('alice', 'last tuesday')}`, 'alice')).toThrow(/password_last_changed "last tuesday" of alice is not a date/);
    expect(() => reportRow('user,arn\nalice,x', 'alice')).toThrow(/no password_enabled column/);
  });
});

describe('findRootLogins', () => {
  const window = { sinceIso: iso(T0), untilIso: iso(T0 + 60_000) };

  it("reads each account's window, marks sign-ins during an expected run, and reports an account it cannot read", async () => {
    const lookups: LookupEventsCommandInput[] = [];
    const expected = signIn({ at: T0 + 10_000, ip: '203.0.113.1' });
    const unexpected = signIn({ at: T0 + 20_000, ip: '203.0.113.2', mfa: 'No' });
    const other = signIn({ at: T0 + 30_000, account: OTHER });
    const aws = fakeAws({
      [ACCOUNT]: { lookups, pages: () => ({ Events: [unexpected, expected, signIn({ at: T0 + 25_000, outcome: 'Failure' })] }) },
      [OTHER]: { pages: () => ({ Events: [other] }) },
    });
    const asked: unknown[] = [];
    const openRunAt = async (q: { accountId: string; runbooks: string[]; atIso: string }) => {
      asked.push(q);
      return q.accountId === ACCOUNT && q.atIso === iso(T0 + 10_000) ? 'runbook-root-recovery-1' : undefined;
    };
    const out = await findRootLogins({ aws, openRunAt }, { accounts: [ref(ACCOUNT), ref('999999999999'), ref(OTHER)], expectedDuring: ['root-recovery'], ...window });
    expect(lookups[0]).toMatchObject({ StartTime: new Date(T0), EndTime: new Date(T0 + 60_000) });
    expect(out.logins).toEqual([
      { accountId: ACCOUNT, eventId: unexpected.EventId, at: iso(T0 + 20_000), sourceIp: '203.0.113.2', mfaUsed: 'No' },
      { accountId: ACCOUNT, eventId: expected.EventId, at: iso(T0 + 10_000), sourceIp: '203.0.113.1', mfaUsed: 'Yes', duringRun: 'runbook-root-recovery-1' },
      { accountId: OTHER, eventId: other.EventId, at: iso(T0 + 30_000), mfaUsed: 'Yes' },
    ]);
    expect(out.unreadable).toEqual([{ accountId: '999999999999', error: expect.stringMatching(/^AssumeRole\(SafeguardExecution\): NoSuchEntity: role .* does not exist/) as string }]);
    expect(asked).toContainEqual({ accountId: ACCOUNT, runbooks: ['root-recovery'], atIso: iso(T0 + 10_000) });
    expect(asked).toHaveLength(3);
  });

  it('asks about open runs only when some runbook makes a sign-in expected', async () => {
    const openRunAt = jest.fn(async () => 'never');
    const aws = fakeAws({ [ACCOUNT]: { pages: () => ({ Events: [signIn({ at: T0 + 1000 })] }) } });
    const out = await findRootLogins({ aws, openRunAt }, { accounts: [ref(ACCOUNT)], expectedDuring: [], ...window });
    expect(out.logins).toHaveLength(1);
    expect(out.logins[0]?.duringRun).toBeUndefined();
    expect(openRunAt).not.toHaveBeenCalled();
  });

  it('reports an account whose sign-ins did not fit in one read, keeping those it read', async () => {
    const aws = fakeAws({ [ACCOUNT]: { pages: (_i, n) => ({ Events: n === 0 ? [signIn({ at: T0 + 50_000 })] : [], NextToken: 'more' }) } });
    const out = await findRootLogins({ aws, openRunAt: async () => undefined }, { accounts: [ref(ACCOUNT)], expectedDuring: [], ...window });
    expect(out.logins).toHaveLength(1);
    expect(out.unreadable).toEqual([{ accountId: ACCOUNT, error: expect.stringMatching(/only the newest were read/) as string }]);
  });

  it('refuses a window that ends before it starts', async () => {
    const f = await failureOf(findRootLogins({ aws: fakeAws({}), openRunAt: async () => undefined }, { accounts: [], expectedDuring: [], sinceIso: window.untilIso, untilIso: window.sinceIso }));
    expect(f).toMatchObject({ type: 'RootLoginQueryInvalid', nonRetryable: true });
  });
});

describe('temporalOpenRunAt', () => {
  const TQ = 'safeguard';
  /** A run's status as its Query answers: its plan, and the steps it finished. */
  function runStatus(o: { account?: string; runbook?: string; approvedAt?: string; plan?: Array<'approval' | 'confirm'> }): Pick<RunbookStatus, 'accountId' | 'runbook' | 'plan' | 'steps' | 'current'> {
    const plan = (o.plan ?? ['approval', 'confirm']).map((type, i) => ({ id: `s${i}`, type, title: type }));
    const steps = o.approvedAt ? [{ index: 0, id: 's0', type: 'approval' as const, outcome: 'done' as const, startedAt: '2026-03-01T11:00:00.000Z', endedAt: o.approvedAt, escalated: false, by: [] }] : [];
    return { accountId: o.account ?? ACCOUNT, runbook: o.runbook ?? 'root-recovery', plan, steps };
  }
  function fakeClient(runs: Record<string, ReturnType<typeof runStatus>>) {
    const queries: string[] = [];
    const client = {
      workflow: {
        list: ({ query }: { query: string }) => {
          queries.push(query);
          return (async function* () {
            for (const workflowId of Object.keys(runs)) yield { workflowId, runId: 'r' };
          })();
        },
        getHandle: (id: string) => ({ query: async () => runs[id] }),
      },
    } as unknown as Client;
    return { client, queries };
  }
  const at = '2026-03-01T12:00:05.000Z';

  it("asks visibility for this worker's runbook runs on the account, open at that time, and takes one past its approvals", async () => {
    const { client, queries } = fakeClient({ 'runbook-root-recovery-a': runStatus({ approvedAt: '2026-03-01T11:30:00.000Z' }), 'runbook-root-recovery-b': runStatus({}) });
    expect(await temporalOpenRunAt(client, TQ)({ accountId: ACCOUNT, runbooks: ['root-recovery', 'mfa-reset'], atIso: '2026-03-01T13:00:05+01:00' })).toBe('runbook-root-recovery-a');
    // A sign-in's time is its whole second: a run started later in that second may still have been first.
    expect(queries).toEqual([
      `WorkflowType = 'declarativeRunbookWorkflow' AND TaskQueue = '${TQ}' AND SafeguardKind = 'runbook' AND SafeguardRole IN ('root-recovery', 'mfa-reset') AND SafeguardAccount = '${ACCOUNT}' AND StartTime <= '2026-03-01T12:00:05.999Z' AND (ExecutionStatus = 'Running' OR CloseTime >= '${at}')`,
    ]);
    expect(await temporalOpenRunAt(fakeClient({}).client, TQ)({ accountId: ACCOUNT, runbooks: ['root-recovery'], atIso: at })).toBeUndefined();
  });

  it('a run only started, approved after the sign-in, refused by the worker, or about another account makes nothing expected', async () => {
    const open = (run: ReturnType<typeof runStatus>) => temporalOpenRunAt(fakeClient({ 'runbook-root-recovery-x': run }).client, TQ)({ accountId: ACCOUNT, runbooks: ['root-recovery'], atIso: at });
    expect(await open(runStatus({}))).toBeUndefined();
    expect(await open(runStatus({ approvedAt: '2026-03-01T12:00:06.000Z' }))).toBeUndefined();
    expect(await open(runStatus({ approvedAt: '2026-03-01T12:00:05.500Z' }))).toBe('runbook-root-recovery-x');
    // A forged input ends rejected-invalid with no plan and no step: it never got past anything.
    expect(await open({ ...runStatus({}), plan: [], steps: [] })).toBeUndefined();
    expect(await open(runStatus({ account: '999999999999', approvedAt: '2026-03-01T11:00:00.000Z' }))).toBeUndefined();
    expect(await open(runStatus({ runbook: 'other', approvedAt: '2026-03-01T11:00:00.000Z' }))).toBeUndefined();
  });

  it('approvedAt: the last approval step when every one was approved; the first step for a runbook without approvals', () => {
    expect(approvedAt(runStatus({ approvedAt: '2026-03-01T11:30:00.000Z' }))).toBe('2026-03-01T11:30:00.000Z');
    expect(approvedAt(runStatus({}))).toBeUndefined();
    expect(approvedAt({ plan: [{ id: 'c', type: 'confirm', title: 'c' }], steps: [], current: { index: 0, id: 'c', type: 'confirm', title: 'c', startedAt: '2026-03-01T10:00:00.000Z', escalated: false } })).toBe('2026-03-01T10:00:00.000Z');
    expect(approvedAt({ plan: [], steps: [] })).toBeUndefined();
  });

  it('puts nothing unchecked into the query', async () => {
    const { client, queries } = fakeClient({ x: runStatus({}) });
    const open = temporalOpenRunAt(client, TQ);
    for (const q of [
      { accountId: ACCOUNT, runbooks: ["root' OR SafeguardKind != '"], atIso: iso(T0) },
      { accountId: "1' OR '1'='1", runbooks: ['root-recovery'], atIso: iso(T0) },
      { accountId: ACCOUNT, runbooks: ['root-recovery'], atIso: "' OR ''='" },
    ]) {
      expect(await failureOf(open(q))).toMatchObject({ type: 'RootLoginQueryInvalid', nonRetryable: true });
    }
    expect(await open({ accountId: ACCOUNT, runbooks: [], atIso: iso(T0) })).toBeUndefined();
    expect(queries).toEqual([]);
    expect(() => temporalOpenRunAt(client, "q' OR ''='")).toThrow(/not a task queue name/);
  });
});

describe('signInRegion', () => {
  it('is where AWS records root console sign-ins for the worker\'s partition', () => {
    expect(signInRegion('eu-west-1')).toBe('us-east-1');
    expect(signInRegion('us-east-1')).toBe('us-east-1');
    expect(signInRegion('us-gov-east-1')).toBe('us-gov-west-1');
    expect(signInRegion('cn-northwest-1')).toBe('cn-north-1');
  });
});
