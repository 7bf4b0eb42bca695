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

/** Terminates every live session of the grant: those SSM itself lists under the grant's owner. Ids
 * the workflow was told of are never terminated on their word alone: a made-up or someone else's id
 * in a report must not end another person's session (it is not owned by this grant, so not listed). */
export async function terminateSessions(ssm: SSMClient, owner: string): Promise<string[]> {
  const ids = await activeSessionIds(ssm, owner);
  for (const id of ids) {
    // Terminating an already-ended session succeeds, so retries are safe.
    await awsCall('TerminateSession', () => ssm.send(new TerminateSessionCommand({ SessionId: id })));
  }
  return ids;
}

export interface SessionFacts {
  sessionId: string;
  owner: string;
  target: string;
  active: boolean;
}

/** One session as SSM knows it (active or ended), or undefined when SSM has no such session. */
export async function describeSession(ssm: SSMClient, sessionId: string): Promise<SessionFacts | undefined> {
  for (const state of ['Active', 'History'] as const) {
    const out = await awsCall('DescribeSessions', () => ssm.send(new DescribeSessionsCommand({ State: state, Filters: [{ key: 'SessionId', value: sessionId }] })));
    const s = (out.Sessions ?? []).find((x) => x.SessionId === sessionId);
    if (s) return { sessionId, owner: s.Owner ?? '', target: s.Target ?? '', active: state === 'Active' };
  }
  return undefined;
}
