// Where workflow events go for people to see. Slack is one implementation (the slack-app issue);
// the default writes a structured log line, which is what a CLI-only install reads.
import type { Logger } from 'pino';
import type { BreakGlassStatus } from '../../workflows/break-glass/definitions';

/** Where a request's card lives in a chat channel, so later events update it in place. */
export interface CardRef {
  channel: string;
  ts: string;
}

export interface NotifyInput {
  event: string;
  grantId: string;
  requester: string;
  role: string;
  /** Person ids who should see this (approvers, or security for a page). */
  approvers: string[];
  phase?: string;
  plannedEndAt?: string;
  outcome?: string;
  detail?: string;
  severity?: 'info' | 'page';
  /** The request as the workflow sees it (no timeline, no credentials), for rendering. */
  view?: Omit<BreakGlassStatus, 'timeline' | 'credentials'>;
  security?: string[];
  cardRef?: CardRef;
}

export interface NotifyResult {
  cardRef?: CardRef;
}

export interface Notifier {
  notify(event: NotifyInput): Promise<NotifyResult | void>;
}

export class LogNotifier implements Notifier {
  constructor(private readonly logger: Logger) {}

  async notify(event: NotifyInput): Promise<void> {
    const { severity = 'info', view: _view, ...rest } = event;
    if (severity === 'page') this.logger.error({ notification: rest }, `PAGE security: ${event.event} on ${event.grantId}`);
    else this.logger.info({ notification: rest }, `${event.event}: ${event.grantId}`);
  }
}
