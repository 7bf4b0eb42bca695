// Doctor's AWS checks, with the worker's own client setup (AwsClients: region, SAFEGUARD_AWS_ENDPOINT,
// the default credential chain): who the broker is, and that it can assume every account's
// SafeguardExecution role with the policy's ExternalId, as every runbook's first AWS call does.
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { AwsClients } from '../../activities/aws/clients';
import type { Account } from '../../config/policy/types';
import type { CheckOutcome, DoctorCheck } from './runner';
import { errorText, need } from './state';
import type { DoctorState } from './state';

const awsErrorText = (err: unknown): string => {
  const name = (err as { name?: unknown }).name;
  const message = errorText(err);
  return typeof name === 'string' && name !== 'Error' && !message.startsWith(name) ? `${name}: ${message}` : message;
};

const NO_CREDENTIALS = /CredentialsProviderError|Could not load credentials/;
const REFUSED_CREDENTIALS = /InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken|UnrecognizedClient|InvalidAccessKeyId|AuthFailure/;

/**
 * The broker's credentials when the configuration is not this process's environment (a dev stack's
 * worker environment): the keys the default chain's first provider would read from it. Otherwise
 * undefined: the SDK's default chain, exactly as the worker resolves it.
 */
export function brokerCredentials(state: DoctorState) {
  if (state.env === process.env) return undefined;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = state.env;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

const BROKER_FIX = 'check AWS_REGION, SAFEGUARD_AWS_ENDPOINT and the broker credentials (docs/aws-model.md)';

export const awsBrokerCheck: DoctorCheck<DoctorState> = {
  id: 'aws-broker',
  check: 'AWS broker identity',
  needs: ['environment'],
  fix: BROKER_FIX,
  async run(state, signal): Promise<CheckOutcome> {
    const env = need(state.parsed, 'the environment');
    const endpoint = env.SAFEGUARD_AWS_ENDPOINT;
    const credentials = brokerCredentials(state);
    const clients = new AwsClients({ region: env.AWS_REGION, ...(endpoint ? { endpoint } : {}), ...(credentials ? { brokerCredentials: credentials } : {}) });
    state.cleanups.push(() => clients.brokerSts().destroy());
    try {
      const me = await clients.brokerSts().send(new GetCallerIdentityCommand({}), { abortSignal: signal });
      if (!me.Arn) return { status: 'FAIL', detail: 'sts:GetCallerIdentity answered without an ARN', fix: BROKER_FIX };
      state.aws = { clients, brokerArn: me.Arn };
      return { status: 'ok', detail: `${me.Arn}${endpoint ? ` via ${endpoint}` : ''}` };
    } catch (err) {
      if (signal.aborted) throw err;
      const text = awsErrorText(err);
      if (NO_CREDENTIALS.test(text)) {
        return {
          status: 'FAIL',
          detail: `no AWS credentials: the SDK's default chain found none (${errorText(err)})`,
          fix: 'give this process the identity the worker runs as (the broker): an instance or task role, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
        };
      }
      if (REFUSED_CREDENTIALS.test(text)) {
        return { status: 'FAIL', detail: `STS refused the broker's credentials: ${text}`, fix: "the broker's credentials are wrong or expired: renew them, or check AWS_PROFILE / AWS_ACCESS_KEY_ID" };
      }
      const where = endpoint ?? `sts.${env.AWS_REGION}.amazonaws.com`;
      return {
        status: 'FAIL',
        detail: `sts:GetCallerIdentity at ${where} failed: ${text}`,
        fix: endpoint ? `check SAFEGUARD_AWS_ENDPOINT=${endpoint} (unset it for real AWS)` : `check AWS_REGION and this host's route to ${where}`,
      };
    }
  },
};

function roleRow(a: Account): { id: string; check: string } {
  return { id: `aws-role:${a.id}`, check: `execution role, ${a.name} (${a.id})` };
}

export const executionRolesCheck: DoctorCheck<DoctorState> = {
  id: 'aws-roles',
  check: 'execution roles',
  needs: ['policy', 'aws-broker'],
  fix: 'deploy the target-account stack in deploy/cloudformation to each account, and check each ExternalId',
  async run(state, signal): Promise<CheckOutcome[]> {
    const policy = need(state.policy, 'the policy');
    const { clients, brokerArn } = need(state.aws, 'the broker identity');
    return Promise.all(
      policy.accounts.map(async (a, i): Promise<CheckOutcome> => {
        try {
          await clients.brokerSts().send(
            // A session name of its own, so CloudTrail tells doctor's checks from the worker's work.
            new AssumeRoleCommand({ RoleArn: a.executionRoleArn, RoleSessionName: 'safeguard-doctor', ExternalId: a.externalId, DurationSeconds: 900 }),
            { abortSignal: signal },
          );
          return { ...roleRow(a), status: 'ok', detail: `${a.executionRoleArn} assumed with the policy's ExternalId` };
        } catch (err) {
          if (signal.aborted) throw err;
          return {
            ...roleRow(a),
            status: 'FAIL',
            detail: `the broker ${brokerArn} cannot assume ${a.executionRoleArn} in account ${a.id} (${a.name}): ${awsErrorText(err)}`,
            fix:
              `deploy the target-account stack in deploy/cloudformation to account ${a.id}, trusting the broker ${brokerArn}, with the ExternalId of accounts[${i}] in ${state.policyFile ?? 'the policy'}; ` +
              `if it is deployed, check that its role is ${a.executionRoleArn} and that its ExternalId matches the policy's`,
          };
        }
      }),
    );
  },
};
