// An access reviewer's Slack messages: the review message (one page of undecided items, flagged
// first, Keep / Revoke per item, bulk choices, paging), its closed variant, the reminder, and the
// lines in the review's channel. Pure functions of the reviewer's view: the notifier renders them
// from the workflow's notification, the Slack app from the status Query after a click, so both
// show the same thing and nothing the workflow did not say. Pages are offsets into the undecided
// items, recomputed from the Query each time: nothing about a page is stored anywhere.
import type { Button, KnownBlock } from '@slack/types';
import type {
  AccessReviewerStatus,
  BulkChoice,
  DecideItemsResult,
  DefaultAction,
  FindingCode,
  ItemDecision,
  PrincipalType,
  Reviewer,
  ReviewerItemView,
  RouteReason,
} from '../../workflows/access-review/definitions';
import type { ReviewerNotification, ReviewerView } from '../../workflows/shared/notifications';
import { MAX_ACTION_VALUE, reviewActionId, reviewValue } from './ids';
import { fitText, mrkdwn, plain, plainPerson, slackDate } from './text';
import type { PersonLabel } from './text';
import type { Message } from './types';

/** Items per page; the workflow's notification carries the first page of the same size. */
export const REVIEW_PAGE_SIZE = 10;

/** Slack refuses a message of more blocks than this. */
export const MAX_MESSAGE_BLOCKS = 50;

const FINDING_TEXT: Record<FindingCode, string> = {
  'console-without-mfa': 'console password without MFA',
  'access-key-old': 'access key past its maximum age',
  'access-key-unused': 'access key not used recently',
  'principal-unused': 'not used recently',
  'admin-on-human': 'administrator access on a person',
  'break-glass-trust-drift': "break-glass role's trust policy differs from what Safeguard requires",
  'inactive-user-with-keys': 'inactive user with active access keys',
  'root-access-keys': 'root account has access keys',
  'root-without-mfa': 'root account without MFA',
};

const DEFAULT_TEXT: Record<DefaultAction, string> = {
  'report-only': 'nothing is changed (they are reported as undecided)',
  'disable-keys': 'their access keys are deactivated',
  'remove-console': 'their console passwords are removed',
  'detach-policies': 'their policies are detached',
};

const TYPE_TEXT: Record<PrincipalType, string> = {
  user: 'IAM user',
  role: 'IAM role',
  'sso-assignment': 'Identity Center assignment',
};

const ROUTE_TEXT: Partial<Record<RouteReason, string>> = {
  'self-review-escalated': 'sent to you because its owner cannot review their own access',
  'unknown-owner': 'no owner found: sent to the account’s reviewers',
};

/** A finding code in words; codes the renderer does not know yet show as they are. */
export function findingText(code: FindingCode): string {
  return FINDING_TEXT[code] ?? fitText(String(code), 60);
}

export function defaultActionText(action: DefaultAction): string {
  return DEFAULT_TEXT[action] ?? fitText(String(action), 60);
}

export function reviewerLabel(r: Reviewer, who: PersonLabel = plainPerson): string {
  return r.type === 'person' ? who(r.id) : `group *${fitText(r.id, 64)}*`;
}

/** "12 of 40 decided, 7 flagged" */
export function progressLine(counts: AccessReviewerStatus['counts']): string {
  return `${counts.decided} of ${counts.items} decided, ${counts.flagged} flagged`;
}

const isFlagged = (i: { findings: readonly FindingCode[] }): boolean => i.findings.length > 0;

/** The undecided items in the order the workflow pages them: flagged first, then as listed. */
export function undecidedItems(items: readonly ReviewerItemView[]): ReviewerItemView[] {
  const undecided = items.filter((i) => !i.decision);
  return [...undecided.filter(isFlagged), ...undecided.filter((i) => !isFlagged(i))];
}

/**
 * A page offset that shows something, on a page boundary: past the end (items were decided since the
 * page was shown) means the last page.
 */
export function clampOffset(offset: number, undecided: number): number {
  if (!Number.isSafeInteger(offset) || offset <= 0 || undecided <= 0) return 0;
  const last = Math.floor((undecided - 1) / REVIEW_PAGE_SIZE) * REVIEW_PAGE_SIZE;
  return Math.min(offset - (offset % REVIEW_PAGE_SIZE), last);
}

/** The reviewer's status as the message shows it at `offset`, and the offset actually shown. */
export function reviewerPage(status: AccessReviewerStatus, offset = 0): { view: ReviewerView; offset: number } {
  const { items, timeline: _timeline, ...rest } = status;
  const undecided = undecidedItems(items);
  const at = clampOffset(offset, undecided.length);
  return { view: { ...rest, page: undecided.slice(at, at + REVIEW_PAGE_SIZE), undecided: undecided.length }, offset: at };
}

