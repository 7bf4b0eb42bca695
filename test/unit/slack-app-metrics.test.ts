// The Slack app's ack latency and graceful stop (slack-app/app.ts), in-process against the fake Slack
// with the run clients stubbed: the time from a request's arrival to its ack is observed by payload
// type, and shutdown lets an event that is still being worked on after its ack finish.
import path from 'node:path';
import pino from 'pino';
import { loadPolicyFile } from '../../config/policy';
import { freePort } from '../../sandbox/net';
import { slackMetrics } from '../../shared/ops/metrics';
import type { SlackMetrics } from '../../shared/ops/metrics';
import { createSlackApp } from '../../slack-app/app';
import type { SlackApp } from '../../slack-app/app';
import type { BreakGlassApi, DecisionsApi } from '../../slack-app/context';
import type { BreakGlassInput } from '../../workflows/break-glass/definitions';
import { FakeSlack, buttonPayload, commandBody, interactionBody, sendSigned } from '../support/fake-slack';

const SECRET = 'unit-test-signing-secret';
const policy = loadPolicyFile(path.join(__dirname, '../../examples/policy.yaml'));
const ALICE = 'U0000ALICE';

let fake: FakeSlack;
let app: SlackApp;
let metrics: SlackMetrics;
let url: string;
let release: (() => void) | undefined;
const started: BreakGlassInput[] = [];

// Only start() is reached here; it waits until the test releases it (work going on after the ack).
const breakGlass = {
  async start(input: BreakGlassInput) {
    await new Promise<void>((r) => (release = r));
    started.push(input);
    return input.grantId;
  },
} as unknown as BreakGlassApi;

beforeAll(async () => {
  fake = new FakeSlack();
  await fake.start();
  metrics = slackMetrics();
  const port = await freePort();
  app = createSlackApp({ botToken: 'xoxb-unit', signingSecret: SECRET, slackApiUrl: fake.apiUrl, port }, { policy, breakGlass, decisions: {} as DecisionsApi, logger: pino({ level: 'silent' }), metrics });
  await app.start();
  url = `http://127.0.0.1:${port}/slack/events`;
});

afterAll(async () => {
  await fake.stop();
});

async function acks(type: string): Promise<{ count: number; sum: number }> {
  const values = (await metrics.ackDuration.get()).values.filter((v) => v.labels['type'] === type);
  return { count: values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0, sum: values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0 };
}

it('observes the ack of a command and of a button by type, in seconds', async () => {
  const r = await sendSigned(url, commandBody({ user: ALICE, text: 'help', responseUrl: `${fake.url}/response/1` }), { secret: SECRET });
  expect(r.status).toBe(200);
  const button = await sendSigned(url, interactionBody(buttonPayload({ user: ALICE, actionId: 'not-a-safeguard-action', value: 'x', responseUrl: `${fake.url}/response/2` })), { secret: SECRET });
  expect(button.status).toBe(200);
  const command = await acks('command');
  expect(command.count).toBe(1);
  expect(command.sum).toBeGreaterThanOrEqual(0);
  expect(command.sum).toBeLessThan(r.ms / 1000 + 0.05);
  expect((await acks('action')).count).toBe(1);
  // Nothing identifying a person or a request is a label.
  const text = await metrics.registry.metrics();
  expect(text).not.toContain(ALICE);
  expect(text).toMatch(/safeguard_slack_ack_duration_seconds_bucket\{le="3",type="command"\} 1/);
});

it('shuts down only after an event still being worked on after its ack has finished', async () => {
  const r = await sendSigned(url, commandBody({ user: ALICE, text: 'BreakGlassAdmin 30m orders database is refusing connections', responseUrl: `${fake.url}/response/3` }), { secret: SECRET });
  expect(r.status).toBe(200);
  await fake.waitFor(() => release, 5000, 'the start to be under way');
  let done = false;
  const stopping = app.shutdown({ graceMs: 10_000 }).then(() => {
    done = true;
  });
  await new Promise((r2) => setTimeout(r2, 200));
  expect(done).toBe(false);
  // New connections are refused while draining.
  await expect(fetch(url, { method: 'POST', body: 'x' })).rejects.toThrow();
  release!();
  await stopping;
  expect(done).toBe(true);
  expect(started).toHaveLength(1);
});
