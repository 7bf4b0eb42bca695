// The review section's pure parts: reading the one JSON object bench/review.ts prints, and the
// figures made from it (inventory + findings against the 60 s target, and the secondary figures).
import { parseReviewOutput, reviewFigures } from '../../bench/sections/review';
import type { ReviewOutput } from '../../bench/sections/review';

const output = (over: Partial<ReviewOutput> = {}): ReviewOutput => ({
  bench: 'access-review',
  conditions: { loadAverage: [1.5, 1, 0.5] },
  accounts: 2,
  perAccount: 5000,
  seeded: { users: 5000, roles: 5000, accessKeys: 6400, seedMs: 4000 },
  stackStartMs: 9000,
  inventoryMs: 30_000,
  inventoryStepMs: 29_000,
  checkReviewMs: 200,
  findingsMs: 5_000,
  totalMs: 35_000,
  clientSawFindingsMs: 35_400,
  activities: { collectInventory: { n: 2, totalMs: 50_000, maxMs: 28_000 } },
  principals: 10_004,
  flagged: 6000,
  exempt: 22,
  findings: { 'principal-unused': 4000, 'access-key-old': 3000 },
  reviewers: 6,
  reviewerRuns: 6,
  decisions: { rounds: 1, calls: 6, decided: 9982, decideMs: 12_000 },
  outcome: 'completed',
  evidenceWritten: true,
  completeMs: 80_000,
  history: {
    parent: { events: 93, bytes: 60_000, encodedBytes: 60_200 },
    largestByEvents: { workflowId: 'review-1', events: 450, bytes: 60_000 },
    largestByBytes: { workflowId: 'reviewer-a', events: 400, bytes: 900_000 },
    runs: 8,
    continuedAsNew: 1,
    reviewerMaxEvents: 400,
  },
  worker: { pid: 42, rssBeforeMiB: 400, rssMaxSampledMiB: 600, rssAfterMiB: 550, peakMiB: 620 },
  ...over,
});

describe('reading bench/review.ts --json', () => {
  it('takes the JSON object on the last line, whatever came before it', () => {
    const stdout = `something else\n${JSON.stringify({ ...output(), extra: 'ignored' })}\n`;
    expect(parseReviewOutput(stdout).totalMs).toBe(35_000);
  });

  it('says so when the last line is not JSON', () => {
    expect(() => parseReviewOutput('access review bench: 2 accounts\n')).toThrow('printed no JSON object last');
    expect(() => parseReviewOutput('')).toThrow('(nothing)');
  });

  it('names the fields that changed shape', () => {
    const { totalMs: _gone, ...rest } = output();
    expect(() => parseReviewOutput(JSON.stringify(rest))).toThrow(/another shape: totalMs/);
  });
});

describe('the review figures', () => {
  it('holds inventory + findings to 60 s', () => {
    const at = (totalMs: number) => reviewFigures(output({ totalMs })).find((f) => f.id === 'review.inventoryFindings')!;
    expect(at(60_000).met).toBe(true);
    expect(at(60_001).met).toBe(false);
    expect(at(35_000).what).toBe('Access review inventory + findings, 10,000 principals in 2 accounts');
    expect(at(35_000).shown).toBe('35.0 s (start → inventory 30.0 s, findings + routing 5.0 s)');
  });

  it('reports findings, completion, history and worker memory without targets', () => {
    const figures = reviewFigures(output());
    expect(figures.map((f) => f.id)).toEqual(['review.inventoryFindings', 'review.findings', 'review.completion', 'review.history', 'review.workerRss']);
    expect(figures.slice(1).every((f) => f.target === undefined && f.met === undefined)).toBe(true);
    const findings = figures.find((f) => f.id === 'review.findings')!;
    expect(findings.values).toMatchObject({ principals: 10_004, flagged: 6000, 'finding.access-key-old': 3000 });
    const history = figures.find((f) => f.id === 'review.history')!;
    expect(history.values).toMatchObject({ parentEvents: 93, largestRunEvents: 450, largestRunBytes: 900_000, runs: 8, continuedAsNew: 1 });
    // The largest run by bytes is shown with its own event count, not the largest by events'.
    expect(history.shown).toBe('parent 93 ev 58.6 KiB; largest run 878.9 KiB (400 ev)');
  });

  it('shows worker memory as not measured when the worker was not its own process', () => {
    const rss = reviewFigures(output({ worker: null })).find((f) => f.id === 'review.workerRss')!;
    expect(rss.samples).toBe(0);
    expect(rss.shown).toBe('n/a');
    expect(rss.values.peakMiB).toBeNull();
  });
});
