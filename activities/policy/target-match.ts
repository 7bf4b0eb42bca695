// Does a run's frozen target match what the worker's policy says today, field by field? Shared by
// every kind whose input carries a target resolved from the policy (rotations, drills): anyone who
// can start a workflow through Temporal could otherwise point a run at resources of their choosing.
import { canonicalJson } from '../../evidence/canonical-json';
import type { PolicyVerdict } from './break-glass-check';

export function matchPolicyTarget(resolve: () => { name: string }, got: { name: string }): PolicyVerdict {
  let want: { name: string };
  try {
    want = resolve();
  } catch (err) {
    return { accepted: false, problems: [err instanceof Error ? err.message : String(err)] };
  }
  const problems: string[] = [];
  const g = got as unknown as Record<string, unknown>;
  const w = want as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(w), ...Object.keys(g)])) {
    if (canonicalJson(w[key] ?? null) !== canonicalJson(g[key] ?? null)) problems.push(`${key} differs from the policy's target "${want.name}"`);
  }
  return { accepted: problems.length === 0, problems };
}
