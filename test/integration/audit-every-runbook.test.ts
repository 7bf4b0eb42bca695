// `safeguard audit export` over the evidence of a real run of every runbook kind. The demo's plays
// (dev/demo-plays.ts) are written for examples/policy.yaml (its people, its access review over the main
// sandbox account, its rotation targets), while the integration stack runs integration.yaml with
// targets reserved one per test; so this file plays them on a stack of its own (its own temp dir and
// free ports, beside the tier's stack), then exports the period in all four formats through the CLI's
// code path and checks every run is there with the figures the plays saw.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runAuditExport } from '../../cli/areas/audit-export';
import { DEMO_KINDS } from '../../dev/demo-args';
import { playOnOwnStack } from '../../dev/demo-plays';
import type { Played, PlayedRun } from '../../dev/demo-plays';
import { REPO_ROOT } from '../../dev/temporal-server';
import { EvidenceStore } from '../../evidence/store';
import { openEvidenceForAudit } from '../../evidence/audit-access';
import { DEV_EVIDENCE_KEY_FILE } from '../../config/stack-file';
import type { AuditExport, RunRow } from '../../reports/audit-export';
import { maskAccessKeyId } from '../../activities/reviews/findings';

jest.setTimeout(600_000);

let work: string;
let run: PlayedRun;
let from: string;
let to: string;
const files: Record<'md' | 'html' | 'csv' | 'json', string> = { md: '', html: '', csv: '', json: '' };

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-audit-'));
  from = new Date(Date.now() - 60_000).toISOString();
  run = await playOnOwnStack({
    stack: { dataDir: path.join(work, 'stack'), headless: true, policyFile: path.join(REPO_ROOT, 'examples/policy.yaml') },
    kinds: DEMO_KINDS,
    out: { say: () => undefined, note: () => undefined },
  });
  to = new Date(Date.now() + 60_000).toISOString();
  for (const format of ['md', 'html', 'csv', 'json'] as const) {
    const out = path.join(work, `period.${format}`);
    const err: string[] = [];
    const code = await runAuditExport({ from, to, format, dir: run.evidenceDir, out }, { stdout: () => undefined, stderr: (s) => err.push(s) }, { openStore: keyedStore });
    if (code !== 0) throw new Error(`audit export --format ${format} exited ${code}: ${err.join('\n')}`);
    files[format] = fs.readFileSync(out, 'utf8');
  }
});

/** The stopped stack's evidence, keyed with the key it left beside it (as `--key-file` gives it). */
async function keyedStore(dir: string): Promise<EvidenceStore> {
  return (await openEvidenceForAudit({ dir, keyFile: path.join(path.dirname(dir), DEV_EVIDENCE_KEY_FILE) })).store;
}

afterAll(() => {
  if (work && !process.env.SAFEGUARD_KEEP_TEST_DATA) fs.rmSync(work, { recursive: true, force: true });
});

function played(kind: Played['kind']): Played & Record<string, unknown> {
  const p = run.played.find((x) => x.kind === kind);
  if (!p) throw new Error(`the ${kind} play did not run`);
  return p;
}

