// Access reviews end to end on the integration stack: the stack's worker, the Temporal dev server and
// the AWS sandbox, over an account of their own (210987654321) seeded with ~50 principals. Findings on
// real inventory; keep, revoke and bulk decisions through the client the CLI uses; a self-review
// refused and routed to the escalation group; an overdue reviewer escalated and defaulted; every
// revocation read back from IAM; the report and the evidence record. Then a worker SIGKILLed in the
// middle of applying revocations (its own account 310987654321): nothing applied twice, nothing lost;
// inventory progress while it runs; and Identity Center assignments (410987654321) reviewed and revoked.
import { GetLoginProfileCommand, ListAccessKeysCommand, ListAttachedUserPoliciesCommand, ListGroupsForUserCommand } from '@aws-sdk/client-iam';
import { CreateGroupCommand, CreateUserCommand } from '@aws-sdk/client-identitystore';
import { AttachManagedPolicyToPermissionSetCommand, CreateAccountAssignmentCommand, CreatePermissionSetCommand, ListAccountAssignmentsCommand, ListInstancesCommand } from '@aws-sdk/client-sso-admin';
import type { IAMClient } from '@aws-sdk/client-iam';
import { AwsClients } from '../../activities/aws/clients';
import { SafeguardError } from '../../client/errors';
import { ReviewClient } from '../../client/review-client';
import { reviewReport } from '../../client/review-report';
import { BlobStore } from '../../evidence/blobs';
import { EvidenceStore } from '../../evidence/store';
import { renderReportCsv } from '../../reports/access-review';
import { sandboxControl } from '../../sandbox/client';
import type { AccessReviewStatus, AccessReviewerStatus } from '../../workflows/access-review/definitions';
import { sleep, startTestWorker, useStackSession } from '../support/it-helpers';
import { sandboxSeed } from '../support/stack';
import { failure } from '../support/aws-calls';

const stack = useStackSession();
const REVIEW_ACCOUNT = '210987654321';
const CRASH_ACCOUNT = '310987654321';
const SSO_ACCOUNT = '410987654321';
const MANAGEMENT_ACCOUNT = '123456789012';
const DAY = 86_400_000;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

const control = () => sandboxControl(stack.info.awsEndpoint);
const clientsIn = async (accountId: string) => {
  const seed = sandboxSeed(stack.info);
  const clients = new AwsClients({ region: stack.info.region, endpoint: stack.info.awsEndpoint, brokerCredentials: { accessKeyId: seed.broker.accessKeyId, secretAccessKey: seed.broker.secretAccessKey } });
  return clients.forAccount({ accountId, executionRoleArn: `arn:aws:iam::${accountId}:role/SafeguardExecution`, externalId: 'safeguard-sandbox' });
};
const iamIn = async (accountId: string): Promise<IAMClient> => (await clientsIn(accountId)).iam;
const arn = (account: string, name: string, kind: 'user' | 'role' = 'user') => `arn:aws:iam::${account}:${kind}/${name}`;

