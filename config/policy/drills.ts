// The `drills:` section: restore drills (a backup restored into a scratch resource, validated,
// scored against RTO/RPO targets, always torn down), break-glass fire drills (fire-drills.ts), and
// the sweeper that deletes scratch resources a drill left behind.
import { z } from 'zod';
import { formatDuration } from '../duration';
import { accountId, duration, groupList, INSTANCE_ID_PATTERN, list, PARTITION, patterned, quorum, ROLE_ARN_PATTERN, slackChannel, text } from './fields';
import { checkFireDrills, fireDrillSchema } from './fire-drills';
import { formatPath } from './issues';
import type { Path, PolicyChecks } from './issues';
import { scheduleSchema } from './rotation';
import { accountOfArn, checkAccountRef, checkGroupRefs, checkQuorum } from './shared';
import type { DrillSettings, Policy, RestoreDrillPolicy, RestoreDrillSource, RestoreDrillValidation } from './types';

/** Scratch names are `sg-drill-<drill>-<8 hex>`: a drill name keeps them within RDS's 63 characters. */
export const DRILL_NAME_PATTERN = /^[a-z](?:[a-z0-9]|-(?!-)){1,31}(?<!-)$/;
const SCRATCH_PREFIX = 'sg-drill-';
/** RDS DB instance identifiers: a letter, then letters, digits and single hyphens, at most 63. */
const DB_INSTANCE_PATTERN = /^[A-Za-z](?:[A-Za-z0-9]|-(?!-)){0,62}(?<!-)$/;
const DB_SNAPSHOT_PATTERN = /^(?:rds:)?[A-Za-z](?:[A-Za-z0-9]|-(?!-)){0,254}(?<!-)$/;
const TABLE_PATTERN = /^[A-Za-z0-9_.-]{3,255}$/;
const VAULT_PATTERN = /^[A-Za-z0-9_-]{2,50}$/;
const DDB_BACKUP_ARN = new RegExp(`^arn:${PARTITION}:dynamodb:[a-z0-9-]+:(\\d{12}):table/[A-Za-z0-9_.-]{3,255}/backup/[A-Za-z0-9.-]{1,64}$`);
const RESOURCE_ARN = new RegExp(`^arn:${PARTITION}:(?:rds:[a-z0-9-]+:(\\d{12}):db:[A-Za-z][A-Za-z0-9-]{0,62}|dynamodb:[a-z0-9-]+:(\\d{12}):table/[A-Za-z0-9_.-]{3,255})$`);
const RECOVERY_POINT_ARN = new RegExp(`^arn:${PARTITION}:(?:backup|rds|dynamodb):[a-z0-9-]+:\\d{12}:\\S{1,1024}$`);
const DOCUMENT_PATTERN = /^(?:arn:[\w-]+:ssm:[a-z0-9-]*:\d{12}:document\/)?[A-Za-z0-9_.-]{3,128}$/;
const INSTANCE_CLASS_PATTERN = /^db\.[a-z0-9]+\.[a-z0-9]+$/;
const TAG_KEY_PATTERN = /^(?!aws:|safeguard:)[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
/** RDS's LatestRestorableTime trails the present by about this much. */
const RDS_RESTORE_LAG_MS = 5 * 60_000;
/** RDS keeps at most 35 days of point-in-time history. */
const MAX_RESTORE_AGO_MS = 35 * 86_400_000;

const notScratch = (what: string) => (v: string) => !v.toLowerCase().startsWith(SCRATCH_PREFIX) || `${what} ${v} starts with ${SCRATCH_PREFIX}: that prefix is for the scratch resources drills create, never a source`;
const refineNotScratch = (what: string) =>
  text(what).superRefine((v, ctx) => {
    const r = notScratch(what)(v);
    if (r !== true) ctx.addIssue({ code: 'custom', message: r });
  });

const dbInstance = refineNotScratch('dbInstance').regex(DB_INSTANCE_PATTERN, { error: (iss) => `${JSON.stringify(iss.input)} is not an RDS DB instance identifier (a letter, then letters, digits and single hyphens, at most 63)` });
const tableName = refineNotScratch('table').regex(TABLE_PATTERN, { error: (iss) => `${JSON.stringify(iss.input)} is not a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)` });
const restoreAgo = duration('restoreAgo', { maxMs: MAX_RESTORE_AGO_MS }).describe('Restore to this long before the drill starts (default: the latest restorable time).');

const sourceSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('rds-snapshot'),
      dbInstance,
      snapshot: patterned('snapshot', DB_SNAPSHOT_PATTERN, 'an RDS snapshot identifier').optional().describe('A named snapshot; default: the newest automated snapshot.'),
    }),
    z.strictObject({ type: z.literal('rds-point-in-time'), dbInstance, restoreAgo: restoreAgo.optional() }),
    z.strictObject({
      type: z.literal('dynamodb-backup'),
      table: tableName,
      backupArn: patterned('backupArn', DDB_BACKUP_ARN, 'a DynamoDB backup ARN (arn:aws:dynamodb:<region>:<account>:table/<table>/backup/<id>)').optional(),
    }),
    z.strictObject({ type: z.literal('dynamodb-point-in-time'), table: tableName, restoreAgo: restoreAgo.optional() }),
    z.strictObject({
      type: z.literal('backup-recovery-point'),
      vault: patterned('vault', VAULT_PATTERN, 'an AWS Backup vault name (2-50 of A-Z a-z 0-9 - _)'),
      resource: patterned('resource', RESOURCE_ARN, 'an RDS instance or DynamoDB table ARN (arn:aws:rds:<region>:<account>:db:<id>, arn:aws:dynamodb:<region>:<account>:table/<name>)')
        .superRefine((v, ctx) => {
          const name = v.split(/:db:|:table\//).pop() ?? '';
          const r = notScratch('resource')(name);
          if (r !== true) ctx.addIssue({ code: 'custom', message: r });
        }),
      recoveryPoint: patterned('recoveryPoint', RECOVERY_POINT_ARN, 'a recovery point ARN').optional().describe('A named recovery point; default: the newest completed one.'),
      restoreRole: patterned('restoreRole', ROLE_ARN_PATTERN, 'an IAM role ARN AWS Backup restores with').describe('IamRoleArn of StartRestoreJob.'),
    }),
  ],
  { error: 'source.type must be one of rds-snapshot, rds-point-in-time, dynamodb-backup, dynamodb-point-in-time, backup-recovery-point' },
);

