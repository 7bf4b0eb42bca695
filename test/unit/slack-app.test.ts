// The Bolt app in-process against the fake Slack, with the break-glass client stubbed: what Slack
// sends in, what comes back, and what reaches Temporal. The same paths with a real workflow are in
// test/integration/slack-*.test.ts.
import path from 'node:path';
import pino from 'pino';
import { SafeguardError } from '../../client/errors';
import { loadPolicyFile } from '../../config/policy';
import { freePort } from '../../sandbox/net';
import { createSlackApp } from '../../slack-app/app';
import type { SlackApp } from '../../slack-app/app';
import type { BreakGlassApi, DecisionsApi } from '../../slack-app/context';
import type { DecisionChannel } from '../../workflows/shared/approval/definitions';
import { RUNBOOK_DENY_VIEW } from '../../shared/slack-blocks/ids';
import { ACTIONS, VIEWS } from '../../shared/slack-blocks/ids';
import type { BreakGlassInput, BreakGlassStatus } from '../../workflows/break-glass/definitions';
import { FakeSlack, buttonPayload, commandBody, interactionBody, sendSigned, sign, viewSubmissionPayload } from '../support/fake-slack';

const SECRET = 'unit-test-signing-secret';
const policy = loadPolicyFile(path.join(__dirname, '../../examples/policy.yaml'));
const ALICE = 'U0000ALICE';
const BOB = 'U00000BOB';
const GRANT = 'breakglass-BreakGlassAdmin-0123456789ab';

class StubBreakGlass implements BreakGlassApi {
  started: BreakGlassInput[] = [];
  approvals: Array<{ id: string; by: string; round?: string; via?: string }> = [];
  denials: Array<{ id: string; by: string; reason: string; round?: string; via?: string }> = [];
  approveError?: Error;
  async start(input: BreakGlassInput): Promise<string> {
    this.started.push(input);
    return input.grantId;
  }
  async approve(id: string, by: string, opts: { round?: string; via?: string } = {}) {
    if (this.approveError) throw this.approveError;
    this.approvals.push({ id, by, ...opts });
    return { accepted: true as const, duplicate: false, approvals: 1, quorum: 1, phase: 'pending' as const, decided: true, round: opts.round ?? 'grant', roundKind: 'grant' as const, roundState: 'approved' as const };
  }
  async deny(id: string, by: string, reason: string, opts: { round?: string; via?: string } = {}) {
    this.denials.push({ id, by, reason, ...opts });
    const kind = opts.round === 'ratification' ? ('ratification' as const) : ('grant' as const);
    return { accepted: true as const, duplicate: false, approvals: 0, quorum: 1, phase: 'pending' as const, decided: true, round: opts.round ?? 'grant', roundKind: kind, roundState: 'denied' as const };
  }
  extensions: Array<{ id: string; by: string; byMs: number }> = [];
  async extend(id: string, by: string, byMs: number) {
    this.extensions.push({ id, by, byMs });
    return { pendingApproval: true as const, proposedEndAt: '2026-01-01T02:00:00.000Z' };
  }
  async revoke() {
    return { accepted: true as const, phase: 'revoking' as const };
  }
  async status(id: string): Promise<BreakGlassStatus> {
    throw new SafeguardError('WORKFLOW_NOT_FOUND', `no break-glass request with id ${id}`);
  }
  async list() {
    return [];
  }
}

class StubDecisions implements DecisionsApi {
  calls: Array<{ verb: string; id: string; by: string; round?: string; reason?: string; via?: string }> = [];
  async approve(id: string, by: string, opts: { round?: string; via?: DecisionChannel } = {}) {
    this.calls.push({ verb: 'approve', id, by, ...opts });
    return { accepted: true as const, duplicate: false, approvals: 1, quorum: 1, phase: 'deleting-old-key', decided: true, round: opts.round, roundKind: 'delete-old-key', roundState: 'approved' as const };
  }
  async deny(id: string, by: string, reason: string, opts: { round?: string; via?: DecisionChannel } = {}) {
    this.calls.push({ verb: 'deny', id, by, reason, ...opts });
    return { accepted: true as const, duplicate: false, approvals: 0, quorum: 1, phase: 'ended', decided: true, round: opts.round, roundKind: 'delete-old-key', roundState: 'denied' as const };
  }
}

