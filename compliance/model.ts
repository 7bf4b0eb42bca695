// The report's vocabulary: a status per check, per row and per account, and how they combine.

export const STATUSES = ['compliant', 'non-compliant', 'not checked'] as const;
export type Status = (typeof STATUSES)[number];

/** A reference to what a status rests on: an evidence record, or an AWS resource read in an account. */
export type EvidenceRef =
  | { type: 'evidence'; kind: string; seq: number; id: string; at: string }
  | { type: 'aws'; account: string; region: string; resource: string; api: string };

/** One account's (or the evidence store's) answer to one check. */
export interface Finding {
  status: Status;
  /** Why: what was found, or why it could not be checked. */
  reason: string;
  /** Set for AWS findings. */
  account?: string;
  region?: string;
  refs: EvidenceRef[];
}

export interface CheckResult {
  id: string;
  title: string;
  /** What the check looked at (the APIs it called, the evidence kinds and period). */
  looked: string;
  status: Status;
  reason: string;
  findings: Finding[];
}

/**
 * The worst status wins: one non-compliant part makes the whole non-compliant; a part nobody could
 * check keeps the whole from being compliant ("not checked" is never read as compliant); an empty
 * list is "not checked".
 */
export function combine(statuses: Status[]): Status {
  if (statuses.length === 0) return 'not checked';
  if (statuses.includes('non-compliant')) return 'non-compliant';
  if (statuses.includes('not checked')) return 'not checked';
  return 'compliant';
}

/** A check's result from its findings: the combined status, and the reasons of the findings that decided it. */
export function checkResult(id: string, title: string, looked: string, findings: Finding[], emptyReason = 'nothing was checked'): CheckResult {
  const status = combine(findings.map((f) => f.status));
  const deciding = findings.filter((f) => f.status === status);
  const where = (f: Finding): string => (f.account ? `${f.account}${f.region ? `/${f.region}` : ''}: ` : '');
  const reason = findings.length === 0 ? emptyReason : deciding.map((f) => `${where(f)}${f.reason}`).join('; ');
  return { id, title, looked, status, reason, findings };
}
