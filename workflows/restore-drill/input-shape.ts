// Shape checks for a restore drill's start input (workflows/shared/start-input.ts says why). Whether a
// well-formed input is the policy's drill is the worker's check (checkDrillRequest).
import { commonInputProblems, isMs, isPeople, isRec, isStr, rejectMalformedRun } from '../shared/start-input';
import type { DrillScores, RestoreDrillResult } from './definitions';

/** As config/policy/drills.ts DRILL_NAME_PATTERN (workflow code cannot import the loader). */
const DRILL = /^[a-z](?:[a-z0-9]|-(?!-)){1,31}(?<!-)$/;
const SOURCES = ['rds-snapshot', 'rds-point-in-time', 'dynamodb-backup', 'dynamodb-point-in-time', 'backup-recovery-point'];
const isPositiveMs = (v: unknown): boolean => isMs(v) && (v as number) > 0;

/** Problems with a restore drill start input's shape (empty when well-formed). Never throws. */
export function drillInputProblems(raw: unknown): string[] {
  const { input, problems: p } = commonInputProblems(raw);
  if (!input) return p;
  if (input['pollMs'] !== undefined && !isPositiveMs(input['pollMs'])) p.push('pollMs is not a duration');
  const d = input['drill'];
  if (!isRec(d)) return [...p, 'drill is not an object'];
  if (!isStr(d['name'], 32) || !DRILL.test(d['name'])) p.push('drill.name is not a drill name');
  for (const k of ['accountId', 'executionRoleArn', 'externalId']) if (!isStr(d[k])) p.push(`drill.${k} is not text`);
  if (!isRec(d['source']) || !SOURCES.includes(d['source']['type'] as string)) p.push('drill.source is not a drill source');
  if (!isRec(d['validation']) || !['ssm-command', 'dynamodb'].includes(d['validation']['type'] as string)) p.push('drill.validation is not a validation');
  if (!isRec(d['scratch'])) p.push('drill.scratch is not an object');
  for (const k of ['rtoMs', 'rpoMs', 'maxDurationMs']) if (!isPositiveMs(d[k])) p.push(`drill.${k} is not a duration`);
  const s = d['signOff'];
  if (s !== undefined && (!isRec(s) || !isPeople(s['eligible']) || !Number.isInteger(s['quorum']) || (s['quorum'] as number) < 1 || !isPositiveMs(s['timeoutMs']))) p.push('drill.signOff is not a sign-off');
  return p;
}

/** Ends a drill whose input is malformed: nothing restored, security paged, evidence written. */
export async function rejectMalformedDrill(workflowId: string, problems: string[]): Promise<RestoreDrillResult> {
  const scores: DrillScores = { rtoMs: null, rpoMs: null, rtoTargetMs: 0, rpoTargetMs: 0, rtoMet: null, rpoMet: null, rpoBasis: null };
  const { run, evidenceWritten } = await rejectMalformedRun('restore-drill', 'Restore drill', problems, { drill: '-', sourceType: '-', scratch: null, scores, teardown: null });
  const status = { workflowId, kind: 'restore-drill' as const, drill: '-', requestedBy: '-', view: run.record.view(), timeline: [...run.record.timeline], scratchName: '-', scores, signOff: 'not-asked' as const, rounds: [] };
  return { status, outcome: 'rejected-invalid', evidenceWritten };
}
