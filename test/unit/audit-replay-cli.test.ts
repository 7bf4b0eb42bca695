// `safeguard audit replay`: exported histories replayed against today's workflow code, through the
// command as an operator runs it (a Command built here; cli/areas/audit.ts wires the real one).
// Recorded histories pass; an altered one is reported as non-determinism with its workflow id and
// event (exit 1); unreadable paths and files are named (exit 2). Bundling the workflow code is the
// slow part (once per file).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { createKeyRing, dataConverterWithCodec } from '../../codec';
import { registerAuditReplay } from '../../cli/areas/audit-show';
import type { AuditShowDeps } from '../../cli/areas/audit-show';
import { encryptHistory } from '../support/encrypt-history';

jest.setTimeout(180_000);

const HISTORIES = path.join(__dirname, '../replay/histories');
const REVOKED = 'breakglass-BreakGlassAdmin-0000b003.revoked-early.json';
const keyring = createKeyRing([['k1', randomBytes(32).toString('base64')]]);

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-replay-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = 0;
});

async function replay(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const deps: AuditShowDeps = {
    openContext: () => Promise.reject(new Error('replay needs no Temporal')),
    encryptedConverter: () => Promise.resolve(dataConverterWithCodec(keyring)),
    out: { stdout: (s) => out.push(s), stderr: (s) => err.push(s) },
  };
  const cmd = new Command('safeguard').exitOverride();
  registerAuditReplay(cmd.command('audit'), deps);
  await cmd.parseAsync(['audit', 'replay', ...args], { from: 'user' });
  return { code: Number(process.exitCode ?? 0), stdout: out.join('\n'), stderr: err.join('\n') };
}

function write(dir: string, name: string, text: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

it('replays every recorded history against today\'s code: all ok, exit 0', async () => {
  const files = fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
  const r = await replay(HISTORIES, '--json');
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout) as { ok: boolean; results: Array<{ file: string; workflowId: string; workflowType: string; ok: boolean }> };
  expect(report.ok).toBe(true);
  expect(report.results.map((x) => path.basename(x.file))).toEqual([...files].sort());
  expect(report.results.every((x) => x.ok)).toBe(true);
  expect(report.results.find((x) => x.workflowId === 'safeguard-reconciler-0000f002')).toMatchObject({ workflowType: 'breakGlassReconcilerWorkflow' });
});

it('reports a deliberately altered history as non-determinism, with the workflow id and the event (exit 1)', async () => {
  const json = JSON.parse(fs.readFileSync(path.join(HISTORIES, REVOKED), 'utf8')) as { events: Array<{ eventId: string; activityTaskScheduledEventAttributes?: { activityType: { name: string } } }> };
  const scheduled = json.events.find((e) => e.activityTaskScheduledEventAttributes?.activityType.name === 'verifyGrant')!;
  scheduled.activityTaskScheduledEventAttributes!.activityType.name = 'openTheVault';
  const dir = path.join(tmp, 'altered');
  write(dir, REVOKED.replace('revoked-early', 'altered'), JSON.stringify(json));
  fs.copyFileSync(path.join(HISTORIES, REVOKED), path.join(dir, REVOKED));

  const r = await replay(dir);
  expect(r.code).toBe(1);
  const lines = r.stdout.split('\n');
  expect(lines.find((l) => l.includes('altered.json'))).toMatch(/^FAILED\s+breakglass-BreakGlassAdmin-0000b003 \(breakGlassWorkflow\)/);
  expect(lines.find((l) => l.includes('revoked-early.json'))).toMatch(/^ok\s+breakglass-BreakGlassAdmin-0000b003/);
  expect(r.stdout).toContain(`non-determinism at event ${scheduled.eventId}: [TMPRL1100] Nondeterminism error: Activity type of scheduled event 'openTheVault' does not match activity type of activity command 'verifyGrant'`);
  expect(r.stdout).toContain('1/2 histories replay against today\'s workflow code; 1 FAILED');

  const asJson = JSON.parse((await replay(dir, '--json')).stdout) as { ok: boolean; results: Array<{ ok: boolean; error?: { kind: string; message: string; eventId?: number } }> };
  expect(asJson.ok).toBe(false);
  const failed = asJson.results.find((x) => !x.ok)!;
  expect(failed.error).toMatchObject({ kind: 'non-determinism', eventId: Number(scheduled.eventId) });
  expect(failed.error!.message).toContain('openTheVault');
});

it('replays histories whose payloads are encrypted, with the key ring', async () => {
  const h = await encryptHistory(historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, REVOKED), 'utf8'))), keyring);
  const file = write(path.join(tmp, 'encrypted'), REVOKED, historyToJSON(h));
  const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { events: Array<{ workflowExecutionStartedEventAttributes?: { input: { payloads: Array<{ metadata: { encoding: string } }> } } }> };
  expect(stored.events[0]!.workflowExecutionStartedEventAttributes!.input.payloads[0]!.metadata.encoding).toBe(Buffer.from('binary/encrypted').toString('base64'));
  const r = await replay(file);
  expect(r.stdout).toMatch(/^ok\s+breakglass-BreakGlassAdmin-0000b003/m);
  expect(r.code).toBe(0);
});

describe('bad input: named, nothing replayed, exit 2', () => {
  it('a path that does not exist', async () => {
    const r = await replay(path.join(tmp, 'nowhere'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path.join(tmp, 'nowhere')}: no such file or directory`);
  });

  it('a directory without histories', async () => {
    fs.mkdirSync(path.join(tmp, 'empty'));
    const r = await replay(path.join(tmp, 'empty'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no *.json history files');
  });

  it('an unparsable file and a JSON file that is not a history, among good ones', async () => {
    const dir = path.join(tmp, 'mixed');
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(HISTORIES, REVOKED), path.join(dir, REVOKED));
    const broken = write(dir, 'breakglass-x-1.broken.json', '{"events": [');
    const notHistory = write(dir, 'breakglass-x-2.other.json', '{"hello": "world"}');
    const r = await replay(dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${broken}: not JSON`);
    expect(r.stderr).toContain(`${notHistory}: not a workflow history: no "events" array`);
  });
});
