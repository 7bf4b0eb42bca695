// The report of an access review, finished or still running: per item who decided what and when,
// what the default action did to the items nobody decided, and what each revocation changed and
// whether reading it back confirmed it. One model, three renderings (CSV for spreadsheets, JSON for
// tools, Markdown for people and evidence). Pure: the CLI and the evidence activity both call it.
import { maskAccessKeyId } from '../activities/reviews/findings';
import { reviewerKey } from '../activities/reviews/routing';
import { csvCell, csvDocument } from './csv';
import { mdCell, mdTable } from './markdown';
import type {
  BulkChoice,
  DecisionRecord,
  DefaultAction,
  Finding,
  FindingCode,
  PrincipalType,
  RevocationAction,
  RevocationReceipt,
  RevocationStep,
  Reviewer,
  ReviewItem,
  RouteReason,
} from '../workflows/access-review/inventory';

export interface ReviewerReportInput {
  reviewer: Reviewer;
  items: ReviewItem[];
  decisions: Record<string, DecisionRecord>;
  /** Keys the default action applied to at the deadline. */
  defaulted: string[];
  receipts: Record<string, RevocationReceipt>;
  escalated: boolean;
  finishedAt?: string;
}

export interface ExemptReportInput {
  key: string;
  reason: string;
  findings: Finding[];
  /** Routing supplies these; when absent the account is read from the key. */
  accountId?: string;
  type?: PrincipalType;
  name?: string;
}

export interface ReviewReportInput {
  reviewId: string;
  reviewName: string;
  startedAt: string;
  endedAt?: string;
  outcome?: string;
  defaultAction: DefaultAction;
  accounts: string[];
  exempt: ExemptReportInput[];
  reviewers: ReviewerReportInput[];
  /** Findings with their details, by principal key; items alone carry only the codes. */
  findingDetails?: Map<string, Finding[]> | Record<string, Finding[]>;
}

export type ReportDecision = 'keep' | 'revoke' | `default:${DefaultAction}` | 'undecided' | 'exempt';

export interface ReportFinding {
  code: FindingCode;
  severity?: Finding['severity'];
  detail?: string;
}

export interface ReportStep {
  action: RevocationAction;
  target: string;
  result: RevocationStep['result'];
  at: string;
  detail?: string;
}

export interface ReviewReportRow {
  account: string;
  key: string;
  type: PrincipalType | '';
  name: string;
  findings: ReportFinding[];
  flagged: boolean;
  /** reviewerKey of the reviewer; empty for an exempt item. */
  reviewer: string;
  route?: RouteReason;
  holder?: string;
  decision: ReportDecision;
  decidedBy?: string;
  /** The reviewer's reason, or the exemption's. */
  reason?: string;
  decidedAt?: string;
  via?: DecisionRecord['via'];
  bulk?: BulkChoice;
  actions: RevocationAction[];
  steps: ReportStep[];
  /** Present when a revocation was applied: did the read-back confirm it. */
  verified?: boolean;
  remaining: string[];
}

export interface ReportTotals {
  items: number;
  flagged: number;
  kept: number;
  revoked: number;
  defaulted: number;
  undecided: number;
  exempt: number;
  /** Items a revocation was carried out on (decided or defaulted); applied = verified + failed. */
  applied: number;
  verified: number;
  /** A step failed, or the read-back still found something. */
  failed: number;
}

export interface ReviewerSummary {
  reviewer: string;
  escalated: boolean;
  finishedAt?: string;
  totals: ReportTotals;
}

/** The review as its input names it, then the totals, per-reviewer summaries and one row per item. */
export interface ReviewReport extends Pick<ReviewReportInput, 'reviewId' | 'reviewName' | 'startedAt' | 'endedAt' | 'outcome' | 'defaultAction' | 'accounts'> {
  totals: ReportTotals;
  reviewers: ReviewerSummary[];
  /** Sorted by reviewer, then principal key; exempt items (reviewer "") first. */
  rows: ReviewReportRow[];
}