async function until<T>(what: string, read: () => Promise<T>, pred: (v: T) => boolean, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (pred(last)) return last;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)?.slice(0, 500)}`);
    await sleep(300);
  }
}

const itemsOf = (runs: AccessReviewerStatus[]) => new Map(runs.flatMap((r) => r.items.map((i) => [i.name, { ...i, run: r.workflowId }] as const)));

describe('access review, end to end', () => {
  beforeAll(async () => {
    const n = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(2, '0')}`);
    await control().createPrincipals({
      accountId: REVIEW_ACCOUNT,
      groups: [{ name: 'admins', managedPolicies: [ADMIN] }, { name: 'readers', managedPolicies: [READ_ONLY] }],
      users: [
        // bob's services: fresh and used (kept), one to revoke outright, old keys (flagged).
        ...n('svc-fresh', 12).map((name) => ({ name, tags: [{ Key: 'owner', Value: 'bob' }], accessKeys: 1 })),
        { name: 'svc-revoke', tags: [{ Key: 'owner', Value: 'bob@example.com' }], accessKeys: 2, loginProfile: true, managedPolicies: [READ_ONLY], groups: ['readers'], inlinePolicies: { extra: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }) } },
        ...n('svc-old', 6).map((name) => ({ name, tags: [{ Key: 'owner', Value: 'bob' }], accessKeys: 1 })),
        // bob's own user in this account: he may not review it.
        { name: 'bob', tags: [{ Key: 'owner', Value: 'bob' }], loginProfile: true, mfa: true, accessKeys: 1 },
        // A human with a console and administrator rights through a group, no MFA; reviewed by the account's group.
        { name: 'contractor', loginProfile: true, groups: ['admins'], accessKeys: 1 },
        // dave's services: dave never answers.
        ...n('dave-svc', 8).map((name) => ({ name, tags: [{ Key: 'owner', Value: 'dave' }], accessKeys: 1, loginProfile: true })),
        // No owner tag (or one naming nobody): the account's fallback group (security).
        ...n('orphan', 10).map((name, i) => ({ name, ...(i === 0 ? { tags: [{ Key: 'owner', Value: 'nobody-we-know' }] } : {}), accessKeys: 1 })),
      ],
      roles: [
        ...n('app-role', 6).map((name) => ({ name, trustPolicy: TRUST, tags: [{ Key: 'owner', Value: 'bob' }], managedPolicies: [READ_ONLY] })),
        ...n('legacy', 2).map((name) => ({ name, trustPolicy: TRUST })),
      ],
    });
    const now = Date.now();
    const iso = (ago: number) => new Date(now - ago).toISOString();
    const keysOf = async (user: string) => ((await (await iamIn(REVIEW_ACCOUNT)).send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? []).map((k) => k.AccessKeyId!);
    const ages = [];
    for (const name of n('svc-fresh', 12)) for (const k of await keysOf(name)) ages.push({ accountId: REVIEW_ACCOUNT, userName: name, accessKeyId: k, createdAt: iso(10 * DAY), lastUsedAt: iso(DAY) });
    // Old and unused for 120 days: access-key-old, access-key-unused, principal-unused, inactive-user-with-keys.
    for (const name of n('svc-old', 6)) for (const k of await keysOf(name)) ages.push({ accountId: REVIEW_ACCOUNT, userName: name, accessKeyId: k, createdAt: iso(200 * DAY), lastUsedAt: iso(120 * DAY) });
    await control().setIamAges(ages);
  });

  test('inventory, findings, keep/revoke/bulk, self-review escalated, an overdue reviewer defaulted, revocations verified, report and evidence', async () => {
    const reviews = new ReviewClient(stack.ctx.temporal, stack.ctx.taskQueue);
    const { workflowId } = await reviews.start(stack.ctx.policy, 'it-review', 'alice');
    const st = await until('reviewers', () => reviews.status(workflowId), (s: AccessReviewStatus) => s.reviewers.length > 0);
    expect(st.accounts).toEqual([expect.objectContaining({ accountId: REVIEW_ACCOUNT, inventory: expect.objectContaining({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }) })]);
    // Safeguard's own execution role and the legacy-* roles are exempt, never sent to anyone.
    expect(st.totals!.exempt).toBe(3);
    const reviewers = st.reviewers.map((r) => `${r.reviewer.type}:${r.reviewer.id}`).sort();
    expect(reviewers).toEqual(['group:auditors', 'group:security', 'person:bob', 'person:dave']);

    const runs = await reviews.reviewers(workflowId);
    const items = itemsOf(runs);
    expect(items.get('svc-old-01')!.findings).toEqual(expect.arrayContaining(['access-key-old', 'access-key-unused', 'principal-unused', 'inactive-user-with-keys']));
    expect(items.get('svc-fresh-01')!.findings).toEqual([]);
    expect(items.get('contractor')!.findings).toEqual(expect.arrayContaining(['console-without-mfa', 'admin-on-human']));
    expect(items.get('bob')).toMatchObject({ holder: 'bob', route: 'self-review-escalated', run: expect.stringMatching(/--group-auditors$/) });
    expect(items.get('orphan-01')).toMatchObject({ route: 'unknown-owner', run: expect.stringMatching(/--group-security$/) });
    expect(items.get('app-role-01')).toMatchObject({ type: 'role', run: expect.stringMatching(/--person-bob$/) });

    // bob: one kept by name, one revoked with a reason, then the bulk choices.
    await reviews.decide(workflowId, 'bob', { items: [{ item: 'svc-fresh-01', decision: 'keep' }], via: 'cli' });
    await reviews.decide(workflowId, 'bob', { items: [{ item: 'svc-revoke', decision: 'revoke', reason: 'service retired in March' }], via: 'cli' });
    const own = await failure(reviews.decide(workflowId, 'bob', { items: [{ item: arn(REVIEW_ACCOUNT, 'bob'), decision: 'keep' }], via: 'cli' }));
    expect(own).toBeInstanceOf(SafeguardError);
    expect((own as SafeguardError).refusal).toBe('OwnAccess');
    const keepUnflagged = await reviews.decide(workflowId, 'bob', { bulk: 'keep-unflagged', via: 'cli' });
    // The auditors' run holds bob's own item: his bulk there skips it.
    expect(keepUnflagged.runs.flatMap((r) => r.skipped.map((s) => s.key))).toContain(arn(REVIEW_ACCOUNT, 'bob'));
    await reviews.decide(workflowId, 'bob', { bulk: 'revoke-flagged', via: 'cli' });
    // carol decides bob's own access, then keeps everything of the account's group.
    await reviews.decide(workflowId, 'carol', { items: [{ item: arn(REVIEW_ACCOUNT, 'bob'), decision: 'keep' }], via: 'cli' });
    await reviews.decide(workflowId, 'carol', { bulk: 'keep-all', via: 'cli' });
    // alice reviews nothing here.
    const notReviewer = await failure(reviews.decide(workflowId, 'alice', { bulk: 'keep-all', via: 'cli' }));
    expect((notReviewer as SafeguardError).code).toBe('NOT_A_REVIEWER');

    // dave never answers: escalated after 20 s, defaulted (disable-keys) at 45 s.
    const res = await reviews.result(workflowId);
    expect(res.outcome).toBe('completed');
    expect(res.evidenceWritten).toBe(true);
    const dave = res.status.reviewers.find((r) => r.reviewer.id === 'dave')!.result!;
    expect(dave).toMatchObject({ escalated: true, counts: { items: 8, decided: 0, defaulted: 8, applied: 8, verified: 8, failed: 0 } });
    const bob = res.status.reviewers.find((r) => r.reviewer.id === 'bob')!.result!;
    // 1 revoked by hand + 6 svc-old flagged; kept: 12 fresh + 6 roles.
    expect(bob.counts).toMatchObject({ revoked: 7, kept: 18, defaulted: 0, applied: 7, verified: 7, failed: 0 });

    // What IAM says now, read independently of the receipts.
    const iam = await iamIn(REVIEW_ACCOUNT);
    const keys = async (user: string) => (await iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? [];
    expect((await keys('svc-revoke')).map((k) => k.Status)).toEqual(['Inactive', 'Inactive']);
    expect((await failure(iam.send(new GetLoginProfileCommand({ UserName: 'svc-revoke' })))).name).toBe('NoSuchEntityException');
    expect((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'svc-revoke' }))).AttachedPolicies).toEqual([]);
    expect((await iam.send(new ListGroupsForUserCommand({ UserName: 'svc-revoke' }))).Groups).toEqual([]);
    // The default action (disable-keys) did only that: dave's services keep their console password.
    expect((await keys('dave-svc-01')).map((k) => k.Status)).toEqual(['Inactive']);
    await expect(iam.send(new GetLoginProfileCommand({ UserName: 'dave-svc-01' }))).resolves.toBeDefined();
    expect((await keys('svc-fresh-02')).map((k) => k.Status)).toEqual(['Active']);

    // The report: every item, who decided, what was applied and verified.
    const dir = stack.info.evidenceDir;
    const report = await reviewReport({ reviews, blobs: new BlobStore(dir), evidence: new EvidenceStore(dir) }, workflowId);
    const row = (name: string) => report.rows.find((r) => r.name === name)!;
    expect(row('svc-revoke')).toMatchObject({ decision: 'revoke', decidedBy: 'bob', reason: 'service retired in March' });
    expect(row('dave-svc-03')).toMatchObject({ decision: 'default:disable-keys', verified: true });
    expect(row('legacy-01')).toMatchObject({ decision: 'exempt' });
    const csv = renderReportCsv(report);
    expect(csv.split('\r\n').filter((l) => l.includes('svc-revoke'))).toHaveLength(1);
    const evidence = (await new EvidenceStore(dir).list({ kind: 'access-review' })).filter((e) => e.record['workflowId'] === workflowId);
    expect(evidence).toHaveLength(1);
    expect(evidence[0]!.record).toMatchObject({ review: 'it-review', outcome: 'completed', report: { sha256: res.status.report!.sha256 } });
  }, 180_000);
});

