// Console sign-ins in the sandbox's CloudTrail, without moto: the control endpoint's body
// (POST /_sandbox/cloudtrail/console-logins) checked as documented, the event LookupEvents returns
// for a sign-in as AWS writes it (no access key, the outcome and MFA in the record), and each
// account's event history kept to itself.

import { CallTrail } from '../../sandbox/call-trail';
import type { TrailInput } from '../../sandbox/call-trail';
import { ConsoleLoginValidationError, consoleLoginTrailInput, parseConsoleLogin } from '../../sandbox/console-logins';
import { eventOf, lookupEvents } from '../../sandbox/services/cloudtrail';

const ACCOUNT = '123456789012';
const OTHER = '210987654321';
const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);

let ids = 0;
const newTrail = () => new CallTrail(undefined, () => `event-${++ids}`);
const signIn = (body: Record<string, unknown>) => consoleLoginTrailInput(parseConsoleLogin(body, { now: NOW }));
const apiCall = (over: Partial<TrailInput> = {}): TrailInput => ({
  seq: 1,
  at: NOW,
  service: 'sts',
  action: 'GetCallerIdentity',
  region: 'us-east-1',
  accessKeyId: 'AKIAAAAAAAAAAAAAAAA1',
  principalArn: `arn:aws:iam::${ACCOUNT}:user/alice`,
  requestParameters: {},
  ...over,
});
const record = (ev: Record<string, unknown>) => JSON.parse(ev['CloudTrailEvent'] as string) as Record<string, unknown>;

function refusal(body: unknown): string {
  try {
    parseConsoleLogin(body, { now: NOW });
  } catch (err) {
    if (err instanceof ConsoleLoginValidationError) return err.message;
    throw err;
  }
  throw new Error('expected the body to be refused');
}

describe('parseConsoleLogin', () => {
  it('defaults to a successful root sign-in with MFA, now', () => {
    expect(parseConsoleLogin({ accountId: ACCOUNT }, { now: NOW })).toEqual({ accountId: ACCOUNT, user: 'root', at: NOW, mfaUsed: true, success: true });
  });

  it('takes an IAM user, a past time, a source address, no MFA and a failure', () => {
    expect(parseConsoleLogin({ accountId: ACCOUNT, user: 'alice', at: '2026-03-01T11:00:00+01:00', sourceIp: '203.0.113.7', mfaUsed: false, success: false }, { now: NOW })).toEqual({
      accountId: ACCOUNT,
      user: 'alice',
      at: Date.UTC(2026, 2, 1, 10, 0, 0),
      sourceIp: '203.0.113.7',
      mfaUsed: false,
      success: false,
    });
  });

  it('refuses what is not a sign-in, naming the field', () => {
    expect(refusal({})).toMatch(/^accountId: must be a 12-digit account id/);
    expect(refusal({ accountId: 123456789012 })).toMatch(/^accountId: /);
    expect(refusal({ accountId: '12345' })).toMatch(/^accountId: must be a 12-digit account id/);
    expect(refusal({ accountId: ACCOUNT, user: 'no spaces allowed' })).toMatch(/^user: must be "root" or an IAM user name/);
    expect(refusal({ accountId: ACCOUNT, at: '2026-03-01' })).toMatch(/^at must be an ISO 8601 date-time with a time zone/);
    expect(refusal({ accountId: ACCOUNT, at: new Date(NOW + 60_000).toISOString() })).toMatch(/^at .* is in the future/);
    expect(refusal({ accountId: ACCOUNT, at: '2001-01-01T00:00:00Z' })).toMatch(/before 2006/);
    expect(refusal({ accountId: ACCOUNT, sourceIp: '2001:db8::1' })).toMatch(/^sourceIp: must be an IPv4 address/);
    expect(refusal({ accountId: ACCOUNT, sourceIp: '300.1.1.1' })).toMatch(/^sourceIp: /);
    expect(refusal({ accountId: ACCOUNT, mfaUsed: 'yes' })).toBe('mfaUsed: must be true or false');
    expect(refusal({ accountId: ACCOUNT, success: 1 })).toBe('success: must be true or false');
    expect(refusal({ accountId: ACCOUNT, colour: 'red' })).toMatch(/"colour".*; the body is a JSON object \{"accountId", "user", "at", "sourceIp", "mfaUsed", "success"\}$/);
    expect(refusal([{ accountId: ACCOUNT }])).toMatch(/expected object.*; the body is a JSON object/);
  });
});

