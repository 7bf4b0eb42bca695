// Seeds what `safeguard compliance` checks (docs/compliance.md): one account where every AWS row is
// compliant and one where every AWS row is not, so the report shows both from the same code paths.
// Talks to moto directly (like the rest of the seed) in each account through x-moto-account-id.
//
// compliant account:     a multi-region trail with log file validation, logging; flow logs on every
//                        VPC; versioned buckets with server access logging; an RDS instance with 7
//                        days of automated backups; a KMS key with rotation on; a security group open
//                        to the world on 443 only; an ALB with an HTTPS listener on a TLS 1.2+ policy,
//                        an HTTP listener redirecting to HTTPS and a WAF web ACL; a recording AWS
//                        Config recorder; a GuardDuty detector; Security Hub.
// non-compliant account: the opposite of each (a single-region trail without validation, not
//                        logging; no flow logs; a bucket without logging or versioning; an RDS
//                        instance without backups; a key without rotation; a security group open to
//                        0.0.0.0/0 on 5432 and ::/0 on 22; an ALB forwarding plain HTTP and an HTTPS
//                        listener on a TLS 1.0 policy, no WAF; Config stopped; no detector; no hub).
// Everything is tagged `safeguard:compliance-seed` and named `sg-compliance-*`.

import { CloudTrailClient, CreateTrailCommand, StartLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { ConfigServiceClient, PutConfigurationRecorderCommand, PutDeliveryChannelCommand, StartConfigurationRecorderCommand } from '@aws-sdk/client-config-service';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateFlowLogsCommand,
  CreateSecurityGroupCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateDetectorCommand, GuardDutyClient } from '@aws-sdk/client-guardduty';
