// The Slack app end to end: Bolt in-process receiving correctly signed requests, a worker process of
// its own whose notifier talks to the fake Slack, the real workflow on the test stack's Temporal and
// AWS sandbox. Assertions are on the calls the fake Slack recorded and on workflow state.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pino from 'pino';
import { Client, Connection } from '@temporalio/client';
import { BreakGlassClient } from '../../client/break-glass-client';
import { buildBreakGlassInput } from '../../client/request';
import { dataConverterWithCodec, loadKeyFile } from '../../codec';
import { loadPolicyFile } from '../../config/policy';
import type { Policy } from '../../config/policy/types';
import { spawnWorker } from '../../dev/stack';
import type { StackInfo, WorkerProcess } from '../../dev/stack';
import { freePort } from '../../sandbox/net';
import { createSlackApp } from '../../slack-app/app';
import type { SlackApp } from '../../slack-app/app';
import { ACTIONS, VIEWS } from '../../shared/slack-blocks/ids';
import { commandShortId, viewShortId } from '../../slack-app/ids';
import { breakGlassWorkflowId } from '../../workflows/break-glass/definitions';
import type { BreakGlassStatus, Phase } from '../../workflows/break-glass/definitions';
import { FakeSlack, buttonPayload, commandBody, interactionBody, sendSigned, triggerId, viewSubmissionPayload } from '../support/fake-slack';
import type { FakeSlackCall } from '../support/fake-slack';
import { scanForSecrets } from '../support/secret-scan';
import { testStack } from '../support/stack';
import { DecisionsClient } from '../../client/decisions-client';

const SECRET = 'integration-signing-secret';
const ALICE = 'U0000ALICE';
const BOB = 'U00000BOB';
const CAROL = 'U000CAROL';
const DAVE = 'U0000DAVE';
const APPROVERS = 'C0APPROVERS';
const REASON = 'orders database is refusing connections; need to restart it';

let info: StackInfo;
let policy: Policy;
let fake: FakeSlack;
let worker: WorkerProcess;
let connection: Connection;
let breakGlass: BreakGlassClient;
let app: SlackApp;
let url: string;
let taskQueue: string;

beforeAll(async () => {
  info = testStack();
  policy = loadPolicyFile(info.policyFile);
  fake = new FakeSlack();
  await fake.start();
  taskQueue = `slack-it-${randomBytes(4).toString('hex')}`;
  worker = await spawnWorker(info, path.join(info.dataDir, `it-worker-${taskQueue}.log`), {
    taskQueue,
    env: { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: fake.apiUrl, SAFEGUARD_POLICY: info.policyFile, SAFEGUARD_RECONCILE_INTERVAL: 'off' },
  });
  connection = await Connection.connect({ address: info.temporalAddress });
  const temporal = new Client({ connection, namespace: info.namespace, dataConverter: dataConverterWithCodec(loadKeyFile(info.codecKeyFile)) });
  breakGlass = new BreakGlassClient(temporal, taskQueue);
  const port = await freePort();
  app = createSlackApp({ botToken: 'xoxb-test', signingSecret: SECRET, slackApiUrl: fake.apiUrl, port }, { policy, breakGlass, decisions: new DecisionsClient(temporal), logger: pino({ level: 'silent' }) });
  await app.start();
  url = `http://127.0.0.1:${port}/slack/events`;
});

afterAll(async () => {
  await app?.stop();
  await worker?.stop();
  await connection?.close();
  await fake?.stop();
});

const responseUrl = () => `${fake.url}/response/${randomBytes(3).toString('hex')}`;
const blocksOf = (c: FakeSlackCall): string => JSON.stringify(c.body['blocks'] ?? '') + String(c.body['text'] ?? '');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitPhase(id: string, phase: Phase, timeoutMs = 60_000): Promise<BreakGlassStatus> {
  const order: Phase[] = ['pending', 'active', 'revoking', 'ended'];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await breakGlass.status(id);
    if (order.indexOf(st.phase) >= order.indexOf(phase)) return st;
    if (Date.now() > deadline) throw new Error(`${id} still ${st.phase}`);
    await sleep(200);
  }
}