let fake: FakeSlack;
let app: SlackApp;
const decisions = new StubDecisions();
let stub: StubBreakGlass;
let url: string;
const responseUrl = () => `${fake.url}/response/1`;

beforeAll(async () => {
  fake = new FakeSlack();
  await fake.start();
  stub = new StubBreakGlass();
  const port = await freePort();
  app = createSlackApp({ botToken: 'xoxb-unit', signingSecret: SECRET, slackApiUrl: fake.apiUrl, port }, { policy, breakGlass: stub, decisions, logger: pino({ level: 'silent' }) });
  await app.start();
  url = `http://127.0.0.1:${port}/slack/events`;
});

afterAll(async () => {
  await app.stop();
  await fake.stop();
});

beforeEach(() => {
  fake.reset();
  stub.started = [];
  stub.approvals = [];
  stub.denials = [];
  delete stub.approveError;
  decisions.calls = [];
});

const command = (user: string, text: string, extra: Partial<Parameters<typeof commandBody>[0]> = {}) => commandBody({ user, text, responseUrl: responseUrl(), ...extra });

describe('request authenticity', () => {
  it('refuses a bad signature with 401 and starts nothing', async () => {
    const body = command(ALICE, 'BreakGlassAdmin 30m orders database is down');
    const r = await sendSigned(url, body, { secret: SECRET, signature: sign('wrong-secret', Math.floor(Date.now() / 1000), body) });
    expect(r.status).toBe(401);
    expect(stub.started).toHaveLength(0);
  });

  it('refuses a correctly signed request older than 5 minutes with 401', async () => {
    const body = command(ALICE, 'BreakGlassAdmin 30m orders database is down');
    const r = await sendSigned(url, body, { secret: SECRET, ts: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(r.status).toBe(401);
    expect(stub.started).toHaveLength(0);
  });

  it('refuses a correctly signed request dated more than 5 minutes ahead with 401 and starts nothing', async () => {
    const body = command(ALICE, 'BreakGlassAdmin 30m orders database is down');
    const r = await sendSigned(url, body, { secret: SECRET, ts: Math.floor(Date.now() / 1000) + 6 * 60 });
    expect(r.status).toBe(401);
    expect(stub.started).toHaveLength(0);
    // Far ahead too (a replay window that would otherwise stay open for a day).
    expect((await sendSigned(url, body, { secret: SECRET, ts: Math.floor(Date.now() / 1000) + 24 * 3600 })).status).toBe(401);
    expect(stub.started).toHaveLength(0);
  });

  it('accepts a correctly signed request within the allowed skew ahead (4 minutes)', async () => {
    const r = await sendSigned(url, command(ALICE, 'help'), { secret: SECRET, ts: Math.floor(Date.now() / 1000) + 4 * 60 });
    expect(r.status).toBe(200);
  });

  it('refuses a missing signature with 401', async () => {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: command(ALICE, 'help') });
    expect(r.status).toBe(401);
  });
});

