// Every activity gets its clients injected (STYLE.md): tests swap whole implementations through the
// worker's `activities` option, production builds them from configuration.
import type { Client } from '@temporalio/client';
import { pause } from './heartbeat';
import type { Logger } from 'pino';
import type { Policy } from '../config/policy/types';
import type { BreakGlassInput, GrantReceipt } from '../workflows/break-glass/definitions';
import type { AccountTarget, AwsClients } from './aws/clients';
import { cutoffInPlace, deleteRevocationPolicy, putRevocationPolicy, readRoleRevocationStatements, writeRoleRevocationPolicy } from './aws/iam';
import type { RevocationTarget } from './aws/iam';
import { grantSessionOwner, activeSessionIds, terminateSessions } from './aws/ssm';
import { verifyGrant } from './aws/sts';
import type { VerifyGrantInput } from './aws/sts';
import { awsCall } from './aws/errors';
import { createEvidenceActivities } from './evidence';
import type { EvidenceStore } from '../evidence/store';
import { toEnvelope } from './notify/notifier';
import type { Notifier, NotifyInput, NotifyResult } from './notify/notifier';
import { checkBreakGlassInput } from './policy/break-glass-check';
import type { PolicyVerdict } from './policy/break-glass-check';
import { checkRotationInput } from './policy/rotation-check';
import { checkRunbookInput } from './policy/runbook-check';
import type { RunbookInput } from '../workflows/runbook/definitions';
import { createRunbookActivities } from './runbooks';
import type { AccessKeyTarget, KmsKeyTarget } from '../workflows/key-rotation/targets';
import { createReconcileActivities } from './reconcile';
import { createRotationActivities } from './rotation';
import { createDrillActivities } from './drills';
import { createFireDrillActivities } from './fire-drill';
import { createReviewActivities } from './reviews';
import { BlobStore } from '../evidence/blobs';
import { BreakGlassClient } from '../client/break-glass-client';
import type { RoleTarget, StatementCutoff } from '../workflows/break-glass/revocation-policy';
import { Context } from '@temporalio/activity';
import { REVOCATION_NOT_VERIFIED_EVENT, observeRevocationCheck, workerMetrics } from '../shared/ops/metrics';
import type { WorkerMetrics } from '../shared/ops/metrics';

export interface ActivityDeps {
  aws: AwsClients;
  evidence: EvidenceStore;
  notifier: Notifier;
  logger: Logger;
  /** The worker's policy: what a running workflow's input is checked against. */
  policy: () => Policy;
  /** For activities that drive other workflows (the role deny-policy writers, the reconciler). */
  temporal: { client: Client; taskQueue: string; revocationTaskQueue: string };
  /** The worker process's metrics (shared/ops); default: a registry nobody reads. */
  metrics?: WorkerMetrics;
}

export type RevocationInput = RevocationTarget & AccountTarget;

export interface RevocationCheck {
  statementPresent: boolean;
  activeSessionsLeft: string[];
  checkedAt: string;
}

const VERIFY_READS = 20;
const VERIFY_READ_INTERVAL_MS = 150;
/** False on a retried attempt, so a count made at an activity's start is made once per activity. */
function firstAttempt(): boolean {
  try {
    return Context.current().info.attempt <= 1;
  } catch {
    return true; // not inside an activity (unit tests)
  }
}

