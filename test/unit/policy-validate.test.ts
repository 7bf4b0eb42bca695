import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPolicyValidate } from '../../cli/commands/policy-validate';

const ROOT = join(__dirname, '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'policy.yaml');

function run(file: string, opts: { json?: boolean } = {}) {
  let stdout = '';
  let stderr = '';
  const code = runPolicyValidate(file, opts, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe('safeguard policy validate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'safeguard-validate-'));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(
    bad,
    [
      'version: 1',
      'groups: [{ id: oncall }]',
      'people:',
      '  - id: alice',
      '    name: Alice',
      '    groups: [oncall]',
      'accounts: []',
      'security:',
      '  groups: [oncall]',
      'breakGlassRoles: []',
      '',
    ].join('\n'),
  );

  it('exits 0 and summarises a valid policy', () => {
    const r = run(EXAMPLE);
    expect(r).toEqual({ code: 0, stdout: `${EXAMPLE}: valid (4 people, 3 break-glass roles)\n`, stderr: '' });
  });

  it('exits 1 and prints one file:line: field: message line per issue on stderr', () => {
    const r = run(bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${bad}:7: accounts: declare at least one account\n`);
    for (const line of r.stderr.trimEnd().split('\n')) expect(line).toMatch(/^.+:\d+: \S+: .+$/);
  });

  it('lists every cross-reference issue, one per line', () => {
    const file = join(dir, 'refs.yaml');
    const text = readFileSync(EXAMPLE, 'utf8')
      .replace('groups: [leads]', 'groups: [leads, sre]')
      .replace('quorum: 1               ', 'quorum: 5               ');
    writeFileSync(file, text);
    const r = run(file);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${escape(file)}:\\d+: people\\[1\\]\\.groups\\[1\\]: unknown group "sre"`));
    expect(lines[1]).toMatch(new RegExp(`^${escape(file)}:\\d+: breakGlassRoles\\[0\\]\\.quorum: quorum 5 is larger than the approver pool`));
  });

  it('exits 2 with a clear message when the file cannot be read', () => {
    const r = run(join(dir, 'missing.yaml'));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`cannot read policy file ${join(dir, 'missing.yaml')}: no such file\n`);
    expect(run(dir).stderr).toMatch(/it is a directory/);
  });

  it('prints one JSON object with --json', () => {
    const ok = run(EXAMPLE, { json: true });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, issues: [], people: 4, breakGlassRoles: 3 });

    const invalid = run(bad, { json: true });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toBe('');
    const body = JSON.parse(invalid.stdout) as { valid: boolean; issues: unknown[] };
    expect(body.valid).toBe(false);
    expect(body.issues).toContainEqual({ file: bad, line: 7, field: 'accounts', message: 'declare at least one account' });

    const missing = run(join(dir, 'missing.yaml'), { json: true });
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ valid: false, issues: [], error: expect.stringMatching(/cannot read/) });
  });

  it('prints warnings on stderr but still exits 0', () => {
    const file = join(dir, 'warn.yaml');
    const text = readExampleWith('    quorum: 2');
    writeFileSync(file, text);
    const r = run(file);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: .+:\d+: breakGlassRoles\[1\]\.quorum: quorum 2 cannot be met when bob requests/);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// Turns the example's BreakGlassReadOnly (requesters oncall+leads) into a 2-of-2 quorum.
function readExampleWith(quorum: string): string {
  const lines = readFileSync(EXAMPLE, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.includes('name: BreakGlassReadOnly'));
  const q = lines.findIndex((l, i) => i > start && l.trim().startsWith('quorum:'));
  lines[q] = quorum;
  return lines.join('\n');
}
