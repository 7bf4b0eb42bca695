// `safeguard audit show`: the timeline of one run from its history (payloads decrypted by the codec),
// from its evidence records when the history is gone, and never a secret in what it prints.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { KeyRingError, createKeyRing, dataConverterWithCodec } from '../../codec';
import type { KeyRing } from '../../codec';
import { loadTimeline, payloadDecoder, renderTimeline, timelineFromEvidence, timelineFromHistory } from '../../client/audit-timeline';
import type { Timeline, TimelineEntry } from '../../client/audit-timeline';
import { registerAuditReplay, registerAuditShow, runAuditShow } from '../../cli/areas/audit-show';
import type { AuditShowDeps } from '../../cli/areas/audit-show';
import type { EvidenceEntry } from '../../evidence/store';
import { encryptHistory } from '../support/encrypt-history';
import { scanForSecrets } from '../support/secret-scan';
import { unsafeCharacterIn } from '../../shared/terminal-text';

type History = temporal.api.history.v1.IHistory;

const HISTORIES = path.join(__dirname, '../replay/histories');
const APPROVED = 'breakglass-BreakGlassAdmin-0000b001';
const keyring: KeyRing = createKeyRing([['k1', randomBytes(32).toString('base64')]]);
const withCodec = payloadDecoder(loadDataConverter(dataConverterWithCodec(keyring)));
const plain = payloadDecoder(loadDataConverter());

function recorded(file: string): History {
  return historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')));
}
const fileOf = (id: string): string => fs.readdirSync(HISTORIES).find((f) => f.startsWith(`${id}.`))!;

/** The history as a production server stores it: payloads encrypted by the codec. */
const encrypted = (history: History): Promise<History> => encryptHistory(history, keyring);

const named = (t: Timeline, kind: TimelineEntry['kind'], name: string): TimelineEntry[] => t.entries.filter((e) => e.kind === kind && e.name === name);

describe('timeline from a recorded break-glass history (encrypted, decoded by the codec)', () => {
  let t: Timeline;
  beforeAll(async () => {
    t = await timelineFromHistory(await encrypted(recorded(fileOf(APPROVED))), { workflowId: APPROVED, decode: withCodec });
  });

  it('says who asked, for what and why, and how the run ended', () => {
    expect(t).toMatchObject({ source: 'history', workflowId: APPROVED, workflowType: 'breakGlassWorkflow', status: 'COMPLETED', outcome: 'revoked' });
    expect(t.request).toEqual({ requester: 'alice', what: 'BreakGlassAdmin', why: 'database is on fire, need to restart it' });
    expect(t.startedAt).toBe('2026-12-01T14:38:39.459Z');
    expect(t.endedAt).toBe('2026-12-01T15:18:39.757Z');
    expect(t.plannedEndAt).toMatch(/^2026-12-01T15:18:39/);
    expect(t.entries[0]).toMatchObject({ kind: 'started', offsetMs: 0, actor: 'alice' });
    expect(t.entries.at(-1)).toMatchObject({ kind: 'ended', name: 'COMPLETED', offsetMs: Date.parse(t.endedAt!) - Date.parse(t.startedAt!) });
  });

  it('lists every approval with the approver, the round, the channel and the client', () => {
    const approvals = named(t, 'update', 'approve');
    expect(approvals.map((a) => [a.actor, a.via, (a.input as { round: string }).round, a.outcome])).toEqual([
      ['bob', 'cli', 'grant', 'completed'],
      ['carol', 'api', 'extension-1', 'completed'],
    ]);
    expect(approvals[0]).toMatchObject({ label: 'approval', identity: '538@vm', result: { accepted: true, roundState: 'approved' } });
    expect(named(t, 'update', 'extend')[0]).toMatchObject({ actor: 'alice', result: { round: 'extension-1' } });
    expect(named(t, 'signal', 'credentialsIssued')[0]).toMatchObject({ input: { accessKeyId: 'ASIAREPLAYKEY0000001' } });
  });

  it('lists the AWS actions with what they acted on and their receipts', () => {
    const grant = named(t, 'activity', 'verifyGrant')[0]!;
    expect(grant).toMatchObject({ outcome: 'completed', attempt: 1, aws: expect.stringContaining('sts:AssumeRole'), resource: { roleArn: 'arn:aws:iam::123456789012:role/BreakGlassAdmin', accountId: '123456789012' } });
    expect(grant.result).toMatchObject({ sourceIdentity: 'alice', sessionName: APPROVED });
    expect(named(t, 'activity', 'verifyRevocation')[0]).toMatchObject({ outcome: 'completed', result: { statementPresent: true, activeSessionsLeft: [] } });
    expect(named(t, 'activity', 'submitRevocationCutoff')[0]!.result).toEqual({ policyName: 'SafeguardRevocations' });
    // Notifications are named by their event, not printed whole.
    expect(named(t, 'activity', 'notify').map((n) => n.detail)).toContain('approval-needed');
    expect(named(t, 'activity', 'notify').every((n) => n.input === undefined)).toBe(true);
  });

  it('shows timers with their planned time and whether they fired', () => {
    const timers = t.entries.filter((e) => e.kind === 'timer');
    expect(timers.length).toBeGreaterThanOrEqual(4);
    const fired = timers.filter((x) => x.outcome === 'fired');
    expect(fired.length).toBe(2);
    for (const x of timers) expect(Date.parse(x.plannedAt!)).toBeGreaterThan(Date.parse(x.at));
  });

  it('renders UTC times and offsets from the start', () => {
    const text = renderTimeline(t);
    expect(text).toContain('request: by alice for BreakGlassAdmin because "database is on fire, need to restart it"');
    expect(text).toMatch(/2026-12-01T14:38:39\.659Z\s+\+200ms\s+update approve \(approval\) by bob via cli/);
    expect(text).toContain('aws: sts:AssumeRole + sts:GetCallerIdentity');
    expect(text).toMatch(/ended: 2026-12-01T15:18:39\.757Z \(\+40m0\.298s\) COMPLETED, outcome revoked/);
  });

  it('cannot read the payloads without the codec key: they stay undecodable, never guessed', async () => {
    const blind = await timelineFromHistory(await encrypted(recorded(fileOf(APPROVED))), { workflowId: APPROVED, decode: plain });
    expect(blind.request).toEqual({});
    expect(named(blind, 'update', 'approve')[0]!.input).toEqual({ '[undecodable]': expect.any(String) });
    expect(JSON.stringify(blind)).not.toContain('database is on fire');
  });
});

