// Parses `/breakglass …` text. Never throws: anything it does not understand becomes an `error`
// with a message a person can act on. Semantic checks (role exists, person may request it,
// duration within the maximum, reason length, ticket) are buildBreakGlassInput's job, so the CLI,
// the modal and this parser share one set of rules.
import { GRANT_ID_PATTERN } from '../client/request';
import { checkDuration } from '../config/duration';
import { ROLE_NAME_PATTERN } from '../config/policy/fields';

/** Slack caps command text far below this; anything longer is not a person typing. */
export const MAX_COMMAND_TEXT = 4000;

export type ParsedCommand =
  | { kind: 'modal' }
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'status'; id?: string }
  | { kind: 'revoke'; id: string; reason?: string }
  | { kind: 'request'; role: string; duration: string; reason: string; ticket?: string }
  | { kind: 'error'; message: string };

const ID_SHAPE = GRANT_ID_PATTERN;
const USAGE = 'usage: `/breakglass <role> <duration> <reason…> [--ticket ID]`, or `/breakglass help`';

export function parseCommandText(raw: unknown): ParsedCommand {
  if (typeof raw !== 'string') return { kind: 'error', message: 'command text must be a string' };
  if (raw.length > MAX_COMMAND_TEXT) return { kind: 'error', message: `command text is too long (${raw.length} characters; at most ${MAX_COMMAND_TEXT})` };
  // Slack sends non-breaking spaces and other Unicode whitespace when people paste; treat them as spaces.
  const text = raw.replace(/[\s\u00a0\u2000-\u200b\u3000]+/g, ' ').trim();
  if (text === '') return { kind: 'modal' };
  const tokens = text.split(' ');
  const head = (tokens[0] ?? '').toLowerCase();
  const rest = tokens.slice(1);

  switch (head) {
    case 'help':
    case '-h':
    case '--help':
      return { kind: 'help' };
    case 'list':
    case 'ls':
      return rest.length === 0 ? { kind: 'list' } : { kind: 'error', message: '`list` takes no arguments' };
    case 'status': {
      if (rest.length === 0) return { kind: 'status' };
      const id = rest[0] ?? '';
      if (rest.length > 1 || !ID_SHAPE.test(id)) return { kind: 'error', message: 'usage: `/breakglass status [id]` (ids look like breakglass-BreakGlassAdmin-1a2b3c4d)' };
      return { kind: 'status', id };
    }
    case 'revoke': {
      const id = rest[0] ?? '';
      if (!ID_SHAPE.test(id)) return { kind: 'error', message: 'usage: `/breakglass revoke <id> [reason…]` (ids look like breakglass-BreakGlassAdmin-1a2b3c4d)' };
      const reason = rest.slice(1).join(' ').trim();
      return reason ? { kind: 'revoke', id, reason } : { kind: 'revoke', id };
    }
    default:
      return parseRequest(tokens);
  }
}

function parseRequest(tokens: string[]): ParsedCommand {
  const words: string[] = [];
  let ticket: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] ?? '';
    if (t === '--ticket' || t === '-t') {
      const next = tokens[i + 1];
      if (next === undefined || next.startsWith('--')) return { kind: 'error', message: '`--ticket` needs a value, like `--ticket INC-1234`' };
      if (ticket !== undefined) return { kind: 'error', message: 'give `--ticket` once' };
      ticket = next;
      i++;
    } else if (t.startsWith('--ticket=')) {
      if (ticket !== undefined) return { kind: 'error', message: 'give `--ticket` once' };
      ticket = t.slice('--ticket='.length);
      if (ticket === '') return { kind: 'error', message: '`--ticket` needs a value, like `--ticket INC-1234`' };
    } else words.push(t);
  }
  const [role, duration, ...reasonWords] = words;
  if (!role || !ROLE_NAME_PATTERN.test(role)) return { kind: 'error', message: `"${(role ?? '').slice(0, 80)}" is not a role name; ${USAGE}` };
  if (!duration) return { kind: 'error', message: `missing duration and reason; ${USAGE}` };
  // The one duration parser, so Slack words a bad duration exactly as the CLI and the api do.
  const checked = checkDuration(duration);
  if (!checked.ok) return { kind: 'error', message: `${checked.reason}; ${USAGE}` };
  const reason = reasonWords.join(' ').trim();
  if (!reason) return { kind: 'error', message: `missing reason; ${USAGE}` };
  return ticket === undefined ? { kind: 'request', role, duration, reason } : { kind: 'request', role, duration, reason, ticket };
}
