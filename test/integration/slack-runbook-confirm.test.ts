// A declarative runbook's confirm step from Slack, end to end: Bolt in-process receiving correctly
// signed requests, a worker process of its own whose notifier talks to the fake Slack, and the real
// declarative runbook workflow on the test stack's Temporal (the stack policy's root-recovery). The
// card's Confirm button opens the note modal (views.open on the fake Slack); the submission reaches
// the run's `confirm` Update as the person behind the Slack user; refusals come back explained.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pino from 'pino';
import { Client, Connection } from '@temporalio/client';
import { DecisionsClient } from '../../client/decisions-client';
import { RunbookClient } from '../../client/runbook-client';
import { dataConverterWithCodec, loadKeyFile } from '../../codec';
import { loadPolicyFile } from '../../config/policy';
import type { Policy } from '../../config/policy/types';
import { spawnWorker } from '../../dev/stack';
import type { StackInfo, WorkerProcess } from '../../dev/stack';
import { freePort } from '../../sandbox/net';
import { createSlackApp } from '../../slack-app/app';
import type { SlackApp } from '../../slack-app/app';
import type { BreakGlassApi } from '../../slack-app/context';
import { CONFIRM_FIELDS, RUNBOOK_CONFIRM_ACTION, RUNBOOK_CONFIRM_VIEW } from '../../shared/slack-blocks/ids';
import type { RunbookStatus } from '../../workflows/runbook/definitions';
import { FakeSlack, buttonPayload, interactionBody, sendSigned, viewSubmissionPayload } from '../support/fake-slack';
import type { FakeSlackCall } from '../support/fake-slack';
import { scanForSecrets } from '../support/secret-scan';
import { testStack } from '../support/stack';

const SECRET = 'integration-signing-secret';
const ALICE = 'U0000ALICE';
const BOB = 'U00000BOB';
const CAROL = 'U000CAROL';
/** The stack policy sets no runbooks.channel: cards go to slack.securityChannel. */
const CARDS = 'C00SECURITY';
const RUNBOOK = 'root-recovery';
const REASON = 'root MFA device lost; recovering root under dual control';

let info: StackInfo;
let policy: Policy;
let fake: FakeSlack;
let worker: WorkerProcess;
let connection: Connection;
let temporal: Client;
let runbooks: RunbookClient;
let app: SlackApp;
let url: string;
const started: string[] = [];

beforeAll(async () => {
  info = testStack();
  policy = loadPolicyFile(info.policyFile);
  if (!policy.runbooks.procedures.some((r) => r.name === RUNBOOK)) throw new Error(`the stack policy (${info.policyFile}) has no runbook ${RUNBOOK}`);
  fake = new FakeSlack();
  await fake.start();
  const taskQueue = `slack-runbook-it-${randomBytes(4).toString('hex')}`;
  worker = await spawnWorker(info, path.join(info.dataDir, `it-worker-${taskQueue}.log`), {
    taskQueue,
    env: { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: fake.apiUrl, SAFEGUARD_POLICY: info.policyFile, SAFEGUARD_RECONCILE_INTERVAL: 'off' },
  });
  connection = await Connection.connect({ address: info.temporalAddress });
  temporal = new Client({ connection, namespace: info.namespace, dataConverter: dataConverterWithCodec(loadKeyFile(info.codecKeyFile)) });
  runbooks = new RunbookClient(temporal, taskQueue);
  const port = await freePort();
  app = createSlackApp(
    { botToken: 'xoxb-test', signingSecret: SECRET, slackApiUrl: fake.apiUrl, port },
    { policy, breakGlass: {} as BreakGlassApi, decisions: new DecisionsClient(temporal), runbooks, logger: pino({ level: 'silent' }) },
  );
  await app.start();
  url = `http://127.0.0.1:${port}/slack/events`;
});

