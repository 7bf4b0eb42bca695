// Access reviews through Bolt in-process: signed block_actions for Keep / Revoke, the bulk choices,
// paging and Open reach an in-process fake review client as the person behind the Slack user, and
// the message is re-rendered in place from the (fake) status Query. App Home lists pending reviews
// and keeps the rest when they cannot be read.
import path from 'node:path';
import pino from 'pino';
import { SafeguardError } from '../../client/errors';
import type { RunDecision } from '../../client/review-client';
import type { ExecutionState } from '../../client/runs';
import { loadPolicyFile } from '../../config/policy';
import { freePort } from '../../sandbox/net';
import { createSlackApp } from '../../slack-app/app';
import type { SlackApp } from '../../slack-app/app';
import type { BreakGlassApi, DecisionsApi, ReviewsApi } from '../../slack-app/context';
import type { AccessReviewerStatus, DecideItemsResult } from '../../workflows/access-review/definitions';
import { FakeSlack, buttonPayload, interactionBody, sendSigned } from '../support/fake-slack';
import type { FakeSlackCall } from '../support/fake-slack';
import { reviewItem, reviewerStatus } from '../support/review-fixtures';

const SECRET = 'unit-test-signing-secret';
const policy = loadPolicyFile(path.join(__dirname, '../../examples/policy.yaml'));
const BOB = 'U00000BOB';
const DAVE = 'U0000DAVE';
const RUN = 'review-quarterly-prod-1a2b3c4d--person-bob';
const DM = 'D00000BOB';

type Status = AccessReviewerStatus & { execution: ExecutionState };

const ACCOUNT = '123456789012';
const arn = (i: number): string => `arn:aws:iam::${ACCOUNT}:user/team/u${i}`;

function status(over: Partial<AccessReviewerStatus> = {}): Status {
  // 25 items, the last 5 flagged; bob's own access is u3.
  const items = Array.from({ length: 25 }, (_, i) => reviewItem(`u${i}`, { key: arn(i), accountId: ACCOUNT, findings: i >= 20 ? ['access-key-old'] : [], ...(i === 3 ? { holder: 'bob' } : {}) }));
  return { ...reviewerStatus(items, { workflowId: RUN, defaultAction: 'report-only', ...over }), execution: { status: 'RUNNING' } };
}

/** Records every call and decides on an in-memory status the way the workflow would (minus validation). */
class FakeReviews implements ReviewsApi {
  runs = new Map<string, Status>();
  calls: Array<{ runId: string; input: Omit<RunDecision, 'round'> }> = [];
  decideError?: Error;
  pendingError?: Error;
  pendingCalls: string[] = [];

  async decideOn(runId: string, input: Omit<RunDecision, 'round'>): Promise<DecideItemsResult> {
    this.calls.push({ runId, input });
    if (this.decideError) throw this.decideError;
    const s = this.runs.get(runId)!;
    const at = '2026-12-02T00:00:00.000Z';
    let decided = 0;
    const skipped: DecideItemsResult['skipped'] = [];
    for (const it of input.items ?? []) {
      const item = s.items.find((i) => i.key === it.key)!;
      item.decision = { decision: it.decision, by: input.reviewer, at };
      decided++;
    }
    if (input.bulk) {
      const flagged = input.bulk === 'revoke-flagged';
      for (const item of s.items) {
        if (item.decision || item.findings.length > 0 !== flagged) continue;
        if (item.holder === input.reviewer) {
          skipped.push({ key: item.key, why: 'your own access' });
          continue;
        }
        item.decision = { decision: flagged ? 'revoke' : 'keep', by: input.reviewer, at, bulk: input.bulk };
        decided++;
      }
    }
    s.counts = { ...s.counts, decided: s.items.filter((i) => i.decision).length };
    return { accepted: true, decided, skipped, remaining: s.items.length - s.counts.decided };
  }

  async reviewer(runId: string): Promise<Status> {
    const s = this.runs.get(runId);
    if (!s) throw new SafeguardError('WORKFLOW_NOT_FOUND', `no Safeguard run with id ${runId}`);
    return s;
  }

  async pendingFor(person: string): Promise<Status[]> {
    this.pendingCalls.push(person);
    if (this.pendingError) throw this.pendingError;
    return [...this.runs.values()].filter((s) => s.mayDecide.includes(person));
  }
}

