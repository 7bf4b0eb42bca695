// The chaos run's bounds and fault plan: sizes refused outside their range, the plan inside the
// window with the kills asked for (every sixth taking both workers), AWS and Slack faults that end
// before the window does, and the same seed giving the same plan.
import { planFaults } from '../../chaos/faults';
import { parseChaosArgs } from '../../chaos/options';
import { Random } from '../../chaos/random';

describe('parseChaosArgs', () => {
  it('keeps --quick short and the default long, each with its kills', () => {
    const quick = parseChaosArgs(['--quick', '--seed', '7']);
    expect(quick).toMatchObject({ quick: true, chaosSeconds: 90, workerKills: 6, temporalRestarts: 1, seed: 7, awsFaultRate: 0.3 });
    const full = parseChaosArgs([]);
    expect(full.chaosSeconds).toBeLessThanOrEqual(14 * 60);
    expect(full.workerKills).toBeGreaterThanOrEqual(20);
  });

  it.each([
    [['--seconds', '5'], /from 30 to 840/],
    [['--kills', '-1'], /whole number/],
    [['--aws-fault-rate', '0.95'], /from 0 to 0.9/],
    [['--aws-fault-rate', 'lots'], /from 0 to 0.9/],
    [['--bogus'], /unknown option/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseChaosArgs(argv)).toThrow(message);
  });
});

describe('planFaults', () => {
  const windowMs = 600_000;
  const plan = planFaults({ workerKills: 24, temporalRestarts: 1, terminations: 3 }, windowMs, new Random(42));

  it('plans every fault inside the window, in time order', () => {
    expect(plan.every((f) => f.atMs >= 0 && f.atMs < windowMs)).toBe(true);
    expect(plan.map((f) => f.atMs)).toEqual([...plan.map((f) => f.atMs)].sort((a, b) => a - b));
  });

  it('kills the worker as often as asked, both workers on every sixth', () => {
    const kills = plan.filter((f) => f.fault === 'worker-kill');
    expect(kills).toHaveLength(24);
    expect(kills.filter((k) => k.fault === 'worker-kill' && k.both)).toHaveLength(4);
  });

  it('restarts Temporal, terminates runs, and ends AWS and Slack faults before the window ends', () => {
    expect(plan.filter((f) => f.fault === 'temporal-restart')).toHaveLength(1);
    expect(plan.filter((f) => f.fault === 'terminate')).toHaveLength(3);
    const timed = plan.filter((f): f is Extract<typeof f, { untilMs: number }> => 'untilMs' in f);
    expect(timed.map((f) => f.fault).sort()).toEqual(['aws-faults', 'slack-faults', 'slack-faults']);
    expect(timed.every((f) => f.untilMs > f.atMs && f.untilMs < windowMs)).toBe(true);
    expect(timed.filter((f) => f.fault === 'slack-faults').map((f) => 'status' in f && f.status)).toEqual([429, 500]);
  });

  it('repeats itself for the same seed and changes with another', () => {
    expect(planFaults({ workerKills: 24, temporalRestarts: 1, terminations: 3 }, windowMs, new Random(42))).toEqual(plan);
    expect(planFaults({ workerKills: 24, temporalRestarts: 1, terminations: 3 }, windowMs, new Random(43))).not.toEqual(plan);
  });
});
