// The body of POST /_sandbox/iam/principals: many IAM groups, users and roles created in one account
// at once (bench/seed-principals.ts seeds 10,000 principals with it). One API call per item through
// the gateway costs ~3.4 ms in moto, so 2 × 5,000 users, roles, keys and the rest take ~2.5 minutes;
// moto_hooks.py creates them with moto's own IAM methods in seconds. Checked here against IAM's
// rules and quotas so moto only judges what depends on its state (names taken, policies and groups
// that do not exist). Pure.

import { z } from 'zod';
import type { BulkPrincipals } from './moto-hooks';

/** Principals of each kind in one request. */
export const MAX_PRINCIPALS_PER_REQUEST = 20_000;

const iamName = z.string().regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM name (1-64 of letters, digits and +=,.@_-)');
const roleName = iamName.refine((n) => !n.toLowerCase().startsWith('awsservicerolefor'), 'AWSServiceRoleFor… names are reserved for service-linked roles');
const path = z.string().regex(/^\/([\x21-\x7e]{0,510}\/)?$/, 'must begin and end with / (e.g. /team/)');
const tags = z
  .array(z.strictObject({ Key: z.string().min(1).max(128), Value: z.string().max(256) }))
  .max(50, 'IAM allows at most 50 tags per principal')
  .refine((t) => new Set(t.map((x) => x.Key.toLowerCase())).size === t.length, 'tag keys must be unique (case-insensitively)');
const policyArn = z.string().regex(/^arn:aws:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/, 'must be a managed policy ARN');
// IAM's default quota is 10 managed policies per user, group or role (raisable to 20).
const managedPolicies = z.array(policyArn).max(20, 'IAM allows at most 20 managed policies per principal');
const jsonDocument = z.string().refine((d) => {
  try {
    const v: unknown = JSON.parse(d);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}, 'must be a JSON policy document (an object)');
const inlinePolicies = z.record(iamName, jsonDocument);

const schema = z.strictObject({
  accountId: z.string().regex(/^\d{12}$/, 'must be a 12-digit account id (a string)'),
  groups: z
    .array(z.strictObject({ name: iamName, path: path.optional(), managedPolicies: managedPolicies.optional() }))
    .max(MAX_PRINCIPALS_PER_REQUEST)
    .optional(),
  users: z
    .array(
      z.strictObject({
        name: iamName,
        path: path.optional(),
        tags: tags.optional(),
        loginProfile: z.boolean().optional(),
        mfa: z.boolean().optional(),
        accessKeys: z.number().int().min(0).max(2, 'IAM allows at most 2 access keys per user').optional(),
        managedPolicies: managedPolicies.optional(),
        inlinePolicies: inlinePolicies.optional(),
        groups: z.array(iamName).max(10, 'IAM allows a user in at most 10 groups').optional(),
      }),
    )
    .max(MAX_PRINCIPALS_PER_REQUEST)
    .optional(),
  roles: z
    .array(
      z.strictObject({
        name: roleName,
        path: path.optional(),
        trustPolicy: jsonDocument,
        description: z.string().max(1000).optional(),
        tags: tags.optional(),
        managedPolicies: managedPolicies.optional(),
        inlinePolicies: inlinePolicies.optional(),
        maxSessionDuration: z.number().int().min(3600).max(43200).optional(),
      }),
    )
    .max(MAX_PRINCIPALS_PER_REQUEST)
    .optional(),
});

export class IamPrincipalsValidationError extends Error {
  readonly code = 'IamPrincipalsValidation';
  constructor(message: string) {
    super(message);
    this.name = 'IamPrincipalsValidationError';
  }
}

/** The body, or IamPrincipalsValidationError naming the first problem by its path (`users[3].tags`). */
export function parseBulkPrincipals(body: unknown): BulkPrincipals {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = (issue?.path ?? []).map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new IamPrincipalsValidationError(`${where || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  const data = result.data;
  if ((data.groups?.length ?? 0) + (data.users?.length ?? 0) + (data.roles?.length ?? 0) === 0) {
    throw new IamPrincipalsValidationError('nothing to create: give groups, users or roles');
  }
  return data as BulkPrincipals;
}
