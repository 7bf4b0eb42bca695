// The body of POST /_sandbox/cloudtrail/console-logins: a console sign-in, recorded in the gateway's
// trail (call-trail.ts) so cloudtrail:LookupEvents returns it as AWS does (services/cloudtrail.ts).
// Sign-ins go to signin.aws.amazon.com, never through the gateway, so a test that needs one (the
// root-login watcher, a runbook's "root signed in" check) says it happened here:
//
//   {"accountId": "123456789012",            12 digits
//    "user": "root" | "<IAM user name>",     default root
//    "at": "2026-01-01T00:00:00Z",           default now; not in the future, not before 2006
//    "sourceIp": "203.0.113.7",              IPv4; absent: the event has no sourceIPAddress
//    "mfaUsed": true,                        default true
//    "success": true}                        default true; false records a failed sign-in
//
// Whether the IAM user exists is not checked: AWS records failed sign-ins of names that do not
// exist too. Pure.

import { z } from 'zod';
import { date } from './iam-ages';
import type { TrailInput } from './call-trail';

export const ROOT_USER = 'root';
/** AWS records console sign-ins in us-east-1 (sign-in is a global endpoint). */
const SIGN_IN_REGION = 'us-east-1';
const SIGN_IN_USER_AGENT = 'Mozilla/5.0 (sandbox console sign-in)';

export interface ConsoleLogin {
  accountId: string;
  /** `root`, or an IAM user's name. */
  user: string;
  /** ms since the epoch. */
  at: number;
  sourceIp?: string;
  mfaUsed: boolean;
  success: boolean;
}

export class ConsoleLoginValidationError extends Error {
  readonly code = 'ConsoleLoginValidation';
  constructor(message: string) {
    super(message);
    this.name = 'ConsoleLoginValidationError';
  }
}

function schema(now: number) {
  return z.strictObject({
    accountId: z.string({ error: 'must be a 12-digit account id (a string)' }).regex(/^\d{12}$/, 'must be a 12-digit account id (a string)'),
    user: z
      .string({ error: 'must be "root" or an IAM user name' })
      .regex(/^[\w+=,.@-]{1,64}$/, 'must be "root" or an IAM user name (1-64 of letters, digits and +=,.@_-)')
      .default(ROOT_USER),
    at: z
      .string({ error: 'must be an ISO 8601 date-time with a time zone, e.g. "2026-01-01T00:00:00Z"' })
      .transform((v, ctx) => {
        try {
          return Date.parse(date(v, 'at', { now }));
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      })
      .optional(),
    sourceIp: z.ipv4({ error: 'must be an IPv4 address, e.g. "203.0.113.7"' }).optional(),
    mfaUsed: z.boolean({ error: 'must be true or false' }).default(true),
    success: z.boolean({ error: 'must be true or false' }).default(true),
  });
}

/** The body, or ConsoleLoginValidationError naming the first problem and its field. */
export function parseConsoleLogin(body: unknown, opts: { now: number }): ConsoleLogin {
  const result = schema(opts.now).safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = (issue?.path ?? []).map(String).join('.');
    const message = issue?.message ?? 'invalid';
    // iam-ages' date checks name the field themselves.
    if (field === '') throw new ConsoleLoginValidationError(`${message}; the body is a JSON object {"accountId", "user", "at", "sourceIp", "mfaUsed", "success"}`);
    throw new ConsoleLoginValidationError(message.startsWith(`${field} `) ? message : `${field}: ${message}`);
  }
  const { accountId, user, at, sourceIp, mfaUsed, success } = result.data;
  return { accountId, user, at: at ?? opts.now, ...(sourceIp !== undefined ? { sourceIp } : {}), mfaUsed, success };
}

/** The trail entry of a sign-in: the root user's or an IAM user's, signed by no key. */
export function consoleLoginTrailInput(login: ConsoleLogin): TrailInput {
  const principalArn = login.user === ROOT_USER ? `arn:aws:iam::${login.accountId}:root` : `arn:aws:iam::${login.accountId}:user/${login.user}`;
  return {
    at: login.at,
    service: 'signin',
    action: 'ConsoleLogin',
    region: SIGN_IN_REGION,
    principalArn,
    ...(login.sourceIp !== undefined ? { sourceIp: login.sourceIp } : {}),
    userAgent: SIGN_IN_USER_AGENT,
    requestParameters: {},
    consoleSignIn: { success: login.success, mfaUsed: login.mfaUsed },
  };
}
