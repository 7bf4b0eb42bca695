// SSM Session Manager sessions opened with a grant's vended credentials are terminated by the
// revocation (DESIGN.md §4 step 3), and the receipt names them.
import { approve, requestAccess, revoke, status } from '../../cli/commands/breakglass';
import type { CliContext } from '../../cli/context';
import type { StackInfo } from '../../dev/stack';
import { sandboxControl } from '../../sandbox';
import { grantSessionName } from '../../workflows/break-glass/definitions';
import { REASON, openContext, resolvePeople, startSsmSession, vendCredentials, waitForPhase } from '../support/it-helpers';
import type { People } from '../support/it-helpers';
import { sandboxSeed, testStack } from '../support/stack';

let info: StackInfo;
let ctx: CliContext;
let who: People;

beforeAll(async () => {
  info = testStack();
  ctx = await openContext(info);
  who = await resolvePeople(ctx);
});

afterAll(async () => {
  await ctx?.close();
});

it('terminates the SSM sessions of the grant when it is revoked', async () => {
  const control = sandboxControl(info.awsEndpoint);
  const target = sandboxSeed(info).instances[0]!;
  const { workflowId: id } = await requestAccess(ctx, who.alice, { role: 'BreakGlassAdmin', duration: '25s', reason: REASON });
  await approve(ctx, who.bob, id);
  await waitForPhase(ctx, id, 'active');

  // Act as the requester would: vended credentials (broker → BreakGlassAdmin with the grant's
  // session name, SourceIdentity and tags), then `safeguard connect` to an instance.
  const creds = await vendCredentials(info, id, 'alice');
  const sessionId = await startSsmSession(info, creds, target);
  const owner = `arn:aws:sts::123456789012:assumed-role/BreakGlassAdmin/${grantSessionName(id)}`;
  const before = (await control.sessions()).find((x) => x.SessionId === sessionId);
  expect(before).toMatchObject({ Status: 'Connected', Target: target, Owner: owner });

  // An unrelated session (someone else's) must survive the revocation.
  const other = await vendCredentials(info, `breakglass-BreakGlassAdmin-other${id.slice(-4)}`, 'dave');
  const otherSession = await startSsmSession(info, other, target);

  expect((await status(ctx, id)).phase).toBe('active');
  await revoke(ctx, who.alice, id, 'done with the instance');
  const result = await ctx.breakGlass.result(id);
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
