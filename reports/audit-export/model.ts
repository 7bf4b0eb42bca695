// The period report an auditor asks for: every run the evidence store holds for a period, one row per
// evidence entry, with the figures each kind is judged by, a summary per kind, and whether the chain
// verified. This file is the model's shape and the figures of each kind; build.ts builds it (pure),
// load.ts reads the store for it, and one renderer per format draws it.

/** The kinds the report knows, in the order it shows them. */
export const REPORT_KINDS = ['break-glass', 'reconciled', 'access-refused', 'break-glass-drill', 'restore-drill', 'access-key-rotation', 'kms-rotation', 'access-review', 'runbook', 'root-login', 'drill-sweep'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

export const KIND_TITLES: Record<ReportKind, string> = {
  'break-glass': 'Break-glass access',
  reconciled: 'Break-glass revocations by the reconciler',
  'access-refused': 'Refused credential requests',
  'break-glass-drill': 'Break-glass fire drills',
  'restore-drill': 'Restore drills',
  'access-key-rotation': 'IAM access-key rotations',
  'kms-rotation': 'KMS key rotations',
  'access-review': 'Access reviews',
  runbook: 'Declarative runbook runs',
  'root-login': 'Root console sign-ins',
  'drill-sweep': 'Drill sweeps',
};

/** What an empty section says, where "No runs in this period." would not read right. */
export function emptyText(kind: ReportKind): string {
  return kind === 'root-login' ? 'No root console sign-in was recorded in this period.' : 'No runs in this period.';
}

/**
 * Evidence kinds that are parts of a run shown elsewhere, never rows or "other evidence" of their own:
 * a `runbook-step` belongs to its `runbook` run (same workflowId and runId).
 */
export const PART_KINDS: Readonly<Record<string, ReportKind>> = { 'runbook-step': 'runbook' };

export type FigureValue = string | number | boolean | null;
/** `ms`: a duration in milliseconds; `time`: an ISO time; `list`: names joined by ", ". */
export type FigureUnit = 'ms' | 'time' | 'count' | 'flag' | 'text';

export interface FigureSpec {
  key: string;
  label: string;
  unit: FigureUnit;
}

export interface RunRow {
  kind: ReportKind;
  /** The evidence entry behind the row. */
  seq: number;
  evidenceId: string;
  /** When the evidence entry was written. */
  recordedAt: string;
  workflowId: string | null;
  /** What the run was about: a role, a rotation target, a drill, a review. */
  subject: string;
  outcome: string;
  requestedBy: string | null;
  approvers: string[];
  startedAt: string | null;
  plannedEndAt: string | null;
  endedAt: string | null;
  /** The kind's figures, keyed as FIGURES[kind] lists them (every key present, null when unknown). */
  figures: Record<string, FigureValue>;
  /** What is wrong with the record (a missing field), so a gap is shown and not silently blank. */
  problems: string[];
}

export interface KindSummary {
  kind: ReportKind;
  title: string;
  runs: number;
  /** Runs per outcome, outcomes sorted by name. */
  outcomes: Record<string, number>;
  /** The kind's headline figures (SUMMARY_FIGURES[kind]); null when no run had the figure. */
  figures: Record<string, number | null>;
}

export interface ChainStatus {
  ok: boolean;
  entries: number;
  problems: number;
  /** The first problem verify() found, so the header says why the chain did not verify. */
  firstProblem: string | null;
  headHash: string | null;
  /** As the store reports it, when it anchors its chain elsewhere. */
  anchors: unknown;
}

export interface AuditExport {
  /** Inclusive start, exclusive end (ISO). */
  period: { from: string; to: string };
  /** The one kind asked for, or null for every kind. */
  kind: ReportKind | null;
  generatedAt: string;
  evidenceDir: string;
  chain: ChainStatus;
  summary: KindSummary[];
  sections: { kind: ReportKind; title: string; figures: FigureSpec[]; rows: RunRow[] }[];
  /** Entries of kinds this report does not know, listed so nothing in the period goes unseen. */
  other: { seq: number; evidenceId: string; kind: string; recordedAt: string }[];
}

/** What each kind is judged by, in column order. */
export const FIGURES: Record<ReportKind, FigureSpec[]> = {
  'break-glass': [
    f('role', 'role', 'text'),
    f('accountId', 'account', 'text'),
    f('mode', 'mode', 'text'),
    f('ticket', 'ticket', 'text'),
    f('reason', 'reason', 'text'),
    f('endReason', 'end reason', 'text'),
    f('grantedAt', 'granted at', 'time'),
    f('revocationVerified', 'revocation verified', 'flag'),
    f('revocationLagMs', 'revocation lag', 'ms'),
    f('sessionsTerminated', 'sessions terminated', 'count'),
  ],
  reconciled: [
    f('role', 'role', 'text'),
    f('accountId', 'account', 'text'),
    f('closedAs', 'closed as', 'text'),
    f('closedAt', 'closed at', 'time'),
    f('reconcileWorkflowId', 'reconciler run', 'text'),
    f('revocationVerified', 'revocation verified', 'flag'),
    f('revocationLagMs', 'revocation lag', 'ms'),
  ],
  'access-refused': [f('code', 'code', 'text'), f('what', 'what', 'text')],
  'break-glass-drill': [
    f('rehearses', 'rehearses', 'text'),
    f('grantWorkflowId', 'drill grant', 'text'),
    f('timeToApproveMs', 'time to approve', 'ms'),
    f('approveWithinMs', 'approve target', 'ms'),
    f('timeToGrantMs', 'time to grant', 'ms'),
    f('grantWithinMs', 'grant target', 'ms'),
    f('revocationLagMs', 'revocation lag', 'ms'),
    f('revokeWithinMs', 'revoke target', 'ms'),
    f('revocationVerified', 'revocation verified', 'flag'),
    f('targetsMet', 'targets met', 'flag'),
    f('missed', 'missed', 'text'),
  ],
  'restore-drill': [
    f('sourceType', 'source', 'text'),
    f('rtoMs', 'RTO', 'ms'),
    f('rtoTargetMs', 'RTO target', 'ms'),
    f('rtoMet', 'RTO met', 'flag'),
    f('rpoMs', 'RPO', 'ms'),
    f('rpoTargetMs', 'RPO target', 'ms'),
    f('rpoMet', 'RPO met', 'flag'),
    f('validationPassed', 'data validated', 'flag'),
    f('scratch', 'scratch resource', 'text'),
    f('tornDownAt', 'torn down at', 'time'),
  ],
  'access-key-rotation': [
    f('userName', 'IAM user', 'text'),
    f('accountId', 'account', 'text'),
    f('oldAccessKeyId', 'old key', 'text'),
    f('newAccessKeyId', 'new key', 'text'),
  ],
  'kms-rotation': [
    f('keyRef', 'key', 'text'),
    f('keyId', 'key id', 'text'),
    f('accountId', 'account', 'text'),
    f('rotationPeriodDays', 'rotation period (days)', 'count'),
    f('onDemandDrill', 'on-demand drill', 'flag'),
  ],
  'access-review': [
    f('accounts', 'accounts', 'text'),
    f('defaultAction', 'default action', 'text'),
    f('principals', 'principals', 'count'),
    f('flagged', 'flagged', 'count'),
    f('exempt', 'exempt', 'count'),
    f('reviewers', 'reviewers', 'count'),
    f('kept', 'kept', 'count'),
    f('revoked', 'revoked', 'count'),
    f('defaulted', 'defaulted', 'count'),
    f('undecided', 'undecided', 'count'),
    f('revocationsApplied', 'revocations applied', 'count'),
    f('revocationsVerified', 'revocations verified', 'count'),
    f('report', 'report blob', 'text'),
  ],
  // A dual-control procedure is judged by how far it got, what ran late, and how many different people
  // vouched for its steps; every step's own record is cited by seq so an auditor can open it.
  runbook: [
    f('title', 'title', 'text'),
    f('accountId', 'account', 'text'),
    f('reason', 'reason', 'text'),
    f('stepsDone', 'steps done', 'count'),
    f('stepsTotal', 'steps in runbook', 'count'),
    f('stepsEscalated', 'steps escalated', 'count'),
    f('stepsTimedOut', 'steps timed out', 'count'),
    f('stoppedAt', 'stopped at', 'text'),
    f('confirmers', 'distinct confirmers', 'count'),
    f('confirmedBy', 'confirmed by', 'text'),
    f('stepEvidence', 'step evidence (seqs)', 'text'),
  ],
  'root-login': [
    f('accountId', 'account', 'text'),
    f('signedInAt', 'signed in at', 'time'),
    f('sourceIp', 'source IP', 'text'),
    f('mfaUsed', 'MFA used', 'text'),
    f('eventId', 'CloudTrail event id', 'text'),
    f('duringRun', 'during approved run', 'text'),
    f('pagedAt', 'paged at', 'time'),
  ],
  'drill-sweep': [f('swept', 'swept', 'count'), f('deleted', 'deleted', 'count')],
};

/** The headline figures of each kind's summary line. */
export const SUMMARY_FIGURES: Record<ReportKind, FigureSpec[]> = {
  'break-glass': [f('revocationsVerified', 'revocations verified', 'count'), f('maxRevocationLagMs', 'longest revocation lag', 'ms')],
  reconciled: [f('revocationsVerified', 'revocations verified', 'count'), f('maxRevocationLagMs', 'longest revocation lag', 'ms')],
  'access-refused': [],
  'break-glass-drill': [f('targetsMet', 'drills meeting every target', 'count'), f('maxRevocationLagMs', 'longest revocation lag', 'ms')],
  'restore-drill': [f('rtoMet', 'RTO met', 'count'), f('rpoMet', 'RPO met', 'count'), f('maxRtoMs', 'longest RTO', 'ms'), f('maxRpoMs', 'largest RPO', 'ms')],
  'access-key-rotation': [],
  'kms-rotation': [],
  'access-review': [f('principals', 'principals', 'count'), f('flagged', 'flagged', 'count'), f('kept', 'kept', 'count'), f('revoked', 'revoked', 'count'), f('defaulted', 'defaulted', 'count'), f('revocationsVerified', 'revocations verified', 'count')],
  runbook: [f('stepsEscalated', 'steps escalated', 'count'), f('stepsTimedOut', 'steps timed out', 'count')],
  'root-login': [f('withoutMfa', 'without MFA', 'count')],
  'drill-sweep': [f('deleted', 'resources deleted', 'count')],
};

function f(key: string, label: string, unit: FigureUnit): FigureSpec {
  return { key, label, unit };
}

export function isReportKind(kind: string): kind is ReportKind {
  return (REPORT_KINDS as readonly string[]).includes(kind);
}

/** Figures read from outside the record (an access review's report blob), by evidence id. */
export type ReviewReportTotals = Partial<Record<'kept' | 'revoked' | 'defaulted' | 'undecided' | 'applied' | 'verified', number>>;

