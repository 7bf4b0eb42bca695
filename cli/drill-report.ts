// `safeguard drill status|report`: a restore drill's scores against its targets, what validation
// found, and the teardown receipt, as text, Markdown or JSON. Pure.
import { formatElapsed } from '../config/duration';
import type { FireDrillStatus } from '../workflows/fire-drill/definitions';
import type { RestoreDrillStatus } from '../workflows/restore-drill/definitions';
import { executionNote, runViewLines } from './run-view';

type Status = RestoreDrillStatus & { execution?: { status: string } };

const dur = (ms: number | null): string => (ms === null ? 'n/a' : formatElapsed(ms));
const met = (ok: boolean | null): string => (ok === null ? 'not measured' : ok ? 'met' : 'MISSED');

export function formatDrillStatus(st: Status): string {
  const v = st.view;
  return [`${st.workflowId}: restore drill ${st.drill} — ${v.outcome ?? v.phase}${executionNote(st.execution)}`, ...runViewLines(v, st.rounds, st.workflowId)].join('\n');
}

/** The auditor's page of one drill: scores vs targets, validation output, teardown receipt, sign-off. */
export function drillReport(st: Status, format: 'text' | 'md'): string {
  const s = st.scores;
  const rows: Array<[string, string]> = [
    ['Drill', st.drill],
    ['Run', st.workflowId],
    ['Outcome', st.view.outcome ?? `${st.view.phase} (still running)`],
    ['Started', st.view.startedAt],
    ['Ended', st.view.endedAt ?? '-'],
    ['Requested by', st.requestedBy],
    ['Restore point', st.restorePoint ? `${st.restorePoint.basis} ${st.restorePoint.time} (${st.restorePoint.ref})` : '-'],
    ['RTO', `${dur(s.rtoMs)} (target ${dur(s.rtoTargetMs)}: ${met(s.rtoMet)})`],
    ['RPO', `${dur(s.rpoMs)} (target ${dur(s.rpoTargetMs)}: ${met(s.rpoMet)}${s.rpoBasis ? `, from ${s.rpoBasis}` : ''})`],
    ['Scratch', st.scratch ? `${st.scratch.name} (${st.scratch.type})` : st.scratchName],
    ['Teardown', st.teardown ? `gone at ${st.teardown.goneAt} (attempt ${st.teardown.attempt}${st.teardown.deleteRequested ? '' : ', already going'})` : 'not torn down (nothing restored, or still running)'],
    ['Validation', st.validation ? `${st.validation.passed ? 'passed' : 'FAILED'}: ${st.validation.summary}` : '-'],
    ['Sign-off', signOffLine(st)],
  ];
  const output = st.validation?.output ?? '';
  if (format === 'md') {
    const table = ['| | |', '|---|---|', ...rows.map(([k, val]) => `| ${k} | ${val.replace(/\|/g, '\\|')} |`)];
    return [`# Restore drill ${st.drill}`, '', ...table, '', '## Validation output', '', '```', output.trimEnd() || '(none)', '```', ''].join('\n');
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  return [...rows.map(([k, val]) => `${k.padEnd(width)}  ${val}`), '', 'Validation output:', output.trim() ? output.trimEnd().replace(/^/gm, '  ') : '  (none)'].join('\n');
}

function signOffLine(st: Status): string {
  const r = st.rounds[0];
  if (st.signOff === 'signed' && r) return `signed by ${r.approvals.map((a) => `${a.by} at ${a.at}`).join(', ')}`;
  if (st.signOff === 'rejected' && r?.denial) return `rejected by ${r.denial.by} at ${r.denial.at}: ${r.denial.reason}`;
  return st.signOff;
}

/** A fire drill: its steps, the DRILL request approvers decide on, scores against targets. */
export function formatFireDrill(st: FireDrillStatus): string {
  const s = st.scores;
  const t = st.targets;
  const line = (what: string, ms: number | null, target: number, key: string) => `  ${what}: ${dur(ms)} (target ${dur(target)}${st.missed.includes(key) ? ', MISSED' : ''})`;
  return [
    `${st.workflowId}: fire drill ${st.drill} (rehearses ${st.rehearses}) — ${st.outcome ?? st.view.phase}`,
    ...(st.grantWorkflowId ? [`  DRILL request: ${st.grantWorkflowId}`] : []),
    line('time to approve', s.timeToApproveMs, t.approveWithinMs, 'approve'),
    line('time to grant', s.timeToGrantMs, t.grantWithinMs, 'grant'),
    line('revocation lag', s.revocationLagMs, t.revokeWithinMs, 'revoke'),
    ...(st.revocation ? [`  revocation: ${st.revocation.verified ? 'verified' : 'NOT verified'} at ${st.revocation.checkedAt}`] : []),
    ...runViewLines(st.view, [], st.workflowId).filter((l) => l.startsWith('  [')),
  ].join('\n');
}
