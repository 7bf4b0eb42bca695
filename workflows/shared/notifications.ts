// The one envelope every runbook kind notifies people with. The workflow says what happened
// (a typed event), to whom and how loudly, plus a view of the run without secrets; one renderer
// per kind (shared/slack-blocks) turns it into messages. Type-only: safe in workflow code.
import type { AccessReviewerStatus } from '../access-review/definitions';
import type { BreakGlassStatus } from '../break-glass/definitions';
import type { RunbookKind } from './search-attributes';

/** Where a run's card lives in a chat channel, so later events update it in place. */
export interface CardRef {
  channel: string;
  ts: string;
}

export type Severity = 'info' | 'page';

interface Envelope {
  /** The workflow id people use to refer to the run. */
  subjectId: string;
  event: string;
  /** Person ids who should see this (approvers, or security for a page). */
  audience: string[];
  severity: Severity;
  detail?: string;
  /** Person ids of the security group: paged on failures. */
  security?: string[];
  cardRef?: CardRef;
}

/** A break-glass request as its renderer sees it: the status without timeline and credentials. */
export type BreakGlassView = Omit<BreakGlassStatus, 'timeline' | 'credentials'>;

export interface BreakGlassNotification extends Envelope {
  kind: 'break-glass';
  requester: string;
  role: string;
  phase?: string;
  plannedEndAt?: string;
  outcome?: string;
  /** Absent for pages and extension requests: they render without the card. */
  view?: BreakGlassView;
}

export type { RunView, StepView } from './run-view';
import type { RunView } from './run-view';

export interface RunbookNotification extends Envelope {
  kind: Exclude<RunbookKind, 'break-glass'>;
  /** Slack channel for the kind's cards (the policy section's `channel`), if any. */
  channel?: string;
  view: RunView;
}

/** A reviewer's message: their items (one page of them, the most urgent first), counts and deadline. */
export type ReviewerView = Omit<AccessReviewerStatus, 'items' | 'timeline'> & { page: AccessReviewerStatus['items']; undecided: number };

export interface ReviewerNotification extends Envelope {
  kind: 'access-reviewer';
  /** The review's channel, for escalation notices and the summary. */
  channel?: string;
  view: ReviewerView;
}

export type Notification = BreakGlassNotification | RunbookNotification | ReviewerNotification;

export interface NotifyResult {
  cardRef?: CardRef;
}
