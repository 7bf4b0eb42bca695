// A declarative runbook on its card: the checklist of numbered steps, the confirm step it waits on
// (who confirmed, how many are needed, its rules) with a Confirm button naming the run and the step
// only while confirmations are missing, the confirm modal, the reply, and messages told directly.
import { MAX_CONFIRM_NOTE, confirmLine, runbookCard, runbookConfirmModal, runbookConfirmReply, runbookDirectMessage } from '../../shared/slack-blocks/runbook-card';
import { CONFIRM_FIELDS, KNOWN_ACTION_IDS, RUNBOOK_CONFIRM_ACTION, RUNBOOK_CONFIRM_VIEW, RUNBOOK_DECISION_ACTION, REVIEW_ACTION } from '../../shared/slack-blocks/ids';
import type { RunbookNotification } from '../../workflows/shared/notifications';
import type { ConfirmPrompt } from '../../workflows/shared/run-view';

const RUN = 'runbook-root-recovery-1a2b3c4d';

const prompt = (over: Partial<ConfirmPrompt> = {}): ConfirmPrompt => ({
  step: 'mfa-retrieved',
  title: 'MFA device retrieved from the safe',
  needed: 2,
  by: ['bob'],
  noteRequired: true,
  notRequester: true,
  deadlineAt: '2026-12-01T00:30:00.000Z',
  ...over,
});

/** `null`: the run waits on no confirm step. */
function runbook(confirm: ConfirmPrompt | null = prompt(), over: Partial<RunbookNotification> = {}): RunbookNotification {
  return {
    kind: 'runbook',
    subjectId: RUN,
    event: 'confirm-requested',
    audience: ['bob', 'carol'],
    severity: 'info',
    security: ['carol'],
    view: {
      title: 'Root account recovery',
      target: 'root-recovery',
      phase: 'mfa-retrieved',
      startedAt: '2026-12-01T00:00:00.000Z',
      steps: [
        { name: '1. Two approvers agree root access is needed', state: 'done', detail: 'approved by bob, carol' },
        { name: '2. MFA device retrieved from the safe', state: 'running' },
        { name: '3. Root password retrieved from the vault', state: 'pending' },
      ],
      facts: [{ label: 'Requested by', value: 'alice' }],
      ...(confirm ? { confirm } : {}),
    },
    ...over,
  };
}

const json = (x: unknown): string => JSON.stringify(x);
type Button = { text: { text: string }; action_id: string; value: string; style?: string };
const buttons = (n: RunbookNotification): Button[] =>
  runbookCard(n, (id) => `<@U-${id}>`).blocks.flatMap((b) => ((b as { type: string }).type === 'actions' ? (b as unknown as { elements: Button[] }).elements : []));
const sectionTexts = (n: RunbookNotification): string[] =>
  runbookCard(n).blocks.flatMap((b) => {
    const s = b as { type: string; text?: { text: string } };
    return s.type === 'section' && s.text ? [s.text.text] : [];
  });

describe('a declarative runbook card', () => {
  it('shows the step it waits on: who confirmed, how many are needed, and the step’s rules', () => {
    const line = confirmLine(prompt(), (id) => `<@U-${id}>`);
    expect(line).toMatch(/^\*Confirm\* `mfa-retrieved` — MFA device retrieved from the safe: 1 of 2 confirmed by <@U-bob>; note required; the person who started it may not confirm; deadline <!date\^\d+\^/);
    expect(line).toContain('|2026-12-01T00:30:00.000Z>');
    expect(confirmLine(prompt({ by: [], noteRequired: false, notRequester: false }))).toBe('*Confirm* `mfa-retrieved` — MFA device retrieved from the safe: 0 of 2 confirmed; deadline <!date^1796085000^{date_short_pretty} {time_secs}|2026-12-01T00:30:00.000Z>');
    expect(json(runbookCard(runbook()))).toContain('*Confirm* `mfa-retrieved`');
  });

  it('offers one Confirm button whose value names the run, the step and that a note is needed', () => {
    const b = buttons(runbook());
    expect(b).toHaveLength(1);
    expect(b[0]).toMatchObject({ text: { text: 'Confirm' }, action_id: RUNBOOK_CONFIRM_ACTION, value: `${RUN}@mfa-retrieved@note`, style: 'primary' });
    expect(buttons(runbook(prompt({ noteRequired: false })))[0]!.value).toBe(`${RUN}@mfa-retrieved`);
  });

  it('the Confirm action id is its own: not a decision, not a review, not a break-glass button', () => {
    expect(RUNBOOK_DECISION_ACTION.test(RUNBOOK_CONFIRM_ACTION)).toBe(false);
    expect(REVIEW_ACTION.test(RUNBOOK_CONFIRM_ACTION)).toBe(false);
    expect(KNOWN_ACTION_IDS.has(RUNBOOK_CONFIRM_ACTION)).toBe(false);
  });

  it('has no Confirm button once the step has its confirmations, once the run has ended, or when nothing waits', () => {
    const complete = runbook(prompt({ by: ['bob', 'carol'] }));
    expect(buttons(complete)).toEqual([]);
    expect(json(runbookCard(complete))).toContain('2 of 2 confirmed by bob, carol');
    expect(buttons(runbook(prompt(), { view: { ...runbook().view, outcome: 'failed' } }))).toEqual([]);
    expect(buttons(runbook(null))).toEqual([]);
    expect(json(runbookCard(runbook(null)))).not.toContain('*Confirm*');
  });

  it('escapes the step title and id, which come from the policy', () => {
    const text = json(runbookCard(runbook(prompt({ title: 'Tell <!channel> & <@U999> it is done', step: 'ok' }))));
    expect(text).toContain('Tell &lt;!channel&gt; &amp; &lt;@U999&gt; it is done');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U999>');
  });

  it('keeps long numbered step titles whole and splits a 40-step checklist into sections Slack accepts', () => {
    const title = `1. ${'Root password rotated and the new one sealed in the vault '.repeat(3).trim()}`;
    expect(title.length).toBeGreaterThan(100);
    const one = runbook(null, { view: { ...runbook().view, steps: [{ name: title, state: 'pending' }] } });
    expect(sectionTexts(one).some((t) => t.includes(title))).toBe(true);

    const steps = Array.from({ length: 40 }, (_, i) => ({ name: `${i + 1}. ${'x'.repeat(150)}`, state: 'done' as const, detail: 'y'.repeat(200) }));
    const long = runbook(null, { view: { ...runbook().view, steps } });
    const checklist = sectionTexts(long).filter((t) => t.includes(':white_check_mark:'));
    expect(checklist.length).toBeGreaterThan(1);
    expect(checklist.every((t) => t.length <= 3000)).toBe(true);
    expect(checklist.join('\n').split('\n')).toHaveLength(40);
    expect(runbookCard(long).blocks.length).toBeLessThanOrEqual(50);
  });

  it('a completed run reads as a success, with the runbook CLI hint', () => {
    const done = runbook(null, { view: { ...runbook().view, outcome: 'completed' } });
    expect(json(runbookCard(done))).toContain(':white_check_mark: completed');
    expect(runbookCard(done).text).toBe('Runbook: root-recovery — completed');
    expect(json(runbookCard(done))).toContain(`safeguard runbook status ${RUN}`);
    expect(json(runbookCard(runbook(null, { view: { ...runbook().view, outcome: 'timed-out' } })))).toContain(':warning: timed-out');
  });
});