/**
 * A record's own error: for a bad key, the key schema's message (zod would otherwise say "Invalid
 * key in record", or the record's message would hide why the key is refused); else `notAMap`.
 */
const recordError =
  (notAMap: string) =>
  (iss: { code?: string; issues?: ReadonlyArray<{ message?: string }> }): string =>
    (iss.code === 'invalid_key' ? iss.issues?.[0]?.message : undefined) ?? notAMap;

const scratchSchema = z
  .strictObject({
    instanceClass: patterned('scratch.instanceClass', INSTANCE_CLASS_PATTERN, 'an RDS instance class like db.t3.micro').optional(),
    subnetGroup: patterned('scratch.subnetGroup', /^[A-Za-z0-9 ._-]{1,255}$/, 'a DB subnet group name').optional(),
    tags: z
      .record(
        text('tag key').regex(TAG_KEY_PATTERN, { error: (iss) => `tag key ${JSON.stringify(iss.input)} is not allowed (1-128 characters; aws: and safeguard: are reserved)` }),
        text('tag value').max(256, 'tag values are at most 256 characters'),
        { error: recordError('scratch.tags must be a map of tag keys to values') },
      )
      .default({}),
  })
  .default({ tags: {} })
  .describe('How the scratch resource sg-drill-<drill>-<id> is made.');

const parameterValues = z.array(text('parameter value').max(4096, 'parameter values are at most 4096 characters'), { error: 'each parameter must be a list of strings' });

const validationSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('ssm-command'),
      instance: patterned('validation.instance', INSTANCE_ID_PATTERN, 'an EC2 instance id (i-…) managed by SSM').describe('The validation instance the command runs on.'),
      document: patterned('validation.document', DOCUMENT_PATTERN, 'an SSM document name or ARN'),
      parameters: z
        .record(patterned('parameter name', /^[A-Za-z0-9_]{1,64}$/, 'an SSM parameter name'), parameterValues, { error: recordError('validation.parameters must be a map of parameter names to lists of strings') })
        .default({})
        .describe('Values may use {{scratch.id}} and {{scratch.endpoint}}.'),
      minRows: z.int({ error: 'validation.minRows must be a whole number' }).min(1, 'validation.minRows must be at least 1').default(1),
      timeout: duration('validation.timeout').default(10 * 60_000),
    }),
    z.strictObject({
      type: z.literal('dynamodb'),
      minItems: z.int({ error: 'validation.minItems must be a whole number' }).min(1, 'validation.minItems must be at least 1').default(1),
      timestampAttribute: patterned('validation.timestampAttribute', /^[A-Za-z0-9_.-]{1,255}$/, 'an attribute name').optional().describe('An ISO-time attribute: the newest one found measures the RPO.'),
    }),
  ],
  { error: 'validation.type must be ssm-command or dynamodb' },
);

