// The `rotation:` section: IAM access keys rotated through a store their consumers read, and KMS
// keys whose automatic rotation period Safeguard keeps set (and can drill on demand).
import { z } from 'zod';
import { checkDuration, formatDuration } from '../duration';
import { accountId, bool, duration, DURATION_PATTERN, groupList, list, PARTITION, patterned, quorum, slackChannel, text } from './fields';
import { formatPath } from './issues';
import type { Path, PolicyChecks } from './issues';
import { accountOfArn, checkAccountRef, checkGroupRefs, checkQuorum } from './shared';
import type { AccessKeyRotationPolicy, AccessKeyStore, KmsRotationPolicy, Policy, RotationSchedule, RotationSettings } from './types';

const DAY = 86_400_000;
/** KMS RotationPeriodInDays bounds. */
export const MIN_ROTATION_PERIOD_DAYS = 90;
export const MAX_ROTATION_PERIOD_DAYS = 2560;

export const TARGET_NAME_PATTERN = /^[a-z][a-z0-9-]{1,63}$/;
/** IAM user names, without a path. */
export const IAM_USER_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;
const SSM_PARAMETER_NAME_PATTERN = /^\/[A-Za-z0-9_.\-/]{1,2047}$/;
const SECRET_NAME = '[A-Za-z0-9/_+=.@-]{1,512}';
const SECRET_ID_PATTERN = new RegExp(`^(?:${SECRET_NAME}|arn:${PARTITION}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:${SECRET_NAME})$`);
const SECRET_ARN = new RegExp(`^arn:${PARTITION}:secretsmanager:[a-z0-9-]+:(\\d{12}):secret:(${SECRET_NAME})$`);
const KMS_KEY_ID = '(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})';
const KMS_KEY_ARN = new RegExp(`^arn:${PARTITION}:kms:[a-z0-9-]+:(\\d{12}):key/(${KMS_KEY_ID})$`);
const KMS_ALIAS = '[A-Za-z0-9/_-]{1,250}';
const KMS_KEY_REF = `${KMS_KEY_ID}|arn:${PARTITION}:kms:[a-z0-9-]+:\\d{12}:key/${KMS_KEY_ID}|alias/${KMS_ALIAS}`;
/** What `rotation.kmsKeys[].key` accepts: a key id, a key ARN or an alias. */
export const KMS_KEY_REF_PATTERN = new RegExp(`^(?:${KMS_KEY_REF})$`);
/** What an SSM parameter's `kmsKeyId` accepts (SSM also takes alias ARNs). */
const SSM_KMS_KEY_PATTERN = new RegExp(`^(?:${KMS_KEY_REF}|arn:${PARTITION}:kms:[a-z0-9-]+:\\d{12}:alias/${KMS_ALIAS})$`);

const CRON_FIELDS = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'] as const;

/** Five whitespace-separated fields of digits and `* , - /` (names like MON or JAN in the last two). */
export function cronProblem(expr: string): string | undefined {
  const trimmed = expr.trim();
  const fields = trimmed === '' ? [] : trimmed.split(/\s+/);
  const shown = JSON.stringify(trimmed.slice(0, 60));
  if (fields.length !== CRON_FIELDS.length) {
    return `cron ${shown} has ${fields.length} field${fields.length === 1 ? '' : 's'}; write 5 (minute hour day-of-month month day-of-week), like "0 3 * * 1"`;
  }
  for (const [i, f] of fields.entries()) {
    const names = i >= 3;
    if (!(names ? /^[0-9A-Za-z*,/-]+$/ : /^[0-9*,/-]+$/).test(f)) {
      return `cron ${shown}: the ${CRON_FIELDS[i]} field "${f}" may only use digits, *, ",", - and /${names ? ' (and names like MON or JAN)' : ''}`;
    }
  }
  return undefined;
}

