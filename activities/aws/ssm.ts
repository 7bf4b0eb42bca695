// Session Manager sessions of a grant. Sessions opened with vended credentials are owned by the
// assumed-role identity whose session name is the grant's, so the owner names the grant.
import { DescribeSessionsCommand, TerminateSessionCommand } from '@aws-sdk/client-ssm';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { grantSessionName } from '../../workflows/break-glass/definitions';
import { roleNameFromArn } from './clients';
import { awsCall } from './errors';

export function grantSessionOwner(accountId: string, roleArn: string, grantId: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleNameFromArn(roleArn)}/${grantSessionName(grantId)}`;
}

export async function activeSessionIds(ssm: SSMClient, owner: string): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const out = await awsCall('DescribeSessions', () =>
      ssm.send(new DescribeSessionsCommand({ State: 'Active', Filters: [{ key: 'Owner', value: owner }], ...(token ? { NextToken: token } : {}) })),
    );
    for (const s of out.Sessions ?? []) if (s.SessionId) ids.push(s.SessionId);
    token = out.NextToken;
  } while (token);
  return ids;
}

/** Terminates every live session of the grant (found by owner, plus any the workflow was told of). */
export async function terminateSessions(ssm: SSMClient, owner: string, knownSessionIds: string[]): Promise<string[]> {
  const ids = [...new Set([...(await activeSessionIds(ssm, owner)), ...knownSessionIds])];
  for (const id of ids) {
    // Terminating an already-ended session succeeds, so retries are safe.
    await awsCall('TerminateSession', () => ssm.send(new TerminateSessionCommand({ SessionId: id })));
  }
  return ids;
}
