// The shape of an approve/deny argument, checked first by every kind's Update validators: a forged or
// garbled argument (an Update sent without the codec key arrives as the codec's refusal marker) is
// refused as malformed, before any rule runs and before anything is written to history.
import { Refusals, refuse } from '../refusals';
import { PERSON, isRec } from '../shape';

const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

function malformed(what: string): never {
  refuse(Refusals.malformed, `malformed ${what}`);
}

export function assertDecisionShape(d: unknown, reasonField: 'comment' | 'reason'): void {
  if (!isRec(d) || !isText(d['approver'], 64) || !PERSON.test(d['approver'])) malformed('decision');
  if (d['round'] !== undefined && !isText(d['round'], 64)) malformed('decision round');
  if (d[reasonField] !== undefined && !isText(d[reasonField], 5000)) malformed(`decision ${reasonField}`);
  if (d['via'] !== undefined && !['slack', 'api', 'cli'].includes(d['via'] as string)) malformed('decision channel');
}