export const scheduleSchema = z
  .strictObject(
    {
      every: duration('schedule.every').optional(),
      cron: text('schedule.cron')
        .superRefine((value, ctx) => {
          const problem = cronProblem(value);
          if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
        })
        .optional(),
    },
    { error: 'schedule must be { every: <duration> } or { cron: "<5-field cron>" }' },
  )
  .meta({ oneOf: [{ required: ['every'] }, { required: ['cron'] }] })
  .describe('Optional: run on a schedule, { every: 30d } or { cron: "0 3 * * 1" } (5-field cron).')
  .transform((s, ctx): RotationSchedule => {
    if (s.every !== undefined && s.cron === undefined) return { everyMs: s.every };
    if (s.cron !== undefined && s.every === undefined) return { cron: s.cron.trim() };
    ctx.issues.push({ code: 'custom', message: 'schedule needs exactly one of every or cron', input: s });
    return z.NEVER;
  });

const storeSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('ssm-parameter'),
      name: patterned('store.name', SSM_PARAMETER_NAME_PATTERN, 'an SSM parameter name starting with "/" (like /safeguard/app/access-key)')
        .refine((n) => !/^\/(?:aws|ssm)(?:\/|$)/i.test(n), { error: 'parameter names under /aws and /ssm are reserved by AWS' }),
      kmsKeyId: patterned('store.kmsKeyId', SSM_KMS_KEY_PATTERN, 'a KMS key id, key ARN, alias/<name> or alias ARN').optional(),
    }),
    z.strictObject({
      type: z.literal('secrets-manager'),
      secretId: patterned('store.secretId', SECRET_ID_PATTERN, 'a Secrets Manager secret name or ARN'),
    }),
  ],
  { error: 'store.type must be "ssm-parameter" (with name:) or "secrets-manager" (with secretId:)' },
);

const deleteApprovalSchema = z
  .strictObject({
    approvers: groupList('deleteApproval.approvers').min(1, 'deleteApproval.approvers must name at least one group'),
    quorum: quorum('deleteApproval.quorum'),
    timeout: duration('deleteApproval.timeout'),
  })
  .describe('Optional: ask these groups before deleting the old key; absent, it is deleted without asking.')
  .transform((d) => ({ approvers: d.approvers, quorum: d.quorum, timeoutMs: d.timeout }));

const targetName = patterned('target name', TARGET_NAME_PATTERN, 'a valid target name (lowercase, [a-z][a-z0-9-]{1,63})');

export const accessKeyRotationSchema = z
  .strictObject({
    name: targetName.describe('Target name, unique across accessKeys and kmsKeys.'),
    account: accountId.describe('Id of a declared account.'),
    user: patterned('user', IAM_USER_NAME_PATTERN, 'an IAM user name ([\\w+=,.@-]{1,64}, no path)'),
    store: storeSchema.describe('Where consumers read the key.'),
    maxAge: duration('maxAge').describe('Rotate when the active key is older than this.'),
    gracePeriod: duration('gracePeriod').describe('The old key must show no use this long after the switch before it is deactivated.'),
    switchTimeout: duration('switchTimeout').describe('Consumers not switched by then: escalate, deactivate nothing.'),
    observePeriod: duration('observePeriod').describe('Watch the deactivated key this long for use before deleting it.'),
    deleteApproval: deleteApprovalSchema.optional(),
    schedule: scheduleSchema.optional(),
  })
  .transform((k): AccessKeyRotationPolicy => {
    const out: AccessKeyRotationPolicy = {
      name: k.name,
      account: k.account,
      user: k.user,
      store: k.store,
      maxAgeMs: k.maxAge,
      gracePeriodMs: k.gracePeriod,
      switchTimeoutMs: k.switchTimeout,
      observePeriodMs: k.observePeriod,
    };
    if (k.deleteApproval !== undefined) out.deleteApproval = k.deleteApproval;
    if (k.schedule !== undefined) out.schedule = k.schedule;
    return out;
  });

