// ReviewBook: one reviewer's items and the decisions on them, as the accessReviewer workflow's Update
// validator and handler use it. Who may decide what (refusals are non-retryable ApplicationFailures
// with a stable type), per-item and bulk decisions, the default action at the deadline, and what each
// decision revokes in AWS.
import { ApplicationFailure } from '@temporalio/workflow';
import { MAX_ITEMS_PER_DECISION, REVIEW_ROUND } from '../../workflows/access-review/definitions';
import type { DecideItemsInput } from '../../workflows/access-review/definitions';
import type { DecisionRecord, DefaultAction, ReviewItem, RevocationReceipt } from '../../workflows/access-review/inventory';
import { ReviewBook, defaultActions, isFlagged, revokeActions } from '../../workflows/access-review/review-book';
import { Refusals } from '../../workflows/shared/refusals';
import { refusalType } from '../support/refusal';

const A = '111111111111';
const AT = '2026-03-02T10:00:00.000Z';
const LATER = '2026-03-03T10:00:00.000Z';

const item = (key: string, over: Partial<ReviewItem> = {}): ReviewItem => ({ key, type: 'user', accountId: A, name: key.split('/').pop() ?? key, findings: [], route: 'account-group', ...over });

// alice and carol may decide; alice-admin is alice's own access, bob-keys is bob's.
const ALICE_ADMIN = `arn:aws:iam::${A}:user/alice-admin`;
const REPORTER = `arn:aws:iam::${A}:user/reporter`;
const DEPLOY = `arn:aws:iam::${A}:role/deploy`;
const SSO = `sso:${A}:AdministratorAccess:USER:9067-alice`;
const BOB_KEYS = `arn:aws:iam::${A}:user/bob-keys`;
const items = (): ReviewItem[] => [
  item(ALICE_ADMIN, { findings: ['admin-on-human'], holder: 'alice', route: 'owner-tag' }),
  item(REPORTER),
  item(DEPLOY, { type: 'role', findings: ['principal-unused'] }),
  item(SSO, { type: 'sso-assignment', name: 'alice' }),
  item(BOB_KEYS, { findings: ['access-key-old', 'access-key-unused'], holder: 'bob', route: 'owner-tag' }),
];
const DECIDERS = ['alice', 'carol'];

const decision = (over: Partial<DecideItemsInput> = {}): DecideItemsInput => ({ reviewer: 'carol', round: REVIEW_ROUND, items: [{ key: REPORTER, decision: 'keep' }], ...over });
/** A decision with fields a well-typed caller could not send (a forged or garbled Update). */
const garbled = (over: Record<string, unknown>): unknown => ({ ...decision(), ...over });

/** The refusal validate() gives, or undefined when it accepts. */
const refusalOf = (book: ReviewBook, d: unknown, mayDecide: readonly string[] = DECIDERS, open = true): string | undefined => refusalType(() => book.validate(d, mayDecide, open));

function refusalMessage(book: ReviewBook, d: unknown, mayDecide: readonly string[] = DECIDERS, open = true): string {
  try {
    book.validate(d, mayDecide, open);
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return (err as ApplicationFailure).message;
  }
  throw new Error('expected a refusal');
}

