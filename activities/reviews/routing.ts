// Who reviews each principal. Deterministic (sorted output, no locale-dependent comparisons) so a
// retried activity routes the same items to the same reviewers, and linear in the number of
// principals: every lookup is a Map built once from the policy, because a review may hold 10,000.
// Nobody reviews their own access: an item whose reviewer would be its holder, or a group the
// holder belongs to, goes to the review's escalation group instead.
import type { AccessReviewPolicy, Person, Policy } from '../../config/policy/types';
import type { Finding, Principal, PrincipalType, Reviewer, ReviewItem, RouteReason } from '../../workflows/access-review/inventory';

export interface ExemptPrincipal {
  key: string;
  reason: string;
  findings: Finding[];
  accountId: string;
  type: PrincipalType;
  name: string;
}

export interface ReviewerAssignment {
  reviewer: Reviewer;
  items: ReviewItem[];
}

export interface RoutingInput {
  review: AccessReviewPolicy;
  policy: Pick<Policy, 'people' | 'groups'>;
  principals: Principal[];
  findings: Map<string, Finding[]>;
}

export interface Routing {
  /** Sorted by key. */
  exempt: ExemptPrincipal[];
  /** Sorted by reviewerKey; each reviewer's items sorted by key. */
  reviewers: ReviewerAssignment[];
}

export function reviewerKey(r: Reviewer): string {
  return `${r.type}:${r.id}`;
}

export function flagged(item: Pick<ReviewItem, 'findings'>): boolean {
  return item.findings.length > 0;
}

export function routeReview(input: RoutingInput): Routing {
  const { review, principals, findings } = input;
  const people = indexPeople(input.policy.people);
  const isExempt = exemptionMatcher(review.exempt);

  const exempt: ExemptPrincipal[] = [];
  const byReviewer = new Map<string, ReviewerAssignment>();
  for (const p of principals) {
    const found = findings.get(p.key) ?? [];
    const exemption = isExempt(p);
    if (exemption) {
      exempt.push({ key: p.key, reason: exemption.reason, findings: found, accountId: p.accountId, type: p.type, name: p.name });
      continue;
    }
    const holder = holderOf(p, people);
    const { reviewer, route } = reviewerFor(p, holder, review, people);
    const item: ReviewItem = {
      key: p.key,
      type: p.type,
      accountId: p.accountId,
      name: p.name,
      findings: [...new Set(found.map((f) => f.code))],
      ...(holder ? { holder: holder.id } : {}),
      route,
    };
    const rk = reviewerKey(reviewer);
    const slot = byReviewer.get(rk);
    if (slot) slot.items.push(item);
    else byReviewer.set(rk, { reviewer, items: [item] });
  }

  const byKey = (a: { key: string }, b: { key: string }): number => compare(a.key, b.key);
  exempt.sort(byKey);
  const reviewers = [...byReviewer.entries()].sort(([a], [b]) => compare(a, b)).map(([, r]) => ({ reviewer: r.reviewer, items: r.items.sort(byKey) }));
  return { exempt, reviewers };
}

interface PeopleIndex {
  byId: Map<string, Person>;
  byEmail: Map<string, Person>;
  byArn: Map<string, Person>;
  groupsOf: Map<string, Set<string>>;
}

function indexPeople(people: readonly Person[]): PeopleIndex {
  const index: PeopleIndex = { byId: new Map(), byEmail: new Map(), byArn: new Map(), groupsOf: new Map() };
  // The loader guarantees unique ids and ARNs; for emails, the first person wins so the result
  // does not depend on Map overwrite order.
  for (const person of people) {
    if (!index.byId.has(person.id)) index.byId.set(person.id, person);
    if (person.email !== undefined && !index.byEmail.has(person.email.toLowerCase())) index.byEmail.set(person.email.toLowerCase(), person);
    for (const arn of person.awsPrincipals) if (!index.byArn.has(arn)) index.byArn.set(arn, person);
    index.groupsOf.set(person.id, new Set(person.groups));
  }
  return index;
}

