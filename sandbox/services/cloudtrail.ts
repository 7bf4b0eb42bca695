// CloudTrail: LookupEvents (the account's event history) answered from the calls the gateway saw
// (call-trail.ts), refused ones included, so "is anyone still signing with this deactivated key?"
// has an answer: such a call appears here, with errorCode InvalidClientTokenId (or
// UnrecognizedClientException from JSON-protocol services), and nowhere in IAM.
//
// moto 5.2.5 has no LookupEvents at all: its CloudTrailResponse implements trails, event selectors,
// insight selectors and tags only, so the call ends in `NotImplementedError: The lookup_events
// action has not been implemented` and an HTML 500 page. Every other CloudTrail call still goes to
// moto unchanged. When moto authenticates requests it judges the caller's IAM policy before it
// looks for the action, so the gateway asks moto first and passes on its refusal (AccessDenied);
// only a call moto would have let through is answered here. (Without authentication anyone may.)
//
// As AWS: newest first; at most one lookup attribute (AccessKeyId, Username, EventName,
// EventSource, EventId, ReadOnly, ResourceName, ResourceType; the last two match nothing: the
// sandbox records no resources); StartTime/EndTime inclusive, on eventTime in whole seconds;
// MaxResults 1-50 (default 50); NextToken bound to the query it came from; EventCategory
// "insight" has no events; the history is the caller's account's (an event whose principal is
// known to be in another account is not returned; one whose principal is unknown, such as a call
// with a key nobody owns, is). Unlike AWS: events show at once (AWS takes minutes to deliver them),
// the history is the last MAX_TRAIL_ENTRIES calls rather than 90 days, and it is not per region.
//
// Console sign-ins never pass the gateway: a test records one with
// POST /_sandbox/cloudtrail/console-logins (console-logins.ts) and LookupEvents returns it as AWS
// does, an AwsConsoleSignIn event from signin.amazonaws.com named ConsoleLogin, with
// responseElements.ConsoleLogin Success or Failure, additionalEventData.MFAUsed, and no access key.

import { createHash } from 'node:crypto';
import { awsErrorReply, requestId } from '../faults';
import type { CallTrail, TrailCursor, TrailEntry } from '../call-trail';
import { errorToReply, jsonReply } from './types';
import type { Handled, ServiceHandler } from './types';

export const LOOKUP_ATTRIBUTE_KEYS = ['AccessKeyId', 'EventId', 'EventName', 'EventSource', 'ReadOnly', 'ResourceName', 'ResourceType', 'Username'] as const;
export type LookupAttributeKey = (typeof LOOKUP_ATTRIBUTE_KEYS)[number];

export const MAX_LOOKUP_RESULTS = 50;
const MAX_ATTRIBUTE_VALUE = 2000;

export class CloudTrailApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CloudTrailApiError';
  }
}

export interface LookupQuery {
  attribute?: { key: LookupAttributeKey; value: string };
  startMs?: number;
  endMs?: number;
  limit: number;
  after?: TrailCursor;
  /** EventCategory "insight": the sandbox has no Insights events. */
  insights: boolean;
}

/** Validates LookupEvents parameters as CloudTrail does; throws CloudTrailApiError. Pure. */
export function parseLookupEvents(params: Record<string, unknown>): LookupQuery {
  const attribute = lookupAttribute(params['LookupAttributes']);
  const startMs = timeParam(params, 'StartTime');
  const endMs = timeParam(params, 'EndTime');
  if (startMs !== undefined && endMs !== undefined && startMs > endMs) {
    throw new CloudTrailApiError('InvalidTimeRangeException', 'Start time must be before or equal to the end time.');
  }
  const category = params['EventCategory'];
  if (category !== undefined && category !== 'insight') {
    throw new CloudTrailApiError('InvalidEventCategoryException', `Event category ${String(category)} is not valid. The only valid event category is insight.`);
  }
  const max = params['MaxResults'];
  let limit = MAX_LOOKUP_RESULTS;
  if (max !== undefined && max !== null) {
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_LOOKUP_RESULTS) {
      throw new CloudTrailApiError('InvalidMaxResultsException', `MaxResults must be an integer from 1 to ${MAX_LOOKUP_RESULTS}.`);
    }
    limit = max;
  }
  const query: LookupQuery = {
    ...(attribute ? { attribute } : {}),
    ...(startMs !== undefined ? { startMs } : {}),
    ...(endMs !== undefined ? { endMs } : {}),
    limit,
    insights: category === 'insight',
  };
  const token = params['NextToken'];
  if (token !== undefined && token !== null && token !== '') {
    if (typeof token !== 'string') throw new CloudTrailApiError('InvalidNextTokenException', 'Invalid NextToken.');
    query.after = decodeNextToken(token, query);
  }
  return query;
}

