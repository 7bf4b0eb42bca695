// Restore-drill activities, one object for createActivities to spread. Each source family (RDS,
// DynamoDB, AWS Backup) implements the same four steps; these activities pick the family from the
// drill's source and the validator from its validation. The sweeper's listing covers every family.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AwsClients } from '../aws/clients';
import type { Policy } from '../../config/policy/types';
import { restoreDrillTargetFor } from '../../client/drill-targets';
import type { AccountRef, RestoreDrillTarget } from '../../workflows/restore-drill/targets';
import { SCRATCH_PREFIX } from '../../workflows/restore-drill/targets';
import type { PolicyVerdict } from '../policy/break-glass-check';
import { matchPolicyTarget } from '../policy/target-match';
import { createBackupDrillActivities, reportBackupValidation } from './aws-backup';
import { createDynamoDrillActivities, listDynamoScratch, validateDynamo } from './dynamodb';
import { createRdsDrillActivities, listRdsScratch } from './rds';
import { validateWithSsmCommand } from './ssm-validation';
import type {
  DrillSourceActivities,
  PreparedRestore,
  PrepareRestoreInput,
  ReportValidationInput,
  RestoredResource,
  ScratchListing,
  StartedRestore,
  StartRestoreInput,
  TeardownInput,
  TeardownReceipt,
  ValidateRestoreInput,
  ValidationResult,
  WaitRestoredInput,
} from './types';

export interface DrillActivityDeps {
  aws: AwsClients;
  logger: Logger;
  policy: () => Policy;
  temporal: { client: Client };
}

export function createDrillActivities(deps: DrillActivityDeps) {
  const rds = createRdsDrillActivities(deps);
  const dynamo = createDynamoDrillActivities(deps);
  const backup = createBackupDrillActivities(deps);
  const family = (d: RestoreDrillTarget): DrillSourceActivities => {
    switch (d.source.type) {
      case 'rds-snapshot':
      case 'rds-point-in-time':
        return rds;
      case 'dynamodb-backup':
      case 'dynamodb-point-in-time':
        return dynamo;
      case 'backup-recovery-point':
        return backup;
    }
  };
  return {
    /** Is this drill exactly the policy's drill of that name? Checked before any AWS call. */
    async checkDrillRequest(input: { drill: RestoreDrillTarget }): Promise<PolicyVerdict> {
      return matchPolicyTarget(() => restoreDrillTargetFor(deps.policy(), input.drill.name), input.drill);
    },
    /** Are these exactly accounts of the policy (id, execution role and ExternalId)? Checked before a sweep lists anything. */
    async checkSweepRequest(input: { accounts: AccountRef[] }): Promise<PolicyVerdict> {
      const policy = deps.policy();
      const problems = input.accounts.flatMap((a) => {
        const known = policy.accounts.find((x) => x.id === a.accountId);
        if (!known) return [`account ${a.accountId} is not in the policy`];
        return known.executionRoleArn === a.executionRoleArn && known.externalId === a.externalId ? [] : [`account ${a.accountId}'s execution role or ExternalId differs from the policy's`];
      });
      return { accepted: problems.length === 0, problems };
    },
    async prepareRestore(input: PrepareRestoreInput): Promise<PreparedRestore> {
      assertScratchName(input.scratchName);
      return family(input.drill).prepareRestore(input);
    },
    async startRestore(input: StartRestoreInput): Promise<StartedRestore> {
      assertScratchName(input.scratchName);
      return family(input.drill).startRestore(input);
    },
    async waitRestored(input: WaitRestoredInput): Promise<RestoredResource> {
      return family(input.drill).waitRestored(input);
    },
    async validateRestore(input: ValidateRestoreInput): Promise<ValidationResult> {
      return input.drill.validation.type === 'ssm-command' ? validateWithSsmCommand(deps.aws, input) : validateDynamo(deps.aws, input);
    },
    async reportBackupValidation(input: ReportValidationInput): Promise<void> {
      await reportBackupValidation(deps.aws, input);
    },
    /** Deletes a scratch resource and waits until AWS no longer knows it; only ever `sg-drill-*`. */
    async teardownScratch(input: TeardownInput): Promise<TeardownReceipt> {
      assertScratchName(input.scratch.name);
      const impl = input.scratch.type === 'rds-instance' ? rds : dynamo;
      const receipt = await impl.teardownScratch(input);
      return { ...receipt, attempt: attempt() };
    },
    /** Every `sg-drill-*` resource in the account, RDS instances and DynamoDB tables. */
    async listDrillScratch(input: { account: AccountRef }): Promise<ScratchListing[]> {
      return [...(await listRdsScratch(deps.aws, input.account)), ...(await listDynamoScratch(deps.aws, input.account))];
    },
    /** Is the drill run that tagged a scratch resource still running? (The sweeper leaves those alone.) */
    async drillRunIsOpen(input: { runId: string }): Promise<boolean> {
      try {
        const d = await deps.temporal.client.workflow.getHandle(input.runId).describe();
        return d.status.name === 'RUNNING';
      } catch (err) {
        if ((err as Error).name === 'WorkflowNotFoundError') return false;
        throw err;
      }
    },
  };
}

export type DrillActivities = ReturnType<typeof createDrillActivities>;

/** The source is never touched: every mutating call names a scratch resource, and these all start with sg-drill-. */
function assertScratchName(name: string): void {
  if (!name.startsWith(SCRATCH_PREFIX)) throw ApplicationFailure.nonRetryable(`refusing to restore into or delete ${name}: scratch resources are named ${SCRATCH_PREFIX}*`, 'NotScratch');
}

function attempt(): number | undefined {
  try {
    return Context.current().info.attempt;
  } catch {
    return undefined;
  }
}
