// Which checks decide each row of the customer's table, the rows Safeguard adds (its own evidence,
// where the customer's table has no row for it), and why the rest stay "not checked". A row of the
// table that is not listed here (a new customer version) is reported "not checked" too.

/** Checks by id: AWS checks (aws-checks.ts) and evidence checks (evidence-rows.ts). */
export type CheckId =
  | 'cloudtrail-multi-region'
  | 'cloudtrail-validation'
  | 'flow-logs'
  | 's3-logging'
  | 's3-versioning'
  | 'rds-backups'
  | 'kms-rotation'
  | 'security-groups'
  | 'alb-tls'
  | 'alb-https-redirect'
  | 'waf'
  | 'config-recorder'
  | 'guardduty'
  | 'security-hub'
  | 'break-glass-max-session'
  | 'emergency-access'
  | 'root-recovery'
  | 'grant-logoff'
  | 'kms-rotation-runs'
  | 'restore-drills'
  | 'access-reviews'
  | 'evidence-chain';

export type RowRule = { checks: CheckId[] } | { notChecked: string };

/** Customer rows by id (`<section slug>/<first cell slug>`, seed-table.ts). */
export const ROW_RULES: Record<string, RowRule> = {
  'access-control/unique-user-identification': {
    notChecked:
      "Safeguard binds each of its own actions to one verified person, but does not inventory the account's IAM users or the application's accounts; the access reviews (Person or Entity Authentication) flag unused and MFA-less principals",
  },
  'access-control/emergency-access-procedure': { checks: ['emergency-access', 'root-recovery'] },
  'access-control/automatic-logoff': { checks: ['grant-logoff', 'break-glass-max-session'] },
  'access-control/encryption-and-decryption': { checks: ['kms-rotation', 'kms-rotation-runs'] },
  'audit-controls/aws-api-activity': { checks: ['cloudtrail-multi-region'] },
  'audit-controls/network-activity': { checks: ['flow-logs'] },
  'audit-controls/application-activity': {
    notChecked: "the application's log groups are not named in the policy: nothing says which CloudWatch Logs groups are the application's, so their presence and retention are not read",
  },
  'audit-controls/s3-access': { checks: ['s3-logging'] },
  'integrity/phi-alteration-destruction-detection': { checks: ['cloudtrail-multi-region', 's3-versioning'] },
  'integrity/cloudtrail-log-integrity': { checks: ['cloudtrail-validation'] },
  'integrity/database-integrity': { checks: ['rds-backups'] },
  'transmission-security/guard-against-unauthorized-access': { checks: ['security-groups'] },
  'transmission-security/encryption-in-transit': { checks: ['alb-tls'] },
  'transmission-security/https-enforcement': { checks: ['alb-https-redirect', 'waf'] },
  'aws-services-implementing-technical-safeguards/kms': { checks: ['kms-rotation'] },
  'aws-services-implementing-technical-safeguards/cloudtrail': { checks: ['cloudtrail-multi-region', 'cloudtrail-validation'] },
  'aws-services-implementing-technical-safeguards/vpc-flow-logs': { checks: ['flow-logs'] },
  'aws-services-implementing-technical-safeguards/aws-config': { checks: ['config-recorder'] },
  'aws-services-implementing-technical-safeguards/guardduty': { checks: ['guardduty'] },
  'aws-services-implementing-technical-safeguards/security-hub': { checks: ['security-hub'] },
  'aws-services-implementing-technical-safeguards/waf': { checks: ['waf'] },
  'aws-services-implementing-technical-safeguards/ssm-session-manager': {
    notChecked: 'Session Manager preferences and use are not read; whether SSH and RDP are closed to the internet is the security-group check (Guard against unauthorized access)',
  },
  'aws-services-implementing-technical-safeguards/aws-backup': {
    notChecked: 'AWS Backup plans and vaults are not read; recovery is proven by the restore drills row (Integrity)',
  },
};

/** Rows Safeguard adds: what its own evidence shows, under the section it belongs to. */
export interface AddedRow {
  section: string;
  /** For a section the customer's table lacks. */
  newSection?: { heading: string; ref: string; after: string };
  cells: [string, string];
  checks: CheckId[];
}

export const ADDED_ROWS: AddedRow[] = [
  { section: 'audit-controls', cells: ['Runbook activity (Safeguard)', 'Hash-chained evidence store, anchored'], checks: ['evidence-chain'] },
  { section: 'integrity', cells: ['Backup restore tested (Safeguard)', 'Restore drills with measured RTO/RPO'], checks: ['restore-drills'] },
  {
    section: 'person-or-entity-authentication',
    newSection: { heading: 'Person or Entity Authentication (§164.312(d))', ref: '§164.312(d)', after: 'integrity' },
    cells: ['Periodic access reviews (Safeguard)', 'Access reviews: keep/revoke decisions, MFA findings'],
    checks: ['access-reviews'],
  },
];

export const NO_RULE_REASON = 'Safeguard has no check for this row (it is not one the report knows: a new row of the customer\'s table?)';