const signOffSchema = z
  .strictObject({
    approvers: groupList('signOff.approvers').min(1, 'signOff.approvers must name at least one group'),
    quorum: quorum('signOff.quorum').default(1),
    timeout: duration('signOff.timeout'),
  })
  .describe('Optional: a person from these groups confirms the results; overdue is escalated.');

export const restoreDrillSchema = z
  .strictObject({
    name: patterned('drill name', DRILL_NAME_PATTERN, 'a valid drill name (lowercase letters, digits and single hyphens, 2-32, starting with a letter)').describe('Unique across drills.restore and drills.fire.'),
    account: accountId.describe('Id of a declared account.'),
    source: sourceSchema,
    scratch: scratchSchema,
    validation: validationSchema,
    rto: duration('rto').describe('Target: drill start → validated.'),
    rpo: duration('rpo').describe('Target: drill start − the restore point reached.'),
    maxDuration: duration('maxDuration').describe('The drill is stopped and torn down after this long.'),
    signOff: signOffSchema.optional(),
    schedule: scheduleSchema.optional(),
  })
  .transform((d): RestoreDrillPolicy => {
    const out: RestoreDrillPolicy = {
      name: d.name,
      account: d.account,
      source: sourceOf(d.source),
      scratch: { tags: d.scratch.tags, ...(d.scratch.instanceClass ? { instanceClass: d.scratch.instanceClass } : {}), ...(d.scratch.subnetGroup ? { subnetGroup: d.scratch.subnetGroup } : {}) },
      validation: validationOf(d.validation),
      rtoMs: d.rto,
      rpoMs: d.rpo,
      maxDurationMs: d.maxDuration,
    };
    if (d.signOff) out.signOff = { approvers: d.signOff.approvers, quorum: d.signOff.quorum, timeoutMs: d.signOff.timeout };
    if (d.schedule) out.schedule = d.schedule;
    return out;
  });

function sourceOf(s: z.output<typeof sourceSchema>): RestoreDrillSource {
  switch (s.type) {
    case 'rds-snapshot':
      return { type: s.type, dbInstance: s.dbInstance, ...(s.snapshot ? { snapshot: s.snapshot } : {}) };
    case 'rds-point-in-time':
      return { type: s.type, dbInstance: s.dbInstance, ...(s.restoreAgo !== undefined ? { restoreAgoMs: s.restoreAgo } : {}) };
    case 'dynamodb-backup':
      return { type: s.type, table: s.table, ...(s.backupArn ? { backupArn: s.backupArn } : {}) };
    case 'dynamodb-point-in-time':
      return { type: s.type, table: s.table, ...(s.restoreAgo !== undefined ? { restoreAgoMs: s.restoreAgo } : {}) };
    case 'backup-recovery-point':
      return { type: s.type, vault: s.vault, resourceArn: s.resource, iamRoleArn: s.restoreRole, ...(s.recoveryPoint ? { recoveryPointArn: s.recoveryPoint } : {}) };
  }
}

function validationOf(v: z.output<typeof validationSchema>): RestoreDrillValidation {
  if (v.type === 'dynamodb') return { type: 'dynamodb', minItems: v.minItems, ...(v.timestampAttribute ? { timestampAttribute: v.timestampAttribute } : {}) };
  return { type: 'ssm-command', instanceId: v.instance, document: v.document, parameters: v.parameters, minRows: v.minRows, timeoutMs: v.timeout };
}

const sweeperSchema = z
  .strictObject({
    olderThan: duration('sweeper.olderThan').default(6 * 3_600_000).describe('Delete sg-drill-* resources older than this whose drill is not running.'),
    schedule: scheduleSchema.optional(),
  })
  .default({ olderThan: 6 * 3_600_000 })
  .describe('The sweeper of scratch resources drills left behind.');

export const drillsSchema = z
  .strictObject({
    channel: slackChannel('drills.channel').optional().describe('Slack channel for drill cards (default: slack.auditChannel).'),
    restore: list('drills.restore', restoreDrillSchema).default([]),
    fire: list('drills.fire', fireDrillSchema).default([]),
    sweeper: sweeperSchema,
  })
  .describe('Restore drills, break-glass fire drills and the scratch-resource sweeper.')
  .transform((d): DrillSettings => {
    const sweeper = { olderThanMs: d.sweeper.olderThan, ...(d.sweeper.schedule ? { schedule: d.sweeper.schedule } : {}) };
    return { ...(d.channel ? { channel: d.channel } : {}), restore: d.restore, fire: d.fire, sweeper };
  });

