// The report of one access review, wherever it can be read from: the final report blob the review
// wrote when it ended; while it runs, built live from its reviewers' status Queries; and once Temporal's
// retention has dropped the run, from its evidence record's report reference. Findings' details and
// exempt principals come from the blobs when the evidence directory is readable (codes alone otherwise).
import type { BlobStore } from '../evidence/blobs';
import type { EvidenceStore } from '../evidence/store';
import { buildReviewReport } from '../reports/access-review';
import type { ExemptReportInput, ReviewReport } from '../reports/access-review';
import type { Finding } from '../workflows/access-review/inventory';
import { SafeguardError } from './errors';
import type { ReviewClient } from './review-client';

export interface ReportSources {
  reviews: ReviewClient;
  /** Absent when the CLI cannot read the evidence directory. */
  blobs?: BlobStore;
  evidence?: EvidenceStore;
}

export async function reviewReport(src: ReportSources, reviewId: string): Promise<ReviewReport> {
  let status;
  try {
    status = await src.reviews.status(reviewId);
  } catch (err) {
    if (err instanceof SafeguardError && err.code === 'WORKFLOW_NOT_FOUND' && src.evidence && src.blobs) return fromEvidence(src.evidence, src.blobs, reviewId, err);
    throw err;
  }
  if (status.report && src.blobs) return src.blobs.get<ReviewReport>(status.report);
  const reviewers = await Promise.all(status.reviewers.map((r) => src.reviews.reviewer(r.workflowId)));
  const exempt = status.exempt && src.blobs ? await src.blobs.get<ExemptReportInput[]>(status.exempt).catch(() => []) : [];
  const findingDetails = status.findings && src.blobs ? (await src.blobs.get<{ principals: Record<string, Finding[]> }>(status.findings).catch(() => ({ principals: {} }))).principals : {};
  return buildReviewReport({
    reviewId: status.workflowId,
    reviewName: status.review,
    startedAt: status.view.startedAt,
    ...(status.view.endedAt ? { endedAt: status.view.endedAt } : {}),
    ...(status.view.outcome ? { outcome: status.view.outcome } : { outcome: 'in progress' }),
    defaultAction: reviewers[0]?.defaultAction ?? 'report-only',
    accounts: status.accounts.map((a) => a.accountId),
    exempt,
    reviewers: reviewers.map((r) => ({
      reviewer: r.reviewer,
      items: r.items.map(({ decision: _d, defaulted: _f, receipt: _r, ...item }) => item),
      decisions: Object.fromEntries(r.items.filter((i) => i.decision).map((i) => [i.key, i.decision!])),
      defaulted: r.items.filter((i) => i.defaulted).map((i) => i.key),
      receipts: Object.fromEntries(r.items.filter((i) => i.receipt).map((i) => [i.key, i.receipt!])),
      escalated: r.escalated,
      ...(r.phase === 'ended' ? { finishedAt: r.timeline.at(-1)?.at ?? '' } : {}),
    })),
    findingDetails,
  });
}

async function fromEvidence(evidence: EvidenceStore, blobs: BlobStore, reviewId: string, notFound: Error): Promise<ReviewReport> {
  const entries = await evidence.list({ kind: 'access-review' });
  const rec = entries.map((e) => e.record).find((r) => r['workflowId'] === reviewId);
  const ref = rec?.['report'] as { sha256: string } | null | undefined;
  if (!ref) throw notFound;
  return blobs.get<ReviewReport>(ref);
}
