// What people are told while a grant is active: a warning before the end (re-armed by an extension)
// and the ratification of a post-hoc grant, even when it lands while a notification is in flight.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { approveUpdate, extendUpdate } from '../../workflows/break-glass/definitions';
import { breakGlassInput } from '../support/break-glass-input';
import { startTimeSkipping } from '../support/time-skipping';
import { MIN, notificationEvents, resultOf, runBreakGlass, waitActive } from './harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

test('the requester is warned once before the end; an extension approved before the warning moves it', async () => {
  const input = breakGlassInput({ durationMs: 30 * MIN });
  const { result, events } = await runBreakGlass(env, input, async ({ handle, state }) => {
    await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
    await waitActive(handle);
    await handle.executeUpdate(extendUpdate, { args: [{ requester: 'alice', byMs: 15 * MIN }] });
    await handle.executeUpdate(approveUpdate, { args: [{ approver: 'carol', round: 'extension-1' }] });
    const res = await resultOf(handle);
    return { result: res, events: notificationEvents(state) };
  });
  expect(result.status.endReason).toBe('expired');
  const warnings = events.filter((e) => e === 'expiry-warning');
  expect(warnings).toHaveLength(1); // the extension came before the first warning: one warning, for the new end
  expect(events.indexOf('expiry-warning')).toBeLessThan(events.indexOf('ended'));
  expect(events.indexOf('extended')).toBeLessThan(events.indexOf('expiry-warning'));
});

test('a warning is sent for each planned end when an extension comes after the first warning', async () => {
  const input = breakGlassInput({ durationMs: 10 * MIN });
  const events = await runBreakGlass(env, input, async ({ handle, state }) => {
    await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant' }] });
    await waitActive(handle);
    // Past the warning (2 min before the end of a 10 min grant), then extend.
    await env.sleep(8 * MIN + 30_000);
    await handle.executeUpdate(extendUpdate, { args: [{ requester: 'alice', byMs: 10 * MIN }] });
    await handle.executeUpdate(approveUpdate, { args: [{ approver: 'carol', round: 'extension-1' }] });
    await resultOf(handle);
    return notificationEvents(state);
  });
  expect(events.filter((e) => e === 'expiry-warning')).toHaveLength(2);
});

test('a post-hoc ratification that arrives immediately is announced', async () => {
  const input = breakGlassInput({ durationMs: 20 * MIN, role: { mode: 'post-hoc', ratificationDeadlineMs: 10 * MIN } });
  const events = await runBreakGlass(env, input, async ({ handle, state }) => {
    await waitActive(handle);
    await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'ratification' }] });
    await resultOf(handle);
    return notificationEvents(state);
  });
  expect(events).toContain('ratified');
  expect(events.filter((e) => e === 'ratified')).toHaveLength(1);
});
