// Successful root console sign-ins from an account's CloudTrail event history: what the
// `root-console-login` check and the root-login watcher both read, through one function so they can
// never disagree about what counts. LookupEvents can filter on one attribute only, so it is asked
// for the root user's events (Username=root: rare, unlike every IAM user's sign-ins, which anyone on
// the internet can add failed ones to) and the rest is judged here from each event's record: a
// ConsoleLogin by the root user
// (userIdentity.type Root), a sign-in that succeeded (a failed attempt is not a login, whatever it
// says about someone trying), and this account (the event history is per account; the check is
// there in case a delegated or organization trail is ever read instead).
import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import type { CloudTrailClient, Event } from '@aws-sdk/client-cloudtrail';
import { awsCall } from '../aws/errors';
import { heartbeat } from '../heartbeat';

/** One successful root console sign-in; never anything secret. */
export interface RootConsoleLogin {
  eventId: string;
  /** ISO time, whole seconds (CloudTrail's precision). */
  at: string;
  sourceIp?: string;
  /** CloudTrail's additionalEventData.MFAUsed: "Yes" or "No". */
  mfaUsed?: string;
}

export interface RootConsoleLogins {
  /** Newest first. */
  logins: RootConsoleLogin[];
  /** More ConsoleLogin events matched than MAX_PAGES pages hold: older ones were not read. */
  truncated: boolean;
}

const PAGE_SIZE = 50;
/**
 * Only the root user's events come back, and root is rarely used: 10 pages (500 events) bounds one
 * activity's calls. Past that the answer says it is truncated rather than pretend it read everything.
 */
export const MAX_PAGES = 10;

interface SignInRecord {
  eventID?: unknown;
  eventName?: unknown;
  eventTime?: unknown;
  sourceIPAddress?: unknown;
  recipientAccountId?: unknown;
  userIdentity?: { type?: unknown; accountId?: unknown };
  responseElements?: { ConsoleLogin?: unknown } | null;
  additionalEventData?: { MFAUsed?: unknown } | null;
}

/** A LookupEvents event as a successful root sign-in to `accountId`, or undefined. Pure. */
export function rootLoginOf(event: Pick<Event, 'EventId' | 'EventTime' | 'CloudTrailEvent'>, accountId: string): RootConsoleLogin | undefined {
  const record = parseRecord(event.CloudTrailEvent);
  if (!record || record.eventName !== 'ConsoleLogin') return undefined;
  if (record.userIdentity?.type !== 'Root') return undefined;
  if (record.responseElements?.ConsoleLogin !== 'Success') return undefined;
  // Either may be absent; a present one that names another account rules the event out.
  for (const account of [record.recipientAccountId, record.userIdentity.accountId]) {
    if (account !== undefined && account !== accountId) return undefined;
  }
  const eventId = event.EventId ?? (typeof record.eventID === 'string' ? record.eventID : undefined);
  const atMs = event.EventTime?.getTime() ?? (typeof record.eventTime === 'string' ? Date.parse(record.eventTime) : NaN);
  if (eventId === undefined || !Number.isFinite(atMs)) return undefined;
  const mfaUsed = record.additionalEventData?.MFAUsed;
  return {
    eventId,
    at: new Date(atMs).toISOString(),
    ...(typeof record.sourceIPAddress === 'string' ? { sourceIp: record.sourceIPAddress } : {}),
    ...(typeof mfaUsed === 'string' ? { mfaUsed } : {}),
  };
}

function parseRecord(raw: string | undefined): SignInRecord | undefined {
  if (!raw) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed !== null && typeof parsed === 'object' ? (parsed as SignInRecord) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Successful root console sign-ins to `accountId` at or after `since` (and at or before `until`
 * when given), newest first. CloudTrail's event times are whole seconds, so both bounds are taken
 * to the second: a sign-in in the same second as `since` counts.
 */
export async function rootConsoleLogins(ct: CloudTrailClient, q: { accountId: string; since: Date; until?: Date }): Promise<RootConsoleLogins> {
  const fromMs = wholeSecond(q.since);
  const toMs = q.until ? wholeSecond(q.until) : undefined;
  const logins: RootConsoleLogin[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await awsCall('LookupEvents(Username=root)', () =>
      ct.send(
        new LookupEventsCommand({
          LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'root' }],
          StartTime: new Date(fromMs),
          ...(toMs !== undefined ? { EndTime: new Date(toMs) } : {}),
          MaxResults: PAGE_SIZE,
          ...(token ? { NextToken: token } : {}),
        }),
      ),
    );
    heartbeat();
    for (const e of out.Events ?? []) {
      const t = e.EventTime?.getTime();
      if (t !== undefined && (t < fromMs || (toMs !== undefined && t > toMs))) continue;
      const login = rootLoginOf(e, q.accountId);
      if (login) logins.push(login);
    }
    token = out.NextToken;
    if (!token) break;
  }
  logins.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  return { logins, truncated: token !== undefined };
}

function wholeSecond(d: Date): number {
  return Math.floor(d.getTime() / 1000) * 1000;
}
