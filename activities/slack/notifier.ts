// The Slack side of the notify activity. The workflow calls it on every state change and keeps the
// card reference it returns, so the approval card is one message updated in place (chat.update),
// with each event as a thread reply. Failures throw, so Temporal retries the activity with backoff;
// the workflow never waits on Slack beyond the notify proxy's attempts.
import { Context } from '@temporalio/activity';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { findPersonById, getRole } from '../../config/policy/lookup';
import type { Policy } from '../../config/policy/types';
import type { CardRef, Notifier, NotifyResult } from '../notify/notifier';
import type { BreakGlassNotification, Notification, ReviewerNotification, RunbookNotification } from '../../workflows/shared/notifications';
import { runbookCard, runbookAuditLine, runbookDirectMessage, runbookThreadReply } from '../../shared/slack-blocks/runbook-card';
import { approvalCard } from '../../shared/slack-blocks/approval-card';
import { auditLine, requesterDm, securityAlert, threadReply } from '../../shared/slack-blocks/messages';
import { reviewChannelLine, reviewMessage, reviewReminder } from '../../shared/slack-blocks/review-message';
import type { EventInfo } from '../../shared/slack-blocks/messages';
import { personLabel } from '../../shared/slack-blocks/text';
import type { PersonLabel } from '../../shared/slack-blocks/text';
import type { Message, RequestView } from '../../shared/slack-blocks/types';
import { slackFailure } from './errors';

/** Review DMs in flight at once: a large escalation group must fit in the notify activity's timeout. */
const DM_CONCURRENCY = 4;

/** Events whose card post needs no thread reply (the card itself says it). */
const CARD_EVENTS = new Set(['approval-needed', 'ratification-needed']);

export interface SlackNotifierOptions {
  /** Used when neither the role nor the policy names an approvers channel. */
  fallbackChannel?: string;
}

export class SlackNotifier implements Notifier {
  /** Steps already done by an earlier attempt of the same activity in this process, so a retry after
   * a partial failure does not post the card (or a DM) twice. Bounded; a lost entry costs a duplicate. */
  private readonly done = new Map<string, unknown>();
  private readonly who: PersonLabel;

  constructor(
    private readonly slack: WebClient,
    private readonly policy: Policy,
    private readonly logger: Logger,
    private readonly options: SlackNotifierOptions = {},
  ) {
    this.who = personLabel((id) => findPersonById(policy, id)?.slackId);
  }

  async notify(n: Notification): Promise<NotifyResult> {
    if (n.kind === 'break-glass') return this.breakGlass(n);
    if (n.kind === 'access-reviewer') return this.accessReviewer(n);
    return this.runbook(n);
  }

  /**
   * One reviewer's part of an access review: the review message as a DM to each person who may decide
   * (posting to a user id opens the DM), a short reminder DM, and one line in the review's channel for
   * escalations and the end; pages also go to the security channel. No card ref is returned: every DM
   * is its own message, re-rendered in place by the Slack app when its reader clicks.
   */
  private async accessReviewer(n: ReviewerNotification): Promise<NotifyResult> {
    const key = activityKey();
    if (n.severity === 'page') {
      const security = this.policy.slack?.securityChannel;
      if (security) await this.step(key, `alert:${security}`, () => this.post(security, reviewChannelLine(n, this.who, { alert: true })));
    }
    if (n.event === 'review-needed' || n.event === 'escalated') {
      // Rendered per reader: their own access shows without buttons, and an escalation says it is theirs now.
      await this.dmAudience(key, n, (viewer) => reviewMessage(n.view, this.who, { viewer }));
      if (n.event === 'review-needed') return {};
    } else if (n.event === 'reminder') {
      await this.dmAudience(key, n, () => reviewReminder(n.view, this.who));
      return {};
    }
    const channel = n.channel ?? this.policy.slack?.auditChannel ?? this.options.fallbackChannel;
    if (channel) await this.step(key, 'channel', () => this.post(channel, reviewChannelLine(n, this.who)));
    else this.logger.warn({ subjectId: n.subjectId, event: n.event }, 'no Slack channel configured for access reviews; line not posted');
    return {};
  }