export function buildReviewReport(input: ReviewReportInput): ReviewReport {
  const details = detailsLookup(input.findingDetails);
  const exemptRows = input.exempt.map((e) => exemptRow(e));
  const reviewers = [...input.reviewers].sort((a, b) => compare(reviewerKey(a.reviewer), reviewerKey(b.reviewer)));
  const reviewerRows = reviewers.map((r) => {
    const defaulted = new Set(r.defaulted);
    return { r, rows: r.items.map((item) => itemRow(item, r, defaulted, input.defaultAction, details(item.key))).sort(byKey) };
  });
  const rows = [...exemptRows.sort(byKey), ...reviewerRows.flatMap((x) => x.rows)];
  return {
    reviewId: input.reviewId,
    reviewName: input.reviewName,
    startedAt: input.startedAt,
    ...(input.endedAt !== undefined ? { endedAt: input.endedAt } : {}),
    ...(input.outcome !== undefined ? { outcome: input.outcome } : {}),
    defaultAction: input.defaultAction,
    accounts: [...input.accounts].sort(compare),
    totals: totalsOf(rows),
    reviewers: reviewerRows.map(({ r, rows: own }) => ({
      reviewer: reviewerKey(r.reviewer),
      escalated: r.escalated,
      ...(r.finishedAt !== undefined ? { finishedAt: r.finishedAt } : {}),
      totals: totalsOf(own),
    })),
    rows,
  };
}

function exemptRow(e: ExemptReportInput): ReviewReportRow {
  const findings = e.findings.map(reportFinding);
  return {
    account: e.accountId ?? accountOfKey(e.key),
    key: e.key,
    type: e.type ?? '',
    name: e.name ?? '',
    findings,
    flagged: findings.length > 0,
    reviewer: '',
    decision: 'exempt',
    reason: e.reason,
    actions: [],
    steps: [],
    remaining: [],
  };
}

function itemRow(item: ReviewItem, r: ReviewerReportInput, defaulted: Set<string>, defaultAction: DefaultAction, detailed: Finding[] | undefined): ReviewReportRow {
  const decision = own(r.decisions, item.key);
  const receipt = own(r.receipts, item.key);
  // The details, when given, are the whole truth; codes without a detail are kept so none is lost.
  const findings: ReportFinding[] = detailed ? detailed.map(reportFinding) : [];
  for (const code of item.findings) if (!findings.some((f) => f.code === code)) findings.push({ code });
  let outcome: ReportDecision = 'undecided';
  if (decision) outcome = decision.decision;
  else if (defaulted.has(item.key)) outcome = `default:${defaultAction}`;
  return {
    account: item.accountId,
    key: item.key,
    type: item.type,
    name: item.name,
    findings,
    flagged: findings.length > 0,
    reviewer: reviewerKey(r.reviewer),
    route: item.route,
    ...(item.holder !== undefined ? { holder: item.holder } : {}),
    decision: outcome,
    ...(decision ? decisionFields(decision) : {}),
    actions: receipt ? [...receipt.actions] : [],
    steps: receipt ? receipt.steps.map(reportStep) : [],
    ...(receipt ? { verified: receipt.verified } : {}),
    remaining: receipt ? receipt.remaining.map(maskKeyIds) : [],
  };
}

function decisionFields(d: DecisionRecord): Pick<ReviewReportRow, 'decidedBy' | 'decidedAt' | 'reason' | 'via' | 'bulk'> {
  return {
    decidedBy: d.by,
    decidedAt: d.at,
    ...(d.reason !== undefined ? { reason: d.reason } : {}),
    ...(d.via !== undefined ? { via: d.via } : {}),
    ...(d.bulk !== undefined ? { bulk: d.bulk } : {}),
  };
}

function reportFinding(f: Finding): ReportFinding {
  return { code: f.code, severity: f.severity, detail: f.detail };
}