afterAll(async () => {
  // A run left waiting would hold its confirm step for minutes: cancel what this file started.
  for (const id of started) await temporal?.workflow.getHandle(id).cancel().catch(() => undefined);
  await app?.stop();
  await worker?.stop();
  await connection?.close();
  await fake?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const blocksOf = (c: FakeSlackCall): string => JSON.stringify(c.body['blocks'] ?? '') + String(c.body['text'] ?? '');
type Button = { action_id: string; value: string };
const buttonsOf = (c: FakeSlackCall): Button[] =>
  ((c.body['blocks'] ?? []) as Array<{ type: string; elements?: Button[] }>).flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []));

async function waitStatus(id: string, pred: (st: RunbookStatus) => boolean, what: string, timeoutMs = 60_000): Promise<RunbookStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await runbooks.status(id).catch(() => undefined);
    if (st && pred(st)) return st;
    if (Date.now() > deadline) throw new Error(`${id}: timed out waiting for ${what}; current step ${st?.current?.id ?? 'none'}`);
    await sleep(250);
  }
}

/** The latest version of the run's card (first post or an update) that carries a button with `actionId`. */
function cardButton(id: string, actionId: string, value?: string): Button | undefined {
  const cards = fake.calls.filter((c) => c.status === 200 && (c.method === 'chat.update' || (c.method === 'chat.postMessage' && c.body['thread_ts'] === undefined)) && c.body['channel'] === CARDS && blocksOf(c).includes(id));
  for (const c of cards.reverse()) {
    const b = buttonsOf(c).find((x) => x.action_id === actionId && (value === undefined || x.value === value));
    if (b) return b;
  }
  return undefined;
}

async function click(user: string, actionId: string, value: string): Promise<void> {
  const r = await sendSigned(url, interactionBody(buttonPayload({ user, actionId, value, channel: CARDS, responseUrl: `${fake.url}/response/${randomBytes(3).toString('hex')}` })), { secret: SECRET });
  expect(r.status).toBe(200);
}

/** Clicks Confirm as `user`, waits for the modal it opens, and submits it with `note`; returns the ack body. */
async function confirmFromSlack(user: string, value: string, note: string | null): Promise<{ view: { private_metadata: string }; ack: string }> {
  const before = fake.ok('views.open').length;
  await click(user, RUNBOOK_CONFIRM_ACTION, value);
  const open = await fake.waitFor(() => fake.ok('views.open').slice(before).find((c) => (c.body['view'] as { callback_id?: string }).callback_id === RUNBOOK_CONFIRM_VIEW), 10_000, `confirm modal for ${user}`);
  const view = open.body['view'] as { private_metadata: string };
  const viewId = `V${randomBytes(5).toString('hex').toUpperCase()}`;
  const values = { [CONFIRM_FIELDS.note.block]: { [CONFIRM_FIELDS.note.action]: { type: 'plain_text_input', value: note } } };
  const r = await sendSigned(url, interactionBody(viewSubmissionPayload({ user, viewId, callbackId: RUNBOOK_CONFIRM_VIEW, privateMetadata: view.private_metadata, values })), { secret: SECRET });
  expect(r.status).toBe(200);
  return { view, ack: r.body };
}

const toldTo = (user: string, text: string) => fake.waitFor(() => fake.ok('chat.postEphemeral', (c) => c.body['user'] === user && String(c.body['text']).includes(text))[0], 20_000, `"${text}" to ${user}`);

