// The YAML-facing policy schema (durations are strings here). It checks shapes, formats and
// each field on its own; cross-references (unknown groups, duplicates, quorum against the
// approver pool, …) are checked by the loader in policy.ts, which also converts durations.
// The same schema is exported as JSON Schema for editors (write-json-schema.ts).
import { z } from 'zod';
import { DurationError, parseDuration } from './duration';

export const ID_PATTERN = /^[a-z][a-z0-9_-]{1,31}$/;
export const SLACK_USER_ID_PATTERN = /^[UW][A-Z0-9]{2,}$/;
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
export const ROLE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{1,63}$/;
export const INSTANCE_ID_PATTERN = /^i-[0-9a-f]{8,17}$/;
/** A Slack channel id (public C…, private G…). Names are not accepted: they can be renamed. */
export const SLACK_CHANNEL_ID_PATTERN = /^[CG][A-Z0-9]{2,}$/;

const PARTITION = 'aws(?:-cn|-us-gov)?';
const IAM_NAME = '[\\w+=,.@-]{1,128}';
const IAM_PATH = `(?:${IAM_NAME}/)*`;
/** arn:aws:iam::<12 digits>:role/<path/>name */
export const ROLE_ARN_PATTERN = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:role/${IAM_PATH}${IAM_NAME}$`);
/** IAM user or role ARNs, and STS assumed-role ARNs (one specific session). */
export const PRINCIPAL_ARN_PATTERN = new RegExp(
  `^arn:${PARTITION}:(?:iam::\\d{12}:(?:user|role)/${IAM_PATH}${IAM_NAME}|sts::\\d{12}:assumed-role/${IAM_NAME}/[\\w+=,.@-]{2,64})$`,
);
/** Mirrors parseDuration's grammar, for editors; parseDuration has the final word. */
const DURATION_PATTERN = '^\\s*(\\d+d\\s*)?(\\d+h\\s*)?(\\d+m\\s*)?(\\d+s\\s*)?$';

/** A string field whose error names the field's purpose rather than zod's internals. */
function text(what: string) {
  return z.string({
    error: (iss) => (iss.input === undefined ? `${what} is required` : `${what} must be a string`),
  });
}

function patterned(what: string, pattern: RegExp, hint: string) {
  return text(what).regex(pattern, { error: (iss) => `${JSON.stringify(iss.input)} is not ${hint}` });
}

const id = (what: string) => patterned(what, ID_PATTERN, `a valid ${what} (lowercase, [a-z][a-z0-9_-]{1,31})`);

const accountId = z
  .string({
    error: (iss) =>
      iss.input === undefined
        ? 'account id is required'
        : 'account id must be a quoted string of 12 digits, like "123456789012" (unquoted, YAML reads a number and drops leading zeros)',
  })
  .regex(ACCOUNT_ID_PATTERN, { error: (iss) => `${JSON.stringify(iss.input)} is not a 12-digit AWS account id` });

const roleArn = patterned('role ARN', ROLE_ARN_PATTERN, 'an IAM role ARN like arn:aws:iam::123456789012:role/Name');

const principalArn = patterned(
  'AWS principal',
  PRINCIPAL_ARN_PATTERN,
  'an IAM user or role ARN like arn:aws:iam::123456789012:user/alice or arn:aws:iam::123456789012:role/Name',
);

const duration = (what: string) =>
  z
    .string({
      error: (iss) =>
        iss.input === undefined
          ? `${what} is required`
          : `${what} must be a duration string with a unit, like 30m, 4h or 1h30m`,
    })
    .superRefine((value, ctx) => {
      try {
        parseDuration(value);
      } catch (err) {
        if (!(err instanceof DurationError)) throw err;
        ctx.addIssue({ code: 'custom', message: err.reason });
      }
    })
    .meta({ pattern: DURATION_PATTERN, examples: ['30m', '4h', '1h30m'] });

const slackChannel = (what: string) => patterned(what, SLACK_CHANNEL_ID_PATTERN, 'a Slack channel id (like C0123ABCD)');

export const slackSettingsSchema = z
  .strictObject({
    approversChannel: slackChannel('slack.approversChannel').optional().describe('Where approval cards go unless a role names its own.'),
    securityChannel: slackChannel('slack.securityChannel').optional().describe('Loud alerts: post-hoc grants, failed revocations.'),
    auditChannel: slackChannel('slack.auditChannel').optional().describe('One line per state change of every request.'),
  })
  .describe('Optional Slack channels used by the Slack app.');

const groupList = (what: string) =>
  z.array(id('group id'), { error: `${what} must be a list of group ids` });

export const groupSchema = z.strictObject({
  id: id('group id'),
  description: z.string().optional(),
});

export const personSchema = z.strictObject({
  id: id('person id').describe('Lowercase person id used in audit records and commands.'),
  name: text('name').min(1, 'name must not be empty'),
  email: z.email({ error: 'email must be an email address' }).optional(),
  slackId: patterned('slackId', SLACK_USER_ID_PATTERN, 'a Slack user id (like U0123ABCD)').optional(),
  awsPrincipals: z
    .array(principalArn, { error: 'awsPrincipals must be a list of ARNs' })
    .default([])
    .describe('ARNs of the IAM users / roles that are this person.'),
  groups: groupList('groups').default([]),
});

export const accountSchema = z.strictObject({
  id: accountId,
  name: text('account name').min(1, 'account name must not be empty'),
  executionRoleArn: roleArn.describe('The SafeguardExecution role the worker assumes in this account.'),
  externalId: text('externalId').regex(/^[\w+=,.@:/-]{2,1224}$/, {
    error: 'externalId must be 2-1224 characters of letters, digits and +=,.@:/-',
  }),
});

export const breakGlassRoleSchema = z.strictObject({
  name: patterned('role name', ROLE_NAME_PATTERN, 'a valid role name ([A-Za-z][A-Za-z0-9_-]{1,63})'),
  account: accountId.describe('Id of a declared account; roleArn must be in it.'),
  roleArn,
  description: z.string().optional(),
  requesters: groupList('requesters').min(1, 'requesters must name at least one group'),
  approvers: groupList('approvers').min(1, 'approvers must name at least one group'),
  quorum: z
    .int({ error: 'quorum must be a whole number' })
    .min(1, 'quorum must be at least 1')
    .describe('Distinct approvers needed; the requester never counts.'),
  mode: z.enum(['approval', 'post-hoc'], { error: 'mode must be "approval" or "post-hoc"' }),
  defaultDuration: duration('defaultDuration'),
  maxDuration: duration('maxDuration'),
  approvalTimeout: duration('approvalTimeout'),
  reminderInterval: duration('reminderInterval').default('5m'),
  ratificationDeadline: duration('ratificationDeadline')
    .optional()
    .describe('Required when mode is post-hoc: approvers must ratify within this time or access is revoked.'),
  idleLimit: duration('idleLimit').optional(),
  reasonMinLength: z.int({ error: 'reasonMinLength must be a whole number' }).min(0).max(1000).default(10),
  ticketRequired: z.boolean({ error: 'ticketRequired must be true or false' }).default(false),
  ssmTargets: z
    .array(patterned('SSM target', INSTANCE_ID_PATTERN, 'an EC2 instance id like i-0123456789abcdef0'))
    .default([]),
  stepUp: z.boolean({ error: 'stepUp must be true or false' }).default(false),
  approversChannel: slackChannel('approversChannel').optional().describe('Slack channel for this role\'s approval cards (default: slack.approversChannel).'),
});

export const policyFileSchema = z
  .strictObject({
    version: z.literal(1, { error: 'version must be 1' }),
    groups: z.array(groupSchema, { error: 'groups must be a list' }),
    people: z.array(personSchema, { error: 'people must be a list' }),
    accounts: z.array(accountSchema, { error: 'accounts must be a list' }).min(1, 'declare at least one account'),
    security: z.strictObject({
      groups: groupList('security.groups').min(1, 'security.groups must name at least one group'),
    }),
    breakGlassRoles: z.array(breakGlassRoleSchema, { error: 'breakGlassRoles must be a list' }),
    slack: slackSettingsSchema.optional(),
  })
  .meta({ title: 'Safeguard policy', description: 'People, accounts and break-glass roles for Safeguard.' });

/** The policy as written in YAML (durations as strings, defaults applied). */
export type PolicyFile = z.output<typeof policyFileSchema>;
export type PolicyFileInput = z.input<typeof policyFileSchema>;

export function policyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(policyFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