/** Inline code cannot escape a backtick, so none may reach one (IAM names have none; be sure). */
function code(text: string, max: number): string {
  return `\`${fitText(text.replace(/`/g, "'"), max)}\``;
}

export interface ReviewMessageOptions {
  /** Offset of the page into the undecided items (the view's `page` starts there). */
  offset?: number;
  /** The person reading it: their own access shows without buttons, and an escalation says it is theirs now. */
  viewer?: string;
  /** A line on top saying what the reader's last click did (mrkdwn built by this file's notices). */
  notice?: string;
}

/** The review message: a page of items to decide while the reviewer's run takes decisions, a summary after. */
export function reviewMessage(v: ReviewerView, who: PersonLabel = plainPerson, o: ReviewMessageOptions = {}): Message {
  const offset = clampOffset(o.offset ?? 0, v.undecided);
  const title = `Access review: ${v.reviewName}`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(title) },
    {
      type: 'section',
      fields: [
        mrkdwn(`*Reviewer*\n${reviewerLabel(v.reviewer, who)}`),
        mrkdwn(`*Deadline*\n${slackDate(v.deadlineAt)}`),
        mrkdwn(`*Progress*\n${progressLine(v.counts)}`),
        mrkdwn(`*At the deadline*\nUndecided items: ${defaultActionText(v.defaultAction)}`),
      ],
    },
  ];
  if (v.escalated) blocks.push({ type: 'context', elements: [mrkdwn(escalatedLine(v, o.viewer))] });
  if (o.notice) blocks.push({ type: 'context', elements: [mrkdwn(o.notice.slice(0, 2000))] });

  if (v.phase !== 'reviewing') {
    blocks.push({ type: 'section', text: mrkdwn(closedLine(v)) });
    blocks.push(footer(v));
    return { text: `${fitText(title, 200)}: ${v.phase === 'loading' ? 'loading' : 'closed'}`, blocks };
  }
  if (v.undecided === 0) {
    blocks.push({ type: 'section', text: mrkdwn(':white_check_mark: Every item is decided. Revocations are applied when the review closes.') });
    blocks.push(footer(v));
    return { text: `${fitText(title, 200)}: every item decided`, blocks };
  }

  const page = v.page.slice(0, REVIEW_PAGE_SIZE);
  blocks.push({ type: 'context', elements: [mrkdwn(`Undecided items ${offset + 1}–${offset + page.length} of ${v.undecided}, flagged first.`)] });
  blocks.push({ type: 'divider' });
  page.forEach((item, i) => {
    blocks.push({ type: 'section', text: mrkdwn(itemText(item)) });
    blocks.push(itemControls(v, item, offset, offset + i, o.viewer));
  });
  blocks.push({ type: 'divider' });
  const bulk = bulkButtons(v);
  if (bulk.length > 0) blocks.push({ type: 'actions', block_id: `review-bulk:${offset}:${v.counts.decided}`, elements: bulk });
  const paging = pageButtons(v, offset);
  if (paging.length > 0) blocks.push({ type: 'actions', block_id: `review-page:${offset}:${v.counts.decided}`, elements: paging });
  blocks.push(footer(v));
  return { text: `${fitText(title, 200)}: ${v.undecided} of ${v.counts.items} items to decide by ${v.deadlineAt}`, blocks };
}

function itemText(item: ReviewerItemView): string {
  const lines = [
    `${isFlagged(item) ? ':warning:' : ':white_circle:'} *${fitText(item.name, 200)}* · ${TYPE_TEXT[item.type] ?? fitText(String(item.type), 30)} · account ${code(item.accountId, 20)}`,
    code(item.key, 700),
    item.findings.length > 0 ? `Findings: ${item.findings.slice(0, 12).map(findingText).join('; ')}` : '_No findings._',
  ];
  const route = ROUTE_TEXT[item.route];
  if (route) lines.push(`_${route}_`);
  return lines.join('\n');
}

/**
 * Keep / Revoke for one item. The block id carries the page offset, so a click re-renders the same
 * page without storing it, and the decided count, because Slack wants block ids to change when a
 * message is updated.
 */
