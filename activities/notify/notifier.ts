// Where workflow events go for people to see. Slack is one implementation (the slack-app issue);
// the default writes a structured log line, which is what a CLI-only install reads.
import type { Logger } from 'pino';

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
}

export interface Notifier {
  notify(event: NotifyInput): Promise<void>;
}

export class LogNotifier implements Notifier {
  constructor(private readonly logger: Logger) {}

  async notify(event: NotifyInput): Promise<void> {
    const { severity = 'info', ...rest } = event;
    if (severity === 'page') this.logger.error({ notification: rest }, `PAGE security: ${event.event} on ${event.grantId}`);
    else this.logger.info({ notification: rest }, `${event.event}: ${event.grantId}`);
  }
}
