// Text helpers for Block Kit. Anything a person typed (reasons, tickets, comments) goes through
// `escapeText` before it reaches mrkdwn, so `<!channel>`, `<@U…>` and `<https://evil|ok>` render as
// literal text and can neither ping anyone nor disguise a link.
import { formatDuration } from '../../config/duration';

export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes and cuts to `max` characters (Block Kit rejects longer texts: section 3000, field 2000). */
export function safeText(text: string, max = 2900): string {
  const cut = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return escapeText(cut);
}

/**
 * Escapes and cuts so the escaped result is at most `max` characters: `safeText` bounds the text
 * before escaping, and a name full of `&` grows fivefold, which a limit-sized field cannot absorb.
 */
export function fitText(text: string, max: number): string {
  const escaped = escapeText(text);
  if (escaped.length <= max) return escaped;
  let out = '';
  for (const ch of text) {
    const e = escapeText(ch);
    if (out.length + e.length > max - 1) break;
    out += e;
  }
  return `${out}…`;
}

export function plain(text: string, max = 150): { type: 'plain_text'; text: string; emoji: true } {
  return { type: 'plain_text', text: text.length > max ? `${text.slice(0, max - 1)}…` : text, emoji: true };
}

export function mrkdwn(text: string): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text };
}

/** `<!date^…>` renders in the reader's time zone; the fallback is UTC ISO. */
export function slackDate(iso: string | undefined): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return '—';
  const secs = Math.floor(ms / 1000);
  return `<!date^${secs}^{date_short_pretty} {time_secs}|${new Date(ms).toISOString()}>`;
}

export function duration(ms: number): string {
  try {
    return formatDuration(ms);
  } catch {
    return `${Math.round(ms / 1000)}s`;
  }
}

/** Person ids come from the policy (never from people's text); shown as a Slack mention when known. */
export type PersonLabel = (personId: string) => string;

export const plainPerson: PersonLabel = (id) => escapeText(id);

export function personLabel(slackIdOf: (personId: string) => string | undefined): PersonLabel {
  return (id) => {
    const slackId = slackIdOf(id);
    return slackId && /^[UW][A-Z0-9]{2,}$/.test(slackId) ? `<@${slackId}>` : escapeText(id);
  };
}
