// `POST /v1/grants/{id}/sessions`: the requester's CLI reports an SSM session it opened with the
// grant. A report is a claim, so the api checks it with SSM before the workflow hears of it: the
// session exists and is live, it is owned by this grant's role session (assumed-role/<role>/<grant>),
// and it targets an instance the role allows. A refused report is audited; an accepted one resets
// the grant's idle timer. Reports stop at the grant's cap (revocation still ends every session of
// the grant, found by owner, reported or not).
import type { AccountTarget } from '../activities/aws/clients';
import { grantSessionOwner } from '../activities/aws/ssm';
import type { SessionFacts } from '../activities/aws/ssm';
import type { BreakGlassClient } from '../client/break-glass-client';
import { auditRefusal } from '../client/vending';
import { getRole } from '../config/policy/lookup';
import type { Policy } from '../config/policy/types';
import { MAX_RECORDED_SESSIONS } from '../workflows/break-glass/definitions';
import { ApiError } from './http';

export interface SessionDeps {
  breakGlass: BreakGlassClient;
  policy: () => Policy;
  /** Asks SSM (as SafeguardExecution in the grant's account) about one session. */
  describeSession: (account: AccountTarget, sessionId: string) => Promise<SessionFacts | undefined>;
}

export interface SessionReportResult {
  recorded: boolean;
  /** Already recorded (a repeat report), or past the grant's cap: nothing new was sent. */
  duplicate?: boolean;
  capped?: boolean;
}

/** The instances a role lets `safeguard connect` reach; none when the policy lists none. */
export function allowedTargets(policy: Policy, roleName: string): string[] {
  return getRole(policy, roleName)?.ssmTargets ?? [];
}

export async function reportSession(deps: SessionDeps, grantId: string, person: string, report: { sessionId: string; target: string }): Promise<SessionReportResult> {
  const status = await deps.breakGlass.status(grantId);
  if (status.requester !== person) throw new ApiError(403, 'NOT_REQUESTER', 'only the requester can report sessions of this grant');
  if (status.phase !== 'active') throw new ApiError(409, 'GRANT_NOT_ACTIVE', `this grant is not active (${status.phase})`);
  const policy = deps.policy();
  const refuse = async (http: number, code: string, message: string): Promise<never> => {
    await auditRefusal(deps.breakGlass, status, { by: person, code, what: 'session' });
    throw new ApiError(http, code, message);
  };
  const targets = allowedTargets(policy, status.role);
  if (!targets.includes(report.target)) {
    return refuse(403, 'TARGET_NOT_ALLOWED', targets.length > 0 ? `${status.role} allows sessions on ${targets.join(', ')} only` : `${status.role} allows no SSM sessions`);
  }
  const account = policy.accounts.find((a) => a.id === status.accountId);
  if (!account) throw new ApiError(409, 'UNKNOWN_ACCOUNT', `account ${status.accountId} is not in the policy`);
  const facts = await deps.describeSession({ accountId: account.id, executionRoleArn: account.executionRoleArn, externalId: account.externalId }, report.sessionId);
  if (!facts) return refuse(404, 'SESSION_NOT_FOUND', `SSM has no session ${report.sessionId}`);
  if (facts.owner !== grantSessionOwner(status.accountId, status.roleArn, grantId)) return refuse(403, 'SESSION_NOT_OURS', `session ${report.sessionId} was not opened with this grant`);
  if (facts.target !== report.target) return refuse(400, 'TARGET_MISMATCH', `session ${report.sessionId} is on ${facts.target}, not ${report.target}`);
  if (!facts.active) return refuse(409, 'SESSION_ENDED', `session ${report.sessionId} has already ended`);
  if (status.sessions.includes(report.sessionId)) return { recorded: true, duplicate: true };
  if (status.sessions.length >= MAX_RECORDED_SESSIONS) return { recorded: false, capped: true };
  await deps.breakGlass.sessionOpened(grantId, report.sessionId, report.target, { verified: true });
  return { recorded: true };
}
