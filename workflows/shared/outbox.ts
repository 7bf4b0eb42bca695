// Notifications off the critical path. A Slack outage (500s, 429 with Retry-After: 30) must never
// delay an approval, a grant, an expiry or a revocation, so the workflow only queues what people
// should be told; one background loop sends the queue in order (the card must exist before it can be
// updated in place) with the notify activity's own retries, and the workflow waits for the queue
// only when it is about to complete, for a bounded time.
import { CancellationScope, condition, log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { CardRef, Notification } from './notifications';

const notifyActivities = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});

export class Outbox {
  private readonly queue: Notification[] = [];
  private sending = false;
  private started = false;
  cardRef?: CardRef;

  push(n: Notification): void {
    this.queue.push(n);
    if (!this.started) {
      this.started = true;
      // Not cancellable: a cancelled request still tells people it ended (and that access was revoked).
      void CancellationScope.nonCancellable(() => this.drain());
    }
  }

  /** Waits until everything queued was sent (or given up on), at most `timeoutMs`. */
  async flush(timeoutMs: number): Promise<void> {
    if (this.queue.length === 0 && !this.sending) return;
    const done = await condition(() => this.queue.length === 0 && !this.sending, timeoutMs);
    if (!done) log.warn('notifications still queued at completion; giving up on them', { queued: this.queue.length });
  }

  private async drain(): Promise<void> {
    for (;;) {
      await condition(() => this.queue.length > 0);
      const next = this.queue.shift()!;
      this.sending = true;
      try {
        const r = await notifyActivities.notify({ ...next, ...(this.cardRef ? { cardRef: this.cardRef } : {}) });
        if (r?.cardRef) this.cardRef = r.cardRef;
      } catch (err) {
        log.warn('notification failed', { event: next.event, error: err instanceof Error ? err.message : String(err) });
      } finally {
        this.sending = false;
      }
    }
  }
}
