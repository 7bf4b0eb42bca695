// What a step-by-step runbook shows on its card and in its status Query: the checklist of steps and
// short facts. Type-only, a leaf: the run record, notifications and every kind's definitions import it.
import type { ApprovalSnapshot } from './approval/gate';

/** One step of a runbook as a checklist line. */
export interface StepView {
  name: string;
  state: 'pending' | 'running' | 'done' | 'failed' | 'skipped';
  at?: string;
  detail?: string;
}

/** What a step-by-step runbook (rotation, drills, …) shows on its card. */
export interface RunView {
  title: string;
  /** The policy target the run is about (`reporting-exporter`, `phi-data`). */
  target: string;
  phase: string;
  outcome?: string;
  startedAt: string;
  endedAt?: string;
  steps: StepView[];
  /** Short label/value lines (key ids, dates): never a secret. */
  facts: Array<{ label: string; value: string }>;
  /** Decisions the run asks for; open ones render as buttons. */
  rounds?: ApprovalSnapshot[];
  /** The confirmation a declarative runbook waits for, if any: renders as a Confirm button. */
  confirm?: ConfirmPrompt;
}

/** A confirm step waiting for people (workflows/runbook): who has confirmed, how many are needed. */
export interface ConfirmPrompt {
  step: string;
  title: string;
  needed: number;
  /** Person ids who confirmed so far. */
  by: string[];
  noteRequired: boolean;
  /** The person who started the run may not confirm. */
  notRequester: boolean;
  deadlineAt?: string;
}