describe('access review, crash during revocations', () => {
  test('a worker SIGKILLed while applying revocations: every item revoked exactly once, none lost', async () => {
    const users = Array.from({ length: 60 }, (_, i) => ({ name: `crash-${String(i + 1).padStart(2, '0')}`, tags: [{ Key: 'owner', Value: 'alice' }], accessKeys: 1, loginProfile: true, managedPolicies: [READ_ONLY] }));
    await control().createPrincipals({ accountId: CRASH_ACCOUNT, users });
    const worker = await startTestWorker(stack.info, 'review-crash');
    try {
      const reviews = new ReviewClient(stack.ctx.temporal, worker.taskQueue);
      const { workflowId } = await reviews.start(stack.ctx.policy, 'it-review-crash', 'bob');
      await until('reviewers', () => reviews.status(workflowId), (s: AccessReviewStatus) => s.reviewers.length > 0);
      const mark = (await control().calls()).length;
      await reviews.decide(workflowId, 'alice', { bulk: 'revoke-all', via: 'cli' });
      // Kill the worker once the revocations are under way (the first login profile deleted).
      await until('the first revocation', async () => (await control().calls()).slice(mark).filter((c) => c.action === 'DeleteLoginProfile').length, (n) => n > 0, 60_000);
      await worker.worker.kill();
      await sleep(500);
      await worker.restart();
      const res = await reviews.result(workflowId);
      expect(res.outcome).toBe('completed');
      const alice = res.status.reviewers.find((r) => r.reviewer.id === 'alice')!.result!;
      expect(alice.counts).toMatchObject({ items: 60, revoked: 60, applied: 60, verified: 60, failed: 0 });
      // Applied once: one successful DeleteLoginProfile per user (a retried attempt finds it gone and says `already`).
      const deletes = (await control().calls()).slice(mark).filter((c) => c.action === 'DeleteLoginProfile' && c.status === 200);
      const perUser = new Map<string, number>();
      for (const c of deletes) perUser.set(String(c.params['UserName']), (perUser.get(String(c.params['UserName'])) ?? 0) + 1);
      expect(perUser.size).toBe(60);
      expect([...perUser.values()].every((n) => n === 1)).toBe(true);
      const iam = await iamIn(CRASH_ACCOUNT);
      for (const u of users) expect(((await iam.send(new ListAccessKeysCommand({ UserName: u.name }))).AccessKeyMetadata ?? []).map((k) => k.Status)).toEqual(['Inactive']);
    } finally {
      await worker.stop();
    }
  }, 180_000);
});

