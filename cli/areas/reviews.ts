// `safeguard review start|status|items|decide|report|list`: access reviews. Reviewers decide keep or
// revoke per item (`--item`, repeatable) or in bulk (`--bulk revoke-flagged`); the workflow refuses
// a person's own access, a closed review and anyone who is not a reviewer of the item.
import path from 'node:path';
import type { Command } from 'commander';
import { SafeguardError } from '../../client/errors';
import { assertRunId } from '../../client/ids';
import { ReviewClient } from '../../client/review-client';
import type { ReviewDecision, ReviewDecisionOutcome } from '../../client/review-client';
import { reviewReport } from '../../client/review-report';
import type { ListedRun } from '../../client/runs';
import { BlobStore } from '../../evidence/blobs';
import { EvidenceStore } from '../../evidence/store';
import { renderReportCsv, renderReportJson, renderReportMarkdown } from '../../reports/access-review';
import type { ReviewReport } from '../../reports/access-review';
import type { BulkChoice, ItemDecision } from '../../workflows/access-review/inventory';
import { callerOf, identity, out, withContext } from '../program';
import type { Common } from '../program';
import { formatRunList } from '../run-view';
import { formatReviewStatus, formatReviewerItems } from '../review-view';

const DECISIONS: readonly ItemDecision[] = ['keep', 'revoke'];
const BULK: readonly BulkChoice[] = ['keep-unflagged', 'revoke-flagged', 'keep-all', 'revoke-all'];
const FORMATS = ['csv', 'json', 'md'] as const;
/** How often `review start --wait` prints the inventory's progress. */
const PROGRESS_EVERY_MS = 1_000;

const evidenceDir = (o: { dir?: string }): string => o.dir ?? process.env.SAFEGUARD_EVIDENCE_DIR ?? path.join(process.env.SAFEGUARD_DATA_DIR ?? '.data', 'evidence');
const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** The decision a `review decide` command line asks for, or a specific error; nothing is sent before this passes. */
export function parseDecideArgs(decision: string | undefined, o: { item?: string[]; bulk?: string; reason?: string }): ReviewDecision {
  if (o.reason !== undefined && o.reason.length > 1000) throw new SafeguardError('INVALID_OPTION', '--reason is at most 1000 characters');
  if (o.bulk !== undefined) {
    if (decision !== undefined || (o.item ?? []).length > 0) throw new SafeguardError('INVALID_OPTION', '--bulk decides every undecided item it covers: give no --item and no keep|revoke');
    if (!BULK.includes(o.bulk as BulkChoice)) throw new SafeguardError('INVALID_OPTION', `--bulk must be one of ${BULK.join(', ')}, not "${o.bulk.slice(0, 30)}"`);
    return { bulk: o.bulk as BulkChoice, ...(o.reason ? { reason: o.reason } : {}), via: 'cli' };
  }
  if (!o.item || o.item.length === 0) throw new SafeguardError('INVALID_OPTION', 'name the item with --item <principal ARN or name> (repeatable), or use --bulk');
  if (decision === undefined || !DECISIONS.includes(decision as ItemDecision)) throw new SafeguardError('INVALID_OPTION', `the decision must be keep or revoke, not "${String(decision ?? '').slice(0, 30)}"`);
  return { items: o.item.map((item) => ({ item, decision: decision as ItemDecision })), ...(o.reason ? { reason: o.reason } : {}), via: 'cli' };
}

function formatDecided(r: ReviewDecisionOutcome): string {
  const lines = [`decided ${r.decided} item(s)`];
  for (const run of r.runs) {
    lines.push(`  ${run.workflowId}: ${run.decided} decided, ${run.remaining} left`);
    for (const s of run.skipped) lines.push(`    skipped ${s.key}: ${s.why}`);
  }
  return lines.join('\n');
}