  /** DMs each person of the audience who has a Slack id; one step each, so a retry DMs only those not reached yet. */
  private async dmAudience(key: string | undefined, n: Pick<Notification, 'subjectId' | 'event' | 'audience'>, render: (personId: string) => Message): Promise<void> {
    const targets = [...new Set(n.audience)].flatMap((id) => {
      const slackId = findPersonById(this.policy, id)?.slackId;
      return slackId ? [{ id, slackId }] : [];
    });
    if (targets.length === 0) {
      this.logger.warn({ subjectId: n.subjectId, event: n.event, audience: n.audience.length }, 'nobody in the audience has a Slack id; no DM sent');
      return;
    }
    const failures: unknown[] = [];
    for (let i = 0; i < targets.length; i += DM_CONCURRENCY) {
      // allSettled, not all: a DM still in flight when another fails must finish and be remembered,
      // or the retry would send it a second time.
      const settled = await Promise.allSettled(targets.slice(i, i + DM_CONCURRENCY).map((t) => this.step(key, `dm:${t.id}`, () => this.post(t.slackId, render(t.id)))));
      for (const r of settled) if (r.status === 'rejected') failures.push(r.reason);
    }
    if (failures.length > 0) throw failures[0];
  }

  /** Step-by-step runbooks (rotation, …): one card per run in the kind's channel, updated in place,
   * each event a thread reply; pages also go to the security channel. A declarative runbook's own
   * notify step is a message of its own (runbookNotifyStep), and its escalations are DM'd too. */
  private async runbook(n: RunbookNotification): Promise<NotifyResult> {
    const key = activityKey();
    if (n.kind === 'runbook' && n.event === 'runbook-notify') return this.runbookNotifyStep(key, n);
    if (n.severity === 'page') {
      const security = this.policy.slack?.securityChannel;
      if (security) await this.step(key, `alert:${security}`, () => this.post(security, runbookThreadReply(n, this.who, { alert: true })));
    }
    const audit = this.policy.slack?.auditChannel;
    if (audit) await this.step(key, 'audit', () => this.post(audit, runbookAuditLine(n)));
    // The escalateTo people may not watch the runbooks channel: an escalation must reach them directly.
    if (n.kind === 'runbook' && n.event === 'escalated') await this.dmAudience(key, n, () => runbookDirectMessage(n));
    const card = runbookCard(n, this.who);
    let cardRef = n.cardRef;
    if (cardRef) {
      const ref = cardRef;
      await this.step(key, 'card-update', () => this.call('chat.update', () => this.slack.chat.update({ channel: ref.channel, ts: ref.ts, text: card.text, blocks: card.blocks })));
    } else {
      const channel = n.channel ?? audit ?? this.options.fallbackChannel;
      if (!channel) {
        this.logger.warn({ subjectId: n.subjectId, kind: n.kind }, 'no Slack channel configured for this runbook; card not posted');
        return {};
      }
      cardRef = await this.step(key, 'card', () => this.post(channel, card));
    }
    const ref = cardRef;
    await this.step(key, 'thread', () => this.post(ref.channel, runbookThreadReply(n, this.who), ref.ts));
    return { cardRef };
  }

  /**
   * A declarative runbook's notify step: the policy's message is the step's whole point, so it goes out
   * as a message of its own — to the step's channel and as a DM to each of its people — never as a card
   * update or a thread reply, where it would be missed. No card ref: the run's card stays where it is.
   */
  private async runbookNotifyStep(key: string | undefined, n: RunbookNotification): Promise<NotifyResult> {
    const message = runbookDirectMessage(n);
    if (n.channel) {
      const channel = n.channel;
      await this.step(key, `notify:${channel}`, () => this.post(channel, message));
    }
    if (n.audience.length > 0) await this.dmAudience(key, n, () => message);
    else if (!n.channel) this.logger.warn({ subjectId: n.subjectId }, 'runbook notify step with neither a channel nor people; nothing sent');
    return {};
  }

