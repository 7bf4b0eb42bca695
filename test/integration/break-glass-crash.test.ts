// A worker crash (SIGKILL) while a grant is active does not stop the revocation: the durable timer
// fires when a worker is back, and the grant is revoked with a verified receipt.
import { approve, requestAccess } from '../../cli/commands/breakglass';
import fs from 'node:fs';
import type { CliContext } from '../../cli/context';
import type { StackInfo } from '../../dev/stack';
import { REASON, openContext, resolvePeople, sleep, startTestWorker, waitForPhase } from '../support/it-helpers';
import type { People, TestWorker } from '../support/it-helpers';
import { testStack } from '../support/stack';

/** Pids of worker processes (any OS process) configured for this task queue, from /proc. */
function liveWorkersOn(taskQueue: string): number[] {
  const pids: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const env = fs.readFileSync(`/proc/${d}/environ`, 'utf8').split('\0');
      const state = fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.[0];
      if (env.includes(`SAFEGUARD_TASK_QUEUE=${taskQueue}`) && state !== 'Z') pids.push(Number(d));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

let info: StackInfo;
let worker: TestWorker | undefined;
let ctx: CliContext | undefined;
let who: People;

beforeAll(async () => {
  info = testStack();
  worker = await startTestWorker(info, 'crash');
  ctx = await openContext({ ...info, taskQueue: worker.taskQueue });
  who = await resolvePeople(ctx);
});

afterAll(async () => {
  await ctx?.close();
  await worker?.stop();
});

it('revokes on time after the worker is killed while the grant is active and started again', async () => {
  const c = ctx!;
  const w = worker!;
  const { workflowId: id } = await requestAccess(c, who.alice, { role: 'BreakGlassAdmin', duration: '15s', reason: REASON });
  await approve(c, who.bob, id);
  const active = await waitForPhase(c, id, 'active');
  const plannedEnd = Date.parse(active.plannedEndAt!);

  const killedAt = Date.now();
  await w.worker.kill();
  expect(w.worker.process.signalCode).toBe('SIGKILL');
  // The worker really is gone (no child process carried on running it).
  const killedPid = w.worker.process.pid!;
  expect(() => process.kill(killedPid, 0)).toThrow();
  expect(liveWorkersOn(w.taskQueue)).toEqual([]);
  // Stay down across the planned end, so the expiry timer fires while no worker is running.
  await sleep(Math.max(0, plannedEnd - Date.now()) + 1_000);
  const restartAt = Date.now();
  await w.restart();
  console.log(`crash: worker down ${restartAt - killedAt} ms (across the planned end) before restart; restart took ${Date.now() - restartAt} ms`);

  expect(w.worker.process.pid).not.toBe(killedPid);
  const result = await c.breakGlass.result(id);
  const s = result.status;
  const lagMs = Date.parse(s.actualEndAt!) - Date.parse(s.plannedEndAt!);
  console.log(`crash ${id}: actualEndAt - plannedEndAt = ${lagMs} ms; revocationLagMs=${result.revocationLagMs}`);
  expect(s.outcome).toBe('revoked');
  expect(s.endReason).toBe('expired');
  expect(s.revocation?.verified).toBe(true);
  expect(s.revocation?.statementPresent).toBe(true);
  // Nothing ran the revocation while the worker was down: it ended after the restart.
  expect(Date.parse(s.actualEndAt!)).toBeGreaterThanOrEqual(restartAt);
  expect(lagMs).toBeGreaterThanOrEqual(0);
  expect(lagMs).toBeLessThan(60_000);
  expect(Date.parse(s.plannedEndAt!)).toBe(plannedEnd);
});
