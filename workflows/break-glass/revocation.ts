// DESIGN.md §4 steps 2–4, shared by the break-glass workflow and the reconciler: hand the cut-off to
// the role's deny-policy writer, terminate the grant's sessions, and verify from AWS itself — the
// person's statement covers the cut-off, no session of the grant is alive, and no recorded credential
// was issued at or after the cut-off (if one was, the cut-off moves past it and is applied again).
// Loops until verified; security is paged after a few attempts and the loop goes on. Callers run it
// in a non-cancellable scope.
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { RevocationReceipt, RoleSnapshot } from './definitions';
import { ROLE_REVOCATION_POLICY } from './revocation-policy';

// Each activity retries on its own; the loop below retries the whole attempt on top, forever.
const revocationActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 6 },
});

/** After this many unverified attempts, security is paged (and the loop goes on). */
export const REVOCATION_ALERT_AFTER = 3;

export interface RevocationSubject {
  grantId: string;
  requester: string;
  role: Pick<RoleSnapshot, 'accountId' | 'roleArn' | 'executionRoleArn' | 'externalId' | 'maxSessionDurationMs'>;
}

export interface RevocationHooks {
  log(event: string, detail?: string): void;
  page(event: string, detail: string): Promise<void>;
  /** Access key ids of recorded issues at or after the cut-off (read fresh on every attempt). */
  issuedAtOrAfter(cutoffMs: number): string[];
  sessionsTerminated(ids: string[]): void;
}

export async function revokeUntilVerified(subject: RevocationSubject, hooks: RevocationHooks, firstCutoffMs: number): Promise<RevocationReceipt> {
  const { role } = subject;
  const target = { grantId: subject.grantId, requester: subject.requester, accountId: role.accountId, roleArn: role.roleArn, executionRoleArn: role.executionRoleArn, externalId: role.externalId };
  let cutoffMs = firstCutoffMs;
  let terminated: string[] = [];
  for (let attempt = 1; ; attempt++) {
    const tokensIssuedBefore = new Date(cutoffMs).toISOString();
    try {
      await revocationActivities.submitRevocationCutoff({ ...target, tokensIssuedBefore, maxSessionDurationMs: role.maxSessionDurationMs });
      const ended = await revocationActivities.terminateGrantSessions({ ...target, tokensIssuedBefore, knownSessionIds: [] });
      terminated = [...new Set([...terminated, ...ended.terminated])];
      hooks.sessionsTerminated(ended.terminated);
      const check = await revocationActivities.verifyRevocation({ ...target, tokensIssuedBefore });
      const late = hooks.issuedAtOrAfter(cutoffMs);
      const receipt: RevocationReceipt = {
        verified: check.statementPresent && check.activeSessionsLeft.length === 0 && late.length === 0,
        checkedAt: check.checkedAt,
        policyName: ROLE_REVOCATION_POLICY,
        statementPresent: check.statementPresent,
        deniedSourceIdentity: subject.requester,
        tokensIssuedBefore,
        sessionsTerminated: terminated,
        activeSessionsLeft: check.activeSessionsLeft,
        attempts: attempt,
        ...(late.length > 0 ? { issuedAfterCutoff: late } : {}),
      };
      if (receipt.verified) {
        hooks.log('revocation-verified', `${terminated.length} session(s) terminated; tokens issued before ${tokensIssuedBefore} denied`);
        return receipt;
      }
      const why = [
        check.statementPresent ? undefined : 'deny statement not in place',
        check.activeSessionsLeft.length > 0 ? `${check.activeSessionsLeft.length} session(s) still active` : undefined,
        late.length > 0 ? `${late.length} credential(s) issued at or after the cut-off` : undefined,
      ].filter(Boolean);
      hooks.log('revocation-unverified', `attempt ${attempt}: ${why.join('; ')}`);
      // A credential issued at or after the cut-off is not denied by it: move the cut-off past it.
      if (late.length > 0) cutoffMs = Math.max(cutoffMs, Date.now()) + 1000;
    } catch (err) {
      hooks.log('revocation-attempt-failed', `attempt ${attempt}: ${errorMessage(err)}`);
    }
    if (attempt === REVOCATION_ALERT_AFTER) await hooks.page('revocation-not-verified', `not verified after ${attempt} attempts; still retrying`);
    await sleep(Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6)));
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
  return String(err);
}