// Reports leave the evidence store (mailed to auditors, pasted in tickets): key ids are masked as
// in findings. The receipt in the evidence store keeps the full id for CloudTrail correlation.
function reportStep(s: RevocationStep): ReportStep {
  return { action: s.action, target: maskKeyIds(s.target), result: s.result, at: s.at, ...(s.detail !== undefined ? { detail: maskKeyIds(s.detail) } : {}) };
}

function maskKeyIds(text: string): string {
  return text.replace(/\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{12,}\b/g, (id) => maskAccessKeyId(id));
}

function totalsOf(rows: ReviewReportRow[]): ReportTotals {
  const t: ReportTotals = { items: 0, flagged: 0, kept: 0, revoked: 0, defaulted: 0, undecided: 0, exempt: 0, applied: 0, verified: 0, failed: 0 };
  for (const row of rows) {
    t.items += 1;
    if (row.flagged) t.flagged += 1;
    if (row.decision === 'keep') t.kept += 1;
    else if (row.decision === 'revoke') t.revoked += 1;
    else if (row.decision === 'exempt') t.exempt += 1;
    else if (row.decision === 'undecided') t.undecided += 1;
    else t.defaulted += 1;
    if (row.verified !== undefined) {
      t.applied += 1;
      if (row.verified && !row.steps.some((s) => s.result === 'failed')) t.verified += 1;
      else t.failed += 1;
    }
  }
  return t;
}

// ---- renderers ----

const CSV_COLUMNS = [
  'account',
  'principal',
  'type',
  'name',
  'findings',
  'flagged',
  'reviewer',
  'route',
  'holder',
  'decision',
  'decided_by',
  'decided_at',
  'reason',
  'via',
  'bulk',
  'actions',
  'steps',
  'verified',
  'remaining',
] as const;

function rowCells(row: ReviewReportRow): string[] {
  return [
    row.account,
    row.key,
    row.type,
    row.name,
    row.findings.map(findingText).join('; '),
    row.flagged ? 'yes' : 'no',
    row.reviewer,
    row.route ?? '',
    row.holder ?? '',
    row.decision,
    row.decidedBy ?? '',
    row.decidedAt ?? '',
    row.reason ?? '',
    row.via ?? '',
    row.bulk ?? '',
    row.actions.join(' '),
    row.steps.map(stepText).join('; '),
    row.verified === undefined ? '' : row.verified ? 'yes' : 'no',
    row.remaining.join('; '),
  ];
}

/** RFC 4180, CRLF line ends; cells a spreadsheet would run as a formula are defused with a leading '. */
export function renderReportCsv(r: ReviewReport): string {
  return csvDocument(CSV_COLUMNS, r.rows.map(rowCells));
}

export { csvCell };