describe('/breakglass', () => {
  it('tells an unknown Slack user so, and starts nothing', async () => {
    const r = await sendSigned(url, command('U0STRANGER', 'BreakGlassAdmin 30m orders database is down'), { secret: SECRET });
    expect(r.status).toBe(200);
    expect(r.body).toContain('not a person in the Safeguard policy');
    expect(stub.started).toHaveLength(0);
  });

  it('starts a one-line request after acking, and a retry of it maps to the same workflow id', async () => {
    const body = command(ALICE, 'BreakGlassAdmin 30m orders database is refusing connections');
    const first = await sendSigned(url, body, { secret: SECRET });
    expect(first.status).toBe(200);
    const retry = await sendSigned(url, body, { secret: SECRET, retryNum: 1 });
    expect(retry.status).toBe(200);
    await fake.waitFor(() => fake.ok('response_url').length >= 2, 5000, 'two responses');
    expect(stub.started).toHaveLength(2);
    expect(stub.started[0]!.grantId).toBe(stub.started[1]!.grantId);
    expect(stub.started[0]).toMatchObject({ requester: 'alice', durationMs: 30 * 60_000, via: 'slack', role: { name: 'BreakGlassAdmin' } });
  });

  it.each([
    ['BreakGlassAdmin 30m short', 'at least 10 characters'],
    ['BreakGlassAdmin 5h orders database is down', 'maximum'],
    ['PostHocAdmin 30m orders database is down', 'requires a ticket'],
    ['BreakGlassReadOnly 1h orders database is down <!channel>', undefined],
    ['NoSuchRole 1h orders database is down', 'unknown role'],
  ])('answers %j in the ack', async (text, message) => {
    const r = await sendSigned(url, command(message === undefined ? BOB : ALICE, text), { secret: SECRET });
    expect(r.status).toBe(200);
    if (message) {
      expect(r.body).toContain(message);
      expect(stub.started).toHaveLength(0);
    } else {
      // bob may request the read-only role; his reason is stored as typed and escaped when shown.
      await fake.waitFor(() => stub.started.length === 1 && fake.ok('response_url').length > 0, 5000, 'start');
      expect(stub.started[0]!.reason).toContain('<!channel>');
    }
  });

  it('refuses oversized command text cleanly', async () => {
    const r = await sendSigned(url, command(ALICE, `BreakGlassAdmin 30m ${'x'.repeat(20_000)}`), { secret: SECRET });
    expect(r.status).toBe(200);
    expect(r.body).toContain('too long');
    expect(stub.started).toHaveLength(0);
  });

  it('opens the modal with only requestable roles', async () => {
    const r = await sendSigned(url, command(BOB, ''), { secret: SECRET });
    expect(r.status).toBe(200);
    const open = await fake.waitFor(() => fake.ok('views.open')[0], 5000, 'views.open');
    const view = JSON.stringify(open.body['view']);
    expect(view).toContain('BreakGlassReadOnly');
    expect(view).not.toContain('PostHocAdmin');
  });

  it('answers help in the ack', async () => {
    const r = await sendSigned(url, command(ALICE, 'help'), { secret: SECRET });
    expect(r.body).toContain('/breakglass status');
  });
});

describe('request modal submission', () => {
  const values = (reason: string, role = 'BreakGlassAdmin', duration = '30m', ticket = '') => ({
    role: { role: { type: 'static_select', selected_option: { value: role, text: { type: 'plain_text', text: role } } } },
    duration: { duration: { type: 'plain_text_input', value: duration } },
    reason: { reason: { type: 'plain_text_input', value: reason } },
    ticket: { ticket: { type: 'plain_text_input', value: ticket || null } },
  });

  it('shows validation errors inline and starts nothing', async () => {
    const r = await sendSigned(url, interactionBody(viewSubmissionPayload({ user: ALICE, viewId: 'V0001', callbackId: VIEWS.request, values: values('short') })), { secret: SECRET });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body) as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe('errors');
    expect(body.errors['reason']).toContain('at least 10 characters');
    const r2 = await sendSigned(url, interactionBody(viewSubmissionPayload({ user: ALICE, viewId: 'V0001', callbackId: VIEWS.request, values: values('orders database is down', 'PostHocAdmin') })), { secret: SECRET });
    expect((JSON.parse(r2.body) as { errors: Record<string, string> }).errors['ticket']).toContain('ticket');
    expect(stub.started).toHaveLength(0);
  });

  it('refuses a reason that holds a secret, on the reason field, and starts nothing', async () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const r = await sendSigned(url, interactionBody(viewSubmissionPayload({ user: ALICE, viewId: 'V0007', callbackId: VIEWS.request, values: values(`orders db down, key ${secret}`) })), { secret: SECRET });
    const body = JSON.parse(r.body) as { response_action: string; errors: Record<string, string> };
    expect(body.errors['reason']).toContain('looks like it contains a secret');
    expect(r.body).not.toContain(secret);
    expect(stub.started).toHaveLength(0);
  });

  it('starts one workflow id per view however often it is submitted', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await sendSigned(url, interactionBody(viewSubmissionPayload({ user: ALICE, viewId: 'V0002', callbackId: VIEWS.request, values: values('orders database is refusing connections') })), { secret: SECRET });
      expect(r.status).toBe(200);
    }
    await fake.waitFor(() => stub.started.length === 2 && fake.ok('chat.postMessage').length === 2, 5000, 'starts');
    expect(new Set(stub.started.map((s) => s.grantId)).size).toBe(1);
    expect(fake.ok('chat.postMessage')[0]!.body['channel']).toBe(ALICE);
  });
});

