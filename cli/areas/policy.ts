// `safeguard policy validate <file>`.
import type { Command } from 'commander';
import { out } from '../program';
import { runPolicyValidate } from '../commands/policy-validate';

export function register(program: Command): void {
  const policy = program.command('policy').description('policy file tools');
  policy
    .command('validate <file>')
    .option('--json')
    .action((file: string, o: { json?: boolean }) => {
      process.exitCode = runPolicyValidate(file, o, out);
    });

}
