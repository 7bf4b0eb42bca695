// The `runbooks:` section: declarative runbooks (procedures people carry out under dual control, such
// as root-account recovery) as lists of typed steps, and the root-login watcher. A step is one of
// approval, confirm, check, wait or notify, each with a timeout and what happens when it passes.
// Checks come from a fixed catalogue (check-catalogue.ts), never anything arbitrary.
import { z } from 'zod';
import { CHECK_NAMES, CHECKS_WITH_USER } from './check-catalogue';
import { bool, duration, groupList, id, list, patterned, quorum, slackChannel, STEP_ID_PATTERN, text } from './fields';
import type { Path, PolicyChecks } from './issues';
import { scheduleSchema } from './rotation';
import { checkAccountRef, checkGroupRefs, checkQuorum, membersOf, selfRequestShortfall } from './shared';
import type { Policy, RunbookCheckPolicy, RunbookPolicy, RunbookSettings, RunbookStepPolicy } from './types';

/** Runbook names go into workflow ids (`runbook-<name>-<hex>`): single hyphens, 2-40 characters. */
export const RUNBOOK_NAME_PATTERN = /^[a-z](?:[a-z0-9]|-(?!-)){1,39}(?<!-)$/;
export const MAX_RUNBOOK_STEPS = 40;
/** The shortest poll a wait may ask for: every look is an AWS call and history. */
const MIN_WAIT_EVERY_MS = 5_000;
/**
 * Looks per window of an `until` wait (timeout ÷ every). Each look is about a dozen history events;
 * a window (twice, when escalated) must stay far below Temporal's 51,200-event limit.
 */
export const MAX_WAIT_LOOKS = 1000;
/** The longest step: a run's input refuses longer ones (workflows/runbook/input-shape.ts). */
const MAX_STEP = { maxMs: 30 * 24 * 3600_000 };
/** CloudTrail delivers events up to about this late: a watcher's looks must overlap by as much. */
const CLOUDTRAIL_DELAY_MS = 15 * 60_000;

const IAM_USER_NAME = /^[\w+=,.@-]{1,64}$/;

const checkSchema = z
  .strictObject({
    check: z.enum(CHECK_NAMES, { error: (iss) => `${JSON.stringify(iss.input)} is not a check in the catalogue (${CHECK_NAMES.join(', ')})` }),
    user: patterned('user', IAM_USER_NAME, 'an IAM user name').optional().describe('iam-user-password-changed: the IAM user.'),
    since: z.enum(['step', 'run'], { error: 'since must be "step" or "run"' }).default('step').describe('Checks that look back start at the step\'s start (default) or the run\'s.'),
  })
  .describe(`A read-only AWS check from the catalogue: ${CHECK_NAMES.join(', ')}.`)
  .transform((c, ctx): RunbookCheckPolicy => {
    const needsUser = CHECKS_WITH_USER.includes(c.check);
    if (needsUser && c.user === undefined) ctx.issues.push({ code: 'custom', message: `check ${c.check} needs "user" (the IAM user name)`, input: c, path: ['user'] });
    if (!needsUser && c.user !== undefined) ctx.issues.push({ code: 'custom', message: `check ${c.check} takes no "user"`, input: c, path: ['user'] });
    return { name: c.check, since: c.since, ...(c.user !== undefined ? { user: c.user } : {}) };
  });

const onTimeout = z.enum(['fail', 'escalate', 'continue'], { error: 'onTimeout must be fail, escalate or continue' });

const common = {
  id: patterned('step id', STEP_ID_PATTERN, 'a valid step id (lowercase letters, digits and hyphens, up to 40, starting with a letter)'),
  title: text('title').min(1, 'title must not be empty').max(200, 'title must be at most 200 characters'),
  timeout: duration('timeout', MAX_STEP).describe('How long the step may take (at most 30d).'),
  onTimeout: onTimeout.default('fail').describe('fail (default): the run fails; escalate: page escalateTo and allow the timeout once more; continue: go on to the next step.'),
  escalateTo: groupList('escalateTo').optional().describe('Groups paged on an escalation; default security.groups.'),
};

const stepSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('approval'),
      ...common,
      approvers: groupList('approvers').min(1, 'approvers must name at least one group'),
      quorum: quorum('quorum'),
    }),
    z.strictObject({
      type: z.literal('confirm'),
      ...common,
      confirmers: groupList('confirmers').min(1, 'confirmers must name at least one group'),
      count: z.int({ error: 'count must be a whole number' }).min(1, 'count must be at least 1').default(1).describe('Distinct people who must each confirm.'),
      notRequester: bool('notRequester').default(true).describe('The person who started the run may not confirm this step (default true).'),
      noteRequired: bool('noteRequired').default(false),
    }),
    z.strictObject({ type: z.literal('check'), ...common, check: checkSchema }),
    z.strictObject({
      type: z.literal('wait'),
      ...common,
      timeout: duration('timeout', MAX_STEP).optional(),
      for: duration('for', MAX_STEP).optional().describe('Wait this long (at most 30d).'),
      until: checkSchema.optional().describe('Wait until this check passes (at most timeout).'),
      every: duration('every').prefault('30s').describe('How often `until` is looked at (default 30s).'),
    }),
    z.strictObject({
      type: z.literal('notify'),
      ...common,
      timeout: duration('timeout', MAX_STEP).prefault('1m').describe('How long delivery may take (default 1m).'),
      onTimeout: onTimeout.default('continue'),
      message: text('message').min(1, 'message must not be empty').max(2000, 'message must be at most 2000 characters'),
      channel: slackChannel('channel').optional(),
      groups: groupList('groups').default([]).describe('People told directly.'),
    }),
  ],
  { error: (iss) => (iss.input === undefined ? 'step type is required' : 'type must be one of approval, confirm, check, wait, notify') },
);

const runbookSchema = z
  .strictObject({
    name: patterned('runbook name', RUNBOOK_NAME_PATTERN, 'a valid runbook name (lowercase letters, digits and single hyphens, 2-40, starting with a letter)'),
    title: text('title').min(1, 'title must not be empty').max(200, 'title must be at most 200 characters'),
    description: z.string().max(2000, 'description must be at most 2000 characters').optional(),
    account: z.string({ error: 'account must be a quoted 12-digit account id' }).describe('The declared account its checks read.'),
    requesters: groupList('requesters').min(1, 'requesters must name at least one group').describe('Groups whose members may start it.'),
    steps: list('steps', stepSchema).min(1, 'a runbook needs at least one step').max(MAX_RUNBOOK_STEPS, `a runbook has at most ${MAX_RUNBOOK_STEPS} steps`),
  })
  .transform(
    (r): RunbookPolicy => ({
      name: r.name,
      title: r.title,
      ...(r.description !== undefined ? { description: r.description } : {}),
      account: r.account,
      requesters: r.requesters,
      steps: r.steps.map(toStep),
    }),
  );

type WrittenStep = z.output<typeof stepSchema>;

function toStep(s: WrittenStep): RunbookStepPolicy {
  const base = { id: s.id, title: s.title, onTimeout: s.onTimeout, escalateTo: s.escalateTo ?? [] };
  switch (s.type) {
    case 'approval':
      return { ...base, type: 'approval', timeoutMs: s.timeout, approvers: s.approvers, quorum: s.quorum };
    case 'confirm':
      return { ...base, type: 'confirm', timeoutMs: s.timeout, confirmers: s.confirmers, count: s.count, notRequester: s.notRequester, noteRequired: s.noteRequired };
    case 'check':
      return { ...base, type: 'check', timeoutMs: s.timeout, check: s.check };
    case 'wait':
      // A `for` wait ends on its own: its timeout is its length (checked in checkRunbooks).
      return { ...base, type: 'wait', timeoutMs: s.timeout ?? s.for ?? 0, everyMs: s.every, ...(s.for !== undefined ? { forMs: s.for } : {}), ...(s.until !== undefined ? { until: s.until } : {}) };
    case 'notify':
      return { ...base, type: 'notify', timeoutMs: s.timeout, message: s.message, groups: s.groups, ...(s.channel !== undefined ? { channel: s.channel } : {}) };
  }
}

