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
      'version: 2',
      'groups: [{ id: oncall }]',
      'people:',
      '  - id: alice',
      '    name: Alice',
      '    groups: [oncall]',
      'accounts: []',
      'security:',
      '  groups: [oncall]',
      'breakGlass:',
      '  roles: []',
      '',
    ].join('\n'),
  );

  it('exits 0 and summarises a valid policy, counting every section', () => {
    const file = join(dir, 'clean.yaml');
    // The example without the second role on BreakGlassAdmin's IAM role, so nothing to warn about.
    writeFileSync(file, readFileSync(EXAMPLE, 'utf8').replace('PostHocAdmin\n      account: "123456789012"\n      roleArn: arn:aws:iam::123456789012:role/BreakGlassAdmin', 'PostHocAdmin\n      account: "123456789012"\n      roleArn: arn:aws:iam::123456789012:role/PostHocAdmin'));
    const r = run(file);
    expect(r).toEqual({ code: 0, stdout: `${file}: valid (4 people, 3 break-glass roles, 2 access keys and 2 KMS keys to rotate, 3 drills, 1 access review)\n`, stderr: '' });
  });

  it('leaves rotation out of the summary when the policy has none', () => {
    const file = join(dir, 'no-rotation.yaml');
    writeFileSync(file, readFileSync(EXAMPLE, 'utf8').split('\nrotation:')[0] ?? '');
    expect(run(file).stdout).toBe(`${file}: valid (4 people, 3 break-glass roles), 1 warning\n`);
  });

  it('exits 1 and prints one error: file:line: field: message line per issue, then a count', () => {
    const r = run(bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`error: ${bad}:7: accounts: declare at least one account\n${bad}: invalid (1 error)\n`);
    for (const line of r.stderr.trimEnd().split('\n').slice(0, -1)) expect(line).toMatch(/^error: .+:\d+: \S+: .+$/);
  });

  it('refuses a version 1 file with one error saying what to change', () => {
    const file = join(dir, 'v1.yaml');
    writeFileSync(file, readFileSync(bad, 'utf8').replace('version: 2', 'version: 1').replace('breakGlass:\n  roles: []', 'breakGlassRoles: []'));
    const r = run(file);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: ${file}:10: breakGlassRoles: version 1 policies put break-glass roles at the top level; move "breakGlassRoles:" under "breakGlass: roles:" and set "version: 2"\n${file}: invalid (1 error)\n`,
    );
  });

  it('lists every cross-reference issue, one per line', () => {
    const file = join(dir, 'refs.yaml');
    const text = readFileSync(EXAMPLE, 'utf8')
      .replace('groups: [leads, auditors]', 'groups: [leads, auditors, sre]')
      .replace('quorum: 1               ', 'quorum: 5               ');
    writeFileSync(file, text);
    const r = run(file);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(new RegExp(`^error: ${escape(file)}:\\d+: people\\[1\\]\\.groups\\[2\\]: unknown group "sre"`));
    expect(lines[1]).toMatch(new RegExp(`^error: ${escape(file)}:\\d+: breakGlass\\.roles\\[0\\]\\.quorum: quorum 5 is larger than the approver pool`));
    expect(lines[2]).toMatch(new RegExp(`^warning: ${escape(file)}:\\d+: breakGlass\\.roles\\[2\\]\\.roleArn: `));
    expect(lines[3]).toBe(`${file}: invalid (2 errors, 1 warning)`);
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
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, issues: [], people: 4, breakGlassRoles: 3, accessKeys: 2, kmsKeys: 2 });

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

  it('prints warnings on stderr, marked as warnings, but still exits 0', () => {
    const file = join(dir, 'warn.yaml');
    const text = readExampleWith('      quorum: 2');
    writeFileSync(file, text);
    const r = run(file);
    expect(r.code).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^warning: .+:\d+: breakGlass\.roles\[1\]\.quorum: quorum 2 cannot be met when bob requests/);
    expect(lines[1]).toMatch(/^warning: /);
    expect(r.stdout).toMatch(/: valid \(.+\), 2 warnings\n$/);
  });

  it('warns when two break-glass roles share one IAM role, with the line of the second roleArn', () => {
    const r = run(EXAMPLE);
    expect(r.code).toBe(0);
    const line = readFileSync(EXAMPLE, 'utf8').split('\n').findIndex((l, i, all) => l.includes('roleArn: arn:aws:iam::123456789012:role/BreakGlassAdmin') && all.slice(0, i).some((x) => x.includes('name: PostHocAdmin'))) + 1;
    expect(r.stderr).toBe(
      `warning: ${EXAMPLE}:${line}: breakGlass.roles[2].roleArn: breakGlass.roles[2] (PostHocAdmin) uses the same IAM role as breakGlass.roles[0] (BreakGlassAdmin): concurrent grants on it end together when either is revoked\n`,
    );
    expect(r.stdout).toBe(`${EXAMPLE}: valid (4 people, 3 break-glass roles, 2 access keys and 2 KMS keys to rotate, 3 drills, 1 access review), 1 warning\n`);
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
