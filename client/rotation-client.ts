// Starting and reading key rotations. A run's input is built from the policy when it starts (the
// target, its account's execution role, the approvers and security people), so a policy edit never
// changes a run in flight; Schedules carry the same input (client/schedules.ts).
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { accessKeyTargetFor, kmsKeyTargetFor, RotationTargetError } from './rotation-targets';
import { securityPeople } from '../config/policy/lookup';
import type { Policy } from '../config/policy/types';
import { DEFAULT_TASK_QUEUE } from '../workflows/shared/task-queues';
import { rotationStatusQuery } from '../workflows/key-rotation/definitions';
import type { AccessKeyRotationInput, KmsRotationInput, RotationResult, RotationStatus } from '../workflows/key-rotation/definitions';
import { SafeguardError } from './errors';
import { accessKeyRotationId, kmsRotationId } from './ids';
import { listRuns, queryRun, runResult, startRun } from './runs';
import type { ExecutionState, ListedRun } from './runs';

export type RotationKind = 'access-key-rotation' | 'kms-rotation';

export interface RotationTargetRef {
  kind: RotationKind;
  name: string;
}

export type ListedRotation = ListedRun;

const ROTATION_KINDS = ['access-key-rotation', 'kms-rotation'] as const;

/** Which kind a target name is (names are unique across access keys and KMS keys). */
export function findRotationTarget(policy: Policy, name: string): RotationTargetRef {
  if (policy.rotation.accessKeys.some((t) => t.name === name)) return { kind: 'access-key-rotation', name };
  if (policy.rotation.kmsKeys.some((t) => t.name === name)) return { kind: 'kms-rotation', name };
  const known = [...policy.rotation.accessKeys, ...policy.rotation.kmsKeys].map((t) => t.name);
  throw new SafeguardError('UNKNOWN_TARGET', `"${name.slice(0, 64)}" is not a rotation target in the policy (targets: ${known.join(', ') || 'none'})`);
}

export function accessKeyRotationInput(policy: Policy, name: string, requestedBy: string, opts: { force?: boolean; pollIntervalMs?: number } = {}): AccessKeyRotationInput {
  return {
    target: resolve(() => accessKeyTargetFor(policy, name)),
    requestedBy,
    security: securityPeople(policy),
    force: opts.force ?? false,
    ...(policy.rotation.channel ? { channel: policy.rotation.channel } : {}),
    ...(opts.pollIntervalMs !== undefined ? { pollIntervalMs: opts.pollIntervalMs } : {}),
  };
}

export function kmsRotationInput(policy: Policy, name: string, requestedBy: string): KmsRotationInput {
  return { target: resolve(() => kmsKeyTargetFor(policy, name)), requestedBy, security: securityPeople(policy), ...(policy.rotation.channel ? { channel: policy.rotation.channel } : {}) };
}

function resolve<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RotationTargetError) throw new SafeguardError('UNKNOWN_TARGET', err.message, { cause: err });
    throw err;
  }
}

export const ROTATION_WORKFLOW_TYPES: Record<RotationKind, string> = {
  'access-key-rotation': 'accessKeyRotationWorkflow',
  'kms-rotation': 'kmsRotationWorkflow',
};

export class RotationClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string = DEFAULT_TASK_QUEUE,
  ) {}

  /** Starts a rotation of the named target now; `force` rotates an access key younger than its maxAge. */
  async start(policy: Policy, name: string, requestedBy: string, opts: { force?: boolean; pollIntervalMs?: number } = {}): Promise<{ workflowId: string; kind: RotationKind }> {
    const { kind } = findRotationTarget(policy, name);
    const shortId = randomBytes(4).toString('hex');
    const input = kind === 'access-key-rotation' ? accessKeyRotationInput(policy, name, requestedBy, opts) : kmsRotationInput(policy, name, requestedBy);
    const workflowId = kind === 'access-key-rotation' ? accessKeyRotationId(name, shortId) : kmsRotationId(name, shortId);
    await startRun(this.client, { workflowType: ROTATION_WORKFLOW_TYPES[kind], taskQueue: this.taskQueue, workflowId, input, kind, target: name, accountId: input.target.accountId, requestedBy });
    return { workflowId, kind };
  }

  async status(id: string): Promise<RotationStatus & { execution: ExecutionState }> {
    return queryRun(this.client, id, ROTATION_KINDS, rotationStatusQuery);
  }

  async result(id: string): Promise<RotationResult> {
    return runResult<RotationResult>(this.client, id, ROTATION_KINDS);
  }

  async list(opts: { limit?: number; target?: string } = {}): Promise<ListedRotation[]> {
    return listRuns(this.client, ROTATION_KINDS, opts);
  }
}