describe('ReviewBook.validate: what a decision is refused for', () => {
  it('accepts a reviewer deciding one of their items', () => {
    expect(refusalOf(new ReviewBook(items()), decision())).toBeUndefined();
  });

  it.each([
    ['nothing', undefined],
    ['a string', 'keep everything'],
    ['a list', [decision()]],
    ['a payload the codec refused', { __refused: 'unencrypted payload' }],
    ['a reviewer who is not a person id', decision({ reviewer: 'Carol Smith' })],
    ['a reviewer that is a number', garbled({ reviewer: 7 })],
  ])('refuses %s as malformed', (_what, d) => {
    expect(refusalOf(new ReviewBook(items()), d)).toBe(Refusals.malformed);
  });

  it('refuses a decision that names no round, then one naming a round this review does not have', () => {
    const book = new ReviewBook(items());
    const { round: _r, ...noRound } = decision();
    expect(refusalOf(book, noRound)).toBe(Refusals.roundRequired);
    expect(refusalOf(book, decision({ round: 'approve' }))).toBe(Refusals.unknownRound);
    expect(refusalMessage(book, decision({ round: 'approve' }))).toBe(`this review has no round "approve" (its round: ${REVIEW_ROUND})`);
  });

  it.each([
    ['an unknown channel', { via: 'email' }],
    ['a reason over 1000 characters', { reason: 'x'.repeat(1001) }],
    ['an empty reason', { reason: '' }],
    ['a reason that is not text', { reason: 42 }],
  ])('refuses %s as malformed', (_what, over) => {
    expect(refusalOf(new ReviewBook(items()), garbled(over))).toBe(Refusals.malformed);
  });

  it('accepts a reason of exactly 1000 characters and each channel', () => {
    const book = new ReviewBook(items());
    expect(refusalOf(book, decision({ reason: 'x'.repeat(1000) }))).toBeUndefined();
    for (const via of ['slack', 'api', 'cli'] as const) expect(refusalOf(book, decision({ via }))).toBeUndefined();
  });

  it('refuses someone who is not a reviewer of these items', () => {
    const book = new ReviewBook(items());
    expect(refusalOf(book, decision({ reviewer: 'dave' }))).toBe(Refusals.notApprover);
    expect(refusalMessage(book, decision({ reviewer: 'dave' }))).toBe('dave is not a reviewer of these items');
  });

  it('refuses every decision once the review is closed, even a valid one', () => {
    const book = new ReviewBook(items());
    expect(refusalOf(book, decision(), DECIDERS, false)).toBe(Refusals.notOpen);
    expect(refusalOf(book, decision({ items: undefined, bulk: 'keep-all' }), DECIDERS, false)).toBe(Refusals.notOpen);
  });

  it('refuses a decision with both items and a bulk choice, and one with neither', () => {
    const book = new ReviewBook(items());
    expect(refusalOf(book, decision({ bulk: 'keep-all' }))).toBe(Refusals.malformed);
    expect(refusalMessage(book, decision({ bulk: 'keep-all' }))).toBe('decide either items or one bulk choice');
    expect(refusalOf(book, decision({ items: undefined }))).toBe(Refusals.malformed);
  });

  it('refuses a bulk choice that does not exist, and accepts each one that does', () => {
    const book = new ReviewBook(items());
    expect(refusalOf(book, garbled({ items: undefined, bulk: 'keep-some' }))).toBe(Refusals.malformed);
    for (const bulk of ['keep-unflagged', 'revoke-flagged', 'keep-all', 'revoke-all'] as const) expect(refusalOf(book, decision({ items: undefined, bulk }))).toBeUndefined();
  });

  it.each([
    ['an empty list', []],
    ['items that are not a list', { key: REPORTER, decision: 'keep' }],
    ['an item without a decision', [{ key: REPORTER }]],
    ['a decision other than keep or revoke', [{ key: REPORTER, decision: 'delete' }]],
    ['an item whose key is not text', [{ key: 12, decision: 'keep' }]],
    ['a key over 600 characters', [{ key: `arn:aws:iam::${A}:user/${'x'.repeat(600)}`, decision: 'keep' }]],
    ['an item reason over 1000 characters', [{ key: REPORTER, decision: 'keep', reason: 'y'.repeat(1001) }]],
  ])('refuses %s as malformed', (_what, its) => {
    expect(refusalOf(new ReviewBook(items()), garbled({ items: its }))).toBe(Refusals.malformed);
  });

  it(`refuses more than ${MAX_ITEMS_PER_DECISION} items in one decision, and accepts exactly ${MAX_ITEMS_PER_DECISION}`, () => {
    const book = new ReviewBook(items());
    const many = (n: number) => Array.from({ length: n }, () => ({ key: REPORTER, decision: 'keep' as const }));
    expect(refusalOf(book, decision({ items: many(MAX_ITEMS_PER_DECISION + 1) }))).toBe(Refusals.malformed);
    expect(refusalMessage(book, decision({ items: many(MAX_ITEMS_PER_DECISION + 1) }))).toBe('at most 500 items per decision');
    expect(refusalOf(book, decision({ items: many(MAX_ITEMS_PER_DECISION) }))).toBeUndefined();
  });

  it("refuses an item that is not one of this reviewer's items", () => {
    const book = new ReviewBook(items());
    const d = decision({ items: [{ key: REPORTER, decision: 'keep' }, { key: `arn:aws:iam::${A}:user/mallory`, decision: 'keep' }] });
    expect(refusalOf(book, d)).toBe(Refusals.unknownItem);
    expect(refusalMessage(book, d)).toBe(`arn:aws:iam::${A}:user/mallory is not one of this reviewer's items`);
  });

  it("refuses a decision on the reviewer's own access, even among other items", () => {
    const book = new ReviewBook(items());
    const d = decision({ reviewer: 'alice', items: [{ key: REPORTER, decision: 'keep' }, { key: ALICE_ADMIN, decision: 'keep' }] });
    expect(refusalOf(book, d)).toBe(Refusals.ownAccess);
    expect(refusalMessage(book, d)).toBe('you cannot review your own access (alice-admin): someone else decides it');
    // Someone else may decide it.
    expect(refusalOf(book, decision({ items: [{ key: ALICE_ADMIN, decision: 'revoke' }] }))).toBeUndefined();
  });

  it('records nothing when it refuses', () => {
    const book = new ReviewBook(items());
    refusalOf(book, decision({ reviewer: 'alice', items: [{ key: ALICE_ADMIN, decision: 'keep' }] }));
    expect(book.decisions).toEqual({});
    expect(book.remaining).toBe(5);
  });
});

