// The gateway's CloudTrail: every AWS call it saw that named an access key, refused ones included
// (unknown, Inactive or deleted key, a key still propagating, a bad signature, an injected fault),
// with the FULL access key id that signed it, and the console sign-ins a test records through
// POST /_sandbox/cloudtrail/console-logins (console-logins.ts): a sign-in never passes the gateway,
// and no access key signs one. It backs cloudtrail:LookupEvents (services/cloudtrail.ts) and
// nothing else: the call log (call-log.ts) is served unauthenticated under /_sandbox/calls and
// therefore masks key ids, so it cannot answer "which calls did key X sign". This index is never
// served by a control endpoint, holds no secrets (request parameters are the call log's redacted
// ones) and keeps only the last `maxEntries` entries. Pure apart from the event id drawn for each
// entry.

import { randomUUID } from 'node:crypto';

export const MAX_TRAIL_ENTRIES = 10_000;

/** One recorded call or console sign-in, as CloudTrail would hold it. */
export interface TrailEntry {
  /** Recording order in this trail (increasing): orders the events of one second, and pages. */
  order: number;
  /** The call log's sequence number for the same call; absent for a console sign-in (the gateway never saw it). */
  seq?: number;
  eventId: string;
  /** When the call arrived (or the sign-in happened), ms since the epoch truncated to whole seconds (CloudTrail's eventTime precision). */
  time: number;
  /** Signing name, e.g. `iam`, `sts`, `ssm`. */
  service: string;
  action: string;
  region: string;
  /** In full: only LookupEvents callers see it. Absent for a console sign-in (no key signs one). */
  accessKeyId?: string;
  /** The key's principal (IAM user or assumed-role session) when known. */
  principalArn?: string;
  /** AWS error code when the call failed (refused by the gateway, a fault, or moto). */
  errorCode?: string;
  errorMessage?: string;
  requestId?: string;
  sourceIp?: string;
  userAgent?: string;
  /** The call log's redacted parameters (shared with its record, not copied). */
  requestParameters: Record<string, unknown>;
  /** A console sign-in (CloudTrail's AwsConsoleSignIn event) rather than an API call: how it ended. */
  consoleSignIn?: { success: boolean; mfaUsed: boolean };
}

export type TrailInput = Omit<TrailEntry, 'eventId' | 'time' | 'order'> & {
  /** ms since the epoch (truncated to seconds when recorded). */
  at: number;
};

/** A position in the trail's order (newest first: time descending, then arrival descending). */
export interface TrailCursor {
  time: number;
  order: number;
}

export interface TrailQuery {
  /** Which entries count (a lookup attribute); default all. */
  match?: (e: TrailEntry) => boolean;
  /** Inclusive bounds on `time`, ms. */
  startMs?: number;
  endMs?: number;
  /** Only entries after this one in the order (the paging cursor). */
  after?: TrailCursor;
  limit: number;
}

export interface TrailPage {
  /** Newest first. */
  entries: TrailEntry[];
  /** Where the next page starts (the last entry returned) when more entries match. */
  next?: TrailCursor;
}

export class CallTrail {
  /** Oldest first; `order` increases along the array. */
  private entries: TrailEntry[] = [];
  /** The last principal seen signing with each key, for calls refused before the key's owner is known. */
  private readonly owners = new Map<string, string>();
  private recorded = 0;

  constructor(
    private readonly maxEntries = MAX_TRAIL_ENTRIES,
    private readonly newEventId: () => string = randomUUID,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }

  record(input: TrailInput): TrailEntry {
    const { at, ...rest } = input;
    const key = rest.accessKeyId;
    let principalArn = rest.principalArn;
    if (key !== undefined && principalArn !== undefined) {
      // Re-insert so the map's order is recency (the oldest is dropped first).
      this.owners.delete(key);
      this.owners.set(key, principalArn);
      if (this.owners.size > this.maxEntries) {
        const oldest = this.owners.keys().next().value;
        if (oldest !== undefined) this.owners.delete(oldest);
      }
    } else if (key !== undefined) {
      principalArn = this.owners.get(key);
    }
    const entry: TrailEntry = {
      ...rest,
      ...(principalArn !== undefined ? { principalArn } : {}),
      order: ++this.recorded,
      eventId: this.newEventId(),
      time: Math.floor(at / 1000) * 1000,
    };
    this.entries.push(entry);
    if (this.entries.length > this.maxEntries) this.entries.splice(0, this.entries.length - this.maxEntries);
    return entry;
  }

  /**
   * Matching entries, newest first, at most `limit`. Entries are recorded when a call is answered
   * but timed when it arrived, so a slow call can be recorded after a later one: the order is by
   * time, then by recording order.
   */
  query(q: TrailQuery): TrailPage {
    const after = q.after;
    const matched = this.entries.filter(
      (e) =>
        (q.startMs === undefined || e.time >= q.startMs) &&
        (q.endMs === undefined || e.time <= q.endMs) &&
        (after === undefined || e.time < after.time || (e.time === after.time && e.order < after.order)) &&
        (q.match === undefined || q.match(e)),
    );
    matched.sort((a, b) => b.time - a.time || b.order - a.order);
    const entries = matched.slice(0, q.limit);
    const last = entries[entries.length - 1];
    return matched.length > entries.length && last ? { entries, next: { time: last.time, order: last.order } } : { entries };
  }

  get size(): number {
    return this.entries.length;
  }
}