function itemControls(v: ReviewerView, item: ReviewerItemView, offset: number, index: number, viewer: string | undefined): KnownBlock {
  const blockId = `review-item:${offset}:${v.counts.decided}:${index}`;
  if (viewer !== undefined && item.holder === viewer) {
    return { type: 'context', block_id: blockId, elements: [mrkdwn('_Your own access: someone else decides it._')] };
  }
  const value = reviewValue(v.workflowId, item.key);
  if (value.length > MAX_ACTION_VALUE) {
    return { type: 'context', block_id: blockId, elements: [mrkdwn(`This key is too long for a Slack button: decide it with ${code(`safeguard review decide ${v.workflowId} --item <principal> keep|revoke`, 400)}.`)] };
  }
  return {
    type: 'actions',
    block_id: blockId,
    elements: [
      { type: 'button', style: 'primary', text: plain('Keep'), action_id: reviewActionId('keep'), value },
      { type: 'button', style: 'danger', text: plain('Revoke'), action_id: reviewActionId('revoke'), value },
    ],
  };
}

function bulkButtons(v: ReviewerView): Button[] {
  const out: Button[] = [];
  const choice = (c: BulkChoice): { action_id: string; value: string } => ({ action_id: reviewActionId('bulk', c), value: reviewValue(v.workflowId, c) });
  if (v.counts.flagged < v.counts.items) out.push({ type: 'button', text: plain('Keep all unflagged'), ...choice('keep-unflagged') });
  if (v.counts.flagged > 0) {
    out.push({
      type: 'button',
      style: 'danger',
      text: plain('Revoke all flagged'),
      ...choice('revoke-flagged'),
      confirm: {
        title: plain('Revoke all flagged items?', 100),
        text: plain(
          `Every flagged item you have not decided yet (up to ${v.counts.flagged}) is marked revoke. Revocations are applied when your review closes; until then you can change an item with the CLI. Your own access is left for someone else.`,
          300,
        ),
        confirm: plain('Revoke all flagged', 30),
        deny: plain('Cancel', 30),
        style: 'danger',
      },
    });
  }
  return out;
}

function pageButtons(v: ReviewerView, offset: number): Button[] {
  const out: Button[] = [];
  if (offset > 0) out.push({ type: 'button', text: plain('Previous page'), action_id: reviewActionId('page', 'previous'), value: reviewValue(v.workflowId, Math.max(0, offset - REVIEW_PAGE_SIZE)) });
  if (offset + REVIEW_PAGE_SIZE < v.undecided) out.push({ type: 'button', text: plain('Next page'), action_id: reviewActionId('page', 'next'), value: reviewValue(v.workflowId, offset + REVIEW_PAGE_SIZE) });
  return out;
}

function escalatedLine(v: ReviewerView, viewer: string | undefined): string {
  if (viewer !== undefined && !v.deciders.includes(viewer)) {
    return ':rotating_light: *Escalated to you:* this reviewer is overdue, so the escalation group may decide these items.';
  }
  return ':warning: *Overdue: escalated.* The escalation group may now decide these items too.';
}

function closedLine(v: ReviewerView): string {
  const c = v.counts;
  if (v.phase === 'loading') return ':hourglass_flowing_sand: Loading the items of this review…';
  const decided = `kept ${c.kept}, revoked ${c.revoked}, defaulted ${c.defaulted}${c.defaulted > 0 ? ` (${defaultActionText(v.defaultAction)})` : ''}`;
  if (v.phase === 'applying') return `:lock: This review is closed and its decisions are being applied: ${decided}.`;
  const applied = c.applied > 0 ? `; revocations applied ${c.applied}, verified ${c.verified}${c.failed > 0 ? `, :x: *not verified ${c.failed}*` : ''}` : '';
  return `:lock: This review is closed: ${decided}${applied}.`;
}

function footer(v: ReviewerView): KnownBlock {
  const run = v.workflowId;
  return {
    type: 'context',
    elements: [mrkdwn(`${code(`safeguard review status ${run}`, 300)} · from the CLI: ${code(`safeguard review decide ${run} --item <principal> keep|revoke`, 400)}`)],
  };
}

// ---- what a click did (shown on top of the re-rendered message) ----

export function itemDecidedNotice(item: { name: string } | undefined, decision: ItemDecision): string {
  const name = item ? `*${fitText(item.name, 200)}*` : 'the item';
  return decision === 'keep'
    ? `:white_check_mark: You kept ${name}.`
    : `:no_entry: You marked ${name} to be revoked; it is applied when the review closes (change it with the CLI until then).`;
}

export function bulkNotice(choice: BulkChoice, r: Pick<DecideItemsResult, 'decided' | 'skipped' | 'remaining'>): string {
  const which = choice === 'keep-unflagged' ? 'unflagged ' : choice === 'revoke-flagged' ? 'flagged ' : '';
  const items = `${r.decided} ${which}item${r.decided === 1 ? '' : 's'}`;
  const head = r.decided === 0 ? `Nothing changed: no ${which}item was undecided.` : choice.startsWith('keep') ? `You kept ${items}.` : `You marked ${items} to be revoked.`;
  const skipped = r.skipped.length > 0 ? ` ${r.skipped.length} left for someone else (your own access).` : '';
  return `:ballot_box_with_check: ${head}${skipped} ${r.remaining} undecided.`;
}

