// Shape checks every runbook makes of what reaches it from outside (start inputs, Update arguments)
// before anything else. The payload codec turns an unencrypted payload (someone with network access
// to Temporal but no codec key) into a refusal marker; these checks turn it into a clean refusal.
// Pure: no Temporal imports, so unit tests and every kind's checks can share it.
export type Rec = Record<string, unknown>;
export const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isStr = (v: unknown, max = 2048): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
export const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
export const PERSON = /^[a-z][a-z0-9_-]{1,31}$/;
export const isPeople = (v: unknown): boolean => Array.isArray(v) && v.length <= 500 && v.every((p) => isStr(p) && PERSON.test(p));

/**
 * The input as an object and the problems with the fields every runbook input has (requestedBy,
 * security, channel); `input` is undefined when it is not an object at all.
 */
export function commonInputProblems(input: unknown): { input?: Rec; problems: string[] } {
  if (!isRec(input)) return { problems: ['the input is not an object (an unencrypted or malformed payload)'] };
  if ('__refused' in input) return { problems: [`the input was refused by the payload codec: ${String(input['__refused']).slice(0, 80)}`] };
  const p: string[] = [];
  if (!isStr(input['requestedBy'], 64) || (input['requestedBy'] !== 'schedule' && !PERSON.test(input['requestedBy']))) p.push('requestedBy is not a person id or "schedule"');
  if (!isPeople(input['security'])) p.push('security is not a list of person ids');
  if (input['channel'] !== undefined && !isStr(input['channel'], 64)) p.push('channel is not a channel id');
  return { input, problems: p };
}