describe('timeline over every recorded kind', () => {
  const files = fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
  it.each(files)('%s: started, ended and every activity closed', async (file) => {
    const t = await timelineFromHistory(recorded(file), { workflowId: file.split('.')[0]!, decode: plain });
    expect(t.workflowType).toMatch(/Workflow$/);
    expect(t.entries[0]!.kind).toBe('started');
    expect(t.status).toBe('COMPLETED');
    expect(t.entries.at(-1)!.kind).toBe('ended');
    expect(t.entries.filter((e) => e.kind === 'activity' && !['completed', 'failed', 'timed-out', 'canceled'].includes(e.outcome ?? ''))).toEqual([]);
    // Time only moves forward, and offsets agree with times.
    for (const e of t.entries) expect(e.offsetMs).toBe(Date.parse(e.at) - Date.parse(t.startedAt!));
  });

  it('shows a fire drill starting its break-glass child and the child completing', async () => {
    const file = files.find((f) => f.startsWith('drill-fire-'))!;
    const t = await timelineFromHistory(recorded(file), { workflowId: file.split('.')[0]!, decode: plain });
    expect(t.entries.find((e) => e.kind === 'child')).toMatchObject({ name: 'breakGlassWorkflow', outcome: 'completed', detail: expect.stringContaining('breakglass-') });
  });
});

/** The evidence record the recorded run wrote: the input of its recordEvidence activity. */
async function evidenceOf(id: string): Promise<EvidenceEntry> {
  const t = await timelineFromHistory(recorded(fileOf(id)), { workflowId: id, decode: plain });
  const input = named(t, 'activity', 'recordEvidence')[0]!.input as { id: string; kind: string; record: Record<string, unknown> };
  return { seq: 7, at: '2026-12-01T15:18:40.000Z', id: input.id, kind: input.kind, prevHash: 'a'.repeat(64), hash: 'b'.repeat(64), record: input.record };
}

describe('timeline from evidence, when the history is gone', () => {
  it('rebuilds requester, approvers, receipts and the end from the record, and says the source is evidence', async () => {
    const entry = await evidenceOf(APPROVED);
    const other: EvidenceEntry = { ...entry, seq: 8, id: 'other/run', record: { ...entry.record, workflowId: 'breakglass-BreakGlassAdmin-ffffffff', requester: 'zed' } };
    const t = timelineFromEvidence(APPROVED, [other, entry])!;
    expect(t).toMatchObject({ source: 'evidence', status: 'RECORDED', outcome: 'revoked', request: { requester: 'alice', what: 'BreakGlassAdmin' } });
    expect(t.sourceNote).toMatch(/^evidence records \(1\), not the workflow history/);
    expect(t.records).toEqual([{ seq: 7, at: entry.at, kind: 'break-glass', id: entry.id, hash: 'b'.repeat(64) }]);
    const decisions = t.entries.filter((e) => e.kind === 'decision');
    expect(decisions.map((d) => [d.name, d.actor])).toEqual([
      ['approve', 'bob'],
      ['approve', 'carol'],
    ]);
    expect(t.entries.find((e) => e.name === 'revocation receipt')).toMatchObject({ kind: 'receipt', outcome: 'verified' });
    expect(t.entries.find((e) => e.name === 'grant receipt')?.result).toMatchObject({ sourceIdentity: 'alice' });
    expect(JSON.stringify(t)).not.toContain('zed');
    // Sorted by time.
    const times = t.entries.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(renderTimeline(t)).toContain('source: evidence records (1), not the workflow history');
  });

  it('knows nothing of a workflow no record names', async () => {
    expect(timelineFromEvidence('breakglass-nobody-00000000', [await evidenceOf(APPROVED)])).toBeUndefined();
  });
});

