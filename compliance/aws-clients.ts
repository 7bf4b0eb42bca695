// Read-only clients in one target account: the broker assumes the account's SafeguardExecution role
// with the policy's ExternalId (hub and spokes, DESIGN.md §4), under a session name of its own so
// CloudTrail tells the compliance report's reads from the worker's work.
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import type { AwsCredentialIdentity } from '@smithy/types';

export interface ComplianceAwsClients {
  cloudTrail: CloudTrailClient;
  config: ConfigServiceClient;
  ec2: EC2Client;
  elb: ElasticLoadBalancingV2Client;
  guardDuty: GuardDutyClient;
  iam: IAMClient;
  kms: KMSClient;
  rds: RDSClient;
  s3: S3Client;
  securityHub: SecurityHubClient;
  waf: WAFV2Client;
}

export interface ComplianceAwsConfig {
  region: string;
  endpoint?: string;
  /** Undefined: the SDK's default chain (the broker's identity where the CLI runs). */
  brokerCredentials?: AwsCredentialIdentity;
}

export const COMPLIANCE_SESSION_NAME = 'safeguard-compliance';

function options(cfg: ComplianceAwsConfig, credentials: AwsCredentialIdentity | undefined) {
  return { region: cfg.region, ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}), ...(credentials ? { credentials } : {}), maxAttempts: 2 };
}

export function clientsWith(cfg: ComplianceAwsConfig, credentials: AwsCredentialIdentity | undefined): ComplianceAwsClients {
  const o = options(cfg, credentials);
  return {
    cloudTrail: new CloudTrailClient(o),
    config: new ConfigServiceClient(o),
    ec2: new EC2Client(o),
    elb: new ElasticLoadBalancingV2Client(o),
    guardDuty: new GuardDutyClient(o),
    iam: new IAMClient(o),
    kms: new KMSClient(o),
    rds: new RDSClient(o),
    // Path style against an endpoint override (the sandbox); buckets of other regions follow redirects.
    s3: new S3Client({ ...o, forcePathStyle: cfg.endpoint !== undefined, followRegionRedirects: true }),
    securityHub: new SecurityHubClient(o),
    waf: new WAFV2Client(o),
  };
}

export function destroyClients(c: ComplianceAwsClients): void {
  for (const client of Object.values(c)) client.destroy();
}

/** Assumes the account's execution role; throws what STS throws (the caller reports the account as not checked). */
export async function assumeExecutionRole(cfg: ComplianceAwsConfig, account: { executionRoleArn: string; externalId: string }): Promise<AwsCredentialIdentity> {
  const sts = new STSClient(options(cfg, cfg.brokerCredentials));
  try {
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: account.executionRoleArn, RoleSessionName: COMPLIANCE_SESSION_NAME, ExternalId: account.externalId, DurationSeconds: 900 }));
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole on ${account.executionRoleArn} returned no credentials`);
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}) };
  } finally {
    sts.destroy();
  }
}
