// `safeguard audit …`: what auditors run: verify the evidence, list it, export a period's report
// (audit-export.ts), read one run's timeline and replay histories (audit-show.ts).
import path from 'node:path';
import type { Command } from 'commander';
import { out } from '../program';
import { runAuditList, runAuditVerify } from '../commands/audit';
import { openEvidenceForAudit } from '../../evidence/audit-access';
import { registerAuditExport } from './audit-export';
import { registerAuditReplay, registerAuditShow } from './audit-show';

export function register(program: Command): void {
  const audit = program.command('audit').description('evidence store');
  const evidenceDir = (o: { dir?: string }): string => o.dir ?? process.env.SAFEGUARD_EVIDENCE_DIR ?? path.join(process.env.SAFEGUARD_DATA_DIR ?? '.data', 'evidence');
  audit
    .command('verify')
    .description('check the evidence chain (keyed links) against its anchors (local, and S3 Object Lock when configured); names the first bad record')
    .option('--dir <dir>', 'evidence directory (default $SAFEGUARD_EVIDENCE_DIR or .data/evidence)')
    .option('--key-file <file>', 'evidence key file (default $SAFEGUARD_EVIDENCE_KEY_FILE / _KMS_KEYS, or the dev stack\'s)')
    .option('--bucket <bucket>', 'S3 bucket holding the anchors (default $SAFEGUARD_EVIDENCE_BUCKET)')
    .option('--json')
    .action(async (o: { dir?: string; keyFile?: string; bucket?: string; json?: boolean }) => {
      const access = await openEvidenceForAudit({ dir: evidenceDir(o), ...(o.keyFile ? { keyFile: o.keyFile } : {}), ...(o.bucket ? { bucket: o.bucket } : {}) });
      process.exitCode = await runAuditVerify(access, o, out);
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
  // The export verifies the chain keyed and anchored, as `audit verify` does.
  registerAuditExport(audit, { openStore: async (dir, access) => (await openEvidenceForAudit({ dir, ...access })).store });
  registerAuditShow(audit);
  registerAuditReplay(audit);
}