describe('a console sign-in in LookupEvents', () => {
  it('reads as AWS writes a root sign-in: signin.amazonaws.com, no access key, outcome and MFA', () => {
    const e = newTrail().record(signIn({ accountId: ACCOUNT, at: '2026-03-01T11:59:30.400Z', sourceIp: '203.0.113.7' }));
    const ev = eventOf(e);
    expect(ev).toEqual({
      EventId: e.eventId,
      EventName: 'ConsoleLogin',
      ReadOnly: 'false',
      EventTime: Date.UTC(2026, 2, 1, 11, 59, 30) / 1000,
      EventSource: 'signin.amazonaws.com',
      Username: 'root',
      Resources: [],
      CloudTrailEvent: expect.any(String) as string,
    });
    expect(record(ev)).toEqual({
      eventVersion: '1.08',
      userIdentity: { type: 'Root', arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT },
      eventTime: '2026-03-01T11:59:30Z',
      eventSource: 'signin.amazonaws.com',
      eventName: 'ConsoleLogin',
      awsRegion: 'us-east-1',
      sourceIPAddress: '203.0.113.7',
      userAgent: expect.any(String) as string,
      requestParameters: null,
      responseElements: { ConsoleLogin: 'Success' },
      additionalEventData: { LoginTo: expect.any(String) as string, MobileVersion: 'No', MFAUsed: 'Yes' },
      eventID: e.eventId,
      readOnly: false,
      eventType: 'AwsConsoleSignIn',
      managementEvent: true,
      recipientAccountId: ACCOUNT,
      eventCategory: 'Management',
    });
  });

  it("writes a failed IAM user's sign-in without MFA as a Failure with AWS's message", () => {
    const r = record(eventOf(newTrail().record(signIn({ accountId: ACCOUNT, user: 'alice', mfaUsed: false, success: false }))));
    expect(r).toMatchObject({
      userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/alice`, accountId: ACCOUNT, userName: 'alice' },
      errorMessage: 'Failed authentication',
      responseElements: { ConsoleLogin: 'Failure' },
      additionalEventData: { MFAUsed: 'No' },
    });
    expect(r).not.toHaveProperty('errorCode');
    expect(r).not.toHaveProperty('sourceIPAddress');
  });

  it('is found by EventName, Username and EventSource, never by an access key', () => {
    const trail = newTrail();
    trail.record(apiCall());
    trail.record(signIn({ accountId: ACCOUNT }));
    const names = (k: string, v: string) => lookupEvents(trail, { LookupAttributes: [{ AttributeKey: k, AttributeValue: v }] }).Events.map((e) => e['EventName']);
    expect(names('EventName', 'ConsoleLogin')).toEqual(['ConsoleLogin']);
    expect(names('Username', 'root')).toEqual(['ConsoleLogin']);
    expect(names('EventSource', 'signin.amazonaws.com')).toEqual(['ConsoleLogin']);
    expect(names('ReadOnly', 'false')).toEqual(['ConsoleLogin']);
    expect(names('AccessKeyId', 'AKIAAAAAAAAAAAAAAAA1')).toEqual(['GetCallerIdentity']);
    expect(lookupEvents(trail, {}).Events.find((e) => e['EventName'] === 'ConsoleLogin')).not.toHaveProperty('AccessKeyId');
  });

  it('pages through sign-ins and calls of the same second without repeating or losing one', () => {
    const trail = newTrail();
    for (let i = 0; i < 3; i++) {
      trail.record(apiCall({ seq: i + 1 }));
      trail.record(signIn({ accountId: ACCOUNT }));
    }
    const all = lookupEvents(trail, {}).Events.map((e) => e['EventId']);
    const paged: unknown[] = [];
    let token: string | undefined;
    do {
      const out = lookupEvents(trail, { MaxResults: 4, ...(token ? { NextToken: token } : {}) });
      paged.push(...out.Events.map((e) => e['EventId']));
      token = out.NextToken;
    } while (token);
    expect(new Set(all).size).toBe(6);
    expect(paged).toEqual(all);
  });
});

describe("LookupEvents answers from the caller's account only", () => {
  it("leaves out events of principals known to be in another account; keeps those of unknown ones", () => {
    const trail = newTrail();
    trail.record(signIn({ accountId: ACCOUNT, sourceIp: '203.0.113.1' }));
    trail.record(signIn({ accountId: OTHER, sourceIp: '203.0.113.2' }));
    trail.record(apiCall({ principalArn: `arn:aws:sts::${OTHER}:assumed-role/SafeguardExecution/worker` }));
    trail.record(apiCall({ accessKeyId: 'AKIAUNKNOWNKEY000000', principalArn: undefined, errorCode: 'InvalidClientTokenId' }));
    const seen = (callerAccountId?: string) =>
      lookupEvents(trail, {}, callerAccountId !== undefined ? { callerAccountId } : {}).Events.map((e) => {
        const r = record(e);
        return `${e['EventName'] as string}:${(r['recipientAccountId'] as string | undefined) ?? 'unknown'}`;
      });
    expect(seen(ACCOUNT)).toEqual(['GetCallerIdentity:unknown', 'ConsoleLogin:123456789012']);
    expect(seen(OTHER)).toEqual(['GetCallerIdentity:unknown', 'GetCallerIdentity:210987654321', 'ConsoleLogin:210987654321']);
    // Without a caller account (the pure function's default), everything, as before.
    expect(seen()).toHaveLength(4);
  });

  it('applies the account before the page size, so a page is never short of events that exist', () => {
    const trail = newTrail();
    trail.record(signIn({ accountId: ACCOUNT }));
    for (let i = 0; i < 5; i++) trail.record(signIn({ accountId: OTHER }));
    const out = lookupEvents(trail, { MaxResults: 1 }, { callerAccountId: ACCOUNT });
    expect(out.Events).toHaveLength(1);
    expect(record(out.Events[0] ?? {})['recipientAccountId']).toBe(ACCOUNT);
    expect(out.NextToken).toBeUndefined();
  });
});
