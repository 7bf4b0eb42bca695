// Every activity gets its clients injected (STYLE.md): tests swap whole implementations through the
// worker's `activities` option, production builds them from configuration.
import type { Logger } from 'pino';
import type { GrantReceipt } from '../workflows/break-glass/definitions';
import type { AccountTarget, AwsClients } from './aws/clients';
import { deleteRevocationPolicy, putRevocationPolicy, revocationStatementPresent } from './aws/iam';
import type { RevocationTarget } from './aws/iam';
import { grantSessionOwner, activeSessionIds, terminateSessions } from './aws/ssm';
import { verifyGrant } from './aws/sts';
import type { VerifyGrantInput } from './aws/sts';
import { awsCall } from './aws/errors';
import type { EvidenceStore } from './evidence/store';
import type { Notifier, NotifyInput, NotifyResult } from './notify/notifier';

export interface ActivityDeps {
  aws: AwsClients;
  evidence: EvidenceStore;
  notifier: Notifier;
  logger: Logger;
}

export type RevocationInput = RevocationTarget & AccountTarget;

export interface RevocationCheck {
  statementPresent: boolean;
  activeSessionsLeft: string[];
  checkedAt: string;
}

export function createActivities(deps: ActivityDeps) {
  const { aws, evidence, notifier } = deps;
  return {
    async verifyGrant(input: VerifyGrantInput): Promise<GrantReceipt> {
      return verifyGrant(aws, input);
    },

    async applyRevocation(input: RevocationInput): Promise<{ policyName: string }> {
      const { iam } = await awsCall('AssumeRole(SafeguardExecution)', () => aws.forAccount(input));
      return putRevocationPolicy(iam, input);
    },

    async terminateGrantSessions(input: RevocationInput & { knownSessionIds: string[] }): Promise<{ terminated: string[] }> {
      const { ssm } = await awsCall('AssumeRole(SafeguardExecution)', () => aws.forAccount(input));
      return { terminated: await terminateSessions(ssm, grantSessionOwner(input.accountId, input.roleArn, input.grantId), input.knownSessionIds) };
    },

    async verifyRevocation(input: RevocationInput): Promise<RevocationCheck> {
      const { iam, ssm } = await awsCall('AssumeRole(SafeguardExecution)', () => aws.forAccount(input));
      const statementPresent = await awsCall('GetRolePolicy', () => revocationStatementPresent(iam, input));
      const activeSessionsLeft = await activeSessionIds(ssm, grantSessionOwner(input.accountId, input.roleArn, input.grantId));
      return { statementPresent, activeSessionsLeft, checkedAt: new Date().toISOString() };
    },

    async removeRevocationPolicy(input: AccountTarget & { roleArn: string; policyName: string }): Promise<{ removed: boolean }> {
      const { iam } = await awsCall('AssumeRole(SafeguardExecution)', () => aws.forAccount(input));
      return { removed: await awsCall('DeleteRolePolicy', () => deleteRevocationPolicy(iam, input.roleArn, input.policyName)) };
    },

    async notify(event: NotifyInput): Promise<NotifyResult> {
      return (await notifier.notify(event)) ?? {};
    },

    async recordEvidence(input: { id: string; kind: string; record: Record<string, unknown> }): Promise<{ seq: number; hash: string }> {
      const { seq, hash } = await evidence.append(input);
      return { seq, hash };
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