export const EMPTY_DRILLS: DrillSettings = { restore: [], fire: [], sweeper: { olderThanMs: 6 * 3_600_000 } };

/** The source resource's name, for "the scratch resource is never the source". */
export function sourceName(s: RestoreDrillSource): string {
  switch (s.type) {
    case 'rds-snapshot':
    case 'rds-point-in-time':
      return s.dbInstance;
    case 'dynamodb-backup':
    case 'dynamodb-point-in-time':
      return s.table;
    case 'backup-recovery-point':
      return s.resourceArn.split(/:db:|:table\//).pop() ?? s.resourceArn;
  }
}

export const checkDrills = (policy: Policy, issues: PolicyChecks): void => {
  const names = new Map<string, string>();
  // `safeguard schedules trigger|pause <name>` names rotation targets and drills alike.
  const rotationTargets = new Set([...policy.rotation.accessKeys, ...policy.rotation.kmsKeys].map((t) => t.name));
  const claimName = (name: string, path: Path) => {
    const first = names.get(name);
    if (first !== undefined) issues.error([...path, 'name'], `duplicate drill name "${name}" (also ${first})`);
    else names.set(name, formatPath(path));
    if (rotationTargets.has(name)) issues.error([...path, 'name'], `"${name}" is also a rotation target's name; \`safeguard schedules\` could not tell them apart`);
  };
  const shown = (path: Path, ms: number) => {
    const w = issues.written(path);
    return typeof w === 'string' ? w.trim() : formatDuration(ms);
  };

  policy.drills.restore.forEach((d, i) => {
    const path = ['drills', 'restore', i] as const;
    claimName(d.name, path);
    checkAccountRef(policy, d.account, [...path, 'account'], issues);
    const s = d.source;
    if (s.type === 'backup-recovery-point') {
      if (accountOfArn(s.resourceArn) !== d.account) issues.error([...path, 'source', 'resource'], `resource ${s.resourceArn} is not in the drill's account ${d.account}`);
      if (accountOfArn(s.iamRoleArn) !== d.account) issues.error([...path, 'source', 'restoreRole'], `restoreRole ${s.iamRoleArn} is not in the drill's account ${d.account}`);
    }
    if (s.type === 'dynamodb-backup' && s.backupArn && !s.backupArn.includes(`:table/${s.table}/backup/`)) {
      issues.error([...path, 'source', 'backupArn'], `backupArn ${s.backupArn} is not a backup of table ${s.table}`);
    }
    const rds = s.type === 'rds-snapshot' || s.type === 'rds-point-in-time' || (s.type === 'backup-recovery-point' && s.resourceArn.includes(':rds:'));
    if (rds && d.validation.type === 'dynamodb') issues.error([...path, 'validation', 'type'], 'an RDS source is validated with type ssm-command (DynamoDB checks read a table)');
    if (!rds && d.validation.type === 'ssm-command') issues.error([...path, 'validation', 'type'], 'a DynamoDB source is validated with type dynamodb');
    if (!rds && (d.scratch.instanceClass || d.scratch.subnetGroup)) issues.warn([...path, 'scratch'], 'instanceClass and subnetGroup only apply to RDS sources; they are ignored');
    if (s.type === 'rds-point-in-time' && s.restoreAgoMs !== undefined && s.restoreAgoMs < RDS_RESTORE_LAG_MS) {
      issues.warn([...path, 'source', 'restoreAgo'], `restoreAgo ${shown([...path, 'source', 'restoreAgo'], s.restoreAgoMs)} is later than RDS's LatestRestorableTime (about 5 minutes behind): AWS refuses the restore; use 5m or more, or leave it out for the latest restorable time`);
    }
    if (d.rtoMs > d.maxDurationMs) {
      issues.warn([...path, 'rto'], `rto ${shown([...path, 'rto'], d.rtoMs)} is longer than maxDuration ${shown([...path, 'maxDuration'], d.maxDurationMs)}: the drill is stopped before it could miss its RTO`);
    }
    if (d.validation.type === 'ssm-command' && d.validation.timeoutMs >= d.maxDurationMs) {
      issues.error([...path, 'validation', 'timeout'], `validation.timeout ${shown([...path, 'validation', 'timeout'], d.validation.timeoutMs)} must be shorter than maxDuration ${shown([...path, 'maxDuration'], d.maxDurationMs)}`);
    }
    if (d.signOff) {
      checkGroupRefs(policy, d.signOff.approvers, [...path, 'signOff', 'approvers'], issues);
      checkQuorum(policy, d.signOff.approvers, d.signOff.quorum, [...path, 'signOff', 'quorum'], issues);
    }
  });
  checkFireDrills(policy, issues, claimName);
};
