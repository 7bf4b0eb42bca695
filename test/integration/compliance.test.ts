// `safeguard compliance` against the running stack's sandbox: the AWS rows read, through each
// account's SafeguardExecution role (deployed from deploy/cloudformation/target-account.yaml, moto
// enforcing its policies), what sandbox/seed-compliance.ts seeded: a non-compliant and a compliant
// account.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ComplianceReport, ReportRow } from '../../compliance/report';
import { AWS_CHECKS } from '../../compliance/aws-checks';
import { nodeVersionNotice } from '../../config/node-version';
import { runSafeguard } from '../support/run-cli';
import { sandboxSeed, testStack } from '../support/stack';

const savedStackFile = process.env.SAFEGUARD_STACK_FILE;
let good: string;
let bad: string;

beforeAll(() => {
  // As the CLI's main does: the SDK's Node-version notice would otherwise land in stderr.
  nodeVersionNotice();
  process.env.SAFEGUARD_STACK_FILE = process.env.SAFEGUARD_TEST_STACK_FILE;
  const seeded = sandboxSeed(testStack()).compliance;
  if (!seeded?.compliantAccount) throw new Error('the sandbox seeded no compliant account: sandbox/seed-compliance.ts');
  good = seeded.compliantAccount;
  bad = seeded.noncompliantAccount;
});

afterAll(() => {
  if (savedStackFile === undefined) delete process.env.SAFEGUARD_STACK_FILE;
  else process.env.SAFEGUARD_STACK_FILE = savedStackFile;
});

async function report(...args: string[]): Promise<ComplianceReport> {
  const run = await runSafeguard('compliance', '--format', 'json', ...args);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as ComplianceReport;
}

const rows = (r: ComplianceReport): Record<string, ReportRow> => Object.fromEntries(r.sections.flatMap((s) => s.rows).map((x) => [x.id, x]));

// The seeded rows (break-glass roles' sessions are the policy's roles, compliant in every account).
const SEEDED = AWS_CHECKS.map((c) => c.id).filter((id) => id !== 'break-glass-max-session');

describe('safeguard compliance against the sandbox', () => {
  let both: ComplianceReport;
  beforeAll(async () => {
    both = await report('--account', bad, '--account', good);
  });

  it('every AWS check is compliant in the compliant account and non-compliant in the other, as seeded', () => {
    const checks = new Map(both.sections.flatMap((s) => s.rows.flatMap((r) => r.checks)).map((c) => [c.id, c]));
    for (const id of SEEDED) {
      const c = checks.get(id);
      if (!c) throw new Error(`no row uses the check ${id}`);
      const byAccount = Object.fromEntries(c.findings.map((f) => [f.account, f]));
      expect([id, byAccount[good]?.status]).toEqual([id, 'compliant']);
      expect([id, byAccount[bad]?.status]).toEqual([id, 'non-compliant']);
      expect(byAccount[bad]?.reason).not.toMatch(/refused|not served/);
    }
    expect(both.accounts.map((a) => [a.id, a.unreachable])).toEqual([
      [bad, null],
      [good, null],
    ]);
  });

  it('names the AWS resources behind a status: account, region, API and resource', () => {
    const trail = rows(both)['integrity/cloudtrail-log-integrity']?.checks[0];
    const refs = trail?.findings.flatMap((f) => f.refs) ?? [];
    expect(refs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'aws', account: good, region: 'us-east-1', api: 'cloudtrail:DescribeTrails', resource: expect.stringContaining('sg-compliance-trail-ok') }),
        expect.objectContaining({ type: 'aws', account: bad, resource: expect.stringContaining('sg-compliance-trail-bad') }),
      ]),
    );
    const sg = rows(both)['transmission-security/guard-against-unauthorized-access'];
    expect(sg?.status).toBe('non-compliant');
    expect(sg?.reason).toMatch(/5432\/PostgreSQL/);
  });

  it('a row is as bad as its worst account; the compliant account alone makes the AWS rows compliant', async () => {
    expect(rows(both)['audit-controls/aws-api-activity']?.status).toBe('non-compliant');
    const alone = rows(await report('--account', good));
    for (const id of ['audit-controls/aws-api-activity', 'audit-controls/network-activity', 'audit-controls/s3-access', 'integrity/cloudtrail-log-integrity', 'integrity/database-integrity', 'transmission-security/guard-against-unauthorized-access', 'transmission-security/encryption-in-transit', 'transmission-security/https-enforcement', 'aws-services-implementing-technical-safeguards/guardduty', 'aws-services-implementing-technical-safeguards/security-hub', 'aws-services-implementing-technical-safeguards/aws-config']) {
      expect([id, alone[id]?.status]).toEqual([id, 'compliant']);
    }
  });

  it('"not checked" rows carry a reason; the customer rows keep their wording and status', () => {
    const all = both.sections.flatMap((s) => s.rows);
    const unchecked = all.filter((r) => r.status === 'not checked');
    expect(unchecked.length).toBeGreaterThan(0);
    for (const r of unchecked) expect(r.reason.length).toBeGreaterThan(20);
    expect(rows(both)['audit-controls/application-activity']).toMatchObject({ status: 'not checked', customerStatus: '❌ Unconfirmed', cells: ['Application activity', 'CloudWatch Logs (app-level logging)', '❌ Unconfirmed'] });
  });

  it('exits 1 with --fail-on noncompliant when a row is non-compliant, and writes a self-contained HTML file with --output', async () => {
    const failing = await runSafeguard('compliance', '--account', bad, '--fail-on', 'noncompliant', '--format', 'json');
    expect(failing.code).toBe(1);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sg-compliance-')), 'report.html');
    const html = await runSafeguard('compliance', '--account', good, '--format', 'html', '--output', file);
    expect(html.code).toBe(0);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toMatch(/^<!DOCTYPE html>/);
    expect(text).toContain(`${good}/us-east-1 cloudtrail:GetTrailStatus`);
    expect(text).not.toMatch(/<script|<link|https?:\/\//i);
  });

  it('refuses an account the policy does not name, before querying anything', async () => {
    const run = await runSafeguard('compliance', '--account', '999999999999');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--account 999999999999: not an account of the policy/);
    expect(run.stdout).toBe('');
  });
});
