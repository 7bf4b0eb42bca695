// What the chaos run did, kept in the harness's memory only (the vended credentials are held so
// the final checks can prove access ended; they are never printed or written anywhere).
import type { CallRecord } from '../sandbox/call-log';

export interface HeldCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /**
   * When the chaos received them (epoch ms): their token was issued before. Lets the checks bound
   * the issue time when the session has later AssumeRole calls whose credentials were discarded
   * (vending refused after the lease ended); without it they use the session's last AssumeRole.
   */
  receivedAtMs?: number;
}

/** One break-glass request the workload made. */
export interface ChaosGrant {
  workflowId: string;
  requester: string;
  role: string;
  /** Planned end (epoch ms), from the run's status once it was active; extended grants update it. */
  plannedEndAtMs?: number;
  /** The last credentials vended for the grant, if any were. */
  credentials?: HeldCredentials;
  /** The chaos terminated this run on purpose (the reconciler must revoke it). */
  terminated?: boolean;
}

/** How a run the chaos started (or a play started) should stand at the end. */
export type Expectation = 'closed' | 'closed-or-running' | 'terminated';

export interface ChaosRun {
  workflowId: string;
  /** SafeguardKind / runbook kind, e.g. break-glass, access-key-rotation, restore-drill. */
  kind: string;
  expect: Expectation;
}

/** A fault window, for the report and for "after the last recovery". */
export interface FaultEvent {
  fault: 'worker-kill' | 'temporal-restart' | 'aws-faults' | 'slack-faults' | 'terminate';
  startedAtMs: number;
  /** When the stack was whole again (worker back, server answering, rules cleared). */
  recoveredAtMs?: number;
  detail: string;
}

export interface ChaosLedger {
  startedAtMs: number;
  grants: Map<string, ChaosGrant>;
  runs: ChaosRun[];
  faults: FaultEvent[];
  /** Every call the gateway recorded during the run (accumulated; the gateway keeps only the latest 20,000). */
  calls: CallRecord[];
  /**
   * Calls the recorder never saw: they rolled out of the gateway's buffer between two polls
   * (chaos/call-recorder.ts). The checks that read `calls` say they are incomplete when this is > 0.
   */
  callsLost?: number;
}

export function newLedger(now = Date.now()): ChaosLedger {
  return { startedAtMs: now, grants: new Map(), runs: [], faults: [], calls: [] };
}

/** When the last fault ended: the checks measure access against max(planned end, this) + 5 s. */
export function lastRecoveryAtMs(ledger: ChaosLedger): number {
  return Math.max(ledger.startedAtMs, ...ledger.faults.map((f) => f.recoveredAtMs ?? f.startedAtMs));
}

/** One line of the final report. */
export interface CheckResult {
  name: string;
  ok: boolean;
  /** How many things were checked. */
  checked: number;
  /** What is wrong (empty when ok), one line each. */
  problems: string[];
  /** What the check saw that is not wrong but worth reading (counts, what it could not judge and why). */
  notes?: string[];
}