/** The approval card for a request: the top-level post in the approvers channel naming it. */
function cardFor(id: string): FakeSlackCall | undefined {
  return fake.ok('chat.postMessage', (c) => c.body['channel'] === APPROVERS && c.body['thread_ts'] === undefined && blocksOf(c).includes(id) && blocksOf(c).includes('Break-glass'))[0];
}

async function oneLine(user: string, text: string, trigger = triggerId()): Promise<string> {
  const body = commandBody({ user, text, responseUrl: responseUrl(), trigger });
  const r = await sendSigned(url, body, { secret: SECRET });
  expect(r.status).toBe(200);
  const role = text.split(' ')[0]!;
  return breakGlassWorkflowId(role, commandShortId({ team_id: 'T0FAKE', user_id: user, text, trigger_id: trigger }));
}

/** A click on a decision button: its value names the request and the round (`<id>@<round>`). */
async function click(user: string, actionId: string, id: string, round = actionId === ACTIONS.ratify || actionId === ACTIONS.reject ? 'ratification' : 'grant'): Promise<void> {
  const r = await sendSigned(url, interactionBody(buttonPayload({ user, actionId, value: `${id}@${round}`, channel: APPROVERS, responseUrl: responseUrl() })), { secret: SECRET });
  expect(r.status).toBe(200);
}

const ephemeralTo = (user: string, text: string) => fake.ok('chat.postEphemeral', (c) => c.body['user'] === user && String(c.body['text']).includes(text));

