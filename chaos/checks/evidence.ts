// Check (d): the whole evidence chain verifies, with the code `safeguard audit verify` runs: the
// store opened as the CLI opens it for an audit (keyed with the stack's evidence key, anchored in
// the stack's Object Lock bucket while it runs), then EvidenceStore.verify().
import path from 'node:path';
import type { StackInfo } from '../../config/stack-file';
import { openEvidenceForAudit } from '../../evidence/audit-access';
import { EVIDENCE_FILE } from '../../evidence/store';
import type { VerifyProblem, VerifyResult } from '../../evidence/store';
import { safeForTerminal } from '../../shared/terminal-text';
import type { CheckResult } from '../ledger';
import { sleep } from './bounded';

const RECHECK_AFTER_MS = 1_000;
/** Problem lines listed in full; the rest are counted. */
const MAX_LISTED = 20;

function describe(p: VerifyProblem): string {
  const where = p.line > 0 ? `${EVIDENCE_FILE}:${p.line}: ` : '';
  const seq = p.seq !== undefined ? `seq ${p.seq}: ` : '';
  const what = p.workflowId !== undefined ? `workflow ${p.workflowId}: ` : p.id !== undefined ? `record ${p.id}: ` : '';
  // Ids come from the file being verified: a tampered line must not drive the terminal.
  return safeForTerminal(`${where}${seq}${what}${p.problem}`);
}

/** The verification's problems as report lines. Pure. */
export function verifyProblems(result: VerifyResult): string[] {
  const lines = result.problems.slice(0, MAX_LISTED).map(describe);
  if (result.problems.length > MAX_LISTED) lines.push(`… and ${result.problems.length - MAX_LISTED} more problems`);
  if (result.unkeyed > 0) lines.push(`${result.unkeyed} entries have unkeyed (v1) links: they prove nothing against a rewrite`);
  return lines;
}

export async function checkEvidenceVerifies(stack: Pick<StackInfo, 'evidenceDir' | 'evidenceKeyFile'>): Promise<CheckResult> {
  const { store, notes } = await openEvidenceForAudit({ dir: stack.evidenceDir, keyFile: stack.evidenceKeyFile });
  const name = 'evidence verifies';
  if (!(await store.exists())) {
    return { name, ok: false, checked: 0, problems: [`no evidence file: ${path.join(store.dir, EVIDENCE_FILE)} does not exist`], notes };
  }
  let result = await store.verify();
  // The file is read before the anchors are listed: an append landing in between looks like a
  // deleted tail. A real problem is still there a moment later.
  if (!result.ok) {
    await sleep(RECHECK_AFTER_MS);
    result = await store.verify();
  }
  const problems = verifyProblems(result);
  const anchors = result.anchors?.stores.map((a) => `${a.count} anchor(s) in ${a.where} (last seq ${a.lastSeq})`).join('; ');
  return { name, ok: result.ok && problems.length === 0, checked: result.entries, problems, notes: [...notes, ...(anchors ? [`anchors: ${anchors}`] : ['not anchored'])] };
}
