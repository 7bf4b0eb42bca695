// What `npm run chaos` prints: the faults it injected, the load it ran, and the final checks.
import type { CheckResult, FaultEvent } from './ledger';
import type { WorkloadStats } from './workload';

export interface ChaosReport {
  seed: number;
  quick: boolean;
  windowSeconds: number;
  elapsedMs: number;
  faults: FaultEvent[];
  workerKills: number;
  workload: WorkloadStats;
  grants: number;
  runs: number;
  checks: CheckResult[];
}

export function renderChaosReport(r: ChaosReport): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
  const count = (f: FaultEvent['fault']) => r.faults.filter((e) => e.fault === f).length;
  const w = r.workload;
  const plays = new Map<string, { ok: number; notOk: number }>();
  for (const p of w.plays) {
    const e = plays.get(p.kind) ?? { ok: 0, notOk: 0 };
    if (p.ok) e.ok += 1;
    else e.notOk += 1;
    plays.set(p.kind, e);
  }
  const lines = [
    `chaos run (seed ${r.seed}${r.quick ? ', --quick' : ''}): ${r.windowSeconds} s of faults, ${s(r.elapsedMs)} in all`,
    '',
    'faults',
    `  worker SIGKILLs         ${r.workerKills}`,
    `  temporal restarts       ${count('temporal-restart')}`,
    `  AWS faults              ${r.faults.filter((f) => f.fault === 'aws-faults' && f.recoveredAtMs !== f.startedAtMs).map((f) => `${f.detail} for ${s((f.recoveredAtMs ?? f.startedAtMs) - f.startedAtMs)}`).join('; ') || 'none'}`,
    `  Slack faults            ${r.faults.filter((f) => f.fault === 'slack-faults').map((f) => f.detail).join('; ') || 'none'}`,
    `  terminated runs         ${r.faults.filter((f) => f.fault === 'terminate').map((f) => f.detail).join('; ') || 'none'}`,
    '',
    'load',
    `  break-glass             ${w.requested} requested, ${w.approved} approved, ${w.active} active, ${w.credentialsVended} with credentials, ${w.revokedEarly} revoked early; ${w.retries} calls retried through outages`,
    `  plays                   ${[...plays].map(([k, v]) => `${k} ${v.ok}/${v.ok + v.notOk} ok`).join(', ') || 'none'}`,
    `  runs checked            ${r.runs} (${r.grants} break-glass from the requesters)`,
  ];
  if (w.gaveUp.length > 0) lines.push(`  given up (client side)  ${w.gaveUp.length}:`, ...w.gaveUp.slice(0, 10).map((g) => `    ${g}`));
  const brokenPlays = w.plays.filter((p) => !p.ok);
  if (brokenPlays.length > 0) lines.push('  plays the chaos broke (their runs are checked below):', ...brokenPlays.slice(0, 10).map((p) => `    ${p.kind}${p.workflowId ? ` ${p.workflowId}` : ''}: ${p.error ?? 'finished not ok'}`));
  lines.push('', 'checks');
  const width = Math.max(...r.checks.map((c) => c.name.length), 10);
  for (const c of r.checks) {
    lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(width)}  ${c.checked} checked${c.problems.length > 0 ? `, ${c.problems.length} problem(s)` : ''}`);
    for (const p of c.problems.slice(0, 20)) lines.push(`          ${p}`);
  }
  lines.push('', r.checks.length > 0 && r.checks.every((c) => c.ok) ? 'every check passed' : 'CHECKS FAILED');
  return `${lines.join('\n')}\n`;
}
