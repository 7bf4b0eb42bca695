// DESIGN.md §4 step 5: once the role's maximum session duration has passed, no token the deny
// statement targets can still be valid, so the statement is removed (IAM inline policy space is
// limited). A durable timer in its own workflow, so the break-glass workflow can end at revocation.
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../../activities';

const { removeRevocationPolicy } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5m' },
});

export interface RevocationCleanupInput {
  accountId: string;
  executionRoleArn: string;
  externalId: string;
  roleArn: string;
  policyName: string;
  waitMs: number;
}

export async function revocationCleanupWorkflow(input: RevocationCleanupInput): Promise<{ removedAt: string }> {
  // A minute of margin over the longest session, for clock skew between STS and us.
  await sleep(input.waitMs + 60_000);
  await removeRevocationPolicy(input);
  return { removedAt: new Date().toISOString() };
}
