import path from 'node:path';
import pino from 'pino';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createWebClient } from '../../activities/slack/client';
import { slackFailure } from '../../activities/slack/errors';
import { SlackNotifier } from '../../activities/slack/notifier';
import { toEnvelope } from '../../activities/notify/notifier';
import type { BreakGlassNotification, ReviewerNotification, RunbookNotification } from '../../workflows/shared/notifications';
import { loadPolicyFile } from '../../config/policy';
import type { RequestView } from '../../shared/slack-blocks/types';
import { FakeSlack } from '../support/fake-slack';
import { reviewItem, reviewerStatus, reviewerView } from '../support/review-fixtures';

const policy = loadPolicyFile(path.join(__dirname, '../../examples/policy.yaml'));
let fake: FakeSlack;
let notifier: SlackNotifier;

const view: RequestView = {
  grantId: 'breakglass-BreakGlassAdmin-0123456789ab',
  requester: 'alice',
  role: 'BreakGlassAdmin',
  roleArn: 'arn:aws:iam::123456789012:role/BreakGlassAdmin',
  accountId: '123456789012',
  mode: 'approval',
  phase: 'pending',
  reason: 'orders database is refusing connections <!channel>',
  requestedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 30 * 60_000,
  approval: { kind: 'grant', quorum: 1, eligible: ['bob', 'carol'], approvals: [], state: 'open', openedAt: '2026-01-01T00:00:00.000Z', deadlineAt: '2026-01-01T00:15:00.000Z' },
  sessions: [],
};

function input(event: string, v: RequestView = view, extra: Partial<BreakGlassNotification> = {}): BreakGlassNotification {
  return { kind: 'break-glass', event, subjectId: v.grantId, requester: v.requester, role: v.role, audience: ['bob', 'carol'], severity: 'info', phase: v.phase, view: v, security: ['carol'], ...extra };
}

