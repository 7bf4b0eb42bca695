// The `breakGlass:` section: pre-created IAM roles Safeguard grants temporary access to.
import { z } from 'zod';
import { formatDuration } from '../duration';
import { accountId, bool, duration, groupList, INSTANCE_ID_PATTERN, list, patterned, quorum, roleArn, ROLE_NAME_PATTERN, slackChannel } from './fields';
import type { PolicyChecks } from './issues';
import { accountOfArn, checkAccountRef, checkGroupRefs, checkQuorum, principalKey, selfRequestShortfall } from './shared';
import type { BreakGlassRole, Policy } from './types';

export const breakGlassRoleSchema = z
  .strictObject({
    name: patterned('role name', ROLE_NAME_PATTERN, 'a valid role name ([A-Za-z][A-Za-z0-9_-]{1,63})'),
    account: accountId.describe('Id of a declared account; roleArn must be in it.'),
    roleArn,
    description: z.string().optional(),
    requesters: groupList('requesters').min(1, 'requesters must name at least one group'),
    approvers: groupList('approvers').min(1, 'approvers must name at least one group'),
    quorum: quorum('quorum').describe('Distinct approvers needed; the requester never counts.'),
    mode: z.enum(['approval', 'post-hoc'], { error: 'mode must be "approval" or "post-hoc"' }),
    defaultDuration: duration('defaultDuration'),
    maxDuration: duration('maxDuration'),
    approvalTimeout: duration('approvalTimeout'),
    reminderInterval: duration('reminderInterval').prefault('5m'),
    ratificationDeadline: duration('ratificationDeadline')
      .optional()
      .describe('Required when mode is post-hoc: approvers must ratify within this time or access is revoked.'),
    idleLimit: duration('idleLimit').optional(),
    reasonMinLength: z.int({ error: 'reasonMinLength must be a whole number' }).min(0).max(1000).default(10),
    ticketRequired: bool('ticketRequired').default(false),
    ssmTargets: z
      .array(patterned('SSM target', INSTANCE_ID_PATTERN, 'an EC2 instance id like i-0123456789abcdef0'))
      .default([]),
    stepUp: bool('stepUp').default(false),
    approversChannel: slackChannel('approversChannel').optional().describe('Slack channel for this role\'s approval cards (default: slack.approversChannel).'),
  })
  .transform((r): BreakGlassRole => {
    const role: BreakGlassRole = {
      name: r.name,
      account: r.account,
      roleArn: r.roleArn,
      requesters: r.requesters,
      approvers: r.approvers,
      quorum: r.quorum,
      mode: r.mode,
      defaultDurationMs: r.defaultDuration,
      maxDurationMs: r.maxDuration,
      approvalTimeoutMs: r.approvalTimeout,
      reminderIntervalMs: r.reminderInterval,
      reasonMinLength: r.reasonMinLength,
      ticketRequired: r.ticketRequired,
      ssmTargets: r.ssmTargets,
      stepUp: r.stepUp,
    };
    if (r.description !== undefined) role.description = r.description;
    // Only post-hoc roles have a ratification round; the check below warns about the others.
    if (r.mode === 'post-hoc' && r.ratificationDeadline !== undefined) role.ratificationDeadlineMs = r.ratificationDeadline;
    if (r.idleLimit !== undefined) role.idleLimitMs = r.idleLimit;
    if (r.approversChannel !== undefined) role.approversChannel = r.approversChannel;
    return role;
  });

export const breakGlassSchema = z
  .strictObject({
    roles: list('breakGlass.roles', breakGlassRoleSchema).describe('Break-glass roles: pre-created IAM roles Safeguard grants temporary access to.'),
  })
  .describe('Temporary, approved access to pre-created IAM roles.');

export const checkBreakGlass = (policy: Policy, issues: PolicyChecks): void => {
  const roleNames = new Map<string, number>();
  const byIamRole = new Map<string, number>();
  const shown = (path: readonly (string | number)[], ms: number) => {
    const w = issues.written(path);
    return typeof w === 'string' ? w.trim() : formatDuration(ms);
  };

  policy.breakGlass.roles.forEach((r, i) => {
    const path = ['breakGlass', 'roles', i] as const;
    if (roleNames.has(r.name)) {
      issues.error([...path, 'name'], `duplicate role name "${r.name}" (also breakGlass.roles[${roleNames.get(r.name)}])`);
    } else roleNames.set(r.name, i);

    checkAccountRef(policy, r.account, [...path, 'account'], issues);
    if (accountOfArn(r.roleArn) !== r.account) {
      issues.error([...path, 'roleArn'], `roleArn ${r.roleArn} is not in the role's account ${r.account}`);
    }

    // Revocation denies the IAM role's sessions issued before a cut-off, whichever grant they
    // came from: two break-glass roles on one IAM role cannot be revoked independently.
    const key = principalKey(r.roleArn);
    const first = byIamRole.get(key);
    if (first === undefined) byIamRole.set(key, i);
    else {
      const other = policy.breakGlass.roles[first];
      issues.warn(
        [...path, 'roleArn'],
        `breakGlass.roles[${i}] (${r.name}) uses the same IAM role as breakGlass.roles[${first}] (${other?.name ?? '?'}): concurrent grants on it end together when either is revoked`,
      );
    }

    checkGroupRefs(policy, r.requesters, [...path, 'requesters'], issues);
    checkGroupRefs(policy, r.approvers, [...path, 'approvers'], issues);
    const pool = checkQuorum(policy, r.approvers, r.quorum, [...path, 'quorum'], issues);
    if (pool !== undefined && r.quorum <= pool.length) {
      const short = selfRequestShortfall(policy, pool, r.requesters, r.quorum);
      if (short.length > 0) {
        issues.warn(
          [...path, 'quorum'],
          `quorum ${r.quorum} cannot be met when ${short.join(' or ')} requests (they cannot approve their own request)`,
        );
      }
    }

    if (r.maxDurationMs < r.defaultDurationMs) {
      issues.error(
        [...path, 'maxDuration'],
        `maxDuration ${shown([...path, 'maxDuration'], r.maxDurationMs)} is shorter than defaultDuration ${shown([...path, 'defaultDuration'], r.defaultDurationMs)}`,
      );
    }
    const deadlineWritten = issues.written([...path, 'ratificationDeadline']) !== undefined;
    if (r.mode === 'post-hoc' && r.ratificationDeadlineMs === undefined) {
      issues.error([...path, 'ratificationDeadline'], 'ratificationDeadline is required when mode is post-hoc');
    }
    if (r.mode === 'approval' && deadlineWritten) {
      issues.warn([...path, 'ratificationDeadline'], 'ratificationDeadline only applies when mode is post-hoc; it is ignored');
    }
  });
};
