// Search attributes every Safeguard execution carries, so the Web UI, `list` commands and
// auditors can find runs by kind, person, role or outcome. Registered by worker/search-attributes.ts.

export const SEARCH_ATTRIBUTES = {
  /** Set on every execution: one of RUNBOOK_KINDS. */
  kind: 'SafeguardKind',
  requester: 'SafeguardRequester',
  /** Break-glass role, or the rotation target's, drill's, review's or runbook's name. */
  role: 'SafeguardRole',
  account: 'SafeguardAccount',
  outcome: 'SafeguardOutcome',
} as const;

export const RUNBOOK_KINDS = ['break-glass', 'access-key-rotation', 'kms-rotation', 'restore-drill', 'break-glass-drill', 'access-review', 'runbook'] as const;
export type RunbookKind = (typeof RUNBOOK_KINDS)[number];

/** Safeguard's own housekeeping runs carry a kind too, so "every execution has SafeguardKind" holds. */
export type InternalKind = 'reconciler' | 'revocation-writer' | 'drill-sweeper' | 'access-reviewer' | 'root-login-watch';
export type SafeguardKind = RunbookKind | InternalKind;
