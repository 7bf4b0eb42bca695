// Reads what the period report is built from: the evidence entries of the period, the chain's
// verification, each access review's report blob (its totals of kept, revoked, defaulted items), and
// the runbook steps written before the period's end (a run's steps are cited with the run).
// Only the evidence store's stable surface is used (exists, list, verify), so the report keeps working
// while the store's chain and anchoring change underneath it.
import { BlobStore } from '../../evidence/blobs';
import { EvidenceStore } from '../../evidence/store';
import type { ReviewReport } from '../access-review';
import { buildAuditExport } from './build';
import type { AuditExport, ChainStatus, ReportKind, ReviewReportTotals } from './model';

export class EvidenceMissingError extends Error {
  readonly code = 'EVIDENCE_MISSING';
  constructor(message: string) {
    super(message);
    this.name = 'EvidenceMissingError';
  }
}

export interface LoadOptions {
  dir: string;
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  kind: ReportKind | null;
  now?: () => Date;
  /** The store to read, when the caller opened it with keys and anchors; default `new EvidenceStore(dir)`. */
  store?: EvidenceStore;
}

export async function loadAuditExport(opts: LoadOptions): Promise<AuditExport> {
  const store = opts.store ?? new EvidenceStore(opts.dir);
  if (!(await store.exists())) throw new EvidenceMissingError(`no evidence file in ${store.dir}: is --dir the evidence directory?`);
  const filter = opts.kind ? { kind: opts.kind, since: opts.from, until: opts.to } : { since: opts.from, until: opts.to };
  const withRunbooks = opts.kind === null || opts.kind === 'runbook';
  // A run's steps are written as they end, so a run of the period may have steps from before it.
  const [entries, verified, runbookSteps] = await Promise.all([store.list(filter), store.verify(), withRunbooks ? store.list({ kind: 'runbook-step', until: opts.to }) : Promise.resolve(undefined)]);
  const chain: ChainStatus = {
    ok: verified.ok,
    entries: verified.entries,
    problems: verified.problems.length,
    firstProblem: verified.problems[0] ? `line ${verified.problems[0].line}: ${verified.problems[0].problem}` : null,
    headHash: verified.headHash ?? null,
    anchors: (verified as { anchors?: unknown }).anchors ?? null,
  };
  const blobs = new BlobStore(opts.dir);
  const reviewTotals = new Map<string, ReviewReportTotals | { problem: string }>();
  for (const e of entries) {
    if (e.kind !== 'access-review') continue;
    const ref = e.record['report'] as { sha256?: unknown } | null | undefined;
    if (!ref || typeof ref.sha256 !== 'string') continue;
    try {
      const report = await blobs.get<ReviewReport>({ sha256: ref.sha256 });
      const t = report.totals;
      reviewTotals.set(e.id, { kept: t.kept, revoked: t.revoked, defaulted: t.defaulted, undecided: t.undecided, applied: t.applied, verified: t.verified });
    } catch (err) {
      reviewTotals.set(e.id, { problem: `report blob ${ref.sha256.slice(0, 12)}: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return buildAuditExport({
    entries,
    period: { from: opts.from, to: opts.to },
    kind: opts.kind,
    generatedAt: (opts.now ?? (() => new Date()))(),
    evidenceDir: store.dir,
    chain,
    reviewTotals,
    ...(runbookSteps ? { runbookSteps } : {}),
  });
}