/** Pretty JSON whose key order is the model's declaration order, whatever order the input had. */
export function renderReportJson(r: ReviewReport): string {
  const ordered = {
    reviewId: r.reviewId,
    reviewName: r.reviewName,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    outcome: r.outcome,
    defaultAction: r.defaultAction,
    accounts: r.accounts,
    totals: orderedTotals(r.totals),
    reviewers: r.reviewers.map((s) => ({ reviewer: s.reviewer, escalated: s.escalated, finishedAt: s.finishedAt, totals: orderedTotals(s.totals) })),
    rows: r.rows.map((row) => ({
      account: row.account,
      key: row.key,
      type: row.type,
      name: row.name,
      findings: row.findings.map((f) => ({ code: f.code, severity: f.severity, detail: f.detail })),
      flagged: row.flagged,
      reviewer: row.reviewer,
      route: row.route,
      holder: row.holder,
      decision: row.decision,
      decidedBy: row.decidedBy,
      reason: row.reason,
      decidedAt: row.decidedAt,
      via: row.via,
      bulk: row.bulk,
      actions: row.actions,
      steps: row.steps.map((s) => ({ action: s.action, target: s.target, result: s.result, at: s.at, detail: s.detail })),
      verified: row.verified,
      remaining: row.remaining,
    })),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

function orderedTotals(t: ReportTotals): ReportTotals {
  return { items: t.items, flagged: t.flagged, kept: t.kept, revoked: t.revoked, defaulted: t.defaulted, undecided: t.undecided, exempt: t.exempt, applied: t.applied, verified: t.verified, failed: t.failed };
}

export function renderReportMarkdown(r: ReviewReport): string {
  const out: string[] = [];
  out.push(`# Access review ${mdCell(r.reviewName)} (${mdCell(r.reviewId)})`, '');
  out.push(`- Started: ${mdCell(r.startedAt)}`);
  out.push(`- Ended: ${r.endedAt === undefined ? 'still running' : mdCell(r.endedAt)}`);
  if (r.outcome !== undefined) out.push(`- Outcome: ${mdCell(r.outcome)}`);
  out.push(`- Default action for undecided items: ${mdCell(r.defaultAction)}`);
  out.push(`- Accounts: ${r.accounts.map(mdCell).join(', ') || 'none'}`, '');

  out.push('## Totals', '');
  const totalColumns = ['reviewer', 'escalated', 'finished', ...TOTAL_KEYS];
  const totalRows = [
    ['all', '', r.endedAt ?? '', ...TOTAL_KEYS.map((k) => String(r.totals[k]))],
    ...r.reviewers.map((s) => [s.reviewer, s.escalated ? 'yes' : 'no', s.finishedAt ?? '', ...TOTAL_KEYS.map((k) => String(s.totals[k]))]),
  ];
  out.push(...mdTable(totalColumns, totalRows), '');

  const itemColumns = ['account', 'principal', 'type', 'findings', 'decision', 'decided by', 'decided at', 'reason', 'via', 'applied', 'verified'];
  const cells = (row: ReviewReportRow): string[] => [
    row.account,
    row.name === '' ? row.key : `${row.name} (${row.key})`,
    row.type,
    row.findings.map(findingText).join('; '),
    row.decision,
    row.decidedBy ?? '',
    row.decidedAt ?? '',
    row.reason ?? '',
    [row.via, row.bulk && `bulk ${row.bulk}`].filter(Boolean).join(', '),
    row.steps.map(stepText).join('; '),
    row.verified === undefined ? '' : row.verified ? 'yes' : `no${row.remaining.length > 0 ? `: ${row.remaining.join(', ')}` : ''}`,
  ];
  const exempt = r.rows.filter((row) => row.decision === 'exempt');
  if (exempt.length > 0) out.push('## Exempt', '', ...mdTable(itemColumns, exempt.map(cells)), '');
  for (const s of r.reviewers) {
    const own = r.rows.filter((row) => row.reviewer === s.reviewer && row.decision !== 'exempt');
    out.push(`## Reviewer ${mdCell(s.reviewer)}${s.escalated ? ' (escalated)' : ''}`, '', ...mdTable(itemColumns, own.map(cells)), '');
  }
  return out.join('\n');
}

const TOTAL_KEYS = ['items', 'flagged', 'kept', 'revoked', 'defaulted', 'undecided', 'exempt', 'applied', 'verified', 'failed'] as const;

function findingText(f: ReportFinding): string {
  return f.detail === undefined ? f.code : `${f.code}: ${f.detail}`;
}

function stepText(s: ReportStep): string {
  return `${s.action} ${s.target}: ${s.result}${s.detail === undefined ? '' : ` (${s.detail})`}`;
}

function detailsLookup(details: ReviewReportInput['findingDetails']): (key: string) => Finding[] | undefined {
  if (details === undefined) return () => undefined;
  if (details instanceof Map) return (key) => details.get(key);
  return (key) => own(details, key);
}

// Keys are ARNs from outside; reading a Record by one must not reach Object.prototype.
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

function accountOfKey(key: string): string {
  return /^arn:[^:]*:[^:]*:[^:]*:(\d{12}):/.exec(key)?.[1] ?? /^sso:(\d{12}):/.exec(key)?.[1] ?? '';
}

const byKey = (a: { key: string }, b: { key: string }): number => compare(a.key, b.key);

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
