// A declarative runbook's Confirm button and note modal, in-process against the fake Slack with the
// runbook client stubbed: what the button and the metadata may name, what opens, what reaches the
// confirm Update, and what the person is told. The same path with the real workflow is in
// test/integration/slack-runbook-confirm.test.ts.
import path from 'node:path';
import pino from 'pino';
import { SafeguardError } from '../../client/errors';
import { loadPolicyFile } from '../../config/policy';
import { freePort } from '../../sandbox/net';
import { createSlackApp } from '../../slack-app/app';
import type { SlackApp } from '../../slack-app/app';
import { confirmMetaSchema, parseConfirmButton } from '../../slack-app/areas/runbook-confirm';
import type { BreakGlassApi, DecisionsApi, RunbooksApi } from '../../slack-app/context';
import { CONFIRM_FIELDS, RUNBOOK_CONFIRM_ACTION, RUNBOOK_CONFIRM_VIEW } from '../../shared/slack-blocks/ids';
import type { DecisionChannel } from '../../workflows/shared/approval/definitions';
import { FakeSlack, buttonPayload, interactionBody, sendSigned, viewSubmissionPayload } from '../support/fake-slack';

const SECRET = 'unit-test-signing-secret';
const policy = loadPolicyFile(path.join(__dirname, '../../examples/policy.yaml'));
const BOB = 'U00000BOB';
const RUN = 'runbook-root-recovery-1a2b3c4d';
const CHANNEL = 'C0RUNBOOKS';

class StubRunbooks implements RunbooksApi {
  calls: Array<{ id: string; by: string; step?: string; note?: string; via?: DecisionChannel }> = [];
  error?: Error;
  async confirm(id: string, by: string, opts: { step?: string; note?: string; via?: DecisionChannel } = {}) {
    if (this.error) throw this.error;
    this.calls.push({ id, by, ...opts });
    return { step: opts.step ?? 'mfa-retrieved', confirmations: 1, needed: 2, complete: false, duplicate: false };
  }
}

describe('parsing what travels through Slack', () => {
  it('reads a Confirm button naming a runbook run and a step, with or without the note flag', () => {
    expect(parseConfirmButton(`${RUN}@mfa-retrieved`)).toEqual({ workflowId: RUN, step: 'mfa-retrieved', noteRequired: false });
    expect(parseConfirmButton(`${RUN}@mfa-retrieved@note`)).toEqual({ workflowId: RUN, step: 'mfa-retrieved', noteRequired: true });
    // A step may be called `note`: the flag is only ever the third part.
    expect(parseConfirmButton(`${RUN}@note`)).toEqual({ workflowId: RUN, step: 'note', noteRequired: false });
  });

  it.each([
    ['nothing', undefined],
    ['an empty value', ''],
    ['no step', RUN],
    ['an empty step', `${RUN}@`],
    ['a step with capitals and spaces', `${RUN}@MFA retrieved`],
    ['a step that is too long', `${RUN}@${'a'.repeat(41)}`],
    ['a step starting with a digit', `${RUN}@1-mfa`],
    ['an unknown flag', `${RUN}@mfa-retrieved@skip`],
    ['a fourth part', `${RUN}@mfa-retrieved@note@note`],
    ['a break-glass request id', 'breakglass-BreakGlassAdmin-0123456789ab@grant'],
    ["another kind's run id", 'rotate-key-legacy-etl-0123abcd@delete-old-key'],
    ['a drill id', 'drill-restore-patients-db-1a2b3c4d@sign-off'],
    ['a runbook id without its hex suffix', 'runbook-root-recovery@mfa-retrieved'],
    ['a path', '../../etc/passwd@mfa-retrieved'],
    ['garbage', 'x'.repeat(2000)],
  ])('refuses a button value of %s', (_what, value) => {
    expect(parseConfirmButton(value)).toBeUndefined();
  });

  it('accepts only metadata of exactly the shape the modal was given', () => {
    expect(confirmMetaSchema.safeParse({ workflowId: RUN, step: 'mfa-retrieved', noteRequired: true, channel: CHANNEL }).success).toBe(true);
    expect(confirmMetaSchema.safeParse({ workflowId: RUN, step: 'mfa-retrieved', noteRequired: false }).success).toBe(true);
    for (const bad of [
      { workflowId: 'rotate-key-legacy-etl-0123abcd', step: 'mfa-retrieved', noteRequired: false },
      { workflowId: RUN, step: 'Bad Step', noteRequired: false },
      { workflowId: RUN, step: 'mfa-retrieved' },
      { workflowId: RUN, step: 'mfa-retrieved', noteRequired: 'yes' },
      { workflowId: RUN, step: 'mfa-retrieved', noteRequired: false, channel: '<!channel>' },
      { workflowId: RUN, step: 'mfa-retrieved', noteRequired: false, by: 'carol' },
      [RUN, 'mfa-retrieved'],
      null,
    ]) {
      expect(confirmMetaSchema.safeParse(bad).success).toBe(false);
    }
  });
});

