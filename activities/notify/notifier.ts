// Where workflow events go for people to see. Slack is one implementation; the default writes a
// structured log line, which is what a CLI-only install reads.
import type { Logger } from 'pino';
import type { BreakGlassNotification, CardRef, Notification, NotifyResult } from '../../workflows/shared/notifications';

export type { CardRef, Notification, NotifyResult } from '../../workflows/shared/notifications';

/** What break-glass runs started before the envelope existed still send (in-flight at upgrade). */
export interface LegacyNotifyInput {
  event: string;
  grantId: string;
  requester: string;
  role: string;
  approvers: string[];
  phase?: string;
  plannedEndAt?: string;
  outcome?: string;
  detail?: string;
  severity?: 'info' | 'page';
  view?: BreakGlassNotification['view'];
  security?: string[];
  cardRef?: CardRef;
}

export type NotifyInput = Notification | LegacyNotifyInput;

export function toEnvelope(input: NotifyInput): Notification {
  if ('kind' in input) return input;
  const { grantId, approvers, severity = 'info', ...rest } = input;
  return { kind: 'break-glass', subjectId: grantId, audience: approvers, severity, ...rest };
}

export interface Notifier {
  notify(event: Notification): Promise<NotifyResult | void>;
}

export class LogNotifier implements Notifier {
  constructor(private readonly logger: Logger) {}

  async notify(n: Notification): Promise<void> {
    const { view: _view, ...rest } = n;
    if (n.severity === 'page') this.logger.error({ notification: rest }, `PAGE security: ${n.event} on ${n.subjectId}`);
    else this.logger.info({ notification: rest }, `${n.event}: ${n.subjectId}`);
  }
}
