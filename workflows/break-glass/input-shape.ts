// Shape checks for everything that reaches a break-glass workflow from outside: the start input and
// every Update and Signal argument. The payload codec turns an unencrypted payload (someone with
// network access to Temporal but no codec key) into a refusal marker rather than failing the
// workflow task, so these checks are what turn such a forgery into a clean refusal. Whether the
// values agree with the policy is the worker's job (the checkBreakGlassRequest activity).
import { Refusals, refuse } from '../shared/refusals';
import { PERSON, isMs, isPeople, isRec } from '../shared/shape';
import type { AccessRefusal, BreakGlassInput, CredentialIssue, SessionReport } from './definitions';

const GRANT_ID = /^breakglass-[A-Za-z][A-Za-z0-9_-]{1,63}-[0-9a-f]{6,16}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
const SESSION_ID = /^[\w.@+=,-]{1,128}$/;
const TARGET = /^(i|mi)-[0-9a-f]{8,17}$/;

/** Text, empty allowed (the shared `isStr` of start-input.ts requires at least one character). */
const isStr = (v: unknown, max = 4096): v is string => typeof v === 'string' && v.length <= max;

/** Problems with the start input's shape (empty when well-formed). Never throws. */
export function inputShapeProblems(input: unknown, workflowId: string): string[] {
  if (!isRec(input)) return ['the input is not an object (an unencrypted or malformed payload)'];
  if ('__refused' in input) return [`the input was refused by the payload codec: ${String(input['__refused']).slice(0, 80)}`];
  const p: string[] = [];
  if (!isStr(input['grantId']) || !GRANT_ID.test(input['grantId'])) p.push('grantId is not a break-glass request id');
  else if (input['grantId'] !== workflowId) p.push('grantId is not the workflow id');
  if (!isStr(input['requester']) || !PERSON.test(input['requester'])) p.push('requester is not a person id');
  if (!isMs(input['durationMs'])) p.push('durationMs is not a duration');
  if (!isStr(input['reason'])) p.push('reason is not text');
  if (input['ticket'] !== undefined && !isStr(input['ticket'], 256)) p.push('ticket is not text');
  if (!['cli', 'slack', 'api', 'drill'].includes(input['via'] as string)) p.push('via is not a known channel');
  const role = input['role'];
  if (!isRec(role)) return [...p, 'role is not an object'];
  for (const k of ['name', 'accountId', 'roleArn', 'executionRoleArn', 'externalId']) if (!isStr(role[k], 2048)) p.push(`role.${k} is not text`);
  if (role['mode'] !== 'approval' && role['mode'] !== 'post-hoc') p.push('role.mode is not approval or post-hoc');
  if (!Number.isInteger(role['quorum']) || (role['quorum'] as number) < 1) p.push('role.quorum is not a positive whole number');
  if (!isPeople(role['approvers'])) p.push('role.approvers is not a list of person ids');
  if (!isPeople(role['security'])) p.push('role.security is not a list of person ids');
  for (const k of ['maxDurationMs', 'approvalTimeoutMs', 'reminderIntervalMs', 'maxSessionDurationMs']) if (!isMs(role[k])) p.push(`role.${k} is not a duration`);
  for (const k of ['ratificationDeadlineMs', 'idleLimitMs']) if (role[k] !== undefined && !isMs(role[k])) p.push(`role.${k} is not a duration`);
  if (role['stepUp'] !== undefined && typeof role['stepUp'] !== 'boolean') p.push('role.stepUp is not true or false');
  return p;
}

/** Narrows a start input that `inputShapeProblems` accepted. */
export function isWellFormedInput(input: unknown, workflowId: string): input is BreakGlassInput {
  return inputShapeProblems(input, workflowId).length === 0;
}

function malformed(what: string): never {
  refuse(Refusals.malformed, `malformed ${what}`);
}

/** Update validators call this first (every kind's decisions share it). */
export { assertDecisionShape } from '../shared/approval/decision-shape';

export function assertPersonField(d: unknown, field: string): void {
  if (!isRec(d) || !isStr(d[field], 64) || !PERSON.test(d[field])) malformed(`${field}`);
  if (d['reason'] !== undefined && !isStr(d['reason'], 5000)) malformed('reason');
}

// Signals have no validators: malformed ones are dropped by their handlers.
export function isCredentialIssue(v: unknown): v is CredentialIssue {
  return isRec(v) && isStr(v['accessKeyId'], 128) && ACCESS_KEY_ID.test(v['accessKeyId']) && isStr(v['expiresAt'], 40) && ISO.test(v['expiresAt']) && isStr(v['issuedAt'], 40) && ISO.test(v['issuedAt']) && (v['leaseId'] === undefined || isStr(v['leaseId'], 64)) && (v['delivered'] === undefined || typeof v['delivered'] === 'boolean');
}

export function isSessionReport(v: unknown): v is SessionReport {
  return isRec(v) && isStr(v['sessionId'], 128) && SESSION_ID.test(v['sessionId']) && isStr(v['target'], 32) && TARGET.test(v['target']) && (v['verified'] === undefined || typeof v['verified'] === 'boolean');
}

export function isAccessRefusal(v: unknown): v is AccessRefusal {
  return isRec(v) && isStr(v['by'], 64) && isStr(v['code'], 64) && ['credentials', 'console-link', 'session'].includes(v['what'] as string);
}

export function isLeaseRelease(v: unknown): v is { leaseId: string } {
  return isRec(v) && isStr(v['leaseId'], 64);
}
