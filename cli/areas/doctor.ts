// `safeguard doctor`: checks a deployment (its configuration, Temporal, the Schedules, AWS, Slack,
// the api) and prints one row per check with a fix for each failure; exit code 1 when one failed.
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { checkDuration } from '../../config/duration';
import { out } from '../program';

const MAX_TIMEOUT_MS = 5 * 60_000;

/** `--timeout`: a duration (1s to 5m), per check. */
export function parseCheckTimeout(text: string): number {
  const d = checkDuration(text, { maxMs: MAX_TIMEOUT_MS });
  if (!d.ok) throw new InvalidArgumentError(d.reason);
  return d.ms;
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check a deployment: configuration, Temporal, Schedules, AWS roles, Slack, the api (exit 1 when a check fails)')
    .option('--json', 'print one JSON object')
    .addOption(new Option('--timeout <duration>', 'how long each check may take (1s to 5m)').argParser(parseCheckTimeout).default(10_000, '10s'))
    .action(async (o: { json?: boolean; timeout: number }) => {
      // Loaded here, not at start-up: the checks pull in the AWS and Slack SDKs, which no other command needs.
      const { runDoctor } = await import('../doctor');
      const { doctorEnvironment } = await import('../doctor/environment');
      const { exitCodeOf, renderTable, toJson } = await import('../doctor/report');
      const report = await runDoctor(doctorEnvironment(), { timeoutMs: o.timeout });
      out.stdout(o.json ? JSON.stringify(toJson(report)) : renderTable(report));
      process.exitCode = exitCodeOf(report.checks);
    });
}