function lookupAttribute(raw: unknown): LookupQuery['attribute'] {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw new CloudTrailApiError('InvalidLookupAttributesException', 'LookupAttributes must be a list.');
  if (raw.length === 0) return undefined;
  if (raw.length > 1) throw new CloudTrailApiError('InvalidLookupAttributesException', 'You can specify only one lookup attribute.');
  const a = raw[0] as { AttributeKey?: unknown; AttributeValue?: unknown } | null;
  const key = a?.AttributeKey;
  if (typeof key !== 'string' || !(LOOKUP_ATTRIBUTE_KEYS as readonly string[]).includes(key)) {
    throw new CloudTrailApiError(
      'InvalidLookupAttributesException',
      `Invalid attribute key: ${typeof key === 'string' ? key : 'none'}. Valid keys are ${LOOKUP_ATTRIBUTE_KEYS.join(', ')}.`,
    );
  }
  const value = a?.AttributeValue;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ATTRIBUTE_VALUE) {
    throw new CloudTrailApiError('InvalidLookupAttributesException', `The value of lookup attribute ${key} must be 1 to ${MAX_ATTRIBUTE_VALUE} characters.`);
  }
  return { key: key as LookupAttributeKey, value };
}

/** A timestamp parameter in ms: JSON 1.1 sends epoch seconds (fractions allowed). */
function timeParam(params: Record<string, unknown>, name: string): number | undefined {
  const v = params[name];
  if (v === undefined || v === null) return undefined;
  const ms = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v)) : NaN;
  if (!Number.isFinite(ms)) throw new CloudTrailApiError('InvalidTimeRangeException', `${name} is not a valid timestamp.`);
  return ms;
}

/** What a NextToken is bound to: the same query, whatever page. */
function fingerprint(q: LookupQuery): string {
  const basis = JSON.stringify([q.attribute?.key ?? null, q.attribute?.value ?? null, q.startMs ?? null, q.endMs ?? null, q.insights]);
  return createHash('sha256').update(basis).digest('base64url').slice(0, 16);
}

export function encodeNextToken(cursor: TrailCursor, q: LookupQuery): string {
  return Buffer.from(JSON.stringify({ t: cursor.time, s: cursor.order, q: fingerprint(q) })).toString('base64url');
}

function decodeNextToken(token: string, q: LookupQuery): TrailCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const p = parsed as { t?: unknown; s?: unknown; q?: unknown } | undefined;
  if (!p || typeof p !== 'object' || typeof p.t !== 'number' || typeof p.s !== 'number' || typeof p.q !== 'string') {
    throw new CloudTrailApiError('InvalidNextTokenException', 'Invalid NextToken.');
  }
  if (p.q !== fingerprint(q)) {
    throw new CloudTrailApiError('InvalidNextTokenException', 'The NextToken was issued for a request with different parameters.');
  }
  return { time: p.t, order: p.s };
}

/** What the event says about who signed it. */
interface Identity {
  type: 'IAMUser' | 'AssumedRole' | 'Root' | 'Unknown';
  arn?: string;
  accountId?: string;
  /** The event's Username: the IAM user's name, or an assumed role's session name. */
  username?: string;
  /** Assumed roles: the role. */
  issuer?: { arn: string; roleName: string };
}

