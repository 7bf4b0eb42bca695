// The timeline of one runbook run, as `safeguard audit show` prints it: built from the workflow's
// Temporal history (decoded) or, once retention has removed that, from its evidence records.
// Plain data, so `--json` prints it as it is.

export type TimelineSource = 'history' | 'evidence';

export type EntryKind =
  | 'started'
  | 'signal'
  | 'update'
  | 'activity'
  | 'timer'
  | 'child'
  | 'external'
  | 'search-attributes'
  | 'marker'
  | 'workflow-task-failed'
  | 'cancel-requested'
  | 'ended'
  /** Evidence fallback: a line of the run's own timeline, a step, a decision, a receipt, the record itself. */
  | 'event'
  | 'decision'
  | 'receipt'
  | 'step'
  | 'evidence';

export interface TimelineEntry {
  /** UTC ISO time of the event (for activities, timers and children: when they were scheduled/started). */
  at: string;
  /** Milliseconds from the run's start. */
  offsetMs: number;
  /** History event id; absent for evidence entries. */
  eventId?: number;
  kind: EntryKind;
  /** Update, signal, activity or workflow type, timer id, event name. */
  name: string;
  /** What it means for this kind of run (annotations.ts). */
  label?: string;
  /** The person it names: approver, requester, revoker, reviewer. */
  actor?: string;
  /** Where a decision came from: the message's `via` (slack, cli, api) … */
  via?: string;
  /** … and the Temporal client identity that sent it (pid@host). */
  identity?: string;
  /** completed, failed, timed-out, canceled, fired, accepted, rejected, terminated, … */
  outcome?: string;
  /** When it finished (activities, timers, children, updates). */
  endedAt?: string;
  /** Activities: the AWS action it performs. */
  aws?: string;
  /** Activities: what it acted on (ARNs, account, key and instance ids). */
  resource?: Record<string, string>;
  /** Activities: the attempt that finished it. */
  attempt?: number;
  /** Timers: when it was planned to fire. */
  plannedAt?: string;
  /** Decoded, secret-scrubbed arguments. */
  input?: unknown;
  /** Decoded, secret-scrubbed result or receipt. */
  result?: unknown;
  failure?: string;
  detail?: string;
}

export interface TimelineRequest {
  requester?: string;
  /** The role, target, drill or review the run is about. */
  what?: string;
  why?: string;
  ticket?: string;
}

export interface Timeline {
  source: TimelineSource;
  /** One sentence that says where this timeline comes from (and, for evidence, why not from history). */
  sourceNote: string;
  workflowId: string;
  runId?: string;
  workflowType?: string;
  startedAt?: string;
  endedAt?: string;
  /** RUNNING, COMPLETED, FAILED, TERMINATED, CANCELED, TIMED_OUT, CONTINUED_AS_NEW, or (evidence) RECORDED. */
  status: string;
  outcome?: string;
  plannedEndAt?: string;
  request: TimelineRequest;
  entries: TimelineEntry[];
  /** Evidence fallback: the records used (seq, hash), so an auditor can check them with `audit verify`. */
  records?: Array<{ seq: number; at: string; kind: string; id: string; hash: string }>;
  /** Paths where something secret-shaped was removed before printing. */
  redactions?: string[];
}