describe('buttons', () => {
  const click = (user: string, actionId: string, value = `${GRANT}@grant`) => interactionBody(buttonPayload({ user, actionId, value, responseUrl: responseUrl() }));

  it('sends an approval of the round the button names, as the person behind the Slack user', async () => {
    await sendSigned(url, click(BOB, ACTIONS.approve), { secret: SECRET });
    const eph = await fake.waitFor(() => fake.ok('chat.postEphemeral')[0], 5000, 'ephemeral');
    expect(stub.approvals).toEqual([{ id: GRANT, by: 'bob', round: 'grant', via: 'slack' }]);
    // The reply is written from the Update's result.
    expect(String(eph.body['text'])).toContain('completes the quorum');
  });

  it('refuses a decision button that does not name its round (a card from before rounds were named)', async () => {
    await sendSigned(url, click(BOB, ACTIONS.approve, GRANT), { secret: SECRET });
    await fake.waitFor(() => fake.ok('chat.postEphemeral', (c) => String(c.body['text']).includes('out of date'))[0], 5000, 'ephemeral');
    expect(stub.approvals).toHaveLength(0);
  });

  it('refuses a button naming a malformed round', async () => {
    await sendSigned(url, click(BOB, ACTIONS.approve, `${GRANT}@everything`), { secret: SECRET });
    await fake.waitFor(() => fake.ok('chat.postEphemeral', (c) => String(c.body['text']).includes('does not name a break-glass request'))[0], 5000, 'ephemeral');
    expect(stub.approvals).toHaveLength(0);
  });

  it('rejecting a post-hoc grant says access is being revoked, from the result', async () => {
    await sendSigned(url, click(BOB, ACTIONS.reject, `${GRANT}@ratification`), { secret: SECRET });
    const open = await fake.waitFor(() => fake.ok('views.open')[0], 5000, 'views.open');
    const view = open.body['view'] as { private_metadata: string };
    expect(JSON.parse(view.private_metadata)).toMatchObject({ grantId: GRANT, round: 'ratification', kind: 'reject' });
    const sub = viewSubmissionPayload({ user: BOB, viewId: 'V0009', callbackId: VIEWS.deny, privateMetadata: view.private_metadata, values: { reason: { reason: { type: 'plain_text_input', value: 'no incident on record' } } } });
    await sendSigned(url, interactionBody(sub), { secret: SECRET });
    const eph = await fake.waitFor(() => fake.ok('chat.postEphemeral')[0], 5000, 'ephemeral');
    expect(stub.denials[0]).toEqual({ id: GRANT, by: 'bob', reason: 'no incident on record', round: 'ratification', via: 'slack' });
    expect(String(eph.body['text'])).toContain('access is being revoked');
  });

  it('turns a refusal into an ephemeral message saying why', async () => {
    stub.approveError = new SafeguardError('REFUSED', 'the requester cannot approve their own request', { refusal: 'SelfApproval' });
    const r = await sendSigned(url, click(ALICE, ACTIONS.approve), { secret: SECRET });
    expect(r.status).toBe(200);
    const eph = await fake.waitFor(() => fake.ok('chat.postEphemeral')[0], 5000, 'ephemeral');
    expect(eph.body['user']).toBe(ALICE);
    expect(String(eph.body['text'])).toContain('SelfApproval');
  });

  it('opens the deny modal and denies with the reason on submission', async () => {
    await sendSigned(url, click(BOB, ACTIONS.deny), { secret: SECRET });
    const open = await fake.waitFor(() => fake.ok('views.open')[0], 5000, 'views.open');
    const view = open.body['view'] as { private_metadata: string; callback_id: string };
    expect(view.callback_id).toBe(VIEWS.deny);
    const sub = viewSubmissionPayload({ user: BOB, viewId: 'V0003', callbackId: VIEWS.deny, privateMetadata: view.private_metadata, values: { reason: { reason: { type: 'plain_text_input', value: 'not an incident' } } } });
    const r = await sendSigned(url, interactionBody(sub), { secret: SECRET });
    expect(r.status).toBe(200);
    await fake.waitFor(() => stub.denials.length === 1 && fake.ok('chat.postEphemeral').length === 1, 5000, 'deny');
    expect(stub.denials[0]).toEqual({ id: GRANT, by: 'bob', reason: 'not an incident', round: 'grant', via: 'slack' });
  });

  it('answers an unknown action id with an ephemeral note and changes nothing', async () => {
    const r = await sendSigned(url, click(BOB, 'bg_drop_tables'), { secret: SECRET });
    expect(r.status).toBe(200);
    await fake.waitFor(() => fake.ok('chat.postEphemeral', (c) => String(c.body['text']).includes('not one Safeguard knows'))[0], 5000, 'ephemeral');
    expect(stub.approvals).toHaveLength(0);
  });

  it('refuses a button whose value is not a request id', async () => {
    await sendSigned(url, click(BOB, ACTIONS.approve, '../../x'), { secret: SECRET });
    await fake.waitFor(() => fake.ok('chat.postEphemeral', (c) => String(c.body['text']).includes('does not name a break-glass request'))[0], 5000, 'ephemeral');
    expect(stub.approvals).toHaveLength(0);
  });

  it('answers malformed JSON payloads with 400', async () => {
    const r = await sendSigned(url, 'payload=%7Bnot-json', { secret: SECRET });
    expect(r.status).toBe(400);
  });

  it('answers a payload of no known type with a clean 4xx', async () => {
    const r = await sendSigned(url, interactionBody({ hello: 'world' }), { secret: SECRET });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
  });

  it('survives oversized fields in a payload', async () => {
    const r = await sendSigned(url, interactionBody(buttonPayload({ user: BOB, actionId: ACTIONS.approve, value: 'x'.repeat(100_000), responseUrl: responseUrl() })), { secret: SECRET });
    expect(r.status).toBe(200);
    expect(stub.approvals).toHaveLength(0);
  });
});

