// The access reviewer's Slack messages, without Slack: buttons only while the run takes decisions,
// pages as offsets recomputed from the status, the bulk confirm dialog, escaping, and Slack's limits
// (50 blocks, 3000-character sections, 2000-character button values, 255-character block ids) with
// ten ~600-character ARNs on one page.
import { homeView } from '../../shared/slack-blocks/home';
import { REVIEW_ACTION, RUNBOOK_DECISION_ACTION, parseReviewValue, reviewValue } from '../../shared/slack-blocks/ids';
import {
  REVIEW_PAGE_SIZE,
  bulkNotice,
  clampOffset,
  itemDecidedNotice,
  pendingReviewBlock,
  reviewChannelLine,
  reviewMessage,
  reviewReminder,
  reviewerPage,
  undecidedItems,
} from '../../shared/slack-blocks/review-message';
import { fitText } from '../../shared/slack-blocks/text';
import type { AccessReviewerStatus, ReviewerItemView } from '../../workflows/access-review/definitions';
import type { ReviewerNotification } from '../../workflows/shared/notifications';
import { reviewItem, reviewerStatus, reviewerView } from '../support/review-fixtures';

const RUN = 'review-quarterly-prod-1a2b3c4d--person-bob';
const mention = (id: string): string => `<@U-${id}>`;

const item = (i: number, over: Partial<ReviewerItemView> = {}): ReviewerItemView => reviewItem(`u${i}`, over);
const status = (items: ReviewerItemView[], over: Partial<AccessReviewerStatus> = {}): AccessReviewerStatus => reviewerStatus(items, { workflowId: RUN, ...over });

/** 40 items, 7 flagged (at the end of the list), the first 12 decided. */
function forty(): AccessReviewerStatus {
  const items = Array.from({ length: 40 }, (_, i) => item(i, i >= 33 ? { findings: ['access-key-old'] } : {}));
  for (let i = 0; i < 12; i++) items[i] = { ...items[i]!, decision: { decision: 'keep', by: 'bob', at: '2026-12-01T00:00:00.000Z' } };
  return status(items);
}

type AnyBlock = { type: string; block_id?: string; elements?: Array<Record<string, unknown>>; text?: { text: string }; fields?: Array<{ text: string }>; accessory?: Record<string, unknown> };
type Btn = { type: string; action_id: string; value: string; text: { text: string }; style?: string; confirm?: { title: { text: string }; text: { text: string }; confirm: { text: string }; deny: { text: string }; style?: string } };

const blocksOf = (m: { blocks?: readonly unknown[] }): AnyBlock[] => (m.blocks ?? []) as AnyBlock[];
const buttons = (m: { blocks?: readonly unknown[] }): Btn[] =>
  blocksOf(m).flatMap((b) => [...(b.type === 'actions' ? ((b.elements ?? []) as unknown as Btn[]) : []), ...(b.accessory?.['type'] === 'button' ? [b.accessory as unknown as Btn] : [])]);
const labels = (m: { blocks?: readonly unknown[] }): string[] => buttons(m).map((b) => b.text.text);
const json = (x: unknown): string => JSON.stringify(x);

