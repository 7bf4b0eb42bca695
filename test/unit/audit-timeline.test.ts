// `safeguard audit show`: the timeline of one run from its history (payloads decrypted by the codec),
// from its evidence records when the history is gone, and never a secret in what it prints.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { KeyRingError, createKeyRing, dataConverterWithCodec } from '../../codec';
import type { KeyRing } from '../../codec';
import { loadTimeline, payloadDecoder, renderTimeline, timelineFromEvidence, timelineFromHistory } from '../../client/audit-timeline';
import type { Timeline, TimelineEntry } from '../../client/audit-timeline';
import { registerAuditReplay, registerAuditShow } from '../../cli/areas/audit-show';
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
