// IAM: the role inline-policy quota moto does not enforce (role-policy-quota.ts); the credential
// report (iam-report.ts) and the listings moto does not page or encode as AWS does (iam-listing.ts);
// and what the gateway learns from IAM answers: key, user and role changes for the key directory,
// and the issue time of new access keys, which are refused until they have propagated
// (key-propagation.ts).

import { awsErrorReply } from '../faults';
import type { KeyPropagation } from '../key-propagation';
import type { KeyedLock } from '../keyed-lock';
import type { RootAccounts } from '../iam-ages';
import type { MotoHooks } from '../moto-hooks';
import type { MotoDirectory } from '../moto-directory';
import { xmlText } from '../moto-query';
import { motoRoleInlinePolicies } from '../moto-role-policies';
import { ROLE_INLINE_POLICY_QUOTA, inlinePolicyTotalAfter, rolePolicyQuotaMessage } from '../role-policy-quota';
import { CREDENTIAL_REPORT_ACTIONS, accountOf, credentialReportService } from './iam-report';
import { PAGED_IAM_ACTIONS, iamListing } from './iam-listing';
import { errorToReply, param } from './types';
import type { AwsCall, Handled, Reply, ServiceContext, ServiceHandler } from './types';

export interface IamServiceOptions {
  directory: MotoDirectory;
  propagation: KeyPropagation;
  roleWrites: KeyedLock;
  hooks: MotoHooks;
  /** The accounts' root users (the control endpoint /_sandbox/iam/ages sets them). */
  roots: RootAccounts;
  /** How long an account's first credential report takes to generate (ReportInProgress meanwhile). Default 0. */
  credentialReportMs?: number;
}

export function iamService(opts: IamServiceOptions): ServiceHandler {
  const { directory, propagation, roleWrites } = opts;
  const reports = credentialReportService({ hooks: opts.hooks, roots: opts.roots, ...(opts.credentialReportMs !== undefined ? { generationMs: opts.credentialReportMs } : {}) });
  const listing = iamListing({ roots: opts.roots });

  /**
   * iam:PutRolePolicy with IAM's quota on the role's inline policies, which moto does not
   * enforce. The check and the write run under a per-role lock, so concurrent writes to one role
   * cannot each pass against the same old total. The role's other policies are read from moto each
   * time (fake-signed queries; data.json when moto authenticates, where the quota is then judged
   * before moto judges the caller's permission, unlike AWS).
   */
  function putRolePolicy(ctx: ServiceContext, call: AwsCall): Promise<Handled> {
    const { info, caller } = call;
    const roleName = param(info, 'RoleName');
    const policyName = param(info, 'PolicyName');
    const document = param(info, 'PolicyDocument');
    const write = async (): Promise<Handled> => ({ reply: await ctx.forward(call), servedBy: 'moto' });
    // Incomplete calls are moto's to refuse (ValidationError), as AWS would before any quota.
    if (roleName === undefined || policyName === undefined || document === undefined) return write();
    // Role names are unique case-insensitively.
    return roleWrites.run(roleName.toLowerCase(), async () => {
      const existing = ctx.authenticate
        ? (await directory.freshRole(roleName, accountOf(caller.arn)))?.inlinePolicies
        : await motoRoleInlinePolicies(ctx.motoEndpoint, caller.accessKeyId, roleName);
      // No such role: moto answers NoSuchEntity.
      if (existing !== undefined && inlinePolicyTotalAfter(existing, { roleName, policyName, document }) > ROLE_INLINE_POLICY_QUOTA) {
        return { reply: errorToReply(awsErrorReply('query', 409, 'LimitExceeded', rolePolicyQuotaMessage(roleName))), servedBy: 'gateway' };
      }
      return write();
    });
  }

  /** Keeps the directory current from the IAM changes the gateway sees (see moto-directory.ts). */
  async function observe(info: AwsCall['info'], reply: Reply): Promise<void> {
    switch (info.action) {
      case 'CreateAccessKey': {
        const id = xmlText(reply.body.toString('utf8'), 'AccessKeyId');
        if (id) propagation.created(id);
        return directory.keyCreated();
      }
      case 'UpdateAccessKey': {
        const id = param(info, 'AccessKeyId');
        const status = param(info, 'Status');
        if (id && (status === 'Active' || status === 'Inactive')) directory.keyStatusChanged(id, status);
        return;
      }
      case 'DeleteAccessKey': {
        const id = param(info, 'AccessKeyId');
        if (id) directory.keyDeleted(id);
        return;
      }
      case 'DeleteUser': {
        const name = param(info, 'UserName');
        if (name) await directory.userDeleted(name);
        return;
      }
      case 'CreateRole': {
        const name = param(info, 'RoleName');
        if (name) directory.roleCreated(name);
        return;
      }
      case 'DeleteRole': {
        const name = param(info, 'RoleName');
        if (name) directory.roleDeleted(name);
        return;
      }
      case 'UpdateUser': // renames change the ARN of the user's keys
      case 'UpdateRole':
      case 'UpdateAssumeRolePolicy':
        return directory.invalidate();
    }
  }

  return {
    service: 'iam',
    async handle(ctx, call) {
      if (call.info.protocol !== 'query') return undefined;
      const action = call.info.action;
      if (action === 'PutRolePolicy') return putRolePolicy(ctx, call);
      if (CREDENTIAL_REPORT_ACTIONS.has(action)) return reports.handle(ctx, call);
      if (PAGED_IAM_ACTIONS.has(action)) return listing.page(ctx, call);
      return undefined;
    },
    async afterMoto(_ctx, call, reply) {
      if (call.info.protocol !== 'query') return reply;
      if (reply.status === 200) await observe(call.info, reply);
      return listing.afterMoto(call, reply);
    },
  };
}
