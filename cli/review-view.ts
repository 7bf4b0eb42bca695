// How the CLI prints access reviews: the review's steps and totals, each reviewer's progress, and one
// reviewer's items with their findings and decisions. Pure.
import type { AccessReviewStatus, AccessReviewerStatus, InventoryProgress, ReviewerItemView } from '../workflows/access-review/definitions';
import { executionNote, runViewLines } from './run-view';

export function formatReviewStatus(st: AccessReviewStatus & { execution: { status: string }; progress: InventoryProgress[] }): string {
  const lines = [`${st.workflowId}  access review ${st.review}  ${st.view.outcome ?? st.view.phase}${executionNote(st.execution)}`, ...runViewLines(st.view, [], st.workflowId)];
  for (const p of st.progress) lines.push(`  inventory ${p.accountId}: ${p.count} ${p.what}`);
  if (st.totals) {
    const f = Object.entries(st.totals.findings).map(([code, n]) => `${code} ${n}`).join(', ');
    lines.push(`  principals ${st.totals.principals}, flagged ${st.totals.flagged}, exempt ${st.totals.exempt}${f ? ` — ${f}` : ''}`);
  }
  for (const a of st.accounts) if (a.rootFindings.length > 0) lines.push(`  root of ${a.accountId}: ${a.rootFindings.join(', ')}`);
  if (st.deadlineAt) lines.push(`  deadline ${st.deadlineAt}`);
  for (const r of st.reviewers) {
    const c = r.result?.counts;
    lines.push(`  reviewer ${r.reviewer.type} ${r.reviewer.id}: ${r.items} item(s), ${r.flagged} flagged${c ? ` — ${c.kept} kept, ${c.revoked} revoked, ${c.defaulted} defaulted, ${c.verified}/${c.applied} verified` : ' — reviewing'}  (${r.workflowId})`);
  }
  return lines.join('\n');
}

function decisionText(i: ReviewerItemView): string {
  if (i.receipt) return `${i.decision?.decision ?? `default ${i.defaulted ?? ''}`}, ${i.receipt.verified ? 'revoked (verified)' : `NOT verified: ${i.receipt.remaining.join(', ')}`}`;
  if (i.decision) return `${i.decision.decision} by ${i.decision.by}${i.decision.bulk ? ` (${i.decision.bulk})` : ''}`;
  if (i.defaulted) return `default: ${i.defaulted}`;
  return 'undecided';
}

export function formatReviewerItems(runs: readonly AccessReviewerStatus[], person: string | undefined): string {
  if (runs.length === 0) return 'no reviewer runs yet (the inventory may still be running): safeguard review status <id>';
  const lines: string[] = [];
  for (const r of runs) {
    const c = r.counts;
    lines.push(`${r.workflowId}  ${r.reviewer.type} ${r.reviewer.id}  ${r.phase}  ${c.decided}/${c.items} decided, ${c.flagged} flagged, deadline ${r.deadlineAt}${r.escalated ? ' (escalated)' : ''}${person && !r.mayDecide.includes(person) ? `  — ${person} may not decide here` : ''}`);
    for (const i of r.items) lines.push(`  ${i.findings.length > 0 ? '!' : ' '} ${i.key}  ${i.findings.join(',') || '-'}  ${decisionText(i)}${person !== undefined && i.holder === person ? '  (your own access: someone else decides it)' : ''}`);
  }
  return lines.join('\n');
}
