// Workflow ids, one pattern per runbook kind, so any front end can tell from an id alone what a run
// is (and refuse garbage before asking Temporal). Scheduled runs get the Schedule's action time
// appended by the server (`…-2026-12-01T03:00:00Z`), which every pattern allows.
import type { RunbookKind } from '../workflows/shared/search-attributes';
import { SafeguardError } from './errors';

const TARGET = '[a-z][a-z0-9-]{1,63}';
const REVIEW = '[a-z](?:[a-z0-9]|-(?!-)){1,31}';
/** A runbook name (config/policy/runbooks.ts RUNBOOK_NAME_PATTERN). */
const RUNBOOK = '[a-z](?:[a-z0-9]|-(?!-)){1,39}';
const SUFFIX = '(?:-[0-9a-f]{6,16})?(?:-\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z)?';

export const WORKFLOW_ID_PATTERNS: Record<RunbookKind, { pattern: RegExp; example: string }> = {
  'break-glass': { pattern: /^breakglass-[A-Za-z][A-Za-z0-9_-]{1,63}-[0-9a-f]{6,16}$/, example: 'breakglass-BreakGlassAdmin-1a2b3c4d' },
  'access-key-rotation': { pattern: new RegExp(`^rotate-key-${TARGET}${SUFFIX}$`), example: 'rotate-key-reporting-exporter-1a2b3c4d' },
  'kms-rotation': { pattern: new RegExp(`^rotate-kms-${TARGET}${SUFFIX}$`), example: 'rotate-kms-phi-data-1a2b3c4d' },
  'restore-drill': { pattern: new RegExp(`^drill-restore-${TARGET}${SUFFIX}$`), example: 'drill-restore-patients-db-1a2b3c4d' },
  'break-glass-drill': { pattern: new RegExp(`^drill-fire-${TARGET}${SUFFIX}$`), example: 'drill-fire-prod-admin-1a2b3c4d' },
  // A review name has single hyphens only: `--` starts a reviewer's part (`…--person-alice`), which
  // ends in `-p<n>` for the second and later runs of a reviewer with many items (even a 32-character id).
  'access-review': { pattern: new RegExp(`^review-${REVIEW}${SUFFIX}(?:--(?:person|group)-[a-z][a-z0-9_-]{1,31}(?:-p\\d{1,5})?)?$`), example: 'review-quarterly-prod-1a2b3c4d' },
  runbook: { pattern: new RegExp(`^runbook-${RUNBOOK}-[0-9a-f]{6,16}$`), example: 'runbook-root-recovery-1a2b3c4d' },
};

/** Kinds a policy entry can run on a Temporal Schedule. */
export type ScheduledKind = Exclude<RunbookKind, 'break-glass' | 'runbook'>;

/** The id prefix of each scheduled kind's runs. */
const RUN_PREFIX: Record<ScheduledKind, string> = {
  'access-key-rotation': 'rotate-key',
  'kms-rotation': 'rotate-kms',
  'restore-drill': 'drill-restore',
  'break-glass-drill': 'drill-fire',
  'access-review': 'review',
};

export function accessKeyRotationId(target: string, shortId: string): string {
  return `rotate-key-${target}-${shortId}`;
}

export function kmsRotationId(target: string, shortId: string): string {
  return `rotate-kms-${target}-${shortId}`;
}

export function restoreDrillId(drill: string, shortId: string): string {
  return `drill-restore-${drill}-${shortId}`;
}

export function fireDrillId(drill: string, shortId: string): string {
  return `drill-fire-${drill}-${shortId}`;
}

export function runbookRunId(runbook: string, shortId: string): string {
  return `runbook-${runbook}-${shortId}`;
}

export function accessReviewId(review: string, shortId: string): string {
  return `review-${review}-${shortId}`;
}

/** The Schedule of a target (`safeguard-rotate-key-reporting-exporter`, `safeguard-drill-restore-patients-db`). */
export function policyScheduleId(kind: ScheduledKind, target: string): string {
  return `safeguard-${scheduledRunId(kind, target)}`;
}

/** The workflow id a Schedule's action names; the server appends the action time to each run's id. */
export function scheduledRunId(kind: ScheduledKind, target: string): string {
  return `${RUN_PREFIX[kind]}-${target}`;
}

export function kindOfWorkflowId(id: string): RunbookKind | undefined {
  for (const [kind, { pattern }] of Object.entries(WORKFLOW_ID_PATTERNS)) if (pattern.test(id)) return kind as RunbookKind;
  return undefined;
}

/** Refuses anything that is not a Safeguard run id, naming what ids look like. */
export function assertRunId(id: string, kinds: readonly RunbookKind[] = Object.keys(WORKFLOW_ID_PATTERNS) as RunbookKind[]): RunbookKind {
  const kind = kindOfWorkflowId(id);
  if (kind && kinds.includes(kind)) return kind;
  const examples = kinds.map((k) => WORKFLOW_ID_PATTERNS[k].example).join(', ');
  const what = kinds.length === Object.keys(WORKFLOW_ID_PATTERNS).length ? 'Safeguard' : kinds.join(' or ');
  throw new SafeguardError('INVALID_ID', `"${id.slice(0, 80)}" is not ${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what} run id (they look like ${examples})`);
}