const breakGlass: BreakGlassApi = {
  start: async () => 'unused',
  approve: async () => {
    throw new Error('unused');
  },
  deny: async () => {
    throw new Error('unused');
  },
  revoke: async () => ({ accepted: true as const, phase: 'revoking' as const }),
  extend: async () => ({ pendingApproval: true as const, proposedEndAt: '2026-01-01T02:00:00.000Z' }),
  status: async (id: string) => {
    throw new SafeguardError('WORKFLOW_NOT_FOUND', `no break-glass request with id ${id}`);
  },
  list: async () => [],
};
const decisions: DecisionsApi = {
  approve: async () => {
    throw new Error('unused');
  },
  deny: async () => {
    throw new Error('unused');
  },
};

let fake: FakeSlack;
let app: SlackApp;
let url: string;
const reviews = new FakeReviews();

beforeAll(async () => {
  fake = new FakeSlack();
  await fake.start();
  const port = await freePort();
  app = createSlackApp({ botToken: 'xoxb-unit', signingSecret: SECRET, slackApiUrl: fake.apiUrl, port }, { policy, breakGlass, decisions, reviews, logger: pino({ level: 'silent' }) });
  await app.start();
  url = `http://127.0.0.1:${port}/slack/events`;
});

afterAll(async () => {
  await app.stop();
  await fake.stop();
});

beforeEach(() => {
  fake.reset();
  reviews.runs = new Map([[RUN, status()]]);
  reviews.calls = [];
  reviews.pendingCalls = [];
  delete reviews.decideError;
  delete reviews.pendingError;
});

/** A click on a button of bob's review DM (message `1.000001` in D00000BOB), from the block the builder gave it. */
function click(user: string, actionId: string, value: string, blockId = 'review-item:0:0:0'): string {
  const p = buttonPayload({ user, actionId, value, channel: DM, responseUrl: `${fake.url}/response/1` });
  (p['actions'] as Array<Record<string, unknown>>)[0]!['block_id'] = blockId;
  return interactionBody(p);
}

/** The same click on App Home: no channel, no message. */
function homeClick(user: string, actionId: string, value: string): string {
  const p = buttonPayload({ user, actionId, value, responseUrl: `${fake.url}/response/1` });
  delete p['channel'];
  delete p['message'];
  p['container'] = { type: 'view', view_id: 'V0HOME' };
  return interactionBody(p);
}

const text = (c: FakeSlackCall): string => JSON.stringify(c.body['blocks']) + String(c.body['text']);
const ephemeral = (has: string) => fake.waitFor(() => fake.ok('chat.postEphemeral', (c) => String(c.body['text']).includes(has))[0], 5000, `ephemeral "${has}"`);
const updated = () => fake.waitFor(() => fake.ok('chat.update')[0], 5000, 'chat.update');

