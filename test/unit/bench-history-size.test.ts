// The history section's pure parts: reading a fetched history (event types and what they are made
// of, payload bytes, children, the continued-as-new link) and the figure it reports per kind.
import { temporal } from '@temporalio/proto';
import {
  BREAK_GLASS_MAX_BYTES,
  childWorkflowIds,
  eventCategory,
  eventComposition,
  eventTypeCounts,
  eventTypeName,
  historyFigure,
  largestShares,
  payloadBytes,
  previousRunId,
} from '../../bench/sections/history-size';
import type { RunSize } from '../../bench/sections/history-size';

const { EventType } = temporal.api.enums.v1;
const event = (o: temporal.api.history.v1.IHistoryEvent): temporal.api.history.v1.HistoryEvent => temporal.api.history.v1.HistoryEvent.create(o);
const payload = (dataBytes: number, encoding = 'binary/encrypted'): temporal.api.common.v1.IPayload => ({ metadata: { encoding: Buffer.from(encoding) }, data: new Uint8Array(dataBytes) });

describe('reading a history', () => {
  it('names event types without their enum prefix', () => {
    expect(eventTypeName(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)).toBe('ACTIVITY_TASK_COMPLETED');
    expect(eventTypeName(undefined)).toBe('UNKNOWN_undefined');
  });

  it('counts events by type', () => {
    const events = [EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED].map((eventType) => event({ eventType }));
    expect(eventTypeCounts(events)).toEqual({ WORKFLOW_TASK_SCHEDULED: 2, WORKFLOW_TASK_STARTED: 1 });
  });

  it('groups event types into what a run spends them on', () => {
    expect(eventCategory('WORKFLOW_TASK_COMPLETED')).toBe('workflow tasks');
    expect(eventCategory('ACTIVITY_TASK_SCHEDULED')).toBe('activities');
    expect(eventCategory('WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toBe('updates');
    expect(eventCategory('WORKFLOW_EXECUTION_SIGNALED')).toBe('signals');
    expect(eventCategory('START_CHILD_WORKFLOW_EXECUTION_INITIATED')).toBe('child workflows');
    expect(eventCategory('WORKFLOW_EXECUTION_STARTED')).toBe('workflow execution started');
  });

  it('sums the encoded bytes of each category and finds the largest event', () => {
    const started = event({ eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, workflowExecutionStartedEventAttributes: { input: { payloads: [payload(2000)] } } });
    const timer = event({ eventType: EventType.EVENT_TYPE_TIMER_STARTED, timerStartedEventAttributes: { timerId: '1' } });
    const c = eventComposition([started, timer]);
    expect(c.counts).toEqual({ 'workflow execution started': 1, timers: 1 });
    expect(c.bytes['workflow execution started']).toBe(temporal.api.history.v1.HistoryEvent.encode(started).finish().length);
    expect(c.largest.type).toBe('WORKFLOW_EXECUTION_STARTED');
    expect(c.largest.bytes).toBeGreaterThan(2000);
  });

  it('sums payload data and metadata wherever payloads sit in the events', () => {
    const events = [
      event({ eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, workflowExecutionStartedEventAttributes: { input: { payloads: [payload(100), payload(50)] } } }),
      event({ eventType: EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, activityTaskCompletedEventAttributes: { result: { payloads: [payload(30, 'json/plain')] } } }),
      event({ eventType: EventType.EVENT_TYPE_TIMER_FIRED, timerFiredEventAttributes: { timerId: 't' } }),
    ];
    const meta = 'encoding'.length;
    expect(payloadBytes(events)).toBe(100 + 50 + 30 + 3 * meta + 2 * 'binary/encrypted'.length + 'json/plain'.length);
    expect(payloadBytes([])).toBe(0);
  });

  it('lists the children a run started, once each', () => {
    const started = (workflowId: string) => event({ eventType: EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, childWorkflowExecutionStartedEventAttributes: { workflowExecution: { workflowId, runId: 'r' } } });
    expect(childWorkflowIds([started('reviewer-a'), started('reviewer-b'), started('reviewer-a'), event({ eventType: EventType.EVENT_TYPE_TIMER_FIRED })])).toEqual(['reviewer-a', 'reviewer-b']);
  });

  it('follows a continued-as-new run back to the run before it', () => {
    const first = (continuedExecutionRunId?: string) => [event({ eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, workflowExecutionStartedEventAttributes: continuedExecutionRunId ? { continuedExecutionRunId } : {} })];
    expect(previousRunId(first('run-1'))).toBe('run-1');
    expect(previousRunId(first())).toBeUndefined();
    expect(previousRunId([])).toBeUndefined();
  });

  it('lists the largest shares first', () => {
    expect(largestShares({ timers: 1, activities: 6, 'workflow tasks': 3 }, 2)).toBe('activities 6 (60.0%), workflow tasks 3 (30.0%)');
  });
});

describe('the figure per kind', () => {
  const run = (over: Partial<RunSize> = {}): RunSize => ({
    workflowId: 'breakglass-1',
    runId: 'r1',
    type: 'breakGlassWorkflow',
    events: 99,
    historyBytes: 31_000,
    encodedBytes: 31_100,
    payloadBytes: 19_000,
    continuedAsNew: false,
    eventTypes: { WORKFLOW_TASK_COMPLETED: 16, ACTIVITY_TASK_COMPLETED: 10 },
    bytesByCategory: { 'workflow tasks': 4000, activities: 20_000 },
    largestEvent: { type: 'WORKFLOW_EXECUTION_STARTED', bytes: 3000 },
    children: [],
    ...over,
  });

  it('holds a break-glass grant to 150 events and 64 KiB on its top-level run', () => {
    expect(historyFigure('break-glass', 'breakglass-1', [run()]).met).toBe(true);
    expect(historyFigure('break-glass', 'breakglass-1', [run({ events: 150, historyBytes: BREAK_GLASS_MAX_BYTES })]).met).toBe(true);
    expect(historyFigure('break-glass', 'breakglass-1', [run({ events: 151 })]).met).toBe(false);
    expect(historyFigure('break-glass', 'breakglass-1', [run({ historyBytes: BREAK_GLASS_MAX_BYTES + 1 })]).met).toBe(false);
  });

  it('sets no target for the other kinds but reports their distance from Temporal’s limits', () => {
    const f = historyFigure('runbook', 'rb-1', [run({ workflowId: 'rb-1', type: 'declarativeRunbookWorkflow', events: 512 })]);
    expect(f.target).toBeUndefined();
    expect(f.met).toBeUndefined();
    expect(f.notes!.join('\n')).toContain('512 events (1.0% of Temporal');
  });

  it('reports the top-level run and the whole family, children and continued-as-new runs included', () => {
    const family = [
      run({ workflowId: 'review-1', type: 'accessReviewWorkflow', events: 72, historyBytes: 36_000, children: ['reviewer-a'] }),
      run({ workflowId: 'reviewer-a', runId: 'a2', type: 'accessReviewerWorkflow', events: 40, historyBytes: 10_000 }),
      run({ workflowId: 'reviewer-a', runId: 'a1', type: 'accessReviewerWorkflow', events: 89, historyBytes: 30_000, continuedAsNew: true }),
    ];
    const f = historyFigure('access-review', 'review-1', family);
    expect(f.values).toMatchObject({ topEvents: 72, topHistoryBytes: 36_000, familyWorkflows: 2, familyRuns: 3, familyEvents: 201, familyHistoryBytes: 76_000, largestRunEvents: 89, largestRunHistoryBytes: 36_000 });
    expect(f.shown).toBe('top 72 ev 35.2 KiB; family 3 runs 201 ev 74.2 KiB');
    expect(f.notes!.join('\n')).toContain('2 workflow(s), 3 run(s), 1 continued as new');
  });

  it('refuses a family without its top-level run', () => {
    expect(() => historyFigure('break-glass', 'breakglass-2', [run()])).toThrow('no history read for breakglass-2');
  });
});
