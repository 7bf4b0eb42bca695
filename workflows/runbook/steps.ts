// A declarative runbook as a run executes it: the policy's `runbooks.procedures` entry with every
// group resolved to person ids and every duration in milliseconds, frozen into the workflow input
// when the run starts (a policy edit never changes a run in flight). Built by
// client/runbook-definition.ts from the policy; the workflow reads nothing else. Type-only plus two
// pure helpers: safe in workflow code, front ends and the policy loader alike.
import type { AccountRef } from '../key-rotation/targets';

export type { AccountRef } from '../key-rotation/targets';

/** What a step does when its timeout passes. */
export type OnTimeout = 'fail' | 'escalate' | 'continue';
export const ON_TIMEOUT: readonly OnTimeout[] = ['fail', 'escalate', 'continue'];

export { CHECK_DESCRIPTIONS, CHECK_NAMES } from '../../config/policy/check-catalogue';
export type { CheckName } from '../../config/policy/check-catalogue';
import type { CheckName } from '../../config/policy/check-catalogue';

export interface CheckSpec {
  name: CheckName;
  /** iam-user-password-changed: the IAM user name. */
  user?: string;
  /** Where "since" starts for the checks that look back: the step's start (default) or the run's. */
  since: 'step' | 'run';
}

interface StepBase {
  /** Unique within the runbook; names the step in commands (`--step`), decisions and evidence. */
  id: string;
  title: string;
  timeoutMs: number;
  onTimeout: OnTimeout;
  /** Person ids paged when the step times out with onTimeout `escalate` (default: security). */
  escalateTo: string[];
}

export interface ApprovalStep extends StepBase {
  type: 'approval';
  /** Person ids who may approve (the requester never counts). */
  approvers: string[];
  quorum: number;
}

export interface ConfirmStep extends StepBase {
  type: 'confirm';
  /** Person ids who may confirm. */
  confirmers: string[];
  /** Distinct people needed. */
  count: number;
  /** The person who started the run may not confirm this step. */
  notRequester: boolean;
  noteRequired: boolean;
}

export interface CheckStep extends StepBase {
  type: 'check';
  check: CheckSpec;
}

export interface WaitStep extends StepBase {
  type: 'wait';
  /** A plain wait of this long (timeout does not apply) … */
  forMs?: number;
  /** … or until this check passes, looked at every `everyMs`, at most timeoutMs. */
  until?: CheckSpec;
  everyMs: number;
}

export interface NotifyStep extends StepBase {
  type: 'notify';
  message: string;
  /** Slack channel id, and/or people told directly. */
  channel?: string;
  people: string[];
}

export type RunbookStep = ApprovalStep | ConfirmStep | CheckStep | WaitStep | NotifyStep;
export type StepType = RunbookStep['type'];

export interface RunbookDefinition {
  /** The policy's name for it (`root-recovery`). */
  name: string;
  title: string;
  description?: string;
  /** The account its checks read, through that account's execution role. */
  account: AccountRef;
  /** Person ids who may start it. */
  requesters: string[];
  /** Slack channel for its checklist card. */
  channel?: string;
  steps: RunbookStep[];
}

/** The name a person reads for a step on cards and in the CLI: `2. confirm — MFA device retrieved`. */
export function stepLabel(steps: readonly RunbookStep[], i: number): string {
  const s = steps[i];
  return s ? `${i + 1}. ${s.title}` : `step ${i + 1}`;
}

/** The escalation window: a step that escalates gets its timeout once more after the page. */
export function stepDeadlineMs(s: RunbookStep, startedMs: number, escalated: boolean): number {
  return startedMs + s.timeoutMs * (escalated ? 2 : 1);
}
