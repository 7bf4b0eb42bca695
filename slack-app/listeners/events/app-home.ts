// App Home: my active grants, requests waiting for my decision, my recent history, and the access
// reviews waiting for me — read from the workflows (search attributes + status Queries), never from
// anything Slack stored.
import type { App } from '@slack/bolt';
import { z } from 'zod';
import { homeView } from '../../../shared/slack-blocks/home';
import type { HomeData } from '../../../shared/slack-blocks/home';
import type { RequestView } from '../../../shared/slack-blocks/types';
import type { ListenerContext } from '../../context';

const eventSchema = z.object({ user: z.string().min(1).max(32), tab: z.string().max(32).optional() });

/** Status Queries per Home render: each is a round trip to a worker. */
const MAX_STATUS_QUERIES = 25;

/** How long App Home waits for the pending reviews (a status Query per open reviewer run) before showing the rest without them. */
export const PENDING_REVIEWS_TIMEOUT_MS = 4000;

export async function loadHome(ctx: ListenerContext, personId: string): Promise<{ active: RequestView[]; waiting: RequestView[]; history: Awaited<ReturnType<ListenerContext['breakGlass']['list']>> }> {
  const [running, recent] = await Promise.all([ctx.breakGlass.list({ active: true, limit: 200 }), ctx.breakGlass.list({ limit: 100 })]);
  const candidates = running.slice(0, MAX_STATUS_QUERIES);
  const statuses = await Promise.all(candidates.map((i) => ctx.breakGlass.status(i.workflowId).catch(() => undefined)));
  const views = statuses.filter((s): s is NonNullable<typeof s> => s !== undefined);
  return {
    active: views.filter((s) => s.requester === personId && (s.phase === 'active' || s.phase === 'pending')),
    waiting: views.filter((s) => s.requester !== personId && s.approval?.state === 'open' && s.approval.eligible.includes(personId) && !s.approval.approvals.some((d) => d.by === personId)),
    history: recent.filter((i) => i.requester === personId).slice(0, 15),
  };
}

/**
 * The access reviews waiting for the person. A failed or slow read leaves the rest of the home as it
 * is, with a line saying the reviews could not be read; an app without a review client shows no section.
 */
export async function loadPendingReviews(ctx: ListenerContext, personId: string, timeoutMs = PENDING_REVIEWS_TIMEOUT_MS): Promise<Pick<HomeData, 'reviews' | 'reviewsUnavailable'>> {
  const reviews = ctx.reviews;
  if (!reviews) return {};
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`pending reviews not read within ${timeoutMs} ms`)), timeoutMs);
    });
    return { reviews: await Promise.race([reviews.pendingFor(personId), timeout]) };
  } catch (err) {
    ctx.logger.warn({ personId, err: err instanceof Error ? err.message : String(err) }, 'App Home: pending reviews not read');
    return { reviewsUnavailable: true };
  } finally {
    clearTimeout(timer);
  }
}

export function register(app: App, ctx: ListenerContext): void {
  app.event('app_home_opened', async ({ event, client }) => {
    const e = eventSchema.safeParse(event);
    if (!e.success || (e.data.tab !== undefined && e.data.tab !== 'home')) return;
    const person = ctx.personFor(e.data.user);
    if (!person) {
      await client.views.publish({
        user_id: e.data.user,
        view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Your Slack account is not a person in the Safeguard policy. Ask a platform admin to add your slackId.' } }] },
      });
      return;
    }
    const [data, reviews] = await Promise.all([loadHome(ctx, person.id), loadPendingReviews(ctx, person.id)]);
    await client.views.publish({ user_id: e.data.user, view: homeView({ personId: person.id, ...data, ...reviews }, ctx.who) });
  });
}