/** Whole days between 90d and 2560d (KMS RotationPeriodInDays), written like other durations. */
const rotationPeriod = z
  .string({ error: (iss) => (iss.input === undefined ? 'rotationPeriod is required' : 'rotationPeriod must be a number of days, like 365d') })
  .transform((value, ctx) => {
    const range = `AWS allows ${MIN_ROTATION_PERIOD_DAYS}d to ${MAX_ROTATION_PERIOD_DAYS}d`;
    const fail = (message: string) => {
      ctx.issues.push({ code: 'custom', message, input: value });
      return z.NEVER;
    };
    // Parsed beyond the 2560d bound so that a long period gets the range message, not the parser's.
    const r = checkDuration(value, { maxMs: 100 * MAX_ROTATION_PERIOD_DAYS * DAY });
    if (!r.ok) return fail(r.reason);
    const shown = value.trim();
    if (r.ms % DAY !== 0) return fail(`rotationPeriod ${shown} is not a whole number of days (${range})`);
    const days = r.ms / DAY;
    if (days < MIN_ROTATION_PERIOD_DAYS) return fail(`rotationPeriod ${shown} is too short (${range})`);
    if (days > MAX_ROTATION_PERIOD_DAYS) return fail(`rotationPeriod ${shown} is too long (${range})`);
    return days;
  })
  .meta({ pattern: DURATION_PATTERN, examples: ['365d', '180d'] });

export const kmsRotationSchema = z
  .strictObject({
    name: targetName.describe('Target name, unique across accessKeys and kmsKeys.'),
    account: accountId.describe('Id of a declared account.'),
    key: patterned('key', KMS_KEY_REF_PATTERN, 'a KMS key id, key ARN (arn:aws:kms:<region>:<account>:key/<id>) or alias/<name>')
      .refine((k) => !k.startsWith('alias/aws/'), {
        error: (iss) => `${String(iss.input)} is an AWS managed key: AWS rotates it every year and its rotation cannot be changed`,
      }),
    rotationPeriod: rotationPeriod.describe('Whole days, 90d to 2560d (RotationPeriodInDays).'),
    onDemandDrill: bool('onDemandDrill').default(false).describe('Also rotate the key material now on each run (RotateKeyOnDemand).'),
    schedule: scheduleSchema.optional(),
  })
  .transform((k): KmsRotationPolicy => {
    const out: KmsRotationPolicy = {
      name: k.name,
      account: k.account,
      keyRef: k.key,
      rotationPeriodDays: k.rotationPeriod,
      onDemandDrill: k.onDemandDrill,
    };
    if (k.schedule !== undefined) out.schedule = k.schedule;
    return out;
  });

export const rotationSchema = z
  .strictObject({
    channel: slackChannel('rotation.channel').optional().describe('Slack channel for rotation cards (default: slack.auditChannel).'),
    accessKeys: list('rotation.accessKeys', accessKeyRotationSchema).default([]),
    kmsKeys: list('rotation.kmsKeys', kmsRotationSchema).default([]),
  })
  .describe('Runbooks that rotate IAM access keys and KMS keys.')
  .transform((r): RotationSettings => (r.channel === undefined ? { accessKeys: r.accessKeys, kmsKeys: r.kmsKeys } : r));

/**
 * Names by which one secret can be written: an ARN also matches the plain name, with and
 * without the 6-character suffix Secrets Manager appends to full ARNs.
 */
function storeKeys(account: string, store: AccessKeyStore): string[] {
  if (store.type === 'ssm-parameter') return [`ssm ${account} ${store.name}`];
  const arn = SECRET_ARN.exec(store.secretId);
  if (!arn) return [`secret ${account} ${store.secretId}`];
  const [, owner = account, name = ''] = arn;
  const keys = [`secret ${owner} ${name}`];
  if (/-[A-Za-z0-9]{6}$/.test(name)) keys.push(`secret ${owner} ${name.slice(0, -7)}`);
  return keys;
}

function describeStore(store: AccessKeyStore): string {
  return store.type === 'ssm-parameter' ? `SSM parameter ${store.name}` : `secret ${store.secretId}`;
}

/** A KMS key as far as the policy can tell without asking AWS (an alias and a key id may still be one key). */
function kmsKeyIdentity(account: string, keyRef: string): string {
  const arn = KMS_KEY_ARN.exec(keyRef);
  return arn ? `${arn[1]} ${arn[2]}` : `${account} ${keyRef}`;
}