export function identityOf(principalArn: string | undefined): Identity {
  if (principalArn === undefined) return { type: 'Unknown' };
  const m = /^arn:(aws[\w-]*):(iam|sts)::(\d{12}):(.+)$/.exec(principalArn);
  if (!m) return { type: 'Unknown', arn: principalArn };
  const [, partition, service, accountId, rest] = m as unknown as [string, string, string, string, string];
  if (service === 'iam' && rest === 'root') return { type: 'Root', arn: principalArn, accountId, username: 'root' };
  if (service === 'iam' && rest.startsWith('user/')) return { type: 'IAMUser', arn: principalArn, accountId, username: rest.slice(rest.lastIndexOf('/') + 1) };
  const role = /^assumed-role\/([^/]+)\/(.+)$/.exec(rest);
  if (service === 'sts' && role) {
    const roleName = role[1] as string;
    return { type: 'AssumedRole', arn: principalArn, accountId, username: role[2] as string, issuer: { arn: `arn:${partition}:iam::${accountId}:role/${roleName}`, roleName } };
  }
  return { type: 'Unknown', arn: principalArn, accountId };
}

const READ_ONLY_ACTION = /^(Get|List|Describe|Lookup|Head|BatchGet|Search|Select|Scan|Query|Decrypt|Encrypt|GenerateDataKey|GenerateRandom|Verify)/;

export function isReadOnlyAction(action: string): boolean {
  return READ_ONLY_ACTION.test(action);
}

export function eventSourceOf(service: string): string {
  return `${service}.amazonaws.com`;
}

function matches(attribute: NonNullable<LookupQuery['attribute']>): (e: TrailEntry) => boolean {
  const { key, value } = attribute;
  switch (key) {
    case 'AccessKeyId':
      return (e) => e.accessKeyId === value;
    case 'Username':
      return (e) => identityOf(e.principalArn).username === value;
    case 'EventName':
      return (e) => e.action === value;
    case 'EventSource':
      return (e) => eventSourceOf(e.service) === value;
    case 'EventId':
      return (e) => e.eventId === value;
    case 'ReadOnly':
      return (e) => String(isReadOnlyAction(e.action)) === value;
    case 'ResourceName':
    case 'ResourceType':
      return () => false;
  }
}

