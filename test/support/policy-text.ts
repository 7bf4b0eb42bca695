// Policy texts for the loader's tests: a base file as numbered lines, edited line by line (so each
// test says which line it breaks and can assert the file:line of the error), and the parse helpers.
import { formatIssue, parsePolicy } from '../../config/policy';
import type { Policy, PolicyIssue } from '../../config/policy';

export type Edit = { line: number; text?: string; insertAfter?: string[]; remove?: true };

/** `base` with the edits applied (1-based line numbers of the base). */
export function editLines(base: readonly string[], edits: Edit[]): string {
  const lines: (string | string[])[] = [...base];
  for (const e of edits) {
    const i = e.line - 1;
    if (e.remove) lines[i] = [];
    else if (e.insertAfter) lines[i] = [base[i] ?? '', ...e.insertAfter];
    else if (e.text !== undefined) lines[i] = e.text;
  }
  return `${lines.flat().join('\n')}\n`;
}

export function issuesOf(text: string): PolicyIssue[] {
  const result = parsePolicy(text, 'p.yaml');
  if (result.ok) throw new Error('expected the policy to be invalid');
  return result.issues;
}

export function issueAt(text: string, field: string): PolicyIssue {
  const issues = issuesOf(text);
  const issue = issues.find((i) => i.field === field);
  if (!issue) throw new Error(`no issue for ${field}; got:\n${issues.map(formatIssue).join('\n')}`);
  return issue;
}

export function validPolicy(text: string): Policy {
  const result = parsePolicy(text, 'p.yaml');
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.policy;
}
