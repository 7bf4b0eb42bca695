// Shape checks for a restore drill's start input, as for rotations (see key-rotation/input-shape.ts):
// an unencrypted or malformed payload ends the run at once as `rejected-invalid` — nothing restored,
// security paged, evidence written. Whether a well-formed input is the policy's drill is the
// worker's check (checkDrillRequest).
import { RunbookRun } from '../shared/runbook-run';
import type { RestoreDrillResult, RestoreDrillStatus } from './definitions';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown, max = 2048): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
const PERSON = /^[a-z][a-z0-9_-]{1,31}$/;
/** As config/policy/drills.ts DRILL_NAME_PATTERN (workflow code cannot import the loader). */
const DRILL = /^[a-z](?:[a-z0-9]|-(?!-)){1,31}(?<!-)$/;
const SOURCES = ['rds-snapshot', 'rds-point-in-time', 'dynamodb-backup', 'dynamodb-point-in-time', 'backup-recovery-point'];
const isPeople = (v: unknown): boolean => Array.isArray(v) && v.length <= 500 && v.every((p) => isStr(p) && PERSON.test(p));

/** Problems with a restore drill start input's shape (empty when well-formed). Never throws. */
export function drillInputProblems(input: unknown): string[] {
  if (!isRec(input)) return ['the input is not an object (an unencrypted or malformed payload)'];
  if ('__refused' in input) return [`the input was refused by the payload codec: ${String(input['__refused']).slice(0, 80)}`];
  const p: string[] = [];
  if (!isStr(input['requestedBy'], 64) || (input['requestedBy'] !== 'schedule' && !PERSON.test(input['requestedBy']))) p.push('requestedBy is not a person id or "schedule"');
  if (!isPeople(input['security'])) p.push('security is not a list of person ids');
  if (input['channel'] !== undefined && !isStr(input['channel'], 64)) p.push('channel is not a channel id');
  if (input['pollMs'] !== undefined && !isMs(input['pollMs'])) p.push('pollMs is not a duration');
  const d = input['drill'];
  if (!isRec(d)) return [...p, 'drill is not an object'];
  if (!isStr(d['name'], 32) || !DRILL.test(d['name'])) p.push('drill.name is not a drill name');
  for (const k of ['accountId', 'executionRoleArn', 'externalId']) if (!isStr(d[k])) p.push(`drill.${k} is not text`);
  if (!isRec(d['source']) || !SOURCES.includes(d['source']['type'] as string)) p.push('drill.source is not a drill source');
  if (!isRec(d['validation']) || !['ssm-command', 'dynamodb'].includes(d['validation']['type'] as string)) p.push('drill.validation is not a validation');
  if (!isRec(d['scratch'])) p.push('drill.scratch is not an object');
  for (const k of ['rtoMs', 'rpoMs', 'maxDurationMs']) if (!isMs(d[k])) p.push(`drill.${k} is not a duration`);
  const s = d['signOff'];
  if (s !== undefined && (!isRec(s) || !isPeople(s['eligible']) || !Number.isInteger(s['quorum']) || (s['quorum'] as number) < 1 || !isMs(s['timeoutMs']))) p.push('drill.signOff is not a sign-off');
  return p;
}

/** Ends a drill whose input is malformed: nothing restored, security paged, evidence written. */
export async function rejectMalformedDrill(workflowId: string, problems: string[]): Promise<RestoreDrillResult> {
  const detail = problems.join('; ').slice(0, 500);
  const run = new RunbookRun({ kind: 'restore-drill', title: 'Restore drill', target: '-', accountId: '-', requestedBy: '-', security: [], steps: [] });
  run.record.log(Date.now(), 'rejected-invalid', detail);
  run.notify('rejected-invalid', { page: true, detail: `malformed restore-drill start: ${detail}` });
  const scores = { rtoMs: null, rpoMs: null, rtoTargetMs: 0, rpoTargetMs: 0, rtoMet: null, rpoMet: null, rpoBasis: null };
  const status = (): RestoreDrillStatus => ({ workflowId, kind: 'restore-drill', drill: '-', requestedBy: '-', view: run.record.view(), timeline: [...run.record.timeline], scratchName: '-', scores, signOff: 'not-asked', rounds: [] });
  const evidenceWritten = await run.finish(
    'rejected-invalid',
    (ids) => {
      const v = run.record.view();
      return { ...ids, drill: '-', sourceType: '-', outcome: 'rejected-invalid', problems, scratch: null, scores, teardown: null, startedAt: v.startedAt, endedAt: v.endedAt ?? new Date(Date.now()).toISOString(), steps: [], timeline: [...run.record.timeline] };
    },
    false,
  );
  return { status: status(), outcome: 'rejected-invalid', evidenceWritten };
}
