// Freezes a declarative runbook from the policy into the workflow's input: groups resolved to person
// ids, durations in milliseconds, the account's execution role filled in. A policy edit never changes a
// run in flight; the worker compares a run's input with its own policy once, when the run starts
// (activities/policy/runbook-check.ts). Pure: the client, Schedules and the worker all use it.
import { getAccount, peopleInGroups, securityPeople } from '../config/policy/lookup';
import type { Policy, RunbookCheckPolicy, RunbookStepPolicy } from '../config/policy/types';
import type { CheckSpec, RunbookDefinition, RunbookStep } from '../workflows/runbook/steps';
import type { RootLoginWatchInput } from '../workflows/runbook/definitions';
import { SafeguardError } from './errors';

const ids = (policy: Policy, groups: readonly string[]): string[] => peopleInGroups(policy, groups).map((p) => p.id);

function checkSpec(c: RunbookCheckPolicy): CheckSpec {
  return { name: c.name, since: c.since, ...(c.user !== undefined ? { user: c.user } : {}) };
}

function step(policy: Policy, s: RunbookStepPolicy): RunbookStep {
  const base = { id: s.id, title: s.title, timeoutMs: s.timeoutMs, onTimeout: s.onTimeout, escalateTo: ids(policy, s.escalateTo.length > 0 ? s.escalateTo : policy.security.groups) };
  switch (s.type) {
    case 'approval':
      return { ...base, type: 'approval', approvers: ids(policy, s.approvers), quorum: s.quorum };
    case 'confirm':
      return { ...base, type: 'confirm', confirmers: ids(policy, s.confirmers), count: s.count, notRequester: s.notRequester, noteRequired: s.noteRequired };
    case 'check':
      return { ...base, type: 'check', check: checkSpec(s.check) };
    case 'wait':
      return { ...base, type: 'wait', everyMs: s.everyMs, ...(s.forMs !== undefined ? { forMs: s.forMs } : {}), ...(s.until ? { until: checkSpec(s.until) } : {}) };
    case 'notify':
      return { ...base, type: 'notify', message: s.message, people: ids(policy, s.groups), ...(s.channel !== undefined ? { channel: s.channel } : {}) };
  }
}

/** The channel runbook cards go to: runbooks.channel, else slack.securityChannel. */
export function runbookChannel(policy: Policy): string | undefined {
  return policy.runbooks.channel ?? policy.slack?.securityChannel;
}

/** `runbooks.procedures[name]` frozen; throws SafeguardError UNKNOWN_TARGET naming the runbooks there are. */
export function runbookDefinitionFor(policy: Policy, name: string): RunbookDefinition {
  const r = policy.runbooks.procedures.find((p) => p.name === name);
  if (!r) {
    const known = policy.runbooks.procedures.map((p) => p.name).join(', ') || 'none';
    throw new SafeguardError('UNKNOWN_TARGET', `"${name.slice(0, 64)}" is not a runbook in the policy (runbooks: ${known})`);
  }
  const account = getAccount(policy, r.account);
  if (!account) throw new SafeguardError('UNKNOWN_TARGET', `runbook "${r.name}" names unknown account ${r.account}`);
  const channel = runbookChannel(policy);
  return {
    name: r.name,
    title: r.title,
    ...(r.description !== undefined ? { description: r.description } : {}),
    account: { accountId: account.id, executionRoleArn: account.executionRoleArn, externalId: account.externalId },
    requesters: ids(policy, r.requesters),
    ...(channel !== undefined ? { channel } : {}),
    steps: r.steps.map((s) => step(policy, s)),
  };
}

/** The watcher's input from `runbooks.rootLoginWatch`; undefined when the policy has none. */
export function rootLoginWatchInput(policy: Policy): RootLoginWatchInput | undefined {
  const w = policy.runbooks.rootLoginWatch;
  if (!w) return undefined;
  const channel = policy.slack?.securityChannel ?? runbookChannel(policy);
  return {
    accounts: w.accounts.map((id) => {
      const a = getAccount(policy, id)!;
      return { accountId: a.id, executionRoleArn: a.executionRoleArn, externalId: a.externalId };
    }),
    expectedDuring: [...w.expectedDuring],
    lookbackMs: w.lookbackMs,
    security: securityPeople(policy),
    ...(channel !== undefined ? { channel } : {}),
  };
}
