// The rows about AWS configuration, read (never written) in each account of the policy through its
// SafeguardExecution role (docs/compliance.md). Each check gives one Finding per account. A refused
// call makes the account's finding "not checked: <action> refused", never compliant; an API the
// endpoint does not serve (moto answers unimplemented actions with an HTML 500) is "not checked"
// with that reason, never a guess.
import { DescribeTrailsCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import type { Trail } from '@aws-sdk/client-cloudtrail';
import { DescribeConfigurationRecorderStatusCommand } from '@aws-sdk/client-config-service';
import { DescribeFlowLogsCommand, DescribeSecurityGroupsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import type { IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import { DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeRulesCommand, DescribeSSLPoliciesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Listener, LoadBalancer } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetDetectorCommand, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { DescribeKeyCommand, GetKeyRotationStatusCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { GetBucketLoggingCommand, GetBucketVersioningCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { DescribeHubCommand } from '@aws-sdk/client-securityhub';
import { GetWebACLForResourceCommand } from '@aws-sdk/client-wafv2';
import type { ComplianceAwsClients } from './aws-clients';
import type { EvidenceRef, Finding, Status } from './model';

export interface AccountScope {
  accountId: string;
  name: string;
  region: string;
  /** The policy's break-glass and fire-drill role ARNs in this account. */
  breakGlassRoleArns: string[];
}

/** Ports an administrator or a database listens on: never open to the whole internet. */
export const ADMIN_AND_DATABASE_PORTS: Record<number, string> = {
  22: 'SSH',
  3389: 'RDP',
  3306: 'MySQL',
  5432: 'PostgreSQL',
  1433: 'SQL Server',
  1521: 'Oracle',
  27017: 'MongoDB',
  6379: 'Redis',
  9200: 'Elasticsearch',
  5439: 'Redshift',
  11211: 'Memcached',
  2375: 'Docker API',
};

/** Automated backups must be kept at least this long (the restorable window for point-in-time recovery). */
export const MIN_BACKUP_RETENTION_DAYS = 7;
/** A console (break-glass) session must end within an hour (the seed's "Console: 1-hour idle"). */
export const MAX_BREAK_GLASS_SESSION_S = 3600;
/** TLS versions older than 1.2. */
const OLD_PROTOCOLS = new Set(['SSLv3', 'TLSv1', 'TLSv1.1']);
/** Restore drills' scratch instances (deleted after every drill): not the customer's databases. */
const DRILL_SCRATCH = /^sg-drill-/;

/** Thrown by a check when it cannot answer; the runner turns it into a "not checked" finding. */
export class NotChecked extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'NotChecked';
  }
}

const REFUSED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'AuthorizationErrorException', 'UnauthorizedAccess', 'Forbidden', 'InvalidClientTokenId']);

/** Why an AWS call failed, as a "not checked" reason. */
export function notCheckedReason(action: string, err: unknown): string {
  const e = err as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number }; $response?: { statusCode?: number; body?: unknown } };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const message = typeof e.message === 'string' ? e.message.replace(/\s+/g, ' ').slice(0, 160) : '';
  if (REFUSED.has(name) || status === 403) return `${action} refused (${name})`;
  // An unimplemented action behind the sandbox (moto's HTML error page) or a service the endpoint does not have.
  if ((status === 500 || status === 404 || status === 501) && /<!doctype html|<html|not been implemented|Unable to find appropriate backend|Deserialization error|expected .* but/i.test(`${message} ${name}`)) {
    return `${action} is not served by this endpoint (HTTP ${status}: the API is not implemented there)`;
  }
  if (status === 500 && /^(?:Error|UnknownError|InternalFailure|InternalError)$/.test(name)) return `${action} is not served by this endpoint (HTTP 500)`;
  return `${action} failed: ${name}${message && !message.startsWith(name) ? `: ${message}` : ''}`;
}

async function call<T>(action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new NotChecked(notCheckedReason(action, err));
  }
}