describe('the confirm modal', () => {
  type Input = { type: string; block_id: string; optional?: boolean; element: { action_id: string; min_length?: number; max_length?: number } };
  const input = (v: ReturnType<typeof runbookConfirmModal>): Input => v.blocks.find((b) => b.type === 'input') as unknown as Input;

  it('carries the run, the step, the flag and the channel, and requires a note when the step does', () => {
    const modal = runbookConfirmModal({ workflowId: RUN, step: 'mfa-retrieved', noteRequired: true, channel: 'C0RUNBOOKS' });
    expect(modal.callback_id).toBe(RUNBOOK_CONFIRM_VIEW);
    expect(JSON.parse(modal.private_metadata ?? '')).toEqual({ workflowId: RUN, step: 'mfa-retrieved', noteRequired: true, channel: 'C0RUNBOOKS' });
    expect(input(modal)).toMatchObject({ block_id: CONFIRM_FIELDS.note.block, optional: false, element: { action_id: CONFIRM_FIELDS.note.action, min_length: 1, max_length: MAX_CONFIRM_NOTE } });
    expect(json(modal)).toContain(`\`${RUN}\` · step \`mfa-retrieved\``);
  });

  it('leaves the note optional otherwise', () => {
    const modal = runbookConfirmModal({ workflowId: RUN, step: 'work', noteRequired: false });
    expect(input(modal).optional).toBe(true);
    expect(input(modal).element.min_length).toBeUndefined();
    expect(JSON.parse(modal.private_metadata ?? '')).toEqual({ workflowId: RUN, step: 'work', noteRequired: false });
  });
});

describe('the confirm reply', () => {
  it('says how many have confirmed, whether the step is complete, and when nothing changed', () => {
    expect(runbookConfirmReply(RUN, { step: 'mfa-retrieved', confirmations: 1, needed: 2, complete: false, duplicate: false })).toBe(
      `Confirmed \`mfa-retrieved\` on \`${RUN}\`: 1 of 2; waiting for 1 more person.`,
    );
    expect(runbookConfirmReply(RUN, { step: 'mfa-retrieved', confirmations: 1, needed: 3, complete: false, duplicate: false })).toContain('waiting for 2 more people');
    expect(runbookConfirmReply(RUN, { step: 'mfa-retrieved', confirmations: 2, needed: 2, complete: true, duplicate: false })).toBe(
      `Confirmed \`mfa-retrieved\` on \`${RUN}\`: 2 of 2 — the step is complete and the runbook goes on.`,
    );
    expect(runbookConfirmReply(RUN, { step: 'mfa-retrieved', confirmations: 1, needed: 2, complete: false, duplicate: true })).toBe(`You already confirmed \`mfa-retrieved\` on \`${RUN}\` (1 of 2). Nothing changed.`);
    expect(runbookConfirmReply(RUN, { step: 'mfa-retrieved', confirmations: 0, needed: 0, complete: true, duplicate: true })).toBe(`You already confirmed \`mfa-retrieved\` on \`${RUN}\`; the step is complete. Nothing changed.`);
  });
});

describe('messages told directly', () => {
  it("a notify step's message is the message, escaped, naming the run", () => {
    const m = runbookDirectMessage(runbook(null, { event: 'runbook-notify', detail: 'Root recovery finished <!here>; see the evidence.', audience: ['carol'] }));
    expect(m.text).toBe(`:loudspeaker: *Runbook: root-recovery* \`${RUN}\`\nRoot recovery finished &lt;!here&gt;; see the evidence.`);
    expect(json(m.blocks)).toContain(`safeguard runbook status ${RUN}`);
    expect(json(m)).not.toContain('<!here>');
  });

  it('an escalation is loud and says what is overdue', () => {
    const m = runbookDirectMessage(runbook(prompt(), { event: 'escalated', severity: 'page', detail: 'step mfa-retrieved has no confirmations after 30m' }));
    expect(m.text).toBe(`:rotating_light: *Runbook: root-recovery* \`${RUN}\`: escalated — step mfa-retrieved has no confirmations after 30m`);
  });
});