/** Every limit Slack enforces on what these builders produce; returns the violations. */
function limitViolations(m: { text: string; blocks: readonly unknown[] }): string[] {
  const out: string[] = [];
  const bad = (cond: boolean, what: string): void => {
    if (cond) out.push(what);
  };
  bad(m.blocks.length > 50, `${m.blocks.length} blocks`);
  bad(m.text.length > 3000, `fallback text ${m.text.length}`);
  const ids = new Set<string>();
  for (const b of blocksOf(m)) {
    if (b.block_id !== undefined) {
      bad(b.block_id.length > 255, `block_id ${b.block_id.length}`);
      bad(ids.has(b.block_id), `duplicate block_id ${b.block_id}`);
      ids.add(b.block_id);
    }
    if (b.type === 'header') bad((b.text?.text.length ?? 0) > 150, 'header');
    if (b.type === 'section') {
      bad((b.text?.text.length ?? 0) > 3000, `section ${b.text?.text.length}`);
      bad((b.fields?.length ?? 0) > 10, 'fields count');
      for (const f of b.fields ?? []) bad(f.text.length > 2000, `field ${f.text.length}`);
    }
    if (b.type === 'context') {
      bad((b.elements?.length ?? 0) > 10, 'context elements');
      for (const e of b.elements ?? []) bad(String(e['text']).length > 3000, 'context text');
    }
    if (b.type === 'actions') {
      bad((b.elements?.length ?? 0) > 25, 'actions elements');
      const actionIds = (b.elements ?? []).map((e) => String(e['action_id']));
      bad(new Set(actionIds).size !== actionIds.length, `duplicate action_id in ${b.block_id}`);
    }
  }
  for (const x of buttons(m)) {
    bad(x.action_id.length > 255, 'action_id');
    bad(x.value.length > 2000, `value ${x.value.length}`);
    bad(x.text.text.length > 75, 'button text');
    if (x.confirm) {
      bad(x.confirm.title.text.length > 100, 'confirm title');
      bad(x.confirm.text.text.length > 300, `confirm text ${x.confirm.text.text.length}`);
      bad(x.confirm.confirm.text.length > 30 || x.confirm.deny.text.length > 30, 'confirm buttons');
    }
  }
  return out;
}

