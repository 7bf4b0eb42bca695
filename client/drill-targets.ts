// Resolves a restore drill in the policy into the restoreDrill workflow's input target: the
// account's execution role and the sign-off people are frozen in when a drill starts, so a policy
// edit never changes a drill in flight. Pure: the client builds inputs with it, the worker checks them.
import { getAccount, peopleInGroups } from '../config/policy/lookup';
import type { Policy } from '../config/policy/types';
import type { RestoreDrillTarget } from '../workflows/restore-drill/targets';
import { SafeguardError } from './errors';

/** The workflow input for `drills.restore[name]`; throws UNKNOWN_TARGET when absent. */
export function restoreDrillTargetFor(policy: Policy, name: string): RestoreDrillTarget {
  const d = policy.drills.restore.find((x) => x.name === name);
  if (!d) {
    const known = policy.drills.restore.map((x) => x.name);
    throw new SafeguardError('UNKNOWN_TARGET', `"${name.slice(0, 64)}" is not a restore drill in the policy (restore drills: ${known.join(', ') || 'none'})`);
  }
  const account = getAccount(policy, d.account);
  if (!account) throw new SafeguardError('UNKNOWN_TARGET', `restore drill "${d.name}" names unknown account ${d.account}`);
  const target: RestoreDrillTarget = {
    accountId: account.id,
    executionRoleArn: account.executionRoleArn,
    externalId: account.externalId,
    name: d.name,
    source: d.source,
    scratch: d.scratch,
    validation: d.validation,
    rtoMs: d.rtoMs,
    rpoMs: d.rpoMs,
    maxDurationMs: d.maxDurationMs,
  };
  if (d.signOff) target.signOff = { eligible: peopleInGroups(policy, d.signOff.approvers).map((p) => p.id), quorum: d.signOff.quorum, timeoutMs: d.signOff.timeoutMs };
  return target;
}
