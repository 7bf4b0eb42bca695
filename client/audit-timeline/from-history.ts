// A run's timeline from its Temporal history. One generic walk over the events: activities, timers
// and children are paired with the event that closed them; Updates with their completion; payloads
// are decoded through the process's data converter (the payload codec decrypts them) and then
// scrubbed of anything secret-shaped. Per-kind knowledge is only the annotation table.
import type { LoadedDataConverter, Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ACTIVITY_NOTES, ACTOR_FIELDS, MESSAGE_DETAILS, MESSAGE_LABELS, RESOURCE_FIELDS } from './annotations';
import { scrubTimeline } from './scrub';
import type { EntryKind, Timeline, TimelineEntry, TimelineRequest } from './types';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Failure = temporal.api.failure.v1.IFailure;
const ET = temporal.api.enums.v1.EventType;

/** Decodes one payload list to values; a payload that cannot be decoded becomes a note, not an error. */
export type PayloadDecoder = (payloads: readonly Payload[] | null | undefined) => Promise<unknown[]>;

export function payloadDecoder(converter: LoadedDataConverter): PayloadDecoder {
  return async (payloads) => {
    const out: unknown[] = [];
    for (const payload of payloads ?? []) {
      try {
        let decoded: Payload[] = [payload];
        // Codecs apply in order on encode, so in reverse on decode (as the SDK does).
        for (const codec of [...converter.payloadCodecs].reverse()) decoded = await codec.decode(decoded);
        out.push(converter.payloadConverter.fromPayload(decoded[0]!));
      } catch (err) {
        const e = err as { code?: string; message?: string };
        out.push({ '[undecodable]': e.code ?? e.message ?? String(err) });
      }
    }
    return out;
  };
}

export interface HistoryTimelineOptions {
  workflowId: string;
  runId?: string;
  decode: PayloadDecoder;
}

const CLOSE_STATUS = new Map<number, string>([
  [ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 'COMPLETED'],
  [ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, 'FAILED'],
  [ET.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, 'TIMED_OUT'],
  [ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, 'CANCELED'],
  [ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, 'TERMINATED'],
  [ET.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, 'CONTINUED_AS_NEW'],
]);

/** Events that say nothing to an auditor: the SDK's own bookkeeping. */
const SKIPPED = new Set<number>([
  ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
  ET.EVENT_TYPE_WORKFLOW_TASK_STARTED,
  ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  ET.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
  ET.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
  ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED,
]);

/** Version markers and the SDK's change-version search attribute are code bookkeeping, not run facts. */
const PATCH_MARKER = 'core_patch';
const CHANGE_VERSION_ATTRIBUTE = 'TemporalChangeVersion';