describe('Keep / Revoke', () => {
  it('decides the item as the person behind the Slack user, then updates the message in place at the same page', async () => {
    const r = await sendSigned(url, click(BOB, 'review:keep', `${RUN}|${arn(12)}`, 'review-item:10:0:12'), { secret: SECRET });
    expect(r.status).toBe(200);
    const up = await updated();
    expect(reviews.calls).toEqual([{ runId: RUN, input: { reviewer: 'bob', items: [{ key: arn(12), decision: 'keep' }], via: 'slack' } }]);
    expect(up.body).toMatchObject({ channel: DM, ts: '1.000001' });
    const shown = text(up);
    expect(shown).toContain('You kept *u12*.');
    expect(shown).toContain('1 of 25 decided, 5 flagged');
    // Still the second page of what is left (24 undecided, flagged first): u15 … u24 minus none.
    expect(shown).toContain('Undecided items 11–20 of 24');
    expect(shown).not.toContain(`|${arn(12)}"`);
    expect(shown).toContain('review-item:10:1:10');
  });

  it('revokes an item whose key is a long ARN, exactly as the button carries it', async () => {
    const key = `arn:aws:iam::123456789012:user/${'p/'.repeat(250)}long`;
    reviews.runs.get(RUN)!.items.push(reviewItem('long', { key, accountId: ACCOUNT }));
    await sendSigned(url, click(BOB, 'review:revoke', `${RUN}|${key}`), { secret: SECRET });
    const up = await updated();
    expect(reviews.calls[0]!.input.items).toEqual([{ key, decision: 'revoke' }]);
    expect(text(up)).toContain('You marked *long* to be revoked');
  });

  it('tells an unknown Slack user so and decides nothing', async () => {
    const r = await sendSigned(url, click('U0STRANGER', 'review:keep', `${RUN}|${arn(1)}`), { secret: SECRET });
    expect(r.status).toBe(200);
    const eph = await ephemeral('not a person in the Safeguard policy');
    expect(eph.body['user']).toBe('U0STRANGER');
    expect(reviews.calls).toEqual([]);
    expect(fake.ok('chat.update')).toEqual([]);
  });

  it('says a reviewer cannot review their own access, from the refusal', async () => {
    reviews.decideError = new SafeguardError('REFUSED', 'you cannot review your own access (u3): someone else decides it', { refusal: 'SelfApproval' });
    await sendSigned(url, click(BOB, 'review:revoke', `${RUN}|${arn(3)}`), { secret: SECRET });
    const eph = await ephemeral('you cannot review your own access');
    expect(String(eph.body['text'])).toBe('Refused (SelfApproval): you cannot review your own access (u3): someone else decides it');
    expect(eph.body['user']).toBe(BOB);
    // The registry's label speaks of requests; a refusal without the workflow's words still names access.
    fake.reset();
    reviews.decideError = new SafeguardError('REFUSED', '', { refusal: 'OwnAccess' });
    await sendSigned(url, click(BOB, 'review:revoke', `${RUN}|${arn(3)}`), { secret: SECRET });
    expect(String((await ephemeral('Refused')).body['text'])).toBe('Refused (OwnAccess): you cannot review your own access: someone else decides it');
  });

  it('after a refusal because the review closed, shows the closed message without buttons', async () => {
    reviews.runs.set(RUN, status({ phase: 'ended' }));
    reviews.decideError = new SafeguardError('REFUSED', 'this review is no longer taking decisions', { refusal: 'NoDecisionPending' });
    await sendSigned(url, click(BOB, 'review:keep', `${RUN}|${arn(1)}`), { secret: SECRET });
    await ephemeral('Refused (NoDecisionPending): this review is no longer taking decisions');
    const up = await updated();
    expect(text(up)).toContain('This review is closed');
    expect(text(up)).not.toContain('review:keep');
  });

  it.each([
    ['a break-glass id', 'review:keep', `breakglass-BreakGlassAdmin-0123456789ab|${arn(1)}`, 'does not name an access review'],
    ['a review id without a reviewer', 'review:keep', `review-quarterly-prod-1a2b3c4d|${arn(1)}`, 'does not name an access review'],
    ['no key', 'review:keep', RUN, 'does not name an access review'],
    ['a key with control characters', 'review:keep', `${RUN}|arn\u0000x`, 'does not name a review item'],
    ['a suffixed keep', 'review:keep:all', `${RUN}|${arn(1)}`, 'does not name a review item'],
  ])('refuses a button naming %s and decides nothing', async (_what, actionId, value, says) => {
    await sendSigned(url, click(BOB, actionId, value), { secret: SECRET });
    await ephemeral(says);
    expect(reviews.calls).toEqual([]);
  });
});

describe('bulk', () => {
  it('revokes all flagged after the confirm dialog, and reports what it skipped', async () => {
    const s = reviews.runs.get(RUN)!;
    s.items[21] = { ...s.items[21]!, holder: 'bob' };
    await sendSigned(url, click(BOB, 'review:bulk:revoke-flagged', `${RUN}|revoke-flagged`, 'review-bulk:0:0'), { secret: SECRET });
    const up = await updated();
    expect(reviews.calls).toEqual([{ runId: RUN, input: { reviewer: 'bob', bulk: 'revoke-flagged', via: 'slack' } }]);
    expect(text(up)).toContain('You marked 4 flagged items to be revoked. 1 left for someone else (your own access). 21 undecided.');
    expect(text(up)).toContain('4 of 25 decided');
  });

  it('keeps all unflagged', async () => {
    await sendSigned(url, click(BOB, 'review:bulk:keep-unflagged', `${RUN}|keep-unflagged`, 'review-bulk:0:0'), { secret: SECRET });
    const up = await updated();
    expect(reviews.calls[0]!.input).toEqual({ reviewer: 'bob', bulk: 'keep-unflagged', via: 'slack' });
    expect(text(up)).toContain('You kept 19 unflagged items.');
  });

  it('refuses choices the message does not offer, or a value that disagrees with its button', async () => {
    for (const [actionId, value] of [
      ['review:bulk', `${RUN}|revoke-all`],
      ['review:bulk:keep-unflagged', `${RUN}|revoke-flagged`],
    ] as const) {
      fake.reset();
      await sendSigned(url, click(BOB, actionId, value, 'review-bulk:0:0'), { secret: SECRET });
      await ephemeral('does not name a bulk choice');
    }
    expect(reviews.calls).toEqual([]);
  });

  it('a person who is not a reviewer gets the refusal, and the message is not re-rendered for them', async () => {
    reviews.decideError = new SafeguardError('REFUSED', 'dave is not a reviewer of these items', { refusal: 'NotAnApprover' });
    await sendSigned(url, click(DAVE, 'review:bulk:keep-unflagged', `${RUN}|keep-unflagged`, 'review-bulk:0:0'), { secret: SECRET });
    await ephemeral('Refused (NotAnApprover): dave is not a reviewer of these items');
    expect(reviews.calls[0]!.input.reviewer).toBe('dave');
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.ok('chat.update')).toEqual([]);
  });
});

