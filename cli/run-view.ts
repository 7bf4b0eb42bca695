// How the CLI prints any step-by-step run (rotation, drill …): facts, the step checklist and the
// decisions it waits for. Pure.
import type { ApprovalSnapshot } from '../workflows/shared/approval/gate';
import type { RunView } from '../workflows/shared/notifications';
import type { ListedRun } from '../client/runs';

const MARK = { done: 'x', failed: '!', running: '>', skipped: '-', pending: ' ' } as const;

export function runViewLines(v: RunView, rounds: readonly ApprovalSnapshot[], workflowId: string): string[] {
  const lines: string[] = [];
  for (const f of v.facts) lines.push(`  ${f.label}: ${f.value}`);
  for (const s of v.steps) lines.push(`  [${MARK[s.state]}] ${s.name}${s.detail ? ` — ${s.detail}` : ''}`);
  for (const r of rounds) lines.push(`  decision ${r.id ?? r.kind}: ${r.state} (${r.approvals.length}/${r.quorum})${r.state === 'open' ? ` — safeguard approve ${workflowId}${r.id ? ` --round ${r.id}` : ''}` : ''}`);
  return lines;
}

/** ` (TERMINATED)` and the like, when Temporal's own status says more than the run's outcome. */
export function executionNote(execution: { status: string } | undefined): string {
  return execution && execution.status !== 'RUNNING' && execution.status !== 'COMPLETED' ? ` (${execution.status})` : '';
}

export function formatRunList(rows: readonly ListedRun[], none: string): string {
  if (rows.length === 0) return none;
  return rows.map((r) => `${r.workflowId}  ${r.kind}  ${r.target ?? '-'}  ${r.status}${r.outcome ? `  ${r.outcome}` : ''}  ${r.startTime}`).join('\n');
}