describe('access review, progress', () => {
  test('the status shows how far a running inventory got (from its heartbeats, through the codec), and a cancelled review revokes nothing', async () => {
    // Slow the authorization details down so the inventory is still running when we look.
    await control().addFault({ service: 'iam', action: 'GetAccountAuthorizationDetails', kind: 'latency', rate: 1, latencyMs: 4_000 });
    const reviews = new ReviewClient(stack.ctx.temporal, stack.ctx.taskQueue);
    try {
      const { workflowId } = await reviews.start(stack.ctx.policy, 'it-review-crash', 'bob');
      const st = await until('inventory progress', () => reviews.status(workflowId), (s) => s.progress.length > 0, 30_000);
      expect(st.progress[0]).toEqual({ accountId: CRASH_ACCOUNT, what: expect.any(String), count: expect.any(Number) });
      expect(st.reviewers).toEqual([]);
      await stack.ctx.temporal.workflow.getHandle(workflowId).cancel();
      const res = await reviews.result(workflowId);
      expect(res.outcome).toBe('cancelled');
      expect(res.evidenceWritten).toBe(true);
    } finally {
      await control().clearFaults();
    }
  }, 120_000);
});

describe('access review, Identity Center', () => {
  test('account assignments are reviewed like principals: a person’s administrator assignment flagged and revoked, the assignment deleted', async () => {
    // The instance lives in the management account (the sandbox's main one) and assigns into the reviewed account.
    const { ssoAdmin, identityStore } = await clientsIn(MANAGEMENT_ACCOUNT);
    const instance = (await ssoAdmin.send(new ListInstancesCommand({}))).Instances![0]!;
    const instanceArn = instance.InstanceArn!;
    const storeId = instance.IdentityStoreId!;
    const ps = (await ssoAdmin.send(new CreatePermissionSetCommand({ InstanceArn: instanceArn, Name: 'ItReviewAdmin' }))).PermissionSet!.PermissionSetArn!;
    await ssoAdmin.send(new AttachManagedPolicyToPermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: ps, ManagedPolicyArn: ADMIN }));
    const daveId = (await identityStore.send(new CreateUserCommand({ IdentityStoreId: storeId, UserName: 'dave', DisplayName: 'Dave Example', Name: { GivenName: 'Dave', FamilyName: 'Example' }, Emails: [{ Value: 'dave@example.com', Primary: true }] }))).UserId!;
    const groupId = (await identityStore.send(new CreateGroupCommand({ IdentityStoreId: storeId, DisplayName: 'oncall-engineers' }))).GroupId!;
    for (const [type, id] of [['USER', daveId], ['GROUP', groupId]] as const) {
      await ssoAdmin.send(new CreateAccountAssignmentCommand({ InstanceArn: instanceArn, TargetId: SSO_ACCOUNT, TargetType: 'AWS_ACCOUNT', PermissionSetArn: ps, PrincipalType: type, PrincipalId: id }));
    }
    const assigned = async () => ((await ssoAdmin.send(new ListAccountAssignmentsCommand({ InstanceArn: instanceArn, AccountId: SSO_ACCOUNT, PermissionSetArn: ps }))).AccountAssignments ?? []).map((a) => `${a.PrincipalType}:${a.PrincipalId}`).sort();
    expect(await assigned()).toEqual([`GROUP:${groupId}`, `USER:${daveId}`].sort());

    const reviews = new ReviewClient(stack.ctx.temporal, stack.ctx.taskQueue);
    const { workflowId } = await reviews.start(stack.ctx.policy, 'it-review-sso', 'alice');
    await until('reviewers', () => reviews.status(workflowId), (s: AccessReviewStatus) => s.reviewers.length > 0);
    const items = itemsOf(await reviews.reviewers(workflowId));
    const daveKey = `sso:${SSO_ACCOUNT}:ItReviewAdmin:USER:${daveId}`;
    expect(items.get('Dave Example → ItReviewAdmin')).toMatchObject({ key: daveKey, type: 'sso-assignment', holder: 'dave', findings: ['admin-on-human'], run: expect.stringMatching(/--group-security$/) });
    expect(items.get('oncall-engineers → ItReviewAdmin')).toMatchObject({ type: 'sso-assignment', findings: [] });
    // dave may not keep his own assignment (he is no reviewer here anyway); carol revokes it and keeps the group's.
    await reviews.decide(workflowId, 'carol', { items: [{ item: daveKey, decision: 'revoke', reason: 'admin through Identity Center needs break-glass instead' }], via: 'cli' });
    await reviews.decide(workflowId, 'carol', { bulk: 'keep-all', via: 'cli' });
    const res = await reviews.result(workflowId);
    expect(res.outcome).toBe('completed');
    const sec = res.status.reviewers.find((r) => r.reviewer.id === 'security')!.result!;
    expect(sec.counts).toMatchObject({ revoked: 1, applied: 1, verified: 1, failed: 0 });
    expect(await assigned()).toEqual([`GROUP:${groupId}`]);
  }, 120_000);
});

