// How the vending and moto bench sections account for a grant's time: the server's history read
// for the approval → active stretch, the gateway's call log shared among a wave's grants, and the
// split of the vending path between moto, the gateway and everything outside AWS.
import { temporal } from '@temporalio/proto';
import type { CallRecord } from '../../sandbox';
import { pathCalls, splitPath, timeCalls } from '../../bench/sections/moto-alone';
import type { CallTiming } from '../../bench/sections/moto-alone';
import { callBreakdown, gatewayMsPerGrant, processCpuMs, serverSpans } from '../../bench/sections/vending';
import type { VendingRun } from '../../bench/sections/vending';

const T = temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;

const BASE_MS = Date.parse('2025-01-01T00:00:00Z');
const at = (ms: number) => ({ seconds: Math.floor((BASE_MS + ms) / 1000), nanos: ((BASE_MS + ms) % 1000) * 1e6 });

/** A break-glass history from the approval on: approve Update, verifyGrant, the task that makes it active. */
function approvalHistory(): Event[] {
  return [
    { eventId: 10, eventType: T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, eventTime: at(-500) },
    { eventId: 11, eventType: T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, eventTime: at(20) },
    { eventId: 12, eventType: T.EVENT_TYPE_WORKFLOW_TASK_STARTED, eventTime: at(21) },
    { eventId: 13, eventType: T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, eventTime: at(30) },
    { eventId: 14, eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, eventTime: at(30), workflowExecutionUpdateAcceptedEventAttributes: { acceptedRequest: { input: { name: 'approve' } } } },
    { eventId: 15, eventType: T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, eventTime: at(31), activityTaskScheduledEventAttributes: { activityType: { name: 'verifyGrant' } } },
    { eventId: 16, eventType: T.EVENT_TYPE_ACTIVITY_TASK_STARTED, eventTime: at(35), activityTaskStartedEventAttributes: { scheduledEventId: 15 } },
    { eventId: 17, eventType: T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, eventTime: at(80), activityTaskCompletedEventAttributes: { scheduledEventId: 15 } },
    { eventId: 18, eventType: T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, eventTime: at(80) },
    { eventId: 19, eventType: T.EVENT_TYPE_WORKFLOW_TASK_STARTED, eventTime: at(90) },
    { eventId: 20, eventType: T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, eventTime: at(100) },
  ].map((e) => temporal.api.history.v1.HistoryEvent.fromObject(e));
}

const call = (service: string, action: string, durationMs: number): CallRecord => ({ seq: 0, at: '', service, action, params: {}, caller: undefined, status: 200, servedBy: 'moto', durationMs });

describe('serverSpans', () => {
  it('splits approval → active into the Update, verifyGrant queued and running, the task after it, and the watcher’s delay', () => {
    expect(serverSpans(approvalHistory(), BASE_MS, BASE_MS + 112)).toEqual({ toApprovedMs: 30, verifyQueuedMs: 4, verifyRunMs: 45, toActiveMs: 20, seenMs: 12 });
  });

  it('is undefined until the workflow task after a completed verifyGrant is in the history', () => {
    const events = approvalHistory();
    expect(serverSpans(events.slice(0, 9), BASE_MS, BASE_MS)).toBeUndefined();
    expect(serverSpans(events.slice(0, 10), BASE_MS, BASE_MS)).toBeUndefined();
  });

  it('ignores Updates other than approve and activities other than verifyGrant', () => {
    const events = approvalHistory().map((e) =>
      Number(e.eventId) === 14 ? { ...e, workflowExecutionUpdateAcceptedEventAttributes: { acceptedRequest: { input: { name: 'reserveCredentials' } } } } : e,
    );
    expect(serverSpans(events, BASE_MS, BASE_MS)).toBeUndefined();
    const otherActivity = approvalHistory().map((e) => (Number(e.eventId) === 15 ? { ...e, activityTaskScheduledEventAttributes: { activityType: { name: 'notify' } } } : e));
    expect(serverSpans(otherActivity, BASE_MS, BASE_MS)).toBeUndefined();
  });
});