describe('ReviewBook.decide: per item', () => {
  it('records who decided what, when and through which channel, with the reason', () => {
    const book = new ReviewBook(items());
    const r = book.decide(decision({ items: [{ key: REPORTER, decision: 'keep' }, { key: DEPLOY, decision: 'revoke', reason: 'unused since 2024' }], reason: 'quarterly pass', via: 'slack' }), AT);
    expect(r).toEqual({ accepted: true, decided: 2, skipped: [], remaining: 3 });
    expect(book.decisions).toEqual({
      [REPORTER]: { decision: 'keep', by: 'carol', at: AT, via: 'slack', reason: 'quarterly pass' },
      [DEPLOY]: { decision: 'revoke', by: 'carol', at: AT, via: 'slack', reason: 'unused since 2024' },
    });
  });

  it('leaves out the reason and channel when none were given', () => {
    const book = new ReviewBook(items());
    book.decide(decision(), AT);
    expect(book.decisions[REPORTER]).toEqual({ decision: 'keep', by: 'carol', at: AT });
  });

  it('lets a later decision on the same item replace the earlier one', () => {
    const book = new ReviewBook(items());
    book.decide(decision({ items: [{ key: DEPLOY, decision: 'keep' }] }), AT);
    const r = book.decide(decision({ reviewer: 'alice', items: [{ key: DEPLOY, decision: 'revoke' }] }), LATER);
    expect(book.decisions[DEPLOY]).toEqual({ decision: 'revoke', by: 'alice', at: LATER });
    expect(r.remaining).toBe(4);
    expect(book.counts()).toMatchObject({ decided: 1, kept: 0, revoked: 1 });
  });

  it('carries decisions from an earlier run without sharing the object it was given', () => {
    const carried: Record<string, DecisionRecord> = { [REPORTER]: { decision: 'keep', by: 'carol', at: AT } };
    const book = new ReviewBook(items(), carried);
    expect(book.remaining).toBe(4);
    book.decide(decision({ items: [{ key: DEPLOY, decision: 'revoke' }] }), LATER);
    expect(Object.keys(carried)).toEqual([REPORTER]);
    expect(book.item(DEPLOY)?.type).toBe('role');
    expect(book.item('arn:aws:iam::111111111111:user/nobody')).toBeUndefined();
  });
});

