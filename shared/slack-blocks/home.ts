// App Home: my active grants, requests waiting for my decision, my recent history, and the access
// reviews waiting for me.
import type { KnownBlock, View } from '@slack/types';
import { ACTIONS } from './ids';
import { decisionValue, quorumLine, statusLine } from './approval-card';
import { duration, mrkdwn, plain, plainPerson, safeText, slackDate } from './text';
import type { PersonLabel } from './text';
import type { RequestView } from './types';
import type { ListedItem } from './messages';
import { pendingReviewBlock } from './review-message';
import type { PendingReview } from './review-message';

export interface HomeData {
  personId: string;
  active: RequestView[];
  waiting: RequestView[];
  history: ListedItem[];
  /** Reviewer runs waiting for my decisions; absent when this app has no review client. */
  reviews?: PendingReview[];
  /** The reviews could not be read just now: the rest of the home still shows. */
  reviewsUnavailable?: boolean;
}

export function homeView(d: HomeData, who: PersonLabel = plainPerson): View {
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain('Safeguard break-glass') },
    { type: 'actions', elements: [{ type: 'button', text: plain('Request access'), action_id: ACTIONS.openRequest, value: 'open', style: 'primary' }] },
    { type: 'header', text: plain('My active grants') },
  ];
  if (d.active.length === 0) blocks.push({ type: 'section', text: mrkdwn('_none_') });
  for (const v of d.active.slice(0, 10)) {
    blocks.push({
      type: 'section',
      text: mrkdwn(`*${safeText(v.role, 64)}* · ${statusLine(v)} · until ${slackDate(v.plannedEndAt)}\n\`safeguard creds ${safeText(v.grantId, 120)}\``),
      ...(v.phase === 'active' ? { accessory: { type: 'button' as const, text: plain('Revoke now'), action_id: ACTIONS.revoke, value: v.grantId, style: 'danger' as const } } : {}),
    });
  }
  blocks.push({ type: 'header', text: plain('Waiting for my decision') });
  if (d.waiting.length === 0) blocks.push({ type: 'section', text: mrkdwn('_none_') });
  for (const v of d.waiting.slice(0, 10)) {
    const ratify = v.approval?.kind === 'ratification';
    blocks.push({ type: 'section', text: mrkdwn(`*${safeText(v.role, 64)}* for ${who(v.requester)} · ${duration(v.durationMs)} · ${quorumLine(v, who)}\n${safeText(v.reason, 300)}`) });
    if (v.stepUp) {
      blocks.push({ type: 'context', elements: [mrkdwn(`Step-up role: decide with \`safeguard breakglass approve ${safeText(v.grantId, 120)}\``)] });
      continue;
    }
    blocks.push({
      type: 'actions',
      elements: [
        { type: 'button', text: plain(ratify ? 'Ratify' : 'Approve'), action_id: ratify ? ACTIONS.ratify : ACTIONS.approve, value: decisionValue(v.grantId, v.approval?.id), style: 'primary' },
        { type: 'button', text: plain(ratify ? 'Reject' : 'Deny'), action_id: ratify ? ACTIONS.reject : ACTIONS.deny, value: decisionValue(v.grantId, v.approval?.id), style: 'danger' },
      ],
    });
  }
  blocks.push({ type: 'header', text: plain('My recent requests') });
  const hist = d.history.slice(0, 15).map((i) => `• \`${safeText(i.workflowId, 120)}\` · ${safeText(i.outcome ?? i.status.toLowerCase(), 30)} · ${slackDate(i.startTime)}`);
  blocks.push({ type: 'section', text: mrkdwn(hist.length > 0 ? hist.join('\n') : '_none_') });
  if (d.reviews !== undefined || d.reviewsUnavailable) {
    blocks.push({ type: 'header', text: plain('Access reviews waiting for me') });
    if (d.reviewsUnavailable) blocks.push({ type: 'section', text: mrkdwn('_Pending reviews could not be read just now; reopen this tab, or use the `safeguard review` CLI._') });
    else if (!d.reviews || d.reviews.length === 0) blocks.push({ type: 'section', text: mrkdwn('_none_') });
    else {
      for (const r of d.reviews.slice(0, 10)) blocks.push(pendingReviewBlock(r, d.personId, who));
      if (d.reviews.length > 10) blocks.push({ type: 'context', elements: [mrkdwn(`…and ${d.reviews.length - 10} more.`)] });
    }
  }
  return { type: 'home', blocks: blocks.slice(0, 100) };
}
