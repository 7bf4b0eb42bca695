// One reviewer's items and the decisions on them: who may decide what, bulk choices, what the
// deadline defaults, and what each decision revokes. Plain and deterministic (time is passed in), so
// the reviewer workflow's Update validator and handler use it and it is unit-tested without Temporal.
import { isRec, isStr, PERSON } from '../shared/shape';
import { Refusals, refuse } from '../shared/refusals';
import { MAX_ITEMS_PER_DECISION, REVIEW_ROUND } from './definitions';
import type { DecideItemsInput, DecideItemsResult, ReviewerCounts } from './definitions';
import type { BulkChoice, DecisionRecord, DefaultAction, ItemDecision, ReviewItem, RevocationAction, RevocationReceipt } from './inventory';

const BULK: readonly BulkChoice[] = ['keep-unflagged', 'revoke-flagged', 'keep-all', 'revoke-all'];
const DECISIONS: readonly ItemDecision[] = ['keep', 'revoke'];
const MAX_REASON = 1000;

export const isFlagged = (i: ReviewItem): boolean => i.findings.length > 0;

/** What revoking a principal does, by its type: everything that lets it act. */
export function revokeActions(item: Pick<ReviewItem, 'type'>): RevocationAction[] {
  switch (item.type) {
    case 'user':
      return ['disable-keys', 'remove-console', 'detach-policies'];
    case 'role':
      return ['detach-policies'];
    case 'sso-assignment':
      return ['delete-assignment'];
  }
}

/** What the default action does to an undecided principal (nothing that does not apply to its type). */
export function defaultActions(item: Pick<ReviewItem, 'type'>, action: DefaultAction): RevocationAction[] {
  if (action === 'report-only') return [];
  if (item.type === 'sso-assignment') return action === 'detach-policies' ? ['delete-assignment'] : [];
  return revokeActions(item).filter((a) => a === action);
}

export class ReviewBook {
  private readonly byKey = new Map<string, ReviewItem>();
  readonly decisions: Record<string, DecisionRecord>;
  readonly defaulted = new Set<string>();
  readonly receipts: Record<string, RevocationReceipt> = {};

  constructor(
    readonly items: readonly ReviewItem[],
    decisions: Record<string, DecisionRecord> = {},
  ) {
    for (const i of items) this.byKey.set(i.key, i);
    this.decisions = { ...decisions };
  }

  get remaining(): number {
    return this.items.length - Object.keys(this.decisions).length;
  }

  item(key: string): ReviewItem | undefined {
    return this.byKey.get(key);
  }

  /** What can be checked before the items are loaded: the argument's shape and who is deciding. */
  static validateDecider(d: unknown, mayDecide: readonly string[]): void {
    if (!isRec(d) || !isStr(d['reviewer']) || !PERSON.test(d['reviewer'])) refuse(Refusals.malformed, 'malformed review decision');
    if (!mayDecide.includes(d['reviewer'])) refuse(Refusals.notApprover, `${d['reviewer']} is not a reviewer of these items`);
  }