/** The person whose own access this is, if the policy says. */
function holderOf(p: Principal, people: PeopleIndex): Person | undefined {
  if (p.type === 'sso-assignment') {
    // A GROUP assignment is many people's access; only a USER assignment has a single holder.
    if (p.sso?.principalType !== 'USER') return undefined;
    return (p.sso.email !== undefined ? people.byEmail.get(p.sso.email.toLowerCase()) : undefined) ?? (p.sso.userName !== undefined ? people.byId.get(p.sso.userName) : undefined);
  }
  return people.byArn.get(p.arn);
}

function personNamed(value: string, people: PeopleIndex): Person | undefined {
  const v = value.trim();
  return people.byId.get(v) ?? people.byEmail.get(v.toLowerCase());
}

// IAM keeps tag keys as written, and people write `Owner` as often as `owner`: an exact match wins,
// then one that differs only in case (the first in sorted order, so the choice is stable).
function tagValue(tags: Record<string, string>, name: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(tags, name)) return tags[name];
  const lower = name.toLowerCase();
  const key = Object.keys(tags)
    .filter((k) => k.toLowerCase() === lower)
    .sort(compare)[0];
  return key === undefined ? undefined : tags[key];
}

function reviewerFor(p: Principal, holder: Person | undefined, review: AccessReviewPolicy, people: PeopleIndex): { reviewer: Reviewer; route: RouteReason } {
  const escalation: Reviewer = { type: 'group', id: review.escalation };
  // An account the policy gives no fallback group is still reviewed: by the escalation group.
  const fallback: Reviewer = { type: 'group', id: review.owners.fallback[p.accountId] ?? review.escalation };
  const tag = tagValue(p.tags, review.owners.tag);
  let chosen: { reviewer: Reviewer; route: RouteReason };
  if (tag === undefined || tag.trim() === '') chosen = { reviewer: fallback, route: 'account-group' };
  else {
    const owner = personNamed(tag, people);
    chosen = owner ? { reviewer: { type: 'person', id: owner.id }, route: 'owner-tag' } : { reviewer: fallback, route: 'unknown-owner' };
  }
  if (holder && reviews(chosen.reviewer, holder, people)) return { reviewer: escalation, route: 'self-review-escalated' };
  return chosen;
}

function reviews(reviewer: Reviewer, holder: Person, people: PeopleIndex): boolean {
  if (reviewer.type === 'person') return reviewer.id === holder.id;
  return people.groupsOf.get(holder.id)?.has(reviewer.id) === true;
}

function exemptionMatcher(exemptions: AccessReviewPolicy['exempt']): (p: Principal) => { reason: string } | undefined {
  // Exact patterns are a Map lookup; only globs are tested one by one (a policy has a handful).
  const exact = new Map<string, { index: number; reason: string }>();
  const globs: { index: number; re: RegExp; reason: string }[] = [];
  exemptions.forEach((e, index) => {
    if (e.principal.includes('*')) globs.push({ index, re: globToRegExp(e.principal), reason: e.reason });
    else if (!exact.has(e.principal)) exact.set(e.principal, { index, reason: e.reason });
  });
  return (p) => {
    // The first exemption in policy order names the reason, whichever kind matched.
    let best = [exact.get(p.key), exact.get(p.arn)].reduce<{ index: number; reason: string } | undefined>((a, b) => (b && (!a || b.index < a.index) ? b : a), undefined);
    for (const g of globs) {
      if (best && g.index > best.index) break;
      if (g.re.test(p.key) || g.re.test(p.arn)) {
        best = g;
        break;
      }
    }
    return best ? { reason: best.reason } : undefined;
  };
}

/** `*` matches any run of characters, `/` and `:` included (`arn:aws:iam::*:role/ops-*`). */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