describe('ReviewBook.decide: bulk choices', () => {
  const bulk = (b: NonNullable<DecideItemsInput['bulk']>, reviewer = 'carol', over: Partial<DecideItemsInput> = {}) => decision({ reviewer, items: undefined, bulk: b, ...over });

  it('keep-unflagged keeps every undecided item without findings and leaves flagged ones undecided', () => {
    const book = new ReviewBook(items());
    const r = book.decide(bulk('keep-unflagged', 'carol', { reason: 'known service users', via: 'cli' }), AT);
    expect(r).toEqual({ accepted: true, decided: 2, skipped: [], remaining: 3 });
    expect(book.decisions).toEqual({
      [REPORTER]: { decision: 'keep', by: 'carol', at: AT, via: 'cli', bulk: 'keep-unflagged', reason: 'known service users' },
      [SSO]: { decision: 'keep', by: 'carol', at: AT, via: 'cli', bulk: 'keep-unflagged', reason: 'known service users' },
    });
  });

  it('revoke-flagged revokes every undecided flagged item and leaves unflagged ones undecided', () => {
    const book = new ReviewBook(items());
    const r = book.decide(bulk('revoke-flagged'), AT);
    expect(r.decided).toBe(3);
    expect(Object.keys(book.decisions).sort()).toEqual([ALICE_ADMIN, BOB_KEYS, DEPLOY].sort());
    expect(Object.values(book.decisions).every((d) => d.decision === 'revoke' && d.bulk === 'revoke-flagged')).toBe(true);
  });

  it("skips the decider's own items and says why, leaving them for someone else", () => {
    const book = new ReviewBook(items());
    const r = book.decide(bulk('revoke-flagged', 'alice'), AT);
    expect(r).toEqual({ accepted: true, decided: 2, skipped: [{ key: ALICE_ADMIN, why: 'your own access: someone else decides it' }], remaining: 3 });
    expect(book.decisions[ALICE_ADMIN]).toBeUndefined();
    expect(book.decisions[BOB_KEYS]?.decision).toBe('revoke');
  });

  it('does not report an own item as skipped when the bulk choice does not cover it', () => {
    const book = new ReviewBook(items());
    const r = book.decide(bulk('keep-unflagged', 'alice'), AT);
    expect(r.skipped).toEqual([]);
    expect(r.decided).toBe(2);
  });

  it('leaves items already decided alone, whatever the bulk choice says', () => {
    const book = new ReviewBook(items());
    book.decide(decision({ items: [{ key: DEPLOY, decision: 'keep', reason: 'deploys prod' }] }), AT);
    const r = book.decide(bulk('revoke-all'), LATER);
    expect(book.decisions[DEPLOY]).toEqual({ decision: 'keep', by: 'carol', at: AT, reason: 'deploys prod' });
    expect(r).toEqual({ accepted: true, decided: 4, skipped: [], remaining: 0 });
  });

  it('keep-all keeps every undecided item, flagged or not, except the decider\'s own', () => {
    const book = new ReviewBook(items());
    const r = book.decide(bulk('keep-all', 'alice'), AT);
    expect(r.decided).toBe(4);
    expect(r.skipped.map((s) => s.key)).toEqual([ALICE_ADMIN]);
    expect(book.counts()).toMatchObject({ decided: 4, kept: 4, revoked: 0 });
  });

  it('revoke-all revokes every undecided item', () => {
    const book = new ReviewBook(items());
    book.decide(bulk('revoke-all'), AT);
    expect(book.counts()).toMatchObject({ decided: 5, kept: 0, revoked: 5 });
    expect(book.remaining).toBe(0);
  });

  it('decides nothing when everything it covers is decided', () => {
    const book = new ReviewBook(items());
    book.decide(bulk('keep-unflagged'), AT);
    expect(book.decide(bulk('keep-unflagged', 'alice'), LATER)).toEqual({ accepted: true, decided: 0, skipped: [], remaining: 3 });
    expect(book.decisions[REPORTER]?.by).toBe('carol');
  });
});

describe('ReviewBook.applyDefault', () => {
  it('marks every undecided item as defaulted and returns them; decided items are not', () => {
    const book = new ReviewBook(items());
    book.decide(decision({ items: [{ key: REPORTER, decision: 'keep' }, { key: DEPLOY, decision: 'revoke' }] }), AT);
    const undecided = book.applyDefault();
    expect(undecided.map((i) => i.key)).toEqual([ALICE_ADMIN, SSO, BOB_KEYS]);
    expect([...book.defaulted].sort()).toEqual([ALICE_ADMIN, BOB_KEYS, SSO].sort());
    expect(book.counts().defaulted).toBe(3);
  });

  it('defaults nothing when every item was decided, and counts the same when applied twice', () => {
    const book = new ReviewBook(items());
    book.decide(decision({ items: undefined, bulk: 'keep-all' }), AT);
    expect(book.applyDefault()).toEqual([]);
    const partly = new ReviewBook(items());
    partly.applyDefault();
    partly.applyDefault();
    expect(partly.counts().defaulted).toBe(5);
  });
});