export async function timelineFromHistory(history: History, opts: HistoryTimelineOptions): Promise<Timeline> {
  const events = history.events ?? [];
  const first = events[0];
  if (!first || first.eventType !== ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) throw new Error(`the history of ${opts.workflowId} does not begin with a WorkflowExecutionStarted event`);
  const startMs = eventMs(first);
  const entries: TimelineEntry[] = [];
  const open = new Map<string, TimelineEntry>();
  const timeline: Timeline = {
    source: 'history',
    sourceNote: 'Temporal workflow history, payloads decoded with the payload codec',
    workflowId: opts.workflowId,
    ...(opts.runId ? { runId: opts.runId } : {}),
    status: 'RUNNING',
    request: {},
    entries,
  };
  const add = (e: HistoryEvent, kind: EntryKind, name: string, rest: Partial<TimelineEntry> = {}): TimelineEntry => {
    const at = eventMs(e);
    const entry: TimelineEntry = { at: iso(at), offsetMs: at - startMs, eventId: Number(e.eventId ?? 0), kind, name, ...rest };
    entries.push(entry);
    return entry;
  };
  const close = (key: string, e: HistoryEvent, outcome: string, rest: Partial<TimelineEntry> = {}): void => {
    const entry = open.get(key);
    if (!entry) return;
    Object.assign(entry, { outcome, endedAt: iso(eventMs(e)) }, rest);
    open.delete(key);
  };

  for (const e of events) {
    const type = e.eventType ?? ET.EVENT_TYPE_UNSPECIFIED;
    if (SKIPPED.has(type)) continue;
    switch (type) {
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const a = e.workflowExecutionStartedEventAttributes!;
        const [input] = await opts.decode(a.input?.payloads);
        timeline.workflowType = a.workflowType?.name ?? undefined;
        timeline.startedAt = iso(startMs);
        if (!timeline.runId && a.originalExecutionRunId) timeline.runId = a.originalExecutionRunId;
        timeline.request = requestOf(input);
        const parent = a.parentWorkflowExecution?.workflowId;
        add(e, 'started', a.workflowType?.name ?? 'workflow', {
          input,
          ...(timeline.request.requester ? { actor: timeline.request.requester } : {}),
          ...(a.identity ? { identity: a.identity } : {}),
          ...(parent ? { detail: `child of ${parent}` } : a.continuedExecutionRunId ? { detail: `continued from run ${a.continuedExecutionRunId}` } : {}),
          ...(a.searchAttributes?.indexedFields ? { result: searchAttributes(a.searchAttributes.indexedFields) } : {}),
        });
        break;
      }
      case ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const a = e.activityTaskScheduledEventAttributes!;
        const name = a.activityType?.name ?? 'activity';
        const note = ACTIVITY_NOTES[name];
        const [input] = await opts.decode(a.input?.payloads);
        const resource = resourceOf(input);
        const label = note?.labelOf?.(input) ?? note?.label;
        const aws = note?.awsOf?.(input) ?? note?.aws;
        const entry = add(e, 'activity', name, {
          ...(label ? { label } : {}),
          ...(aws ? { aws } : {}),
          ...(Object.keys(resource).length > 0 ? { resource } : {}),
          ...(note?.quietInput ? { detail: eventOf(input) } : { input }),
          outcome: 'scheduled',
        });
        open.set(`activity:${String(e.eventId)}`, entry);
        break;
      }
      case ET.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const a = e.activityTaskStartedEventAttributes!;
        const entry = open.get(`activity:${String(a.scheduledEventId)}`);
        if (entry) {
          entry.attempt = a.attempt ?? 1;
          entry.outcome = 'running';
          if (a.lastFailure) entry.failure = `earlier attempt failed: ${failureText(a.lastFailure)}`;
        }
        break;
      }
      case ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const a = e.activityTaskCompletedEventAttributes!;
        const [result] = await opts.decode(a.result?.payloads);
        const key = `activity:${String(a.scheduledEventId)}`;
        const detail = ownEntry(ACTIVITY_NOTES, open.get(key)?.name)?.resultDetail?.(result);
        close(key, e, 'completed', { ...(result === undefined ? {} : { result }), ...(detail ? { detail } : {}) });
        break;
      }
      case ET.EVENT_TYPE_ACTIVITY_TASK_FAILED: {
        const a = e.activityTaskFailedEventAttributes!;
        close(`activity:${String(a.scheduledEventId)}`, e, 'failed', { failure: failureText(a.failure) });
        break;
      }
      case ET.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
        const a = e.activityTaskTimedOutEventAttributes!;
        close(`activity:${String(a.scheduledEventId)}`, e, 'timed-out', { failure: failureText(a.failure) });
        break;
      }
      case ET.EVENT_TYPE_ACTIVITY_TASK_CANCELED: {
        const a = e.activityTaskCanceledEventAttributes!;
        close(`activity:${String(a.scheduledEventId)}`, e, 'canceled');
        break;
      }
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
        const a = e.workflowExecutionUpdateAcceptedEventAttributes!;
        const req = a.acceptedRequest;
        const name = req?.input?.name ?? 'update';
        const [input] = await opts.decode(req?.input?.args?.payloads);
        const entry = add(e, 'update', name, { ...messageAnnotations(name, input, req?.meta?.identity), input, outcome: 'accepted' });
        open.set(`update:${req?.meta?.updateId ?? a.protocolInstanceId ?? ''}`, entry);
        break;
      }
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: {
        const a = e.workflowExecutionUpdateCompletedEventAttributes!;
        const key = `update:${a.meta?.updateId ?? ''}`;
        if (a.outcome?.failure) close(key, e, 'failed', { failure: failureText(a.outcome.failure) });
        else {
          const [result] = await opts.decode(a.outcome?.success?.payloads);
          close(key, e, 'completed', result === undefined ? {} : { result });
        }
        break;
      }
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const a = e.workflowExecutionSignaledEventAttributes!;
        const name = a.signalName ?? 'signal';
        const [input] = await opts.decode(a.input?.payloads);
        add(e, 'signal', name, { ...messageAnnotations(name, input, a.identity), input });
        break;
      }
      case ET.EVENT_TYPE_TIMER_STARTED: {
        const a = e.timerStartedEventAttributes!;
        const ms = protoMs(a.startToFireTimeout);
        const entry = add(e, 'timer', a.timerId ?? '?', { plannedAt: iso(eventMs(e) + ms), detail: `${formatDuration(ms)}`, outcome: 'started' });
        open.set(`timer:${a.timerId ?? ''}`, entry);
        break;
      }
      case ET.EVENT_TYPE_TIMER_FIRED:
        close(`timer:${e.timerFiredEventAttributes?.timerId ?? ''}`, e, 'fired');
        break;
      case ET.EVENT_TYPE_TIMER_CANCELED:
        close(`timer:${e.timerCanceledEventAttributes?.timerId ?? ''}`, e, 'canceled');
        break;
      case ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: {
        const a = e.startChildWorkflowExecutionInitiatedEventAttributes!;
        const [input] = await opts.decode(a.input?.payloads);
        const entry = add(e, 'child', a.workflowType?.name ?? 'child workflow', { detail: `workflow id ${a.workflowId ?? '?'}`, input, outcome: 'initiated' });
        open.set(`child:${String(e.eventId)}`, entry);
        break;
      }
      case ET.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED: {
        const a = e.startChildWorkflowExecutionFailedEventAttributes!;
        close(`child:${String(a.initiatedEventId)}`, e, 'start-failed', { failure: enumName(temporal.api.enums.v1.StartChildWorkflowExecutionFailedCause, a.cause) });
        break;
      }
      case ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: {
        const a = e.childWorkflowExecutionStartedEventAttributes!;
        const entry = open.get(`child:${String(a.initiatedEventId)}`);
        if (entry) {
          entry.outcome = 'started';
          entry.detail = `workflow id ${a.workflowExecution?.workflowId ?? '?'}, run ${a.workflowExecution?.runId ?? '?'}`;
        }
        break;
      }
      case ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: {
        const a = e.childWorkflowExecutionCompletedEventAttributes!;
        const [result] = await opts.decode(a.result?.payloads);
        close(`child:${String(a.initiatedEventId)}`, e, 'completed', result === undefined ? {} : { result });
        break;
      }
      case ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
        close(`child:${String(e.childWorkflowExecutionFailedEventAttributes?.initiatedEventId)}`, e, 'failed', { failure: failureText(e.childWorkflowExecutionFailedEventAttributes?.failure) });
        break;
      case ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
        close(`child:${String(e.childWorkflowExecutionCanceledEventAttributes?.initiatedEventId)}`, e, 'canceled');
        break;
      case ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
        close(`child:${String(e.childWorkflowExecutionTimedOutEventAttributes?.initiatedEventId)}`, e, 'timed-out');
        break;
      case ET.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
        close(`child:${String(e.childWorkflowExecutionTerminatedEventAttributes?.initiatedEventId)}`, e, 'terminated');
        break;
      case ET.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: {
        const a = e.signalExternalWorkflowExecutionInitiatedEventAttributes!;
        const [input] = await opts.decode(a.input?.payloads);
        add(e, 'external', `signal ${a.signalName ?? ''} to ${a.workflowExecution?.workflowId ?? '?'}`, { ...messageAnnotations(a.signalName ?? '', input, undefined), input });
        break;
      }
      case ET.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const values = searchAttributes(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
        if (Object.keys(values).length > 0) add(e, 'search-attributes', 'search attributes', { result: values });
        break;
      }
      case ET.EVENT_TYPE_MARKER_RECORDED: {
        const name = e.markerRecordedEventAttributes?.markerName ?? 'marker';
        if (name !== PATCH_MARKER) add(e, 'marker', name);
        break;
      }
      case ET.EVENT_TYPE_WORKFLOW_TASK_FAILED: {
        const a = e.workflowTaskFailedEventAttributes!;
        add(e, 'workflow-task-failed', enumName(temporal.api.enums.v1.WorkflowTaskFailedCause, a.cause), { failure: failureText(a.failure) });
        break;
      }
      case ET.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED: {
        const a = e.workflowExecutionCancelRequestedEventAttributes!;
        add(e, 'cancel-requested', 'cancellation requested', { ...(a.identity ? { identity: a.identity } : {}), ...(a.cause ? { detail: a.cause } : {}) });
        break;
      }
      default: {
        const status = CLOSE_STATUS.get(type);
        if (status) await ended(e, status, timeline, add, opts.decode);
        else add(e, 'event', eventTypeName(type));
      }
    }
  }
  timeline.outcome ??= outcomeFromEntries(entries);
  return scrubTimeline(timeline);
}

