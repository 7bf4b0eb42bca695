// Resolves an access review in the policy into the accessReview workflow's input target: each
// account's execution role and the escalation group's members are frozen in when a review starts, so
// a policy edit never changes a review in flight. Pure: the client builds inputs with it, the worker
// checks them.
import { getAccount, peopleInGroups } from '../config/policy/lookup';
import type { Policy } from '../config/policy/types';
import type { AccessReviewTarget } from '../workflows/access-review/definitions';
import { SafeguardError } from './errors';

/** The workflow input for `reviews.access[name]`; throws UNKNOWN_TARGET when absent. */
export function accessReviewTargetFor(policy: Policy, name: string): AccessReviewTarget {
  const r = policy.reviews.access.find((x) => x.name === name);
  if (!r) {
    const known = policy.reviews.access.map((x) => x.name);
    throw new SafeguardError('UNKNOWN_TARGET', `"${name.slice(0, 64)}" is not an access review in the policy (reviews: ${known.join(', ') || 'none'})`);
  }
  const refOf = (id: string) => {
    const a = getAccount(policy, id);
    if (!a) throw new SafeguardError('UNKNOWN_TARGET', `access review "${r.name}" names unknown account ${id}`);
    return { accountId: a.id, executionRoleArn: a.executionRoleArn, externalId: a.externalId };
  };
  const accountRefs = r.accounts.map(refOf);
  const { schedule: _schedule, identityCenterAccount, ...review } = r;
  return {
    ...review,
    accountRefs,
    escalationMembers: peopleInGroups(policy, [r.escalation]).map((p) => p.id),
    ...(identityCenterAccount !== undefined ? { identityCenterRef: refOf(identityCenterAccount) } : {}),
  };
}
