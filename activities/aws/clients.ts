// AWS clients for the worker. Hub and spokes (DESIGN.md §4): the worker's own identity is the
// broker; in each target account it assumes SafeguardExecution (with the ExternalId) and caches
// those credentials until shortly before they expire. The endpoint comes from configuration so the
// same code runs against the sandbox and real AWS.
import { BackupClient } from '@aws-sdk/client-backup';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { awsCall } from './errors';

export interface AwsConfig {
  region: string;
  /** Sandbox or VPC endpoint; undefined means the SDK's default AWS endpoints. */
  endpoint?: string;
  /** Broker credentials; undefined means the SDK's default provider chain. */
  brokerCredentials?: AwsCredentialIdentity;
}

export interface AccountTarget {
  accountId: string;
  executionRoleArn: string;
  externalId: string;
}

export interface AccountClients {
  iam: IAMClient;
  ssm: SSMClient;
  kms: KMSClient;
  secretsManager: SecretsManagerClient;
  cloudTrail: CloudTrailClient;
  /**
   * CloudTrail in the region where AWS records root console sign-ins (us-east-1 in the commercial
   * partition, whatever region the worker runs in): LookupEvents answers for its own region only.
   */
  signInTrail: CloudTrailClient;
  rds: RDSClient;
  dynamodb: DynamoDBClient;
  backup: BackupClient;
  /** Identity Center (where the account hosts the instance or is its delegated administrator). */
  ssoAdmin: SSOAdminClient;
  identityStore: IdentitystoreClient;
}

/** The region CloudTrail records root console sign-ins in, for the worker's partition. */
export function signInRegion(region: string): string {
  if (region.startsWith('us-gov-')) return 'us-gov-west-1';
  if (region.startsWith('cn-')) return 'cn-north-1';
  return 'us-east-1';
}

/** Re-assume this long before the cached execution-role credentials expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;

export class AwsClients {
  private readonly cache = new Map<string, { clients: AccountClients; expiresAt: number }>();
  private readonly broker: STSClient;

  constructor(private readonly config: AwsConfig) {
    this.broker = new STSClient(this.options(config.brokerCredentials));
  }

  brokerSts(): STSClient {
    return this.broker;
  }

  stsWith(credentials: AwsCredentialIdentity): STSClient {
    return new STSClient(this.options(credentials));
  }

  ssmWith(credentials: AwsCredentialIdentity): SSMClient {
    return new SSMClient(this.options(credentials));
  }

  async forAccount(target: AccountTarget): Promise<AccountClients> {
    const key = `${target.accountId}|${target.executionRoleArn}`;
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt - REFRESH_MARGIN_MS > Date.now()) return hit.clients;
    const out = await this.broker.send(
      new AssumeRoleCommand({
        RoleArn: target.executionRoleArn,
        RoleSessionName: 'safeguard-worker',
        ExternalId: target.externalId,
        DurationSeconds: 3600,
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole on ${target.executionRoleArn} returned no credentials`);
    const creds: AwsCredentialIdentity = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}) };
    const options = this.options(creds);
    const clients: AccountClients = {
      iam: new IAMClient(options),
      ssm: new SSMClient(options),
      kms: new KMSClient(options),
      secretsManager: new SecretsManagerClient(options),
      cloudTrail: new CloudTrailClient(options),
      signInTrail: new CloudTrailClient({ ...options, region: signInRegion(this.config.region) }),
      rds: new RDSClient(options),
      dynamodb: new DynamoDBClient(options),
      backup: new BackupClient(options),
      ssoAdmin: new SSOAdminClient(options),
      identityStore: new IdentitystoreClient(options),
    };
    this.cache.set(key, { clients, expiresAt: c.Expiration?.getTime() ?? Date.now() + 15 * 60_000 });
    return clients;
  }

  private options(credentials: AwsCredentialIdentity | undefined) {
    return {
      region: this.config.region,
      ...(this.config.endpoint ? { endpoint: this.config.endpoint } : {}),
      ...(credentials ? { credentials } : {}),
      // Activities own retries (with Temporal's backoff and visibility); the SDK tries twice.
      maxAttempts: 2,
    };
  }
}

export function roleNameFromArn(roleArn: string): string {
  const name = roleArn.split('/').pop();
  if (!name || !roleArn.startsWith('arn:aws:iam::')) throw new Error(`not a role ARN: ${roleArn}`);
  return name;
}

/** The account's clients for an activity: assuming the execution role fails like any AWS call. */
export async function accountClients(aws: AwsClients, target: AccountTarget): Promise<AccountClients> {
  return awsCall('AssumeRole(SafeguardExecution)', () => aws.forAccount(target));
}
