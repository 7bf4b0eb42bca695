// The break-glass lifecycle end to end through the CLI's code paths, against the integration stack:
// Temporal dev server + AWS sandbox + the worker process on task queue 'safeguard'.
import { openEvidenceForAudit } from '../../evidence/audit-access';
import { approve, deny, requestAccess, revoke, status } from '../../cli/commands/breakglass';
import { SafeguardError } from '../../client/errors';
import { sandboxControl } from '../../sandbox';
import { grantSessionName } from '../../workflows/break-glass/definitions';
import { ROLE_REVOCATION_POLICY } from '../../workflows/break-glass/revocation-policy';
import { REASON, assumeRoleCallsFor, callLogMark, sessionTags, waitForPhase, useStackSession } from '../support/it-helpers';

const stack = useStackSession();

it('requests, refuses self-approval, approves, grants, expires and revokes with a verified receipt', async () => {
  const since = await callLogMark(stack.info);
  const req = await requestAccess(stack.ctx, stack.who.alice, { role: 'BreakGlassAdmin', duration: '15s', reason: REASON, ticket: 'INC-7001' });
  const id = req.workflowId;
  expect(id).toMatch(/^breakglass-BreakGlassAdmin-[0-9a-f]{8}$/);
  expect(req).toMatchObject({ role: 'BreakGlassAdmin', durationMs: 15_000, quorum: 1, mode: 'approval' });
  expect(req.approvers).not.toContain('alice');

  // Nobody approves their own request (invariant 2).
  let refusal: unknown;
  try {
    await approve(stack.ctx, stack.who.alice, id);
  } catch (err) {
    refusal = err;
  }
  expect(refusal).toBeInstanceOf(SafeguardError);
  expect(refusal).toMatchObject({ code: 'REFUSED', refusal: 'SelfApproval' });
  expect((await status(stack.ctx, id)).phase).toBe('pending');

  const decision = await approve(stack.ctx, stack.who.bob, id, { comment: 'confirmed INC-7001' });
  expect(decision).toMatchObject({ accepted: true, duplicate: false, approvals: 1, quorum: 1, decided: true });

  const active = await waitForPhase(stack.ctx, id, 'active');
  expect(active.phase).toBe('active');
  const sessionName = grantSessionName(id);
  expect(active.grantReceipt).toMatchObject({
    callerArn: `arn:aws:sts::123456789012:assumed-role/BreakGlassAdmin/${sessionName}`,
    sessionName,
    sourceIdentity: 'alice',
  });
  expect(active.approval?.approvals.map((a) => a.by)).toEqual(['bob']);

  const result = await stack.ctx.breakGlass.result(id);
  const s = result.status;
  console.log(`lifecycle ${id}: revocationLagMs=${result.revocationLagMs} plannedEndAt=${s.plannedEndAt} actualEndAt=${s.actualEndAt}`);
  expect(s.phase).toBe('ended');
  expect(s.outcome).toBe('revoked');
  expect(s.endReason).toBe('expired');
  expect(s.revocation).toMatchObject({
    verified: true,
    statementPresent: true,
    deniedSourceIdentity: 'alice',
    policyName: ROLE_REVOCATION_POLICY,
    activeSessionsLeft: [],
  });
  expect(result.revocationLagMs).toBeDefined();
  expect(result.revocationLagMs!).toBeLessThan(10_000);
  const grantedFor = Date.parse(s.plannedEndAt!) - Date.parse(s.grantedAt!);
  expect(grantedFor).toBe(15_000);
  expect(Date.parse(s.actualEndAt!)).toBeGreaterThanOrEqual(Date.parse(s.plannedEndAt!));

  // The sandbox saw the role's one deny policy written with a statement for alice's tokens…
  const control = sandboxControl(stack.info.awsEndpoint);
  const puts = (await control.calls({ since, service: 'iam', action: 'PutRolePolicy' })).filter((c) => c.params['PolicyName'] === ROLE_REVOCATION_POLICY);
  expect(puts.length).toBeGreaterThanOrEqual(1);
  for (const put of puts) expect(put.params['RoleName']).toBe('BreakGlassAdmin');
  const statementsOf = (put: (typeof puts)[number]) => (JSON.parse(String(put.params['PolicyDocument'])) as { Statement: Array<{ Effect: string; Action: string; Condition: Record<string, Record<string, string>> }> }).Statement;
  expect(puts.filter((put) => put.status === 200).map(statementsOf)).toContainEqual(
    expect.arrayContaining([
      expect.objectContaining({
        Effect: 'Deny',
        Action: '*',
        Condition: expect.objectContaining({
          StringEquals: { 'aws:SourceIdentity': 'alice' },
          DateLessThan: { 'aws:TokenIssueTime': s.revocation!.tokensIssuedBefore },
        }),
      }),
    ]),
  );
  // One statement per person, however many revocations the role has seen.
  for (const put of puts) {
    const people = statementsOf(put).map((st) => st.Condition['StringEquals']?.['aws:SourceIdentity']);
    expect(new Set(people).size).toBe(people.length);
  }
  expect(puts.some((c) => c.status === 200)).toBe(true);

  // …and the grant's AssumeRole carried SourceIdentity=alice and the grant's tags.
  const assumes = assumeRoleCallsFor(await control.calls({ since, service: 'sts', action: 'AssumeRole' }), id);
  expect(assumes.length).toBeGreaterThanOrEqual(1);
  for (const call of assumes) {
    expect(call.params['SourceIdentity']).toBe('alice');
    expect(call.params['RoleArn']).toBe('arn:aws:iam::123456789012:role/BreakGlassAdmin');
    expect(sessionTags(call)).toMatchObject({ 'safeguard:grant': id, 'safeguard:ticket': 'INC-7001' });
  }
  expect(assumes.some((c) => c.status === 200)).toBe(true);

  // The evidence store holds the record, keyed, and the chain is intact and anchored in S3 (Object Lock).
  const { store } = await openEvidenceForAudit({ dir: stack.info.evidenceDir });
  const entries = (await store.list({ kind: 'break-glass' })).filter((e) => e.record['workflowId'] === id);
  expect(entries).toHaveLength(1);
  expect(entries[0]!.record).toMatchObject({ grantId: id, requester: 'alice', outcome: 'revoked', endReason: 'expired', revocation: expect.objectContaining({ verified: true }) });
  expect(entries[0]).toMatchObject({ v: 2, keyId: 'k1' });
  const chain = await store.verify();
  expect(chain.problems).toEqual([]);
  expect(chain.anchors?.where).toMatch(/^s3:\/\/safeguard-evidence-/);
  expect(chain.anchors?.lastSeq).toBeGreaterThanOrEqual(entries[0]!.seq);
});

