// Does a break-glass workflow's input agree with the worker's current policy? Anyone who can start a
// workflow through Temporal (or holds the codec key) could hand it a 20-day, zero-approver role
// snapshot; the workflow asks this before it notifies, decides or grants anything. The input may be
// stricter than the policy (fewer approvers, a shorter maximum), never looser. Pure: unit-tested.
import { canRequest, findPersonById, getRole } from '../../config/policy/lookup';
import type { Policy } from '../../config/policy/types';
import { looksLikeSecret } from '../../config/redact';
import { unsafeCharacterIn } from '../../shared/terminal-text';
import { roleSnapshotFor } from '../../client/request';
import { fireDrillRoleSnapshot } from '../../client/fire-drill-client';
import { FIRE_DRILL_REQUESTER, isFireDrillWorkflowOf } from '../../workflows/fire-drill/definitions';
import { MAX_REASON_LENGTH, MIN_DURATION_MS, breakGlassWorkflowId } from '../../workflows/break-glass/definitions';
import type { BreakGlassInput } from '../../workflows/break-glass/definitions';

export interface PolicyVerdict {
  accepted: boolean;
  /** What does not match, in words a security engineer can act on (no secrets: values are ours). */
  problems: string[];
}

/**
 * `parentWorkflowId` is the workflow that started this one as a child (a fire drill), if any. A drill
 * request (`via: 'drill'`) is accepted only from the fixed drill identity, for a declared drill role,
 * started by that drill's own run; nothing else may use `via: 'drill'` or a drill role.
 */
export function checkBreakGlassInput(input: BreakGlassInput, policy: Policy, workflowId: string, parentWorkflowId?: string): PolicyVerdict {
  const problems: string[] = [];
  const role = getRole(policy, input.role.name);
  if (!role) return { accepted: false, problems: [`role "${input.role.name.slice(0, 64)}" is not in the policy`] };
  const got = input.role;
  let want = roleSnapshotFor(policy, role.name);

  if (input.via === 'drill') {
    const drill = policy.drills.fire.find((d) => d.rehearses === role.name && d.drillRoleArn === got.roleArn);
    if (!drill) return { accepted: false, problems: [`a drill request must be for a declared drill role of ${role.name} (drills.fire); ${got.roleArn.slice(0, 200)} is not one`] };
    want = fireDrillRoleSnapshot(policy, drill);
    if (input.requester !== FIRE_DRILL_REQUESTER) problems.push(`a drill request must come from ${FIRE_DRILL_REQUESTER}, not ${input.requester}`);
    if (parentWorkflowId === undefined || !isFireDrillWorkflowOf(drill.name, parentWorkflowId)) problems.push(`a drill request must be started by fire drill ${drill.name}`);
  } else if (input.requester === FIRE_DRILL_REQUESTER) problems.push(`${FIRE_DRILL_REQUESTER} may only make drill requests`);
  else if (!findPersonById(policy, input.requester)) problems.push(`requester "${input.requester}" is not a person in the policy`);
  else if (!canRequest(policy, input.requester, role.name)) problems.push(`${input.requester} may not request ${role.name}`);
  // Role names are [A-Za-z][A-Za-z0-9_-]*: nothing in them is special in a regular expression.
  if (!new RegExp(`^${breakGlassWorkflowId(role.name, '')}[0-9a-f]{6,16}$`).test(workflowId) || input.grantId !== workflowId) problems.push('the workflow id does not name this role');

  for (const k of ['accountId', 'roleArn', 'executionRoleArn', 'externalId'] as const) {
    if (got[k] !== want[k]) problems.push(`role.${k} differs from the policy`);
  }
  if (got.mode !== want.mode && !(got.mode === 'approval' && want.mode === 'post-hoc')) problems.push(`mode ${got.mode} is looser than the policy's ${want.mode}`);
  if (got.quorum < want.quorum) problems.push(`quorum ${got.quorum} is below the policy's ${want.quorum}`);
  const extraApprovers = got.approvers.filter((p) => !want.approvers.includes(p));
  if (extraApprovers.length > 0) problems.push(`approvers not in the policy: ${extraApprovers.join(', ')}`);
  const missingSecurity = want.security.filter((p) => !got.security.includes(p));
  if (missingSecurity.length > 0) problems.push(`security people missing: ${missingSecurity.join(', ')}`);
  if (got.maxDurationMs > want.maxDurationMs) problems.push('maxDuration is longer than the policy allows');
  if (got.approvalTimeoutMs > want.approvalTimeoutMs) problems.push('approvalTimeout is longer than the policy allows');
  if (want.ratificationDeadlineMs !== undefined && got.mode === 'post-hoc' && (got.ratificationDeadlineMs === undefined || got.ratificationDeadlineMs > want.ratificationDeadlineMs)) {
    problems.push('ratificationDeadline is longer than the policy allows');
  }
  if (want.idleLimitMs !== undefined && (got.idleLimitMs === undefined || got.idleLimitMs > want.idleLimitMs)) problems.push('idleLimit is longer than the policy allows');
  // The deny statement must outlive every token it targets.
  if (got.maxSessionDurationMs < want.maxSessionDurationMs) problems.push('maxSessionDuration is shorter than the role allows (deny statements would be removed too early)');
  if (want.stepUp && !got.stepUp) problems.push('the policy requires step-up for this role');

  if (input.durationMs < MIN_DURATION_MS || input.durationMs > Math.min(got.maxDurationMs, want.maxDurationMs)) problems.push('duration is outside the role\'s limits');
  const reason = input.reason.trim();
  if (reason.length < role.reasonMinLength || reason.length > MAX_REASON_LENGTH) problems.push('reason length is outside the policy\'s limits');
  if (looksLikeSecret(input.reason) || (input.ticket !== undefined && looksLikeSecret(input.ticket))) problems.push('reason or ticket holds something shaped like a secret');
  if (unsafeCharacterIn(input.reason) || (input.ticket !== undefined && unsafeCharacterIn(input.ticket))) problems.push('reason or ticket holds a control or bidi character');
  if (role.ticketRequired && !input.ticket && input.via !== 'drill') problems.push('the role requires a ticket');
  return { accepted: problems.length === 0, problems };
}
