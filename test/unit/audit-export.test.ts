import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { registerAuditExport, runAuditExport } from '../../cli/areas/audit-export';
import { BlobStore } from '../../evidence/blobs';
import { EvidenceStore } from '../../evidence/store';
import { FIGURES, REPORT_KINDS, loadAuditExport, renderAuditCsv, renderAuditHtml, renderAuditJson, renderAuditMarkdown } from '../../reports/audit-export';
import type { AuditExport, RunRow } from '../../reports/audit-export';
import { csvCell, csvDocument, csvRow } from '../../reports/csv';
import { esc } from '../../reports/audit-export/html';
import { mdCell } from '../../reports/markdown';

// Records shaped as the workflows write them (break-glass.workflow.ts finish(), reconcile.workflow.ts,
// RunbookRun.finish() builders of each kind), trimmed of what the report does not read.
const approval = (by: string[]) => ({ id: 'grant', kind: 'grant', quorum: 1, eligible: ['bob', 'carol'], approvals: by.map((b) => ({ by: b, at: '2026-03-02T10:00:05.000Z', via: 'cli' })), state: 'approved', openedAt: '2026-03-02T10:00:00.000Z', deadlineAt: '2026-03-02T10:15:00.000Z' });
const steps = [{ name: 'precheck', state: 'done' }];

