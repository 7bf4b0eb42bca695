// The per-person revocation statement (DESIGN.md §4 step 2): deny everything to tokens of the role
// that carry this SourceIdentity and were issued before the revocation — the per-person form of
// AWSRevokeOlderSessions. Today one policy per role holds them (workflows/break-glass/
// revocation-policy.ts); the per-grant policy below is what runs from before that still write.
import { DeleteRolePolicyCommand, GetRolePolicyCommand, NoSuchEntityException, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import { revocationPolicyName } from '../../workflows/break-glass/definitions';
import { ROLE_REVOCATION_POLICY, coversCutoff, parseRevocationStatements } from '../../workflows/break-glass/revocation-policy';
import type { StatementCutoff } from '../../workflows/break-glass/revocation-policy';
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

/** The role's single deny policy (revocation-policy.ts), parsed; empty when it does not exist. */
export async function readRoleRevocationStatements(iam: IAMClient, roleArn: string): Promise<StatementCutoff[]> {
  try {
    const out = await iam.send(new GetRolePolicyCommand({ RoleName: roleNameFromArn(roleArn), PolicyName: ROLE_REVOCATION_POLICY }));
    return out.PolicyDocument ? parseRevocationStatements(out.PolicyDocument) : [];
  } catch (err) {
    if (err instanceof NoSuchEntityException) return [];
    throw err;
  }
}

/** Writes (or, with no statements left, deletes) the role's deny policy: only its writer workflow calls this. */
export async function writeRoleRevocationPolicy(iam: IAMClient, roleArn: string, document: string | null): Promise<void> {
  if (document === null) {
    await deleteRevocationPolicy(iam, roleArn, ROLE_REVOCATION_POLICY);
    return;
  }
  await iam.send(new PutRolePolicyCommand({ RoleName: roleNameFromArn(roleArn), PolicyName: ROLE_REVOCATION_POLICY, PolicyDocument: document }));
}

/** The receipt's first proof: the role denies every token of the person issued before the cut-off
 * (through the role's deny policy, or a per-grant policy written by a run from before it existed). */
export async function cutoffInPlace(iam: IAMClient, t: RevocationTarget): Promise<boolean> {
  if (coversCutoff(await readRoleRevocationStatements(iam, t.roleArn), t.requester, t.tokensIssuedBefore)) return true;
  return revocationStatementPresent(iam, t);
}
