// Shape checks every step-by-step runbook makes of its start input before anything else, and the
// one way such a run ends when its input is malformed. The payload codec turns an unencrypted
// payload (someone with network access to Temporal but no codec key) into a refusal marker; without
// these checks the workflow would fail its first task over and over. A malformed input ends the run
// at once as `rejected-invalid`: nothing touched in AWS, security paged, evidence written. Whether a
// well-formed input is the policy's is the worker's check (activities/policy/*-check.ts).
import { RunbookRun } from './runbook-run';
import type { RunbookRunOptions } from './runbook-run';
import type { RunbookNotification } from './notifications';

export type Rec = Record<string, unknown>;
export const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isStr = (v: unknown, max = 2048): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
export const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
export const PERSON = /^[a-z][a-z0-9_-]{1,31}$/;
export const isPeople = (v: unknown): boolean => Array.isArray(v) && v.length <= 500 && v.every((p) => isStr(p) && PERSON.test(p));

/**
 * The input as an object and the problems with the fields every runbook input has (requestedBy,
 * security, channel); `input` is undefined when it is not an object at all.
 */
export function commonInputProblems(input: unknown): { input?: Rec; problems: string[] } {
  if (!isRec(input)) return { problems: ['the input is not an object (an unencrypted or malformed payload)'] };
  if ('__refused' in input) return { problems: [`the input was refused by the payload codec: ${String(input['__refused']).slice(0, 80)}`] };
  const p: string[] = [];
  if (!isStr(input['requestedBy'], 64) || (input['requestedBy'] !== 'schedule' && !PERSON.test(input['requestedBy']))) p.push('requestedBy is not a person id or "schedule"');
  if (!isPeople(input['security'])) p.push('security is not a list of person ids');
  if (input['channel'] !== undefined && !isStr(input['channel'], 64)) p.push('channel is not a channel id');
  return { input, problems: p };
}

/**
 * Ends a run whose input is malformed: nothing done in AWS, security paged, and one evidence record of
 * the kind with the run's fields plus `fields` (what the kind's record schema requires).
 */
export async function rejectMalformedRun(
  kind: RunbookNotification['kind'],
  title: string,
  problems: string[],
  fields: Record<string, unknown>,
  opts: Pick<RunbookRunOptions, 'searchKind' | 'evidenceKind'> = {},
): Promise<{ run: RunbookRun; evidenceWritten: boolean }> {
  const detail = problems.join('; ').slice(0, 500);
  const run = new RunbookRun({ kind, title, target: '-', accountId: '-', requestedBy: '-', security: [], steps: [], ...opts });
  run.record.log(Date.now(), 'rejected-invalid', detail);
  run.notify('rejected-invalid', { page: true, detail: `malformed ${kind} start: ${detail}` });
  const evidenceWritten = await run.finish('rejected-invalid', (ids) => ({ ...ids, outcome: 'rejected-invalid', problems, ...fields, ...run.recordFields(), steps: [] }), false);
  return { run, evidenceWritten };
}