/** Shared reads of one account (several checks use the same trails, buckets and load balancers). */
export class AccountReads {
  private readonly memo = new Map<string, Promise<unknown>>();
  constructor(
    readonly c: ComplianceAwsClients,
    readonly scope: AccountScope,
  ) {}

  once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      this.memo.set(key, p);
    }
    return p;
  }

  aws(api: string, resource: string): EvidenceRef {
    return { type: 'aws', account: this.scope.accountId, region: this.scope.region, api, resource };
  }

  trails(): Promise<{ trail: Trail; logging: boolean }[]> {
    return this.once('trails', async () => {
      const out = await call('cloudtrail:DescribeTrails', () => this.c.cloudTrail.send(new DescribeTrailsCommand({ includeShadowTrails: true })));
      return Promise.all(
        (out.trailList ?? []).map(async (trail) => {
          const status = await call('cloudtrail:GetTrailStatus', () => this.c.cloudTrail.send(new GetTrailStatusCommand({ Name: trail.TrailARN ?? trail.Name })));
          return { trail, logging: status.IsLogging === true };
        }),
      );
    });
  }

  buckets(): Promise<string[]> {
    return this.once('buckets', async () => {
      const out = await call('s3:ListBuckets', () => this.c.s3.send(new ListBucketsCommand({})));
      return (out.Buckets ?? []).flatMap((b) => (b.Name ? [b.Name] : []));
    });
  }

  albs(): Promise<{ lb: LoadBalancer; listeners: Listener[] }[]> {
    return this.once('albs', async () => {
      const out = await call('elasticloadbalancing:DescribeLoadBalancers', () => this.c.elb.send(new DescribeLoadBalancersCommand({})));
      const albs = (out.LoadBalancers ?? []).filter((lb) => lb.Type === 'application' && lb.LoadBalancerArn);
      return Promise.all(
        albs.map(async (lb) => {
          const l = await call('elasticloadbalancing:DescribeListeners', () => this.c.elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn })));
          return { lb, listeners: l.Listeners ?? [] };
        }),
      );
    });
  }
}

export interface AwsCheck {
  id: string;
  title: string;
  /** The APIs it calls. */
  looked: string;
  run(r: AccountReads): Promise<Omit<Finding, 'account' | 'region'> | null>;
}

