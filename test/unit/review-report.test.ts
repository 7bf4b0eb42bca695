// The access review report: one row per item saying who decided what and when, what the default
// action did, what each revocation changed and whether it was verified; totals that add up; and
// CSV, JSON and Markdown that survive hostile cell contents.
import { buildReviewReport, csvCell, renderReportCsv, renderReportJson, renderReportMarkdown, type ReviewReportInput } from '../../reports/access-review';
import { mdCell } from '../../reports/markdown';
import type { Finding, ReviewItem, RevocationReceipt } from '../../workflows/access-review/inventory';

const A = '111111111111';
const arn = (kind: string, name: string): string => `arn:aws:iam::${A}:${kind}/${name}`;
const item = (name: string, over: Partial<ReviewItem> = {}): ReviewItem => ({ key: arn('user', name), type: 'user', accountId: A, name, findings: [], route: 'account-group', ...over });

const HOSTILE_REASON = 'left the team, "for good",\nsee HR-42';
const FORMULA_REASON = '=HYPERLINK("http://evil.example","click")';

const receipt = (name: string, over: Partial<RevocationReceipt> = {}): RevocationReceipt => ({
  key: arn('user', name),
  actions: ['disable-keys', 'remove-console'],
  steps: [
    { action: 'disable-keys', target: 'AKIAIOSFODNN7EXAMPLE', result: 'done', at: '2024-06-15T00:00:01.000Z' },
    { action: 'remove-console', target: 'login-profile', result: 'already', at: '2024-06-15T00:00:02.000Z' },
  ],
  verified: true,
  verifiedAt: '2024-06-15T00:00:03.000Z',
  remaining: [],
  ...over,
});

const oldKey: Finding = { code: 'access-key-old', severity: 'medium', detail: 'key AKIA…MPLE is 140 days old (limit 90)' };

function input(over: Partial<ReviewReportInput> = {}): ReviewReportInput {
  return {
    reviewId: 'access-review-quarterly-2024q2',
    reviewName: 'quarterly',
    startedAt: '2024-06-01T00:00:00.000Z',
    endedAt: '2024-06-15T00:00:05.000Z',
    outcome: 'completed',
    defaultAction: 'disable-keys',
    accounts: [A],
    exempt: [{ key: arn('role', 'OrganizationAccountAccessRole'), reason: 'managed by Organizations', findings: [{ code: 'principal-unused', severity: 'low', detail: 'role never used' }] }],
    reviewers: [
      {
        reviewer: { type: 'person', id: 'carol' },
        items: [item('dave', { findings: ['access-key-old'] }), item('erin'), item('frank', { findings: ['principal-unused'] })],
        decisions: {
          [arn('user', 'dave')]: { decision: 'revoke', by: 'carol', at: '2024-06-02T10:00:00.000Z', reason: HOSTILE_REASON, via: 'slack' },
          [arn('user', 'erin')]: { decision: 'keep', by: 'carol', at: '2024-06-02T10:01:00.000Z', via: 'slack', bulk: 'keep-unflagged' },
        },
        defaulted: [arn('user', 'frank')],
        receipts: {
          [arn('user', 'dave')]: receipt('dave'),
          [arn('user', 'frank')]: receipt('frank', { actions: ['disable-keys'], steps: [{ action: 'disable-keys', target: 'AKIAIOSFODNN7EXAMPL2', result: 'failed', at: '2024-06-15T00:00:01.000Z', detail: 'AccessDenied' }], verified: false, remaining: ['key AKIAIOSFODNN7EXAMPL2 still Active'] }),
        },
        escalated: false,
        finishedAt: '2024-06-15T00:00:04.000Z',
      },
      {
        reviewer: { type: 'group', id: 'security' },
        items: [item('alice', { route: 'self-review-escalated', holder: 'alice' }), item('bob|ops', { findings: ['admin-on-human'] })],
        decisions: { [arn('user', 'bob|ops')]: { decision: 'keep', by: 'carol', at: '2024-06-03T00:00:00.000Z', reason: FORMULA_REASON, via: 'cli' } },
        defaulted: [],
        receipts: {},
        escalated: true,
      },
    ],
    findingDetails: new Map([[arn('user', 'dave'), [oldKey]]]),
    ...over,
  };
}

