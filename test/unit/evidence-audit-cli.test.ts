import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EvidenceStore } from '../../evidence/store';
import { parseIsoDate, runAuditList, runAuditVerify } from '../../cli/commands/audit';

let dir: string;
let out: { stdout: string[]; stderr: string[]; sink: { stdout(s: string): void; stderr(s: string): void } };

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'audit-'));
  const o = { stdout: [] as string[], stderr: [] as string[] };
  out = { ...o, sink: { stdout: (s) => o.stdout.push(s), stderr: (s) => o.stderr.push(s) } };
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function seed(): Promise<string> {
  const times = ['2026-01-10T10:00:00.000Z', '2026-02-10T10:00:00.000Z', '2026-03-10T10:00:00.000Z'];
  let i = 0;
  const store = new EvidenceStore(dir, { now: () => new Date(times[i++] ?? '2026-04-01T00:00:00Z') });
  await store.append({ id: 'bg-1:requested', kind: 'break-glass.requested', record: { workflowId: 'breakglass-BreakGlassAdmin-bg1', requester: 'alice', role: 'BreakGlassAdmin' } });
  await store.append({ id: 'bg-1:approved', kind: 'break-glass.decision', record: { outcome: 'approved', requester: 'alice', role: 'BreakGlassAdmin', approvers: ['bob'] } });
  const last = await store.append({ id: 'bg-1:revoked', kind: 'break-glass.revoked', record: { outcome: 'revoked' } });
  return last.hash;
}

describe('runAuditVerify', () => {
  it('exits 0 and prints the head hash when the chain is intact', async () => {
    const head = await seed();
    expect(await runAuditVerify(dir, {}, out.sink)).toBe(0);
    expect(out.stdout).toEqual([`evidence: 3 entries, chain intact, head ${head.slice(0, 12)}`]);
  });

  it('exits 1 and prints file:line: problem for each problem when tampered', async () => {
    await seed();
    const file = path.join(dir, 'evidence.jsonl');
    const text = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, text.replace('"requester":"alice","role"', '"requester":"mallory","role"'));
    expect(await runAuditVerify(dir, {}, out.sink)).toBe(1);
    expect(out.stdout).toEqual([
      expect.stringMatching(/^first bad record: evidence\.jsonl:1: seq 1: workflow breakglass-BreakGlassAdmin-bg1: hash mismatch/),
      expect.stringMatching(/^evidence\.jsonl:1: seq 1: workflow breakglass-BreakGlassAdmin-bg1: hash mismatch/),
    ]);
    expect(out.stderr.join('\n')).toMatch(/BROKEN/);
  });

  it('prints the verify result as JSON with --json', async () => {
    await seed();
    expect(await runAuditVerify(dir, { json: true }, out.sink)).toBe(0);
    expect(JSON.parse(out.stdout[0] ?? '')).toMatchObject({ ok: true, entries: 3, problems: [] });
  });

  it('exits 1 when there is no evidence file (a deleted file is not an intact chain)', async () => {
    expect(await runAuditVerify(path.join(dir, 'missing'), {}, out.sink)).toBe(1);
    expect(out.stderr.join('\n')).toMatch(/no evidence file/);
  });
});

describe('runAuditList', () => {
  it('prints one line per entry with seq, at, kind, id and a summary', async () => {
    await seed();
    expect(await runAuditList(dir, {}, out.sink)).toBe(0);
    expect(out.stdout).toHaveLength(3);
    expect(out.stdout[1]).toBe(
      '     2  2026-02-10T10:00:00.000Z  break-glass.decision  bg-1:approved  outcome=approved requester=alice role=BreakGlassAdmin',
    );
    expect(out.stdout[2]).toMatch(/bg-1:revoked {2}outcome=revoked$/);
  });

  it('filters by kind and period and prints JSON lines', async () => {
    await seed();
    expect(await runAuditList(dir, { kind: 'break-glass.decision', json: true }, out.sink)).toBe(0);
    expect(out.stdout.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['bg-1:approved']);

    out.stdout.length = 0;
    expect(await runAuditList(dir, { since: '2026-02-01', until: '2026-03-10T10:00:00Z' }, out.sink)).toBe(0);
    expect(out.stdout).toHaveLength(1);
    expect(out.stdout[0]).toContain('bg-1:approved');
  });

  it.each(['yesterday', '2026-02-30', '2026-13-01', '01/02/2026', '2026-01-01T24:00:00Z'])(
    'rejects --since %s with a clear error and exit 2',
    async (since) => {
      await seed();
      expect(await runAuditList(dir, { since }, out.sink)).toBe(2);
      expect(out.stderr[0]).toMatch(/invalid --since .*ISO 8601/);
      expect(out.stdout).toEqual([]);
    },
  );

  it('rejects --since after --until with exit 2', async () => {
    expect(await runAuditList(dir, { since: '2026-03-01', until: '2026-02-01' }, out.sink)).toBe(2);
  });
});

describe('parseIsoDate', () => {
  it('reads dates as UTC midnight and honours offsets', () => {
    expect(parseIsoDate('2026-01-31')?.toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(parseIsoDate('2026-01-31T09:30')?.toISOString()).toBe('2026-01-31T09:30:00.000Z');
    expect(parseIsoDate('2026-01-31T09:30:00+02:00')?.toISOString()).toBe('2026-01-31T07:30:00.000Z');
    expect(parseIsoDate('2024-02-29')).toBeDefined();
    expect(parseIsoDate('2026-02-29')).toBeUndefined();
  });
});

describe('terminal safety', () => {
  it('prints ids and records from a tampered file with control characters escaped', async () => {
    const store = new EvidenceStore(dir);
    await store.append({ id: 'ok', kind: 'k', record: { n: 1 } });
    const lines = (await fs.readFile(path.join(dir, 'evidence.jsonl'), 'utf8')).split('\n').filter((l) => l !== '');
    const bad = JSON.parse(lines[0]!) as Record<string, unknown>;
    await fs.appendFile(path.join(dir, 'evidence.jsonl'), `${JSON.stringify({ ...bad, seq: 2, id: 'x\u001b[2J\u202e', record: { outcome: '\u001b]8;;http://evil\u0007' } })}\n`);
    expect(await runAuditVerify(dir, {}, out.sink)).toBe(1);
    expect(await runAuditList(dir, {}, out.sink)).toBe(0);
    const printed = out.stdout.join('\n');
    expect(printed).not.toMatch(/[\u001b\u0007\u202e]/);
    expect(printed).toContain('x\\u{1b}[2J\\u{202e}');
  });
});