describe('review message', () => {
  it('shows the review, reviewer, deadline, counts and the default action at the deadline', () => {
    const { view } = reviewerPage(forty());
    const m = reviewMessage(view, mention);
    const text = json(m);
    expect(blocksOf(m)[0]).toMatchObject({ type: 'header', text: { text: 'Access review: quarterly-prod' } });
    expect(text).toContain('<@U-bob>');
    expect(text).toContain('12 of 40 decided, 7 flagged');
    expect(text).toMatch(/<!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|2026-12-15T00:00:00\.000Z>/);
    expect(text).toContain('their access keys are deactivated');
    expect(text).toContain('Undecided items 1–10 of 28, flagged first.');
    expect(m.text).toContain('28 of 40 items to decide');
  });

  it('lists each item of the page with name, type, account and findings in words, with Keep / Revoke naming the run and the key', () => {
    const s = status([item(1, { name: 'deploy-bot', findings: ['console-without-mfa', 'access-key-unused'] }), item(2, { type: 'role', name: 'ops' })]);
    const m = reviewMessage(reviewerPage(s).view);
    const text = json(m);
    expect(text).toContain('*deploy-bot* · IAM user · account `111111111111`');
    expect(text).toContain('console password without MFA; access key not used recently');
    expect(text).toContain('*ops* · IAM role');
    expect(text).toContain('_No findings._');
    expect(text).not.toContain('console-without-mfa');
    const keep = buttons(m).filter((b) => b.action_id === 'review:keep');
    const revoke = buttons(m).filter((b) => b.action_id === 'review:revoke');
    expect(keep.map((b) => b.value)).toEqual([`${RUN}|arn:aws:iam::111111111111:user/u1`, `${RUN}|arn:aws:iam::111111111111:user/u2`]);
    expect(revoke.map((b) => b.style)).toEqual(['danger', 'danger']);
    expect(buttons(m).every((b) => REVIEW_ACTION.test(b.action_id) && !RUNBOOK_DECISION_ACTION.test(b.action_id))).toBe(true);
  });

  it('has buttons only while the reviewer run takes decisions; closed runs show a summary', () => {
    const open = reviewMessage(reviewerPage(forty()).view);
    expect(labels(open)).toEqual(expect.arrayContaining(['Keep', 'Revoke', 'Keep all unflagged', 'Revoke all flagged', 'Next page']));
    for (const phase of ['loading', 'applying', 'ended'] as const) {
      const s = forty();
      const ended = status(s.items, { phase, counts: { ...s.counts, defaulted: 28, applied: 28, verified: 27, failed: 1 } });
      const m = reviewMessage(reviewerPage(ended).view);
      expect(buttons(m)).toEqual([]);
      expect(blocksOf(m).some((b) => b.type === 'actions')).toBe(false);
      if (phase === 'ended') expect(json(m)).toContain('This review is closed: kept 12, revoked 0, defaulted 28 (their access keys are deactivated); revocations applied 28, verified 27, :x: *not verified 1*');
    }
    const allDecided = status([item(1, { decision: { decision: 'keep', by: 'bob', at: 'x' } })]);
    const done = reviewMessage(reviewerPage(allDecided).view);
    expect(buttons(done)).toEqual([]);
    expect(json(done)).toContain('Every item is decided');
  });

  it('pages through the undecided items, flagged first, as offsets recomputed from the status', () => {
    const s = forty();
    const order = undecidedItems(s.items).map((i) => i.name);
    expect(order.slice(0, 7)).toEqual(['u33', 'u34', 'u35', 'u36', 'u37', 'u38', 'u39']);
    expect(order).toHaveLength(28);

    const page = (offset: number) => {
      const p = reviewerPage(s, offset);
      return { ...p, m: reviewMessage(p.view, undefined, { offset: p.offset }) };
    };
    const first = page(0);
    expect(first.view.page.map((i) => i.name)).toEqual(order.slice(0, 10));
    expect(buttons(first.m).filter((b) => b.action_id.startsWith('review:page')).map((b) => [b.text.text, b.value])).toEqual([['Next page', `${RUN}|10`]]);

    const second = page(10);
    expect(second.view.page.map((i) => i.name)).toEqual(order.slice(10, 20));
    expect(buttons(second.m).filter((b) => b.action_id.startsWith('review:page')).map((b) => [b.text.text, b.value])).toEqual([
      ['Previous page', `${RUN}|0`],
      ['Next page', `${RUN}|20`],
    ]);
    expect(json(second.m)).toContain('Undecided items 11–20 of 28');

    const last = page(20);
    expect(last.view.page).toHaveLength(8);
    expect(labels(last.m)).not.toContain('Next page');

    // Past the end (items were decided since the page was shown): the last page; off-boundary: its page.
    expect(page(40).offset).toBe(20);
    expect(page(17).offset).toBe(10);
    expect(page(-3).offset).toBe(0);
    expect(clampOffset(10, 10)).toBe(0);
    expect(clampOffset(10, 11)).toBe(10);
    expect(clampOffset(Number.NaN, 30)).toBe(0);

    // The block ids carry the page's offset, so a click on an item re-renders the same page.
    const itemBlocks = blocksOf(second.m).filter((b) => b.block_id?.startsWith('review-item:'));
    expect(itemBlocks).toHaveLength(10);
    expect(itemBlocks.every((b) => b.block_id!.startsWith('review-item:10:12:'))).toBe(true);
  });

  it('renders the notification view and the status Query page alike', () => {
    const s = forty();
    const notified = reviewerView(s, REVIEW_PAGE_SIZE);
    expect(notified.page).toEqual(undecidedItems(s.items).slice(0, REVIEW_PAGE_SIZE));
    expect(reviewMessage(notified, mention)).toEqual(reviewMessage(reviewerPage(s).view, mention));
  });

  it('offers the bulk choices, "Revoke all flagged" behind a danger confirm dialog', () => {
    const m = reviewMessage(reviewerPage(forty()).view);
    const keepAll = buttons(m).find((b) => b.text.text === 'Keep all unflagged')!;
    const revokeAll = buttons(m).find((b) => b.text.text === 'Revoke all flagged')!;
    expect(keepAll).toMatchObject({ action_id: 'review:bulk:keep-unflagged', value: `${RUN}|keep-unflagged` });
    expect(keepAll.confirm).toBeUndefined();
    expect(revokeAll).toMatchObject({ action_id: 'review:bulk:revoke-flagged', value: `${RUN}|revoke-flagged`, style: 'danger' });
    expect(revokeAll.confirm).toMatchObject({ style: 'danger', title: { text: 'Revoke all flagged items?' }, confirm: { text: 'Revoke all flagged' }, deny: { text: 'Cancel' } });
    expect(revokeAll.confirm!.text.text).toContain('up to 7');
    // Nothing flagged: no "Revoke all flagged"; everything flagged: no "Keep all unflagged".
    expect(labels(reviewMessage(reviewerPage(status([item(1)])).view))).not.toContain('Revoke all flagged');
    expect(labels(reviewMessage(reviewerPage(status([item(1, { findings: ['admin-on-human'] })])).view))).not.toContain('Keep all unflagged');
  });

  it('shows the reader their own access without buttons', () => {
    const s = status([item(1, { holder: 'bob', name: 'bob' }), item(2)], { reviewer: { type: 'group', id: 'platform' }, deciders: ['bob', 'carol'], mayDecide: ['bob', 'carol'] });
    const forBob = reviewMessage(reviewerPage(s).view, undefined, { viewer: 'bob' });
    expect(buttons(forBob).filter((b) => b.action_id === 'review:keep').map((b) => b.value)).toEqual([`${RUN}|arn:aws:iam::111111111111:user/u2`]);
    expect(json(forBob)).toContain('Your own access: someone else decides it.');
    expect(json(forBob)).toContain('group *platform*');
    const forCarol = reviewMessage(reviewerPage(s).view, undefined, { viewer: 'carol' });
    expect(buttons(forCarol).filter((b) => b.action_id === 'review:keep')).toHaveLength(2);
  });

  it('says when the review was escalated, and to whom it is new', () => {
    const s = status(forty().items, { escalated: true, mayDecide: ['bob', 'erin'] });
    expect(json(reviewMessage(reviewerPage(s).view, undefined, { viewer: 'bob' }))).toContain('Overdue: escalated.');
    expect(json(reviewMessage(reviewerPage(s).view, undefined, { viewer: 'erin' }))).toContain('Escalated to you:');
    expect(json(reviewMessage(reviewerPage(forty()).view))).not.toContain('scalated');
  });

  it('stays within every Slack limit with ten ~600-character ARNs, escalated, with a notice', () => {
    const arn = (i: number): string => {
      const head = `arn:aws:iam::111111111111:user${`/${'p'.repeat(60)}`.repeat(8)}/`;
      return `${head}${'n'.repeat(600 - head.length - String(i).length)}${i}`;
    };
    const long = Array.from({ length: 30 }, (_, i) =>
      item(i, { key: arn(i), name: `${'&'.repeat(64)}${i}`, findings: ['console-without-mfa', 'access-key-old', 'access-key-unused', 'principal-unused', 'admin-on-human', 'break-glass-trust-drift', 'inactive-user-with-keys'], route: 'self-review-escalated' }),
    );
    expect(long.every((i) => i.key.length === 600)).toBe(true);
    const runId = `review-${'a'.repeat(31)}-0123456789abcdef-2026-12-01T03:00:00Z--group-${'g'.repeat(31)}`;
    const s = status(long, { workflowId: runId, reviewName: `${'<'.repeat(40)}`, reviewer: { type: 'group', id: 'g'.repeat(32) }, escalated: true });
    const p = reviewerPage(s, 10);
    const m = reviewMessage(p.view, mention, { offset: p.offset, notice: itemDecidedNotice({ name: '&'.repeat(500) }, 'revoke'), viewer: 'erin' });
    expect(limitViolations(m)).toEqual([]);
    expect(buttons(m).filter((b) => b.action_id === 'review:revoke')).toHaveLength(10);
    expect(m.blocks.length).toBeLessThanOrEqual(32);
    // Every button round-trips to the run and the exact key.
    for (const b of buttons(m).filter((x) => x.action_id === 'review:keep')) {
      const v = parseReviewValue(b.value)!;
      expect(v.runId).toBe(runId);
      expect(long.some((i) => i.key === v.what)).toBe(true);
    }
  });

  it('never puts a key that would overflow a button value into one: it points at the CLI', () => {
    const huge = item(1, { key: `arn:aws:iam::111111111111:user/${'x'.repeat(1990)}` });
    const m = reviewMessage(reviewerPage(status([huge, item(2)])).view);
    expect(limitViolations(m)).toEqual([]);
    expect(buttons(m).filter((b) => b.action_id === 'review:keep')).toHaveLength(1);
    expect(json(m)).toContain('too long for a Slack button');
  });

  it('escapes names with < and & so they neither ping nor disguise a link', () => {
    const s = status([item(1, { name: '<!channel> & <https://evil.example|aws.amazon.com>', type: 'sso-assignment', key: 'sso:111111111111:Admin:USER:<@U123>' })], { reviewName: 'q<1>&' });
    const m = reviewMessage(reviewerPage(s).view);
    // What Slack renders as mrkdwn (button values are data, never shown).
    const text = JSON.stringify(m.blocks, (k, v: unknown) => (k === 'value' ? undefined : v));
    expect(text).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|aws.amazon.com&gt;');
    expect(text).toContain('sso:111111111111:Admin:USER:&lt;@U123&gt;');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil');
    expect(text).not.toContain('<@U123>');
    // The button value keeps the key as it is: the workflow matches it exactly.
    expect(buttons(m).find((b) => b.action_id === 'review:keep')!.value).toBe(`${RUN}|sso:111111111111:Admin:USER:<@U123>`);
    const line = reviewChannelLine({ event: 'finished', view: reviewerPage(s).view, severity: 'info' });
    expect(line.text).toContain('q&lt;1&gt;&amp;');
  });

  it('says what a click did', () => {
    expect(itemDecidedNotice({ name: 'u<1>' }, 'keep')).toBe(':white_check_mark: You kept *u&lt;1&gt;*.');
    expect(itemDecidedNotice(undefined, 'revoke')).toContain('You marked the item to be revoked; it is applied when the review closes');
    expect(bulkNotice('revoke-flagged', { decided: 6, skipped: [{ key: 'k', why: 'own' }], remaining: 4 })).toBe(':ballot_box_with_check: You marked 6 flagged items to be revoked. 1 left for someone else (your own access). 4 undecided.');
    expect(bulkNotice('keep-unflagged', { decided: 0, skipped: [], remaining: 3 })).toBe(':ballot_box_with_check: Nothing changed: no unflagged item was undecided. 3 undecided.');
  });
});

