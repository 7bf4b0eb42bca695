// `npm run chaos -- --quick` as CI runs it (issue #14 §2): every runbook kind under worker SIGKILLs,
// a Temporal restart, 30% AWS failures, Slack 429s and 500s and a terminated break-glass run, then
// the final checks. Its own stack, its own process; the test reads the JSON report.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ChaosReport } from '../../chaos/report';
import { repoRoot } from '../support/paths';

const run = promisify(execFile);
jest.setTimeout(8 * 60_000);

it('loses nothing under the quick chaos run: every final check passes', async () => {
  const tsx = path.join(repoRoot, 'node_modules/.bin/tsx');
  const out = await run(tsx, ['chaos/main.ts', '--quick', '--json'], { cwd: repoRoot, timeout: 7 * 60_000, maxBuffer: 64 << 20 }).catch((err: { stdout?: string; stderr?: string; code?: number }) => {
    // A failed check exits 1 with the report on stdout: show the report, not only the exit code.
    return { stdout: err.stdout ?? '', stderr: `${err.stderr ?? ''}\nexit ${err.code ?? '?'}` };
  });
  const report = JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as ChaosReport;
  expect(report.checks?.filter((c) => !c.ok)).toEqual([]);
  // The faults really happened and the load really ran.
  expect(report.workerKills).toBeGreaterThanOrEqual(6);
  expect(report.faults.filter((f) => f.fault === 'temporal-restart' && f.recoveredAtMs !== undefined)).toHaveLength(1);
  expect(report.faults.some((f) => f.fault === 'terminate' && /^terminated /.test(f.detail))).toBe(true);
  expect(report.workload.credentialsVended).toBeGreaterThan(0);
  expect(new Set(report.workload.plays.map((p) => p.kind)).size).toBe(6);
  expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['evidence verifies', 'no scratch left', 'workflow states']));
});