  private async breakGlass(input: BreakGlassNotification): Promise<NotifyResult> {
    const v = input.view as RequestView | undefined;
    const e: EventInfo = {
      event: input.event,
      grantId: input.subjectId,
      requester: input.requester,
      role: input.role,
      ...(input.phase !== undefined ? { phase: input.phase } : {}),
      ...(input.outcome !== undefined ? { outcome: input.outcome } : {}),
      ...(input.detail !== undefined ? { detail: input.detail } : {}),
      ...(input.plannedEndAt !== undefined ? { plannedEndAt: input.plannedEndAt } : {}),
    };
    const key = activityKey();
    let cardRef: CardRef | undefined = input.cardRef;

    // Pages (failed grants, unverified revocations) are loud: security and approvers channels.
    if (input.severity === 'page') {
      for (const channel of this.alertChannels(input.role)) {
        await this.step(key, `alert:${channel}`, () => this.post(channel, securityAlert(e, v, this.who)));
      }
    }
    if (!v) {
      // Events without a view (pages, extension requests): audit, and a thread reply when there is a card.
      await this.audit(key, e, v);
      if (cardRef) {
        const ref = cardRef;
        await this.step(key, 'thread', () => this.post(ref.channel, threadReply(e, v, this.who), ref.ts));
      }
      return cardRef ? { cardRef } : {};
    }

    // Secondary messages first: if one fails, the retry must not post a second card.
    const dm = requesterDm(e, v, this.who);
    const requesterSlack = findPersonById(this.policy, input.requester)?.slackId;
    if (dm && requesterSlack) await this.step(key, 'dm', () => this.post(requesterSlack, dm));
    if (input.event === 'ratification-needed') {
      for (const channel of this.alertChannels(input.role)) {
        await this.step(key, `alert:${channel}`, () => this.post(channel, securityAlert(e, v, this.who)));
      }
    }
    await this.audit(key, e, v);

    const card = approvalCard(v, this.who);
    if (cardRef) {
      const ref = cardRef;
      await this.step(key, 'card-update', () => this.call('chat.update', () => this.slack.chat.update({ channel: ref.channel, ts: ref.ts, text: card.text, blocks: card.blocks })));
      await this.step(key, 'thread', () => this.post(ref.channel, threadReply(e, v, this.who), ref.ts));
    } else {
      // No card yet (first event, or Slack was down when it should have been posted): post it now.
      const channel = this.approversChannel(input.role);
      if (channel) {
        cardRef = await this.step(key, 'card', () => this.post(channel, card));
        if (!CARD_EVENTS.has(input.event)) {
          const ref = cardRef;
          await this.step(key, 'thread', () => this.post(ref.channel, threadReply(e, v, this.who), ref.ts));
        }
      } else this.logger.warn({ grantId: input.subjectId, role: input.role }, 'no Slack approvers channel configured; card not posted');
    }
    return cardRef ? { cardRef } : {};
  }

  private approversChannel(roleName: string): string | undefined {
    return getRole(this.policy, roleName)?.approversChannel ?? this.policy.slack?.approversChannel ?? this.options.fallbackChannel;
  }

  private alertChannels(roleName: string): string[] {
    return [...new Set([this.policy.slack?.securityChannel, this.approversChannel(roleName)].filter((c): c is string => !!c))];
  }

  private async audit(key: string | undefined, e: EventInfo, v: RequestView | undefined): Promise<void> {
    const channel = this.policy.slack?.auditChannel;
    if (channel) await this.step(key, 'audit', () => this.post(channel, auditLine(e, v)));
  }

  private async post(channel: string, m: Message, threadTs?: string): Promise<{ channel: string; ts: string }> {
    const r = await this.call('chat.postMessage', () =>
      this.slack.chat.postMessage({ channel, text: m.text, blocks: m.blocks, unfurl_links: false, unfurl_media: false, ...(threadTs ? { thread_ts: threadTs } : {}) }),
    );
    if (typeof r.ts !== 'string' || typeof r.channel !== 'string') throw slackFailure('chat.postMessage', new Error('response without channel/ts'));
    return { channel: r.channel, ts: r.ts };
  }

  private async call<T>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const failure = slackFailure(method, err);
      this.logger.warn({ method, type: failure.type, retryable: !failure.nonRetryable }, failure.message);
      throw failure;
    }
  }

  private async step<T>(key: string | undefined, name: string, fn: () => Promise<T>): Promise<T> {
    const k = key ? `${key}:${name}` : undefined;
    if (k && this.done.has(k)) return this.done.get(k) as T;
    const out = await fn();
    if (k) {
      this.done.set(k, out);
      if (this.done.size > 5000) {
        const oldest = this.done.keys().next().value;
        if (oldest !== undefined) this.done.delete(oldest);
      }
    }
    return out;
  }
}

/** Identifies one activity execution across its retry attempts; undefined outside an activity. */
function activityKey(): string | undefined {
  try {
    const info = Context.current().info;
    return `${info.workflowExecution?.runId ?? info.workflowType ?? ""}:${info.activityId}`;
  } catch {
    return undefined;
  }
}