/** The LookupEvents wire form of a recorded call or sign-in (EventTime in epoch seconds, as JSON 1.1 sends timestamps). */
export function eventOf(e: TrailEntry): Record<string, unknown> {
  if (e.consoleSignIn) return signInEventOf(e, e.consoleSignIn);
  const id = identityOf(e.principalArn);
  const readOnly = isReadOnlyAction(e.action);
  const eventSource = eventSourceOf(e.service);
  const userIdentity: Record<string, unknown> = {
    type: id.type,
    ...(id.arn !== undefined ? { arn: id.arn } : {}),
    ...(id.accountId !== undefined ? { accountId: id.accountId } : {}),
    ...(e.accessKeyId !== undefined ? { accessKeyId: e.accessKeyId } : {}),
    ...(id.type === 'IAMUser' && id.username !== undefined ? { userName: id.username } : {}),
    ...(id.issuer
      ? { sessionContext: { sessionIssuer: { type: 'Role', arn: id.issuer.arn, accountId: id.accountId, userName: id.issuer.roleName } } }
      : {}),
  };
  const record = {
    eventVersion: '1.08',
    userIdentity,
    eventTime: new Date(e.time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource,
    eventName: e.action,
    awsRegion: e.region,
    ...(e.sourceIp !== undefined ? { sourceIPAddress: e.sourceIp } : {}),
    ...(e.userAgent !== undefined ? { userAgent: e.userAgent } : {}),
    ...(e.errorCode !== undefined ? { errorCode: e.errorCode } : {}),
    ...(e.errorCode !== undefined && e.errorMessage !== undefined ? { errorMessage: e.errorMessage } : {}),
    requestParameters: Object.keys(e.requestParameters).length > 0 ? e.requestParameters : null,
    responseElements: null,
    ...(e.requestId !== undefined ? { requestID: e.requestId } : {}),
    eventID: e.eventId,
    readOnly,
    eventType: 'AwsApiCall',
    managementEvent: true,
    ...(id.accountId !== undefined ? { recipientAccountId: id.accountId } : {}),
    eventCategory: 'Management',
  };
  return lookupEvent(e, id, readOnly, record);
}

/** LookupEvents' envelope around an event's CloudTrail record (EventTime in epoch seconds, as JSON 1.1 sends timestamps). */
function lookupEvent(e: TrailEntry, id: Identity, readOnly: boolean, record: Record<string, unknown>): Record<string, unknown> {
  return {
    EventId: e.eventId,
    EventName: e.action,
    ReadOnly: String(readOnly),
    ...(e.accessKeyId !== undefined ? { AccessKeyId: e.accessKeyId } : {}),
    EventTime: e.time / 1000,
    EventSource: eventSourceOf(e.service),
    ...(id.username !== undefined ? { Username: id.username } : {}),
    Resources: [],
    CloudTrailEvent: JSON.stringify(record),
  };
}

/**
 * A console sign-in as AWS records it (CloudTrail docs, "AWS console sign-in events"): no key, no
 * request parameters, the outcome in responseElements, MFA in additionalEventData, and for a failure
 * the errorMessage AWS writes (no errorCode).
 */
function signInEventOf(e: TrailEntry, signIn: NonNullable<TrailEntry['consoleSignIn']>): Record<string, unknown> {
  const id = identityOf(e.principalArn);
  const eventSource = eventSourceOf(e.service);
  const record = {
    eventVersion: '1.08',
    userIdentity: {
      type: id.type,
      ...(id.arn !== undefined ? { arn: id.arn } : {}),
      ...(id.accountId !== undefined ? { accountId: id.accountId } : {}),
      ...(id.type === 'IAMUser' && id.username !== undefined ? { userName: id.username } : {}),
    },
    eventTime: new Date(e.time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource,
    eventName: e.action,
    awsRegion: e.region,
    ...(e.sourceIp !== undefined ? { sourceIPAddress: e.sourceIp } : {}),
    ...(e.userAgent !== undefined ? { userAgent: e.userAgent } : {}),
    ...(signIn.success ? {} : { errorMessage: 'Failed authentication' }),
    requestParameters: null,
    responseElements: { ConsoleLogin: signIn.success ? 'Success' : 'Failure' },
    additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: signIn.mfaUsed ? 'Yes' : 'No' },
    eventID: e.eventId,
    readOnly: false,
    eventType: 'AwsConsoleSignIn',
    managementEvent: true,
    ...(id.accountId !== undefined ? { recipientAccountId: id.accountId } : {}),
    eventCategory: 'Management',
  };
  return lookupEvent(e, id, false, record);
}

/**
 * The LookupEvents answer body for `params` over `trail`; throws CloudTrailApiError. With
 * `callerAccountId`, only that account's event history (and events of unknown principals).
 */
export function lookupEvents(trail: CallTrail, params: Record<string, unknown>, opts: { callerAccountId?: string } = {}): { Events: Record<string, unknown>[]; NextToken?: string } {
  const q = parseLookupEvents(params);
  if (q.insights) return { Events: [] };
  const attribute = q.attribute ? matches(q.attribute) : undefined;
  const caller = opts.callerAccountId;
  const inHistory =
    caller === undefined
      ? attribute
      : (e: TrailEntry) => {
          const account = identityOf(e.principalArn).accountId;
          return (account === undefined || account === caller) && (attribute === undefined || attribute(e));
        };
  const page = trail.query({
    ...(inHistory ? { match: inHistory } : {}),
    ...(q.startMs !== undefined ? { startMs: q.startMs } : {}),
    ...(q.endMs !== undefined ? { endMs: q.endMs } : {}),
    ...(q.after ? { after: q.after } : {}),
    limit: q.limit,
  });
  return { Events: page.entries.map(eventOf), ...(page.next ? { NextToken: encodeNextToken(page.next, q) } : {}) };
}

export function cloudTrailService(trail: CallTrail): ServiceHandler {
  return {
    service: 'cloudtrail',
    async handle(ctx, call): Promise<Handled | undefined> {
      if (call.info.action !== 'LookupEvents' || call.info.protocol !== 'json') return undefined;
      if (ctx.authenticate) {
        // moto authorizes before it finds it has no LookupEvents: its refusal stands.
        const judged = await ctx.forward(call);
        if (judged.status >= 400 && judged.status < 500) return { reply: judged, servedBy: 'moto' };
      }
      try {
        const callerAccountId = identityOf(call.caller.arn).accountId;
        return { reply: jsonReply(lookupEvents(trail, call.info.params, callerAccountId !== undefined ? { callerAccountId } : {}), requestId()), servedBy: 'gateway' };
      } catch (err) {
        if (err instanceof CloudTrailApiError) return { reply: errorToReply(awsErrorReply('json', 400, err.code, err.message)), servedBy: 'gateway' };
        throw err;
      }
    },
  };
}
