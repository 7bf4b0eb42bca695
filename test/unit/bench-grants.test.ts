// The bench's grant helpers (bench/grants.ts): who asks and approves, and the bounded pool.
import { fulfilledOrThrow, mapBounded, planGrants, within } from '../../bench/grants';

describe('planGrants', () => {
  it('covers every role × requester × approver combination in each run of eight grants', () => {
    const plans = planGrants(16);
    const combos = (xs: typeof plans) => new Set(xs.map((p) => `${p.role}/${p.requester}/${p.approver}`));
    expect(combos(plans.slice(0, 8)).size).toBe(8);
    expect(combos(plans.slice(8)).size).toBe(8);
  });

  it('never has a requester approve their own grant with the policy’s people', () => {
    for (const p of planGrants(40)) expect(p.approver).not.toBe(p.requester);
  });

  it('refuses an empty list of roles, requesters or approvers', () => {
    expect(() => planGrants(3, [], ['alice'], ['bob'])).toThrow(/at least one/);
  });
});

describe('mapBounded', () => {
  it('never runs more than the concurrency at once and keeps the items’ order', async () => {
    let running = 0;
    let most = 0;
    const out = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (x) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, x));
      running--;
      return x * 10;
    });
    expect(most).toBe(2);
    expect(fulfilledOrThrow('x', out)).toEqual([50, 10, 40, 20, 30, 0]);
  });

  it('tries every item when some fail, and the failure names how many and the first reason', async () => {
    const tried: number[] = [];
    const out = await mapBounded([1, 2, 3, 4], 3, async (x) => {
      tried.push(x);
      if (x % 2 === 0) throw new Error(`no ${x}`);
      return x;
    });
    expect(tried.sort()).toEqual([1, 2, 3, 4]);
    expect(() => fulfilledOrThrow('steps', out)).toThrow('steps: 2 of 4 failed; first: no 2');
  });

  it('refuses a concurrency below one', async () => {
    await expect(mapBounded([1], 0, async (x) => x)).rejects.toThrow(/concurrency/);
  });
});

describe('within', () => {
  it('gives up on a promise that does not settle in time, naming what was awaited', async () => {
    await expect(within('the close of x', 20, new Promise(() => undefined))).rejects.toThrow('the close of x did not happen within 0 s');
  });

  it('passes a result through', async () => {
    await expect(within('y', 1000, Promise.resolve(7))).resolves.toBe(7);
  });
});