export function register(program: Command): void {
  const review = program.command('review').description('access reviews: inventory, findings, keep/revoke, deadlines, reports');
  identity(review.command('start <review>').description('start an access review from the policy now (reviews.access)'))
    .option('--wait', 'show the inventory’s progress until the reviewers are asked')
    .action(async (name: string, o: Common & { wait?: boolean }) => {
      await withContext(
        o,
        async (ctx) => {
          const who = await callerOf(ctx, o.as)();
          const client = new ReviewClient(ctx.temporal, ctx.taskQueue);
          const started = await client.start(ctx.policy, name, who.person);
          if (!o.wait) return started;
          for (;;) {
            const st = await client.status(started.workflowId);
            if (st.reviewers.length > 0 || st.execution.status !== 'RUNNING') return st;
            if (!o.json) for (const p of st.progress) out.stderr(`  inventory ${p.accountId}: ${p.count} ${p.what}`);
            await new Promise((r) => setTimeout(r, PROGRESS_EVERY_MS));
          }
        },
        (r: { workflowId: string } | Parameters<typeof formatReviewStatus>[0]) => ('view' in r ? formatReviewStatus(r) : `started ${r.workflowId}\n  follow it: safeguard review status ${r.workflowId}`),
      );
    });
  identity(review.command('status <id>').description('where a review is: inventory progress, findings, each reviewer'))
    .action(async (id: string, o: Common) => {
      assertRunId(id, ['access-review']);
      await withContext(o, (ctx) => new ReviewClient(ctx.temporal, ctx.taskQueue).status(id), formatReviewStatus);
    });
  identity(review.command('items <id>').description('the items of a review (or one reviewer run) with findings and decisions'))
    .action(async (id: string, o: Common) => {
      assertRunId(id, ['access-review']);
      await withContext(
        o,
        async (ctx) => {
          const client = new ReviewClient(ctx.temporal, ctx.taskQueue);
          return id.includes('--') ? [await client.reviewer(id)] : client.reviewers(id);
        },
        (runs: Parameters<typeof formatReviewerItems>[0]) => formatReviewerItems(runs, o.as),
      );
    });
  identity(review.command('decide <id> [decision]').description('keep or revoke items: --item <principal> keep|revoke, or --bulk keep-unflagged|revoke-flagged|keep-all|revoke-all'))
    .option('--item <principal>', 'principal ARN, Identity Center key, or a name unique among your items (repeatable)', collect)
    .option('--bulk <choice>', 'decide every undecided item it covers')
    .option('--reason <text>', 'why (recorded in the report)')
    .action(async (id: string, decision: string | undefined, o: Common & { item?: string[]; bulk?: string; reason?: string }) => {
      assertRunId(id, ['access-review']);
      const d = parseDecideArgs(decision, o);
      await withContext(
        o,
        async (ctx) => {
          const who = await callerOf(ctx, o.as)();
          return new ReviewClient(ctx.temporal, ctx.taskQueue).decide(id, who.person, d);
        },
        formatDecided,
      );
    });
  identity(review.command('report <id>').description('per item: findings, who decided what and when, what was applied and verified'))
    .option('--format <format>', 'csv, json or md', 'md')
    .option('--dir <dir>', 'evidence directory, for finding details and reviews past retention (default $SAFEGUARD_EVIDENCE_DIR or .data/evidence)')
    .action(async (id: string, o: Common & { format: string; dir?: string }) => {
      assertRunId(id, ['access-review']);
      if (!(FORMATS as readonly string[]).includes(o.format)) throw new SafeguardError('INVALID_OPTION', `--format must be csv, json or md, not "${o.format.slice(0, 20)}"`);
      const dir = evidenceDir(o);
      await withContext(
        { ...o, json: false },
        (ctx) => reviewReport({ reviews: new ReviewClient(ctx.temporal, ctx.taskQueue), blobs: new BlobStore(dir), evidence: new EvidenceStore(dir) }, id.split('--')[0]!),
        (r: ReviewReport) => (o.format === 'csv' ? renderReportCsv(r).trimEnd() : o.format === 'json' ? renderReportJson(r).trimEnd() : renderReportMarkdown(r).trimEnd()),
      );
    });
  identity(review.command('list').description('recent access reviews'))
    .option('--review <name>', 'only this review')
    .action(async (o: Common & { review?: string }) => {
      await withContext(o, (ctx) => new ReviewClient(ctx.temporal, ctx.taskQueue).list(o.review ? { review: o.review } : {}), (rows: ListedRun[]) => formatRunList(rows, 'no access reviews'));
    });
}
