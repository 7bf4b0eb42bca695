// Grant verification: prove the break-glass role can be assumed for this person, then throw the
// credentials away. Nothing secret leaves this function.
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { GrantReceipt } from '../../workflows/break-glass/definitions';
import { grantSessionName } from '../../workflows/break-glass/definitions';
import type { AwsClients } from './clients';
import { awsCall } from './errors';

export interface VerifyGrantInput {
  grantId: string;
  requester: string;
  roleArn: string;
  accountId: string;
  ticket?: string;
}

/** Session tags name the grant (and ticket) so CloudTrail ties every call to it. */
export function grantSessionTags(grantId: string, ticket?: string): Array<{ Key: string; Value: string }> {
  const tags = [{ Key: 'safeguard:grant', Value: grantId }];
  if (ticket) tags.push({ Key: 'safeguard:ticket', Value: ticket.slice(0, 256) });
  return tags;
}

export async function verifyGrant(aws: AwsClients, input: VerifyGrantInput): Promise<GrantReceipt> {
  const sessionName = grantSessionName(input.grantId);
  const assumed = await awsCall('AssumeRole', () =>
    aws.brokerSts().send(
      new AssumeRoleCommand({
        RoleArn: input.roleArn,
        RoleSessionName: sessionName,
        SourceIdentity: input.requester,
        Tags: grantSessionTags(input.grantId, input.ticket),
        DurationSeconds: 900,
      }),
    ),
  );
  const c = assumed.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole returned no credentials');
  const identity = await awsCall('GetCallerIdentity', () =>
    aws.stsWith({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}) }).send(new GetCallerIdentityCommand({})),
  );
  if (!identity.Arn?.includes(`/${sessionName}`)) throw new Error(`assumed identity ${identity.Arn ?? '(none)'} does not carry the grant's session name`);
  const receipt: GrantReceipt = { verifiedAt: new Date().toISOString(), callerArn: identity.Arn, sessionName, sourceIdentity: input.requester };
  if (assumed.$metadata.requestId) receipt.assumeRoleRequestId = assumed.$metadata.requestId;
  return receipt;
}
