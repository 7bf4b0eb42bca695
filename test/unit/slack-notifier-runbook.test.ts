// How the Slack notifier delivers a declarative runbook's events that are not card updates: its own
// notify step (a message of its own to the step's channel and each of its people, never the card or
// its thread) and escalations (DM'd to the escalateTo people as well as paged). Other events keep
// the card-and-thread behaviour every step-by-step kind has.
import path from 'node:path';
import pino from 'pino';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createWebClient } from '../../activities/slack/client';
import { SlackNotifier } from '../../activities/slack/notifier';
import { loadPolicyFile } from '../../config/policy';
import type { RunbookNotification } from '../../workflows/shared/notifications';
import { FakeSlack } from '../support/fake-slack';

const policy = loadPolicyFile(path.join(__dirname, '../../examples/policy.yaml'));
const RUN = 'runbook-root-recovery-1a2b3c4d';
const CARD = { channel: 'C0RUNBOOKS', ts: '1700000000.000009' };
let fake: FakeSlack;
let notifier: SlackNotifier;

beforeAll(async () => {
  fake = new FakeSlack();
  await fake.start();
  notifier = new SlackNotifier(createWebClient('xoxb-unit', fake.apiUrl, 2000), policy, pino({ level: 'silent' }));
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

function runbook(extra: Partial<RunbookNotification> = {}): RunbookNotification {
  return {
    kind: 'runbook',
    subjectId: RUN,
    event: 'confirm-requested',
    audience: ['bob', 'carol'],
    severity: 'info',
    security: ['carol'],
    channel: 'C0RUNBOOKS',
    view: {
      title: 'Root account recovery',
      target: 'root-recovery',
      phase: 'mfa-retrieved',
      startedAt: '2026-12-01T00:00:00.000Z',
      steps: [{ name: '1. MFA device retrieved from the safe', state: 'running' }],
      facts: [],
      confirm: { step: 'mfa-retrieved', title: 'MFA device retrieved from the safe', needed: 2, by: [], noteRequired: true, notRequester: true },
    },
    ...extra,
  };
}

/** The notify step as the workflow sends it: the message as detail, the step's channel, its people, no card ref. */
const notifyStep = (extra: Partial<RunbookNotification> = {}): RunbookNotification =>
  runbook({ event: 'runbook-notify', detail: 'Root account recovery finished <!channel>; root has MFA and no access keys.', channel: 'C00SECURITY', audience: ['carol', 'dave'], ...extra });

const posts = () => fake.ok('chat.postMessage');
const dms = () => posts().filter((c) => /^U/.test(String(c.body['channel'])));
const text = (c: { body: Record<string, unknown> }) => String(c.body['text']);

describe('a runbook notify step', () => {
  it("posts the step's message to its channel and DMs each of its people, as messages of their own", async () => {
    const r = await notifier.notify(notifyStep());
    expect(r).toEqual({});
    expect(posts().map((c) => c.body['channel']).sort()).toEqual(['C00SECURITY', 'U000CAROL', 'U0000DAVE'].sort());
    expect(posts().every((c) => c.body['thread_ts'] === undefined)).toBe(true);
    for (const c of posts()) {
      expect(text(c)).toContain('Root account recovery finished &lt;!channel&gt;; root has MFA and no access keys.');
      expect(text(c)).toContain(RUN);
      expect(JSON.stringify(c.body)).not.toContain('<!channel>');
    }
  });

  it('updates no card, replies in no thread, and writes no audit line — even when a card ref comes along', async () => {
    await notifier.notify(notifyStep({ cardRef: CARD }));
    expect(fake.ok('chat.update')).toEqual([]);
    expect(posts().filter((c) => c.body['thread_ts'] !== undefined)).toEqual([]);
    expect(posts().filter((c) => c.body['channel'] === 'C0000AUDIT' || c.body['channel'] === CARD.channel)).toEqual([]);
  });

  it('with no channel, only DMs its people (those with a Slack id)', async () => {
    const { channel: _channel, ...noChannel } = notifyStep({ audience: ['bob', 'nobody'] });
    await notifier.notify(noChannel);
    expect(posts().map((c) => c.body['channel'])).toEqual(['U00000BOB']);
  });

  it('with no people, only posts to its channel', async () => {
    await notifier.notify(notifyStep({ audience: [] }));
    expect(posts().map((c) => c.body['channel'])).toEqual(['C00SECURITY']);
  });

  it('a retried activity sends only what it had not sent', async () => {
    const env = new MockActivityEnvironment({ activityId: 'notify-runbook-step-retry' });
    fake.failNext(1, { status: 500, methods: ['chat.postMessage'] });
    const n = notifyStep({ audience: ['alice', 'bob', 'carol'] });
    // The channel post fails; nothing after it is tried in this attempt.
    await expect(env.run(() => notifier.notify(n))).rejects.toBeInstanceOf(ApplicationFailure);
    await env.run(() => notifier.notify(n));
    await env.run(() => notifier.notify(n));
    expect(posts().map((c) => c.body['channel']).sort()).toEqual(['C00SECURITY', 'U0000ALICE', 'U00000BOB', 'U000CAROL'].sort());
  });
});

describe('a runbook escalation', () => {
  const escalated = (extra: Partial<RunbookNotification> = {}) =>
    runbook({ event: 'escalated', severity: 'page', audience: ['carol', 'dave'], detail: 'mfa-retrieved has 0 of 2 confirmations after 30m', cardRef: CARD, ...extra });

  it('pages the security channel, DMs each escalateTo person, and still updates the card and its thread', async () => {
    const r = await notifier.notify(escalated());
    expect(r.cardRef).toEqual(CARD);
    expect(fake.ok('chat.update')).toHaveLength(1);
    expect(posts().filter((c) => c.body['thread_ts'] === CARD.ts)).toHaveLength(1);
    expect(posts().filter((c) => c.body['channel'] === 'C00SECURITY')).toHaveLength(1);
    expect(dms().map((c) => c.body['channel']).sort()).toEqual(['U000CAROL', 'U0000DAVE'].sort());
    for (const dm of dms()) {
      expect(text(dm)).toContain(':rotating_light:');
      expect(text(dm)).toContain('escalated — mfa-retrieved has 0 of 2 confirmations after 30m');
      expect(text(dm)).toContain(RUN);
    }
  });

  it('a retried activity DMs nobody twice', async () => {
    const env = new MockActivityEnvironment({ activityId: 'notify-runbook-escalation-retry' });
    fake.failNext(1, { status: 500, methods: ['chat.update'] });
    await expect(env.run(() => notifier.notify(escalated()))).rejects.toBeInstanceOf(ApplicationFailure);
    await env.run(() => notifier.notify(escalated()));
    expect(dms().map((c) => c.body['channel']).sort()).toEqual(['U000CAROL', 'U0000DAVE'].sort());
    expect(fake.ok('chat.update')).toHaveLength(1);
  });

  it("other kinds' escalations and a runbook's other events DM nobody, as before", async () => {
    await notifier.notify(escalated({ kind: 'restore-drill', subjectId: 'drill-restore-patients-db-1a2b3c4d' }));
    await notifier.notify(runbook({ cardRef: CARD }));
    await notifier.notify(runbook({ event: 'approval-requested', cardRef: CARD }));
    expect(dms()).toEqual([]);
  });
});

describe("a runbook's card", () => {
  it('is posted to the runbook channel with the Confirm button, and events thread under it', async () => {
    const r = await notifier.notify(runbook());
    expect(r.cardRef).toEqual({ channel: 'C0RUNBOOKS', ts: expect.any(String) });
    const card = posts().find((c) => c.body['channel'] === 'C0RUNBOOKS' && c.body['thread_ts'] === undefined)!;
    expect(JSON.stringify(card.body['blocks'])).toContain('"action_id":"runbook:confirm"');
    expect(JSON.stringify(card.body['blocks'])).toContain(`"value":"${RUN}@mfa-retrieved@note"`);
    expect(posts().filter((c) => c.body['thread_ts'] === r.cardRef!.ts)).toHaveLength(1);
  });
});
