// A closed break-glass run that cannot answer the reconciler's Query is still revoked (DESIGN.md §4,
// fail closed). The run here lives on a worker of its own that is stopped before the run is
// terminated: a Query to it has no worker to answer, as a run stuck on a failed workflow task has no
// replay that answers. The reconciler must read what to revoke from the run's (encrypted) history.
import { GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { SafeguardApiClient } from '../../cli/api-client';
import { approve } from '../../cli/commands/breakglass';
import { callerCredentials } from '../../cli/identity';
import { BreakGlassClient } from '../../client/break-glass-client';
import { buildBreakGlassInput } from '../../client/request';
import { openEvidenceForAudit } from '../../evidence/audit-access';
import { getRole } from '../../config/policy/lookup';
import { sandboxControl } from '../../sandbox';
import { reconcileInfoQuery } from '../../workflows/break-glass/definitions';
import { ROLE_REVOCATION_POLICY, parseRevocationStatements } from '../../workflows/break-glass/revocation-policy';
import type { StatementCutoff } from '../../workflows/break-glass/revocation-policy';
import { REASON, sleep, startSsmSession, startTestWorker, useStackSession, waitForPhase } from '../support/it-helpers';
import type { TestWorker } from '../support/it-helpers';
import { sandboxSeed } from '../support/stack';

const stack = useStackSession();
const api = (person: string): SafeguardApiClient => new SafeguardApiClient(stack.ctx.api!, () => callerCredentials(stack.ctx, person));

async function roleStatements(): Promise<StatementCutoff[]> {
  const { broker } = sandboxSeed(stack.info);
  const iam = new IAMClient({ region: stack.info.region, endpoint: stack.info.awsEndpoint, credentials: { accessKeyId: broker.accessKeyId, secretAccessKey: broker.secretAccessKey } });
  try {
    const out = await iam.send(new GetRolePolicyCommand({ RoleName: 'BreakGlassAdmin', PolicyName: ROLE_REVOCATION_POLICY }));
    return parseRevocationStatements(out.PolicyDocument ?? '');
  } catch {
    return [];
  } finally {
    iam.destroy();
  }
}

describe('a closed run that cannot answer the reconciler', () => {
  let worker: TestWorker | undefined;
  afterAll(async () => {
    await worker?.stop().catch(() => undefined);
  });

  it('is revoked from its history, and the record says so without a secret', async () => {
    worker = await startTestWorker(stack.info, 'unanswerable');
    const client = new BreakGlassClient(stack.ctx.temporal, worker.taskQueue);
    const input = buildBreakGlassInput(stack.ctx.policy, { requester: 'alice', role: 'BreakGlassAdmin', duration: '10m', reason: REASON, via: 'cli' });
    const id = await client.start(input);
    await approve(stack.ctx, stack.who.bob, id);
    await waitForPhase(stack.ctx, id, 'active');
    // Vended through the api, so the run records the issue (credentialsIssued) and the session (sessionOpened).
    const creds = await api('alice').credentials(id);
    const target = getRole(stack.ctx.policy, 'BreakGlassAdmin')!.ssmTargets[0]!;
    const session = await startSsmSession(stack.info, { accessKeyId: creds.AccessKeyId, secretAccessKey: creds.SecretAccessKey, sessionToken: creds.SessionToken }, target);
    await api('alice').reportSession(id, session, target);
    const issuedAt = Date.parse((await client.status(id)).credentials.at(-1)!.issuedAt);

    await worker.stop();
    const terminatedAt = Date.now();
    const handle = stack.ctx.temporal.workflow.getHandle(id);
    await handle.terminate('test: a run nobody can replay any more');
    // The path under test: the run cannot answer the reconciler's Query.
    await expect(stack.ctx.temporal.withDeadline(Date.now() + 3000, () => handle.query(reconcileInfoQuery))).rejects.toThrow();

    const { store } = await openEvidenceForAudit({ dir: stack.info.evidenceDir });
    let record;
    for (let i = 0; i < 240 && !record; i++) {
      record = (await store.list({ kind: 'reconciled' })).find((e) => e.record['workflowId'] === id);
      if (!record) await sleep(500);
    }
    expect(record?.record).toMatchObject({ requester: 'alice', role: 'BreakGlassAdmin', revocation: { verified: true, sessionsTerminated: [session] } });
    expect(String(record?.record['closedAs'])).toMatch(/^TERMINATED .*history/);
    const cutoff = Date.parse((record?.record['revocation'] as { tokensIssuedBefore: string }).tokensIssuedBefore);
    expect(cutoff).toBeGreaterThan(issuedAt);
    expect(cutoff).toBeGreaterThanOrEqual(terminatedAt);
    const alice = (await roleStatements()).find((s) => s.person === 'alice');
    expect(Date.parse(alice!.tokensIssuedBefore)).toBeGreaterThanOrEqual(cutoff);
    expect((await sandboxControl(stack.info.awsEndpoint).sessions()).find((s) => s.SessionId === session)?.Status).toBe('Terminated');
    // DESIGN.md §6: the record names the credential at most by its key id, never its secret.
    const text = JSON.stringify(record);
    expect(text).not.toContain(creds.SecretAccessKey);
    expect(text).not.toContain(creds.SessionToken);
    expect((await store.verify()).problems).toEqual([]);
  }, 240_000);
});
