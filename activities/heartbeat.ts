// Heartbeats from long activities (the reconciler's sweep, waiting out IAM's consistency), harmless
// when the same code runs outside an activity (unit tests, the api).
import { Context } from '@temporalio/activity';

export function heartbeat(): void {
  try {
    Context.current().heartbeat();
  } catch {
    // not inside an activity
  }
}

/**
 * Waits, heartbeating first. Inside an activity the wait ends early with a CancelledFailure when the
 * activity is cancelled (the heartbeat is how the cancel arrives), so a drill's cancel or maxDuration
 * does not sit out a restore that takes hours.
 */
export function pause(ms: number): Promise<void> {
  heartbeat();
  let ctx: Context | undefined;
  try {
    ctx = Context.current();
  } catch {
    ctx = undefined;
  }
  return ctx ? ctx.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms));
}
