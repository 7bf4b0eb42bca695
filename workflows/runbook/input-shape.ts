// Is a declarative runbook's start input well formed? Anyone who can reach Temporal could start the
// workflow with anything (or without the codec key, which arrives as a refusal marker); the run is
// interpreted step by step, so every step must be one the interpreter knows, with sane numbers.
// Whether a well-formed input is the policy's runbook is the worker's check (activities/policy/runbook-check.ts).
import { CHECK_NAMES } from '../../config/policy/check-catalogue';
import { PERSON, isMs, isPeople, isRec, isStr } from '../shared/shape';
import type { Rec } from '../shared/shape';
import { ON_TIMEOUT } from './steps';

const STEP_TYPES = ['approval', 'confirm', 'check', 'wait', 'notify'];
const MAX_STEPS = 40;
const MAX_TIMEOUT_MS = 30 * 24 * 3600_000;

function checkProblems(c: unknown, where: string): string[] {
  if (!isRec(c)) return [`${where} is not a check`];
  const p: string[] = [];
  if (!(CHECK_NAMES as readonly unknown[]).includes(c['name'])) p.push(`${where}.name is not a check in the catalogue`);
  if (c['since'] !== 'step' && c['since'] !== 'run') p.push(`${where}.since is not step or run`);
  if (c['user'] !== undefined && !isStr(c['user'], 64)) p.push(`${where}.user is not an IAM user name`);
  return p;
}

function stepProblems(s: unknown, i: number): string[] {
  const at = `steps[${i}]`;
  if (!isRec(s)) return [`${at} is not an object`];
  const p: string[] = [];
  if (!isStr(s['id'], 40)) p.push(`${at}.id is not a step id`);
  if (!isStr(s['title'], 200)) p.push(`${at}.title is not a title`);
  if (!STEP_TYPES.includes(s['type'] as string)) p.push(`${at}.type is not a step type`);
  if (!isMs(s['timeoutMs']) || (s['timeoutMs'] as number) > MAX_TIMEOUT_MS) p.push(`${at}.timeoutMs is not a duration`);
  if (!ON_TIMEOUT.includes(s['onTimeout'] as never)) p.push(`${at}.onTimeout is not fail, escalate or continue`);
  if (!isPeople(s['escalateTo'])) p.push(`${at}.escalateTo is not a list of person ids`);
  switch (s['type']) {
    case 'approval':
      if (!isPeople(s['approvers'])) p.push(`${at}.approvers is not a list of person ids`);
      if (!Number.isInteger(s['quorum']) || (s['quorum'] as number) < 1) p.push(`${at}.quorum is not a positive whole number`);
      break;
    case 'confirm':
      if (!isPeople(s['confirmers'])) p.push(`${at}.confirmers is not a list of person ids`);
      if (!Number.isInteger(s['count']) || (s['count'] as number) < 1) p.push(`${at}.count is not a positive whole number`);
      if (typeof s['notRequester'] !== 'boolean' || typeof s['noteRequired'] !== 'boolean') p.push(`${at}.notRequester/noteRequired are not true or false`);
      break;
    case 'check':
      p.push(...checkProblems(s['check'], `${at}.check`));
      break;
    case 'wait':
      if (!isMs(s['everyMs']) || (s['everyMs'] as number) < 1000) p.push(`${at}.everyMs is not a duration of at least 1s`);
      if ((s['forMs'] === undefined) === (s['until'] === undefined)) p.push(`${at} needs exactly one of forMs and until`);
      if (s['forMs'] !== undefined && (!isMs(s['forMs']) || (s['forMs'] as number) > MAX_TIMEOUT_MS)) p.push(`${at}.forMs is not a duration`);
      if (s['until'] !== undefined) p.push(...checkProblems(s['until'], `${at}.until`));
      break;
    case 'notify':
      if (!isStr(s['message'], 2000)) p.push(`${at}.message is not a message`);
      if (!isPeople(s['people'])) p.push(`${at}.people is not a list of person ids`);
      if (s['channel'] !== undefined && !isStr(s['channel'], 64)) p.push(`${at}.channel is not a channel id`);
      break;
  }
  return p;
}

/** Every problem with the input's shape; empty when the interpreter can run it. */
export function runbookInputProblems(input: unknown): string[] {
  if (!isRec(input)) return ['the input is not an object (an unencrypted or malformed payload)'];
  if ('__refused' in input) return [`the input was refused by the payload codec: ${String(input['__refused']).slice(0, 80)}`];
  const p: string[] = [];
  if (!isStr(input['requestedBy'], 64) || !PERSON.test(input['requestedBy'])) p.push('requestedBy is not a person id');
  if (!isStr(input['reason'], 1000)) p.push('reason is not text');
  if (!isPeople(input['security'])) p.push('security is not a list of person ids');
  const r = input['runbook'];
  if (!isRec(r)) return [...p, 'runbook is not an object'];
  if (!isStr(r['name'], 40)) p.push('runbook.name is not a runbook name');
  if (!isStr(r['title'], 200)) p.push('runbook.title is not a title');
  const account = r['account'] as Rec | undefined;
  if (!isRec(account) || !/^\d{12}$/.test(String(account['accountId'])) || !isStr(account['executionRoleArn'], 2048) || !isStr(account['externalId'], 1224)) p.push('runbook.account is not an account reference');
  if (!isPeople(r['requesters'])) p.push('runbook.requesters is not a list of person ids');
  if (r['channel'] !== undefined && !isStr(r['channel'], 64)) p.push('runbook.channel is not a channel id');
  const steps = r['steps'];
  if (!Array.isArray(steps) || steps.length === 0 || steps.length > MAX_STEPS) return [...p, `runbook.steps is not a list of 1-${MAX_STEPS} steps`];
  steps.forEach((s, i) => p.push(...stepProblems(s, i)));
  const ids = steps.map((s) => (isRec(s) ? s['id'] : undefined));
  if (new Set(ids).size !== ids.length) p.push('runbook.steps has duplicate step ids');
  return p.slice(0, 20);
}
