// The one way a step-by-step runbook ends when its start input is malformed (the checks themselves
// are in shape.ts, re-exported here for the kinds' input checks). The payload codec turns an unencrypted
// payload (someone with network access to Temporal but no codec key) into a refusal marker; without
// these checks the workflow would fail its first task over and over. A malformed input ends the run
// at once as `rejected-invalid`: nothing touched in AWS, security paged, evidence written. Whether a
// well-formed input is the policy's is the worker's check (activities/policy/*-check.ts).
import { RunbookRun } from './runbook-run';
import type { RunbookRunOptions } from './runbook-run';
import type { RunbookNotification } from './notifications';

export { PERSON, commonInputProblems, isMs, isPeople, isRec, isStr } from './shape';
export type { Rec } from './shape';

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