describe('a runbook confirm step from Slack', () => {
  it('Confirm opens the note modal; submissions reach the confirm Update as the person who clicked; refusals are explained', async () => {
    const { workflowId: id } = await runbooks.start(policy, RUNBOOK, 'alice', REASON);
    started.push(id);

    // The approval step's buttons on the card decide through the shared decision Update.
    const approve = await fake.waitFor(() => cardButton(id, 'runbook:approve', `${id}@approve`), 30_000, 'approve button on the card');
    await click(BOB, approve.action_id, approve.value);
    await toldTo(BOB, '1 of 2 approvals');
    await click(CAROL, approve.action_id, approve.value);
    await toldTo(CAROL, '`approve` is approved');

    // The card now waits on mfa-retrieved, with a Confirm button that says a note is needed.
    await waitStatus(id, (st) => st.current?.id === 'mfa-retrieved', 'the mfa-retrieved step');
    const confirm = await fake.waitFor(() => cardButton(id, RUNBOOK_CONFIRM_ACTION), 30_000, 'Confirm button on the card');
    expect(confirm.value).toBe(`${id}@mfa-retrieved@note`);

    // A submission without a note is answered inline, and nothing reaches the workflow.
    const empty = await confirmFromSlack(BOB, confirm.value, '   ');
    expect(JSON.parse(empty.view.private_metadata)).toEqual({ workflowId: id, step: 'mfa-retrieved', noteRequired: true, channel: CARDS });
    expect((JSON.parse(empty.ack) as { errors: Record<string, string> }).errors[CONFIRM_FIELDS.note.block]).toContain('needs a note');
    expect((await runbooks.status(id)).current?.confirmations).toEqual([]);

    // bob confirms with a note: recorded as his, via Slack, and he is told 1 of 2.
    await confirmFromSlack(BOB, confirm.value, 'Took the MFA device out of safe 3 <!channel>');
    await toldTo(BOB, `Confirmed \`mfa-retrieved\` on \`${id}\`: 1 of 2`);
    const one = await runbooks.status(id);
    expect(one.current?.id).toBe('mfa-retrieved');
    expect(one.current?.confirmations).toEqual([expect.objectContaining({ by: 'bob', note: 'Took the MFA device out of safe 3 <!channel>', via: 'slack' })]);
    // The card is re-rendered with bob's confirmation, his note's text escaped nowhere near it.
    await fake.waitFor(() => fake.ok('chat.update', (c) => c.body['channel'] === CARDS && blocksOf(c).includes('1 of 2 confirmed by <@U00000BOB>'))[0], 20_000, 'card shows 1 of 2');

    // A second confirmation by bob counts once: he is told nothing changed.
    await confirmFromSlack(BOB, confirm.value, 'once more');
    await toldTo(BOB, `You already confirmed \`mfa-retrieved\` on \`${id}\` (1 of 2). Nothing changed.`);

    // alice started the run: the workflow's validator refuses her, and she is told why.
    await confirmFromSlack(ALICE, confirm.value, 'I was there too');
    const refused = await toldTo(ALICE, 'Refused (SelfConfirmation)');
    expect(String(refused.body['text'])).toContain('someone else');
    expect((await runbooks.status(id)).current?.confirmations).toHaveLength(1);

    // carol's confirmation completes the step; the run moves on.
    await confirmFromSlack(CAROL, confirm.value, 'Witnessed bob take the device out of safe 3');
    await toldTo(CAROL, 'the step is complete');
    const next = await waitStatus(id, (st) => st.current?.id === 'password-retrieved', 'the password-retrieved step');
    expect(next.steps.find((s) => s.id === 'mfa-retrieved')).toMatchObject({ outcome: 'done', by: [expect.objectContaining({ by: 'bob', via: 'slack' }), expect.objectContaining({ by: 'carol', via: 'slack' })] });

    // A stale click on the old button confirms nothing and says the step is not waiting.
    await confirmFromSlack(BOB, confirm.value, 'again');
    await toldTo(BOB, 'Refused (StepNotOpen)');
    expect((await runbooks.status(id)).current?.confirmations).toEqual([]);
  });

  it('no Slack message carries a secret', () => {
    expect(fake.calls.length).toBeGreaterThan(5);
    expect(scanForSecrets(fake.calls.map((c) => JSON.stringify(c.body)).join('\n'), { known: [SECRET] })).toEqual([]);
  });
});
