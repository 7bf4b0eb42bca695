// Access-review button clicks, validated: who clicked, on which reviewer run, what the button names,
// and which message to re-render. Every review listener starts with reviewClick(), and re-renders the
// message from the reviewer's status Query with showReview(): Slack is never the store of a page.
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { SafeguardError } from '../../../client/errors';
import { kindOfWorkflowId } from '../../../client/ids';
import type { Person } from '../../../config/policy/types';
import { REVIEW_ACTION, parseReviewValue } from '../../../shared/slack-blocks/ids';
import type { ReviewVerb } from '../../../shared/slack-blocks/ids';
import { reviewMessage, reviewerPage } from '../../../shared/slack-blocks/review-message';
import type { AccessReviewerStatus } from '../../../workflows/access-review/definitions';
import { Refusals } from '../../../workflows/shared/refusals';
import { explain, tellUser, unknownUserText } from '../../context';
import type { ListenerContext, ReviewsApi } from '../../context';

const SLACK_ID = z.string().min(1).max(32);

export const reviewBodySchema = z.object({
  user: z.object({ id: SLACK_ID }),
  channel: z.object({ id: SLACK_ID }).nullish(),
  container: z.object({ type: z.string().max(32).optional(), channel_id: SLACK_ID.optional(), message_ts: z.string().max(32).optional() }).passthrough().nullish(),
  message: z.object({ ts: z.string().max(32) }).passthrough().nullish(),
  actions: z.array(z.object({ action_id: z.string().max(255), block_id: z.string().max(255).optional(), value: z.string().max(2000).optional() })).min(1),
});

/** The page offset the builders put in block ids (`review-item:<offset>:…`), so a click re-renders its own page. */
const BLOCK_OFFSET = /^review-(?:item|bulk|page):(\d{1,6}):/;

/** An item key as the workflow accepts it: at most 600 characters (an IAM ARN with a path fits), no control characters. */
export function isItemKey(key: string): boolean {
  return key.length > 0 && key.length <= 600 && !/\p{Cc}/u.test(key);
}

export interface ReviewClick {
  verb: ReviewVerb;
  /** The action id's suffix (`revoke-flagged`, `next`), if any. */
  suffix: string | undefined;
  runId: string;
  /** What the value names after the run id: an item key, a bulk choice or a page offset. */
  what: string;
  person: Person;
  reviews: ReviewsApi;
  where: { channel: string | undefined; user: string };
  /** The message clicked on, when it was one (not App Home): re-rendered in place. */
  message: { channel: string; ts: string } | undefined;
  /** The page the clicked message showed. */
  offset: number;
}

/**
 * The common start of every review button: a well-formed click, by a person in the policy, naming a
 * reviewer run. Anything else is told to the clicker and yields undefined (nothing is changed).
 */
export async function reviewClick(body: unknown, ctx: ListenerContext, client: WebClient): Promise<ReviewClick | undefined> {
  const p = reviewBodySchema.safeParse(body);
  if (!p.success) {
    ctx.logger.info({ issues: p.error.issues.length }, 'malformed review button payload ignored');
    return undefined;
  }
  const action = p.data.actions[0]!;
  const channel = p.data.channel?.id ?? p.data.container?.channel_id;
  const where = { channel, user: p.data.user.id };
  const person = ctx.personFor(p.data.user.id);
  if (!person) {
    await tellUser(client, where, unknownUserText(p.data.user.id));
    return undefined;
  }
  if (!ctx.reviews) {
    await tellUser(client, where, 'Access reviews are not connected to this Slack app; nothing was changed. Use `safeguard review decide`.');
    return undefined;
  }
  const m = REVIEW_ACTION.exec(action.action_id);
  const value = parseReviewValue(action.value);
  if (!m || !value || kindOfWorkflowId(value.runId) !== 'access-review' || !value.runId.includes('--')) {
    await tellUser(client, where, 'That button does not name an access review; nothing was changed.');
    return undefined;
  }
  const ts = p.data.container?.message_ts ?? p.data.message?.ts;
  const inMessage = p.data.container?.type !== 'view' && channel !== undefined && ts !== undefined;
  const offset = Number(BLOCK_OFFSET.exec(action.block_id ?? '')?.[1] ?? 0);
  return {
    verb: m[1] as ReviewVerb,
    suffix: m[2],
    runId: value.runId,
    what: value.what,
    person,
    reviews: ctx.reviews,
    where,
    message: inMessage ? { channel, ts } : undefined,
    offset,
  };
}

/** Everyone who may read a reviewer's items: who decides now, and who was asked to. */
function mayRead(s: AccessReviewerStatus, personId: string): boolean {
  return s.mayDecide.includes(personId) || s.deciders.includes(personId);
}

/**
 * Renders the reviewer's message at `offset` from its status Query, for the clicker: in place when
 * the click came from the message, else as a new DM. People who are not (or no longer) among the
 * run's reviewers are told so instead: a forged run id must not show anyone else's items.
 */
export async function showReview(
  ctx: ListenerContext,
  client: WebClient,
  click: ReviewClick,
  opts: { offset: number; notice?: (s: AccessReviewerStatus) => string; newMessage?: boolean; quietIfNotReviewer?: boolean },
): Promise<void> {
  const status = await click.reviews.reviewer(click.runId);
  if (!mayRead(status, click.person.id)) {
    if (!opts.quietIfNotReviewer) await tellUser(client, click.where, 'That is not one of your reviews; nothing was shown.');
    return;
  }
  const { view, offset } = reviewerPage(status, opts.offset);
  const notice = opts.notice?.(status);
  const m = reviewMessage(view, ctx.who, { offset, viewer: click.person.id, ...(notice ? { notice } : {}) });
  if (click.message && !opts.newMessage) {
    await client.chat.update({ channel: click.message.channel, ts: click.message.ts, text: m.text, blocks: m.blocks });
  } else {
    await client.chat.postMessage({ channel: click.where.user, text: m.text, blocks: m.blocks, unfurl_links: false, unfurl_media: false });
  }
}

/** The shared wording, with a reviewer's own access always named as such. */
export function explainReview(err: unknown): string {
  if (err instanceof SafeguardError && err.code === 'REFUSED' && err.refusal === Refusals.ownAccess) {
    const why = /your own access/i.test(err.message) ? err.message : 'you cannot review your own access: someone else decides it';
    return `Refused (${Refusals.ownAccess}): ${why}`;
  }
  return explain(err);
}

/** After a decision: re-render, and say so if that fails (the decision itself stands). */
export async function refreshAfterDecision(ctx: ListenerContext, client: WebClient, click: ReviewClick, notice: (s: AccessReviewerStatus) => string): Promise<void> {
  try {
    await showReview(ctx, client, click, { offset: click.offset, notice });
  } catch (err) {
    ctx.logger.warn({ runId: click.runId, err: err instanceof Error ? err.message : String(err) }, 'review message not refreshed');
    await tellUser(client, click.where, 'Your decision was recorded, but the message could not be refreshed. Open the review again from the Safeguard App Home.');
  }
}

/** After a refusal: tell the clicker why, then re-render best-effort (the review may have closed meanwhile). */
export async function tellRefusal(ctx: ListenerContext, client: WebClient, click: ReviewClick, err: unknown): Promise<void> {
  ctx.logger.info({ runId: click.runId, by: click.person.id, err: err instanceof Error ? err.message : String(err) }, 'review decision refused');
  await tellUser(client, click.where, explainReview(err));
  if (click.message) await showReview(ctx, client, click, { offset: click.offset, quietIfNotReviewer: true }).catch(() => undefined);
}
