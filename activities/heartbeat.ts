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

/** Waits, heartbeating first. */
export function pause(ms: number): Promise<void> {
  heartbeat();
  return new Promise((resolve) => setTimeout(resolve, ms));
}