import { CreateKeyCommand, EnableKeyRotationCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { CreateBucketCommand, PutBucketAclCommand, PutBucketLoggingCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { EnableSecurityHubCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { AssociateWebACLCommand, CreateWebACLCommand, WAFV2Client } from '@aws-sdk/client-wafv2';
import { inMotoAccount } from './moto-account';

export interface SeedComplianceClient {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface ComplianceSeedTargets {
  /** Gets a compliant resource for every AWS row; absent: nothing compliant is seeded. */
  compliant?: string;
  /** Gets a non-compliant resource for every AWS row. */
  noncompliant: string;
}

/** What was seeded, by account: for tests to name the resources they expect in the report. */
export interface ComplianceSeed {
  compliantAccount: string | null;
  noncompliantAccount: string;
  region: string;
  resources: Record<string, { trail: string; buckets: string[]; dbInstance: string; keyId: string; securityGroup: string; loadBalancer: string }>;
}

const TAG = { Key: 'safeguard:compliance-seed', Value: 'true' };
const WORLD_DB_PORT = 5432;
const TLS12_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';
const OLD_TLS_POLICY = 'ELBSecurityPolicy-2016-08';

type Clients = ReturnType<typeof clientsFor>;

function clientsFor(c: SeedComplianceClient, account: string) {
  const opts = { endpoint: c.endpoint, region: c.region, credentials: c.credentials, maxAttempts: 3 };
  return {
    s3: inMotoAccount(new S3Client({ ...opts, forcePathStyle: true }), account),
    cloudTrail: inMotoAccount(new CloudTrailClient(opts), account),
    ec2: inMotoAccount(new EC2Client(opts), account),
    rds: inMotoAccount(new RDSClient(opts), account),
    kms: inMotoAccount(new KMSClient(opts), account),
    elb: inMotoAccount(new ElasticLoadBalancingV2Client(opts), account),
    waf: inMotoAccount(new WAFV2Client(opts), account),
    config: inMotoAccount(new ConfigServiceClient(opts), account),
    guardDuty: inMotoAccount(new GuardDutyClient(opts), account),
    securityHub: inMotoAccount(new SecurityHubClient(opts), account),
  };
}

function destroy(c: Clients): void {
  for (const client of Object.values(c)) client.destroy();
}

export async function seedCompliance(client: SeedComplianceClient, targets: ComplianceSeedTargets): Promise<ComplianceSeed> {
  const resources: ComplianceSeed['resources'] = {};
  const jobs: Promise<void>[] = [
    seedAccount(client, targets.noncompliant, false).then((r) => {
      resources[targets.noncompliant] = r;
    }),
  ];
  if (targets.compliant !== undefined && targets.compliant !== targets.noncompliant) {
    const good = targets.compliant;
    jobs.push(
      seedAccount(client, good, true).then((r) => {
        resources[good] = r;
      }),
    );
  }
  await Promise.all(jobs);
  return { compliantAccount: targets.compliant ?? null, noncompliantAccount: targets.noncompliant, region: client.region, resources };
}

async function seedAccount(client: SeedComplianceClient, account: string, good: boolean): Promise<ComplianceSeed['resources'][string]> {
  const c = clientsFor(client, account);
  const suffix = good ? 'ok' : 'bad';
  try {
    const [buckets, trail] = await seedBucketsAndTrail(c, account, suffix, good);
    const [dbInstance, keyId, network] = await Promise.all([
      seedDatabase(c, suffix, good),
      seedKey(c, good),
      seedNetwork(c, account, suffix, good),
      seedDetectors(c, account, good),
    ]);
    return { trail, buckets, dbInstance, keyId, securityGroup: network.securityGroup, loadBalancer: network.loadBalancer };
  } finally {
    destroy(c);
  }
}

async function seedBucketsAndTrail(c: Clients, account: string, suffix: string, good: boolean): Promise<[string[], string]> {
  // Bucket names are global in S3 (and in moto across accounts): the account id keeps them apart.
  const logs = `sg-compliance-logs-${suffix}-${account}`;
  const data = `sg-compliance-phi-${suffix}-${account}`;
  await Promise.all([logs, data].map((Bucket) => c.s3.send(new CreateBucketCommand({ Bucket }))));
  if (good) {
    // The log-delivery group may write (moto, like S3's legacy ACL mode, requires it of a log target).
    const logDelivery = 'uri="http://acs.amazonaws.com/groups/s3/LogDelivery"';
    await c.s3.send(new PutBucketAclCommand({ Bucket: logs, GrantWrite: logDelivery, GrantReadACP: logDelivery }));
    await Promise.all(
      [logs, data].flatMap((Bucket) => [
        c.s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } })),
        c.s3.send(new PutBucketLoggingCommand({ Bucket, BucketLoggingStatus: { LoggingEnabled: { TargetBucket: logs, TargetPrefix: `access/${Bucket}/` } } })),
      ]),
    );
  }
  const trail = `sg-compliance-trail-${suffix}`;
  await c.cloudTrail.send(
    new CreateTrailCommand({ Name: trail, S3BucketName: logs, IsMultiRegionTrail: good, EnableLogFileValidation: good, TagsList: [TAG] }),
  );
  if (good) await c.cloudTrail.send(new StartLoggingCommand({ Name: trail }));
  return [[logs, data], trail];
}

async function seedDatabase(c: Clients, suffix: string, good: boolean): Promise<string> {
  const id = `sg-compliance-db-${suffix}`;
  await c.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: 'postgres',
      DBInstanceClass: 'db.t3.micro',
      AllocatedStorage: 20,
      MasterUsername: 'sgadmin',
      MasterUserPassword: 'sandbox-only-password',
      BackupRetentionPeriod: good ? 7 : 0,
      Tags: [TAG],
    }),
  );
  return id;
}

async function seedKey(c: Clients, good: boolean): Promise<string> {
  const key = await c.kms.send(new CreateKeyCommand({ Description: `sg-compliance key (${good ? 'rotating' : 'not rotating'})`, Tags: [{ TagKey: TAG.Key, TagValue: TAG.Value }] }));
  const keyId = key.KeyMetadata?.KeyId;
  if (!keyId) throw new Error('seeding compliance: moto returned no key id');
  if (good) await c.kms.send(new EnableKeyRotationCommand({ KeyId: keyId }));
  return keyId;
}

