// CloudTrail reads: the events a given access key signed, refused ones included. IAM's
// GetAccessKeyLastUsed records only calls that authenticated, so a consumer still signing with a
// deactivated key shows up here (errorCode InvalidClientTokenId) and nowhere else.
import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';

export interface KeyEvent {
  at: string;
  name: string;
  errorCode?: string;
}

/** Events signed with `accessKeyId` at or after `since`, newest first; at most `limit` (pages bounded). */
export async function eventsByAccessKey(ct: CloudTrailClient, accessKeyId: string, since: Date, limit = 50): Promise<KeyEvent[]> {
  // CloudTrail's event times are whole seconds: an event in the same second as `since` counts.
  const fromMs = Math.floor(since.getTime() / 1000) * 1000;
  const out: KeyEvent[] = [];
  let token: string | undefined;
  for (let page = 0; page < 5 && out.length < limit; page++) {
    const r = await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: accessKeyId }], StartTime: new Date(fromMs), MaxResults: 50, ...(token ? { NextToken: token } : {}) }));
    for (const e of r.Events ?? []) {
      if (!e.EventTime || e.EventTime.getTime() < fromMs) continue;
      const errorCode = errorCodeOf(e.CloudTrailEvent);
      out.push({ at: e.EventTime.toISOString(), name: e.EventName ?? 'unknown', ...(errorCode ? { errorCode } : {}) });
    }
    token = r.NextToken;
    if (!token) break;
  }
  return out.slice(0, limit);
}

function errorCodeOf(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  try {
    const code = (JSON.parse(raw) as { errorCode?: unknown }).errorCode;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}
