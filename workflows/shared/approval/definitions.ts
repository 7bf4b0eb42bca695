// The decision messages every runbook kind that asks people shares. The wire names (`approve`,
// `deny`, `rounds`) are fixed: recorded histories replay against them, and one client
// (`safeguard approve|deny <any workflow id>`) decides for every kind. Side-effect free: clients import it.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ApprovalSnapshot, RoundKind } from './gate';

/** Where a decision came from: a Slack click is not an AWS-verified identity (see stepUp). */
export type DecisionChannel = 'slack' | 'api' | 'cli';

export interface DecisionInput {
  approver: string;
  /** The round decided (invariant 10). Required for new decisions; absent only in histories
   * recorded before rounds were named. */
  round?: string;
  comment?: string;
  via?: DecisionChannel;
}

export interface DenyInput {
  approver: string;
  round?: string;
  reason: string;
  via?: DecisionChannel;
}

export interface DecisionResult {
  accepted: true;
  duplicate: boolean;
  approvals: number;
  quorum: number;
  /** The run's phase after the decision, in the kind's own words. */
  phase: string;
  decided: boolean;
  /** The round the decision was applied to, and its state after it. */
  round?: string;
  roundKind?: RoundKind;
  roundState?: ApprovalSnapshot['state'];
}

export const approveUpdate = defineUpdate<DecisionResult, [DecisionInput]>('approve');
export const denyUpdate = defineUpdate<DecisionResult, [DenyInput]>('deny');
/** Every round a run has had, oldest first: what a generic client needs to pick the open one. */
export const roundsQuery = defineQuery<ApprovalSnapshot[]>('rounds');
