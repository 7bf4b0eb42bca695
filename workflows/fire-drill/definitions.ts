// Input, status and messages of the break-glass fire drill. Front ends import only this file (never
// workflow code), so it stays free of side effects.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { RunEvent } from '../shared/run-record';
import type { RunView } from '../shared/notifications';
import type { RevocationReceipt, RoleSnapshot } from '../break-glass/definitions';
import { fnv1a } from '../shared/stable-hash';

/** The identity a drill requests as (config/policy/fire-drills.ts refuses a person with this id). */
export const FIRE_DRILL_REQUESTER = 'fire-drill';

/** How long the drill grant lasts if the drill never revokes it (it revokes right after one use). */
export const DRILL_GRANT_MS = 5 * 60_000;

/** The drill as the policy stated it when the run started: a policy edit never changes a run in flight. */
export interface FireDrillTarget {
  name: string;
  /** The break-glass role rehearsed (its approvers, quorum, account). */
  rehearses: string;
  /** The rehearsed role's snapshot with roleArn := the drill role and approvalTimeoutMs := the answer window. */
  role: RoleSnapshot;
  durationMs: number;
}

export interface FireDrillTargets {
  approveWithinMs: number;
  grantWithinMs: number;
  revokeWithinMs: number;
}

export interface FireDrillInput {
  drill: FireDrillTarget;
  targets: FireDrillTargets;
  /** Person id who started it, or `schedule`. */
  requestedBy: string;
  /** Person ids told about findings and paged on failures. */
  security: string[];
  /** Slack channel for the drill's card (`drills.channel`). */
  channel?: string;
}

export type FireDrillOutcome = 'passed' | 'missed-targets' | 'unanswered' | 'denied' | 'failed' | 'cancelled' | 'rejected-invalid';

/** Milliseconds; null when the drill never got that far. */
export interface FireDrillScores {
  /** Request → final approval. */
  timeToApproveMs: number | null;
  /** Final approval → first successful use of the drill credentials. */
  timeToGrantMs: number | null;
  /** Revocation requested → revocation verified. */
  revocationLagMs: number | null;
}

export interface FireDrillProbe {
  accessKeyId: string;
  /** sts:GetCallerIdentity's answer with the vended credentials. */
  callerArn: string;
}

export interface FireDrillStatus {
  workflowId: string;
  drill: string;
  rehearses: string;
  requestedBy: string;
  /** The break-glass request the approvers decide on. */
  grantWorkflowId?: string;
  view: RunView;
  timeline: RunEvent[];
  scores: FireDrillScores;
  targets: FireDrillTargets;
  /** Which targets were missed (`approve`, `grant`, `revoke`). */
  missed: string[];
  probe?: FireDrillProbe;
  revocation?: RevocationReceipt;
  outcome?: FireDrillOutcome;
}

export interface FireDrillResult {
  status: FireDrillStatus;
  outcome: FireDrillOutcome;
  evidenceWritten: boolean;
}

export const fireDrillStatusQuery = defineQuery<FireDrillStatus>('status');

/** Sent by a drill's break-glass request to its drill once the grant is active (so the probe starts at once). */
export const drillGrantActiveSignal = defineSignal<[{ grantId: string; grantedAt: string }]>('drillGrantActive');

/** The drill's break-glass request id: `breakglass-<role>-<16 hex>`, derived from the drill's own id.
 * Sixteen hex digits never collide with a person's request ids (eight). Deterministic: workflow code. */
export function drillGrantId(roleName: string, drillWorkflowId: string): string {
  return `breakglass-${roleName}-${fnv1a(drillWorkflowId, 0x811c9dc5)}${fnv1a(drillWorkflowId, 0x01000193)}`;
}

/** Whether a workflow id is a run of this drill: `drill-fire-<name>[-<hex>][-<schedule time>]` (as client/ids.ts). */
export function isFireDrillWorkflowOf(drill: string, workflowId: string): boolean {
  const rest = workflowId.startsWith(`drill-fire-${drill}`) ? workflowId.slice(`drill-fire-${drill}`.length) : undefined;
  return rest !== undefined && /^(?:-[0-9a-f]{6,16})?(?:-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)?$/.test(rest);
}