/** An RFC 4180 reader written independently of the code under test. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = 0;
  let inQuotes = false;
  for (; i < text.length; i++) {
    const c = text.charAt(i);
    if (inQuotes) {
      if (c === '"' && text.charAt(i + 1) === '"') {
        cell += '"';
        i++;
      } else if (c === '"') inQuotes = false;
      else cell += c;
    } else if (c === '"') inQuotes = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text.charAt(i + 1) === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

const report = buildReviewReport(input());
const rowOf = (name: string) => report.rows.find((r) => r.name === name);

describe('buildReviewReport', () => {
  it('says per item who decided what, when, how and why', () => {
    expect(rowOf('dave')).toMatchObject({
      account: A,
      key: arn('user', 'dave'),
      type: 'user',
      reviewer: 'person:carol',
      decision: 'revoke',
      decidedBy: 'carol',
      decidedAt: '2024-06-02T10:00:00.000Z',
      reason: HOSTILE_REASON,
      via: 'slack',
      findings: [{ code: 'access-key-old', severity: 'medium', detail: oldKey.detail }],
      verified: true,
    });
    expect(rowOf('erin')).toMatchObject({ decision: 'keep', bulk: 'keep-unflagged', flagged: false });
    expect(rowOf('erin')?.verified).toBeUndefined();
  });

  it('says which default action an undecided item got at the deadline, and shows what it did', () => {
    expect(rowOf('frank')).toMatchObject({ decision: 'default:disable-keys', verified: false, actions: ['disable-keys'] });
    expect(rowOf('frank')?.decidedBy).toBeUndefined();
    expect(rowOf('alice')).toMatchObject({ decision: 'undecided', route: 'self-review-escalated', holder: 'alice', reviewer: 'group:security' });
    const reportOnly = buildReviewReport(input({ defaultAction: 'report-only' }));
    expect(reportOnly.rows.find((r) => r.name === 'frank')?.decision).toBe('default:report-only');
  });

  it('lists exempt items with their reason and findings, taking the account from the key', () => {
    expect(report.rows[0]).toMatchObject({ key: arn('role', 'OrganizationAccountAccessRole'), account: A, decision: 'exempt', reason: 'managed by Organizations', reviewer: '', flagged: true });
  });

  it('records every step with its result, masking key ids', () => {
    expect(rowOf('dave')?.steps).toEqual([
      { action: 'disable-keys', target: 'AKIA…MPLE', result: 'done', at: '2024-06-15T00:00:01.000Z' },
      { action: 'remove-console', target: 'login-profile', result: 'already', at: '2024-06-15T00:00:02.000Z' },
    ]);
    expect(rowOf('frank')?.remaining).toEqual(['key AKIA…MPL2 still Active']);
    const everything = renderReportJson(report) + renderReportCsv(report) + renderReportMarkdown(report);
    expect(everything).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(everything).not.toContain('AKIAIOSFODNN7EXAMPL2');
  });

  it('keeps finding codes that have no detail', () => {
    expect(rowOf('frank')?.findings).toEqual([{ code: 'principal-unused' }]);
  });

  it('has totals that add up, overall and per reviewer', () => {
    expect(report.totals).toEqual({ items: 6, flagged: 4, kept: 2, revoked: 1, defaulted: 1, undecided: 1, exempt: 1, applied: 2, verified: 1, failed: 1 });
    const t = report.totals;
    expect(t.kept + t.revoked + t.defaulted + t.undecided + t.exempt).toBe(t.items);
    expect(t.verified + t.failed).toBe(t.applied);
    expect(report.reviewers).toEqual([
      { reviewer: 'group:security', escalated: true, totals: { items: 2, flagged: 1, kept: 1, revoked: 0, defaulted: 0, undecided: 1, exempt: 0, applied: 0, verified: 0, failed: 0 } },
      { reviewer: 'person:carol', escalated: false, finishedAt: '2024-06-15T00:00:04.000Z', totals: { items: 3, flagged: 2, kept: 1, revoked: 1, defaulted: 1, undecided: 0, exempt: 0, applied: 2, verified: 1, failed: 1 } },
    ]);
  });

  it('reports a running review: no end, everything undecided', () => {
    const running = buildReviewReport(input({ endedAt: undefined as never, outcome: undefined as never, reviewers: [{ ...input().reviewers[0]!, decisions: {}, defaulted: [], receipts: {}, finishedAt: undefined as never }] }));
    expect(running.endedAt).toBeUndefined();
    expect(running.totals).toMatchObject({ items: 4, undecided: 3, applied: 0 });
    expect(renderReportMarkdown(running)).toContain('- Ended: still running');
  });

  it('does not read decisions from Object.prototype for a hostile key', () => {
    const r = buildReviewReport(input({ exempt: [], reviewers: [{ reviewer: { type: 'group', id: 'g' }, items: [item('x', { key: 'constructor' })], decisions: {}, defaulted: [], receipts: {}, escalated: false }], findingDetails: {} }));
    expect(r.rows[0]).toMatchObject({ decision: 'undecided', findings: [], actions: [] });
  });
});

describe('renderReportCsv', () => {
  const csv = renderReportCsv(report);
  const rows = readCsv(csv);
  const header = rows[0] ?? [];
  const col = (row: string[] | undefined, name: string): string | undefined => row?.[header.indexOf(name)];
  const byName = (name: string) => rows.find((r) => col(r, 'name') === name);

  it('round-trips a reason with a comma, quotes and a line break', () => {
    expect(col(byName('dave'), 'reason')).toBe(HOSTILE_REASON);
    expect(rows.every((r) => r.length === header.length)).toBe(true);
    expect(rows).toHaveLength(report.rows.length + 1);
    expect(csv.endsWith('\r\n')).toBe(true);
  });

  it('neutralises formula injection with a leading quote', () => {
    expect(col(byName('bob|ops'), 'reason')).toBe(`'${FORMULA_REASON}`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvCell('  =HYPERLINK("http://x")')).toBe(`"'  =HYPERLINK(""http://x"")"`);
    expect(csvCell('kept;=1+1')).toBe(`"kept;'=1+1"`);
  });

  it('says which action a defaulted item got and what each step did', () => {
    expect(col(byName('frank'), 'decision')).toBe('default:disable-keys');
    expect(col(byName('frank'), 'steps')).toBe('disable-keys AKIA…MPL2: failed (AccessDenied)');
    expect(col(byName('frank'), 'verified')).toBe('no');
    expect(col(byName('dave'), 'steps')).toBe('disable-keys AKIA…MPLE: done; remove-console login-profile: already');
    expect(col(byName('dave'), 'findings')).toBe(`access-key-old: ${oldKey.detail}`);
  });
});

describe('renderReportJson', () => {
  it('is pretty, parses back to the report, and does not depend on the input’s key order', () => {
    const json = renderReportJson(report);
    expect(json).toContain('\n  "reviewId": "access-review-quarterly-2024q2",\n');
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(report)));
    const base = input();
    const shuffled: ReviewReportInput = { ...base, reviewers: [...base.reviewers].reverse().map((r) => ({ escalated: r.escalated, receipts: r.receipts, defaulted: r.defaulted, decisions: r.decisions, items: [...r.items].reverse(), reviewer: r.reviewer, ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}) })) };
    expect(renderReportJson(buildReviewReport(shuffled))).toBe(json);
    expect(Object.keys(JSON.parse(json))).toEqual(['reviewId', 'reviewName', 'startedAt', 'endedAt', 'outcome', 'defaultAction', 'accounts', 'totals', 'reviewers', 'rows']);
  });
});

describe('renderReportMarkdown', () => {
  const text = renderReportMarkdown(report);

  it('has a title, a totals table and one table per reviewer', () => {
    expect(text.startsWith('# Access review quarterly (access-review-quarterly-2024q2)\n')).toBe(true);
    expect(text).toContain('| all |  | 2024-06-15T00:00:05.000Z | 6 | 4 | 2 | 1 | 1 | 1 | 1 | 2 | 1 | 1 |');
    expect(text).toContain('## Reviewer group:security (escalated)');
    expect(text).toContain('## Reviewer person:carol');
    expect(text).toContain('## Exempt');
  });

  it('escapes pipes and line breaks so a cell cannot break the table', () => {
    expect(text).toContain('bob\\|ops');
    expect(text).toContain('left the team, "for good",<br>see HR-42');
    expect(mdCell('a|b\r\nc\rd')).toBe('a\\|b<br>c<br>d');
    const tableLines = text.split('\n').filter((l) => l.startsWith('| '));
    const columns = (l: string): number => l.replace(/\\\|/g, '').split('|').length;
    const itemHeader = tableLines.find((l) => l.startsWith('| account |')) ?? '';
    for (const l of tableLines.filter((x) => x.startsWith(`| ${A} |`))) expect(columns(l)).toBe(columns(itemHeader));
  });

  it('says which default action an item got', () => {
    expect(text).toMatch(/\| user \| principal-unused \| default:disable-keys \|/);
  });
});
