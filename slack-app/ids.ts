// Deterministic workflow short ids derived from the Slack request, so Slack's retries
// (x-slack-retry-num) and double submissions of one modal map to the same workflow id, which
// BreakGlassClient.start (USE_EXISTING + REJECT_DUPLICATE) never starts twice.
import { createHash } from 'node:crypto';

/** 12 hex characters (48 bits) of SHA-256 over the parts. */
export function slackShortId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 12);
}

/** A slash command: trigger_id is unique per invocation and identical in Slack's retries of it.
 * Without one (never from Slack), fall back to team+user+text in a one-minute bucket. */
export function commandShortId(b: { team_id?: string; user_id: string; text: string; trigger_id?: string }, nowMs: number = Date.now()): string {
  if (b.trigger_id) return slackShortId('cmd', b.team_id ?? '', b.trigger_id);
  return slackShortId('cmd-text', b.team_id ?? '', b.user_id, b.text, String(Math.floor(nowMs / 60_000)));
}

/** A modal submission: the view id stays the same however often its submit button is pressed. */
export function viewShortId(teamId: string, viewId: string): string {
  return slackShortId('view', teamId, viewId);
}
