// Stable ids shared by the Block Kit builders and the listeners. Changing one breaks the buttons on
// cards already posted, so they are part of the app's interface. Break-glass owns the `bg_`
// namespace (its ids predate the others); every other kind's decisions use `<kind>:<verb>`.
import type { RunbookKind } from '../../workflows/shared/search-attributes';

export const ACTIONS = {
  approve: 'bg_approve',
  deny: 'bg_deny',
  ratify: 'bg_ratify',
  reject: 'bg_reject',
  revoke: 'bg_revoke',
  extend: 'bg_extend',
  openRequest: 'bg_open_request',
  consoleLink: 'bg_console_link',
} as const;

export const KNOWN_ACTION_IDS: ReadonlySet<string> = new Set(Object.values(ACTIONS));

export const VIEWS = {
  request: 'bg_request',
  deny: 'bg_deny_reason',
  extend: 'bg_extend_request',
} as const;

/** block_id / action_id pairs of the request modal's inputs. */
export const REQUEST_FIELDS = {
  role: { block: 'role', action: 'role' },
  duration: { block: 'duration', action: 'duration' },
  reason: { block: 'reason', action: 'reason' },
  ticket: { block: 'ticket', action: 'ticket' },
} as const;

export const DENY_FIELDS = { reason: { block: 'reason', action: 'reason' } } as const;

export const EXTEND_FIELDS = { duration: { block: 'duration', action: 'duration' }, reason: { block: 'reason', action: 'reason' } } as const;

export type DecisionVerb = 'approve' | 'deny';

/** `access-key-rotation:approve` — one listener decides for every non-break-glass kind. */
export function runbookActionId(kind: Exclude<RunbookKind, 'break-glass'>, verb: DecisionVerb): string {
  return `${kind}:${verb}`;
}

/** Matches every kind's decision buttons; group 1 is the kind, group 2 the verb. */
export const RUNBOOK_DECISION_ACTION = /^([a-z][a-z-]+):(approve|deny)$/;

/** The generic deny-reason modal (callback id); its private_metadata carries `<workflowId>@<round>`. */
export const RUNBOOK_DENY_VIEW = 'runbook:deny_reason';

/**
 * A declarative runbook's Confirm button (the step it waits on). Its value is `<workflow id>@<step id>`,
 * with `@note` appended when the step needs a note, so the modal can ask for one without a round trip
 * to Temporal inside Slack's 3-second trigger window. The flag only shapes the form: the workflow's
 * validator is what refuses a confirmation without a note.
 */
export const RUNBOOK_CONFIRM_ACTION = 'runbook:confirm';

/** The confirm modal (callback id); its private_metadata carries the run, the step and the flag above. */
export const RUNBOOK_CONFIRM_VIEW = 'runbook:confirm_note';

export const CONFIRM_FIELDS = { note: { block: 'note', action: 'note' } } as const;

/** The flag a Confirm button's value ends with when the step needs a note. */
export const NOTE_REQUIRED_FLAG = 'note';

export function confirmButtonValue(p: { workflowId: string; step: string; noteRequired: boolean }): string {
  return `${p.workflowId}@${p.step}${p.noteRequired ? `@${NOTE_REQUIRED_FLAG}` : ''}`;
}

/**
 * Access-review buttons. A button's value is `<reviewer run id>|<what>`: the item key, the bulk
 * choice, or the page offset. Slack wants action ids unique within one actions block, so the two
 * bulk buttons (and Previous / Next) that share a block carry a suffix (`review:bulk:revoke-flagged`,
 * `review:page:next`); the value alone says what to do.
 */
export const REVIEW_ACTIONS = {
  keep: 'review:keep',
  revoke: 'review:revoke',
  bulk: 'review:bulk',
  page: 'review:page',
  /** App Home and reminders: DM the current page of the review message. */
  open: 'review:open',
} as const;

export type ReviewVerb = keyof typeof REVIEW_ACTIONS;

/** Matches every access-review button; group 1 is the verb, group 2 the optional suffix. */
export const REVIEW_ACTION = /^review:(keep|revoke|bulk|page|open)(?::([a-z][a-z-]{0,30}))?$/;

/** The buttons of some verbs, suffixed or not: together, the listeners answer everything REVIEW_ACTION admits. */
export function reviewActionPattern(...verbs: ReviewVerb[]): RegExp {
  return new RegExp(`^review:(${verbs.join('|')})(?::([a-z][a-z-]{0,30}))?$`);
}

export function reviewActionId(verb: ReviewVerb, suffix?: string): string {
  return suffix ? `${REVIEW_ACTIONS[verb]}:${suffix}` : REVIEW_ACTIONS[verb];
}

/** Slack's limit on a button's value; an item key can be a ~600-character ARN, a run id ~130. */
export const MAX_ACTION_VALUE = 2000;

export function reviewValue(runId: string, what: string | number): string {
  return `${runId}|${what}`;
}

/** Splits at the first `|`: run ids never contain one, and whatever follows is the item key as it was. */
export function parseReviewValue(value: string | undefined): { runId: string; what: string } | undefined {
  if (!value) return undefined;
  const bar = value.indexOf('|');
  if (bar <= 0 || bar === value.length - 1) return undefined;
  return { runId: value.slice(0, bar), what: value.slice(bar + 1) };
}
