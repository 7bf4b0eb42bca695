// The `reviews:` section: periodic access reviews of an account's IAM users, roles and Identity
// Center assignments. Each review names its accounts, how principals find their reviewer (an owner
// tag, else a group per account), the reviewers' deadline, reminders and escalation, the default
// action applied to what nobody decided, and exemptions.
import { z } from 'zod';
import { formatDuration } from '../duration';
import { accountId, bool, duration, id, list, patterned, slackChannel, text } from './fields';
import { formatPath } from './issues';
import type { Path, PolicyChecks } from './issues';
import { scheduleSchema } from './rotation';
import { checkAccountRef, membersOf } from './shared';
import type { AccessReviewPolicy, Policy, ReviewSettings } from './types';

/** Review names appear in workflow ids (`review-<name>-<id>`) and Schedule ids. */
export const REVIEW_NAME_PATTERN = /^[a-z](?:[a-z0-9]|-(?!-)){1,31}(?<!-)$/;
const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
/** An IAM ARN (globs allowed) or an Identity Center assignment key `sso:<account>:<permission set>:<USER|GROUP>:<id>`. */
const EXEMPT_PATTERN = /^(?:arn:aws(?:-cn|-us-gov)?:iam::(?:\d{12}|\*):[\w+=,.@/*-]{1,512}|sso:(?:\d{12}|\*):[\w+=,.@*-]{1,64}:(?:USER|GROUP|\*):[\w.@*-]{1,128})$/;
const DAY_MS = 86_400_000;

export const DEFAULT_ACTIONS = ['report-only', 'disable-keys', 'remove-console', 'detach-policies'] as const;

const exemptionSchema = z.strictObject({
  principal: patterned('exempt.principal', EXEMPT_PATTERN, 'an IAM ARN (arn:aws:iam::<account>:user/<name>, * allowed) or sso:<account>:<permission set>:<USER|GROUP>:<id>'),
  reason: text('exempt.reason').min(10, 'exempt.reason must say why (at least 10 characters): auditors read it'),
});

export const accessReviewSchema = z
  .strictObject({
    name: patterned('review name', REVIEW_NAME_PATTERN, 'a valid review name (lowercase letters, digits and single hyphens, 2-32, starting with a letter)'),
    accounts: z.array(accountId, { error: 'accounts must be a list of account ids' }).min(1, 'accounts must name at least one account'),
    owners: z
      .strictObject({
        tag: text('owners.tag').regex(TAG_KEY_PATTERN, { error: (iss) => `owners.tag ${JSON.stringify(iss.input)} is not an IAM tag key` }).default('owner'),
        fallback: z
          .record(accountId, id('group id'), { error: 'owners.fallback must map account ids to group ids' })
          .describe('account id → the group whose members review principals without a known owner.'),
      })
      .describe('Who reviews what: the owner tag on users and roles (a person id or email), else the account’s fallback group.'),
    escalation: id('escalation group').describe('Group id: reviews a person’s own access, and is told when a reviewer is overdue.'),
    deadline: duration('deadline').describe('Reviewers’ deadline; then the default action applies to undecided items.'),
    remindEvery: duration('remindEvery').describe('How often an unfinished reviewer is reminded.'),
    escalateAfter: duration('escalateAfter').describe('After this long an unfinished reviewer is escalated.'),
    defaultAction: z.enum(DEFAULT_ACTIONS, { error: `defaultAction must be one of ${DEFAULT_ACTIONS.join(', ')}` }).describe('Applied at the deadline to undecided items.'),
    exempt: list('exempt', exemptionSchema).default([]).describe('Listed as exempt in the report, never sent to a reviewer.'),
    keyMaxAge: duration('keyMaxAge').default(90 * DAY_MS),
    unusedAfter: duration('unusedAfter').default(90 * DAY_MS),
    identityCenter: bool('identityCenter').default(false).describe('Review Identity Center account assignments too.'),
    identityCenterAccount: accountId.optional().describe('The account holding the Identity Center instance (management or delegated administrator); default: each reviewed account.'),
    schedule: scheduleSchema.optional(),
  })
  .transform((r): AccessReviewPolicy => {
    const out: AccessReviewPolicy = {
      name: r.name,
      accounts: r.accounts,
      owners: { tag: r.owners.tag, fallback: r.owners.fallback },
      escalation: r.escalation,
      deadlineMs: r.deadline,
      remindEveryMs: r.remindEvery,
      escalateAfterMs: r.escalateAfter,
      defaultAction: r.defaultAction,
      exempt: r.exempt,
      keyMaxAgeMs: r.keyMaxAge,
      unusedAfterMs: r.unusedAfter,
      identityCenter: r.identityCenter,
    };
    if (r.identityCenterAccount !== undefined) out.identityCenterAccount = r.identityCenterAccount;
    if (r.schedule) out.schedule = r.schedule;
    return out;
  });

export const reviewsSchema = z
  .strictObject({
    channel: slackChannel('reviews.channel').optional().describe('Slack channel for review summaries (default: slack.auditChannel).'),
    access: list('reviews.access', accessReviewSchema).default([]),
  })
  .describe('Periodic access reviews: inventory, findings, keep/revoke by owners, enforced deadlines.')
  .transform((r): ReviewSettings => ({ ...(r.channel ? { channel: r.channel } : {}), access: r.access }));

export const EMPTY_REVIEWS: ReviewSettings = { access: [] };

/**
 * Reports an undeclared group named by a single field (a fallback or the escalation group) at that
 * field; true when the group is declared. (checkGroupRefs is for lists: it appends the item's index.)
 */
function checkGroupRef(policy: Policy, group: string, path: Path, issues: PolicyChecks): boolean {
  if (policy.groups.some((g) => g.id === group)) return true;
  issues.error(path, `unknown group "${group}" (declare it under groups)`);
  return false;
}

export const checkReviews = (policy: Policy, issues: PolicyChecks): void => {
  const names = new Map<string, string>();
  // `safeguard schedules trigger|pause <name>` names every scheduled target alike.
  const otherTargets = new Set([...policy.rotation.accessKeys, ...policy.rotation.kmsKeys, ...policy.drills.restore, ...policy.drills.fire].map((t) => t.name));
  const shown = (path: Path, ms: number) => {
    const w = issues.written(path);
    return typeof w === 'string' ? w.trim() : formatDuration(ms);
  };
  policy.reviews.access.forEach((r, i) => {
    const path = ['reviews', 'access', i] as const;
    const first = names.get(r.name);
    if (first !== undefined) issues.error([...path, 'name'], `duplicate review name "${r.name}" (also ${first})`);
    else names.set(r.name, formatPath(path));
    if (otherTargets.has(r.name)) issues.error([...path, 'name'], `"${r.name}" is also a rotation target's or drill's name; \`safeguard schedules\` could not tell them apart`);

    const seen = new Set<string>();
    r.accounts.forEach((a, j) => {
      if (seen.has(a)) issues.error([...path, 'accounts', j], `account ${a} is listed twice`);
      seen.add(a);
      if (!checkAccountRef(policy, a, [...path, 'accounts', j], issues)) return;
      if (r.owners.fallback[a] === undefined) issues.error([...path, 'owners', 'fallback'], `account ${a} has no fallback group: principals without an owner tag would have no reviewer`);
    });
    for (const [account, group] of Object.entries(r.owners.fallback)) {
      if (!seen.has(account)) issues.warn([...path, 'owners', 'fallback', account], `account ${account} is not one of this review's accounts; its fallback group is never used`);
      if (checkGroupRef(policy, group, [...path, 'owners', 'fallback', account], issues) && membersOf(policy, [group]).length === 0) issues.error([...path, 'owners', 'fallback', account], `group "${group}" has no members: nobody could review account ${account}`);
    }
    if (checkGroupRef(policy, r.escalation, [...path, 'escalation'], issues)) {
      const members = membersOf(policy, [r.escalation]);
      if (members.length === 0) issues.error([...path, 'escalation'], `escalation group "${r.escalation}" has no members: self-reviews and late reviewers would reach nobody`);
      // One member cannot decide their own access (nobody does): it is left to the default action.
      else if (members.length === 1) issues.warn([...path, 'escalation'], `escalation group "${r.escalation}" has one member (${members[0]}): their own access can only get the default action`);
    }
    if (r.escalateAfterMs >= r.deadlineMs) {
      issues.error([...path, 'escalateAfter'], `escalateAfter ${shown([...path, 'escalateAfter'], r.escalateAfterMs)} must be shorter than deadline ${shown([...path, 'deadline'], r.deadlineMs)}: escalation is what happens before the default action`);
    }
    if (r.remindEveryMs >= r.deadlineMs) issues.warn([...path, 'remindEvery'], `remindEvery ${shown([...path, 'remindEvery'], r.remindEveryMs)} is not shorter than the deadline: nobody is reminded`);
    if (r.identityCenterAccount !== undefined) {
      checkAccountRef(policy, r.identityCenterAccount, [...path, 'identityCenterAccount'], issues);
      if (!r.identityCenter) issues.warn([...path, 'identityCenterAccount'], 'identityCenterAccount is set but identityCenter is false: assignments are not reviewed');
    }
    r.exempt.forEach((e, j) => {
      const account = e.principal.startsWith('sso:') ? e.principal.split(':')[1] : e.principal.split(':')[4];
      if (account !== '*' && account !== undefined && !seen.has(account)) issues.warn([...path, 'exempt', j, 'principal'], `${e.principal} is not in one of this review's accounts; the exemption never applies`);
    });
  });
};