describe('the Confirm button and its modal', () => {
  let fake: FakeSlack;
  let app: SlackApp;
  let url: string;
  const runbooks = new StubRunbooks();
  const decisions: DecisionsApi = {
    approve: () => Promise.reject(new Error('not expected')),
    deny: () => Promise.reject(new Error('not expected')),
  };

  beforeAll(async () => {
    fake = new FakeSlack();
    await fake.start();
    const port = await freePort();
    app = createSlackApp({ botToken: 'xoxb-unit', signingSecret: SECRET, slackApiUrl: fake.apiUrl, port }, { policy, breakGlass: {} as BreakGlassApi, decisions, runbooks, logger: pino({ level: 'silent' }) });
    await app.start();
    url = `http://127.0.0.1:${port}/slack/events`;
  });

  afterAll(async () => {
    await app.stop();
    await fake.stop();
  });

  beforeEach(() => {
    fake.reset();
    runbooks.calls = [];
    delete runbooks.error;
  });

  const click = (user: string, value: string) => sendSigned(url, interactionBody(buttonPayload({ user, actionId: RUNBOOK_CONFIRM_ACTION, value, channel: CHANNEL, responseUrl: `${fake.url}/response/1` })), { secret: SECRET });
  const submit = (user: string, privateMetadata: string, note: string | null) =>
    sendSigned(url, interactionBody(viewSubmissionPayload({ user, viewId: 'V0RB01', callbackId: RUNBOOK_CONFIRM_VIEW, privateMetadata, values: { [CONFIRM_FIELDS.note.block]: { [CONFIRM_FIELDS.note.action]: { type: 'plain_text_input', value: note } } } })), { secret: SECRET });
  const ephemeral = (pred: (text: string) => boolean) => fake.waitFor(() => fake.ok('chat.postEphemeral', (c) => pred(String(c.body['text'])))[0], 5000, 'ephemeral');
  const opened = async (): Promise<{ callback_id: string; private_metadata: string }> => (await fake.waitFor(() => fake.ok('views.open')[0], 5000, 'views.open')).body['view'] as { callback_id: string; private_metadata: string };
  const errorsOf = (body: string) => (JSON.parse(body) as { response_action: string; errors: Record<string, string> }).errors;

  it('opens the note modal for the run and step the button names, and confirms with the note as the person behind the Slack user', async () => {
    expect((await click(BOB, `${RUN}@mfa-retrieved@note`)).status).toBe(200);
    const view = await opened();
    expect(view.callback_id).toBe(RUNBOOK_CONFIRM_VIEW);
    expect(JSON.parse(view.private_metadata)).toEqual({ workflowId: RUN, step: 'mfa-retrieved', noteRequired: true, channel: CHANNEL });
    const r = await submit(BOB, view.private_metadata, '  took it out of safe 3 with carol  ');
    expect(r.status).toBe(200);
    expect(r.body).toBe('');
    const eph = await ephemeral((t) => t.includes('Confirmed'));
    expect(eph.body).toMatchObject({ channel: CHANNEL, user: BOB });
    expect(String(eph.body['text'])).toBe(`Confirmed \`mfa-retrieved\` on \`${RUN}\`: 1 of 2; waiting for 1 more person.`);
    expect(runbooks.calls).toEqual([{ id: RUN, by: 'bob', step: 'mfa-retrieved', note: 'took it out of safe 3 with carol', via: 'slack' }]);
  });

  it('asks for the note inline when the step needs one, and confirms nothing', async () => {
    await click(BOB, `${RUN}@mfa-retrieved@note`);
    const view = await opened();
    for (const note of [null, '', '   \n  ']) {
      const r = await submit(BOB, view.private_metadata, note);
      expect(r.status).toBe(200);
      expect(errorsOf(r.body)[CONFIRM_FIELDS.note.block]).toContain('needs a note');
    }
    expect(runbooks.calls).toEqual([]);
  });

  it('sends no note when the step needs none and none was typed', async () => {
    await click(BOB, `${RUN}@work`);
    const view = await opened();
    expect(JSON.parse(view.private_metadata)).toMatchObject({ noteRequired: false });
    await submit(BOB, view.private_metadata, null);
    await ephemeral((t) => t.includes('Confirmed'));
    expect(runbooks.calls).toEqual([{ id: RUN, by: 'bob', step: 'work', via: 'slack' }]);
  });

  it('refuses a note that holds a secret, on the note field, and confirms nothing', async () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const r = await submit(BOB, JSON.stringify({ workflowId: RUN, step: 'mfa-retrieved', noteRequired: false }), `the key is ${secret}`);
    expect(errorsOf(r.body)[CONFIRM_FIELDS.note.block]).toContain('looks like it contains a secret');
    expect(r.body).not.toContain(secret);
    expect(runbooks.calls).toEqual([]);
  });

  it.each([
    ['a break-glass id', { workflowId: 'breakglass-BreakGlassAdmin-0123456789ab', step: 'grant', noteRequired: false }],
    ["another kind's run", { workflowId: 'rotate-key-legacy-etl-0123abcd', step: 'delete-old-key', noteRequired: false }],
    ['a malformed step', { workflowId: RUN, step: 'MFA Retrieved', noteRequired: false }],
    ['no flag', { workflowId: RUN, step: 'mfa-retrieved' }],
    ['no metadata at all', 'not json'],
  ])('the modal refuses forged metadata (%s) and confirms nothing', async (_what, meta) => {
    const r = await submit(BOB, typeof meta === 'string' ? meta : JSON.stringify(meta), 'a note');
    expect(r.status).toBe(200);
    expect(errorsOf(r.body)[CONFIRM_FIELDS.note.block]).toBe('This form could not be read; nothing was changed.');
    expect(runbooks.calls).toEqual([]);
  });

  it('refuses a button that does not name a runbook run and step, and opens nothing', async () => {
    for (const value of ['rotate-key-legacy-etl-0123abcd@delete-old-key', `${RUN}@Bad Step`, `${RUN}@mfa-retrieved@now`, 'breakglass-BreakGlassAdmin-0123456789ab@grant']) {
      fake.reset();
      await click(BOB, value);
      await ephemeral((t) => t.includes('does not name a runbook run and step'));
    }
    expect(fake.ok('views.open')).toEqual([]);
    expect(runbooks.calls).toEqual([]);
  });

  it('tells an unknown Slack user so, from the button and from the modal', async () => {
    await click('U0STRANGER', `${RUN}@mfa-retrieved`);
    await ephemeral((t) => t.includes('not a person in the Safeguard policy'));
    expect(fake.ok('views.open')).toEqual([]);
    const r = await submit('U0STRANGER', JSON.stringify({ workflowId: RUN, step: 'mfa-retrieved', noteRequired: false }), 'a note');
    expect(errorsOf(r.body)[CONFIRM_FIELDS.note.block]).toContain('not a person in the Safeguard policy');
    expect(runbooks.calls).toEqual([]);
  });

  it.each([
    ['SelfConfirmation', 'alice started this runbook; someone else must confirm mfa-retrieved'],
    ['NotAConfirmer', 'bob is not a confirmer of mfa-retrieved'],
    ['StepNotOpen', 'the run is not waiting on mfa-retrieved (it is on password-retrieved)'],
    ['NoteRequired', 'mfa-retrieved needs a note'],
  ])('explains a %s refusal to the person, naming the code', async (code, message) => {
    runbooks.error = new SafeguardError('REFUSED', message, { refusal: code });
    await submit(BOB, JSON.stringify({ workflowId: RUN, step: 'mfa-retrieved', noteRequired: false, channel: CHANNEL }), 'a note');
    const eph = await ephemeral((t) => t.startsWith('Refused'));
    expect(String(eph.body['text'])).toBe(`Refused (${code}): ${message}`);
  });

  it('falls back to the refusal’s own label when the workflow gave no message', async () => {
    runbooks.error = new SafeguardError('REFUSED', '', { refusal: 'StepNotOpen' });
    await submit(BOB, JSON.stringify({ workflowId: RUN, step: 'mfa-retrieved', noteRequired: false, channel: CHANNEL }), 'a note');
    const eph = await ephemeral((t) => t.startsWith('Refused'));
    expect(String(eph.body['text'])).toBe('Refused (StepNotOpen): that step is not waiting for confirmation');
  });

  it('tells the person in a DM when the modal came from a place with no channel', async () => {
    await submit(BOB, JSON.stringify({ workflowId: RUN, step: 'mfa-retrieved', noteRequired: false }), null);
    const dm = await fake.waitFor(() => fake.ok('chat.postMessage', (c) => c.body['channel'] === BOB)[0], 5000, 'DM');
    expect(String(dm.body['text'])).toContain('Confirmed `mfa-retrieved`');
  });
});

describe('a Slack app wired without runbooks', () => {
  it('says so on the Confirm button and opens nothing', async () => {
    const fake = new FakeSlack();
    await fake.start();
    const port = await freePort();
    const app = createSlackApp({ botToken: 'xoxb-unit', signingSecret: SECRET, slackApiUrl: fake.apiUrl, port }, { policy, breakGlass: {} as BreakGlassApi, decisions: {} as DecisionsApi, logger: pino({ level: 'silent' }) });
    await app.start();
    try {
      await sendSigned(`http://127.0.0.1:${port}/slack/events`, interactionBody(buttonPayload({ user: BOB, actionId: RUNBOOK_CONFIRM_ACTION, value: `${RUN}@mfa-retrieved`, channel: CHANNEL, responseUrl: `${fake.url}/response/1` })), { secret: SECRET });
      await fake.waitFor(() => fake.ok('chat.postEphemeral', (c) => String(c.body['text']).includes('not connected to runbooks'))[0], 5000, 'ephemeral');
      expect(fake.ok('views.open')).toEqual([]);
    } finally {
      await app.stop();
      await fake.stop();
    }
  });
});
