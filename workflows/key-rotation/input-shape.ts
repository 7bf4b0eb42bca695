// Shape checks for a rotation run's start input (workflows/shared/start-input.ts says why). Whether a
// well-formed input is the policy's target is the worker's check (checkRotationRequest).
import { commonInputProblems, isMs, isPeople, isRec, isStr, rejectMalformedRun } from '../shared/start-input';
import type { RunbookNotification } from '../shared/notifications';
import type { RotationResult } from './definitions';

const TARGET = /^[a-z][a-z0-9-]{1,63}$/;

export type RotationKindName = Extract<RunbookNotification['kind'], 'access-key-rotation' | 'kms-rotation'>;

/** Problems with a rotation start input's shape (empty when well-formed). Never throws. */
export function rotationInputProblems(kind: RotationKindName, raw: unknown): string[] {
  const { input, problems: p } = commonInputProblems(raw);
  if (!input) return p;
  const t = input['target'];
  if (!isRec(t)) return [...p, 'target is not an object'];
  if (!isStr(t['name'], 64) || !TARGET.test(t['name'])) p.push('target.name is not a target name');
  for (const k of ['accountId', 'executionRoleArn', 'externalId']) if (!isStr(t[k])) p.push(`target.${k} is not text`);
  if (kind === 'access-key-rotation') {
    if (typeof input['force'] !== 'boolean') p.push('force is not true or false');
    if (!isStr(t['userName'], 128)) p.push('target.userName is not text');
    if (!isRec(t['store']) || (t['store']['type'] !== 'ssm-parameter' && t['store']['type'] !== 'secrets-manager')) p.push('target.store is not a key store');
    for (const k of ['maxAgeMs', 'gracePeriodMs', 'switchTimeoutMs', 'observePeriodMs']) if (!isMs(t[k])) p.push(`target.${k} is not a duration`);
    const a = t['deleteApproval'];
    if (a !== undefined && (!isRec(a) || !isPeople(a['eligible']) || !Number.isInteger(a['quorum']) || (a['quorum'] as number) < 1 || !isMs(a['timeoutMs']))) p.push('target.deleteApproval is not an approval');
  } else {
    if (!isStr(t['keyRef'])) p.push('target.keyRef is not text');
    if (!Number.isInteger(t['rotationPeriodDays'])) p.push('target.rotationPeriodDays is not a whole number');
    if (typeof t['onDemandDrill'] !== 'boolean') p.push('target.onDemandDrill is not true or false');
  }
  return p;
}

/** Ends a run whose input is malformed: nothing done in AWS, security paged, evidence written. */
export async function rejectMalformedRotation(kind: RotationKindName, workflowId: string, problems: string[]): Promise<RotationResult> {
  const fields = kind === 'access-key-rotation' ? { target: '-', userName: '-', oldAccessKeyId: null, newAccessKeyId: null } : { target: '-', keyId: null, rotationPeriodDays: 0 };
  const { run, evidenceWritten } = await rejectMalformedRun(kind, kind === 'access-key-rotation' ? 'Access-key rotation' : 'KMS key rotation', problems, fields);
  return { status: { workflowId, kind, target: '-', requestedBy: '-', view: run.record.view(), timeline: [...run.record.timeline], rounds: [] }, outcome: 'rejected-invalid', evidenceWritten };
}