async function ended(e: HistoryEvent, status: string, timeline: Timeline, add: (e: HistoryEvent, kind: EntryKind, name: string, rest?: Partial<TimelineEntry>) => TimelineEntry, decode: PayloadDecoder): Promise<void> {
  timeline.status = status;
  timeline.endedAt = iso(eventMs(e));
  const rest: Partial<TimelineEntry> = { outcome: status.toLowerCase().replace(/_/g, '-') };
  switch (e.eventType) {
    case ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: {
      const [result] = await decode(e.workflowExecutionCompletedEventAttributes?.result?.payloads);
      if (result !== undefined) rest.result = result;
      const view = resultView(result);
      if (view.outcome) {
        timeline.outcome = view.outcome;
        rest.outcome = `outcome ${view.outcome}`;
      }
      if (view.plannedEndAt) timeline.plannedEndAt = view.plannedEndAt;
      break;
    }
    case ET.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      rest.failure = failureText(e.workflowExecutionFailedEventAttributes?.failure);
      break;
    case ET.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: {
      const a = e.workflowExecutionTerminatedEventAttributes;
      if (a?.reason) rest.detail = a.reason;
      if (a?.identity) rest.identity = a.identity;
      break;
    }
    case ET.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
      rest.detail = `continued as new run ${e.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? '?'}`;
      break;
    default:
      break;
  }
  add(e, 'ended', status, rest);
}

