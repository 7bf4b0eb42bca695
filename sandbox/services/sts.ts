// STS: AWS's AssumeRole checks that moto skips (the role's trust policy, MaxSessionDuration), the
// SourceIdentity moto drops from AssumeRole answers, and learning the credentials STS hands out so
// the gateway can authenticate calls signed with them.

import { awsErrorReply } from '../faults';
import type { MotoDirectory, MotoKey } from '../moto-directory';
import { escapeXml, motoQuery, xmlText } from '../moto-query';
import { assumeRoleRequestOf, evaluateTrustPolicy } from '../trust-policy';
import { errorToReply } from './types';
import type { AwsCall, Reply, ServiceContext, ServiceHandler } from './types';

/** STS answers that carry new credentials, and where the answer names their principal. */
const STS_CREDENTIAL_ARN: Record<string, RegExp | 'caller'> = {
  AssumeRole: /<AssumedRoleUser>[\s\S]*?<Arn>([^<]+)<\/Arn>/,
  AssumeRoleWithWebIdentity: /<AssumedRoleUser>[\s\S]*?<Arn>([^<]+)<\/Arn>/,
  AssumeRoleWithSAML: /<AssumedRoleUser>[\s\S]*?<Arn>([^<]+)<\/Arn>/,
  GetFederationToken: /<FederatedUser>[\s\S]*?<Arn>([^<]+)<\/Arn>/,
  // Session credentials act as the user who asked for them.
  GetSessionToken: 'caller',
};

export interface StsServiceOptions {
  directory: MotoDirectory;
  /** Evaluate trust policies on AssumeRole (GatewayOptions.enforceTrustPolicies). */
  enforceTrustPolicies: boolean;
}

export function stsService(opts: StsServiceOptions): ServiceHandler {
  const { directory } = opts;

  /** A role's trust policy and maximum session duration, as moto holds them. */
  async function lookupRole(ctx: ServiceContext, accessKeyId: string, roleName: string, accountId: string): Promise<{ trust: string; maxSessionDuration: number } | undefined> {
    if (ctx.authenticate) {
      const r = await directory.role(roleName, accountId);
      return r ? { trust: r.assumeRolePolicyDocument, maxSessionDuration: r.maxSessionDuration } : undefined;
    }
    const role = await motoQuery(ctx.motoEndpoint, 'iam', accessKeyId, { Action: 'GetRole', RoleName: roleName, Version: '2010-05-08' }, undefined, accountId);
    const trust = role.status === 200 ? xmlText(role.text, 'AssumeRolePolicyDocument') : undefined;
    return trust === undefined ? undefined : { trust, maxSessionDuration: Number(xmlText(role.text, 'MaxSessionDuration') ?? '3600') };
  }

  /** AWS's own AssumeRole checks that moto skips; a Reply when the call must be refused. */
  async function checkAssumeRole(ctx: ServiceContext, { info, caller }: AwsCall): Promise<Reply | undefined> {
    const roleArn = typeof info.params['RoleArn'] === 'string' ? info.params['RoleArn'] : '';
    const deny = (who: string, action = 'sts:AssumeRole'): Reply =>
      errorToReply(awsErrorReply('query', 403, 'AccessDenied', `User: ${who} is not authorized to perform: ${action} on resource: ${roleArn}`));
    const callerArn = caller.arn;
    const roleAccount = roleArn.split(':')[4];
    // Any account's role, as AWS does: moto would issue credentials for a role that does not exist,
    // or whose trust does not name the caller, in another account as readily as in the caller's.
    if (!/^arn:aws:iam::\d{12}:role\/.+/.test(roleArn)) return undefined;
    const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    const role = await lookupRole(ctx, caller.accessKeyId, roleName, roleAccount ?? '');
    const trustRaw = role?.trust;
    if (trustRaw === undefined) return deny(callerArn);
    let trust = trustRaw;
    try {
      trust = decodeURIComponent(trustRaw);
    } catch {
      /* already plain JSON */
    }
    const decision = evaluateTrustPolicy(trust, assumeRoleRequestOf(callerArn, info.params));
    if (!decision.allowed) return deny(callerArn, decision.deniedAction);
    const max = role?.maxSessionDuration ?? 3600;
    const duration = Number(typeof info.params['DurationSeconds'] === 'string' ? info.params['DurationSeconds'] : '3600');
    if (Number.isFinite(duration) && duration > max) {
      return errorToReply(awsErrorReply('query', 400, 'ValidationError', `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`));
    }
    return undefined;
  }

  /** Credentials in an STS answer, so calls signed with them can be authenticated. */
  function learnCredentials(info: AwsCall['info'], reply: Reply, caller: MotoKey): void {
    const arnOf = STS_CREDENTIAL_ARN[info.action];
    if (arnOf === undefined) return;
    const text = reply.body.toString('utf8');
    const accessKeyId = xmlText(text, 'AccessKeyId');
    const secretAccessKey = xmlText(text, 'SecretAccessKey');
    const sessionToken = xmlText(text, 'SessionToken');
    const arn = arnOf === 'caller' ? caller.arn : arnOf.exec(text)?.[1];
    if (accessKeyId && secretAccessKey && sessionToken && arn) directory.learn({ accessKeyId, secretAccessKey, sessionToken, arn });
  }

  return {
    service: 'sts',
    async handle(ctx, call) {
      if (call.info.action !== 'AssumeRole' || call.info.protocol !== 'query' || !opts.enforceTrustPolicies) return undefined;
      const refused = await checkAssumeRole(ctx, call);
      return refused ? { reply: refused, servedBy: 'gateway' } : undefined;
    },
    afterMoto(_ctx, call, reply) {
      const { info } = call;
      if (reply.status !== 200 || info.protocol !== 'query') return Promise.resolve(reply);
      learnCredentials(info, reply, call.caller);
      return Promise.resolve(info.action === 'AssumeRole' ? addSourceIdentity(info, reply) : reply);
    },
  };
}

/** moto drops SourceIdentity from AssumeRoleResult; AWS echoes it. */
function addSourceIdentity(info: AwsCall['info'], reply: Reply): Reply {
  const sourceIdentity = info.params['SourceIdentity'];
  if (typeof sourceIdentity !== 'string' || reply.status !== 200) return reply;
  const text = reply.body.toString('utf8');
  if (text.includes('<SourceIdentity>') || !text.includes('</AssumeRoleResult>')) return reply;
  const patched = text.replace('</AssumeRoleResult>', `<SourceIdentity>${escapeXml(sourceIdentity)}</SourceIdentity></AssumeRoleResult>`);
  return { ...reply, body: Buffer.from(patched) };
}
