// Access-review activities, one object for createActivities to spread. Everything large (an account's
// inventory, a reviewer's items, receipts, the report) is stored as a content-addressed blob next to
// the evidence chain and only its reference returns to the workflow, so histories stay small at
// 10,000 principals.
import { Context } from '@temporalio/activity';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { Logger } from 'pino';
import type { Policy } from '../../config/policy/types';
import { membersOf } from '../../config/policy/shared';
import { accessReviewTargetFor } from '../../client/review-targets';
import type { BlobStore } from '../../evidence/blobs';
import { buildReviewReport } from '../../reports/access-review';
import type { ReviewerReportInput } from '../../reports/access-review';
import { reviewerWorkflowId } from '../../workflows/access-review/definitions';
import type { AccessReviewTarget, AccountSummary, InventoryProgress, ReviewerOutcome, ReviewerSummary, ReviewTotals } from '../../workflows/access-review/definitions';
import type { AccountInventory, BlobRef, DecisionRecord, DefaultAction, Finding, FindingCode, Principal, Reviewer, ReviewItem, RevocationReceipt } from '../../workflows/access-review/inventory';
import type { AccountRef } from '../../workflows/key-rotation/targets';
import type { AwsClients } from '../aws/clients';
import { accountClients } from '../aws/clients';
import { awsCall } from '../aws/errors';
import { heartbeat, pause } from '../heartbeat';
import type { PolicyVerdict } from '../policy/break-glass-check';
import { matchPolicyTarget } from '../policy/target-match';
import { findingsFor, rootFindings } from './findings';
import { iamInventory } from './iam-inventory';
import { identityCenterPrincipals } from './identity-center';
import { revokePrincipal } from './revoke';
import type { RevokeItem } from './revoke';
import { routeReview } from './routing';

export interface ReviewActivityDeps {
  aws: AwsClients;
  blobs: BlobStore;
  logger: Logger;
  policy: () => Policy;
}

/** A reviewer's items are split into runs of at most this many, so no payload nears Temporal's 2 MB limit. */
export const MAX_ITEMS_PER_REVIEWER_RUN = 2_500;
/** IAM is eventually consistent: read a revoked principal back a few times before calling it unverified. */
const VERIFY_READS = 5;
const VERIFY_INTERVAL_MS = 1_000;

export interface PlannedReviewer {
  reviewer: Reviewer;
  workflowId: string;
  deciders: string[];
  items: BlobRef;
  itemCount: number;
  flaggedCount: number;
}

export interface ReviewPlan {
  reviewers: PlannedReviewer[];
  exempt: BlobRef;
  findings: BlobRef;
  totals: ReviewTotals;
  rootFindings: Record<string, FindingCode[]>;
}