describe('extend', () => {
  it('opens the extend modal from the DM button and sends the Update with the parsed duration', async () => {
    await sendSigned(url, interactionBody(buttonPayload({ user: ALICE, actionId: ACTIONS.extend, value: GRANT, channel: 'D0ALICE', responseUrl: responseUrl() })), { secret: SECRET });
    const open = await fake.waitFor(() => fake.ok('views.open')[0], 5000, 'views.open');
    const view = open.body['view'] as { private_metadata: string; callback_id: string };
    expect(view.callback_id).toBe(VIEWS.extend);
    const submit = (duration: string) =>
      sendSigned(url, interactionBody(viewSubmissionPayload({ user: ALICE, viewId: 'V0004', callbackId: VIEWS.extend, privateMetadata: view.private_metadata, values: { duration: { duration: { type: 'plain_text_input', value: duration } }, reason: { reason: { type: 'plain_text_input', value: null } } } })), { secret: SECRET });
    const bad = await submit('soon');
    expect((JSON.parse(bad.body) as { errors: Record<string, string> }).errors['duration']).toBeDefined();
    expect(stub.extensions).toHaveLength(0);
    const ok = await submit('30m');
    expect(ok.status).toBe(200);
    await fake.waitFor(() => stub.extensions.length === 1, 5000, 'extend');
    expect(stub.extensions[0]).toEqual({ id: GRANT, by: 'alice', byMs: 30 * 60_000 });
  });
});

