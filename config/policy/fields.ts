// Patterns and zod field builders every policy section uses, so a field reads and fails the same
// way in every section. Errors name the field's purpose, never zod's internals; durations are
// converted to milliseconds here, with the one duration parser's wording.
import { z } from 'zod';
import { checkDuration, DURATION_HOWTO } from '../duration';
import type { DurationLimits } from '../duration';

export const ID_PATTERN = /^[a-z][a-z0-9_-]{1,31}$/;
/** A declarative runbook's step id: in commands, decisions, Slack buttons and evidence. */
export const STEP_ID_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;
export const SLACK_USER_ID_PATTERN = /^[UW][A-Z0-9]{2,}$/;
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
export const ROLE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{1,63}$/;
export const INSTANCE_ID_PATTERN = /^i-[0-9a-f]{8,17}$/;
/** A Slack channel id (public C…, private G…). Names are not accepted: they can be renamed. */
export const SLACK_CHANNEL_ID_PATTERN = /^[CG][A-Z0-9]{2,}$/;

export const PARTITION = 'aws(?:-cn|-us-gov)?';
const IAM_NAME = '[\\w+=,.@-]{1,128}';
const IAM_PATH = `(?:${IAM_NAME}/)*`;
/** arn:aws:iam::<12 digits>:role/<path/>name */
export const ROLE_ARN_PATTERN = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:role/${IAM_PATH}${IAM_NAME}$`);
/** IAM user or role ARNs, and STS assumed-role ARNs (one specific session). */
export const PRINCIPAL_ARN_PATTERN = new RegExp(
  `^arn:${PARTITION}:(?:iam::\\d{12}:(?:user|role)/${IAM_PATH}${IAM_NAME}|sts::\\d{12}:assumed-role/${IAM_NAME}/[\\w+=,.@-]{2,64})$`,
);
/** Mirrors the duration grammar, for editors; checkDuration has the final word. */
export const DURATION_PATTERN = '^\\s*(\\d+d\\s*)?(\\d+h\\s*)?(\\d+m\\s*)?(\\d+s\\s*)?$';

/** A string field whose error names the field's purpose rather than zod's internals. */
export function text(what: string) {
  return z.string({
    error: (iss) => (iss.input === undefined ? `${what} is required` : `${what} must be a string`),
  });
}

export function patterned(what: string, pattern: RegExp, hint: string) {
  return text(what).regex(pattern, { error: (iss) => `${JSON.stringify(iss.input)} is not ${hint}` });
}

export const id = (what: string) => patterned(what, ID_PATTERN, `a valid ${what} (lowercase, [a-z][a-z0-9_-]{1,31})`);

export const accountId = z
  .string({
    error: (iss) =>
      iss.input === undefined
        ? 'account id is required'
        : 'account id must be a quoted string of 12 digits, like "123456789012" (unquoted, YAML reads a number and drops leading zeros)',
  })
  .regex(ACCOUNT_ID_PATTERN, { error: (iss) => `${JSON.stringify(iss.input)} is not a 12-digit AWS account id` });

export const roleArn = patterned('role ARN', ROLE_ARN_PATTERN, 'an IAM role ARN like arn:aws:iam::123456789012:role/Name');

export const principalArn = patterned(
  'AWS principal',
  PRINCIPAL_ARN_PATTERN,
  'an IAM user or role ARN like arn:aws:iam::123456789012:user/alice or arn:aws:iam::123456789012:role/Name',
);

/**
 * A duration string in the file, milliseconds once parsed. An unquoted number (`timeout: 30`)
 * reaches zod as a number; it gets the parser's "add a unit" message like any other bad duration.
 */
export const duration = (what: string, limits?: DurationLimits) =>
  z
    .string({
      error: (iss) => {
        if (iss.input === undefined) return `${what} is required`;
        if (typeof iss.input === 'number') {
          const r = checkDuration(String(iss.input));
          if (!r.ok) return r.reason;
        }
        return `${what} must be a duration: ${DURATION_HOWTO}`;
      },
    })
    .transform((value, ctx) => {
      const r = checkDuration(value, limits);
      if (r.ok) return r.ms;
      ctx.issues.push({ code: 'custom', message: r.reason, input: value });
      return z.NEVER;
    })
    .meta({ pattern: DURATION_PATTERN, examples: ['30m', '4h', '1h30m'] });

export const slackChannel = (what: string) => patterned(what, SLACK_CHANNEL_ID_PATTERN, 'a Slack channel id (like C0123ABCD)');

export const groupList = (what: string) => z.array(id('group id'), { error: `${what} must be a list of group ids` });

export const quorum = (what: string) =>
  z
    .int({ error: `${what} must be a whole number` })
    .min(1, `${what} must be at least 1`)
    .describe('Distinct approvers needed.');

export const bool = (what: string) => z.boolean({ error: `${what} must be true or false` });

export const list = <T extends z.ZodType>(what: string, item: T) => z.array(item, { error: `${what} must be a list` });
