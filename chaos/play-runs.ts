// The runs the plays started, found through visibility after the window: a play that finished saw
// its run close, so that run must be closed; a play the chaos broke (a client call lost to an outage,
// or abandoned) may have left its run waiting for people, which is correct for it. Break-glass runs
// are the workload's own (in the ledger) or a fire drill's rehearsal, which closes by itself.
import type { Client } from '@temporalio/client';
import { searchAttributeKeys } from '../client/search-attributes';
import type { ChaosLedger, ChaosRun } from './ledger';
import type { PlayRecord } from './workload';
import { DEMO_KINDS } from '../dev/demo-args';

const PLAYED_KINDS = new Set<string>(DEMO_KINDS);

/** Adds to the ledger every run started in the window that it does not know yet, with its expectation. */
export async function adoptPlayRuns(temporal: Client, ledger: ChaosLedger, plays: PlayRecord[]): Promise<ChaosRun[]> {
  const known = new Set(ledger.runs.map((r) => r.workflowId));
  const adopted: ChaosRun[] = [];
  const query = `StartTime >= "${new Date(ledger.startedAtMs).toISOString()}"`;
  for await (const wf of temporal.workflow.list({ query })) {
    if (known.has(wf.workflowId)) continue;
    const kind = wf.typedSearchAttributes.get(searchAttributeKeys.kind);
    // Only the kinds plays start: Safeguard's own runs (reconciler, revocation writer, sweeper,
    // watcher) carry a kind too, and some of them run for good by design.
    if (kind === undefined || !PLAYED_KINDS.has(kind)) continue;
    const started = wf.startTime.getTime();
    // The play of the run's own kind that was playing when it started; a break-glass run is a fire
    // drill's rehearsal (or a play's), which closes by itself whatever became of the play.
    const by = plays.find((p) => (kind === 'break-glass' || p.kind === kind) && p.startedAtMs <= started && started <= p.endedAtMs);
    if (!by) continue;
    const run: ChaosRun = { workflowId: wf.workflowId, kind, expect: kind === 'break-glass' || by.ok ? 'closed' : 'closed-or-running' };
    ledger.runs.push(run);
    known.add(wf.workflowId);
    adopted.push(run);
  }
  return adopted;
}