export const checkRotation = (policy: Policy, issues: PolicyChecks): void => {
  const { accessKeys, kmsKeys } = policy.rotation;
  const names = new Map<string, string>();
  const claimName = (name: string, path: Path) => {
    const first = names.get(name);
    if (first !== undefined) issues.error([...path, 'name'], `duplicate rotation target name "${name}" (also ${first})`);
    else names.set(name, formatPath(path));
  };
  const shown = (path: Path, ms: number) => {
    const w = issues.written(path);
    return typeof w === 'string' ? w.trim() : formatDuration(ms);
  };

  const users = new Map<string, number>();
  const stores = new Map<string, number>();
  accessKeys.forEach((k, i) => {
    const path = ['rotation', 'accessKeys', i] as const;
    claimName(k.name, path);
    checkAccountRef(policy, k.account, [...path, 'account'], issues);

    if (k.gracePeriodMs >= k.switchTimeoutMs) {
      issues.error(
        [...path, 'gracePeriod'],
        `gracePeriod ${shown([...path, 'gracePeriod'], k.gracePeriodMs)} must be shorter than switchTimeout ${shown([...path, 'switchTimeout'], k.switchTimeoutMs)}: the old key has to be seen unused for gracePeriod before switchTimeout gives up and escalates`,
      );
    }
    if (k.schedule !== undefined && 'everyMs' in k.schedule && k.schedule.everyMs > k.maxAgeMs) {
      issues.warn(
        [...path, 'schedule', 'every'],
        `schedule every ${shown([...path, 'schedule', 'every'], k.schedule.everyMs)} is longer than maxAge ${shown([...path, 'maxAge'], k.maxAgeMs)}: keys will outlive maxAge between runs`,
      );
    }
    if (k.deleteApproval !== undefined) {
      checkGroupRefs(policy, k.deleteApproval.approvers, [...path, 'deleteApproval', 'approvers'], issues);
      checkQuorum(policy, k.deleteApproval.approvers, k.deleteApproval.quorum, [...path, 'deleteApproval', 'quorum'], issues);
    }

    // IAM user names are unique per account regardless of case, and a user has two key slots:
    // two rotations of one user would delete each other's keys.
    const userKey = `${k.account} ${k.user.toLowerCase()}`;
    const sameUser = users.get(userKey);
    if (sameUser !== undefined) {
      issues.error(
        [...path, 'user'],
        `IAM user ${k.user} in ${k.account} is already rotated by "${accessKeys[sameUser]?.name}" (rotation.accessKeys[${sameUser}]); two rotations of one user would fight over its two access keys`,
      );
    } else users.set(userKey, i);

    const keys = storeKeys(k.account, k.store);
    const sameStore = keys.map((s) => stores.get(s)).find((j) => j !== undefined);
    if (sameStore !== undefined) {
      issues.error(
        [...path, 'store'],
        `${describeStore(k.store)} is already the store of "${accessKeys[sameStore]?.name}" (rotation.accessKeys[${sameStore}]); each would overwrite the other's key`,
      );
    } else keys.forEach((s) => stores.set(s, i));
  });

  const kmsSeen = new Map<string, number>();
  kmsKeys.forEach((k, i) => {
    const path = ['rotation', 'kmsKeys', i] as const;
    claimName(k.name, path);
    checkAccountRef(policy, k.account, [...path, 'account'], issues);
    if (k.keyRef.startsWith('arn:') && accountOfArn(k.keyRef) !== k.account) {
      issues.error([...path, 'key'], `key ${k.keyRef} is not in the target's account ${k.account}`);
    }
    const identity = kmsKeyIdentity(k.account, k.keyRef);
    const same = kmsSeen.get(identity);
    if (same !== undefined) {
      issues.error([...path, 'key'], `key ${k.keyRef} is already rotated by "${kmsKeys[same]?.name}" (rotation.kmsKeys[${same}])`);
    } else kmsSeen.set(identity, i);
  });
};