// ---- reminder, App Home, and the review channel ----

/** The short reminder DM, with a button that DMs the current page again. */
export function reviewReminder(v: ReviewerView, who: PersonLabel = plainPerson): Message {
  const name = fitText(v.reviewName, 100);
  const text = `:alarm_clock: Reminder: ${v.undecided} of ${v.counts.items} items in access review *${name}* (reviewer ${reviewerLabel(v.reviewer, who)}) still need a decision by ${slackDate(v.deadlineAt)}. At the deadline, undecided items: ${defaultActionText(v.defaultAction)}.`;
  const value = reviewValue(v.workflowId, 0);
  return {
    text: `Reminder: ${v.undecided} items in access review ${name} still need a decision`,
    blocks: [
      {
        type: 'section',
        text: mrkdwn(text),
        ...(value.length <= MAX_ACTION_VALUE ? { accessory: { type: 'button' as const, text: plain('Open review'), action_id: reviewActionId('open'), value } } : {}),
      },
    ],
  };
}

/** What App Home lists per pending review. */
export type PendingReview = Pick<AccessReviewerStatus, 'workflowId' | 'reviewName' | 'reviewer' | 'deciders' | 'deadlineAt' | 'escalated' | 'counts'>;

export function pendingReviewBlock(r: PendingReview, personId: string, who: PersonLabel = plainPerson): KnownBlock {
  const undecided = Math.max(0, r.counts.items - r.counts.decided);
  const parts = [
    `*${fitText(r.reviewName, 100)}*`,
    `${undecided} of ${r.counts.items} undecided (${r.counts.flagged} flagged)`,
    `due ${slackDate(r.deadlineAt)}`,
  ];
  if (r.reviewer.type === 'group') parts.push(`for ${reviewerLabel(r.reviewer, who)}`);
  if (r.escalated && !r.deciders.includes(personId)) parts.push(':rotating_light: escalated to you');
  const value = reviewValue(r.workflowId, 0);
  return {
    type: 'section',
    text: mrkdwn(parts.join(' · ')),
    ...(value.length <= MAX_ACTION_VALUE ? { accessory: { type: 'button' as const, text: plain('Open'), action_id: reviewActionId('open'), value } } : {}),
  };
}

/** One line in the review's channel (escalation, default applied, finished, unverified); `alert` makes it a page that names security. */
export function reviewChannelLine(n: Pick<ReviewerNotification, 'event' | 'view' | 'detail' | 'security' | 'severity'>, who: PersonLabel = plainPerson, opts: { alert?: boolean } = {}): Message {
  const v = n.view;
  const head = `Access review *${fitText(v.reviewName, 100)}*, reviewer ${reviewerLabel(v.reviewer, who)}`;
  const c = v.counts;
  const detail = n.detail ? ` — ${fitText(n.detail, 600)}` : '';
  let line: string;
  switch (n.event) {
    case 'escalated':
      line = `:warning: ${head} is overdue: ${v.undecided} of ${c.items} undecided, deadline ${slackDate(v.deadlineAt)}. Escalated${detail}.`;
      break;
    case 'defaulted':
      line = `:hourglass: ${head}: the deadline passed with ${c.defaulted} undecided item${c.defaulted === 1 ? '' : 's'}; ${defaultActionText(v.defaultAction)}.`;
      break;
    case 'finished':
      line = `:white_check_mark: ${head}: finished — ${progressLine(c)}; kept ${c.kept}, revoked ${c.revoked}, defaulted ${c.defaulted}; revocations applied ${c.applied}, verified ${c.verified}${c.failed > 0 ? `, :x: not verified ${c.failed}` : ''}.`;
      break;
    case 'revocation-unverified':
      line = `:rotating_light: ${head}: ${c.failed} revocation${c.failed === 1 ? '' : 's'} could not be verified${detail}.`;
      break;
    default:
      line = `${head}: ${fitText(n.event, 60)}${detail}.`;
  }
  const loud = opts.alert || n.severity === 'page';
  if (loud && !line.startsWith(':rotating_light:')) line = `:rotating_light: ${line}`;
  if (opts.alert && n.security?.length) line += ` ${n.security.slice(0, 20).map(who).join(' ')}`;
  line += ` ${code(`safeguard review status ${v.workflowId}`, 300)}`;
  return { text: line, blocks: [{ type: 'section', text: mrkdwn(line) }] };
}
