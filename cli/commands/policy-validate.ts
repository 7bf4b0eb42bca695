// `safeguard policy validate <file>`: checks a policy file without starting anything.
// Exit codes: 0 valid (warnings are printed but do not fail), 1 invalid (every issue listed),
// 2 the file cannot be read.
import { readFileSync } from 'node:fs';
import { formatIssue, parsePolicy } from '../../config/policy';
import type { Policy, PolicyIssue } from '../../config/policy';

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
  accessKeys?: number;
  kmsKeys?: number;
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function summary(policy: Policy): string {
  const parts = [count(policy.people.length, 'person', 'people'), count(policy.breakGlass.roles.length, 'break-glass role')];
  const { accessKeys, kmsKeys } = policy.rotation;
  if (accessKeys.length + kmsKeys.length > 0) {
    parts.push(`${count(accessKeys.length, 'access key')} and ${count(kmsKeys.length, 'KMS key')} to rotate`);
  }
  const drills = policy.drills.restore.length + policy.drills.fire.length;
  if (drills > 0) parts.push(count(drills, 'drill'));
  if (policy.reviews.access.length > 0) parts.push(count(policy.reviews.access.length, 'access review'));
  return parts.join(', ');
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
        ? {
            valid: true,
            issues: [],
            warnings: result.warnings,
            people: result.policy.people.length,
            breakGlassRoles: result.policy.breakGlass.roles.length,
            accessKeys: result.policy.rotation.accessKeys.length,
            kmsKeys: result.policy.rotation.kmsKeys.length,
          }
        : { valid: false, issues: result.issues, warnings: result.warnings },
    );
    return result.ok ? 0 : 1;
  }

  // One line per problem in file order, each saying whether it fails the file.
  const errors = result.ok ? [] : result.issues;
  const lines = [
    ...errors.map((i) => ({ line: i.line, text: `error: ${formatIssue(i)}` })),
    ...result.warnings.map((w) => ({ line: w.line, text: `warning: ${formatIssue(w)}` })),
  ].sort((a, b) => a.line - b.line);
  for (const l of lines) out.stderr(`${l.text}\n`);

  const warned = result.warnings.length > 0 ? `, ${count(result.warnings.length, 'warning')}` : '';
  if (!result.ok) {
    out.stderr(`${file}: invalid (${count(errors.length, 'error')}${warned})\n`);
    return 1;
  }
  out.stdout(`${file}: valid (${summary(result.policy)})${warned}\n`);
  return 0;
}