beforeAll(async () => {
  fake = new FakeSlack();
  await fake.start();
  notifier = new SlackNotifier(createWebClient('xoxb-unit', fake.apiUrl, 2000), policy, pino({ level: 'silent' }));
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

describe('SlackNotifier', () => {
  it('posts the approval card to the approvers channel, an audit line, and returns the card ref', async () => {
    const r = await notifier.notify(input('approval-needed'));
    expect(r.cardRef).toEqual({ channel: 'C0APPROVERS', ts: expect.any(String) });
    const posts = fake.ok('chat.postMessage');
    expect(posts.map((c) => c.body['channel']).sort()).toEqual(['C0000AUDIT', 'C0APPROVERS']);
    const card = posts.find((c) => c.body['channel'] === 'C0APPROVERS')!;
    expect(card.token).toBe('xoxb-unit');
    expect(JSON.stringify(card.body['blocks'])).toContain('bg_approve');
    expect(JSON.stringify(card.body['blocks'])).not.toContain('<!channel>');
  });

  it('updates the card in place and replies in its thread on later events', async () => {
    const ref = { channel: 'C0APPROVERS', ts: '1700000000.000001' };
    const granted: RequestView = { ...view, phase: 'active', plannedEndAt: '2026-01-01T00:45:00.000Z', approval: { ...view.approval!, state: 'approved', approvals: [{ by: 'bob', at: 'x' }] } };
    const r = await notifier.notify(input('granted', granted, { cardRef: ref, plannedEndAt: granted.plannedEndAt! }));
    expect(r.cardRef).toEqual(ref);
    expect(fake.ok('chat.update')).toHaveLength(1);
    expect(fake.ok('chat.update')[0]!.body).toMatchObject({ channel: 'C0APPROVERS', ts: ref.ts });
    expect(fake.ok('chat.postMessage', (c) => c.body['thread_ts'] === ref.ts)).toHaveLength(1);
    const dm = fake.ok('chat.postMessage', (c) => c.body['channel'] === 'U0000ALICE');
    expect(dm).toHaveLength(1);
    expect(JSON.stringify(dm[0]!.body['blocks'])).toContain('safeguard creds breakglass-BreakGlassAdmin-0123456789ab');
    expect(JSON.stringify(dm[0]!.body['blocks'])).toContain('approved by <@U00000BOB>');
  });

  it('alerts the security and approvers channels with Ratify / Reject in post-hoc mode', async () => {
    const v: RequestView = { ...view, role: 'PostHocAdmin', mode: 'post-hoc', phase: 'active', approval: { ...view.approval!, kind: 'ratification' } };
    await notifier.notify(input('ratification-needed', v, { role: 'PostHocAdmin' }));
    const alerts = fake.ok('chat.postMessage', (c) => JSON.stringify(c.body['blocks']).includes('<!here>'));
    expect(alerts.map((c) => c.body['channel']).sort()).toEqual(['C00SECURITY', 'C0APPROVERS']);
    expect(JSON.stringify(alerts[0]!.body['blocks'])).toContain('bg_ratify');
  });

  it('pages without a view go to the security channel', async () => {
    await notifier.notify({ kind: 'break-glass', event: 'revocation-not-verified', subjectId: view.grantId, requester: 'alice', role: 'BreakGlassAdmin', audience: ['carol'], severity: 'page', detail: 'not verified after 3 attempts' });
    expect(fake.ok('chat.postMessage', (c) => c.body['channel'] === 'C00SECURITY')).toHaveLength(1);
  });

  it('reads a notification from a run started before the envelope existed as a break-glass one', async () => {
    const legacy = { event: 'revocation-not-verified', grantId: view.grantId, requester: 'alice', role: 'BreakGlassAdmin', approvers: ['carol'], severity: 'page' as const, detail: 'x' };
    expect(toEnvelope(legacy)).toMatchObject({ kind: 'break-glass', subjectId: view.grantId, audience: ['carol'], severity: 'page' });
    await notifier.notify(toEnvelope(legacy));
    expect(fake.ok('chat.postMessage', (c) => c.body['channel'] === 'C00SECURITY')).toHaveLength(1);
  });

  describe('runbook cards', () => {
    const rotation = (extra: Partial<RunbookNotification> = {}): RunbookNotification => ({
      kind: 'access-key-rotation',
      subjectId: 'rotation-reporting-exporter-abc',
      event: 'delete-approval-needed',
      audience: ['carol'],
      severity: 'info',
      security: ['carol'],
      channel: 'C0ROTATION',
      view: {
        title: 'x',
        target: 'reporting-exporter',
        phase: 'awaiting-delete-approval',
        startedAt: '2026-01-01T00:00:00.000Z',
        steps: [{ name: 'create new key', state: 'done', detail: 'AKIAEXAMPLE' }, { name: 'delete old key', state: 'pending' }],
        facts: [{ label: 'User', value: 'svc-reporting' }],
        rounds: [{ id: 'delete-old-key', kind: 'delete-old-key', quorum: 1, eligible: ['carol'], approvals: [], state: 'open', openedAt: 'a', deadlineAt: 'b' }],
      },
      ...extra,
    });

    it('posts a checklist card with namespaced decision buttons to the kind channel, then threads events', async () => {
      const r = await notifier.notify(rotation());
      expect(r.cardRef).toEqual({ channel: 'C0ROTATION', ts: expect.any(String) });
      const card = fake.ok('chat.postMessage', (c) => c.body['channel'] === 'C0ROTATION' && c.body['thread_ts'] === undefined)[0]!;
      const blocks = JSON.stringify(card.body['blocks']);
      expect(blocks).toContain('access-key-rotation:approve');
      expect(blocks).toContain('access-key-rotation:deny');
      expect(blocks).toContain('rotation-reporting-exporter-abc@delete-old-key');
      expect(blocks).not.toContain('bg_approve');
      expect(fake.ok('chat.postMessage', (c) => c.body['thread_ts'] === r.cardRef!.ts)).toHaveLength(1);
    });

    it('updates the card in place and pages the security channel on a page', async () => {
      const ref = { channel: 'C0ROTATION', ts: '1700000000.000002' };
      await notifier.notify(rotation({ cardRef: ref, severity: 'page', event: 'consumer-missed', detail: 'the old key was used after deactivation' }));
      expect(fake.ok('chat.update')).toHaveLength(1);
      const alert = fake.ok('chat.postMessage', (c) => c.body['channel'] === 'C00SECURITY');
      expect(alert).toHaveLength(1);
      expect(String(alert[0]!.body['text'])).toContain('<@U000CAROL>');
    });
  });

  describe('access reviewers', () => {
    const RUN = 'review-quarterly-prod-1a2b3c4d--group-leads';
    const ACCOUNT = '123456789012';
    const reviewer = (extra: Partial<ReviewerNotification> = {}): ReviewerNotification => ({
      kind: 'access-reviewer',
      subjectId: RUN,
      event: 'review-needed',
      // bob and carol have Slack ids; "nobody" is not in the policy.
      audience: ['bob', 'carol', 'nobody'],
      severity: 'info',
      security: ['carol'],
      channel: 'C0REVIEWS',
      view: reviewerView(
        reviewerStatus(
          [
            reviewItem('bob', { accountId: ACCOUNT, findings: ['console-without-mfa'], holder: 'bob', route: 'self-review-escalated' }),
            reviewItem('svc-ci', { accountId: ACCOUNT, route: 'account-group' }),
          ],
          { workflowId: RUN, reviewer: { type: 'group', id: 'leads' }, deciders: ['bob', 'carol'], mayDecide: ['bob', 'carol'], deadlineAt: '2026-12-15T00:00:00.000Z', escalateAt: '2026-12-10T00:00:00.000Z' },
        ),
      ),
      ...extra,
    });
    const dms = () => fake.ok('chat.postMessage', (c) => /^U/.test(String(c.body['channel'])));
    const blocksOf = (c: { body: Record<string, unknown> }) => JSON.stringify(c.body['blocks']);

    it('DMs the review message to each person of the audience with a Slack id, rendered for that reader', async () => {
      const r = await notifier.notify(reviewer());
      expect(r).toEqual({});
      expect(dms().map((c) => c.body['channel']).sort()).toEqual(['U00000BOB', 'U000CAROL']);
      expect(fake.ok('chat.postMessage')).toHaveLength(2);
      const bob = blocksOf(dms().find((c) => c.body['channel'] === 'U00000BOB')!);
      const carol = blocksOf(dms().find((c) => c.body['channel'] === 'U000CAROL')!);
      expect(bob).toContain('Access review: quarterly-prod');
      expect(bob).toContain('0 of 2 decided, 1 flagged');
      // bob's own access has no buttons in his copy; carol may decide it.
      expect(bob).toContain('Your own access: someone else decides it.');
      expect(bob).not.toContain(`"${RUN}|arn:aws:iam::123456789012:user/bob"`);
      expect(carol).toContain(`"${RUN}|arn:aws:iam::123456789012:user/bob"`);
      expect(carol).toContain('review:bulk:revoke-flagged');
    });

    it('on escalation DMs everyone who may decide now, saying so, and tells the review channel', async () => {
      await notifier.notify(reviewer({ event: 'escalated', audience: ['bob', 'dave'], detail: '2 item(s) undecided; security may decide them now', view: { ...reviewer().view, escalated: true, mayDecide: ['bob', 'carol', 'dave'] } }));
      expect(dms().map((c) => c.body['channel']).sort()).toEqual(['U00000BOB', 'U0000DAVE']);
      expect(blocksOf(dms().find((c) => c.body['channel'] === 'U0000DAVE')!)).toContain('Escalated to you:');
      expect(blocksOf(dms().find((c) => c.body['channel'] === 'U00000BOB')!)).toContain('Overdue: escalated.');
      const line = fake.ok('chat.postMessage', (c) => c.body['channel'] === 'C0REVIEWS');
      expect(line).toHaveLength(1);
      expect(String(line[0]!.body['text'])).toContain('is overdue: 2 of 2 undecided');
    });

    it('reminds with a short DM and nothing else', async () => {
      await notifier.notify(reviewer({ event: 'reminder' }));
      expect(dms()).toHaveLength(2);
      expect(fake.ok('chat.postMessage')).toHaveLength(2);
      expect(String(dms()[0]!.body['text'])).toContain('Reminder: 2 items in access review quarterly-prod');
      expect(blocksOf(dms()[0]!)).toContain('review:open');
    });

    it('puts the default, the end and unverified revocations in the review channel (else the audit channel); pages go to security too', async () => {
      await notifier.notify(reviewer({ event: 'finished', view: { ...reviewer().view, phase: 'ended', counts: { ...reviewer().view.counts, decided: 2, kept: 2 } } }));
      expect(fake.ok('chat.postMessage').map((c) => c.body['channel'])).toEqual(['C0REVIEWS']);
      fake.reset();
      const { channel: _channel, ...noChannel } = reviewer({ event: 'defaulted', severity: 'page', view: { ...reviewer().view, phase: 'applying', counts: { ...reviewer().view.counts, defaulted: 2 } } });
      await notifier.notify(noChannel);
      expect(fake.ok('chat.postMessage').map((c) => c.body['channel']).sort()).toEqual(['C0000AUDIT', 'C00SECURITY']);
      const alert = fake.ok('chat.postMessage', (c) => c.body['channel'] === 'C00SECURITY')[0]!;
      expect(String(alert.body['text'])).toContain(':rotating_light:');
      expect(String(alert.body['text'])).toContain('<@U000CAROL>');
      expect(dms()).toEqual([]);
    });

    it('a retried activity DMs only those it had not reached', async () => {
      const env = new MockActivityEnvironment({ activityId: 'notify-review-retry' });
      fake.failNext(1, { status: 500, methods: ['chat.postMessage'] });
      const n = reviewer({ audience: ['alice', 'bob', 'carol'] });
      await expect(env.run(() => notifier.notify(n))).rejects.toBeInstanceOf(ApplicationFailure);
      expect(fake.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(3);
      await env.run(() => notifier.notify(n));
      expect(fake.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(4);
      expect(dms().map((c) => String(c.body['channel'])).sort()).toEqual(['U0000ALICE', 'U00000BOB', 'U000CAROL'].sort());
      // A third attempt (the workflow's own retry after a lost response) sends nothing new.
      await env.run(() => notifier.notify(n));
      expect(fake.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(4);
    });
  });

  it('turns a 429 into a retryable failure with Retry-After as the next retry delay', async () => {
    fake.failNext(1, { status: 429, retryAfterSec: 7 });
    const err = await notifier.notify(input('approval-needed')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('SlackRateLimited');
    expect((err as ApplicationFailure).nextRetryDelay).toBe('7s');
    expect((err as ApplicationFailure).nonRetryable).toBe(false);
    expect(fake.calls).toHaveLength(1);
  });

  it('turns a 500 into a retryable failure without retrying by itself', async () => {
    fake.failNext(1, { status: 500 });
    const err = await notifier.notify(input('approval-needed')).catch((e: unknown) => e);
    expect((err as ApplicationFailure).type).toBe('SlackHttpError');
    expect((err as ApplicationFailure).nonRetryable).toBe(false);
    expect(fake.calls).toHaveLength(1);
  });

  it('treats permanent platform errors as non-retryable', () => {
    const f = slackFailure('chat.postMessage', Object.assign(new Error('x'), { code: 'slack_webapi_platform_error', data: { error: 'channel_not_found' } }));
    expect(f.nonRetryable).toBe(true);
    const t = slackFailure('chat.postMessage', Object.assign(new Error('x'), { code: 'slack_webapi_request_error' }));
    expect(t.nonRetryable).toBe(false);
  });
});