describe('ReviewBook.toRevoke', () => {
  const one = (i: ReviewItem) => new ReviewBook([i]);
  const USER = item(REPORTER);
  const ROLE = item(DEPLOY, { type: 'role' });
  const ASSIGNMENT = item(SSO, { type: 'sso-assignment' });

  it.each([
    ['a user disables its keys, removes its console password and detaches its policies', USER, ['disable-keys', 'remove-console', 'detach-policies']],
    ['a role detaches its policies', ROLE, ['detach-policies']],
    ['an Identity Center assignment deletes the assignment', ASSIGNMENT, ['delete-assignment']],
  ])('revoking %s', (_what, i, actions) => {
    const book = one(i);
    book.decide(decision({ items: [{ key: i.key, decision: 'revoke' }] }), AT);
    expect(book.toRevoke('report-only')).toEqual([{ item: i, actions }]);
  });

  it('changes nothing for a kept item, or an undecided one before the deadline', () => {
    const book = new ReviewBook(items());
    book.decide(decision({ items: [{ key: REPORTER, decision: 'keep' }] }), AT);
    expect(book.toRevoke('detach-policies')).toEqual([]);
  });

  it.each<[DefaultAction, string[], string[], string[]]>([
    ['report-only', [], [], []],
    ['disable-keys', ['disable-keys'], [], []],
    ['remove-console', ['remove-console'], [], []],
    ['detach-policies', ['detach-policies'], ['detach-policies'], ['delete-assignment']],
  ])('the default action %s does to a defaulted user, role and assignment only what applies to each', (action, user, role, assignment) => {
    const book = new ReviewBook([USER, ROLE, ASSIGNMENT]);
    book.applyDefault();
    const got = Object.fromEntries(book.toRevoke(action).map((r) => [r.item.type, r.actions]));
    const want = Object.fromEntries(
      [['user', user], ['role', role], ['sso-assignment', assignment]].filter(([, a]) => (a as string[]).length > 0),
    );
    expect(got).toEqual(want);
  });

  it('applies explicit revocations in full even when the default is report-only, and defaults only the undecided', () => {
    const book = new ReviewBook([USER, ROLE, ASSIGNMENT]);
    book.decide(decision({ items: [{ key: REPORTER, decision: 'revoke' }, { key: DEPLOY, decision: 'keep' }] }), AT);
    book.applyDefault();
    expect(book.toRevoke('report-only')).toEqual([{ item: USER, actions: ['disable-keys', 'remove-console', 'detach-policies'] }]);
    expect(book.toRevoke('detach-policies')).toEqual([
      { item: USER, actions: ['disable-keys', 'remove-console', 'detach-policies'] },
      { item: ASSIGNMENT, actions: ['delete-assignment'] },
    ]);
  });

  it('revokeActions and defaultActions agree with what toRevoke does', () => {
    expect(revokeActions({ type: 'role' })).toEqual(['detach-policies']);
    expect(defaultActions({ type: 'user' }, 'report-only')).toEqual([]);
    expect(defaultActions({ type: 'sso-assignment' }, 'disable-keys')).toEqual([]);
    expect(defaultActions({ type: 'sso-assignment' }, 'detach-policies')).toEqual(['delete-assignment']);
  });
});

describe('ReviewBook.counts', () => {
  const receipt = (key: string, verified: boolean): RevocationReceipt => ({ key, actions: ['detach-policies'], steps: [], verified, verifiedAt: LATER, remaining: verified ? [] : ['policy AdministratorAccess'] });

  it('counts items, flags, decisions, defaults and receipts', () => {
    const book = new ReviewBook(items());
    expect(book.counts()).toEqual({ items: 5, flagged: 3, decided: 0, kept: 0, revoked: 0, defaulted: 0, applied: 0, verified: 0, failed: 0 });
    book.decide(decision({ items: [{ key: REPORTER, decision: 'keep' }, { key: DEPLOY, decision: 'revoke' }, { key: BOB_KEYS, decision: 'revoke' }] }), AT);
    book.applyDefault();
    book.receipts[DEPLOY] = receipt(DEPLOY, true);
    book.receipts[BOB_KEYS] = receipt(BOB_KEYS, false);
    expect(book.counts()).toEqual({ items: 5, flagged: 3, decided: 3, kept: 1, revoked: 2, defaulted: 2, applied: 2, verified: 1, failed: 1 });
  });

  it('calls an item flagged when it has at least one finding', () => {
    expect(isFlagged(item(REPORTER))).toBe(false);
    expect(isFlagged(item(REPORTER, { findings: ['console-without-mfa'] }))).toBe(true);
  });
});
