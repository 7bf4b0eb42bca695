// The sandbox's CloudTrail event history without moto: what the gateway's trail keeps (full key
// ids, bounded, owners of refused keys), and LookupEvents over it as AWS answers it: validation,
// lookup attributes, time bounds, newest-first paging with tokens bound to their query, and the
// event's wire form.

import { CallTrail } from '../../sandbox/call-trail';
import type { TrailInput } from '../../sandbox/call-trail';
import { MotoDirectory } from '../../sandbox/moto-directory';
import { CloudTrailApiError, eventOf, identityOf, isReadOnlyAction, lookupEvents, parseLookupEvents } from '../../sandbox/services/cloudtrail';

const ACCOUNT = '123456789012';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/SafeguardExecution/worker-1`;
const KEY_A = 'AKIAAAAAAAAAAAAAAAA1';
const KEY_B = 'AKIABBBBBBBBBBBBBBB2';
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

let seq = 0;
let ids = 0;
const newTrail = (max?: number) => new CallTrail(max, () => `event-${++ids}`);
const call = (over: Partial<TrailInput> = {}): TrailInput => ({
  seq: ++seq,
  at: T0,
  service: 'sts',
  action: 'GetCallerIdentity',
  region: 'us-east-1',
  accessKeyId: KEY_A,
  requestParameters: {},
  ...over,
});
const byKey = (value: string) => ({ LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: value }] });

function apiError(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof CloudTrailApiError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a CloudTrail error');
}

describe('CallTrail', () => {
  it('keeps the full access key id and truncates event times to whole seconds', () => {
    const trail = newTrail();
    const e = trail.record(call({ at: T0 + 1_999, principalArn: ALICE }));
    expect(e.accessKeyId).toBe(KEY_A);
    expect(e.time).toBe(T0 + 1_000);
    expect(e.eventId).toMatch(/^event-/);
  });

  it('keeps only the last maxEntries calls', () => {
    const trail = newTrail(3);
    for (let i = 0; i < 5; i++) trail.record(call({ at: T0 + i * 1000 }));
    expect(trail.size).toBe(3);
    expect(trail.query({ limit: 10 }).entries.map((e) => e.time)).toEqual([T0 + 4000, T0 + 3000, T0 + 2000]);
  });

  it('names the owner of a refused key from an earlier call it signed', () => {
    const trail = newTrail();
    trail.record(call({ principalArn: ALICE }));
    const refused = trail.record(call({ errorCode: 'InvalidClientTokenId' }));
    expect(refused.principalArn).toBe(ALICE);
    expect(trail.record(call({ accessKeyId: KEY_B })).principalArn).toBeUndefined();
  });

  it('orders by event time, newest first, even when a slow call is recorded after a later one', () => {
    const trail = newTrail();
    const fast = trail.record(call({ at: T0 + 2000 }));
    const slow = trail.record(call({ at: T0 }));
    const sameSecond = trail.record(call({ at: T0 + 2500 }));
    expect(trail.query({ limit: 10 }).entries).toEqual([sameSecond, fast, slow]);
  });
});

describe('MotoDirectory.ownerOf', () => {
  it('names the owner of an Inactive key from the cache, without reading moto', async () => {
    let reads = 0;
    const data = {
      iam: {
        User: [{ name: 'alice', arn: ALICE }],
        AccessKey: [{ access_key_id: KEY_A, secret_access_key: 's', user_name: 'alice', status: 'Inactive' }],
      },
    };
    const directory = new MotoDirectory('http://moto.invalid', () => {
      reads++;
      return Promise.resolve(data);
    });
    expect(directory.ownerOf(KEY_A)).toBeUndefined();
    expect(reads).toBe(0);
    expect((await directory.lookup(KEY_A)).state).toBe('inactive');
    expect(directory.ownerOf(KEY_A)).toBe(ALICE);
    directory.keyDeleted(KEY_A);
    expect(directory.ownerOf(KEY_A)).toBe(ALICE);
    expect(reads).toBe(1);
  });
});

describe('parseLookupEvents', () => {
  it('defaults to 50 results and no bounds', () => {
    expect(parseLookupEvents({})).toEqual({ limit: 50, insights: false });
  });

  it('reads epoch-second timestamps (JSON 1.1) and ISO strings', () => {
    expect(parseLookupEvents({ StartTime: T0 / 1000 + 0.5, EndTime: new Date(T0 + 5000).toISOString() })).toMatchObject({ startMs: T0 + 500, endMs: T0 + 5000 });
  });

  it.each([
    ['an unknown key', { LookupAttributes: [{ AttributeKey: 'Nope', AttributeValue: 'x' }] }],
    ['a key in the wrong case', { LookupAttributes: [{ AttributeKey: 'accesskeyid', AttributeValue: KEY_A }] }],
    ['an empty value', { LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: '' }] }],
    ['no value', { LookupAttributes: [{ AttributeKey: 'AccessKeyId' }] }],
    ['a value over 2000 characters', { LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: 'x'.repeat(2001) }] }],
    ['two attributes', { LookupAttributes: [byKey(KEY_A).LookupAttributes[0], { AttributeKey: 'EventName', AttributeValue: 'GetCallerIdentity' }] }],
    ['a list that is not one', { LookupAttributes: 'AccessKeyId' }],
  ])('refuses %s with InvalidLookupAttributesException', (_what, params) => {
    expect(apiError(() => parseLookupEvents(params)).code).toBe('InvalidLookupAttributesException');
  });

  it.each([0, 51, 2.5, '10'])('refuses MaxResults %j', (max) => {
    expect(apiError(() => parseLookupEvents({ MaxResults: max })).code).toBe('InvalidMaxResultsException');
  });

  it('refuses a start after the end, and timestamps that are not', () => {
    expect(apiError(() => parseLookupEvents({ StartTime: T0 / 1000 + 1, EndTime: T0 / 1000 })).code).toBe('InvalidTimeRangeException');
    expect(apiError(() => parseLookupEvents({ StartTime: 'yesterday' })).code).toBe('InvalidTimeRangeException');
  });

  it('accepts only the insight event category', () => {
    expect(parseLookupEvents({ EventCategory: 'insight' }).insights).toBe(true);
    expect(apiError(() => parseLookupEvents({ EventCategory: 'management' })).code).toBe('InvalidEventCategoryException');
  });

  it('refuses a NextToken that is not one', () => {
    expect(apiError(() => parseLookupEvents({ NextToken: 'garbage' })).code).toBe('InvalidNextTokenException');
    expect(apiError(() => parseLookupEvents({ NextToken: Buffer.from('{"t":1}').toString('base64url') })).code).toBe('InvalidNextTokenException');
  });
});

describe('lookupEvents', () => {
  function filled(): CallTrail {
    const trail = newTrail();
    trail.record(call({ at: T0, principalArn: ALICE }));
    trail.record(call({ at: T0 + 1000, service: 'iam', action: 'ListAccessKeys', principalArn: ALICE }));
    trail.record(call({ at: T0 + 2000, accessKeyId: KEY_B, principalArn: SESSION, service: 'cloudtrail', action: 'LookupEvents' }));
    trail.record(call({ at: T0 + 3000, errorCode: 'InvalidClientTokenId', errorMessage: 'The security token included in the request is invalid.' }));
    return trail;
  }

  it('finds the calls a key signed, refused ones included, newest first', () => {
    const out = lookupEvents(filled(), byKey(KEY_A));
    expect(out.Events.map((e) => [e['EventName'], e['EventTime']])).toEqual([
      ['GetCallerIdentity', (T0 + 3000) / 1000],
      ['ListAccessKeys', (T0 + 1000) / 1000],
      ['GetCallerIdentity', T0 / 1000],
    ]);
    expect(out.NextToken).toBeUndefined();
    const refused = JSON.parse(out.Events[0]?.['CloudTrailEvent'] as string) as Record<string, unknown>;
    expect(refused).toMatchObject({ errorCode: 'InvalidClientTokenId', errorMessage: 'The security token included in the request is invalid.' });
    expect(out.Events[0]?.['Username']).toBe('alice');
  });

  it('looks up by Username, EventName, EventSource, EventId and ReadOnly; resources match nothing', () => {
    const trail = filled();
    const names = (k: string, v: string) => lookupEvents(trail, { LookupAttributes: [{ AttributeKey: k, AttributeValue: v }] }).Events.map((e) => e['EventName']);
    expect(names('Username', 'alice')).toEqual(['GetCallerIdentity', 'ListAccessKeys', 'GetCallerIdentity']);
    expect(names('Username', 'worker-1')).toEqual(['LookupEvents']);
    expect(names('EventName', 'ListAccessKeys')).toEqual(['ListAccessKeys']);
    expect(names('EventSource', 'cloudtrail.amazonaws.com')).toEqual(['LookupEvents']);
    expect(names('ReadOnly', 'false')).toEqual([]);
    expect(names('ReadOnly', 'true')).toHaveLength(4);
    expect(names('ResourceName', 'alice')).toEqual([]);
    const one = lookupEvents(trail, {}).Events[2];
    expect(names('EventId', one?.['EventId'] as string)).toEqual(['ListAccessKeys']);
  });

  it('bounds by StartTime and EndTime, inclusive, on whole seconds', () => {
    const trail = filled();
    const times = (p: Record<string, unknown>) => lookupEvents(trail, { ...byKey(KEY_A), ...p }).Events.map((e) => e['EventTime']);
    expect(times({ StartTime: (T0 + 1000) / 1000 })).toEqual([(T0 + 3000) / 1000, (T0 + 1000) / 1000]);
    expect(times({ StartTime: (T0 + 1500) / 1000 })).toEqual([(T0 + 3000) / 1000]);
    expect(times({ EndTime: (T0 + 1000) / 1000 })).toEqual([(T0 + 1000) / 1000, T0 / 1000]);
    expect(times({ StartTime: (T0 + 4000) / 1000 })).toEqual([]);
  });

  it('pages newest first; a token is only good for the query it came from', () => {
    const trail = newTrail();
    for (let i = 0; i < 7; i++) trail.record(call({ at: T0 + Math.floor(i / 2) * 1000, requestParameters: { i } }));
    trail.record(call({ accessKeyId: KEY_B }));
    const seen: unknown[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = lookupEvents(trail, { ...byKey(KEY_A), MaxResults: 3, ...(token ? { NextToken: token } : {}) });
      pages++;
      for (const e of out.Events) seen.push((JSON.parse(e['CloudTrailEvent'] as string) as { requestParameters: { i: number } }).requestParameters.i);
      token = out.NextToken;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0]);

    const first = lookupEvents(trail, { ...byKey(KEY_A), MaxResults: 3 });
    expect(first.NextToken).toBeDefined();
    // New calls do not shift later pages.
    trail.record(call({ at: T0 + 10_000 }));
    expect(lookupEvents(trail, { ...byKey(KEY_A), MaxResults: 3, NextToken: first.NextToken }).Events).toHaveLength(3);
    expect(apiError(() => lookupEvents(trail, { ...byKey(KEY_B), NextToken: first.NextToken })).code).toBe('InvalidNextTokenException');
    expect(apiError(() => lookupEvents(trail, { ...byKey(KEY_A), StartTime: T0 / 1000, NextToken: first.NextToken })).code).toBe('InvalidNextTokenException');
  });

  it('has no Insights events', () => {
    expect(lookupEvents(filled(), { EventCategory: 'insight' })).toEqual({ Events: [] });
  });
});

describe('eventOf', () => {
  it('says who signed, when, where and how it ended', () => {
    const trail = newTrail();
    const e = trail.record(
      call({ at: T0 + 250, accessKeyId: 'ASIASESSION000000001', principalArn: SESSION, service: 'ssm', action: 'PutParameter', errorCode: 'AccessDeniedException', errorMessage: 'no', requestId: 'r-1', sourceIp: '127.0.0.1', userAgent: 'aws-sdk-js/3', requestParameters: { Name: '/p', Value: '[REDACTED]' } }),
    );
    const ev = eventOf(e);
    expect(ev).toEqual({
      EventId: e.eventId,
      EventName: 'PutParameter',
      ReadOnly: 'false',
      AccessKeyId: 'ASIASESSION000000001',
      EventTime: T0 / 1000,
      EventSource: 'ssm.amazonaws.com',
      Username: 'worker-1',
      Resources: [],
      CloudTrailEvent: expect.any(String) as string,
    });
    expect(JSON.parse(ev['CloudTrailEvent'] as string)).toEqual({
      eventVersion: '1.08',
      userIdentity: {
        type: 'AssumedRole',
        arn: SESSION,
        accountId: ACCOUNT,
        accessKeyId: 'ASIASESSION000000001',
        sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/SafeguardExecution`, accountId: ACCOUNT, userName: 'SafeguardExecution' } },
      },
      eventTime: '2026-01-01T12:00:00Z',
      eventSource: 'ssm.amazonaws.com',
      eventName: 'PutParameter',
      awsRegion: 'us-east-1',
      sourceIPAddress: '127.0.0.1',
      userAgent: 'aws-sdk-js/3',
      errorCode: 'AccessDeniedException',
      errorMessage: 'no',
      requestParameters: { Name: '/p', Value: '[REDACTED]' },
      responseElements: null,
      requestID: 'r-1',
      eventID: e.eventId,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: ACCOUNT,
      eventCategory: 'Management',
    });
  });

  it('has no Username, and an Unknown identity, for a key nobody owns', () => {
    const ev = eventOf(newTrail().record(call({ accessKeyId: 'AKIAUNKNOWNKEY000000', errorCode: 'InvalidClientTokenId' })));
    expect(ev['Username']).toBeUndefined();
    expect((JSON.parse(ev['CloudTrailEvent'] as string) as { userIdentity: unknown }).userIdentity).toEqual({ type: 'Unknown', accessKeyId: 'AKIAUNKNOWNKEY000000' });
  });
});

describe('identityOf and isReadOnlyAction', () => {
  it('reads users (with paths), sessions and root', () => {
    expect(identityOf(`arn:aws:iam::${ACCOUNT}:user/svc/payments`)).toMatchObject({ type: 'IAMUser', username: 'payments', accountId: ACCOUNT });
    expect(identityOf(SESSION)).toMatchObject({ type: 'AssumedRole', username: 'worker-1' });
    expect(identityOf(`arn:aws:iam::${ACCOUNT}:root`)).toMatchObject({ type: 'Root', username: 'root' });
    expect(identityOf(undefined)).toEqual({ type: 'Unknown' });
  });

  it('calls reads read-only', () => {
    expect(['GetCallerIdentity', 'ListAccessKeys', 'DescribeKey', 'LookupEvents'].every(isReadOnlyAction)).toBe(true);
    expect(['UpdateAccessKey', 'PutParameter', 'RotateKeyOnDemand'].some(isReadOnlyAction)).toBe(false);
  });
});