it('ends an active grant early when the requester revokes it through the CLI', async () => {
  const { workflowId: id } = await requestAccess(stack.ctx, stack.who.alice, { role: 'BreakGlassAdmin', duration: '25s', reason: REASON });
  await approve(stack.ctx, stack.who.carol, id);
  await waitForPhase(stack.ctx, id, 'active');
  const revokedAt = Date.now();
  const r = await revoke(stack.ctx, stack.who.alice, id, 'fixed, handing back');
  expect(r.accepted).toBe(true);
  const result = await stack.ctx.breakGlass.result(id);
  const s = result.status;
  console.log(`early revoke ${id}: revocationLagMs=${result.revocationLagMs} ended ${Date.parse(s.actualEndAt!) - revokedAt} ms after the revoke call`);
  expect(s.outcome).toBe('revoked');
  expect(s.endReason).toBe('revoked-by-requester');
  expect(s.revocation?.verified).toBe(true);
  // Well before the 25 s it was granted for.
  expect(Date.parse(s.actualEndAt!)).toBeLessThan(Date.parse(s.plannedEndAt!));
  expect(s.timeline.map((e) => e.event)).toContain('revoke-requested');
});

it('denies through the CLI: outcome denied and the role is never assumed for the grant', async () => {
  const since = await callLogMark(stack.info);
  const { workflowId: id } = await requestAccess(stack.ctx, stack.who.dave, { role: 'BreakGlassAdmin', duration: '20s', reason: REASON });
  // A denial needs a reason.
  await expect(deny(stack.ctx, stack.who.bob, id, '')).rejects.toMatchObject({ code: 'REFUSED' });
  const d = await deny(stack.ctx, stack.who.bob, id, 'not an incident; use the read-only role');
  expect(d).toMatchObject({ accepted: true, decided: true });
  const result = await stack.ctx.breakGlass.result(id);
  expect(result.status.outcome).toBe('denied');
  expect(result.status.grantReceipt).toBeUndefined();
  expect(result.status.revocation).toBeUndefined();
  expect(result.status.approval?.denial).toMatchObject({ by: 'bob' });
  // Approving after the denial is refused.
  await expect(approve(stack.ctx, stack.who.carol, id)).rejects.toBeInstanceOf(SafeguardError);
  const assumes = assumeRoleCallsFor(await sandboxControl(stack.info.awsEndpoint).calls({ since, service: 'sts', action: 'AssumeRole' }), id);
  expect(assumes).toEqual([]);
  const all = assumeRoleCallsFor(await sandboxControl(stack.info.awsEndpoint).calls({ service: 'sts', action: 'AssumeRole' }), id);
  expect(all).toEqual([]);
});
