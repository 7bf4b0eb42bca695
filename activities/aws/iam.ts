// The per-person revocation statement (DESIGN.md §4 step 2): deny everything to tokens of the role
// that carry this SourceIdentity and were issued before the revocation — the per-person form of
// AWSRevokeOlderSessions. An inline policy per grant, so removing one never touches another.
import { DeleteRolePolicyCommand, GetRolePolicyCommand, NoSuchEntityException, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import { revocationPolicyName } from '../../workflows/break-glass/definitions';
import { roleNameFromArn } from './clients';
import { awsCall } from './errors';

export interface RevocationTarget {
  grantId: string;
  requester: string;
  roleArn: string;
  tokensIssuedBefore: string;
}

export function revocationPolicyDocument(requester: string, tokensIssuedBefore: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'SafeguardRevokeOlderSessions',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:SourceIdentity': requester },
          DateLessThan: { 'aws:TokenIssueTime': tokensIssuedBefore },
        },
      },
    ],
  });
}

export async function putRevocationPolicy(iam: IAMClient, t: RevocationTarget): Promise<{ policyName: string }> {
  const policyName = revocationPolicyName(t.grantId);
  await awsCall('PutRolePolicy', () =>
    iam.send(new PutRolePolicyCommand({ RoleName: roleNameFromArn(t.roleArn), PolicyName: policyName, PolicyDocument: revocationPolicyDocument(t.requester, t.tokensIssuedBefore) })),
  );
  return { policyName };
}

/** True when the role carries the grant's deny statement for this person (what the receipt proves). */
export async function revocationStatementPresent(iam: IAMClient, t: RevocationTarget): Promise<boolean> {
  try {
    const out = await iam.send(new GetRolePolicyCommand({ RoleName: roleNameFromArn(t.roleArn), PolicyName: revocationPolicyName(t.grantId) }));
    if (!out.PolicyDocument) return false;
    // IAM returns the document URL-encoded.
    const raw = out.PolicyDocument.trim().startsWith('{') ? out.PolicyDocument : decodeURIComponent(out.PolicyDocument);
    const doc = JSON.parse(raw) as { Statement?: Array<{ Effect?: string; Condition?: Record<string, Record<string, unknown>> }> | { Effect?: string } };
    const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement ?? {}];
    return statements.some(
      (st) => st.Effect === 'Deny' && (st as { Condition?: Record<string, Record<string, unknown>> }).Condition?.StringEquals?.['aws:SourceIdentity'] === t.requester,
    );
  } catch (err) {
    if (err instanceof NoSuchEntityException) return false;
    throw err;
  }
}

export async function deleteRevocationPolicy(iam: IAMClient, roleArn: string, policyName: string): Promise<boolean> {
  try {
    await iam.send(new DeleteRolePolicyCommand({ RoleName: roleNameFromArn(roleArn), PolicyName: policyName }));
    return true;
  } catch (err) {
    if (err instanceof NoSuchEntityException) return false;
    throw err;
  }
}
