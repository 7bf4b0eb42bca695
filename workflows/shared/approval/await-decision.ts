// Waits for one approval round to be decided, reminding while it is open. Shared by every kind
// that asks people; the caller says what each moment means to its audience through `onEvent`.
// The sequence of timers it creates is part of recorded histories: change it only behind patched().
import { condition } from '@temporalio/workflow';
import type { ApprovalRound } from './gate';

export type DecisionMoment = 'progress' | 'reminder';

export interface AwaitDecisionOptions {
  /** Remind this often while the round is open. */
  reminderEveryMs: number;
  /** Stop waiting when this becomes true (a revoke, a cancel): the result is 'interrupted'. */
  interrupted?: () => boolean;
  /** Told about quorum progress (1 of 2…) and reminders; awaited in order. */
  onEvent?: (moment: DecisionMoment) => Promise<void>;
}

export type DecisionOutcome = 'approved' | 'denied' | 'expired' | 'interrupted';

export async function awaitDecision(round: ApprovalRound, opts: AwaitDecisionOptions): Promise<DecisionOutcome> {
  const interrupted = opts.interrupted ?? (() => false);
  const deadline = Date.parse(round.config.deadlineAt);
  let seen = 0;
  while (round.isOpen && !interrupted()) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    const woke = await condition(() => !round.isOpen || interrupted() || round.approvers.length !== seen, Math.min(remaining, opts.reminderEveryMs));
    if (round.isOpen && round.approvers.length !== seen) {
      seen = round.approvers.length;
      await opts.onEvent?.('progress');
    } else if (!woke && deadline - Date.now() > 0) await opts.onEvent?.('reminder');
  }
  if (round.state === 'approved') return 'approved';
  if (round.state === 'denied') return 'denied';
  if (interrupted()) return 'interrupted';
  round.expire();
  return 'expired';
}