// ---- field pickers (generic over kinds) -------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The first string under any of `fields`, at the top level or one level down. */
function pick(v: unknown, fields: readonly string[]): string | undefined {
  if (!isObject(v)) return undefined;
  for (const f of fields) {
    const s = str(v[f]);
    if (s) return s;
  }
  return undefined;
}

function nameOf(v: unknown): string | undefined {
  return str(v) ?? (isObject(v) ? str(v['name']) : undefined);
}

/** Who asked, for what, why: the start input of any kind. */
export function requestOf(input: unknown): TimelineRequest {
  if (!isObject(input)) return {};
  const what = nameOf(input['role']) ?? nameOf(input['target']) ?? nameOf(input['drill']) ?? nameOf(input['review']) ?? nameOf(input['runbook']) ?? nameOf(input['name']);
  const requester = pick(input, ['requester', 'requestedBy', 'reviewer', 'by']);
  const why = str(input['reason']);
  const ticket = str(input['ticket']);
  return { ...(requester ? { requester } : {}), ...(what ? { what } : {}), ...(why ? { why } : {}), ...(ticket ? { ticket } : {}) };
}

function messageAnnotations(name: string, input: unknown, identity: string | null | undefined): Partial<TimelineEntry> {
  const label = MESSAGE_LABELS[name];
  const actor = pick(input, ACTOR_FIELDS);
  const via = isObject(input) ? str(input['via']) : undefined;
  const detail = isObject(input) ? ownEntry(MESSAGE_DETAILS, name)?.(input) : undefined;
  return { ...(label ? { label } : {}), ...(actor ? { actor } : {}), ...(via ? { via } : {}), ...(identity ? { identity } : {}), ...(detail ? { detail } : {}) };
}