  /** Throws the refusal the person should see; nothing is recorded. */
  validate(d: unknown, mayDecide: readonly string[], open: boolean): asserts d is DecideItemsInput {
    if (!isRec(d) || !isStr(d['reviewer']) || !PERSON.test(d['reviewer'])) refuse(Refusals.malformed, 'malformed review decision');
    if (d['round'] === undefined) refuse(Refusals.roundRequired, `name the round you decide (${REVIEW_ROUND})`);
    if (d['round'] !== REVIEW_ROUND) refuse(Refusals.unknownRound, `this review has no round "${String(d['round']).slice(0, 40)}" (its round: ${REVIEW_ROUND})`);
    if (d['via'] !== undefined && !['slack', 'api', 'cli'].includes(d['via'] as string)) refuse(Refusals.malformed, 'malformed decision channel');
    if (d['reason'] !== undefined && (!isStr(d['reason']) || d['reason'].length > MAX_REASON)) refuse(Refusals.malformed, `a reason is text of at most ${MAX_REASON} characters`);
    const by = d['reviewer'];
    if (!mayDecide.includes(by)) refuse(Refusals.notApprover, `${by} is not a reviewer of these items`);
    if (!open) refuse(Refusals.notOpen, 'this review is no longer taking decisions');
    const items = d['items'];
    const bulk = d['bulk'];
    if ((items === undefined) === (bulk === undefined)) refuse(Refusals.malformed, 'decide either items or one bulk choice');
    if (bulk !== undefined) {
      if (!BULK.includes(bulk as BulkChoice)) refuse(Refusals.malformed, `bulk must be one of ${BULK.join(', ')}`);
      return;
    }
    if (!Array.isArray(items) || items.length === 0) refuse(Refusals.malformed, 'items must be a non-empty list');
    if (items.length > MAX_ITEMS_PER_DECISION) refuse(Refusals.malformed, `at most ${MAX_ITEMS_PER_DECISION} items per decision`);
    for (const it of items as unknown[]) {
      if (!isRec(it) || !isStr(it['key']) || it['key'].length > 600 || !DECISIONS.includes(it['decision'] as ItemDecision)) refuse(Refusals.malformed, 'each item is { key, decision: keep | revoke }');
      if (it['reason'] !== undefined && (!isStr(it['reason']) || it['reason'].length > MAX_REASON)) refuse(Refusals.malformed, `a reason is text of at most ${MAX_REASON} characters`);
      const item = this.byKey.get(it['key']);
      if (!item) refuse(Refusals.unknownItem, `${it['key'].slice(0, 200)} is not one of this reviewer's items`);
      if (item.holder === by) refuse(Refusals.ownAccess, `you cannot review your own access (${item.name}): someone else decides it`);
    }
  }

  /** Records a validated decision. A later decision on the same item replaces the earlier one (people change their minds before the deadline). */
  decide(d: DecideItemsInput, at: string): DecideItemsResult {
    const base: Omit<DecisionRecord, 'decision'> = { by: d.reviewer, at, ...(d.via ? { via: d.via } : {}) };
    let decided = 0;
    const skipped: DecideItemsResult['skipped'] = [];
    if (d.bulk) {
      const decision: ItemDecision = d.bulk.startsWith('keep') ? 'keep' : 'revoke';
      for (const item of this.items) {
        if (this.decisions[item.key] || !bulkCovers(d.bulk, item)) continue;
        if (item.holder === d.reviewer) {
          skipped.push({ key: item.key, why: 'your own access: someone else decides it' });
          continue;
        }
        this.decisions[item.key] = { ...base, decision, bulk: d.bulk, ...(d.reason ? { reason: d.reason } : {}) };
        decided++;
      }
    } else {
      for (const it of d.items ?? []) {
        const reason = it.reason ?? d.reason;
        this.decisions[it.key] = { ...base, decision: it.decision, ...(reason ? { reason } : {}) };
        decided++;
      }
    }
    return { accepted: true, decided, skipped, remaining: this.remaining };
  }

  /** At the deadline: every undecided item gets the default action (recorded, even report-only). */
  applyDefault(): ReviewItem[] {
    const undecided = this.items.filter((i) => !this.decisions[i.key]);
    for (const i of undecided) this.defaulted.add(i.key);
    return undecided;
  }

  /** What to change in AWS: explicit revocations, then the defaulted items' default action. */
  toRevoke(defaultAction: DefaultAction): Array<{ item: ReviewItem; actions: RevocationAction[] }> {
    const out: Array<{ item: ReviewItem; actions: RevocationAction[] }> = [];
    for (const item of this.items) {
      const d = this.decisions[item.key];
      const actions = d?.decision === 'revoke' ? revokeActions(item) : this.defaulted.has(item.key) ? defaultActions(item, defaultAction) : [];
      if (actions.length > 0) out.push({ item, actions });
    }
    return out;
  }

  counts(): ReviewerCounts {
    const ds = Object.values(this.decisions);
    const receipts = Object.values(this.receipts);
    return {
      items: this.items.length,
      flagged: this.items.filter(isFlagged).length,
      decided: ds.length,
      kept: ds.filter((d) => d.decision === 'keep').length,
      revoked: ds.filter((d) => d.decision === 'revoke').length,
      defaulted: this.defaulted.size,
      applied: receipts.length,
      verified: receipts.filter((r) => r.verified).length,
      failed: receipts.filter((r) => !r.verified).length,
    };
  }
}

function bulkCovers(b: BulkChoice, item: ReviewItem): boolean {
  if (b === 'keep-all' || b === 'revoke-all') return true;
  return b === 'keep-unflagged' ? !isFlagged(item) : isFlagged(item);
}
