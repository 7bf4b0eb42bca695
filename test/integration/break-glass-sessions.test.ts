// SSM Session Manager sessions opened with a grant's vended credentials are terminated by the
// revocation (DESIGN.md §4 step 3), and the receipt names them.
import { approve, requestAccess, revoke, status } from '../../cli/commands/breakglass';
import { sandboxControl } from '../../sandbox';
import { grantSessionName } from '../../workflows/break-glass/definitions';
import { REASON, startSsmSession, vendCredentials, waitForPhase, useStackSession } from '../support/it-helpers';
import { sandboxSeed } from '../support/stack';

const stack = useStackSession();

it('terminates the SSM sessions of the grant when it is revoked', async () => {
  const control = sandboxControl(stack.info.awsEndpoint);
  const target = sandboxSeed(stack.info).instances[0]!;
  const { workflowId: id } = await requestAccess(stack.ctx, stack.who.alice, { role: 'BreakGlassAdmin', duration: '25s', reason: REASON });
  await approve(stack.ctx, stack.who.bob, id);
  await waitForPhase(stack.ctx, id, 'active');

  // Act as the requester would: vended credentials (broker → BreakGlassAdmin with the grant's
  // session name, SourceIdentity and tags), then `safeguard connect` to an instance.
  const creds = await vendCredentials(stack.info, id, 'alice');
  const sessionId = await startSsmSession(stack.info, creds, target);
  const owner = `arn:aws:sts::123456789012:assumed-role/BreakGlassAdmin/${grantSessionName(id)}`;
  const before = (await control.sessions()).find((x) => x.SessionId === sessionId);
  expect(before).toMatchObject({ Status: 'Connected', Target: target, Owner: owner });

  // An unrelated session (someone else's) must survive the revocation.
  const other = await vendCredentials(stack.info, `breakglass-BreakGlassAdmin-other${id.slice(-4)}`, 'dave');
  const otherSession = await startSsmSession(stack.info, other, target);

  expect((await status(stack.ctx, id)).phase).toBe('active');
  await revoke(stack.ctx, stack.who.alice, id, 'done with the instance');
  const result = await stack.ctx.breakGlass.result(id);
  const s = result.status;
  console.log(`sessions ${id}: terminated ${JSON.stringify(s.revocation?.sessionsTerminated)} revocationLagMs=${result.revocationLagMs}`);
  expect(s.outcome).toBe('revoked');
  expect(s.endReason).toBe('revoked-by-requester');
  expect(s.revocation?.verified).toBe(true);
  expect(s.revocation?.sessionsTerminated).toContain(sessionId);
  expect(s.revocation?.sessionsTerminated).not.toContain(otherSession);
  expect(s.revocation?.activeSessionsLeft).toEqual([]);
  expect(s.sessions).toContain(sessionId);

  const after = await control.sessions();
  expect(after.find((x) => x.SessionId === sessionId)).toMatchObject({ Status: 'Terminated' });
  expect(after.find((x) => x.SessionId === otherSession)).toMatchObject({ Status: 'Connected' });
  const terminations = await control.calls({ service: 'ssm', action: 'TerminateSession' });
  expect(terminations.some((c) => c.params['SessionId'] === sessionId && c.status === 200)).toBe(true);
});