describe('reminder, channel lines and App Home', () => {
  const notification = (over: Partial<ReviewerNotification> = {}): ReviewerNotification => {
    const s = forty();
    return { kind: 'access-reviewer', subjectId: RUN, event: 'reminder', audience: ['bob'], severity: 'info', security: ['carol'], view: reviewerPage(s).view, ...over };
  };

  it('reminds with the count, deadline and default, and an Open button', () => {
    const m = reviewReminder(notification().view, mention);
    expect(m.blocks).toHaveLength(1);
    expect(json(m)).toContain('28 of 40 items in access review *quarterly-prod* (reviewer <@U-bob>) still need a decision by <!date^');
    expect(json(m)).toContain('undecided items: their access keys are deactivated');
    expect(buttons(m)).toEqual([expect.objectContaining({ action_id: 'review:open', value: `${RUN}|0` })]);
    expect(limitViolations(m)).toEqual([]);
  });

  it('writes one line per event for the review channel; a page names security', () => {
    const n = notification();
    expect(reviewChannelLine({ ...n, event: 'escalated', detail: '28 item(s) undecided; security-oncall may decide them now' }, mention).text).toMatch(
      /^:warning: Access review \*quarterly-prod\*, reviewer <@U-bob> is overdue: 28 of 40 undecided, deadline <!date\^\d+\^.*>\. Escalated — 28 item\(s\) undecided; security-oncall may decide them now\. `safeguard review status review-quarterly-prod-1a2b3c4d--person-bob`$/,
    );
    const defaulted = { ...n, event: 'defaulted', severity: 'page' as const, view: { ...n.view, phase: 'applying' as const, counts: { ...n.view.counts, defaulted: 28 } } };
    expect(reviewChannelLine(defaulted, mention).text).toContain(':rotating_light: :hourglass: Access review *quarterly-prod*, reviewer <@U-bob>: the deadline passed with 28 undecided items; their access keys are deactivated.');
    const alert = reviewChannelLine({ ...defaulted, event: 'revocation-unverified', detail: '1 revocation(s) could not be verified: arn:aws:iam::111111111111:user/u33', view: { ...defaulted.view, counts: { ...defaulted.view.counts, failed: 1 } } }, mention, { alert: true });
    expect(alert.text).toContain(':rotating_light: Access review *quarterly-prod*, reviewer <@U-bob>: 1 revocation could not be verified — 1 revocation(s) could not be verified: arn:aws:iam::111111111111:user/u33.');
    expect(alert.text).toContain('<@U-carol>');
    const finished = reviewChannelLine({ ...n, event: 'finished', view: { ...n.view, phase: 'ended', counts: { ...n.view.counts, kept: 30, revoked: 4, defaulted: 6, applied: 10, verified: 10 } } }, mention);
    expect(finished.text).toContain('finished — 12 of 40 decided, 7 flagged; kept 30, revoked 4, defaulted 6; revocations applied 10, verified 10.');
  });

  it('lists pending reviews on App Home with an Open button, after the other sections', () => {
    const s = forty();
    const home = homeView({ personId: 'bob', active: [], waiting: [], history: [], reviews: [s, { ...s, workflowId: 'review-quarterly-prod-1a2b3c4d--group-platform', reviewer: { type: 'group', id: 'platform' }, escalated: true, deciders: ['carol'] }] }, mention);
    const text = json(home);
    expect(text.indexOf('Access reviews waiting for me')).toBeGreaterThan(text.indexOf('My recent requests'));
    expect(text).toContain('*quarterly-prod* · 28 of 40 undecided (7 flagged) · due <!date^');
    expect(text).toContain('for group *platform* · :rotating_light: escalated to you');
    expect(buttons(home).filter((b) => b.action_id === 'review:open').map((b) => b.value)).toEqual([`${RUN}|0`, 'review-quarterly-prod-1a2b3c4d--group-platform|0']);
    expect(json(pendingReviewBlock(s, 'bob'))).not.toContain('escalated');
  });

  it('keeps the rest of App Home when the reviews could not be read, and has no section without a review client', () => {
    const failed = json(homeView({ personId: 'bob', active: [], waiting: [], history: [], reviewsUnavailable: true }));
    expect(failed).toContain('Waiting for my decision');
    expect(failed).toContain('Pending reviews could not be read just now');
    expect(json(homeView({ personId: 'bob', active: [], waiting: [], history: [], reviews: [] }))).toContain('Access reviews waiting for me');
    expect(json(homeView({ personId: 'bob', active: [], waiting: [], history: [] }))).not.toContain('Access reviews');
  });
});

