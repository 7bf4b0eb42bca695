// `safeguard audit …`: the evidence store.
import path from 'node:path';
import type { Command } from 'commander';
import { out } from '../program';
import { runAuditList, runAuditVerify } from '../commands/audit';

export function register(program: Command): void {
  const audit = program.command('audit').description('evidence store');
  const evidenceDir = (o: { dir?: string }): string => o.dir ?? path.join(process.env.SAFEGUARD_DATA_DIR ?? '.data', 'evidence');
  audit
    .command('verify')
    .option('--dir <dir>', 'evidence directory (default .data/evidence)')
    .option('--json')
    .action(async (o: { dir?: string; json?: boolean }) => {
      process.exitCode = await runAuditVerify(evidenceDir(o), o, out);
    });
  audit
    .command('list')
    .option('--dir <dir>')
    .option('--kind <kind>')
    .option('--since <date>')
    .option('--until <date>')
    .option('--json')
    .action(async (o: { dir?: string; kind?: string; since?: string; until?: string; json?: boolean }) => {
      process.exitCode = await runAuditList(evidenceDir(o), o, out);
    });
}
