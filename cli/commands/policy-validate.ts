// `safeguard policy validate <file>`: checks a policy file without starting anything.
// Exit codes: 0 valid, 1 invalid (every issue listed), 2 the file cannot be read.
import { readFileSync } from 'node:fs';
import { formatIssue, parsePolicy } from '../../config/policy';
import type { PolicyIssue } from '../../config/policy';

export interface PolicyValidateOutput {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export interface PolicyValidateJson {
  valid: boolean;
  issues: PolicyIssue[];
  warnings: PolicyIssue[];
  /** Set only when the file could not be read (exit code 2). */
  error?: string;
  people?: number;
  breakGlassRoles?: number;
}

export function runPolicyValidate(file: string, opts: { json?: boolean }, out: PolicyValidateOutput): number {
  const emitJson = (body: PolicyValidateJson) => out.stdout(`${JSON.stringify(body)}\n`);

  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason =
      e.code === 'ENOENT' ? 'no such file' :
      e.code === 'EISDIR' ? 'it is a directory' :
      e.code === 'EACCES' ? 'permission denied' :
      (e.code ?? e.message);
    const message = `cannot read policy file ${file}: ${reason}`;
    if (opts.json) emitJson({ valid: false, issues: [], warnings: [], error: message });
    else out.stderr(`${message}\n`);
    return 2;
  }

  const result = parsePolicy(text, file);
  if (opts.json) {
    emitJson(
      result.ok
        ? { valid: true, issues: [], warnings: result.warnings, people: result.policy.people.length, breakGlassRoles: result.policy.breakGlassRoles.length }
        : { valid: false, issues: result.issues, warnings: result.warnings },
    );
    return result.ok ? 0 : 1;
  }

  for (const w of result.warnings) out.stderr(`warning: ${formatIssue(w)}\n`);
  if (!result.ok) {
    for (const issue of result.issues) out.stderr(`${formatIssue(issue)}\n`);
    return 1;
  }
  out.stdout(`${file}: valid (${result.policy.people.length} people, ${result.policy.breakGlassRoles.length} break-glass roles)\n`);
  return 0;
}