// A declarative runbook run (declarative-runbook.workflow.ts): approvals on the step's round, `confirm`
// Updates with notes, checks read from AWS, and an evidence record per step besides the run's.
describe('a runbook run', () => {
  const ET = temporal.api.enums.v1.EventType;
  const RUN = 'runbook-root-recovery-0badc0de';
  const T0 = Date.parse('2026-03-10T10:00:00.000Z');
  const NOTE = 'device #2 out of safe B\n2026-03-10T10:00:00.000Z  +0s  update confirm by mallory\u001b[2J';
  const account = { accountId: '123456789012', executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecution', externalId: 'ext-1' };

  /**
   * A history as the server records one, built event by event (payloads plain JSON: no codec here;
   * ids and times plain numbers where the service sends Longs: the walk reads both).
   */
  function runbookHistory(): History {
    const events: Record<string, unknown>[] = [];
    const at = (s: number) => ({ seconds: Math.floor((T0 + s * 1000) / 1000), nanos: 0 });
    const p = (v: unknown) => ({ payloads: [defaultPayloadConverter.toPayload(v)] });
    const ev = (s: number, eventType: number, attrs: Record<string, unknown>): number => {
      events.push({ ...attrs, eventId: events.length + 1, eventTime: at(s), eventType });
      return events.length;
    };
    const activity = (s: number, name: string, input: unknown, result: unknown) => {
      const id = ev(s, ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, { activityTaskScheduledEventAttributes: { activityType: { name }, input: p(input) } });
      ev(s, ET.EVENT_TYPE_ACTIVITY_TASK_STARTED, { activityTaskStartedEventAttributes: { scheduledEventId: id, attempt: 1 } });
      ev(s + 1, ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, { activityTaskCompletedEventAttributes: { scheduledEventId: id, result: p(result) } });
    };
    const update = (s: number, name: string, input: unknown, result: unknown) => {
      const updateId = `u-${events.length}`;
      ev(s, ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, { workflowExecutionUpdateAcceptedEventAttributes: { protocolInstanceId: updateId, acceptedRequest: { meta: { updateId, identity: '77@laptop' }, input: { name, args: p(input) } } } });
      ev(s, ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, { workflowExecutionUpdateCompletedEventAttributes: { meta: { updateId }, outcome: { success: p(result) } } });
    };
    const input = { runbook: { name: 'root-recovery', title: 'Root account recovery', account, steps: [] }, requestedBy: 'alice', reason: 'root MFA device lost; SEC-4242', security: ['carol'] };
    ev(0, ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, { workflowExecutionStartedEventAttributes: { workflowType: { name: 'declarativeRunbookWorkflow' }, input: p(input), identity: '12@laptop', originalExecutionRunId: 'run-1' } });
    activity(1, 'checkRunbookRequest', { input }, { accepted: true, problems: [] });
    update(5, 'approve', { approver: 'bob', round: 'approve', via: 'cli', comment: 'SEC-4242 checked' }, { accepted: true, roundState: 'open' });
    update(6, 'approve', { approver: 'carol', round: 'approve', via: 'slack' }, { accepted: true, roundState: 'approved' });
    update(10, 'confirm', { by: 'bob', step: 'mfa-retrieved', note: NOTE, via: 'cli' }, { step: 'mfa-retrieved', confirmations: 1, needed: 2, complete: false });
    update(12, 'confirm', { by: 'dave', step: 'mfa-retrieved', note: 'witnessed', via: 'slack' }, { step: 'mfa-retrieved', confirmations: 2, needed: 2, complete: true });
    activity(20, 'runRunbookCheck', { check: { name: 'root-console-login', since: 'step' }, account, sinceIso: '2026-03-10T10:00:15.000Z' }, { check: 'root-console-login', passed: false, summary: 'no root console sign-in since 10:00:15', facts: { events: 0 }, checkedAt: '2026-03-10T10:00:21.000Z' });
    activity(25, 'runRunbookCheck', { check: { name: 'root-console-login', since: 'step' }, account, sinceIso: '2026-03-10T10:00:15.000Z' }, { check: 'root-console-login', passed: true, summary: 'root signed in at 10:00:23 from 203.0.113.7', facts: { newestEventId: 'ev-1' }, checkedAt: '2026-03-10T10:00:26.000Z' });
    activity(30, 'runRunbookCheck', { check: { name: 'root-mfa-no-access-keys', since: 'step' }, account, sinceIso: '2026-03-10T10:00:30.000Z' }, { check: 'root-mfa-no-access-keys', passed: true, summary: 'MFA on, no access keys', facts: { AccountMFAEnabled: 1, AccountAccessKeysPresent: 0 }, checkedAt: '2026-03-10T10:00:31.000Z' });
    ev(40, ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, { workflowExecutionCompletedEventAttributes: { result: p({ status: { workflowId: RUN, kind: 'runbook' }, outcome: 'completed', evidenceWritten: true }) } });
    return { events } as unknown as History;
  }

  it('from the history: who asked for which runbook, approvals on its round, each confirmation with its step, note and channel', async () => {
    const t = await timelineFromHistory(runbookHistory(), { workflowId: RUN, decode: plain });
    expect(t).toMatchObject({ source: 'history', workflowType: 'declarativeRunbookWorkflow', status: 'COMPLETED', outcome: 'completed', request: { requester: 'alice', what: 'root-recovery', why: 'root MFA device lost; SEC-4242' } });
    expect(named(t, 'update', 'approve').map((a) => [a.actor, a.via, a.label, a.detail])).toEqual([
      ['bob', 'cli', 'approval', 'round approve: "SEC-4242 checked"'],
      ['carol', 'slack', 'approval', 'round approve'],
    ]);
    expect(named(t, 'update', 'confirm').map((c) => [c.actor, c.via, c.label, c.detail, c.outcome, c.identity])).toEqual([
      ['bob', 'cli', 'confirmation of a runbook step', `step mfa-retrieved: "${NOTE}"`, 'completed', '77@laptop'],
      ['dave', 'slack', 'confirmation of a runbook step', 'step mfa-retrieved: "witnessed"', 'completed', '77@laptop'],
    ]);
    expect(named(t, 'activity', 'checkRunbookRequest')[0]).toMatchObject({ label: "runbook run checked against the worker's policy", outcome: 'completed' });
  });

  it('from the history: each check is a receipt of which check ran, what AWS was read, whether it passed and what it saw', async () => {
    const t = await timelineFromHistory(runbookHistory(), { workflowId: RUN, decode: plain });
    expect(named(t, 'activity', 'runRunbookCheck').map((c) => [c.label, c.aws, c.outcome, c.detail])).toEqual([
      ['runbook check root-console-login', 'cloudtrail:LookupEvents (read-only)', 'completed', 'not passed: no root console sign-in since 10:00:15'],
      ['runbook check root-console-login', 'cloudtrail:LookupEvents (read-only)', 'completed', 'passed: root signed in at 10:00:23 from 203.0.113.7'],
      ['runbook check root-mfa-no-access-keys', 'iam:GetAccountSummary (read-only)', 'completed', 'passed: MFA on, no access keys'],
    ]);
    expect(named(t, 'activity', 'runRunbookCheck')[1]).toMatchObject({ resource: { accountId: '123456789012' }, result: { passed: true, facts: { newestEventId: 'ev-1' } } });
    const text = renderTimeline(t);
    expect(text).toContain('request: by alice for root-recovery because "root MFA device lost; SEC-4242"');
    expect(text).toMatch(/\+10s\s+update confirm \(confirmation of a runbook step\) by bob via cli \[client 77@laptop\] — completed/);
    expect(text).toMatch(/activity runRunbookCheck \(runbook check root-mfa-no-access-keys\) — completed at \+31s\n\s+aws: iam:GetAccountSummary \(read-only\)\n\s+on: accountId=123456789012\n\s+passed: MFA on, no access keys/);
    // A note is someone's text: its line break cannot start a forged entry, its escape cannot reach the terminal.
    expect(unsafeCharacterIn(text)).toBeUndefined();
    for (const line of text.split('\n')) expect(line).not.toMatch(/^2026-03-10T10:00:00\.000Z {2}\+0s {2}update confirm by mallory/);
  });

  it('reads a recorded root-recovery history: confirmations with step and note, checks by name and AWS read', async () => {
    const file = fs.readdirSync(HISTORIES).find((f) => f.startsWith('runbook-root-recovery-'))!;
    const t = await timelineFromHistory(recorded(file), { workflowId: file.split('.')[0]!, decode: plain });
    expect(t.request).toMatchObject({ requester: 'alice', what: 'root-recovery' });
    const confirms = named(t, 'update', 'confirm');
    expect(confirms.length).toBeGreaterThanOrEqual(8);
    for (const c of confirms) expect(c).toMatchObject({ label: 'confirmation of a runbook step', actor: expect.any(String), via: expect.any(String), outcome: 'completed', detail: expect.stringMatching(/^step [a-z-]+: "/) });
    expect(confirms.map((c) => c.actor)).not.toContain('alice');
    expect(named(t, 'update', 'approve').map((a) => a.detail)).toEqual(['round approve', 'round approve']);
    const checks = named(t, 'activity', 'runRunbookCheck');
    expect(checks.map((c) => c.label)).toEqual(['runbook check root-console-login', 'runbook check root-mfa-no-access-keys']);
    expect(checks.map((c) => c.aws)).toEqual(['cloudtrail:LookupEvents (read-only)', 'iam:GetAccountSummary (read-only)']);
    for (const c of checks) expect(c.detail).toMatch(/^passed: /);
  });

  /** The records the run wrote: one per step as it ended, then the run's (with every step's result). */
  function runbookEvidence(): EvidenceEntry[] {
    const at = (s: number) => new Date(T0 + s * 1000).toISOString();
    const steps = [
      { index: 0, id: 'approve', type: 'approval', outcome: 'done', startedAt: at(2), endedAt: at(6), escalated: false, by: [{ by: 'bob', at: at(5), note: 'SEC-4242 checked' }, { by: 'carol', at: at(6) }], detail: 'approved by bob, carol' },
      { index: 1, id: 'mfa-retrieved', type: 'confirm', outcome: 'done', startedAt: at(6), endedAt: at(12), escalated: true, by: [{ by: 'bob', at: at(10), note: NOTE, via: 'cli' }, { by: 'dave', at: at(12), note: 'witnessed', via: 'slack' }], detail: 'confirmed by bob, dave' },
      { index: 2, id: 'root-signed-in', type: 'wait', outcome: 'done', startedAt: at(15), endedAt: at(26), escalated: false, by: [], check: { check: 'root-console-login', passed: true, summary: 'root signed in at 10:00:23 from 203.0.113.7', facts: { newestEventId: 'ev-1' }, checkedAt: at(26) }, detail: 'root signed in' },
      { index: 3, id: 'root-locked-down', type: 'check', outcome: 'done', startedAt: at(30), endedAt: at(31), escalated: false, by: [], check: { check: 'root-mfa-no-access-keys', passed: true, summary: 'MFA on, no access keys', facts: {}, checkedAt: at(31) }, detail: 'MFA on, no access keys' },
    ];
    const entry = (seq: number, kind: string, id: string, record: Record<string, unknown>): EvidenceEntry => ({ seq, at: String(record['endedAt']), id, kind, prevHash: 'a'.repeat(64), hash: `${seq}`.repeat(64).slice(0, 64), record });
    const ids = { workflowId: RUN, runId: 'run-1', runbook: 'root-recovery' };
    const stepEntries = steps.map((s, i) => entry(i + 1, 'runbook-step', `${RUN}/run-1/step-${s.index}`, { ...ids, requestedBy: 'alice', ...s }));
    const timeline = [
      { at: at(0), event: 'started', by: 'alice', detail: 'root MFA device lost; SEC-4242' },
      { at: at(6), event: 'approval:approved' },
      { at: at(10), event: 'mfa-retrieved:confirmed', by: 'bob', detail: NOTE },
      { at: at(11), event: 'mfa-retrieved:escalated' },
      { at: at(12), event: 'mfa-retrieved:confirmed', by: 'dave', detail: 'witnessed' },
      { at: at(40), event: 'ended:completed' },
    ];
    const run = entry(5, 'runbook', `${RUN}/run-1`, { ...ids, title: 'Root account recovery', accountId: '123456789012', requestedBy: 'alice', reason: 'root MFA device lost; SEC-4242', outcome: 'completed', definition: {}, stepResults: steps, startedAt: at(0), endedAt: at(40), steps: steps.map((s) => ({ name: s.id, state: 'done', at: s.endedAt })), facts: [], timeline });
    return [...stepEntries, run];
  }

  it('from evidence: the run record, not a step, says how it ended; decisions and check receipts come from its steps', () => {
    const t = timelineFromEvidence(RUN, runbookEvidence())!;
    expect(t).toMatchObject({ source: 'evidence', status: 'RECORDED', outcome: 'completed', runId: 'run-1', startedAt: '2026-03-10T10:00:00.000Z', endedAt: '2026-03-10T10:00:40.000Z', request: { requester: 'alice', what: 'root-recovery', why: 'root MFA device lost; SEC-4242' } });
    expect(t.records!.map((r) => [r.seq, r.kind])).toEqual([
      [1, 'runbook-step'],
      [2, 'runbook-step'],
      [3, 'runbook-step'],
      [4, 'runbook-step'],
      [5, 'runbook'],
    ]);
    expect(t.entries.filter((e) => e.kind === 'decision').map((d) => [d.name, d.label, d.actor, d.via, d.detail])).toEqual([
      ['approve', 'approval (round approve)', 'bob', undefined, 'SEC-4242 checked'],
      ['approve', 'approval (round approve)', 'carol', undefined, undefined],
      ['confirm', 'confirmation (step mfa-retrieved)', 'bob', 'cli', NOTE],
      ['confirm', 'confirmation (step mfa-retrieved)', 'dave', 'slack', 'witnessed'],
    ]);
    // Each confirmation once: the run's own log line of it is not repeated beside the decision.
    expect(t.entries.filter((e) => e.name === 'mfa-retrieved:confirmed')).toEqual([]);
    expect(t.entries.find((e) => e.name === 'mfa-retrieved:escalated')).toMatchObject({ kind: 'event' });
    expect(t.entries.filter((e) => e.kind === 'receipt').map((r) => [r.name, r.aws, r.outcome, r.detail])).toEqual([
      ['runbook check root-console-login', 'cloudtrail:LookupEvents (read-only)', 'passed', 'root signed in at 10:00:23 from 203.0.113.7'],
      ['runbook check root-mfa-no-access-keys', 'iam:GetAccountSummary (read-only)', 'passed', 'MFA on, no access keys'],
    ]);
    // The checklist comes from the run record; steps are not listed twice.
    expect(t.entries.filter((e) => e.kind === 'step').map((e) => e.name)).toEqual(['approve', 'mfa-retrieved', 'root-signed-in', 'root-locked-down']);
    const text = renderTimeline(t);
    expect(text).toMatch(/decision confirm \(confirmation \(step mfa-retrieved\)\) by dave via slack\n\s+witnessed/);
    expect(text).toMatch(/ended: 2026-03-10T10:00:40\.000Z \(\+40s\) RECORDED, outcome completed/);
    expect(unsafeCharacterIn(text)).toBeUndefined();
  });

  it('from evidence, a run with step records only: its steps and decisions, and no end it does not know', () => {
    const t = timelineFromEvidence(RUN, runbookEvidence().filter((e) => e.kind === 'runbook-step').slice(0, 2))!;
    expect(t.outcome).toBeUndefined();
    expect(t.endedAt).toBeUndefined();
    expect(t.startedAt).toBe('2026-03-10T10:00:02.000Z');
    expect(t.sourceNote).toContain('no record of the run itself (still open, or its record was not written): its steps only');
    expect(t.entries.filter((e) => e.kind === 'step').map((e) => [e.name, e.outcome, e.detail])).toEqual([
      ['approve', 'done', 'approved by bob, carol'],
      ['mfa-retrieved', 'done', 'escalated; confirmed by bob, dave'],
    ]);
    expect(t.entries.filter((e) => e.kind === 'decision')).toHaveLength(4);
  });

  it('from evidence: a denied approval step names its denier as a denial, with the reason', () => {
    const [first] = runbookEvidence();
    const denied = { ...first!, record: { ...first!.record, outcome: 'failed', by: [{ by: 'bob', at: '2026-03-10T10:00:05.000Z' }, { by: 'carol', at: '2026-03-10T10:00:06.000Z', note: 'no ticket for this' }] } };
    const t = timelineFromEvidence(RUN, [denied])!;
    expect(t.entries.filter((e) => e.kind === 'decision').map((d) => [d.name, d.actor, d.detail])).toEqual([
      ['approve', 'bob', undefined],
      ['deny', 'carol', 'no ticket for this'],
    ]);
  });

  it('from evidence: a watcher run shows the root sign-in it paged', () => {
    const record = { accountId: '123456789012', eventId: 'ev-9', at: '2026-03-11T03:14:00.000Z', sourceIp: '198.51.100.9', mfaUsed: 'No', verdict: 'unexpected', watchWorkflowId: 'safeguard-root-login-watch-x', pagedAt: '2026-03-11T03:15:02.000Z' };
    const t = timelineFromEvidence('safeguard-root-login-watch-x', [{ seq: 3, at: '2026-03-11T03:15:02.100Z', id: 'root-login/123456789012/ev-9', kind: 'root-login', prevHash: 'a'.repeat(64), hash: 'c'.repeat(64), record }])!;
    expect(t.entries.find((e) => e.kind === 'event')).toMatchObject({ at: '2026-03-11T03:14:00.000Z', name: 'root console sign-in', label: 'no recovery open: security paged', detail: 'account 123456789012, from 198.51.100.9, MFA used: No, CloudTrail event ev-9', endedAt: '2026-03-11T03:15:02.000Z' });
  });

  it('`audit show` falls back to the run record and its step records when the history is gone', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-show-runbook-'));
    try {
      fs.writeFileSync(path.join(dir, 'evidence.jsonl'), runbookEvidence().map((e) => JSON.stringify(e)).join('\n') + '\n');
      const t = await loadTimeline({ workflowId: RUN, evidenceDir: dir, temporalError: 'down' });
      expect(t).toMatchObject({ source: 'evidence', outcome: 'completed' });
      expect(t.records).toHaveLength(5);
      const out: string[] = [];
      const err: string[] = [];
      const code = await runAuditShow(RUN, { dir }, { openContext: () => Promise.reject(new Error('connect ECONNREFUSED')), encryptedConverter: () => Promise.reject(new Error('unused')), out: { stdout: (x) => out.push(x), stderr: (x) => err.push(x) } });
      expect(code).toBe(0);
      expect(err.join('\n')).toContain('the timeline comes from evidence records');
      const text = out.join('\n');
      expect(text).toContain('request: by alice for root-recovery because "root MFA device lost; SEC-4242"');
      expect(text).toMatch(/receipt runbook check root-console-login — passed\n\s+aws: cloudtrail:LookupEvents \(read-only\)\n\s+root signed in at 10:00:23 from 203\.0\.113\.7/);
      expect(text).toMatch(/#5 \S+ runbook runbook-root-recovery-0badc0de\/run-1 /);
      expect(unsafeCharacterIn(text)).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loadTimeline and `audit show`', () => {
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-show-'));
    const entry = await evidenceOf(APPROVED);
    fs.writeFileSync(path.join(dir, 'evidence.jsonl'), `${JSON.stringify(entry)}\n`);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const notFound = Object.assign(new Error(`5 NOT_FOUND: workflow execution not found`), { code: 5, details: 'not found', metadata: {} });
  /** A client whose history is gone (retention passed). */
  const goneClient = {
    workflow: { getHandle: () => ({ fetchHistory: () => Promise.reject(notFound) }) },
    options: { loadedDataConverter: loadDataConverter() },
  };

  function program(deps: Partial<AuditShowDeps>): { cmd: Command; out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    const cmd = new Command('safeguard').exitOverride();
    const audit = cmd.command('audit');
    registerAuditShow(audit, {
      openContext: () => Promise.resolve({ temporal: goneClient as never, close: () => Promise.resolve() }),
      encryptedConverter: () => Promise.reject(new Error('unused')),
      out: { stdout: (s) => out.push(s), stderr: (s) => err.push(s) },
      ...deps,
    });
    return { cmd, out, err };
  }

  it('falls back to evidence when Temporal has no history', async () => {
    const t = await loadTimeline({ workflowId: APPROVED, evidenceDir: dir, temporal: goneClient as never });
    expect(t.source).toBe('evidence');
    expect(t.sourceNote).toContain('Temporal has no history for it');
  });

  it('does not fall back on other Temporal errors (a missing codec key is not "history gone")', async () => {
    const denied = { ...goneClient, workflow: { getHandle: () => ({ fetchHistory: () => Promise.reject(Object.assign(new Error('7 PERMISSION_DENIED'), { code: 7, details: 'denied', metadata: {} })) }) } };
    await expect(loadTimeline({ workflowId: APPROVED, evidenceDir: dir, temporal: denied as never })).rejects.toThrow('PERMISSION_DENIED');
  });

  it('`audit show` prints the evidence timeline and says where it comes from (exit 0)', async () => {
    const { cmd, out, err } = program({ openContext: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:7233')) });
    await cmd.parseAsync(['audit', 'show', APPROVED, '--dir', dir], { from: 'user' });
    expect(process.exitCode).toBe(0);
    expect(err.join('\n')).toContain('the timeline comes from evidence records, not the workflow history');
    expect(out.join('\n')).toContain('Temporal could not be reached (connect ECONNREFUSED');
    expect(out.join('\n')).toContain('approve (approval (round grant)) by bob');
  });

  it('`audit show --json` prints one JSON object', async () => {
    const { cmd, out } = program({ openContext: () => Promise.reject(new Error('down')) });
    await cmd.parseAsync(['audit', 'show', APPROVED, '--dir', dir, '--json'], { from: 'user' });
    expect(JSON.parse(out.join(''))).toMatchObject({ source: 'evidence', workflowId: APPROVED });
  });

  it('an unknown workflow is a clear error, exit 1', async () => {
    const { cmd, out, err } = program({ openContext: () => Promise.reject(new Error('down')) });
    await cmd.parseAsync(['audit', 'show', 'breakglass-BreakGlassAdmin-deadbeef', '--dir', dir], { from: 'user' });
    expect(process.exitCode).toBe(1);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(/no run breakglass-BreakGlassAdmin-deadbeef: Temporal could not be reached \(down\), and no evidence record in .* names it/);
  });

  it('a missing codec key is a configuration error, exit 2, never the evidence fallback', async () => {
    const missing = new KeyRingError('CODEC_KEY_MISSING', 'SAFEGUARD_CODEC_KEYS: no keys');
    const { cmd, out, err } = program({ openContext: () => Promise.reject(missing) });
    await cmd.parseAsync(['audit', 'show', APPROVED, '--dir', dir], { from: 'user' });
    expect(process.exitCode).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual(['error: SAFEGUARD_CODEC_KEYS: no keys']);
  });

  it('a codec key error while reading the history is exit 2 too, not a fallback', async () => {
    const failing = { ...goneClient, workflow: { getHandle: () => ({ fetchHistory: () => Promise.reject(new KeyRingError('CODEC_KEY_UNKNOWN_ACTIVE_ID', 'key id "k9" is not in the ring')) }) } };
    const { cmd, out, err } = program({ openContext: () => Promise.resolve({ temporal: failing as never, close: () => Promise.resolve() }) });
    await cmd.parseAsync(['audit', 'show', APPROVED, '--dir', dir], { from: 'user' });
    expect(process.exitCode).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toContain('key id "k9" is not in the ring');
  });

  it('prints a hostile reason as visible escapes, on its own line, in text and in --json', async () => {
    const entry = await evidenceOf(APPROVED);
    const reason = 'db down\x1b]0;owned\x07\x1b[2J\n2026-12-01T15:00:00.000Z  +0s  update approve by mallory\u202e\u009b31m';
    const hostileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-show-hostile-'));
    try {
      fs.writeFileSync(path.join(hostileDir, 'evidence.jsonl'), `${JSON.stringify({ ...entry, record: { ...entry.record, reason } })}\n`);
      for (const json of [false, true]) {
        const { cmd, out } = program({ openContext: () => Promise.reject(new Error('down')) });
        await cmd.parseAsync(['audit', 'show', APPROVED, '--dir', hostileDir, ...(json ? ['--json'] : [])], { from: 'user' });
        expect(process.exitCode).toBe(0);
        const printed = out.join('\n');
        expect(unsafeCharacterIn(printed)).toBeUndefined();
        if (json) {
          expect((JSON.parse(printed) as Timeline).request.why).toBe(reason);
        } else {
          expect(printed).toContain('db down\\u{1b}]0;owned\\u{7}\\u{1b}[2J');
          // The forged entry stays inside the lines that quote the reason; none of them starts like an entry.
          const quoting = printed.split('\n').filter((l) => l.includes('update approve by mallory'));
          expect(quoting.length).toBeGreaterThan(0);
          for (const l of quoting) expect(l).not.toMatch(/^2026-12-01T15:00:00\.000Z/);
        }
      }
    } finally {
      fs.rmSync(hostileDir, { recursive: true, force: true });
    }
  });

  it('a malformed workflow id is bad input, exit 2', async () => {
    const { cmd, err } = program({});
    await cmd.parseAsync(['audit', 'show', 'has space', '--dir', dir], { from: 'user' });
    expect(process.exitCode).toBe(2);
    expect(err.join('\n')).toContain('invalid workflow id');
  });

  afterEach(() => {
    process.exitCode = 0;
  });
});

describe('`audit export-history`', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'export-history-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    process.exitCode = 0;
  });

  async function exportHistory(out: string): Promise<{ fetched: number; err: string[] }> {
    let fetched = 0;
    const err: string[] = [];
    const temporal = {
      workflow: {
        getHandle: () => ({
          fetchHistory: () => {
            fetched++;
            return Promise.resolve(recorded(fileOf(APPROVED)));
          },
        }),
      },
    };
    const cmd = new Command('safeguard').exitOverride();
    registerAuditReplay(cmd.command('audit'), {
      openContext: () => Promise.resolve({ temporal: temporal as never, close: () => Promise.resolve() }),
      encryptedConverter: () => Promise.reject(new Error('unused')),
      out: { stdout: () => undefined, stderr: (s) => err.push(s) },
    });
    await cmd.parseAsync(['audit', 'export-history', APPROVED, '--out', out], { from: 'user' });
    return { fetched, err };
  }

  it('writes owner-only (0600) even over an existing file with a looser mode, and leaves no temporary file', async () => {
    const file = path.join(dir, `${APPROVED}.json`);
    fs.writeFileSync(file, 'old', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    await exportHistory(file);
    expect(process.exitCode).toBe(0);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(historyFromJSON(JSON.parse(fs.readFileSync(file, 'utf8'))).events?.length).toBeGreaterThan(0);
    expect(fs.readdirSync(dir)).toEqual([`${APPROVED}.json`]);
  });

  it('refuses a directory as --out before asking Temporal (exit 2), writing nothing', async () => {
    const { fetched, err } = await exportHistory(dir);
    expect(process.exitCode).toBe(2);
    expect(fetched).toBe(0);
    expect(err.join('\n')).toContain(`--out ${dir} is a directory`);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(fs.readdirSync(path.dirname(dir)).filter((f) => f.startsWith(`${path.basename(dir)}.`))).toEqual([]);
  });
});

describe('secrets never printed', () => {
  const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKY';
  const SESSION_TOKEN = `FwoGZXIvYXdzE${'Ab3dE9fGh1JkLmN0pQrStUvWxYz'.repeat(4)}`;

  /** A history in which someone put credentials where they never belong: a signal and a reason. */
  async function poisoned(): Promise<History> {
    const h = recorded(fileOf(APPROVED));
    const converter = loadDataConverter();
    for (const e of h.events ?? []) {
      const sig = e.workflowExecutionSignaledEventAttributes;
      if (sig?.signalName === 'credentialsIssued') {
        sig.input = { payloads: [converter.payloadConverter.toPayload({ accessKeyId: 'ASIAREPLAYKEY0000001', secretAccessKey: SECRET_KEY, sessionToken: SESSION_TOKEN, expiresAt: '2030-01-01T00:15:00.000Z' })] };
      }
      const ext = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
      if (ext?.name === 'extend') ext.args = { payloads: [converter.payloadConverter.toPayload({ requester: 'alice', byMs: 600_000, reason: `my key is ${SECRET_KEY} sorry` })] };
    }
    return encrypted(h);
  }

  it('removes values under secret keys and secret-shaped strings, and says where', async () => {
    const t = await timelineFromHistory(await poisoned(), { workflowId: APPROVED, decode: withCodec });
    const text = renderTimeline(t);
    const json = JSON.stringify(t);
    for (const out of [text, json]) {
      expect(out).not.toContain(SECRET_KEY);
      expect(out).not.toContain(SESSION_TOKEN.slice(0, 40));
      expect(scanForSecrets(out, { known: [SECRET_KEY, SESSION_TOKEN] })).toEqual([]);
    }
    expect(named(t, 'signal', 'credentialsIssued')[0]!.input).toMatchObject({ accessKeyId: 'ASIAREPLAYKEY0000001', secretAccessKey: '[REDACTED]', sessionToken: '[REDACTED]' });
    expect((named(t, 'update', 'extend')[0]!.input as { reason: string }).reason).toBe('my key is [REDACTED] sorry');
    expect(t.redactions!.length).toBeGreaterThanOrEqual(3);
    expect(text).toContain('secret-shaped values removed at:');
  });

  it('scrubs the evidence fallback too', () => {
    const entry: EvidenceEntry = { seq: 1, at: '2026-12-01T15:00:00.000Z', id: 'x/r', kind: 'break-glass', prevHash: 'a'.repeat(64), hash: 'b'.repeat(64), record: { workflowId: 'x', runId: 'r', outcome: 'revoked', reason: `pasted ${SECRET_KEY}`, timeline: [{ at: '2026-12-01T14:00:00.000Z', event: 'requested', detail: SESSION_TOKEN }] } };
    const t = timelineFromEvidence('x', [entry])!;
    expect(scanForSecrets(renderTimeline(t) + JSON.stringify(t), { known: [SECRET_KEY, SESSION_TOKEN] })).toEqual([]);
  });
});
