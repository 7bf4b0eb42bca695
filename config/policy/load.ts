// Loads the policy file: YAML → one schema composed of the sections' schemas → the sections'
// cross-checks → Policy. Every problem becomes an issue naming file, line and field; all of them
// are reported at once (schema problems first, cross-references once the shapes are right).
//
// A new runbook kind adds one section file (schema + check) and registers it below: a line in
// policyFileSchema and one in SECTION_CHECKS (and its types in types.ts).
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { breakGlassSchema, checkBreakGlass } from './breakGlass';
import { checkDrills, drillsSchema, EMPTY_DRILLS } from './drills';
import { formatPath, LineFinder, PolicyError, schemaIssues, sortIssues, valueAt } from './issues';
import type { Path, PolicyChecks, SectionCheck } from './issues';
import { checkReviews, EMPTY_REVIEWS, reviewsSchema } from './reviews';
import { checkRotation, rotationSchema } from './rotation';
import { checkRunbooks, EMPTY_RUNBOOKS, runbooksSchema } from './runbooks';
import { checkShared, sharedFields } from './shared';
import type { Policy, PolicyIssue } from './types';

export const POLICY_VERSION = 2;

export const V1_MESSAGE =
  'version 1 policies put break-glass roles at the top level; move "breakGlassRoles:" under "breakGlass: roles:" and set "version: 2"';

export const policyFileSchema = z
  .strictObject({
    version: z.literal(POLICY_VERSION, { error: `version must be ${POLICY_VERSION}` }).describe('Schema version of this file.'),
    ...sharedFields,
    breakGlass: breakGlassSchema.optional(),
    rotation: rotationSchema.optional(),
    drills: drillsSchema.optional(),
    reviews: reviewsSchema.optional(),
    runbooks: runbooksSchema.optional(),
  })
  .meta({ title: 'Safeguard policy', description: 'People, accounts and one section per runbook kind (breakGlass, rotation, drills, reviews, runbooks).' })
  .transform(
    (f): Policy => ({
      version: f.version,
      groups: f.groups,
      people: f.people,
      accounts: f.accounts,
      security: f.security,
      ...(f.slack !== undefined ? { slack: f.slack } : {}),
      breakGlass: f.breakGlass ?? { roles: [] },
      rotation: f.rotation ?? { accessKeys: [], kmsKeys: [] },
      drills: f.drills ?? EMPTY_DRILLS,
      reviews: f.reviews ?? EMPTY_REVIEWS,
      runbooks: f.runbooks ?? EMPTY_RUNBOOKS,
    }),
  );

/** Cross-checks, in the order their sections appear in the file. */
const SECTION_CHECKS: readonly SectionCheck[] = [checkShared, checkBreakGlass, checkRotation, checkDrills, checkReviews, checkRunbooks];

/** The policy as written in YAML, before defaults and conversions. */
export type PolicyFileInput = z.input<typeof policyFileSchema>;

export function policyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(policyFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

export type ParsePolicyResult =
  | { ok: true; policy: Policy; warnings: PolicyIssue[] }
  | { ok: false; issues: PolicyIssue[]; warnings: PolicyIssue[] };

/** Parses and validates policy text; never throws for bad input. */
export function parsePolicy(text: string, file: string): ParsePolicyResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const warnings: PolicyIssue[] = [];

  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => ({
      file,
      line: e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line,
      field: '(yaml)',
      message: firstLine(e.message).replace(/ at line \d+, column \d+:?$/, ''),
    }));
    return { ok: false, issues, warnings };
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, issues: [{ file, line: 1, field: '(yaml)', message: firstLine(String(err)) }], warnings };
  }

  if (data === null || data === undefined) {
    return { ok: false, issues: [{ file, line: 1, field: '(root)', message: 'policy file is empty' }], warnings };
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    const issue = { file, line: 1, field: '(root)', message: 'policy must be a mapping (key: value lines) at the top level' };
    return { ok: false, issues: [issue], warnings };
  }

  const finder = new LineFinder(doc.contents, lineCounter);
  const at = (path: Path, message: string, unknownKey?: string): PolicyIssue => ({
    file,
    line: finder.line(path, unknownKey),
    field: formatPath(unknownKey === undefined ? path : [...path, unknownKey]),
    message,
  });

  // An old file would otherwise fail with a list of unknown and missing fields; one issue says
  // what to change. Not migrated silently: the file is the record of who may do what.
  const top = data as Record<string, unknown>;
  if (top['version'] === 1 || 'breakGlassRoles' in top) {
    // At the key's own line (not its first item's), like an unknown field.
    return { ok: false, issues: [at([], V1_MESSAGE, 'breakGlassRoles' in top ? 'breakGlassRoles' : 'version')], warnings };
  }

  const parsed = policyFileSchema.safeParse(data);
  if (!parsed.success) {
    return { ok: false, issues: sortIssues(schemaIssues(parsed.error.issues, data, at)), warnings };
  }

  const issues: PolicyIssue[] = [];
  const checks: PolicyChecks = {
    error: (path, message) => issues.push(at(path, message)),
    warn: (path, message) => warnings.push(at(path, message)),
    written: (path) => valueAt(data, path),
  };
  for (const check of SECTION_CHECKS) check(parsed.data, checks);
  if (issues.length > 0) return { ok: false, issues: sortIssues(issues), warnings: sortIssues(warnings) };
  return { ok: true, policy: parsed.data, warnings: sortIssues(warnings) };
}

/** Reads, parses and validates a policy file; throws PolicyError listing every problem. */
export function loadPolicyFile(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new PolicyError([{ file: path, line: 0, field: '(file)', message: `cannot read policy file (${reason})` }], {
      cause: err,
      code: 'POLICY_UNREADABLE',
    });
  }
  const result = parsePolicy(text, path);
  if (!result.ok) throw new PolicyError(result.issues);
  return result.policy;
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).trim();
}