/** A table's own entry: a name from a history ("constructor", "toString") never reaches Object.prototype. */
function ownEntry<T>(table: Readonly<Record<string, T>>, name: string | undefined): T | undefined {
  return name !== undefined && Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
}

function resourceOf(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (v: unknown, depth: number): void => {
    if (!isObject(v)) return;
    for (const f of RESOURCE_FIELDS) {
      const s = str(v[f]);
      if (s && out[f] === undefined) out[f] = s;
    }
    if (depth > 0) for (const child of Object.values(v)) visit(child, depth - 1);
  };
  visit(input, 1);
  return out;
}

/** A notification's event name, which is all the timeline needs of it. */
function eventOf(input: unknown): string | undefined {
  return isObject(input) ? str(input['event']) : undefined;
}

/** The outcome and planned end a run's result states, whatever its kind (`status.outcome` or `outcome`). */
function resultView(result: unknown): { outcome?: string; plannedEndAt?: string } {
  if (!isObject(result)) return {};
  const status = isObject(result['status']) ? result['status'] : undefined;
  const outcome = str(status?.['outcome']) ?? str(result['outcome']);
  const plannedEndAt = str(status?.['plannedEndAt']) ?? str(result['plannedEndAt']);
  return { ...(outcome ? { outcome } : {}), ...(plannedEndAt ? { plannedEndAt } : {}) };
}

/** Without a result (still running, terminated), the last outcome search attribute the run set. */
function outcomeFromEntries(entries: TimelineEntry[]): string | undefined {
  for (const e of [...entries].reverse()) {
    if (e.kind !== 'search-attributes' || !isObject(e.result)) continue;
    const v = e.result['SafeguardOutcome'];
    const s = Array.isArray(v) ? str(v[0]) : str(v);
    if (s) return s;
  }
  return undefined;
}

/** Search attributes are indexed by the server, so never encoded: the plain converter reads them. */
function searchAttributes(fields: Record<string, temporal.api.common.v1.IPayload>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(fields)) {
    if (k === CHANGE_VERSION_ATTRIBUTE) continue;
    try {
      out[k] = defaultPayloadConverter.fromPayload(p as Payload);
    } catch {
      out[k] = '[undecodable]';
    }
  }
  return out;
}

function failureText(f: Failure | null | undefined): string {
  if (!f) return 'failed';
  const parts: string[] = [];
  for (let cur: Failure | null | undefined = f, depth = 0; cur && depth < 5; cur = cur.cause, depth++) {
    const type = cur.applicationFailureInfo?.type;
    const timeout = cur.timeoutFailureInfo ? enumName(temporal.api.enums.v1.TimeoutType, cur.timeoutFailureInfo.timeoutType) : undefined;
    parts.push(`${type ? `${type}: ` : timeout ? `${timeout}: ` : ''}${cur.message ?? ''}`.trim());
  }
  return parts.filter((p) => p !== '').join(' ← ');
}

function enumName(e: Record<number, string>, v: number | null | undefined): string {
  return v === null || v === undefined ? 'unspecified' : (e[v] ?? String(v));
}

function eventTypeName(type: number): string {
  return enumName(ET as unknown as Record<number, string>, type).replace(/^EVENT_TYPE_/, '').toLowerCase().replace(/_/g, '-');
}

/** Timestamps and durations: `seconds` is a Long from the service, a number or string from JSON. */
function protoMs(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!ts) return 0;
  const seconds = Number(ts.seconds === null || ts.seconds === undefined ? 0 : String(ts.seconds));
  return seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1_000_000);
}

function eventMs(e: HistoryEvent): number {
  return protoMs(e.eventTime);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** 1h02m03.004s, 24m, 900ms. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const sec = Number.isInteger(s) ? `${s}s` : `${s.toFixed(3)}s`;
  return [h > 0 ? `${h}h` : '', m > 0 ? `${m}m` : '', s > 0 ? sec : ''].join('') || '0s';
}
