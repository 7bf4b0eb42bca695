// Does a rotation run's input name a target exactly as the worker's policy does? Anyone who can start
// a workflow through Temporal could otherwise point a rotation at any IAM user the execution role
// can reach, or a key store of their choosing. Checked before the first AWS call. Pure: unit-tested.
import { canonicalJson } from '../../evidence/canonical-json';
import { accessKeyTargetFor, kmsKeyTargetFor } from '../../client/rotation-targets';
import type { Policy } from '../../config/policy/types';
import type { AccessKeyTarget, KmsKeyTarget } from '../../workflows/key-rotation/targets';
import type { PolicyVerdict } from './break-glass-check';

export function checkRotationInput(kind: 'access-key-rotation' | 'kms-rotation', target: AccessKeyTarget | KmsKeyTarget, policy: Policy): PolicyVerdict {
  let want: AccessKeyTarget | KmsKeyTarget;
  try {
    want = kind === 'access-key-rotation' ? accessKeyTargetFor(policy, target.name) : kmsKeyTargetFor(policy, target.name);
  } catch (err) {
    return { accepted: false, problems: [err instanceof Error ? err.message : String(err)] };
  }
  const problems: string[] = [];
  const got = target as unknown as Record<string, unknown>;
  const expected = want as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(expected), ...Object.keys(got)])) {
    if (canonicalJson(expected[key] ?? null) !== canonicalJson(got[key] ?? null)) problems.push(`${key} differs from the policy's target "${want.name}"`);
  }
  return { accepted: problems.length === 0, problems };
}
