// Input, status, messages and results of the declarative runbook workflow and the root-login watcher.
// Front ends import only this file (and steps.ts), never workflow code, so it stays free of side effects.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { RunEvent } from '../shared/run-record';
import type { RunView } from '../shared/run-view';
import type { ApprovalSnapshot } from '../shared/approval/gate';
import type { DecisionChannel } from '../shared/approval/definitions';
import type { RunbookDefinition, StepType } from './steps';

export { approveUpdate, denyUpdate, roundsQuery } from '../shared/approval/definitions';
export type { RunbookDefinition, RunbookStep } from './steps';

export const DECLARATIVE_RUNBOOK_WORKFLOW = 'declarativeRunbookWorkflow';
export const ROOT_LOGIN_WATCH_WORKFLOW = 'rootLoginWatchWorkflow';

export interface RunbookInput {
  runbook: RunbookDefinition;
  /** Person id who started it. */
  requestedBy: string;
  reason: string;
  /** Person ids paged on failures (the policy's security groups). */
  security: string[];
}

/** One person's confirmation of a confirm step. */
export interface Confirmation {
  by: string;
  at: string;
  note?: string;
  via?: DecisionChannel;
}

export interface ConfirmInput {
  by: string;
  /** The step confirmed: must be the step the run is waiting on (a stale click confirms nothing). */
  step: string;
  note?: string;
  via?: DecisionChannel;
}

export interface ConfirmResult {
  step: string;
  confirmations: number;
  needed: number;
  /** Whether this confirmation completed the step. */
  complete: boolean;
}

/** A check's answer, as evidence records it: facts read, never a secret. */
export interface CheckResult {
  check: string;
  passed: boolean;
  /** One line a person reads ("MFA on, no access keys"; "root signed in at … from …"). */
  summary: string;
  /** What was read, for evidence (counts, event ids, dates). */
  facts: Record<string, string | number | boolean>;
  checkedAt: string;
}

export type StepOutcome = 'done' | 'failed' | 'timed-out' | 'skipped';

/** The step the run is on, as the status Query shows it. */
export interface CurrentStep {
  index: number;
  id: string;
  type: StepType;
  title: string;
  startedAt: string;
  /** When it times out (the escalated deadline once escalated). */
  deadlineAt?: string;
  escalated: boolean;
  /** Confirm steps. */
  confirmations?: Confirmation[];
  needed?: number;
  noteRequired?: boolean;
  notRequester?: boolean;
  /** Check and wait steps: the last answer. */
  lastCheck?: CheckResult;
}

/** What happened in one step, kept for the status Query and written as evidence when it ends. */
export interface StepRecord {
  index: number;
  id: string;
  type: StepType;
  outcome: StepOutcome;
  startedAt: string;
  endedAt: string;
  escalated: boolean;
  /** Who approved or confirmed, with their notes. */
  by: Confirmation[];
  check?: CheckResult;
  detail?: string;
}

export type RunbookOutcome = 'completed' | 'failed' | 'denied' | 'timed-out' | 'rejected-invalid' | 'cancelled';

export interface RunbookStatus {
  workflowId: string;
  kind: 'runbook';
  runbook: string;
  title: string;
  requestedBy: string;
  reason: string;
  accountId: string;
  /** The frozen steps in order, as the run carries them out. */
  plan: Array<{ id: string; type: StepType; title: string }>;
  current?: CurrentStep;
  steps: StepRecord[];
  view: RunView;
  timeline: RunEvent[];
  rounds: ApprovalSnapshot[];
}

export interface RunbookResult {
  status: RunbookStatus;
  outcome: RunbookOutcome;
  evidenceWritten: boolean;
}

export const runbookStatusQuery = defineQuery<RunbookStatus>('status');
export const confirmUpdate = defineUpdate<ConfirmResult, [ConfirmInput]>('confirm');

// ---- the root-login watcher ----

export interface RootLoginWatchInput {
  /** The accounts watched, each through its execution role. */
  accounts: Array<{ accountId: string; executionRoleArn: string; externalId: string }>;
  /** Runbook names whose open runs make a root sign-in expected. */
  expectedDuring: string[];
  /** How far back each run looks (CloudTrail delivers events minutes late; repeats are recognised). */
  lookbackMs: number;
  /** Person ids paged. */
  security: string[];
  channel?: string;
}

export interface RootLogin {
  accountId: string;
  eventId: string;
  at: string;
  sourceIp?: string;
  mfaUsed?: string;
  /** The open run of an expected runbook it happened during, if any. */
  duringRun?: string;
}

export interface RootLoginWatchResult {
  checkedAccounts: string[];
  seen: number;
  /** Unexpected sign-ins paged for the first time in this run. */
  paged: RootLogin[];
  /** Sign-ins during an open recovery: expected, not paged. */
  expected: RootLogin[];
  /** Accounts that could not be read (paged once per run). */
  unreadable: Array<{ accountId: string; error: string }>;
}

/** The watcher's Schedule id; each run's id is this plus the action time. */
export const ROOT_LOGIN_WATCH_SCHEDULE_ID = 'safeguard-root-login-watch';