export function createActivities(deps: ActivityDeps) {
  const { aws, evidence, notifier } = deps;
  const metrics = deps.metrics ?? workerMetrics();
  const iamFor = async (t: AccountTarget) => (await awsCall('AssumeRole(SafeguardExecution)', () => aws.forAccount(t))).iam;
  const ssmFor = async (t: AccountTarget) => (await awsCall('AssumeRole(SafeguardExecution)', () => aws.forAccount(t))).ssm;
  return {
    async verifyGrant(input: VerifyGrantInput): Promise<GrantReceipt> {
      return verifyGrant(aws, input);
    },

    async checkRotationRequest(input: { kind: 'access-key-rotation' | 'kms-rotation'; target: AccessKeyTarget | KmsKeyTarget }): Promise<PolicyVerdict> {
      return checkRotationInput(input.kind, input.target, deps.policy());
    },

    async checkRunbookRequest(input: { input: RunbookInput }): Promise<PolicyVerdict> {
      return checkRunbookInput(input.input, deps.policy());
    },

    async checkBreakGlassRequest(input: { input: BreakGlassInput; workflowId: string; parentWorkflowId?: string }): Promise<PolicyVerdict> {
      return checkBreakGlassInput(input.input, deps.policy(), input.workflowId, input.parentWorkflowId);
    },

    /** Runs from before the role deny policy existed: one deny policy per grant. */
    async applyRevocation(input: RevocationInput): Promise<{ policyName: string }> {
      return putRevocationPolicy(await iamFor(input), input);
    },

    ...createReconcileActivities(deps),

    async readRoleRevocationPolicy(input: RoleTarget): Promise<StatementCutoff[]> {
      return awsCall('GetRolePolicy', async () => readRoleRevocationStatements(await iamFor(input), input.roleArn));
    },

    async writeRoleRevocationPolicy(input: RoleTarget & { document: string | null }): Promise<void> {
      await awsCall(input.document === null ? 'DeleteRolePolicy' : 'PutRolePolicy', async () => writeRoleRevocationPolicy(await iamFor(input), input.roleArn, input.document));
    },

    async terminateGrantSessions(input: RevocationInput & { knownSessionIds?: string[] }): Promise<{ terminated: string[] }> {
      return { terminated: await terminateSessions(await ssmFor(input), grantSessionOwner(input.accountId, input.roleArn, input.grantId)) };
    },

    async verifyRevocation(input: RevocationInput): Promise<RevocationCheck> {
      const { iam, ssm } = await awsCall('AssumeRole(SafeguardExecution)', () => aws.forAccount(input));
      // The cut-off was just handed to the role's writer, and IAM is eventually consistent: look a
      // few times over a few seconds before calling the statement missing (the workflow retries after).
      let statementPresent = false;
      for (let i = 0; i < VERIFY_READS && !statementPresent; i++) {
        if (i > 0) await pause(VERIFY_READ_INTERVAL_MS);
        statementPresent = await awsCall('GetRolePolicy', () => cutoffInPlace(iam, input));
      }
      const activeSessionsLeft = await activeSessionIds(ssm, grantSessionOwner(input.accountId, input.roleArn, input.grantId));
      observeRevocationCheck(metrics, { statementPresent, activeSessionsLeft });
      return { statementPresent, activeSessionsLeft, checkedAt: new Date().toISOString() };
    },

    async removeRevocationPolicy(input: AccountTarget & { roleArn: string; policyName: string }): Promise<{ removed: boolean }> {
      return { removed: await awsCall('DeleteRolePolicy', async () => deleteRevocationPolicy(await iamFor(input), input.roleArn, input.policyName)) };
    },

    async notify(event: NotifyInput): Promise<NotifyResult> {
      const n = toEnvelope(event);
      // The workflow and the reconciler page once per revocation that stays unverified; counted here
      // (workflows cannot emit metrics), once per page however often delivery is retried.
      if (n.event === REVOCATION_NOT_VERIFIED_EVENT && n.severity === 'page' && firstAttempt()) metrics.revocationsUnverified.inc();
      return (await notifier.notify(n)) ?? {};
    },

    ...createEvidenceActivities({ store: evidence, metrics }),

    ...createRotationActivities({ aws, logger: deps.logger }),
    ...createDrillActivities({ aws, logger: deps.logger, policy: deps.policy, temporal: deps.temporal }),

    ...createReviewActivities({ aws, blobs: new BlobStore(evidence.dir), logger: deps.logger, policy: deps.policy }),

    ...createRunbookActivities({ aws, temporal: deps.temporal }),

    ...createFireDrillActivities({
      policy: deps.policy,
      breakGlass: () => new BreakGlassClient(deps.temporal.client, deps.temporal.taskQueue),
      brokerSts: () => aws.brokerSts(),
      stsWith: (credentials) => aws.stsWith(credentials),
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
