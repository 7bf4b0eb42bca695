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