const finding = (status: Status, reason: string, refs: EvidenceRef[]): Omit<Finding, 'account' | 'region'> => ({ status, reason, refs });
const list = (xs: string[], max = 5): string => (xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`);

const cloudTrailMultiRegion: AwsCheck = {
  id: 'cloudtrail-multi-region',
  title: 'CloudTrail: a multi-region trail that is logging',
  looked: 'cloudtrail:DescribeTrails (with shadow trails), cloudtrail:GetTrailStatus',
  async run(r) {
    const trails = await r.trails();
    const good = trails.filter((t) => t.trail.IsMultiRegionTrail === true && t.logging);
    const refs = trails.map((t) => r.aws('cloudtrail:GetTrailStatus', t.trail.TrailARN ?? t.trail.Name ?? '?'));
    if (good.length > 0) return finding('compliant', `multi-region trail logging: ${list(good.map((t) => t.trail.Name ?? '?'))}`, refs);
    if (trails.length === 0) return finding('non-compliant', 'no CloudTrail trail', []);
    return finding('non-compliant', `no multi-region trail that is logging (${list(trails.map((t) => `${t.trail.Name ?? '?'}: ${t.trail.IsMultiRegionTrail ? 'multi-region' : 'single-region'}, ${t.logging ? 'logging' : 'not logging'}`))})`, refs);
  },
};

const cloudTrailValidation: AwsCheck = {
  id: 'cloudtrail-validation',
  title: 'CloudTrail: log file validation on a multi-region trail',
  looked: 'cloudtrail:DescribeTrails (LogFileValidationEnabled), cloudtrail:GetTrailStatus',
  async run(r) {
    const trails = await r.trails();
    const refs = trails.map((t) => r.aws('cloudtrail:DescribeTrails', t.trail.TrailARN ?? t.trail.Name ?? '?'));
    const good = trails.filter((t) => t.trail.IsMultiRegionTrail === true && t.logging && t.trail.LogFileValidationEnabled === true);
    if (good.length > 0) return finding('compliant', `log file validation on ${list(good.map((t) => t.trail.Name ?? '?'))}`, refs);
    if (trails.length === 0) return finding('non-compliant', 'no CloudTrail trail', []);
    const without = trails.filter((t) => t.trail.LogFileValidationEnabled !== true).map((t) => t.trail.Name ?? '?');
    return finding('non-compliant', without.length > 0 ? `log file validation off on ${list(without)}` : 'validation is on only for trails that are not multi-region and logging', refs);
  },
};

const flowLogs: AwsCheck = {
  id: 'flow-logs',
  title: 'VPC Flow Logs on every VPC',
  looked: 'ec2:DescribeVpcs, ec2:DescribeFlowLogs',
  async run(r) {
    const [vpcs, logs] = await Promise.all([
      call('ec2:DescribeVpcs', () => r.c.ec2.send(new DescribeVpcsCommand({}))),
      call('ec2:DescribeFlowLogs', () => r.c.ec2.send(new DescribeFlowLogsCommand({}))),
    ]);
    const ids = (vpcs.Vpcs ?? []).flatMap((v) => (v.VpcId ? [v.VpcId] : []));
    if (ids.length === 0) return finding('compliant', 'no VPC in the region', []);
    const logged = new Set((logs.FlowLogs ?? []).filter((f) => (f.FlowLogStatus ?? 'ACTIVE') === 'ACTIVE').flatMap((f) => (f.ResourceId ? [f.ResourceId] : [])));
    const missing = ids.filter((id) => !logged.has(id));
    const refs = ids.map((id) => r.aws('ec2:DescribeFlowLogs', id));
    return missing.length === 0 ? finding('compliant', `flow logs on all ${ids.length} VPC(s)`, refs) : finding('non-compliant', `no active flow log on ${list(missing)}`, refs);
  },
};

const s3Logging: AwsCheck = {
  id: 's3-logging',
  title: 'S3 server access logging on every bucket',
  looked: 's3:ListBuckets, s3:GetBucketLogging',
  async run(r) {
    const buckets = await r.buckets();
    if (buckets.length === 0) return finding('compliant', 'no S3 bucket', []);
    const states = await Promise.all(buckets.map(async (b) => ({ b, on: (await call('s3:GetBucketLogging', () => r.c.s3.send(new GetBucketLoggingCommand({ Bucket: b })))).LoggingEnabled?.TargetBucket !== undefined })));
    const off = states.filter((s) => !s.on).map((s) => s.b);
    const refs = buckets.map((b) => r.aws('s3:GetBucketLogging', `arn:aws:s3:::${b}`));
    return off.length === 0 ? finding('compliant', `access logging on all ${buckets.length} bucket(s)`, refs) : finding('non-compliant', `no access logging on ${list(off)}`, refs);
  },
};

const s3Versioning: AwsCheck = {
  id: 's3-versioning',
  title: 'S3 versioning on every bucket',
  looked: 's3:ListBuckets, s3:GetBucketVersioning',
  async run(r) {
    const buckets = await r.buckets();
    if (buckets.length === 0) return finding('compliant', 'no S3 bucket', []);
    const states = await Promise.all(buckets.map(async (b) => ({ b, status: (await call('s3:GetBucketVersioning', () => r.c.s3.send(new GetBucketVersioningCommand({ Bucket: b })))).Status ?? 'never enabled' })));
    const off = states.filter((s) => s.status !== 'Enabled').map((s) => `${s.b} (${s.status})`);
    const refs = buckets.map((b) => r.aws('s3:GetBucketVersioning', `arn:aws:s3:::${b}`));
    return off.length === 0 ? finding('compliant', `versioning on all ${buckets.length} bucket(s)`, refs) : finding('non-compliant', `versioning off on ${list(off)}`, refs);
  },
};

const rdsBackups: AwsCheck = {
  id: 'rds-backups',
  title: `RDS automated backups (point-in-time recovery) kept ≥ ${MIN_BACKUP_RETENTION_DAYS} days`,
  looked: 'rds:DescribeDBInstances (BackupRetentionPeriod)',
  async run(r) {
    const out = await call('rds:DescribeDBInstances', () => r.c.rds.send(new DescribeDBInstancesCommand({})));
    const dbs = (out.DBInstances ?? []).filter((d) => d.DBInstanceIdentifier && !DRILL_SCRATCH.test(d.DBInstanceIdentifier));
    if (dbs.length === 0) return finding('compliant', 'no DB instance', []);
    const short = dbs.filter((d) => (d.BackupRetentionPeriod ?? 0) < MIN_BACKUP_RETENTION_DAYS).map((d) => `${d.DBInstanceIdentifier ?? '?'} (${d.BackupRetentionPeriod ?? 0} days)`);
    const refs = dbs.map((d) => r.aws('rds:DescribeDBInstances', d.DBInstanceArn ?? d.DBInstanceIdentifier ?? '?'));
    return short.length === 0
      ? finding('compliant', `automated backups on all ${dbs.length} DB instance(s) (${list(dbs.map((d) => `${d.DBInstanceIdentifier ?? '?'}: ${d.BackupRetentionPeriod ?? 0} days`))})`, refs)
      : finding('non-compliant', `backups kept under ${MIN_BACKUP_RETENTION_DAYS} days: ${list(short)}`, refs);
  },
};

const kmsRotation: AwsCheck = {
  id: 'kms-rotation',
  title: 'KMS customer managed keys present, rotation on',
  looked: 'kms:ListKeys, kms:DescribeKey, kms:GetKeyRotationStatus',
  async run(r) {
    const keys = await call('kms:ListKeys', () => r.c.kms.send(new ListKeysCommand({ Limit: 1000 })));
    const described = await Promise.all((keys.Keys ?? []).flatMap((k) => (k.KeyId ? [k.KeyId] : [])).map((id) => call('kms:DescribeKey', () => r.c.kms.send(new DescribeKeyCommand({ KeyId: id })))));
    // Rotation applies to enabled symmetric customer managed keys (AWS managed keys rotate themselves).
    const cmks = described.flatMap((d) => (d.KeyMetadata?.KeyId && d.KeyMetadata.KeyManager !== 'AWS' && d.KeyMetadata.KeyState === 'Enabled' && (d.KeyMetadata.KeySpec ?? 'SYMMETRIC_DEFAULT') === 'SYMMETRIC_DEFAULT' ? [d.KeyMetadata] : []));
    if (cmks.length === 0) return finding('non-compliant', 'no enabled customer managed symmetric key', []);
    const states = await Promise.all(cmks.map(async (k) => ({ k, on: (await call('kms:GetKeyRotationStatus', () => r.c.kms.send(new GetKeyRotationStatusCommand({ KeyId: k.KeyId })))).KeyRotationEnabled === true })));
    const off = states.filter((s) => !s.on).map((s) => s.k.KeyId ?? '?');
    const refs = cmks.map((k) => r.aws('kms:GetKeyRotationStatus', k.Arn ?? k.KeyId ?? '?'));
    return off.length === 0 ? finding('compliant', `rotation on for all ${cmks.length} customer managed key(s)`, refs) : finding('non-compliant', `rotation off for ${list(off)}`, refs);
  },
};

/** The admin or database ports a rule opens to 0.0.0.0/0 or ::/0. */
export function worldOpenPorts(p: IpPermission): number[] {
  const world = (p.IpRanges ?? []).some((x) => x.CidrIp === '0.0.0.0/0') || (p.Ipv6Ranges ?? []).some((x) => x.CidrIpv6 === '::/0');
  if (!world) return [];
  const proto = p.IpProtocol ?? '-1';
  if (proto !== '-1' && proto !== 'tcp' && proto !== '6' && proto !== 'udp' && proto !== '17') return [];
  const all = proto === '-1' || p.FromPort === undefined || p.FromPort === -1;
  return Object.keys(ADMIN_AND_DATABASE_PORTS)
    .map(Number)
    .filter((port) => all || (port >= (p.FromPort ?? 0) && port <= (p.ToPort ?? p.FromPort ?? 0)));
}

export function openGroups(groups: SecurityGroup[]): { group: SecurityGroup; ports: number[] }[] {
  return groups.flatMap((group) => {
    const ports = [...new Set((group.IpPermissions ?? []).flatMap(worldOpenPorts))].sort((a, b) => a - b);
    return ports.length > 0 ? [{ group, ports }] : [];
  });
}

const securityGroups: AwsCheck = {
  id: 'security-groups',
  title: 'No security group opens an admin or database port to the internet',
  looked: `ec2:DescribeSecurityGroups (ingress from 0.0.0.0/0 or ::/0 on ${Object.keys(ADMIN_AND_DATABASE_PORTS).join(', ')})`,
  async run(r) {
    const out = await call('ec2:DescribeSecurityGroups', () => r.c.ec2.send(new DescribeSecurityGroupsCommand({})));
    const groups = out.SecurityGroups ?? [];
    const open = openGroups(groups);
    if (open.length === 0) return finding('compliant', `none of ${groups.length} security group(s) opens an admin or database port to the internet`, []);
    return finding(
      'non-compliant',
      `open to the internet: ${list(open.map((o) => `${o.group.GroupId ?? '?'} (${o.group.GroupName ?? ''}) on ${o.ports.map((p) => `${p}/${ADMIN_AND_DATABASE_PORTS[p] ?? ''}`).join(', ')}`))}`,
      open.map((o) => r.aws('ec2:DescribeSecurityGroups', o.group.GroupId ?? '?')),
    );
  },
};

/** Whether a listener TLS policy allows only TLS 1.2 and later (DescribeSSLPolicies), cached per account. */
async function modernTls(r: AccountReads, policy: string): Promise<boolean> {
  return r.once(`ssl:${policy}`, async () => {
    const out = await call('elasticloadbalancing:DescribeSSLPolicies', () => r.c.elb.send(new DescribeSSLPoliciesCommand({ Names: [policy] })));
    const p = (out.SslPolicies ?? []).find((x) => x.Name === policy);
    if (!p?.SslProtocols || p.SslProtocols.length === 0) throw new NotChecked(`elasticloadbalancing:DescribeSSLPolicies does not describe ${policy}`);
    return !p.SslProtocols.some((x) => OLD_PROTOCOLS.has(x));
  });
}

const albTls: AwsCheck = {
  id: 'alb-tls',
  title: 'ALB HTTPS listeners allow only TLS 1.2+',
  looked: 'elasticloadbalancing:DescribeLoadBalancers, DescribeListeners, DescribeSSLPolicies',
  async run(r) {
    const albs = await r.albs();
    if (albs.length === 0) return finding('compliant', 'no application load balancer', []);
    const bad: string[] = [];
    let https = 0;
    for (const { lb, listeners } of albs) {
      for (const l of listeners.filter((x) => x.Protocol === 'HTTPS')) {
        https += 1;
        const policy = l.SslPolicy ?? '(none)';
        if (!l.SslPolicy || !(await modernTls(r, l.SslPolicy))) bad.push(`${lb.LoadBalancerName ?? '?'}:${l.Port ?? '?'} (${policy})`);
      }
    }
    const refs = albs.flatMap((a) => a.listeners.map((l) => r.aws('elasticloadbalancing:DescribeListeners', l.ListenerArn ?? '?')));
    if (bad.length > 0) return finding('non-compliant', `TLS older than 1.2 allowed on ${list(bad)}`, refs);
    if (https === 0) return finding('non-compliant', `no HTTPS listener on ${list(albs.map((a) => a.lb.LoadBalancerName ?? '?'))}`, refs);
    return finding('compliant', `${https} HTTPS listener(s), all on TLS 1.2+ policies`, refs);
  },
};

const albRedirect: AwsCheck = {
  id: 'alb-https-redirect',
  title: 'ALB HTTP listeners redirect to HTTPS',
  looked: 'elasticloadbalancing:DescribeListeners, DescribeRules (default and rule actions of HTTP listeners)',
  async run(r) {
    const albs = await r.albs();
    if (albs.length === 0) return finding('compliant', 'no application load balancer', []);
    const bad: string[] = [];
    const refs: EvidenceRef[] = [];
    for (const { lb, listeners } of albs) {
      for (const l of listeners.filter((x) => x.Protocol === 'HTTP')) {
        refs.push(r.aws('elasticloadbalancing:DescribeRules', l.ListenerArn ?? '?'));
        const rules = await call('elasticloadbalancing:DescribeRules', () => r.c.elb.send(new DescribeRulesCommand({ ListenerArn: l.ListenerArn })));
        const actions = [...(l.DefaultActions ?? []), ...(rules.Rules ?? []).flatMap((x) => x.Actions ?? [])];
        const serves = actions.some((a) => a.Type === 'forward' || a.Type === 'fixed-response' || a.Type?.startsWith('authenticate'));
        const redirects = actions.some((a) => a.Type === 'redirect' && a.RedirectConfig?.Protocol === 'HTTPS');
        if (serves || !redirects) bad.push(`${lb.LoadBalancerName ?? '?'}:${l.Port ?? '?'}`);
      }
    }
    return bad.length === 0 ? finding('compliant', 'every HTTP listener redirects to HTTPS (or there is none)', refs) : finding('non-compliant', `HTTP served without redirect to HTTPS on ${list(bad)}`, refs);
  },
};

const waf: AwsCheck = {
  id: 'waf',
  title: 'A WAF web ACL on every ALB',
  looked: 'wafv2:GetWebACLForResource for each application load balancer',
  async run(r) {
    const albs = await r.albs();
    if (albs.length === 0) return finding('compliant', 'no application load balancer', []);
    const states = await Promise.all(
      albs.map(async ({ lb }) => ({ lb, acl: (await call('wafv2:GetWebACLForResource', () => r.c.waf.send(new GetWebACLForResourceCommand({ ResourceArn: lb.LoadBalancerArn })))).WebACL?.Name })),
    );
    const without = states.filter((s) => !s.acl).map((s) => s.lb.LoadBalancerName ?? '?');
    const refs = albs.map((a) => r.aws('wafv2:GetWebACLForResource', a.lb.LoadBalancerArn ?? '?'));
    return without.length === 0 ? finding('compliant', `web ACL on all ${albs.length} ALB(s) (${list(states.map((s) => `${s.lb.LoadBalancerName ?? '?'}: ${s.acl ?? ''}`))})`, refs) : finding('non-compliant', `no web ACL on ${list(without)}`, refs);
  },
};

const configRecorder: AwsCheck = {
  id: 'config-recorder',
  title: 'AWS Config is recording',
  looked: 'config:DescribeConfigurationRecorderStatus',
  async run(r) {
    const out = await call('config:DescribeConfigurationRecorderStatus', () => r.c.config.send(new DescribeConfigurationRecorderStatusCommand({})));
    const recorders = out.ConfigurationRecordersStatus ?? [];
    const on = recorders.filter((x) => x.recording === true);
    const refs = recorders.map((x) => r.aws('config:DescribeConfigurationRecorderStatus', x.name ?? '?'));
    if (on.length > 0) return finding('compliant', `recording: ${list(on.map((x) => x.name ?? '?'))}`, refs);
    return finding('non-compliant', recorders.length === 0 ? 'no configuration recorder' : `recorder ${list(recorders.map((x) => x.name ?? '?'))} not recording`, refs);
  },
};

const guardDuty: AwsCheck = {
  id: 'guardduty',
  title: 'GuardDuty detector enabled',
  looked: 'guardduty:ListDetectors, guardduty:GetDetector',
  async run(r) {
    const ids = (await call('guardduty:ListDetectors', () => r.c.guardDuty.send(new ListDetectorsCommand({})))).DetectorIds ?? [];
    if (ids.length === 0) return finding('non-compliant', 'no GuardDuty detector', []);
    const states = await Promise.all(ids.map(async (id) => ({ id, status: (await call('guardduty:GetDetector', () => r.c.guardDuty.send(new GetDetectorCommand({ DetectorId: id })))).Status })));
    const on = states.filter((s) => s.status === 'ENABLED');
    const refs = ids.map((id) => r.aws('guardduty:GetDetector', id));
    return on.length > 0 ? finding('compliant', `detector ${list(on.map((s) => s.id))} enabled`, refs) : finding('non-compliant', `detector ${list(states.map((s) => `${s.id} ${s.status ?? '?'}`))}`, refs);
  },
};

const securityHub: AwsCheck = {
  id: 'security-hub',
  title: 'Security Hub enabled',
  looked: 'securityhub:DescribeHub',
  async run(r) {
    try {
      const hub = await r.c.securityHub.send(new DescribeHubCommand({}));
      return finding('compliant', `enabled${hub.SubscribedAt ? ` since ${hub.SubscribedAt.slice(0, 10)}` : ''}`, [r.aws('securityhub:DescribeHub', hub.HubArn ?? 'hub')]);
    } catch (err) {
      const name = (err as { name?: unknown }).name;
      // AWS answers an account that never enabled Security Hub with InvalidAccessException ("not subscribed").
      if (name === 'InvalidAccessException' || name === 'ResourceNotFoundException') return finding('non-compliant', 'Security Hub is not enabled', []);
      throw new NotChecked(notCheckedReason('securityhub:DescribeHub', err));
    }
  },
};

const breakGlassSessions: AwsCheck = {
  id: 'break-glass-max-session',
  title: `Break-glass roles' sessions last ≤ ${MAX_BREAK_GLASS_SESSION_S / 3600} h`,
  looked: "iam:GetRole (MaxSessionDuration) on the policy's break-glass and fire-drill roles",
  async run(r) {
    if (r.scope.breakGlassRoleArns.length === 0) return null;
    const roles = await Promise.all(
      r.scope.breakGlassRoleArns.map(async (arn) => {
        const name = arn.split('/').pop() ?? arn;
        const out = await call('iam:GetRole', () => r.c.iam.send(new GetRoleCommand({ RoleName: name })));
        return { arn, max: out.Role?.MaxSessionDuration ?? 3600 };
      }),
    );
    const long = roles.filter((x) => x.max > MAX_BREAK_GLASS_SESSION_S).map((x) => `${x.arn.split('/').pop() ?? ''} (${x.max} s)`);
    const refs = roles.map((x) => r.aws('iam:GetRole', x.arn));
    return long.length === 0 ? finding('compliant', `${roles.length} role(s), sessions ≤ ${MAX_BREAK_GLASS_SESSION_S} s`, refs) : finding('non-compliant', `sessions longer than an hour allowed on ${list(long)}`, refs);
  },
};

export const AWS_CHECKS: readonly AwsCheck[] = [
  cloudTrailMultiRegion,
  cloudTrailValidation,
  flowLogs,
  s3Logging,
  s3Versioning,
  rdsBackups,
  kmsRotation,
  securityGroups,
  albTls,
  albRedirect,
  waf,
  configRecorder,
  guardDuty,
  securityHub,
  breakGlassSessions,
];

/** Runs one check in one account: its finding, "not checked" with the reason when it could not answer, or null where it does not apply. */
export async function runAwsCheck(check: AwsCheck, reads: AccountReads): Promise<Finding | null> {
  const where = { account: reads.scope.accountId, region: reads.scope.region };
  try {
    const f = await check.run(reads);
    return f ? { ...f, ...where } : null;
  } catch (err) {
    const reason = err instanceof NotChecked ? err.reason : `failed: ${err instanceof Error ? err.message : String(err)}`;
    return { status: 'not checked', reason, refs: [], ...where };
  }
}