async function seedNetwork(c: Clients, account: string, suffix: string, good: boolean): Promise<{ securityGroup: string; loadBalancer: string }> {
  const vpcs = (await c.ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? [];
  const vpc = vpcs.find((v) => v.IsDefault) ?? vpcs[0];
  if (!vpc?.VpcId) throw new Error(`seeding compliance: account ${account} has no VPC`);
  const vpcId = vpc.VpcId;
  const sg = await c.ec2.send(new CreateSecurityGroupCommand({ GroupName: `sg-compliance-${suffix}`, Description: 'Safeguard compliance seed', VpcId: vpcId }));
  const groupId = sg.GroupId;
  if (!groupId) throw new Error('seeding compliance: moto returned no security group id');
  await c.ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: good
        ? [
            { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
            { IpProtocol: 'tcp', FromPort: WORLD_DB_PORT, ToPort: WORLD_DB_PORT, IpRanges: [{ CidrIp: '10.0.0.0/16' }] },
          ]
        : [
            { IpProtocol: 'tcp', FromPort: WORLD_DB_PORT, ToPort: WORLD_DB_PORT, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
            { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
          ],
    }),
  );
  // Every VPC of a compliant account has flow logs (the default VPC included).
  if (good) {
    await c.ec2.send(
      new CreateFlowLogsCommand({
        ResourceIds: vpcs.flatMap((v) => (v.VpcId ? [v.VpcId] : [])),
        ResourceType: 'VPC',
        TrafficType: 'ALL',
        LogDestinationType: 's3',
        // moto looks up the whole ARN tail as the bucket name: no key prefix.
        LogDestination: `arn:aws:s3:::sg-compliance-logs-${suffix}-${account}`,
      }),
    );
  }
  const subnets = ((await c.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets ?? []).flatMap((s) => (s.SubnetId ? [s.SubnetId] : []));
  const lb = await c.elb.send(new CreateLoadBalancerCommand({ Name: `sg-compliance-alb-${suffix}`, Subnets: subnets.slice(0, 2), SecurityGroups: [groupId], Type: 'application', Tags: [TAG] }));
  const lbArn = lb.LoadBalancers?.[0]?.LoadBalancerArn;
  if (!lbArn) throw new Error('seeding compliance: moto returned no load balancer ARN');
  const tg = await c.elb.send(new CreateTargetGroupCommand({ Name: `sg-compliance-tg-${suffix}`, Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'instance' }));
  const tgArn = tg.TargetGroups?.[0]?.TargetGroupArn;
  if (!tgArn) throw new Error('seeding compliance: moto returned no target group ARN');
  // An IAM server certificate ARN: moto checks ACM certificates exist, not IAM ones.
  const certificate = `arn:aws:iam::${account}:server-certificate/sg-compliance-${suffix}`;
  await c.elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lbArn,
      Protocol: 'HTTPS',
      Port: 443,
      SslPolicy: good ? TLS12_POLICY : OLD_TLS_POLICY,
      Certificates: [{ CertificateArn: certificate }],
      DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }],
    }),
  );
  await c.elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lbArn,
      Protocol: 'HTTP',
      Port: 80,
      DefaultActions: good ? [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }] : [{ Type: 'forward', TargetGroupArn: tgArn }],
    }),
  );
  if (good) {
    const acl = await c.waf.send(
      new CreateWebACLCommand({
        Name: `sg-compliance-acl-${suffix}`,
        Scope: 'REGIONAL',
        DefaultAction: { Allow: {} },
        Rules: [],
        VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'sg-compliance' },
      }),
    );
    const aclArn = acl.Summary?.ARN;
    if (!aclArn) throw new Error('seeding compliance: moto returned no web ACL ARN');
    await c.waf.send(new AssociateWebACLCommand({ WebACLArn: aclArn, ResourceArn: lbArn }));
  }
  return { securityGroup: groupId, loadBalancer: lbArn };
}

async function seedDetectors(c: Clients, account: string, good: boolean): Promise<void> {
  // Config records in both accounts' setup, but is started only where compliant.
  await c.config.send(
    new PutConfigurationRecorderCommand({
      ConfigurationRecorder: { name: 'default', roleARN: `arn:aws:iam::${account}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`, recordingGroup: { allSupported: true, includeGlobalResourceTypes: true } },
    }),
  );
  if (!good) return;
  await c.config.send(new PutDeliveryChannelCommand({ DeliveryChannel: { name: 'default', s3BucketName: `sg-compliance-logs-ok-${account}` } }));
  await Promise.all([
    c.config.send(new StartConfigurationRecorderCommand({ ConfigurationRecorderName: 'default' })),
    c.guardDuty.send(new CreateDetectorCommand({ Enable: true })),
    c.securityHub.send(new EnableSecurityHubCommand({ EnableDefaultStandards: false })),
  ]);
}
