// Concurrent lifecycles while the AWS sandbox throttles 30% of IAM, STS and SSM calls: every grant
// is still revoked with a verified receipt (revocation retries until verified, DESIGN.md §4 step 4).
import { approve, requestAccess } from '../../cli/commands/breakglass';
import type { CliContext } from '../../cli/context';
import type { StackInfo } from '../../dev/stack';
import { sandboxControl } from '../../sandbox';
import type { SandboxControl } from '../../sandbox';
import type { BreakGlassResult } from '../../workflows/break-glass/definitions';
import { REASON, callLogMark, openContext, resolvePeople } from '../support/it-helpers';
import type { People } from '../support/it-helpers';
import { testStack } from '../support/stack';

const CONCURRENT = 6;

let info: StackInfo;
let ctx: CliContext;
let who: People;
let control: SandboxControl;

beforeAll(async () => {
  info = testStack();
  control = sandboxControl(info.awsEndpoint);
  ctx = await openContext(info);
  // Identities are verified before the faults go in (the CLI's own STS call is not under test here).
  who = await resolvePeople(ctx);
});

afterAll(async () => {
  await control?.clearFaults();
  await ctx?.close();
});

it(`revokes ${CONCURRENT} concurrent grants with 30% throttling on iam, sts and ssm`, async () => {
  const since = await callLogMark(info);
  try {
    for (const service of ['iam', 'sts', 'ssm'] as const) await control.addFault({ service, kind: 'throttle', rate: 0.3 });
    const ids = await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, i) => {
        const requester = i % 2 === 0 ? who.alice : who.dave;
        const approver = i % 3 === 0 ? who.carol : who.bob;
        const { workflowId } = await requestAccess(ctx, requester, { role: 'BreakGlassAdmin', duration: '15s', reason: `${REASON} (#${i})` });
        await approve(ctx, approver, workflowId);
        return workflowId;
      }),
    );
    const results: BreakGlassResult[] = await Promise.all(ids.map((id) => ctx.breakGlass.result(id)));
    for (const [i, r] of results.entries()) {
      const s = r.status;
      console.log(`faults ${ids[i]}: outcome=${s.outcome} verified=${s.revocation?.verified} attempts=${s.revocation?.attempts} revocationLagMs=${r.revocationLagMs} end lag=${Date.parse(s.actualEndAt!) - Date.parse(s.plannedEndAt!)} ms`);
      expect(s.outcome).toBe('revoked');
      expect(s.endReason).toBe('expired');
      expect(s.revocation?.verified).toBe(true);
      expect(s.revocation?.statementPresent).toBe(true);
      expect(s.revocation?.deniedSourceIdentity).toBe(s.requester);
    }

    // The faults really were injected (otherwise this test proves nothing).
    const faulted = (await control.calls({ since })).filter((c) => c.fault?.kind === 'throttle');
    console.log(`faults: ${faulted.length} throttled calls (${[...new Set(faulted.map((c) => c.service))].join(', ')})`);
    expect(faulted.length).toBeGreaterThan(0);

    const running = await ctx.breakGlass.list({ active: true });
    expect(running.filter((r) => ids.includes(r.workflowId))).toEqual([]);
    const all = await ctx.breakGlass.list();
    for (const id of ids) expect(all.find((r) => r.workflowId === id)).toMatchObject({ status: 'COMPLETED', outcome: 'revoked' });
  } finally {
    await control.clearFaults();
  }
});
