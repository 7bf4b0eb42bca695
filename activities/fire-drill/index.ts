// A fire drill's activities: check its input against the worker's policy, use the drill grant once
// exactly as a person would (the vending code the api runs, client/vending.ts: reserve a lease
// through the Update, AssumeRole as the broker with the lease's parameters, report the issue; then
// sts:GetCallerIdentity with the credentials), and revoke it through the grant's revoke Update.
// The secret never leaves the probe: only the key id and the caller ARN are returned.
import { ApplicationFailure } from '@temporalio/activity';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { BreakGlassClient } from '../../client/break-glass-client';
import { SafeguardError, VendingRefusal } from '../../client/errors';
import { vendCredentials } from '../../client/vending';
import type { Policy } from '../../config/policy/types';
import { FIRE_DRILL_REQUESTER } from '../../workflows/fire-drill/definitions';
import type { FireDrillInput, FireDrillProbe } from '../../workflows/fire-drill/definitions';
import { toActivityFailure } from '../aws/errors';
import { checkFireDrillInput } from '../policy/fire-drill-check';
import type { PolicyVerdict } from '../policy/break-glass-check';

export interface FireDrillDeps {
  policy: () => Policy;
  breakGlass: () => BreakGlassClient;
  brokerSts: () => STSClient;
  /** An STS client signing with the vended credentials. */
  stsWith: (credentials: AwsCredentialIdentity) => STSClient;
}

export function createFireDrillActivities(deps: FireDrillDeps) {
  return {
    async checkFireDrillRequest(input: { input: FireDrillInput; workflowId: string }): Promise<PolicyVerdict> {
      return checkFireDrillInput(input.input, deps.policy(), input.workflowId);
    },

    async probeDrillGrant(input: { grantId: string }): Promise<FireDrillProbe> {
      let creds;
      try {
        creds = await vendCredentials({ breakGlass: deps.breakGlass(), brokerSts: deps.brokerSts, recordRefusal: async () => undefined }, input.grantId, FIRE_DRILL_REQUESTER);
      } catch (err) {
        // Refusals (not active, revoked, ended) will not change on a retry; AWS hiccups and an expired lease may.
        if (err instanceof VendingRefusal) throw ApplicationFailure.create({ type: `Vending${err.code}`, message: `credential vending: ${err.message}`, nonRetryable: err.status < 500 });
        throw err;
      }
      const sts = deps.stsWith({ accessKeyId: creds.AccessKeyId, secretAccessKey: creds.SecretAccessKey, sessionToken: creds.SessionToken });
      try {
        const who = await sts.send(new GetCallerIdentityCommand({}));
        if (!who.Arn) throw ApplicationFailure.create({ type: 'ProbeFailed', message: 'GetCallerIdentity returned no ARN', nonRetryable: true });
        return { accessKeyId: creds.AccessKeyId, callerArn: who.Arn };
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        throw toActivityFailure('GetCallerIdentity(drill credentials)', err);
      } finally {
        sts.destroy();
      }
    },

    async revokeDrillGrant(input: { grantId: string; reason: string }): Promise<{ phase: string }> {
      try {
        return { phase: (await deps.breakGlass().revoke(input.grantId, FIRE_DRILL_REQUESTER, input.reason)).phase };
      } catch (err) {
        // Already ended (expired, or revoked by an approver): nothing left to revoke.
        if (err instanceof SafeguardError && (err.refusal === 'RequestEnded' || err.code === 'WORKFLOW_NOT_FOUND')) return { phase: 'ended' };
        throw err;
      }
    },
  };
}

export type FireDrillActivities = ReturnType<typeof createFireDrillActivities>;
