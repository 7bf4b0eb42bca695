// Does a rotation run's input name a target exactly as the worker's policy does? Anyone who can start
// a workflow through Temporal could otherwise point a rotation at any IAM user the execution role
// can reach, or a key store of their choosing. Checked before the first AWS call. Pure: unit-tested.
import { accessKeyTargetFor, kmsKeyTargetFor } from '../../client/rotation-targets';
import type { Policy } from '../../config/policy/types';
import type { AccessKeyTarget, KmsKeyTarget } from '../../workflows/key-rotation/targets';
import type { PolicyVerdict } from './break-glass-check';
import { matchPolicyTarget } from './target-match';

export function checkRotationInput(kind: 'access-key-rotation' | 'kms-rotation', target: AccessKeyTarget | KmsKeyTarget, policy: Policy): PolicyVerdict {
  return matchPolicyTarget(() => (kind === 'access-key-rotation' ? accessKeyTargetFor(policy, target.name) : kmsKeyTargetFor(policy, target.name)), target);
}
