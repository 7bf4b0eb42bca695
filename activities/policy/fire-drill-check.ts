// Does a fire drill's input agree with the worker's current policy? Whoever can start workflows
// could hand a drill another role, a longer answer window or looser targets; the drill asks this
// before it requests anything. The drill's break-glass request is checked again on its own
// (break-glass-check.ts, `via: 'drill'`). Pure: unit-tested.
import { fireDrillInput } from '../../client/fire-drill-client';
import type { Policy } from '../../config/policy/types';
import { isFireDrillWorkflowOf } from '../../workflows/fire-drill/definitions';
import type { FireDrillInput } from '../../workflows/fire-drill/definitions';
import type { PolicyVerdict } from './break-glass-check';

export function checkFireDrillInput(input: FireDrillInput, policy: Policy, workflowId: string): PolicyVerdict {
  const name = input.drill.name;
  if (!policy.drills.fire.some((d) => d.name === name)) return { accepted: false, problems: [`fire drill "${name.slice(0, 64)}" is not in the policy`] };
  const want = fireDrillInput(policy, name, input.requestedBy);
  const problems: string[] = [];
  if (!isFireDrillWorkflowOf(name, workflowId)) problems.push('the workflow id does not name this drill');
  if (JSON.stringify(canonical(input.drill)) !== JSON.stringify(canonical(want.drill))) problems.push('the drill (rehearsed role, drill role, approvers, timings) differs from the policy');
  const t = input.targets;
  if (t.approveWithinMs !== want.targets.approveWithinMs || t.grantWithinMs !== want.targets.grantWithinMs || t.revokeWithinMs !== want.targets.revokeWithinMs) problems.push('the targets differ from the policy');
  const missingSecurity = want.security.filter((p) => !input.security.includes(p));
  if (missingSecurity.length > 0) problems.push(`security people missing: ${missingSecurity.join(', ')}`);
  return { accepted: problems.length === 0, problems };
}

/** Key order does not matter; values do. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, canonical(x)]));
  return v;
}
