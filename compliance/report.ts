// Builds the report: the customer's table (seed-table.ts) with each row's status computed from the
// checks rows.ts names, over the evidence of one period and the AWS accounts of the policy.
import type { AccountReads, AccountScope } from './aws-checks';
import { AWS_CHECKS, runAwsCheck } from './aws-checks';
import type { ChainVerification, EntryLike, Period } from './evidence-rows';
import { accessReviewCheck, automaticLogoffCheck, emergencyAccessCheck, evidenceChainCheck, kmsRotationEvidenceCheck, periodText, restoreDrillCheck, rootRecoveryCheck } from './evidence-rows';
import type { RootRecoveryDeclared } from './evidence-rows';
import type { CheckResult, Finding, Status } from './model';
import { STATUSES, checkResult, combine } from './model';
import { ADDED_ROWS, NO_RULE_REASON, ROW_RULES } from './rows';
import type { CheckId } from './rows';
import type { SeedDocument } from './seed-table';

export interface ReportRow {
  id: string;
  /** `customer`: a row of the customer's table, its wording kept; `safeguard`: a row the report adds. */
  origin: 'customer' | 'safeguard';
  cells: string[];
  /** The customer's own status cell, as written (null where the table has none, or for added rows). */
  customerStatus: string | null;
  status: Status;
  reason: string;
  checks: CheckResult[];
}

export interface ReportSection {
  slug: string;
  heading: string;
  ref: string | null;
  origin: 'customer' | 'safeguard';
  columns: string[];
  statusColumn: number | null;
  rows: ReportRow[];
  notes: string[];
}

export interface ReportAccount {
  id: string;
  name: string;
  region: string;
  /** Why the account's AWS rows are all "not checked" (its role could not be assumed), or null. */
  unreachable: string | null;
}

export interface ComplianceReport {
  title: string;
  preamble: string[];
  source: string;
  generatedAt: string;
  period: { since: string; until: string };
  evidenceDir: string;
  accounts: ReportAccount[];
  summary: Record<Status, number>;
  sections: ReportSection[];
}

export interface AwsInput {
  accounts: AccountScope[];
  /** Read access to one account, or why there is none (AssumeRole refused). */
  open(scope: AccountScope): Promise<AccountReads | { unreachable: string }>;
}

export interface BuildInput {
  seed: SeedDocument;
  source: string;
  period: Period;
  now: Date;
  evidenceDir: string;
  entries: EntryLike[];
  chain: ChainVerification;
  /** What the store could not check (no key, anchor store unavailable). */
  evidenceNotes?: string[];
  /** Undefined: AWS is not queried; every AWS row says so. */
  aws?: AwsInput;
  /** Why AWS was not queried (shown in every AWS row). */
  awsSkipped?: string;
  /** The policy's root-recovery runbooks and watched accounts; null when it declares none, undefined when the policy was not read. */
  rootRecovery?: RootRecoveryDeclared | null;
}

async function awsResults(input: BuildInput): Promise<{ results: Map<string, CheckResult>; accounts: ReportAccount[] }> {
  const results = new Map<string, CheckResult>();
  const aws = input.aws;
  if (!aws) {
    const reason = input.awsSkipped ?? 'AWS was not queried';
    for (const c of AWS_CHECKS) results.set(c.id, checkResult(c.id, c.title, c.looked, [], reason));
    return { results, accounts: [] };
  }
  const perAccount = await Promise.all(
    aws.accounts.map(async (scope) => {
      const reads = await aws.open(scope);
      if ('unreachable' in reads) {
        const findings = AWS_CHECKS.map((): Finding => ({ status: 'not checked', reason: reads.unreachable, account: scope.accountId, region: scope.region, refs: [] }));
        return { scope, unreachable: reads.unreachable, findings };
      }
      const findings = await Promise.all(AWS_CHECKS.map((c) => runAwsCheck(c, reads)));
      return { scope, unreachable: null, findings };
    }),
  );
  AWS_CHECKS.forEach((c, i) => {
    const findings = perAccount.flatMap((a) => {
      const f = a.findings[i];
      return f ? [f] : [];
    });
    results.set(c.id, checkResult(c.id, c.title, `${c.looked}, in ${perAccount.map((a) => `${a.scope.accountId}/${a.scope.region}`).join(', ') || 'no account'}`, findings, aws.accounts.length === 0 ? 'no account to check' : 'applies to no account of the policy'));
  });
  return { results, accounts: perAccount.map((a) => ({ id: a.scope.accountId, name: a.scope.name, region: a.scope.region, unreachable: a.unreachable })) };
}