const RECORDS: { kind: string; id: string; record: Record<string, unknown> }[] = [
  {
    kind: 'break-glass',
    id: 'bg-BreakGlassAdmin-1/run-1',
    record: {
      workflowId: 'bg-BreakGlassAdmin-1', runId: 'run-1', grantId: 'bg-BreakGlassAdmin-1', requester: 'alice', role: 'BreakGlassAdmin', roleArn: 'arn:aws:iam::123456789012:role/BreakGlassAdmin', accountId: '123456789012', mode: 'approval', phase: 'ended', outcome: 'revoked', endReason: 'expired',
      reason: 'orders database is refusing connections', ticket: 'INC-1042', requestedAt: '2026-03-02T10:00:00.000Z', durationMs: 20_000, approval: approval(['bob']), rounds: [approval(['bob'])],
      grantedAt: '2026-03-02T10:00:06.000Z', plannedEndAt: '2026-03-02T10:00:26.000Z', actualEndAt: '2026-03-02T10:00:28.000Z',
      revocation: { verified: true, checkedAt: '2026-03-02T10:00:27.400Z', policyName: 'SafeguardRevocations', statementPresent: true, deniedSourceIdentity: 'alice', tokensIssuedBefore: '2026-03-02T10:00:27.000Z', sessionsTerminated: ['alice-0a1b'], activeSessionsLeft: [], attempts: 1 },
      credentials: [], sessions: ['alice-0a1b'], timeline: [], revocationLagMs: 1400,
    },
  },
  {
    kind: 'reconciled',
    id: 'reconciled/bg-BreakGlassAdmin-2/run-2',
    record: { workflowId: 'bg-BreakGlassAdmin-2', runId: 'run-2', reconcileWorkflowId: 'reconcile-77', closedAs: 'TERMINATED', closedAt: '2026-03-03T08:00:00.000Z', requester: 'dave', role: 'BreakGlassAdmin', roleArn: 'arn:aws:iam::123456789012:role/BreakGlassAdmin', accountId: '123456789012', phaseAtClose: 'active', revocation: { verified: true, checkedAt: '2026-03-03T08:00:42.000Z' }, timeline: [] },
  },
  {
    kind: 'break-glass-drill',
    id: 'fire-drill-1/run-3',
    record: {
      workflowId: 'fire-drill-1', runId: 'run-3', drill: 'admin-fire', rehearses: 'BreakGlassAdmin', drillRoleArn: 'arn:aws:iam::123456789012:role/FireDrillAdmin', accountId: '123456789012', requestedBy: 'alice', outcome: 'passed', grantWorkflowId: 'bg-FireDrillAdmin-9',
      approvals: [{ by: 'carol', at: '2026-03-04T09:00:10.000Z' }], scores: { timeToApproveMs: 10_000, timeToGrantMs: 900, revocationLagMs: 2_100 }, targets: { approveWithinMs: 60_000, grantWithinMs: 60_000, revokeWithinMs: 60_000 }, missed: [],
      probe: null, revocation: { verified: true, checkedAt: '2026-03-04T09:01:00.000Z' }, startedAt: '2026-03-04T09:00:00.000Z', endedAt: '2026-03-04T09:01:01.000Z', steps, facts: [], timeline: [],
    },
  },
  {
    kind: 'restore-drill',
    id: 'restore-drill-1/run-4',
    record: {
      workflowId: 'restore-drill-1', runId: 'run-4', drill: 'patients-db-snapshot', accountId: '123456789012', sourceType: 'rds-snapshot', source: { type: 'rds-snapshot' }, requestedBy: 'alice', outcome: 'passed',
      scratch: { type: 'rds', name: 'sg-drill-patients-db-snapshot-ab12' }, restorePoint: null, validation: { passed: true, summary: '120 rows' },
      scores: { rtoMs: 95_000, rpoMs: 7_200_000, rtoTargetMs: 3_600_000, rpoTargetMs: 3_600_000, rtoMet: true, rpoMet: false, rpoBasis: 'newest-record' },
      teardown: { goneAt: '2026-03-05T04:03:00.000Z' }, signOff: 'approved', signOffRound: { ...approval(['carol']), id: 'sign-off', kind: 'sign-off' }, startedAt: '2026-03-05T04:00:00.000Z', endedAt: '2026-03-05T04:03:10.000Z', steps, facts: [], timeline: [],
    },
  },
  {
    kind: 'access-key-rotation',
    id: 'rotate-svc-exporter-1/run-5',
    record: {
      workflowId: 'rotate-svc-exporter-1', runId: 'run-5', target: 'exporter', userName: 'svc-exporter', accountId: '123456789012', requestedBy: 'alice', outcome: 'rotated', oldAccessKeyId: 'AKIAOLDOLDOLDOLD1234', newAccessKeyId: 'AKIANEWNEWNEWNEW5678',
      startedAt: '2026-03-06T10:00:00.000Z', endedAt: '2026-03-06T10:02:00.000Z', steps, rounds: [{ ...approval(['carol']), id: 'delete-old-key', kind: 'delete-old-key' }], timeline: [],
    },
  },
  {
    kind: 'kms-rotation',
    id: 'kms-phi-1/run-6',
    record: { workflowId: 'kms-phi-1', runId: 'run-6', target: 'phi-data', keyRef: 'alias/phi-data', keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', accountId: '123456789012', requestedBy: 'alice', outcome: 'verified', rotationPeriodDays: 90, onDemandDrill: true, startedAt: '2026-03-07T10:00:00.000Z', endedAt: '2026-03-07T10:00:30.000Z', steps, facts: [], timeline: [] },
  },
  {
    kind: 'access-review',
    id: 'review-quarterly-1/run-7',
    record: {
      workflowId: 'review-quarterly-1', runId: 'run-7', review: 'quarterly-sandbox', accounts: [{ accountId: '123456789012', principals: 12, inventory: { sha256: 'a'.repeat(64), bytes: 10, label: 'inventory' } }], requestedBy: 'alice', outcome: 'completed', defaultAction: 'remove-console', deadlineAt: '2026-03-08T11:00:00.000Z',
      totals: { principals: 12, flagged: 5, exempt: 1, findings: {} },
      reviewers: [
        { reviewer: { type: 'person', id: 'bob' }, workflowId: 'review-quarterly-1-bob', items: 3, flagged: 2, counts: { items: 3, flagged: 2, decided: 3, kept: 1, revoked: 2, defaulted: 0, applied: 2, verified: 2, failed: 0 }, escalated: false, outcome: 'completed', finishedAt: '2026-03-08T10:30:00.000Z' },
        { reviewer: { type: 'group', id: 'security' }, workflowId: 'review-quarterly-1-security', items: 8, flagged: 3, counts: { items: 8, flagged: 3, decided: 7, kept: 7, revoked: 0, defaulted: 1, applied: 1, verified: 1, failed: 0 }, escalated: true, outcome: 'completed', finishedAt: '2026-03-08T11:00:00.000Z' },
      ],
      exempt: null, findings: null, report: null, startedAt: '2026-03-08T10:00:00.000Z', endedAt: '2026-03-08T11:00:05.000Z', steps, facts: [], timeline: [],
    },
  },
];

const FROM = new Date('2026-03-01T00:00:00Z');
const TO = new Date('2026-04-01T00:00:00Z');
const NOW = new Date('2026-04-02T09:00:00Z');

let dir: string;

async function store(records = RECORDS, at = (i: number) => new Date(Date.UTC(2026, 2, 2 + i, 12))): Promise<EvidenceStore> {
  let i = 0;
  const s = new EvidenceStore(dir, { now: () => at(i) });
  for (const r of records) {
    await s.append(r);
    i += 1;
  }
  return s;
}

async function model(kind: AuditExport['kind'] = null): Promise<AuditExport> {
  return loadAuditExport({ dir, from: FROM, to: TO, kind, now: () => NOW });
}

function rowsOf(m: AuditExport, kind: string): RunRow[] {
  return m.sections.find((s) => s.kind === kind)?.rows ?? [];
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-export-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the audit export model', () => {
  it('has one row per run of the period with its evidence seq and id, and a section for every kind', async () => {
    await store();
    const m = await model();
    expect(m.sections.map((s) => s.kind)).toEqual([...REPORT_KINDS]);
    const all = m.sections.flatMap((s) => s.rows);
    expect(all.map((r) => [r.kind, r.seq, r.evidenceId]).sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual(RECORDS.map((r, i) => [r.kind, i + 1, r.id]));
    expect(m.period).toEqual({ from: FROM.toISOString(), to: TO.toISOString() });
    expect(m.generatedAt).toBe(NOW.toISOString());
    expect(m.chain).toMatchObject({ ok: true, entries: RECORDS.length, problems: 0 });
  });

  it('reads a break-glass run: requester, approvers, planned vs actual end, revocation lag', async () => {
    await store();
    const [bg] = rowsOf(await model(), 'break-glass');
    expect(bg).toMatchObject({ subject: 'BreakGlassAdmin', outcome: 'revoked', requestedBy: 'alice', approvers: ['bob'], startedAt: '2026-03-02T10:00:00.000Z', plannedEndAt: '2026-03-02T10:00:26.000Z', endedAt: '2026-03-02T10:00:28.000Z', problems: [] });
    expect(bg!.figures).toMatchObject({ revocationVerified: true, revocationLagMs: 1400, sessionsTerminated: 1, ticket: 'INC-1042', endReason: 'expired' });
  });

  it('measures a reconciled revocation from the close of the run to the verified revocation', async () => {
    await store();
    const [rec] = rowsOf(await model(), 'reconciled');
    expect(rec).toMatchObject({ outcome: 'revoked-by-reconciler', requestedBy: 'dave', subject: 'BreakGlassAdmin' });
    expect(rec!.figures).toMatchObject({ revocationLagMs: 42_000, revocationVerified: true, closedAs: 'TERMINATED' });
  });

  it('scores drills against their targets', async () => {
    await store();
    const m = await model();
    const [restore] = rowsOf(m, 'restore-drill');
    expect(restore!.figures).toMatchObject({ rtoMs: 95_000, rtoTargetMs: 3_600_000, rtoMet: true, rpoMs: 7_200_000, rpoMet: false, validationPassed: true, tornDownAt: '2026-03-05T04:03:00.000Z' });
    expect(restore!.approvers).toEqual(['carol']);
    const [fire] = rowsOf(m, 'break-glass-drill');
    expect(fire!.figures).toMatchObject({ timeToApproveMs: 10_000, approveWithinMs: 60_000, revocationLagMs: 2_100, targetsMet: true });
    expect(fire!.approvers).toEqual(['carol']);
    expect(m.summary.find((s) => s.kind === 'restore-drill')!.figures).toMatchObject({ rtoMet: 1, rpoMet: 0, maxRtoMs: 95_000 });
  });

  it('masks access key ids and names who approved deleting the old key', async () => {
    await store();
    const [rot] = rowsOf(await model(), 'access-key-rotation');
    expect(rot!.figures).toMatchObject({ oldAccessKeyId: 'AKIA…1234', newAccessKeyId: 'AKIA…5678', userName: 'svc-exporter' });
    expect(rot!.approvers).toEqual(['carol']);
    expect(JSON.stringify(await model())).not.toContain('AKIAOLDOLDOLDOLD1234');
  });

  it('totals an access review from its reviewers, or from its report blob when it has one', async () => {
    await store();
    let [review] = rowsOf(await model(), 'access-review');
    expect(review!.approvers).toEqual(['person:bob', 'group:security']);
    expect(review!.figures).toMatchObject({ principals: 12, flagged: 5, exempt: 1, reviewers: 2, kept: 8, revoked: 2, defaulted: 1, revocationsApplied: 3, revocationsVerified: 3 });

    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    const report = await new BlobStore(dir).put({ reviewId: 'review-quarterly-1', totals: { items: 11, flagged: 5, kept: 6, revoked: 3, defaulted: 2, undecided: 0, exempt: 1, applied: 5, verified: 4, failed: 1 }, rows: [] }, 'report');
    const withReport = RECORDS.map((r) => (r.kind === 'access-review' ? { ...r, record: { ...r.record, report } } : r));
    await store(withReport);
    [review] = rowsOf(await model(), 'access-review');
    expect(review!.figures).toMatchObject({ kept: 6, revoked: 3, defaulted: 2, undecided: 0, revocationsApplied: 5, revocationsVerified: 4, report: report.sha256 });
  });

  it('shows a report blob that cannot be read as a problem on the row, not a failure of the export', async () => {
    const withReport = RECORDS.map((r) => (r.kind === 'access-review' ? { ...r, record: { ...r.record, report: { sha256: 'b'.repeat(64), bytes: 1, label: 'report' } } } : r));
    await store(withReport);
    const [review] = rowsOf(await model(), 'access-review');
    expect(review!.problems.join(' ')).toMatch(/report blob bbbbbbbbbbbb.*not in/);
  });

  it('keeps only the period (from inclusive, to exclusive) and the kind asked for', async () => {
    const times = [FROM.getTime() - 1, FROM.getTime(), TO.getTime() - 1, TO.getTime()];
    await store(RECORDS.slice(0, 4), (i) => new Date(times[i]!));
    const m = await model();
    expect(m.sections.flatMap((s) => s.rows).map((r) => r.seq).sort()).toEqual([2, 3]);
    const only = await model('reconciled');
    expect(only.sections.map((s) => s.kind)).toEqual(['reconciled']);
    expect(only.summary).toHaveLength(1);
    expect(only.sections[0]!.rows.map((r) => r.seq)).toEqual([2]);
  });

  it('flags a record missing what its schema requires, and lists unknown kinds apart', async () => {
    await store([{ kind: 'kms-rotation', id: 'kms-broken/run', record: { workflowId: 'kms-broken', runId: 'run', outcome: 'verified' } }, { kind: 'future-kind', id: 'x/1', record: { a: 1 } }]);
    const m = await model();
    expect(rowsOf(m, 'kms-rotation')[0]!.problems[0]).toMatch(/kms-rotation record .* invalid/);
    expect(m.other).toEqual([{ seq: 2, evidenceId: 'x/1', kind: 'future-kind', recordedAt: expect.any(String) }]);
  });

  it('reports a broken chain in the header', async () => {
    await store();
    const file = path.join(dir, 'evidence.jsonl');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"outcome":"rotated"', '"outcome":"failed"'));
    const m = await model();
    expect(m.chain.ok).toBe(false);
    expect(renderAuditMarkdown(m)).toContain('NOT VERIFIED');
    expect(renderAuditHtml(m)).toContain('data-ok="false"');
  });
});

describe('renderers', () => {
  const hostile = "=HYPERLINK(\"http://x\",\"<b>click</b>\") | `x` & 'y'\nnext";
  /** A fresh store holding one run whose free-text fields are hostile. */
  async function hostileModel(): Promise<AuditExport> {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    const bg = RECORDS[0]!;
    await store([{ ...bg, record: { ...bg.record, reason: hostile, role: '<script>alert(1)</script>', requester: '@evil' } }]);
    return model();
  }

  it('CSV: one record per run, RFC 4180 quoting, formulas neutralised, raw figures', async () => {
    await store();
    const csv = renderAuditCsv(await model());
    const lines = csv.split('\r\n');
    expect(lines.at(-1)).toBe('');
    const header = lines[0]!.split(',');
    expect(header.slice(0, 4)).toEqual(['kind', 'seq', 'evidence_id', 'recorded_at']);
    for (const kind of REPORT_KINDS) for (const f of FIGURES[kind]) expect(header).toContain(f.key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
    expect(lines).toHaveLength(RECORDS.length + 2);
    const bg = lines.find((l) => l.startsWith('break-glass,'))!;
    expect(bg).toContain('bg-BreakGlassAdmin-1/run-1');
    expect(bg.split(',')[header.indexOf('revocation_lag_ms')]).toBe('1400');

    const hostileCsv = renderAuditCsv(await hostileModel());
    const row = hostileCsv.split('\r\n').slice(1).join('\r\n');
    expect(row).toContain(`"'=HYPERLINK(""http://x"",""<b>click</b>"") | \`x\` & 'y'\nnext"`);
    expect(row).toContain(",'@evil,");
  });

  it('CSV helpers: RFC 4180 and OWASP injection set', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    for (const lead of ['=', '+', '-', '@', '\t', '\r']) expect(csvCell(`${lead}1`).startsWith(lead === '\r' ? `"'` : "'")).toBe(true);
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvRow(['a', '=1'])).toBe("a,'=1");
    expect(csvDocument(['h'], [['1'], ['2']])).toBe('h\r\n1\r\n2\r\n');
  });

  it('CSV: a formula after leading whitespace is neutralised, and a field with ; is quoted', () => {
    expect(csvCell(' =cmd')).toBe("' =cmd");
    expect(csvCell('\u00a0 +1')).toBe("'\u00a0 +1");
    expect(csvCell('a;b')).toBe('"a;b"');
    expect(csvCell('x;=cmd')).toBe(`"x;'=cmd"`);
    expect(csvCell('a = b; c')).toBe('"a = b; c"');
  });

  /** How a spreadsheet splits a CSV into cells: quotes count only when they open a field (Excel). */
  function spreadsheetCells(csv: string, separator: ',' | ';'): string[] {
    const cells: string[] = [];
    let i = 0;
    while (i < csv.length) {
      let cell = '';
      if (csv[i] === '"') {
        for (i++; i < csv.length; i++) {
          if (csv[i] === '"' && csv[i + 1] === '"') {
            cell += '"';
            i++;
          } else if (csv[i] === '"') break;
          else cell += csv[i];
        }
        i++;
      }
      for (; i < csv.length && csv[i] !== separator && csv[i] !== '\r' && csv[i] !== '\n'; i++) cell += csv[i];
      cells.push(cell);
      i++;
      if (csv[i - 1] === '\r' && csv[i] === '\n') i++;
    }
    return cells;
  }

  it.each([',', ';'] as const)('CSV: no cell a spreadsheet with separator %j reads starts a formula, in any column', (separator) => {
    const hostile = [' =cmd|\' /C calc\'!A0', 'x;=cmd|\' /C calc\'!A0', 'ok; -2+3', 'line\n=1+1', 'a,"b;@SUM(1)', '\t\t=1', 'plain; text'];
    const csv = csvDocument(['kind', 'reason', 'requester'], hostile.map((h) => ['break-glass', h, h]));
    const formulas = spreadsheetCells(csv, separator).filter((c) => /^\s*[=+\-@]/.test(c));
    expect(formulas).toEqual([]);
  });

  it('HTML: one self-contained file, every value escaped, nothing to load', async () => {
    const html = renderAuditHtml(await hostileModel());
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|src=|href=/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('=HYPERLINK(&quot;http://x&quot;,&quot;&lt;b&gt;click&lt;/b&gt;&quot;)');
    expect(html).toContain(`default-src 'none'`);
    expect(html).toContain('@media print');
    expect(html).toMatch(/<tr class="run" data-kind="break-glass" data-seq="1" data-evidence-id="bg-BreakGlassAdmin-1\/run-1">/);
    expect(esc(`<a href="x">'&`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;');
  });

  it('HTML: a table row for every run, with the evidence id', async () => {
    await store();
    const html = renderAuditHtml(await model());
    for (const r of RECORDS) expect(html).toContain(`data-kind="${r.kind}" data-seq="${RECORDS.indexOf(r) + 1}" data-evidence-id="${r.id}"`);
  });

  it('Markdown: header, summary per kind, a table per kind, values escaped', async () => {
    await store();
    const text = renderAuditMarkdown(await model());
    expect(text).toContain('# Safeguard audit export');
    expect(text).toContain(`- Period: ${FROM.toISOString()} to ${TO.toISOString()} (end exclusive)`);
    expect(text).toContain(`- Generated: ${NOW.toISOString()}`);
    expect(text).toMatch(/- Evidence chain: verified: 7 entries, chain intact/);
    expect(text).toContain('| Break-glass access | 1 | revoked 1 | revocations verified 1/1, longest revocation lag 1.4s |');
    expect(text).toContain('| Restore drills | 1 | passed 1 | RTO met 1/1, RPO met 0/1, longest RTO 1m35s, largest RPO 2h |');
    expect(text).toContain('bg-BreakGlassAdmin-1/run-1');
    expect(mdCell('a|b\nc <i> `d`')).toBe('a\\|b<br>c &lt;i&gt; \\`d\\`');
    const hostileText = renderAuditMarkdown(await hostileModel());
    expect(hostileText).not.toContain('<script>');
    expect(hostileText).toContain('&lt;script&gt;');
  });

  it('JSON: one object with the period, chain, summary and every figure of every row', async () => {
    await store();
    const m = await model();
    const json = JSON.parse(renderAuditJson(m)) as Record<string, unknown> & AuditExport;
    expect(Object.keys(json)).toEqual(['schema', 'period', 'kind', 'generatedAt', 'evidenceDir', 'chain', 'summary', 'sections', 'other']);
    expect(json.schema).toBe('safeguard.audit-export/1');
    for (const s of json.sections) for (const r of s.rows) expect(Object.keys(r.figures)).toEqual(FIGURES[s.kind].map((f) => f.key));
    expect(json.summary.find((s) => s.kind === 'break-glass')).toEqual({ kind: 'break-glass', title: 'Break-glass access', runs: 1, outcomes: { revoked: 1 }, figures: { revocationsVerified: 1, maxRevocationLagMs: 1400 } });
  });

  it('an empty period renders in every format, with zero runs in every kind', async () => {
    await store();
    const m = await loadAuditExport({ dir, from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-02-01T00:00:00Z'), kind: null, now: () => NOW });
    expect(m.summary.every((s) => s.runs === 0)).toBe(true);
    expect(renderAuditMarkdown(m)).toContain('No runs in this period.');
    expect(renderAuditHtml(m)).toContain('No runs in this period.');
    expect(renderAuditCsv(m).split('\r\n').filter(Boolean)).toHaveLength(1);
    expect((JSON.parse(renderAuditJson(m)) as AuditExport).sections.every((s) => s.rows.length === 0)).toBe(true);
  });
});

// Runbook runs as declarative-runbook.workflow.ts writes them: a `runbook-step` record as each step
// ends, then the run's `runbook` record with every step's result; and the watcher's `root-login` pages.
describe('runbook runs and root sign-ins', () => {
  const HOSTILE = `=HYPERLINK("http://x","<img src=x onerror=alert(1)>") | \`y\``;
  type Step = { id: string; type: string; outcome?: string; by?: { by: string; note?: string }[]; escalated?: boolean; detail?: string; check?: Record<string, unknown> };
  const ROOT_RECOVERY: Step[] = [
    { id: 'approve', type: 'approval', by: [{ by: 'bob' }, { by: 'carol' }] },
    { id: 'mfa-retrieved', type: 'confirm', by: [{ by: 'bob', note: HOSTILE }, { by: 'dave', note: 'witnessed' }] },
    { id: 'password-retrieved', type: 'confirm', by: [{ by: 'carol', note: 'envelope 7' }, { by: 'dave', note: 'witnessed' }] },
    { id: 'root-signed-in', type: 'wait', check: { check: 'root-console-login', passed: true, summary: 'root signed in', facts: { newestEventId: 'ev-1' }, checkedAt: '2026-03-10T10:20:00.000Z' } },
    { id: 'work', type: 'wait' },
    { id: 'password-rotated', type: 'confirm', by: [{ by: 'bob', note: 'rotated' }, { by: 'carol', note: 'vault log checked' }], escalated: true },
    { id: 'mfa-resealed', type: 'confirm', by: [{ by: 'bob', note: 'seal 00418' }, { by: 'dave', note: 'witnessed' }] },
    { id: 'root-locked-down', type: 'check', check: { check: 'root-mfa-no-access-keys', passed: true, summary: 'MFA on, no access keys', facts: {}, checkedAt: '2026-03-10T10:40:00.000Z' } },
    { id: 'tell-security', type: 'notify' },
  ];

  /** A run's step records and its run record (`ended: false`: a run still open, no run record). */
  function runbookRun(n: number, opts: { steps?: Step[]; outcome?: string; ended?: boolean; reason?: string; skipStepRecords?: string[] } = {}) {
    const workflowId = `runbook-root-recovery-0000000${n}`;
    const runId = `run-rb${n}`;
    const at = (min: number) => new Date(Date.UTC(2026, 2, 10, 10, min)).toISOString();
    const results = (opts.steps ?? ROOT_RECOVERY).map((s, index) => ({
      index,
      id: s.id,
      type: s.type,
      outcome: s.outcome ?? 'done',
      startedAt: at(index * 5),
      endedAt: at(index * 5 + 4),
      escalated: s.escalated ?? false,
      by: (s.by ?? []).map((b, i) => ({ by: b.by, at: at(index * 5 + 1 + i), ...(b.note ? { note: b.note } : {}), via: 'cli' })),
      ...(s.check ? { check: s.check } : {}),
      detail: s.detail ?? `${s.id} done`,
    }));
    const steps = results
      .filter((r) => !(opts.skipStepRecords ?? []).includes(r.id))
      .map((r) => ({ kind: 'runbook-step', id: `${workflowId}/${runId}/step-${r.index}`, record: { workflowId, runId, runbook: 'root-recovery', requestedBy: 'alice', ...r } }));
    const run = {
      kind: 'runbook',
      id: `${workflowId}/${runId}`,
      record: {
        workflowId, runId, runbook: 'root-recovery', title: 'Root account recovery', accountId: '123456789012', requestedBy: 'alice', reason: opts.reason ?? 'root MFA device lost; SEC-4242', outcome: opts.outcome ?? 'completed',
        definition: { name: 'root-recovery', steps: ROOT_RECOVERY.map((s) => ({ id: s.id, type: s.type })) }, stepResults: results, startedAt: at(0), endedAt: at(results.length * 5), steps: [], facts: [], timeline: [],
      },
    };
    return opts.ended === false ? steps : [...steps, run];
  }

  const completed = () => runbookRun(1, { reason: HOSTILE });
  const timedOut = () =>
    runbookRun(2, {
      outcome: 'timed-out',
      steps: [...ROOT_RECOVERY.slice(0, 5), { id: 'password-rotated', type: 'confirm', outcome: 'timed-out', escalated: true, by: [{ by: 'bob', note: 'half done' }], detail: '1 of 2 confirmations (bob) when the timeout passed' }],
      skipStepRecords: ['work'],
    });
  const denied = () => runbookRun(3, { outcome: 'denied', steps: [{ id: 'approve', type: 'approval', outcome: 'failed', by: [{ by: 'bob' }, { by: 'carol', note: HOSTILE }], detail: `denied by carol: ${HOSTILE}` }] });
  const open = () => runbookRun(4, { ended: false, steps: ROOT_RECOVERY.slice(0, 2) });
  const rootLogin = (eventId: string, mfaUsed: string | undefined, sourceIp = '198.51.100.9') => ({
    kind: 'root-login',
    id: `root-login/123456789012/${eventId}`,
    record: { accountId: '123456789012', eventId, at: '2026-03-11T03:14:00.000Z', sourceIp, ...(mfaUsed ? { mfaUsed } : {}), verdict: 'unexpected', watchWorkflowId: 'safeguard-root-login-watch-2026-03-11T03:15:00Z', pagedAt: '2026-03-11T03:15:02.000Z' },
  });
  const minutes = (i: number) => new Date(Date.UTC(2026, 2, 10, 12, i));

  it('one row per run: runbook, requester, approvers from the approval steps, steps done, escalated, timed out, distinct confirmers, step seqs', async () => {
    const records = [...completed(), ...timedOut(), ...denied()];
    await store(records, minutes);
    const m = await model();
    const rows = rowsOf(m, 'runbook');
    expect(rows.map((r) => [r.workflowId, r.outcome])).toEqual([
      ['runbook-root-recovery-00000001', 'completed'],
      ['runbook-root-recovery-00000002', 'timed-out'],
      ['runbook-root-recovery-00000003', 'denied'],
    ]);
    const [done, late, no] = rows as [RunRow, RunRow, RunRow];
    expect(done).toMatchObject({ subject: 'root-recovery', requestedBy: 'alice', approvers: ['bob', 'carol'], startedAt: '2026-03-10T10:00:00.000Z', endedAt: '2026-03-10T10:45:00.000Z', seq: 10, evidenceId: 'runbook-root-recovery-00000001/run-rb1', problems: [] });
    expect(done.figures).toEqual({
      title: 'Root account recovery', accountId: '123456789012', reason: HOSTILE, stepsDone: 9, stepsTotal: 9, stepsEscalated: 1, stepsTimedOut: 0, stoppedAt: null, confirmers: 3, confirmedBy: 'bob, dave, carol', stepEvidence: '1, 2, 3, 4, 5, 6, 7, 8, 9',
    });
    expect(late.figures).toMatchObject({ stepsDone: 5, stepsTotal: 9, stepsEscalated: 1, stepsTimedOut: 1, stoppedAt: 'password-rotated (timed-out): 1 of 2 confirmations (bob) when the timeout passed', stepEvidence: '11, 12, 13, 14, 15' });
    // Its record lists the `work` step, whose own record is missing: said, not hidden.
    expect(late.problems).toEqual(['no runbook-step evidence for step(s) work']);
    // carol denied: she is not an approver.
    expect(no).toMatchObject({ approvers: ['bob'], figures: expect.objectContaining({ stepsDone: 0, stoppedAt: `approve (failed): denied by carol: ${HOSTILE}`, confirmers: 0, confirmedBy: null }) });
    expect(m.summary.find((s) => s.kind === 'runbook')).toEqual({ kind: 'runbook', title: 'Declarative runbook runs', runs: 3, outcomes: { completed: 1, denied: 1, 'timed-out': 1 }, figures: { stepsEscalated: 2, stepsTimedOut: 1 } });
    // The steps belong to their runs: none is "other evidence".
    expect(m.other).toEqual([]);
  });

  it('cites the steps of a run that began before the period, and shows a run with steps but no run record yet', async () => {
    const [first, ...rest] = completed();
    // The first step was written before the period; the rest of the run inside it. Run 4 is still open.
    await store([first!, ...rest, ...open()], (i) => (i === 0 ? new Date(FROM.getTime() - 60_000) : minutes(i)));
    for (const kind of [null, 'runbook'] as const) {
      const rows = rowsOf(await model(kind), 'runbook');
      expect(rows.map((r) => [r.workflowId, r.outcome, r.figures['stepEvidence']])).toEqual([
        ['runbook-root-recovery-00000001', 'completed', '1, 2, 3, 4, 5, 6, 7, 8, 9'],
        ['runbook-root-recovery-00000004', 'no run record', '11, 12'],
      ]);
      expect(rows[0]!.problems).toEqual([]);
      expect(rows[1]).toMatchObject({ seq: 12, evidenceId: 'runbook-root-recovery-00000004/run-rb4/step-1', subject: 'root-recovery', requestedBy: 'alice', approvers: ['bob', 'carol'], endedAt: null });
      expect(rows[1]!.problems[0]).toMatch(/^no runbook record for this run: it ended after the period or its record was not written; shown from its 2 step record\(s\)$/);
      expect(rows[1]!.figures).toMatchObject({ stepsDone: 2, stepsTotal: null, confirmers: 2, confirmedBy: 'bob, dave' });
    }
  });

  it('flags a step record missing what its schema requires', async () => {
    const records = completed();
    const broken = records.map((r, i) => (i === 2 ? { ...r, record: { ...r.record, by: 'carol' } } : r));
    await store(broken, minutes);
    const [row] = rowsOf(await model(), 'runbook');
    expect(row!.problems).toEqual([expect.stringMatching(/^step record #3: runbook-step record \(schema 1\) is invalid: by/)]);
  });

  it('root sign-ins the watcher paged: account, time, source IP, MFA used, event id; one during an approved recovery as expected', async () => {
    const during = { kind: 'root-login', id: 'root-login/123456789012/ev-during', record: { accountId: '123456789012', eventId: 'ev-during', at: '2026-03-11T02:00:00.000Z', mfaUsed: 'Yes', verdict: 'expected', duringRun: 'runbook-root-recovery-00000001', watchWorkflowId: 'safeguard-root-login-watch-2026-03-11T02:05:00Z' } };
    await store([rootLogin('ev-no-mfa', 'No'), rootLogin('ev-mfa', 'Yes'), rootLogin('ev-unknown', undefined), during], minutes);
    const m = await model();
    const rows = rowsOf(m, 'root-login');
    expect(rows[0]).toMatchObject({ subject: '123456789012', outcome: 'paged', workflowId: 'safeguard-root-login-watch-2026-03-11T03:15:00Z', startedAt: '2026-03-11T03:14:00.000Z', endedAt: '2026-03-11T03:15:02.000Z', requestedBy: null, problems: [] });
    expect(rows.map((r) => r.figures)).toEqual([
      { accountId: '123456789012', signedInAt: '2026-03-11T03:14:00.000Z', sourceIp: '198.51.100.9', mfaUsed: 'no', eventId: 'ev-no-mfa', duringRun: null, pagedAt: '2026-03-11T03:15:02.000Z' },
      expect.objectContaining({ mfaUsed: 'yes', eventId: 'ev-mfa' }),
      expect.objectContaining({ mfaUsed: null, eventId: 'ev-unknown' }),
      { accountId: '123456789012', signedInAt: '2026-03-11T02:00:00.000Z', sourceIp: null, mfaUsed: 'yes', eventId: 'ev-during', duringRun: 'runbook-root-recovery-00000001', pagedAt: null },
    ]);
    expect(rows[3]).toMatchObject({ outcome: 'expected' });
    expect(m.summary.find((s) => s.kind === 'root-login')).toMatchObject({ runs: 4, outcomes: { paged: 3, expected: 1 }, figures: { withoutMfa: 1 } });
    const md = renderAuditMarkdown(m);
    expect(md).toContain('| Root console sign-ins | 4 | expected 1, paged 3 | without MFA 1/4 |');
    expect(md).toContain('## Root console sign-ins (root-login)');
    expect(md).toMatch(/\| account \| signed in at \| source IP \| MFA used \| CloudTrail event id \| during approved run \| paged at \| problems \|/);
    expect(renderAuditHtml(m)).toContain('<tr class="run" data-kind="root-login" data-seq="1" data-evidence-id="root-login/123456789012/ev-no-mfa">');
  });

  it('says plainly when no root sign-in was paged', async () => {
    await store(completed(), minutes);
    const m = await model();
    expect(renderAuditMarkdown(m)).toContain('## Root console sign-ins (root-login)\n\nNo root console sign-in was recorded in this period.');
    expect(renderAuditHtml(m)).toContain('<p class="empty">No root console sign-in was recorded in this period.</p>');
  });

  it('renders hostile reasons, denial reasons and source IPs inert in every format', async () => {
    await store([...completed(), ...denied(), rootLogin('ev-x', 'No', `@SUM(1)<b>`)], minutes);
    const m = await model();
    const csv = renderAuditCsv(m);
    const header = csv.split('\r\n')[0]!.split(',');
    for (const col of ['steps_done', 'steps_total', 'steps_escalated', 'steps_timed_out', 'stopped_at', 'confirmers', 'confirmed_by', 'step_evidence', 'signed_in_at', 'source_ip', 'mfa_used', 'event_id', 'paged_at']) expect(header).toContain(col);
    expect(csv).toContain(`"'=HYPERLINK(""http://x"",""<img src=x onerror=alert(1)>"") | \`y\`"`);
    expect(csv).toContain(`"approve (failed): denied by carol: =HYPERLINK(""http://x"",""<img src=x onerror=alert(1)>"") | \`y\`"`);
    expect(csv).toContain(",'@SUM(1)<b>,");
    expect(csv.split('\r\n').filter((l) => l.startsWith('runbook,'))).toHaveLength(2);
    expect(csv).not.toMatch(/^runbook-step,/m);

    const html = renderAuditHtml(m);
    expect(html).not.toMatch(/<img|<b>|onerror=alert\(1\)>/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;b&gt;');
    expect(html).toContain(`default-src 'none'`);
    expect(html).toMatch(/<section id="kind-runbook" data-kind="runbook">\n<h2>Declarative runbook runs \(runbook\)<\/h2>/);
    expect(html).toContain('<td data-figure="stepEvidence">1, 2, 3, 4, 5, 6, 7, 8, 9</td>');
    expect(html).not.toContain('id="other"');

    const md = renderAuditMarkdown(m);
    expect(md).not.toMatch(/<img|<b>/);
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(md).toContain('\\`y\\`');
    expect(md).toContain('| Declarative runbook runs | 2 | completed 1, denied 1 | steps escalated 1, steps timed out 0 |');
    // Confirmation notes stay in the evidence (`audit show` prints them): the period report counts people.
    expect(JSON.stringify(m)).not.toContain('seal 00418');

    const json = JSON.parse(renderAuditJson(m)) as AuditExport;
    expect(json.sections.find((s) => s.kind === 'runbook')!.rows[0]!.figures['reason']).toBe(HOSTILE);
  });
});

describe('safeguard audit export', () => {
  function sink() {
    const o = { out: [] as string[], err: [] as string[] };
    return { o, sinkOut: { stdout: (s: string) => o.out.push(s), stderr: (s: string) => o.err.push(s) } };
  }
  const args = (extra: Record<string, string> = {}) => ({ from: '2026-03-01', to: '2026-04-01', format: 'md', dir, ...extra });

  it.each([
    [{ from: '2026-04-01', to: '2026-03-01' }, /--from 2026-04-01 must be before --to 2026-03-01/],
    [{ from: '2026-03-01', to: '2026-03-01' }, /must be before/],
    [{ from: '2026-02-30' }, /invalid --from "2026-02-30": expected an ISO 8601 date/],
    [{ to: 'next week' }, /invalid --to "next week"/],
    [{ kind: 'break_glass' }, /unknown --kind "break_glass": one of break-glass, reconciled/],
    [{ format: 'pdf' }, /unknown --format "pdf": one of md, html, csv, json/],
    [{ out: '/nonexistent-dir/x.html' }, /--out \/nonexistent-dir\/x.html: directory \/nonexistent-dir does not exist/],
  ])('refuses bad input %j with exit 2 and writes nothing', async (bad, message) => {
    await store();
    const { o, sinkOut } = sink();
    const outFile = path.join(dir, 'report.out');
    const code = await runAuditExport({ ...args({ out: outFile }), ...bad }, sinkOut);
    expect(code).toBe(2);
    expect(o.err.join('\n')).toMatch(message);
    expect(o.out).toEqual([]);
    expect(fs.existsSync(outFile)).toBe(false);
  });

  it('refuses a directory as --out up front (exit 2), reading no evidence and writing nothing', async () => {
    await store();
    const target = path.join(dir, 'reports');
    fs.mkdirSync(target);
    const before = fs.readdirSync(dir).sort();
    const { o, sinkOut } = sink();
    const opened: string[] = [];
    const code = await runAuditExport(args({ format: 'html', out: target }), sinkOut, {
      openStore: async (d) => {
        opened.push(d);
        return new EvidenceStore(d);
      },
    });
    expect(code).toBe(2);
    expect(o.err.join('\n')).toContain(`--out ${target} is a directory: name the file to write`);
    expect(o.out).toEqual([]);
    expect(opened).toEqual([]);
    expect(fs.readdirSync(dir).sort()).toEqual(before);
    expect(fs.readdirSync(target)).toEqual([]);
  });

  it('opens the store with the --key-file and --bucket it was given, and shows the keyed verdict', async () => {
    await store();
    const { sinkOut } = sink();
    const given: unknown[] = [];
    const outFile = path.join(dir, 'r.json');
    const code = await runAuditExport({ ...args({ format: 'json', out: outFile }), keyFile: '/keys/e.json', bucket: 'evidence-bucket' }, sinkOut, {
      openStore: async (d, access) => {
        given.push(access);
        return new EvidenceStore(d);
      },
    });
    expect(code).toBe(0);
    expect(given).toEqual([{ keyFile: '/keys/e.json', bucket: 'evidence-bucket' }]);
  });

  it('requires --from, --to and --format', async () => {
    for (const missing of ['from', 'to', 'format'] as const) {
      const { o, sinkOut } = sink();
      const a: Record<string, string> = args();
      delete a[missing];
      expect(await runAuditExport(a, sinkOut)).toBe(2);
      expect(o.err.join('')).toContain(`--${missing} is required`);
    }
  });

  it('exits 1 with a clear message when the directory holds no evidence, and writes nothing', async () => {
    const { o, sinkOut } = sink();
    const outFile = path.join(dir, 'report.html');
    expect(await runAuditExport(args({ dir: path.join(dir, 'nothing-here'), out: outFile, format: 'html' }), sinkOut)).toBe(1);
    expect(o.err.join('')).toMatch(/no evidence file in .*nothing-here: is --dir the evidence directory\?/);
    expect(fs.existsSync(outFile)).toBe(false);
  });

  it('is the `export` subcommand of `audit`, writing --out whole', async () => {
    await store();
    const program = new Command().exitOverride();
    registerAuditExport(program.command('audit'));
    const outFile = path.join(dir, 'period.json');
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await program.parseAsync(['node', 'safeguard', 'audit', 'export', '--from', '2026-03-01', '--to', '2026-04-01', '--format', 'json', '--kind', 'break-glass', '--dir', dir, '--out', outFile]);
    } finally {
      stderr.mockRestore();
    }
    expect(process.exitCode).toBe(0);
    process.exitCode = undefined;
    const json = JSON.parse(fs.readFileSync(outFile, 'utf8')) as AuditExport;
    expect(json.kind).toBe('break-glass');
    expect(json.sections[0]!.rows.map((r) => r.evidenceId)).toEqual(['bg-BreakGlassAdmin-1/run-1']);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reads the store the caller opened (keyed and anchored) when given one', async () => {
    await store();
    const { o, sinkOut } = sink();
    const opened: string[] = [];
    const code = await runAuditExport(args({ format: 'json' }), sinkOut, {
      now: () => NOW,
      openStore: async (d) => {
        opened.push(d);
        return new EvidenceStore(d);
      },
    });
    expect(code).toBe(0);
    expect(opened).toEqual([dir]);
    expect((JSON.parse(o.out.join('\n')) as AuditExport).generatedAt).toBe(NOW.toISOString());
  });

  it('prints to standard output without --out', async () => {
    await store();
    const { o, sinkOut } = sink();
    expect(await runAuditExport(args({ format: 'csv' }), sinkOut)).toBe(0);
    expect(o.out.join('\n').split('\r\n')).toHaveLength(RECORDS.length + 1);
  });
});
