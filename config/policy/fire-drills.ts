// The `drills.fire` list: break-glass fire drills. A drill asks a break-glass role's real approvers
// to approve a request for a *drill role* (trusted like a break-glass role, with no permissions),
// then grants, uses and revokes it, and scores each step against these targets. drills.ts composes
// the list into the `drills:` section and calls checkFireDrills.
import { z } from 'zod';
import { formatDuration } from '../duration';
import { duration, patterned, roleArn } from './fields';
import type { Path, PolicyChecks } from './issues';
import { scheduleSchema } from './rotation';
import { accountOfArn, principalKey } from './shared';
import type { FireDrillPolicy, Policy } from './types';

/** drills.ts's DRILL_NAME_PATTERN (restore and fire drill names share one namespace); repeated here
 * because drills.ts imports this module. */
const DRILL_NAME_PATTERN = /^[a-z](?:[a-z0-9]|-(?!-)){1,31}(?<!-)$/;

/** The identity a fire drill requests as: never a person, so no person can be this requester. */
export const FIRE_DRILL_REQUESTER = 'fire-drill';

export const fireDrillSchema = z
  .strictObject({
    name: patterned('drill name', DRILL_NAME_PATTERN, 'a valid drill name (lowercase letters, digits and single hyphens, 2-32, starting with a letter)').describe(
      'Drill name, unique across drills.restore and drills.fire.',
    ),
    rehearses: text('rehearses').describe('Name of a breakGlass role with mode approval: its approvers, quorum and account are rehearsed.'),
    drillRoleArn: roleArn.describe('The drill role granted instead: in the rehearsed role\'s account, trusted like a break-glass role, with no permissions.'),
    approveWithin: duration('approveWithin').describe('Target: request → final approval.'),
    answerWindow: duration('answerWindow').describe('Approvers have this long; after it the drill ends unanswered (a finding, not an outage).'),
    grantWithin: duration('grantWithin').prefault('1m').describe('Target: final approval → first successful use of the drill credentials (default 1m).'),
    revokeWithin: duration('revokeWithin').prefault('1m').describe('Target: revocation requested → revocation verified (default 1m).'),
    schedule: scheduleSchema.optional(),
  })
  .describe('A break-glass fire drill: the real approvers approve a marked DRILL request for a drill role; it is granted, used once and revoked.')
  .transform((d): FireDrillPolicy => {
    const out: FireDrillPolicy = {
      name: d.name,
      rehearses: d.rehearses,
      drillRoleArn: d.drillRoleArn,
      approveWithinMs: d.approveWithin,
      answerWindowMs: d.answerWindow,
      grantWithinMs: d.grantWithin,
      revokeWithinMs: d.revokeWithin,
    };
    if (d.schedule !== undefined) out.schedule = d.schedule;
    return out;
  });

function text(what: string) {
  return z.string({ error: (iss) => (iss.input === undefined ? `${what} is required` : `${what} must be a string`) }).min(1, `${what} must not be empty`);
}

export const checkFireDrills = (policy: Policy, issues: PolicyChecks, claimName: (name: string, path: Path) => void): void => {
  const shown = (path: Path, ms: number) => {
    const w = issues.written(path);
    return typeof w === 'string' ? w.trim() : formatDuration(ms);
  };
  const breakGlassArns = new Map(policy.breakGlass.roles.map((r) => [principalKey(r.roleArn), r.name]));
  const drillArns = new Map<string, number>();

  policy.drills.fire.forEach((d, i) => {
    const path = ['drills', 'fire', i] as const;
    claimName(d.name, path);

    const role = policy.breakGlass.roles.find((r) => r.name === d.rehearses);
    if (!role) {
      const known = policy.breakGlass.roles.map((r) => r.name).join(', ') || 'none';
      issues.error([...path, 'rehearses'], `unknown break-glass role "${d.rehearses}" (roles: ${known})`);
    } else {
      // A post-hoc role grants before anyone approves: there would be nothing to rehearse but the grant.
      if (role.mode !== 'approval') issues.error([...path, 'rehearses'], `${role.name} is a ${role.mode} role; a fire drill rehearses an approval-mode role`);
      if (accountOfArn(d.drillRoleArn) !== role.account) {
        issues.error([...path, 'drillRoleArn'], `drillRoleArn ${d.drillRoleArn} is not in ${role.name}'s account ${role.account}`);
      }
    }

    // The drill role is granted to a non-person and revoked by a deny statement on it: it must never
    // be a role people are granted.
    const same = breakGlassArns.get(principalKey(d.drillRoleArn));
    if (same !== undefined) {
      issues.error([...path, 'drillRoleArn'], `drillRoleArn ${d.drillRoleArn} is the IAM role of break-glass role ${same}; a drill role must be a separate role with no permissions`);
    }
    const first = drillArns.get(principalKey(d.drillRoleArn));
    if (first !== undefined) {
      issues.warn([...path, 'drillRoleArn'], `drills.fire[${i}] uses the same drill role as drills.fire[${first}] (${policy.drills.fire[first]?.name ?? '?'}): drills running at once end together when either is revoked`);
    } else drillArns.set(principalKey(d.drillRoleArn), i);

    if (d.approveWithinMs > d.answerWindowMs) {
      issues.error(
        [...path, 'approveWithin'],
        `approveWithin ${shown([...path, 'approveWithin'], d.approveWithinMs)} is longer than answerWindow ${shown([...path, 'answerWindow'], d.answerWindowMs)}: a drill approved in time would already have ended unanswered`,
      );
    }
    if (role && d.answerWindowMs > role.approvalTimeoutMs) {
      issues.warn(
        [...path, 'answerWindow'],
        `answerWindow ${shown([...path, 'answerWindow'], d.answerWindowMs)} is longer than ${role.name}'s approvalTimeout ${formatDuration(role.approvalTimeoutMs)}; the drill waits only approvalTimeout`,
      );
    }
  });

  if (policy.drills.fire.length > 0) {
    const i = policy.people.findIndex((p) => p.id === FIRE_DRILL_REQUESTER);
    if (i >= 0) issues.error(['people', i, 'id'], `"${FIRE_DRILL_REQUESTER}" is the identity fire drills request as; a person cannot have this id`);
  }
};