describe('review button values and text fitting', () => {
  it('splits a value at the first bar only, and refuses values without a run or a remainder', () => {
    expect(parseReviewValue(reviewValue(RUN, 'sso:1:PS:USER|x'))).toEqual({ runId: RUN, what: 'sso:1:PS:USER|x' });
    expect(parseReviewValue(reviewValue(RUN, 20))).toEqual({ runId: RUN, what: '20' });
    for (const v of [undefined, '', RUN, `${RUN}|`, `|${RUN}`]) expect(parseReviewValue(v)).toBeUndefined();
  });

  it('recognizes every review action id and nothing else', () => {
    for (const id of ['review:keep', 'review:revoke', 'review:bulk', 'review:bulk:revoke-flagged', 'review:page:next', 'review:open']) expect(REVIEW_ACTION.test(id)).toBe(true);
    for (const id of ['review:approve', 'access-review:approve', 'review:keep:', 'review:drop', 'bg_approve']) expect(REVIEW_ACTION.test(id)).toBe(false);
  });

  it('fits escaped text within a limit without cutting an entity', () => {
    expect(fitText('a&b', 10)).toBe('a&amp;b');
    const cut = fitText('&'.repeat(100), 50);
    expect(cut.length).toBeLessThanOrEqual(50);
    expect(cut).toMatch(/^(&amp;)+…$/);
  });
});
