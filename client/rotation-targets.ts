// Resolves a rotation target in the policy into the key-rotation workflow's input: the account's
// execution role and the approvers' person ids are frozen in when a run starts, so a policy edit
// never changes a run in flight. Pure: the client builds inputs with it, the worker checks them.
import type { AccessKeyTarget, AccountRef, KmsKeyTarget } from '../workflows/key-rotation/targets';
import { getAccount, peopleInGroups } from '../config/policy/lookup';
import type { Policy } from '../config/policy/types';

export type RotationTargetErrorCode = 'UNKNOWN_ROTATION_TARGET' | 'UNKNOWN_ACCOUNT';

export class RotationTargetError extends Error {
  override readonly name = 'RotationTargetError';
  readonly code: RotationTargetErrorCode;

  constructor(code: RotationTargetErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

function accountRef(policy: Policy, target: string, accountId: string): AccountRef {
  const account = getAccount(policy, accountId);
  // The loader refuses such a policy; a policy built some other way must still not resolve.
  if (!account) throw new RotationTargetError('UNKNOWN_ACCOUNT', `rotation target "${target}" names unknown account ${accountId}`);
  return { accountId: account.id, executionRoleArn: account.executionRoleArn, externalId: account.externalId };
}

function unknown(kind: string, name: string, known: readonly { name: string }[]): RotationTargetError {
  const list = known.length === 0 ? 'none' : known.map((t) => t.name).join(', ');
  return new RotationTargetError('UNKNOWN_ROTATION_TARGET', `unknown ${kind} rotation target "${name}"; ${kind} targets in the policy: ${list}`);
}

/** The workflow input for `rotation.accessKeys[name]`; throws RotationTargetError when absent. */
export function accessKeyTargetFor(policy: Policy, name: string): AccessKeyTarget {
  const t = policy.rotation.accessKeys.find((k) => k.name === name);
  if (!t) throw unknown('access-key', name, policy.rotation.accessKeys);
  const target: AccessKeyTarget = {
    ...accountRef(policy, t.name, t.account),
    name: t.name,
    userName: t.user,
    store: t.store.type === 'ssm-parameter'
      ? { type: 'ssm-parameter', name: t.store.name, ...(t.store.kmsKeyId !== undefined ? { kmsKeyId: t.store.kmsKeyId } : {}) }
      : { type: 'secrets-manager', secretId: t.store.secretId },
    maxAgeMs: t.maxAgeMs,
    gracePeriodMs: t.gracePeriodMs,
    switchTimeoutMs: t.switchTimeoutMs,
    observePeriodMs: t.observePeriodMs,
  };
  if (t.deleteApproval !== undefined) {
    target.deleteApproval = {
      eligible: peopleInGroups(policy, t.deleteApproval.approvers).map((p) => p.id),
      quorum: t.deleteApproval.quorum,
      timeoutMs: t.deleteApproval.timeoutMs,
    };
  }
  return target;
}

/** The workflow input for `rotation.kmsKeys[name]`; throws RotationTargetError when absent. */
export function kmsKeyTargetFor(policy: Policy, name: string): KmsKeyTarget {
  const t = policy.rotation.kmsKeys.find((k) => k.name === name);
  if (!t) throw unknown('KMS key', name, policy.rotation.kmsKeys);
  return {
    ...accountRef(policy, t.name, t.account),
    name: t.name,
    keyRef: t.keyRef,
    rotationPeriodDays: t.rotationPeriodDays,
    onDemandDrill: t.onDemandDrill,
  };
}