describe('paging and Open', () => {
  it('re-renders the next page in place from the status Query, deciding nothing', async () => {
    await sendSigned(url, click(BOB, 'review:page:next', `${RUN}|10`, 'review-page:0:0'), { secret: SECRET });
    const up = await updated();
    expect(reviews.calls).toEqual([]);
    expect(up.body).toMatchObject({ channel: DM, ts: '1.000001' });
    expect(text(up)).toContain('Undecided items 11–20 of 25');
    expect(text(up)).toContain('"action_id":"review:page:previous","value":"review-quarterly-prod-1a2b3c4d--person-bob|0"');
    expect(text(up)).toContain('"action_id":"review:page:next","value":"review-quarterly-prod-1a2b3c4d--person-bob|20"');
  });

  it('does not show a reviewer run to someone who is not its reviewer', async () => {
    await sendSigned(url, click(DAVE, 'review:page:next', `${RUN}|10`, 'review-page:0:0'), { secret: SECRET });
    await ephemeral('not one of your reviews');
    expect(fake.ok('chat.update')).toEqual([]);
  });

  it('refuses a page that is not an offset', async () => {
    await sendSigned(url, click(BOB, 'review:page:next', `${RUN}|ten`, 'review-page:0:0'), { secret: SECRET });
    await ephemeral('does not name a page');
    expect(fake.ok('chat.update')).toEqual([]);
  });

  it('Open on App Home DMs the first page of the review message', async () => {
    await sendSigned(url, homeClick(BOB, 'review:open', `${RUN}|0`), { secret: SECRET });
    const dm = await fake.waitFor(() => fake.ok('chat.postMessage')[0], 5000, 'DM');
    expect(dm.body['channel']).toBe(BOB);
    expect(text(dm)).toContain('Access review: quarterly-prod');
    expect(text(dm)).toContain('Undecided items 1–10 of 25');
    // bob's own access (u3) has no buttons in his copy.
    expect(text(dm)).not.toContain(`|${arn(3)}"`);
    expect(text(dm)).toContain('Your own access: someone else decides it.');
    expect(fake.ok('chat.update')).toEqual([]);
  });

  it('says so when the review cannot be read', async () => {
    await sendSigned(url, homeClick(BOB, 'review:open', 'review-other-review-1a2b3c4d--person-bob|0'), { secret: SECRET });
    const told = await fake.waitFor(() => fake.ok('chat.postMessage', (c) => String(c.body['text']).includes('could not be read'))[0], 5000, 'DM');
    expect(told.body['channel']).toBe(BOB);
  });
});

describe('App Home', () => {
  const open = (user: string) =>
    sendSigned(url, JSON.stringify({ type: 'event_callback', team_id: 'T0FAKE', api_app_id: 'A0SAFEGUARD', event: { type: 'app_home_opened', user, channel: 'D0X', tab: 'home', event_ts: '1.2' }, event_id: `Ev${Date.now()}`, event_time: 1 }), {
      secret: SECRET,
      contentType: 'application/json',
    });

  it('lists the reviews waiting for the person with an Open button', async () => {
    await open(BOB);
    const pub = await fake.waitFor(() => fake.ok('views.publish')[0], 5000, 'views.publish');
    const view = JSON.stringify(pub.body['view']);
    expect(reviews.pendingCalls).toEqual(['bob']);
    expect(view).toContain('Access reviews waiting for me');
    expect(view).toContain('*quarterly-prod* · 25 of 25 undecided (5 flagged)');
    expect(view).toContain('"action_id":"review:open","value":"review-quarterly-prod-1a2b3c4d--person-bob|0"');
  });

  it('shows the rest of the home when the reviews cannot be read', async () => {
    reviews.pendingError = new Error('temporal unavailable');
    await open(BOB);
    const pub = await fake.waitFor(() => fake.ok('views.publish')[0], 5000, 'views.publish');
    const view = JSON.stringify(pub.body['view']);
    expect(view).toContain('Waiting for my decision');
    expect(view).toContain('Pending reviews could not be read just now');
  });
});