const rootLoginWatchSchema = z
  .strictObject({
    accounts: z.array(z.string({ error: 'accounts must be quoted 12-digit account ids' }), { error: 'accounts must be a list of account ids' }).min(1, 'watch at least one account'),
    expectedDuring: z.array(id('runbook name'), { error: 'expectedDuring must be a list of runbook names' }).default([]).describe('Runbooks during whose runs a root sign-in is expected.'),
    lookback: duration('lookback', { maxMs: 7 * 24 * 3600_000 }).prefault('20m').describe('How far back each look reaches (default 20m: CloudTrail delivers events minutes late; repeats are recognised).'),
    schedule: scheduleSchema.describe('How often to look, e.g. { every: 5m }.'),
  })
  .describe('Pages security when a root console sign-in appears in CloudTrail with no expected runbook open.');

export const runbooksSchema = z
  .strictObject({
    channel: slackChannel('runbooks.channel').optional().describe('Slack channel for runbook cards; default slack.securityChannel.'),
    procedures: list('procedures', runbookSchema).default([]),
    rootLoginWatch: rootLoginWatchSchema.optional(),
  })
  .describe('Declarative runbooks: procedures of typed steps (approval, confirm, check, wait, notify), and the root-login watcher.')
  .transform(
    (r): RunbookSettings => ({
      ...(r.channel !== undefined ? { channel: r.channel } : {}),
      procedures: r.procedures,
      ...(r.rootLoginWatch !== undefined
        ? { rootLoginWatch: { accounts: r.rootLoginWatch.accounts, expectedDuring: r.rootLoginWatch.expectedDuring, lookbackMs: r.rootLoginWatch.lookback, schedule: r.rootLoginWatch.schedule } }
        : {}),
    }),
  );

export const EMPTY_RUNBOOKS: RunbookSettings = { procedures: [] };

export const checkRunbooks = (policy: Policy, issues: PolicyChecks): void => {
  const names = new Map<string, number>();
  policy.runbooks.procedures.forEach((r, i) => {
    const path = ['runbooks', 'procedures', i] as const;
    const first = names.get(r.name);
    if (first !== undefined) issues.error([...path, 'name'], `duplicate runbook name "${r.name}" (also runbooks.procedures[${first}])`);
    else names.set(r.name, i);
    checkAccountRef(policy, r.account, [...path, 'account'], issues);
    checkGroupRefs(policy, r.requesters, [...path, 'requesters'], issues);
    const stepIds = new Map<string, number>();
    r.steps.forEach((s, j) => {
      const sp = [...path, 'steps', j] as const;
      const seen = stepIds.get(s.id);
      if (seen !== undefined) issues.error([...sp, 'id'], `duplicate step id "${s.id}" (also steps[${seen}])`);
      else stepIds.set(s.id, j);
      checkGroupRefs(policy, s.escalateTo, [...sp, 'escalateTo'], issues);
      checkStep(policy, s, r.requesters, sp, issues);
    });
  });

  const w = policy.runbooks.rootLoginWatch;
  if (w) {
    const path = ['runbooks', 'rootLoginWatch'] as const;
    w.accounts.forEach((a, i) => checkAccountRef(policy, a, [...path, 'accounts', i], issues));
    w.expectedDuring.forEach((n, i) => {
      if (!names.has(n)) issues.error([...path, 'expectedDuring', i], `unknown runbook "${n}" (runbooks: ${[...names.keys()].join(', ') || 'none'})`);
    });
    if (!('everyMs' in w.schedule)) {
      issues.warn([...path, 'lookback'], `lookback cannot be compared with a cron schedule: make it longer than the longest gap between two runs plus ${CLOUDTRAIL_DELAY_MS / 60_000}m (CloudTrail's delivery delay)`);
    } else if (w.lookbackMs <= w.schedule.everyMs) {
      issues.error([...path, 'lookback'], 'lookback is not longer than the schedule\'s interval: sign-ins between two looks (or delivered late) would never be seen');
    } else if (w.lookbackMs < w.schedule.everyMs + CLOUDTRAIL_DELAY_MS) {
      issues.warn([...path, 'lookback'], `lookback is less than the interval plus ${CLOUDTRAIL_DELAY_MS / 60_000}m: a sign-in CloudTrail delivers late can fall between two looks`);
    }
    if (w.expectedDuring.length === 0) issues.warn([...path, 'expectedDuring'], 'no runbook is named: every root sign-in pages, even during a recovery');
  }
};

