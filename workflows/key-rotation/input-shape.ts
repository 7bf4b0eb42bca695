// Shape checks for a rotation run's start input. The payload codec turns an unencrypted payload
// (someone with network access to Temporal but no codec key) into a refusal marker; without this
// check the workflow would fail its first task over and over. A malformed input ends the run at
// once as `rejected-invalid`: nothing touched in AWS, security paged, evidence written. Whether a
// well-formed input is the policy's target is the worker's check (checkRotationRequest).
import { RunbookRun } from '../shared/runbook-run';
import type { RunbookNotification } from '../shared/notifications';
import type { RotationResult, RotationStatus } from './definitions';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown, max = 2048): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const PERSON = /^[a-z][a-z0-9_-]{1,31}$/;
const TARGET = /^[a-z][a-z0-9-]{1,63}$/;
const isPeople = (v: unknown): boolean => Array.isArray(v) && v.length <= 500 && v.every((p) => isStr(p) && PERSON.test(p));

export type RotationKindName = Extract<RunbookNotification['kind'], 'access-key-rotation' | 'kms-rotation'>;

/** Problems with a rotation start input's shape (empty when well-formed). Never throws. */
export function rotationInputProblems(kind: RotationKindName, input: unknown): string[] {
  if (!isRec(input)) return ['the input is not an object (an unencrypted or malformed payload)'];
  if ('__refused' in input) return [`the input was refused by the payload codec: ${String(input['__refused']).slice(0, 80)}`];
  const p: string[] = [];
  if (!isStr(input['requestedBy'], 64) || (input['requestedBy'] !== 'schedule' && !PERSON.test(input['requestedBy']))) p.push('requestedBy is not a person id or "schedule"');
  if (!isPeople(input['security'])) p.push('security is not a list of person ids');
  if (input['channel'] !== undefined && !isStr(input['channel'], 64)) p.push('channel is not a channel id');
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
  const detail = problems.join('; ').slice(0, 500);
  const run = new RunbookRun({ kind, title: kind === 'access-key-rotation' ? 'Access-key rotation' : 'KMS key rotation', target: '-', accountId: '-', requestedBy: '-', security: [], steps: [] });
  run.record.log(Date.now(), 'rejected-invalid', detail);
  run.notify('rejected-invalid', { page: true, detail: `malformed ${kind} start: ${detail}` });
  const status = (): RotationStatus => ({ workflowId, kind, target: '-', requestedBy: '-', view: run.record.view(), timeline: [...run.record.timeline], rounds: [] });
  const evidenceWritten = await run.finish(
    'rejected-invalid',
    (ids) => {
      const v = run.record.view();
      const base = { ...ids, target: '-', outcome: 'rejected-invalid', problems, startedAt: v.startedAt, endedAt: v.endedAt ?? new Date(Date.now()).toISOString(), steps: [], timeline: [...run.record.timeline] };
      return kind === 'access-key-rotation' ? { ...base, userName: '-', oldAccessKeyId: null, newAccessKeyId: null } : { ...base, keyId: null, rotationPeriodDays: 0 };
    },
    false,
  );
  return { status: status(), outcome: 'rejected-invalid', evidenceWritten };
}
