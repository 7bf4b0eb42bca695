// `npm run bench`'s arguments and table: sizes bounded, unknown sections refused, every figure shown
// with its sample count and its target's verdict, a failed section still printed.
import { renderTable } from '../../bench/figures';
import type { BenchReport } from '../../bench/figures';
import { parseBenchArgs } from '../../bench/main';

describe('parseBenchArgs', () => {
  it('defaults to the sizes of record and smaller ones with --quick', () => {
    expect(parseBenchArgs([]).sizes).toEqual({ slackCommands: 50, vendingGrants: 30, expiringGrants: 200, throughputRuns: 60, openGrants: 1000 });
    expect(parseBenchArgs([]).reviewPerAccount).toBe(5000);
    const q = parseBenchArgs(['--quick']);
    expect(q.sizes.openGrants).toBeLessThan(1000);
    expect(q.reviewPerAccount).toBeLessThan(5000);
  });

  it('takes explicit sizes and section lists', () => {
    const o = parseBenchArgs(['--open-grants', '250', '--only', 'rss,history', '--skip', 'review', '--json']);
    expect(o).toMatchObject({ json: true, only: ['rss', 'history'], skip: ['review'], sizes: { openGrants: 250 } });
  });

  it.each([
    [['--open-grants', '0'], /must be a whole number from 1 to 5000/],
    [['--open-grants', '1e3'], /must be a whole number/],
    [['--only', 'rss,nope'], /unknown section nope; sections: slack, vending/],
    [['--frobnicate'], /unknown option/],
    [['extra'], /too many arguments|excess/i],
  ])('refuses %j', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});

describe('renderTable', () => {
  const report: BenchReport = {
    bench: 'safeguard',
    startedAt: '2026-12-02T10:00:00.000Z',
    machine: { cores: 2, cpu: 'Test CPU', node: 'v20', platform: 'Linux', memoryGiB: 24, loadAverageAtStart: [0.5, 0.4, 0.3] },
    sections: [
      { section: 'slack', elapsedMs: 10, figures: [{ id: 'slackAck', what: 'Slack ack latency', samples: 50, values: { p99Ms: 250 }, shown: 'p99 250 ms', target: 'p99 ≤ 300 ms', met: true, notes: ['the app ran as its own process'] }] },
      { section: 'rss', elapsedMs: 10, figures: [{ id: 'workerRss', what: 'worker RSS', samples: 1000, values: { rssMiB: 350 }, shown: '350 MiB', target: '≤ 300 MB', met: false }] },
      { section: 'history', elapsedMs: 10, figures: [], error: 'play runbook failed' },
    ],
  };
  const text = renderTable(report);

  it('prints each figure with its samples and verdict, and the conditions it was taken under', () => {
    expect(text).toMatch(/2 cores \(Test CPU\), 24 GiB, node v20, Linux, load 0.5 0.4 0.3 at start/);
    expect(text).toMatch(/Slack ack latency\s+p99 250 ms\s+n=50\s+target p99 ≤ 300 ms: met/);
    expect(text).toMatch(/worker RSS\s+350 MiB\s+n=1000\s+target ≤ 300 MB: NOT met/);
    expect(text).toMatch(/slackAck: the app ran as its own process/);
  });

  it('prints a failed section with its error', () => {
    expect(text).toMatch(/history\s+FAILED\s+play runbook failed/);
  });
});
