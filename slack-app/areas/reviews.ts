// Access reviews in Slack: the review message's buttons (keep / revoke an item, the bulk choices,
// paging) and the Open buttons of App Home and reminders. App Home itself stays one listener
// (listeners/events/app-home.ts), which lists the pending reviews too.
import type { App } from '@slack/bolt';
import { REVIEW_ACTION } from '../../shared/slack-blocks/ids';
import type { ListenerContext } from '../context';
import * as reviewItem from '../listeners/actions/review-item';
import * as reviewBulk from '../listeners/actions/review-bulk';
import * as reviewPage from '../listeners/actions/review-page';
import * as reviewOpen from '../listeners/actions/review-open';

export const knows = {
  action: (id: string): boolean => REVIEW_ACTION.test(id),
  view: (_callbackId: string): boolean => false,
};

export function register(app: App, ctx: ListenerContext): void {
  for (const listener of [reviewItem, reviewBulk, reviewPage, reviewOpen]) listener.register(app, ctx);
}
