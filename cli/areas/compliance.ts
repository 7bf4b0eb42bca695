// `safeguard compliance`: the customer's HIPAA §164.312 table with every status computed from
// evidence and read-only AWS checks (docs/compliance.md). Exit 0 when generated (non-compliant rows
// included), 1 with --fail-on and a row at or below it, 2 for bad arguments (nothing is started).
import fs from 'node:fs';
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { out } from '../program';
import { ComplianceArgumentError, FAIL_ON, parseAccountId, parseFailOn, parseFormat, resolvePeriod } from '../../compliance/options';
import type { FailOn } from '../../compliance/options';
import { FORMATS } from '../../compliance/render';
import type { Format } from '../../compliance/render';

/** Commander's argParser contract: a bad value is an InvalidArgumentError (exit 2, usage shown). */
const arg =
  <T>(parse: (text: string, prev: T) => T) =>
  (text: string, prev: T): T => {
    try {
      return parse(text, prev);
    } catch (err) {
      if (err instanceof ComplianceArgumentError) throw new InvalidArgumentError(err.message);
      throw err;
    }
  };

interface Opts {
  format: Format;
  since?: string;
  until?: string;
  account?: string[];
  dir?: string;
  keyFile?: string;
  skipAws?: boolean;
  failOn?: FailOn;
  output?: string;
}

export function register(program: Command): void {
  program
    .command('compliance')
    .description("the customer's HIPAA §164.312 table with each status computed from evidence and AWS (exit 0 when generated)")
    .addOption(new Option('--format <format>', `output format: ${FORMATS.join(', ')}`).argParser(arg((t) => parseFormat(t))).default('md'))
    .option('--since <date>', 'start of the evidence period: a date, a date-time with zone, or days before --until (default 90d)')
    .option('--until <date>', 'end of the evidence period (default now)')
    .option('--account <id>', 'check only this policy account (repeatable)', arg<string[]>((t, prev) => parseAccountId(t, prev ?? [])))
    .option('--dir <dir>', "evidence directory (default: the running stack's, else SAFEGUARD_EVIDENCE_DIR, else .data/evidence)")
    .option('--key-file <file>', 'evidence key file, to verify the chain (default $SAFEGUARD_EVIDENCE_KEY_FILE / _KMS_KEYS, or a running dev stack\'s)')
    .option('--skip-aws', 'do not query AWS: the AWS rows say "not checked"')
    .addOption(new Option('--fail-on <level>', `exit 1 when a row is ${FAIL_ON.join(' or ')} (noncompliant: non-compliant rows; not-checked: those and unchecked rows)`).argParser(arg((t) => parseFailOn(t))))
    .option('--output <file>', 'write the report to this file instead of standard output')
    .action(async (o: Opts) => {
      // Loaded inside: the AWS SDK clients of eleven services are needed by this command only.
      const { render } = await import('../../compliance/render');
      let report;
      try {
        // The period first: bad dates start nothing.
        const period = resolvePeriod(o.since, o.until, new Date());
        const { generateCompliance } = await import('../../compliance/generate');
        report = await generateCompliance({ period, ...(o.account ? { accounts: o.account } : {}), ...(o.dir ? { dir: o.dir } : {}), ...(o.keyFile ? { keyFile: o.keyFile } : {}), ...(o.skipAws ? { skipAws: true } : {}) });
      } catch (err) {
        if (err instanceof ComplianceArgumentError) {
          out.stderr(`safeguard compliance: ${err.message}`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
      const text = render(report, o.format);
      if (o.output) fs.writeFileSync(o.output, text.endsWith('\n') ? text : `${text}\n`);
      else out.stdout(text);
      const failing = o.failOn === 'noncompliant' ? report.summary['non-compliant'] : o.failOn === 'not-checked' ? report.summary['non-compliant'] + report.summary['not checked'] : 0;
      process.exitCode = failing > 0 ? 1 : 0;
    });
}