function rowOf(kind: string, workflowId: unknown): RunRow {
  const json = JSON.parse(files.json) as AuditExport;
  const rows = json.sections.find((s) => s.kind === kind)?.rows.filter((r) => r.workflowId === workflowId) ?? [];
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

test('every runbook kind played to its expected end', () => {
  expect(run.played.map((p) => p.kind)).toEqual(DEMO_KINDS);
  for (const p of run.played) expect({ kind: p.kind, ok: p.ok }).toEqual({ kind: p.kind, ok: true });
});

test('every run is in every format, under its evidence seq and id', async () => {
  const entries = await new EvidenceStore(run.evidenceDir).list();
  for (const p of run.played) {
    const entry = entries.find((e) => e.kind === p.kind && e.record['workflowId'] === p['workflowId']);
    expect(entry).toBeDefined();
    const row = rowOf(p.kind, p['workflowId']);
    expect({ seq: row.seq, evidenceId: row.evidenceId }).toEqual({ seq: entry!.seq, evidenceId: entry!.id });
    expect(files.md).toContain(`| ${entry!.seq} | ${entry!.id} |`);
    expect(files.html).toContain(`<tr class="run" data-kind="${p.kind}" data-seq="${entry!.seq}" data-evidence-id="${entry!.id}">`);
    expect(files.csv).toContain(`\r\n${p.kind},${entry!.seq},${entry!.id},`);
  }
  const json = JSON.parse(files.json) as AuditExport;
  expect(json.period).toEqual({ from: new Date(from).toISOString(), to: new Date(to).toISOString() });
  // Keyed links verified with the stack's key (the stack has stopped: the local anchors only).
  expect(json.chain.ok).toBe(true);
  expect(json.chain.ok).toBe((await (await keyedStore(run.evidenceDir)).verify()).ok);
  for (const kind of DEMO_KINDS) expect(json.summary.find((s) => s.kind === kind)?.runs).toBeGreaterThanOrEqual(1);
});

test('break-glass: requester, approvers, planned vs actual end, verified revocation and its lag', () => {
  const p = played('break-glass');
  const row = rowOf('break-glass', p['workflowId']);
  expect(row).toMatchObject({ outcome: p['outcome'], requestedBy: p['requester'], approvers: p['approvers'], plannedEndAt: p['plannedEndAt'], endedAt: p['actualEndAt'] });
  expect(row.figures).toMatchObject({ role: p['role'], revocationVerified: true, revocationLagMs: p['revocationLagMs'], endReason: p['endReason'] });
});

test('rotations: outcome, masked keys, who approved deleting the old key', () => {
  const ak = played('access-key-rotation');
  const row = rowOf('access-key-rotation', ak['workflowId']);
  expect(row).toMatchObject({ outcome: ak['outcome'], startedAt: ak['startedAt'], endedAt: ak['endedAt'], approvers: [ak['deleteApprovedBy']] });
  expect(row.figures).toMatchObject({ oldAccessKeyId: maskAccessKeyId(String(ak['oldAccessKeyId'])), newAccessKeyId: maskAccessKeyId(String(ak['newAccessKeyId'])) });
  expect(files.json + files.csv + files.md + files.html).not.toContain(String(ak['newAccessKeyId']));
  const kms = played('kms-rotation');
  expect(rowOf('kms-rotation', kms['workflowId'])).toMatchObject({ outcome: kms['outcome'], figures: expect.objectContaining({ keyId: kms['keyId'] }) });
});

test('drills: RTO and RPO against targets, fire-drill times and revocation', () => {
  const rd = played('restore-drill');
  const restore = rowOf('restore-drill', rd['workflowId']);
  expect(restore.outcome).toBe(rd['outcome']);
  expect(restore.figures).toMatchObject({ rtoMs: rd['rtoMs'], rpoMs: rd['rpoMs'], rtoMet: rd['rtoMet'], rpoMet: rd['rpoMet'], scratch: rd['scratch'], tornDownAt: rd['tornDownAt'] });
  expect(restore.figures['rtoTargetMs']).toEqual(expect.any(Number));
  expect(restore.approvers).toEqual([rd['signedOffBy']]);
  const fd = played('break-glass-drill');
  const fire = rowOf('break-glass-drill', fd['workflowId']);
  expect(fire).toMatchObject({ outcome: fd['outcome'], approvers: [fd['approvedBy']] });
  expect(fire.figures).toMatchObject({ timeToApproveMs: fd['timeToApproveMs'], timeToGrantMs: fd['timeToGrantMs'], revocationLagMs: fd['revocationLagMs'], revocationVerified: true, grantWorkflowId: fd['grantWorkflowId'] });
});

test('access review: principals, flagged and the decisions from its report blob', () => {
  const ar = played('access-review');
  const row = rowOf('access-review', ar['workflowId']);
  expect(row.outcome).toBe(ar['outcome']);
  expect(row.problems).toEqual([]);
  expect(row.figures).toMatchObject({ principals: ar['principals'], flagged: ar['flagged'], kept: ar['kept'], revoked: ar['revoked'], defaulted: ar['defaulted'] });
  expect(`${String(row.figures['revocationsVerified'])}/${String(row.figures['revocationsApplied'])}`).toBe(ar['revocationsVerified']);
  expect(row.figures['report']).toMatch(/^[0-9a-f]{64}$/);
});

test('runbook: requester, approvers, every step done, distinct confirmers, and the seqs of its step records', () => {
  const rb = played('runbook');
  const row = rowOf('runbook', rb['workflowId']);
  expect(row).toMatchObject({ subject: rb['runbook'], outcome: rb['outcome'], requestedBy: rb['requestedBy'], approvers: rb['approvers'], startedAt: rb['startedAt'], endedAt: rb['endedAt'], problems: [] });
  expect(row.figures).toMatchObject({ stepsDone: rb['stepsDone'], stepsTotal: rb['stepsTotal'], stepsEscalated: rb['stepsEscalated'], stepsTimedOut: 0, stoppedAt: null, confirmers: (rb['confirmers'] as string[]).length, stepEvidence: (rb['stepEvidenceSeqs'] as number[]).join(', ') });
  expect(row.approvers).not.toContain(rb['requestedBy']);
  // The steps are cited by the run, never listed as evidence of a kind the report does not know.
  const json = JSON.parse(files.json) as AuditExport;
  expect(json.other.filter((o) => o.kind === 'runbook-step')).toEqual([]);
  expect(files.html).toContain(`<td data-figure="stepEvidence">${(rb['stepEvidenceSeqs'] as number[]).join(', ')}</td>`);
});

test('root-login: the sign-in during the recovery as expected (with its run), the one after it paged, in their own section', () => {
  const rb = played('runbook');
  const json = JSON.parse(files.json) as AuditExport;
  const rows = json.sections.find((s) => s.kind === 'root-login')?.rows.filter((r) => r.figures['eventId'] === rb['pagedRootSignInEventId']) ?? [];
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ outcome: 'paged', figures: { sourceIp: '198.51.100.9', mfaUsed: 'no' } });
  // The sign-in during the recovery was expected: recorded with the run it fell in, not paged.
  const during = json.sections.find((s) => s.kind === 'root-login')!.rows.filter((r) => r.figures['eventId'] === rb['rootSignInEventId']);
  expect(during.every((r) => r.outcome === 'expected' && r.figures['duringRun'] === rb['workflowId'] && r.figures['pagedAt'] === null)).toBe(true);
  expect(files.md).toContain('## Root console sign-ins (root-login)');
  expect(files.html).toContain(`data-kind="root-login" data-seq="${rows[0]!.seq}" data-evidence-id="${rows[0]!.evidenceId}"`);
});
