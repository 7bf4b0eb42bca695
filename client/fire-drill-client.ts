// Starting and reading break-glass fire drills. A drill's input is built from the policy when it
// starts (the rehearsed role's snapshot, as a break-glass request freezes it, with the drill role in
// place of the real one), so a policy edit never changes a drill in flight; the worker checks the
// same resolution (activities/policy/*-check.ts). Schedules carry the same input.
import type { Client } from '@temporalio/client';
import { securityPeople } from '../config/policy/lookup';
import type { FireDrillPolicy, Policy } from '../config/policy/types';
import type { RoleSnapshot } from '../workflows/break-glass/definitions';
import { DRILL_GRANT_MS, fireDrillStatusQuery } from '../workflows/fire-drill/definitions';
import type { FireDrillInput, FireDrillResult, FireDrillStatus } from '../workflows/fire-drill/definitions';
import { DEFAULT_TASK_QUEUE } from '../workflows/shared/task-queues';
import { SafeguardError } from './errors';
import { fireDrillId } from './ids';
import { onRun, runResult, startRun } from './runs';
import { newShortId, roleSnapshotFor } from './request';

export const FIRE_DRILL_WORKFLOW_TYPE = 'breakGlassDrillWorkflow';

/** The rehearsed role's rules with the drill role granted instead; approvers have the answer window
 * (at most the role's own approval timeout: a drill waits no longer than a real request would). */
export function fireDrillRoleSnapshot(policy: Policy, drill: FireDrillPolicy): RoleSnapshot {
  const role = roleSnapshotFor(policy, drill.rehearses);
  return { ...role, roleArn: drill.drillRoleArn, approvalTimeoutMs: Math.min(drill.answerWindowMs, role.approvalTimeoutMs) };
}

export function findFireDrill(policy: Policy, name: string): FireDrillPolicy {
  const drill = policy.drills.fire.find((d) => d.name === name);
  if (!drill) {
    const known = policy.drills.fire.map((d) => d.name).join(', ') || 'none';
    throw new SafeguardError('UNKNOWN_TARGET', `"${name.slice(0, 64)}" is not a fire drill in the policy (drills.fire: ${known})`);
  }
  return drill;
}

/** The workflow input of `drills.fire[name]`, as the policy says now. Pure. */
export function fireDrillInput(policy: Policy, name: string, requestedBy: string): FireDrillInput {
  const drill = findFireDrill(policy, name);
  const role = fireDrillRoleSnapshot(policy, drill);
  return {
    drill: { name: drill.name, rehearses: drill.rehearses, role, durationMs: Math.min(DRILL_GRANT_MS, role.maxDurationMs) },
    targets: { approveWithinMs: drill.approveWithinMs, grantWithinMs: drill.grantWithinMs, revokeWithinMs: drill.revokeWithinMs },
    requestedBy,
    security: securityPeople(policy),
    ...(policy.drills.channel ? { channel: policy.drills.channel } : {}),
  };
}

export class FireDrillClient {
  constructor(
    private readonly client: Client,
    private readonly policy: () => Policy,
    private readonly taskQueue: string = DEFAULT_TASK_QUEUE,
  ) {}

  /** Starts drill `name` now; returns its workflow id (`drill-fire-<name>-<hex>`). */
  async start(name: string, requestedBy: string): Promise<string> {
    const input = fireDrillInput(this.policy(), name, requestedBy);
    return startRun(this.client, { workflowType: FIRE_DRILL_WORKFLOW_TYPE, taskQueue: this.taskQueue, workflowId: fireDrillId(name, newShortId()), input, kind: 'break-glass-drill', target: name, accountId: input.drill.role.accountId, requestedBy, rejectDuplicate: true });
  }

  status(id: string): Promise<FireDrillStatus> {
    return onRun(this.client, id, ['break-glass-drill'], (h) => h.query(fireDrillStatusQuery));
  }

  result(id: string): Promise<FireDrillResult> {
    return runResult<FireDrillResult>(this.client, id, ['break-glass-drill']);
  }
}
