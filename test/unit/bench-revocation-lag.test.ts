// The revocation-lag section's pure parts (bench/sections/revocation-lag.ts): the slot that makes a
// batch of grants end at the common moment, and reading lags from the runs' own records.
import { analyseRevocations, nextBatchSlot } from '../../bench/sections/revocation-lag';
import type { BreakGlassResult, BreakGlassStatus } from '../../workflows/break-glass/definitions';

describe('nextBatchSlot', () => {
  it('asks whole seconds and approves at the instant that makes approval + latency + duration the common end', () => {
    const slot = nextBatchSlot(1_000, 60_000, 700);
    expect(slot).toEqual({ durationS: 58, approveAtMs: 1_300 });
    expect(slot!.approveAtMs + 700 + slot!.durationS * 1000).toBe(60_000);
    expect(slot!.approveAtMs).toBeGreaterThanOrEqual(1_000);
  });

  it('never approves before the requests are in, however the seconds fall', () => {
    for (let earliest = 0; earliest < 3_000; earliest += 137) {
      const slot = nextBatchSlot(earliest, 45_000, 433)!;
      expect(slot.approveAtMs).toBeGreaterThanOrEqual(earliest);
      expect(slot.approveAtMs - earliest).toBeLessThan(1_000);
      expect(slot.approveAtMs + 433 + slot.durationS * 1000).toBe(45_000);
    }
  });

  it('gives up when less than the shortest grant the policy allows (10 s) is left', () => {
    expect(nextBatchSlot(0, 10_500, 400)).toEqual({ durationS: 10, approveAtMs: 100 });
    expect(nextBatchSlot(0, 10_300, 400)).toBeUndefined();
  });
});

function run(over: Partial<BreakGlassStatus>): BreakGlassResult {
  const status: BreakGlassStatus = {
    grantId: 'breakglass-BreakGlassAdmin-0000aaaa',
    requester: 'alice',
    role: 'BreakGlassAdmin',
    roleArn: 'arn:aws:iam::123456789012:role/BreakGlassAdmin',
    accountId: '123456789012',
    mode: 'approval',
    phase: 'ended',
    outcome: 'revoked',
    endReason: 'expired',
    reason: 'benchmark',
    requestedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 30_000,
    grantedAt: '2026-01-01T00:00:01.000Z',
    plannedEndAt: '2026-01-01T00:00:31.000Z',
    actualEndAt: '2026-01-01T00:00:33.500Z',
    revocation: {
      verified: true,
      checkedAt: '2026-01-01T00:00:32.000Z',
      policyName: 'SafeguardRevocations',
      statementPresent: true,
      deniedSourceIdentity: 'alice',
      tokensIssuedBefore: '2026-01-01T00:00:31.400Z',
      sessionsTerminated: [],
      activeSessionsLeft: [],
      attempts: 1,
    },
    credentials: [],
    sessions: [],
    timeline: [
      { at: '2026-01-01T00:00:31.000Z', event: 'revoking' },
      { at: '2026-01-01T00:00:31.300Z', event: 'revoking' },
    ],
    ...over,
  };
  return { status };
}

describe('analyseRevocations', () => {
  it('measures planned end → receipt verified, and splits it at the last "revoking" entry', () => {
    const a = analyseRevocations([run({}), run({ plannedEndAt: '2026-01-01T00:00:30.600Z', revocation: { ...run({}).status.revocation!, attempts: 2 } })]);
    expect(a.lagsMs).toEqual([1000, 1400]);
    expect(a.toRevokingMs).toEqual([300, 700]);
    expect(a.revokingToVerifiedMs).toEqual([700, 700]);
    expect(a.toEndedMs).toEqual([2500, 2900]);
    expect(a.plannedEndSpreadMs).toBe(400);
    expect(a.retried).toBe(1);
    expect(a.notMeasured).toEqual({});
  });

  it('leaves out, and counts by why, runs that did not expire with a verified receipt', () => {
    const unverified = run({});
    unverified.status.revocation = { ...unverified.status.revocation!, verified: false };
    const a = analyseRevocations([run({ endReason: 'revoked-by-requester' }), unverified, run({ outcome: 'denied', endReason: undefined })]);
    expect(a.lagsMs).toEqual([]);
    expect(Number.isNaN(a.plannedEndSpreadMs)).toBe(true);
    expect(a.notMeasured).toEqual({ 'ended revoked-by-requester': 1, 'revocation not verified': 1, 'ended denied': 1 });
  });
});