function rowOf(id: string, origin: ReportRow['origin'], cells: string[], customerStatus: string | null, checkIds: CheckId[] | null, notChecked: string | null, results: Map<string, CheckResult>): ReportRow {
  if (!checkIds) return { id, origin, cells, customerStatus, status: 'not checked', reason: notChecked ?? NO_RULE_REASON, checks: [] };
  const checks = checkIds.flatMap((c) => {
    const r = results.get(c);
    return r ? [r] : [];
  });
  const status = combine(checks.map((c) => c.status));
  const reason = checks
    .filter((c) => c.status === status)
    .map((c) => `${c.title}: ${c.reason}`)
    .join(' | ');
  return { id, origin, cells, customerStatus, status, reason, checks };
}

export async function buildReport(input: BuildInput): Promise<ComplianceReport> {
  const { results, accounts } = await awsResults(input);
  const evidence: CheckResult[] = [
    emergencyAccessCheck(input.entries, input.period),
    rootRecoveryCheck(input.entries, input.period, input.rootRecovery),
    automaticLogoffCheck(input.entries, input.period),
    kmsRotationEvidenceCheck(input.entries, input.period),
    restoreDrillCheck(input.entries, input.period),
    accessReviewCheck(input.entries, input.period),
    evidenceChainCheck(input.chain, input.evidenceDir, input.evidenceNotes ?? []),
  ];
  for (const e of evidence) results.set(e.id, e);

  const sections: ReportSection[] = input.seed.sections.map((s) => ({
    slug: s.slug,
    heading: s.heading,
    ref: s.ref,
    origin: 'customer',
    columns: s.columns,
    statusColumn: s.statusColumn,
    notes: s.notes,
    rows: s.rows.map((r) => {
      const rule = ROW_RULES[r.id];
      return rowOf(r.id, 'customer', r.cells, r.customerStatus, rule && 'checks' in rule ? rule.checks : null, rule && 'notChecked' in rule ? rule.notChecked : null, results);
    }),
  }));
  for (const added of ADDED_ROWS) {
    let section = sections.find((s) => s.slug === added.section);
    if (!section && added.newSection) {
      const n = added.newSection;
      section = { slug: added.section, heading: n.heading, ref: n.ref, origin: 'safeguard', columns: ['Requirement', 'Implementation', 'Status'], statusColumn: 2, rows: [], notes: [] };
      const at = sections.findIndex((s) => s.slug === n.after);
      sections.splice(at < 0 ? sections.length : at + 1, 0, section);
    }
    if (!section) continue;
    // Cells in the section's columns: the two named, the status column empty (the computed status is beside it).
    const cells = section.columns.map((_, i) => (i === section.statusColumn ? '' : (added.cells[i] ?? '')));
    section.rows.push(rowOf(`${section.slug}/${added.checks.join('+')}`, 'safeguard', cells, null, added.checks, null, results));
  }
  const all = sections.flatMap((s) => s.rows);
  const summary = Object.fromEntries(STATUSES.map((st) => [st, all.filter((r) => r.status === st).length])) as Record<Status, number>;
  return {
    title: input.seed.title,
    preamble: input.seed.preamble,
    source: input.source,
    generatedAt: input.now.toISOString(),
    period: { since: input.period.since.toISOString(), until: input.period.until.toISOString() },
    evidenceDir: input.evidenceDir,
    accounts,
    summary,
    sections,
  };
}

export { periodText };