describe('App Home', () => {
  it('publishes the home view when opened', async () => {
    const event = JSON.stringify({ type: 'event_callback', team_id: 'T0FAKE', api_app_id: 'A0SAFEGUARD', event: { type: 'app_home_opened', user: BOB, channel: 'D0BOB', tab: 'home', event_ts: '1.2' }, event_id: 'Ev1', event_time: 1 });
    const r = await sendSigned(url, event, { secret: SECRET, contentType: 'application/json' });
    expect(r.status).toBe(200);
    const pub = await fake.waitFor(() => fake.ok('views.publish')[0], 5000, 'views.publish');
    expect(pub.body['user_id']).toBe(BOB);
    expect(JSON.stringify(pub.body['view'])).toContain('Waiting for my decision');
  });
});

describe('runbook decision buttons', () => {
  const RUN = 'rotate-key-legacy-etl-0123abcd';
  const click = (user: string, actionId: string, value: string) => interactionBody(buttonPayload({ user, actionId, value, responseUrl: responseUrl() }));

  it('approves the round the button names through the shared decision Update', async () => {
    await sendSigned(url, click(BOB, 'access-key-rotation:approve', `${RUN}@delete-old-key`), { secret: SECRET });
    const eph = await fake.waitFor(() => fake.ok('chat.postEphemeral')[0], 5000, 'ephemeral');
    expect(decisions.calls).toEqual([{ verb: 'approve', id: RUN, by: 'bob', round: 'delete-old-key', via: 'slack' }]);
    expect(String(eph.body['text'])).toContain('`delete-old-key` is approved');
  });

  it('denies with a reason from the modal', async () => {
    await sendSigned(url, click(BOB, 'access-key-rotation:deny', `${RUN}@delete-old-key`), { secret: SECRET });
    const open = await fake.waitFor(() => fake.ok('views.open')[0], 5000, 'views.open');
    const view = open.body['view'] as { private_metadata: string; callback_id: string };
    expect(view.callback_id).toBe(RUNBOOK_DENY_VIEW);
    const sub = viewSubmissionPayload({ user: BOB, viewId: 'V0010', callbackId: RUNBOOK_DENY_VIEW, privateMetadata: view.private_metadata, values: { reason: { reason: { type: 'plain_text_input', value: 'a consumer still needs it' } } } });
    await sendSigned(url, interactionBody(sub), { secret: SECRET });
    await fake.waitFor(() => fake.ok('chat.postEphemeral')[0], 5000, 'ephemeral');
    expect(decisions.calls).toEqual([{ verb: 'deny', id: RUN, by: 'bob', reason: 'a consumer still needs it', round: 'delete-old-key', via: 'slack' }]);
  });

  it('refuses a button whose kind and run id disagree, or that names a break-glass request', async () => {
    for (const [actionId, value] of [['kms-rotation:approve', `${RUN}@delete-old-key`], ['access-key-rotation:approve', `${GRANT}@grant`], ['access-key-rotation:approve', `${RUN}@Bad Round`]] as const) {
      fake.reset();
      await sendSigned(url, click(BOB, actionId, value), { secret: SECRET });
      await fake.waitFor(() => fake.ok('chat.postEphemeral', (c) => String(c.body['text']).includes('does not name a Safeguard run'))[0], 5000, 'ephemeral');
    }
    expect(decisions.calls).toEqual([]);
    expect(stub.approvals).toEqual([]);
  });

  it.each([
    ['a break-glass id', { workflowId: GRANT, round: 'grant' }],
    ['a malformed run id', { workflowId: 'rotate-key-../../x', round: 'delete-old-key' }],
    ['a malformed round', { workflowId: RUN, round: 'Delete Old' }],
    ['no metadata at all', 'not json'],
  ])('the deny modal refuses forged metadata (%s) and decides nothing', async (_what, meta) => {
    const sub = viewSubmissionPayload({ user: BOB, viewId: 'V0011', callbackId: RUNBOOK_DENY_VIEW, privateMetadata: typeof meta === 'string' ? meta : JSON.stringify(meta), values: { reason: { reason: { type: 'plain_text_input', value: 'a consumer still needs it' } } } });
    const r = await sendSigned(url, interactionBody(sub), { secret: SECRET });
    expect(r.status).toBe(200);
    expect(r.body).toContain('This form could not be read; nothing was changed.');
    expect(decisions.calls).toEqual([]);
  });
});