export function createReviewActivities(deps: ReviewActivityDeps) {
  let brokerArn: string | undefined;
  const broker = async (): Promise<string> => {
    if (brokerArn) return brokerArn;
    const me = await awsCall('GetCallerIdentity', () => deps.aws.brokerSts().send(new GetCallerIdentityCommand({})));
    brokerArn = roleArnOfCaller(me.Arn ?? '');
    return brokerArn;
  };

  return {
    /** Is this review exactly the policy's review of that name? Checked before anything is read. */
    async checkReviewRequest(input: { review: AccessReviewTarget }): Promise<PolicyVerdict> {
      return matchPolicyTarget(() => accessReviewTargetFor(deps.policy(), input.review.name), input.review);
    },

    /** One account's inventory, stored as a blob; heartbeats say how far it got. */
    async collectInventory(input: { reviewId: string; account: AccountRef; identityCenter: boolean; identityCenterAccount?: AccountRef }): Promise<AccountSummary> {
      const { accountId } = input.account;
      const progress = (what: string, count: number): void => {
        try {
          Context.current().heartbeat({ accountId, what, count } satisfies InventoryProgress);
        } catch {
          // outside an activity (tests)
        }
      };
      const c = await accountClients(deps.aws, input.account);
      const inv = await iamInventory(c.iam, accountId, progress);
      if (input.identityCenter) {
        // The instance lives in the management or delegated-administrator account; it lists assignments for this one.
        const ic = input.identityCenterAccount ? await accountClients(deps.aws, input.identityCenterAccount) : c;
        const assignments = await identityCenterPrincipals(ic.ssoAdmin, ic.identityStore, accountId);
        inv.principals.push(...assignments);
        progress('Identity Center assignments', assignments.length);
      }
      const inventory = await deps.blobs.put(inv, `inventory ${accountId} for ${input.reviewId}`);
      deps.logger.info({ reviewId: input.reviewId, accountId, principals: inv.principals.length, bytes: inventory.bytes }, 'access review inventory stored');
      return { accountId, principals: inv.principals.length, inventory, rootFindings: [] };
    },

    /** Findings on every principal, then every principal routed to its reviewer; one items blob per reviewer run. */
    async planReview(input: { reviewId: string; review: AccessReviewTarget; accounts: AccountSummary[] }): Promise<ReviewPlan> {
      const policy = deps.policy();
      const review = input.review;
      const bgArns = new Set([...policy.breakGlass.roles.map((r) => r.roleArn), ...policy.drills.fire.map((d) => d.drillRoleArn)]);
      const brokerArnNow = await broker();
      const humans = new Set(policy.people.flatMap((p) => p.awsPrincipals));
      const findings = new Map<string, Finding[]>();
      const rootFound: Record<string, FindingCode[]> = {};
      const principals: Principal[] = [];
      const rootDetails: Record<string, Finding[]> = {};
      for (const a of input.accounts) {
        const inv = await deps.blobs.get<AccountInventory>(a.inventory);
        heartbeat();
        const now = Date.parse(inv.collectedAt);
        const ctx = {
          now,
          keyMaxAgeMs: review.keyMaxAgeMs,
          unusedAfterMs: review.unusedAfterMs,
          isHuman: (p: Principal) => p.type === 'sso-assignment' ? p.sso?.principalType === 'USER' : p.type === 'user' && (humans.has(p.arn) || p.console?.enabled === true),
          breakGlass: { roleArns: bgArns, brokerArn: brokerArnNow },
        };
        for (const p of inv.principals) {
          findings.set(p.key, findingsFor(p, ctx));
          principals.push(p);
        }
        const rf = rootFindings(inv.root, a.accountId);
        rootFound[a.accountId] = rf.map((f) => f.code);
        rootDetails[a.accountId] = rf;
      }
      // Safeguard's own identities (the broker, each account's execution role) are how it revokes
      // anything: never offered for revocation.
      const own = [
        ...input.review.accountRefs.map((r) => ({ principal: r.executionRoleArn, reason: "Safeguard's execution role in this account: revoking it would stop every runbook" })),
        { principal: brokerArnNow, reason: "Safeguard's broker identity: every runbook starts from it" },
      ];
      const routing = routeReview({ review: { ...review, exempt: [...review.exempt, ...own] }, policy, principals, findings });
      heartbeat();

      const reviewers: PlannedReviewer[] = [];
      for (const r of routing.reviewers) {
        const deciders = r.reviewer.type === 'person' ? [r.reviewer.id] : membersOf(policy, [r.reviewer.id]);
        for (let part = 0; part * MAX_ITEMS_PER_REVIEWER_RUN < r.items.length; part++) {
          const items = r.items.slice(part * MAX_ITEMS_PER_REVIEWER_RUN, (part + 1) * MAX_ITEMS_PER_REVIEWER_RUN);
          const base = reviewerWorkflowId(input.reviewId, r.reviewer);
          const ref = await deps.blobs.put(items, `review items for ${r.reviewer.type} ${r.reviewer.id} in ${input.reviewId}`);
          reviewers.push({ reviewer: r.reviewer, workflowId: part === 0 ? base : `${base}-p${part + 1}`, deciders, items: ref, itemCount: items.length, flaggedCount: items.filter((i) => i.findings.length > 0).length });
        }
      }
      const counts: Partial<Record<FindingCode, number>> = {};
      for (const fs of findings.values()) for (const f of fs) counts[f.code] = (counts[f.code] ?? 0) + 1;
      for (const fs of Object.values(rootDetails)) for (const f of fs) counts[f.code] = (counts[f.code] ?? 0) + 1;
      const exemptKeys = new Set(routing.exempt.map((e) => e.key));
      const totals: ReviewTotals = {
        principals: principals.length,
        flagged: principals.filter((p) => !exemptKeys.has(p.key) && (findings.get(p.key)?.length ?? 0) > 0).length,
        exempt: routing.exempt.length,
        findings: counts,
      };
      return {
        reviewers,
        exempt: await deps.blobs.put(routing.exempt, `exempt principals of ${input.reviewId}`),
        findings: await deps.blobs.put({ principals: Object.fromEntries(findings), roots: rootDetails }, `findings of ${input.reviewId}`),
        totals,
        rootFindings: rootFound,
      };
    },

    async loadReviewItems(input: { ref: BlobRef }): Promise<ReviewItem[]> {
      return deps.blobs.get<ReviewItem[]>(input.ref);
    },

    /** Revokes a batch with receipts, each verified by reading the principal back; the receipts are also stored as a blob. */
    async applyRevocations(input: { reviewId: string; accounts: AccountRef[]; identityCenterAccount?: AccountRef; items: RevokeItem[] }): Promise<{ receipts: RevocationReceipt[]; ref: BlobRef }> {
      const receipts: RevocationReceipt[] = [];
      for (const item of input.items) {
        const account = input.accounts.find((a) => a.accountId === item.accountId);
        if (!account) throw new Error(`item ${item.key} is in account ${item.accountId}, which is not one of the review's accounts`);
        const own = await accountClients(deps.aws, account);
        const c = item.type === 'sso-assignment' && input.identityCenterAccount ? { iam: own.iam, ssoAdmin: (await accountClients(deps.aws, input.identityCenterAccount)).ssoAdmin } : own;
        let receipt = await revokePrincipal(c, item);
        for (let i = 1; i < VERIFY_READS && !receipt.verified && !receipt.steps.some((s) => s.result === 'failed'); i++) {
          await pause(VERIFY_INTERVAL_MS);
          receipt = await revokePrincipal(c, item);
        }
        receipts.push(receipt);
        heartbeat();
      }
      const ref = await deps.blobs.put(receipts, `revocation receipts for ${input.reviewId}`);
      return { receipts, ref };
    },

    async saveReviewerOutcome(input: {
      reviewId: string;
      workflowId: string;
      reviewer: Reviewer;
      items: BlobRef;
      decisions: Record<string, DecisionRecord>;
      defaulted: string[];
      defaultAction: DefaultAction;
      receipts: BlobRef[];
      escalated: boolean;
      finishedAt: string;
    }): Promise<BlobRef> {
      const items = await deps.blobs.get<ReviewItem[]>(input.items);
      const receipts: Record<string, RevocationReceipt> = {};
      for (const ref of input.receipts) for (const r of await deps.blobs.get<RevocationReceipt[]>(ref)) receipts[r.key] = r;
      const outcome: ReviewerOutcome = {
        reviewer: input.reviewer,
        workflowId: input.workflowId,
        items,
        decisions: input.decisions,
        defaulted: input.defaulted,
        defaultAction: input.defaultAction,
        receipts,
        escalated: input.escalated,
        finishedAt: input.finishedAt,
      };
      return deps.blobs.put(outcome, `reviewer outcome ${input.workflowId}`);
    },

    /** The review's report as a blob (JSON; the CLI renders CSV and Markdown from it). */
    async writeReviewReport(input: {
      reviewId: string;
      review: AccessReviewTarget;
      startedAt: string;
      outcome: string;
      accounts: AccountSummary[];
      exempt: BlobRef | null;
      findings: BlobRef | null;
      reviewers: ReviewerSummary[];
    }): Promise<{ ref: BlobRef; rows: number }> {
      const findings = input.findings ? (await deps.blobs.get<{ principals: Record<string, Finding[]> }>(input.findings)).principals : {};
      const reviewers: ReviewerReportInput[] = [];
      for (const s of input.reviewers) {
        if (!s.result) continue;
        const o = await deps.blobs.get<ReviewerOutcome>(s.result.outcome);
        reviewers.push({ reviewer: o.reviewer, items: o.items, decisions: o.decisions, defaulted: o.defaulted, receipts: o.receipts, escalated: o.escalated, finishedAt: o.finishedAt });
      }
      const report = buildReviewReport({
        reviewId: input.reviewId,
        reviewName: input.review.name,
        startedAt: input.startedAt,
        endedAt: new Date().toISOString(),
        outcome: input.outcome,
        defaultAction: input.review.defaultAction,
        accounts: input.accounts.map((a) => a.accountId),
        exempt: input.exempt ? await deps.blobs.get(input.exempt) : [],
        reviewers,
        findingDetails: findings,
      });
      const ref = await deps.blobs.put(report, `access review report ${input.reviewId}`);
      return { ref, rows: report.rows.length };
    },
  };
}

/** The broker's identity as a trust policy names it: an assumed-role session becomes its role's ARN. */
export function roleArnOfCaller(arn: string): string {
  const m = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : arn;
}

export type ReviewActivities = ReturnType<typeof createReviewActivities>;