describe('Slack app, end to end', () => {
  it('command → modal → submission → card → approve → requester DM → expiry → revoked messages', async () => {
    const opened = await sendSigned(url, commandBody({ user: ALICE, text: '', responseUrl: responseUrl() }), { secret: SECRET });
    expect(opened.status).toBe(200);
    const modal = await fake.waitFor(() => fake.ok('views.open', (c) => JSON.stringify(c.body['view']).includes(VIEWS.request))[0], 10_000, 'modal');
    expect(JSON.stringify(modal.body['view'])).toContain('BreakGlassAdmin');

    const viewId = `V${randomBytes(5).toString('hex').toUpperCase()}`;
    const values = {
      role: { role: { type: 'static_select', selected_option: { value: 'BreakGlassAdmin' } } },
      duration: { duration: { type: 'plain_text_input', value: '15s' } },
      reason: { reason: { type: 'plain_text_input', value: `${REASON} <!channel>` } },
      ticket: { ticket: { type: 'plain_text_input', value: 'INC-7' } },
    };
    const submitted = await sendSigned(url, interactionBody(viewSubmissionPayload({ user: ALICE, viewId, callbackId: VIEWS.request, values })), { secret: SECRET });
    expect(submitted.status).toBe(200);
    expect(submitted.body).toBe('');
    const id = breakGlassWorkflowId('BreakGlassAdmin', viewShortId('T0FAKE', viewId));

    // The submitter is told where to follow it; the approvers get the card.
    await fake.waitFor(() => fake.ok('chat.postMessage', (c) => c.body['channel'] === ALICE && blocksOf(c).includes(id))[0], 20_000, 'submitter DM');
    const card = await fake.waitFor(() => cardFor(id), 20_000, 'approval card');
    const cardText = blocksOf(card);
    expect(cardText).toContain('<@U0000ALICE>');
    expect(cardText).toContain('INC-7');
    expect(cardText).toContain('0 of 1 approval');
    expect(cardText).toContain('bg_approve');
    expect(cardText).not.toContain('<!channel>');

    await click(BOB, ACTIONS.approve, id);
    // The reply is written from the workflow's answer: bob's approval completed the quorum.
    await fake.waitFor(() => ephemeralTo(BOB, 'completes the quorum')[0], 20_000, 'approval ack to bob');

    // Granted: the card is re-rendered in place, the requester is told by DM how to get credentials.
    const dm = await fake.waitFor(() => fake.ok('chat.postMessage', (c) => c.body['channel'] === ALICE && blocksOf(c).includes(`safeguard creds ${id}`))[0], 30_000, 'granted DM');
    expect(blocksOf(dm)).toContain('approved by <@U00000BOB>');
    const updates = () => fake.ok('chat.update', (c) => c.body['channel'] === APPROVERS && blocksOf(c).includes(id));
    await fake.waitFor(() => updates().some((c) => blocksOf(c).includes('Active')), 20_000, 'card shows active');

    // Expiry after ~15 s, then revocation with a receipt.
    const receipt = await fake.waitFor(() => fake.ok('chat.postMessage', (c) => c.body['channel'] === ALICE && blocksOf(c).includes('Revocation receipt'))[0], 60_000, 'revocation receipt DM');
    expect(blocksOf(receipt)).toContain('verified');
    await fake.waitFor(() => updates().some((c) => blocksOf(c).includes('access revoked')), 20_000, 'card shows ended');
    const cardRef = fake.ok('chat.update', (c) => blocksOf(c).includes(id))[0]!;
    const threadTexts = () => fake.ok('chat.postMessage', (c) => c.body['thread_ts'] === cardRef.body['ts']).map((c) => String(c.body['text']));
    await fake.waitFor(() => threadTexts().some((t) => t.endsWith(': ended')), 20_000, 'ended thread reply');
    expect(threadTexts()).toEqual(expect.arrayContaining([expect.stringContaining('access granted'), expect.stringContaining('ended')]));
    // One card per request: every later event updated it.
    expect(fake.ok('chat.postMessage', (c) => c.body['channel'] === APPROVERS && c.body['thread_ts'] === undefined && blocksOf(c).includes(id) && blocksOf(c).includes('Break-glass'))).toHaveLength(1);
    // The audit channel has a line per state change.
    const audit = fake.ok('chat.postMessage', (c) => c.body['channel'] === 'C0000AUDIT' && String(c.body['text']).includes(id)).map((c) => String(c.body['text']));
    for (const e of ['approval-needed', 'granted', 'ended']) expect(audit.some((t) => t.includes(` ${e} `))).toBe(true);

    const st = await waitPhase(id, 'ended');
    expect(st.outcome).toBe('revoked');
    expect(st.endReason).toBe('expired');
  });

  it('refuses self-approval and non-approvers with an ephemeral message and changes nothing', async () => {
    const id = await oneLine(ALICE, `BreakGlassReadOnly 30m ${REASON}`);
    await fake.waitFor(() => cardFor(id), 20_000, 'card');
    await click(ALICE, ACTIONS.approve, id);
    await fake.waitFor(() => ephemeralTo(ALICE, 'SelfApproval')[0], 20_000, 'self-approval refusal');
    await click(DAVE, ACTIONS.approve, id);
    await fake.waitFor(() => ephemeralTo(DAVE, 'NotAnApprover')[0], 20_000, 'non-approver refusal');
    const st = await breakGlass.status(id);
    expect(st.phase).toBe('pending');
    expect(st.approval?.approvals).toEqual([]);

    // Bob's App Home lists it as waiting for his decision.
    const event = JSON.stringify({ type: 'event_callback', team_id: 'T0FAKE', api_app_id: 'A0SAFEGUARD', event: { type: 'app_home_opened', user: BOB, channel: 'D0BOB', tab: 'home', event_ts: '1.2' }, event_id: `Ev${Date.now()}`, event_time: 1 });
    expect((await sendSigned(url, event, { secret: SECRET, contentType: 'application/json' })).status).toBe(200);
    const home = await fake.waitFor(() => fake.ok('views.publish', (c) => c.body['user_id'] === BOB && JSON.stringify(c.body['view']).includes(id))[0], 20_000, 'home view');
    expect(JSON.stringify(home.body['view'])).toContain('Waiting for my decision');
    await breakGlass.deny(id, 'bob', 'test cleanup');
  });

  it('two approvers clicking at once with quorum 1 produce one outcome', async () => {
    const id = await oneLine(DAVE, `BreakGlassAdmin 20s ${REASON}`);
    await fake.waitFor(() => cardFor(id), 20_000, 'card');
    const toDeciders = () => fake.ok('chat.postEphemeral', (c) => c.body['user'] === BOB || c.body['user'] === CAROL);
    const before = toDeciders().length;
    await Promise.all([click(BOB, ACTIONS.approve, id), click(CAROL, ACTIONS.approve, id)]);
    await fake.waitFor(() => toDeciders().length >= before + 2, 20_000, 'both told');
    // One was recorded; the other (if it came second) was told the request is already decided.
    const told = toDeciders().slice(before).map((c) => String(c.body['text']));
    expect(told.filter((t) => t.includes('completes the quorum')).length).toBeGreaterThanOrEqual(1);
    const st = await waitPhase(id, 'active');
    expect(st.approval?.state).toBe('approved');
    expect(st.approval?.approvals).toHaveLength(1);
    await fake.waitFor(() => fake.ok('chat.postMessage', (c) => c.body['channel'] === 'U0000DAVE' && blocksOf(c).includes(`safeguard creds ${id}`))[0], 20_000, 'granted DM');
    await breakGlass.revoke(id, 'bob', 'test cleanup');
    await waitPhase(id, 'ended');
    expect(fake.ok('chat.postMessage', (c) => c.body['channel'] === 'U0000DAVE' && blocksOf(c).includes(`safeguard creds ${id}`))).toHaveLength(1);
  });

  it('post-hoc step-up role: granted at once, loud alert, a Slack click cannot ratify (Slack says how), the CLI can', async () => {
    const id = await oneLine(DAVE, `PostHocAdmin 30s ${REASON} --ticket INC-9`);
    await fake.waitFor(() => fake.ok('chat.postMessage', (c) => c.body['channel'] === DAVE && blocksOf(c).includes(`safeguard creds ${id}`))[0], 20_000, 'granted DM');
    const alerts = await fake.waitFor(() => {
      const a = fake.ok('chat.postMessage', (c) => blocksOf(c).includes(id) && blocksOf(c).includes('<!here>') && blocksOf(c).includes(ACTIONS.ratify));
      return a.length >= 2 ? a : undefined;
    }, 20_000, 'ratification alerts');
    expect(alerts.map((c) => c.body['channel']).sort()).toEqual(['C00SECURITY', APPROVERS]);
    // The card itself offers no decision buttons for a step-up role: it says how to decide.
    const card = await fake.waitFor(() => fake.ok('chat.update', (c) => blocksOf(c).includes(id) && blocksOf(c).includes('needs step-up'))[0], 20_000, 'step-up card');
    expect(blocksOf(card)).not.toContain(ACTIONS.ratify);
    // A click on the alert's Ratify is refused, with what to do instead.
    await click(CAROL, ACTIONS.ratify, id);
    const refusal = await fake.waitFor(() => fake.ok('chat.postEphemeral', (c) => c.body['user'] === CAROL && String(c.body['text']).includes(id))[0], 20_000, 'ratify refusal');
    expect(String(refusal.body['text'])).toContain('StepUpRequired');
    expect(String(refusal.body['text'])).toContain('safeguard breakglass approve');
    expect((await breakGlass.status(id)).approval?.state).toBe('open');
    // Through the CLI (an AWS-verified identity) it is ratified, and the requester is told.
    await breakGlass.approve(id, 'carol', { via: 'cli' });
    await fake.waitFor(() => fake.ok('chat.postMessage', (c) => c.body['channel'] === DAVE && blocksOf(c).includes('ratified'))[0], 20_000, 'ratified DM');
    expect((await breakGlass.status(id)).approval?.state).toBe('approved');
    await breakGlass.revoke(id, 'dave', 'test cleanup');
    await waitPhase(id, 'ended');
  });

  it('a retried command (x-slack-retry-num) starts one workflow', async () => {
    const trigger = triggerId();
    const text = `BreakGlassReadOnly 30m ${REASON} retry`;
    const body = commandBody({ user: BOB, text, responseUrl: responseUrl(), trigger });
    const [a, b] = await Promise.all([sendSigned(url, body, { secret: SECRET }), sendSigned(url, body, { secret: SECRET, retryNum: 1 })]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const id = breakGlassWorkflowId('BreakGlassReadOnly', commandShortId({ team_id: 'T0FAKE', user_id: BOB, text, trigger_id: trigger }));
    await fake.waitFor(() => cardFor(id), 20_000, 'card');
    await sleep(1000);
    const runs: string[] = [];
    for await (const wf of new Client({ connection, namespace: info.namespace }).workflow.list({ query: `WorkflowId = '${id}'` })) runs.push(wf.runId);
    expect(runs).toHaveLength(1);
    expect(fake.ok('chat.postMessage', (c) => c.body['channel'] === APPROVERS && c.body['thread_ts'] === undefined && blocksOf(c).includes(id))).toHaveLength(1);
    await breakGlass.deny(id, 'carol', 'test cleanup');
  });

  it('bad signatures and stale timestamps get 401 and start nothing', async () => {
    const trigger = triggerId();
    const text = `BreakGlassReadOnly 30m ${REASON} forged`;
    const body = commandBody({ user: BOB, text, responseUrl: responseUrl(), trigger });
    const bad = await sendSigned(url, body, { secret: 'not-the-secret' });
    const stale = await sendSigned(url, body, { secret: SECRET, ts: Math.floor(Date.now() / 1000) - 301 });
    expect([bad.status, stale.status]).toEqual([401, 401]);
    const id = breakGlassWorkflowId('BreakGlassReadOnly', commandShortId({ team_id: 'T0FAKE', user_id: BOB, text, trigger_id: trigger }));
    await sleep(1000);
    expect(await breakGlass.exists(id)).toBe(false);
  });

  it('with the Slack API answering 500 and then 429 (Retry-After: 30), access decisions do not wait for Slack', async () => {
    const durationMs = 12_000;
    const input = buildBreakGlassInput(policy, { requester: 'alice', role: 'BreakGlassAdmin', duration: '12s', reason: REASON, via: 'cli' });
    fake.failFor(3000, { status: 500 });
    setTimeout(() => fake.failFor(60_000, { status: 429, retryAfterSec: 30 }), 2500);
    const id = await breakGlass.start(input);
    // Approvals still work (from the CLI) while Slack is down.
    await breakGlass.approve(id, 'bob');
    // Each notification now waits 30 s per retry: had the grant waited for one, it could not be active yet.
    const active = await waitPhase(id, 'active', 20_000);
    const approvedAt = Date.parse(active.timeline.find((e) => e.event === 'grant-approved')!.at);
    expect(Date.parse(active.grantedAt!) - approvedAt).toBeLessThan(5_000);
    const ended = await waitPhase(id, 'ended', 90_000);
    expect(ended.outcome).toBe('revoked');
    expect(ended.endReason).toBe('expired');
    expect(ended.revocation?.verified).toBe(true);
    expect(Date.parse(ended.plannedEndAt!) - Date.parse(active.grantedAt!)).toBe(durationMs);
    // Revocation began at the planned end, while every Slack call was still being refused.
    const revokingAt = Date.parse(ended.timeline.find((e) => e.event === 'revoking')!.at);
    expect(revokingAt - Date.parse(ended.plannedEndAt!)).toBeLessThan(2_000);
    expect(fake.calls.filter((c) => c.status === 200 && c.at <= revokingAt && JSON.stringify(c.body).includes(id))).toEqual([]);
    fake.clearFaults();
    expect(fake.calls.some((c) => c.status === 500)).toBe(true);
    expect(fake.calls.some((c) => c.status === 429)).toBe(true);
    // Once Slack answers again, the queued events still reach it (after the current 30 s back-off).
    await fake.waitFor(() => fake.ok('chat.postMessage', (c) => c.body['channel'] === ALICE && blocksOf(c).includes('Revocation receipt') && blocksOf(c).includes(id))[0], 90_000, 'receipt after outage');
  });

  it('no Slack message carries a secret (invariant 1)', () => {
    expect(fake.calls.length).toBeGreaterThan(20);
    const findings = scanForSecrets(fake.calls.map((c) => JSON.stringify(c.body)).join('\n'), { known: [SECRET] });
    expect(findings).toEqual([]);
  });
});