describe('callBreakdown and gatewayMsPerGrant', () => {
  const waves = [
    { grants: 1, calls: [call('sts', 'AssumeRole', 10), call('sts', 'AssumeRole', 14), call('sts', 'GetCallerIdentity', 4)] },
    { grants: 2, calls: [call('sts', 'AssumeRole', 20), call('sts', 'AssumeRole', 30), call('sts', 'AssumeRole', 22), call('sts', 'AssumeRole', 26), call('s3', 'unknown', 6)] },
  ];

  it('shares a wave’s calls among its grants and takes the median duration of one call', () => {
    expect(callBreakdown(waves)).toEqual([
      { call: 's3:unknown', perGrant: 0.3, medianMs: 6 },
      { call: 'sts:AssumeRole', perGrant: 2, medianMs: 20 },
      { call: 'sts:GetCallerIdentity', perGrant: 0.3, medianMs: 4 },
    ]);
  });

  it('sums the gateway’s time per grant', () => {
    expect(gatewayMsPerGrant(waves)).toBeCloseTo((28 + 104) / 3);
    expect(gatewayMsPerGrant([])).toBeNaN();
  });
});

describe('splitPath', () => {
  it('names moto the bottleneck when its own time is the largest part', () => {
    const split = splitPath(100, [{ call: 'sts:AssumeRole', perGrant: 2, motoMs: 30, gatewayMs: 35 }]);
    expect(split).toEqual({ pathMs: 100, motoMs: 60, gatewayOverheadMs: 10, otherAwsMs: 0, outsideAwsMs: 30, bottleneck: 'moto' });
  });

  it('names the gateway when it adds more than moto and the rest take', () => {
    expect(splitPath(100, [{ call: 'sts:AssumeRole', perGrant: 1, motoMs: 10, gatewayMs: 60 }]).bottleneck).toBe('the gateway');
  });

  it('keeps calls not timed alone out of the moto/gateway split, and never makes the rest negative', () => {
    const split = splitPath(50, [
      { call: 'sts:GetCallerIdentity', perGrant: 3, motoMs: 5, gatewayMs: 10 },
      { call: 'iam:GetRolePolicy', perGrant: 2, gatewayMs: 15 },
    ]);
    expect(split).toMatchObject({ motoMs: 15, gatewayOverheadMs: 15, otherAwsMs: 30, outsideAwsMs: 0, bottleneck: 'moto' });
  });
});

describe('pathCalls', () => {
  const timing = (callKey: string, target: 'moto' | 'gateway', concurrency: number, p50Ms: number): CallTiming => ({ call: callKey, target, concurrency, p50Ms, p95Ms: p50Ms, perSecond: 1, samples: 1 });
  const kinds = [
    { key: 'assumeRole', logNames: ['sts:AssumeRole'] },
    { key: 'listBuckets', logNames: ['s3:ListBuckets', 's3:unknown'] },
  ];
  const timings = [timing('assumeRole', 'moto', 1, 4), timing('assumeRole', 'gateway', 1, 9), timing('assumeRole', 'moto', 5, 40), timing('listBuckets', 'moto', 1, 3), timing('listBuckets', 'gateway', 1, 5)];

  it('prices the path’s calls with the timings at the run’s concurrency, matching S3 calls the log leaves unnamed', () => {
    const run: VendingRun = { concurrency: 1, samples: [], failures: [], cpuMs: new Map(), measuredMs: 0, waves: [{ grants: 1, calls: [call('sts', 'AssumeRole', 11), call('s3', 'unknown', 7), call('iam', 'GetRolePolicy', 12)] }] };
    expect(pathCalls(run, kinds, timings)).toEqual([
      { call: 'iam:GetRolePolicy', perGrant: 1, gatewayMs: 12 },
      { call: 's3:unknown', perGrant: 1, motoMs: 3, gatewayMs: 5 },
      { call: 'sts:AssumeRole', perGrant: 1, motoMs: 4, gatewayMs: 9 },
    ]);
  });
});

describe('timeCalls', () => {
  it('makes exactly the samples asked for with no more than `concurrency` in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const r = await timeCalls(
      async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((res) => setTimeout(res, 2));
        inFlight--;
      },
      23,
      5,
    );
    expect(r.latencies).toHaveLength(23);
    expect(most).toBe(5);
    expect(r.perSecond).toBeGreaterThan(0);
  });
});

describe('processCpuMs', () => {
  it('reads a process’s CPU time from /proc, and nothing for a process that is not there', () => {
    const before = processCpuMs(process.pid);
    const until = Date.now() + 60;
    while (Date.now() < until) Math.sqrt(Math.random());
    const after = processCpuMs(process.pid);
    expect(before).toBeDefined();
    expect(after! - before!).toBeGreaterThanOrEqual(20);
    expect(processCpuMs(2 ** 22 + 1)).toBeUndefined();
  });
});