function checkStep(policy: Policy, s: RunbookStepPolicy, requesters: readonly string[], path: Path, issues: PolicyChecks): void {
  switch (s.type) {
    case 'approval': {
      // Skipping an approval would run the rest of the procedure without the people who must agree.
      if (s.onTimeout === 'continue') issues.error([...path, 'onTimeout'], 'an approval cannot be skipped: onTimeout must be fail or escalate');
      checkGroupRefs(policy, s.approvers, [...path, 'approvers'], issues);
      const pool = checkQuorum(policy, s.approvers, s.quorum, [...path, 'quorum'], issues);
      const short = pool && s.quorum <= pool.length ? selfRequestShortfall(policy, pool, requesters, s.quorum) : [];
      if (short.length > 0) issues.warn([...path, 'quorum'], `quorum ${s.quorum} cannot be met when ${short.join(' or ')} starts the run (nobody approves their own run)`);
      return;
    }
    case 'confirm': {
      checkGroupRefs(policy, s.confirmers, [...path, 'confirmers'], issues);
      const declared = new Set(policy.groups.map((g) => g.id));
      if (!s.confirmers.every((g) => declared.has(g))) return;
      const pool = membersOf(policy, s.confirmers);
      // With notRequester, one of the pool may be the person who started the run.
      const reachable = s.notRequester ? pool.length - 1 : pool.length;
      if (!s.notRequester && s.count === 1) issues.warn([...path, 'notRequester'], 'one person completes this step alone, and it may be the one who started the run: no dual control');
      if (s.count > reachable) {
        issues.error(
          [...path, 'count'],
          `count ${s.count} cannot be reached: the confirmers are ${pool.length} ${pool.length === 1 ? 'person' : 'people'} (${pool.join(', ') || 'none'})${s.notRequester ? ', and the one who started the run may not confirm' : ''}`,
        );
      }
      return;
    }
    case 'check':
      return;
    case 'wait': {
      const written = (k: string) => issues.written([...path, k]) !== undefined;
      if (s.forMs === undefined && s.until === undefined) issues.error(path, 'a wait needs "for" (a duration) or "until" (a check)');
      else if (s.forMs !== undefined && s.until !== undefined) issues.error([...path, 'until'], 'a wait has either "for" or "until", not both');
      else if (s.forMs !== undefined) {
        if (written('timeout')) issues.error([...path, 'timeout'], 'a "for" wait ends on its own; timeout applies to "until" waits');
        if (written('onTimeout')) issues.error([...path, 'onTimeout'], 'a "for" wait ends on its own; onTimeout applies to "until" waits');
      } else {
        if (!written('timeout')) issues.error(path, 'an "until" wait needs a timeout (its deadline)');
        if (s.everyMs < MIN_WAIT_EVERY_MS) issues.error([...path, 'every'], 'every must be at least 5s: each look is an AWS call');
        else if (written('timeout') && s.everyMs > s.timeoutMs) issues.error([...path, 'every'], 'every is longer than the timeout: the check would be looked at once at most');
        else if (written('timeout') && s.timeoutMs / s.everyMs > MAX_WAIT_LOOKS) {
          issues.error([...path, 'every'], `every is too short for the timeout: ${Math.ceil(s.timeoutMs / s.everyMs)} looks, at most ${MAX_WAIT_LOOKS} (each look grows the run's history); make every at least ${Math.ceil(s.timeoutMs / MAX_WAIT_LOOKS / 1000)}s`);
        }
      }
      return;
    }
    case 'notify':
      checkGroupRefs(policy, s.groups, [...path, 'groups'], issues);
      if (s.channel === undefined && s.groups.length === 0) issues.error(path, 'a notify step needs a channel or groups to tell');
      return;
  }
}

export type { RunbookSettings };
