// `safeguard compliance`: the customer's table parser, each evidence row's rules (compliant,
// non-compliant, no evidence), the AWS helpers, the renderers, and the command's bad input.
import fs from 'node:fs';
import path from 'node:path';
import { parseSeedTable, SeedTableError } from '../../compliance/seed-table';
import {
  LOGOFF_GRACE_MS,
  accessReviewCheck,
  automaticLogoffCheck,
  emergencyAccessCheck,
  evidenceChainCheck,
  kmsRotationEvidenceCheck,
  restoreDrillCheck,
  rootRecoveryCheck,
} from '../../compliance/evidence-rows';
import type { EntryLike, Period } from '../../compliance/evidence-rows';
import { combine } from '../../compliance/model';
import { AWS_CHECKS, AccountReads, notCheckedReason, openGroups, runAwsCheck, worldOpenPorts } from '../../compliance/aws-checks';
import type { ComplianceAwsClients } from '../../compliance/aws-clients';
import { buildReport } from '../../compliance/report';
import type { ComplianceReport } from '../../compliance/report';
import { escapeHtml, renderHtml, renderJson, renderMarkdown } from '../../compliance/render';
import { mdCell } from '../../reports/markdown';
import { ComplianceArgumentError, parseFormat, parseWhen, resolvePeriod } from '../../compliance/options';
import { ROW_RULES } from '../../compliance/rows';
import { SEED_FILE, accountScopes } from '../../compliance/generate';
import type { Policy } from '../../config/policy/types';
import { runSafeguard } from '../support/run-cli';

const SEED_TEXT = fs.readFileSync(SEED_FILE, 'utf8');
const PERIOD: Period = { since: new Date('2026-01-01T00:00:00Z'), until: new Date('2026-04-01T00:00:00Z') };

let seq = 0;
function entry(kind: string, record: Record<string, unknown>, at = '2026-02-01T00:00:00.000Z'): EntryLike {
  seq += 1;
  return { seq, at, id: `${kind}/${seq}`, kind, record };
}

function grant(over: Record<string, unknown> = {}): EntryLike {
  return entry('break-glass', {
    workflowId: `bg-${seq + 1}`,
    runId: 'r1',
    grantedAt: '2026-02-01T10:00:00.000Z',
    plannedEndAt: '2026-02-01T11:00:00.000Z',
    actualEndAt: '2026-02-01T11:00:02.000Z',
    endReason: 'expired',
    revocation: { verified: true, checkedAt: '2026-02-01T11:00:02.000Z' },
    ...over,
  });
}

const drill = (outcome: string, at?: string): EntryLike => entry('break-glass-drill', { workflowId: 'd', runId: 'r', drill: 'quarterly', outcome }, at);

describe('the customer table parser', () => {
  const doc = parseSeedTable(SEED_TEXT);

  it('the vendored copy is the customer document, byte for byte', () => {
    const original = path.resolve(__dirname, '../../../shared/seeds/hipaa-technical-safeguards.txt');
    if (fs.existsSync(original)) expect(SEED_TEXT).toBe(fs.readFileSync(original, 'utf8'));
    expect(fs.readFileSync(path.resolve(__dirname, '../../compliance/README.md'), 'utf8')).toMatch(/hipaa-technical-safeguards\.txt.*copy of the customer's seed/s);
  });

  it('reads the title, the preamble and every section with its reference, columns and notes', () => {
    expect(doc.title).toBe('Technical Safeguards');
    expect(doc.preamble).toEqual(['HIPAA Rule: §164.312', 'Technical safeguards are the technology and related policies that protect PHI and control access to it.']);
    expect(doc.sections.map((s) => [s.heading, s.ref, s.columns, s.notes])).toEqual([
      ['Access Control (§164.312(a))', '§164.312(a)', ['Requirement', 'Implementation', 'Status'], ['See Access Control Policy.']],
      ['Audit Controls (§164.312(b))', '§164.312(b)', ['Mechanism', 'Tool', 'Status'], ['See Audit Logging Policy.']],
      ['Integrity (§164.312(c))', '§164.312(c)', ['Requirement', 'Implementation', 'Status'], []],
      ['Transmission Security (§164.312(e))', '§164.312(e)', ['Requirement', 'Implementation', 'Status'], ['See Encryption Policy.']],
      ['AWS Services Implementing Technical Safeguards', null, ['AWS Service', 'Safeguard Area'], []],
    ]);
  });

  it('reads every row with the customer wording and status', () => {
    const rows = doc.sections.map((s) => s.rows.map((r) => [r.cells[0], r.cells[1], r.customerStatus]));
    expect(rows).toEqual([
      [
        ['Unique user identification', 'IAM users + application accounts', '✅ Policy in place'],
        ['Emergency access procedure', 'Break-glass IAM role + root recovery', '❌ Runbook needed'],
        ['Automatic logoff', 'Console: 1-hour idle; App: 30-min idle', '❌ Not confirmed'],
        ['Encryption and decryption', 'KMS CMKs', '❌ Not yet deployed'],
      ],
      [
        ['AWS API activity', 'CloudTrail (multi-region)', '❌ Not deployed'],
        ['Network activity', 'VPC Flow Logs', '❌ Not deployed'],
        ['Application activity', 'CloudWatch Logs (app-level logging)', '❌ Unconfirmed'],
        ['S3 access', 'S3 Server Access Logging', '❌ Not deployed'],
      ],
      [
        ['PHI alteration / destruction detection', 'CloudTrail + S3 versioning', '❌ Partial'],
        ['CloudTrail log integrity', 'Log file validation (SHA-256)', '❌ Not deployed'],
        ['Database integrity', 'RDS automated backups + point-in-time recovery', '❌ Not confirmed'],
      ],
      [
        ['Guard against unauthorized access', 'VPC + security groups', '❌ Not confirmed'],
        ['Encryption in transit', 'TLS 1.2+ on all endpoints', '❌ Not confirmed'],
        ['HTTPS enforcement', 'ALB listener + WAF', '❌ Not deployed'],
      ],
      [
        ['KMS', 'Access control, encryption', null],
        ['CloudTrail', 'Audit controls', null],
        ['VPC Flow Logs', 'Audit controls, transmission security', null],
        ['AWS Config', 'Integrity monitoring', null],
        ['GuardDuty', 'Integrity, access control', null],
        ['Security Hub', 'Cross-service compliance visibility', null],
        ['WAF', 'Transmission security, access control', null],
        ['SSM Session Manager', 'Access control (replaces SSH)', null],
        ['AWS Backup', 'Integrity (backup and restore)', null],
      ],
    ]);
    expect(doc.sections[0]?.rows[0]?.line).toBe(8);
  });

  it('has a rule (checks or a reason) for every row of the customer table', () => {
    for (const r of doc.sections.flatMap((s) => s.rows)) expect(ROW_RULES[r.id]).toBeDefined();
  });

  it('refuses a row with too few cells, a cell without its closing pipe, and a text with no table, naming the line', () => {
    expect(() => parseSeedTable('T\nH\n| A |\nB |\n| x |\n')).toThrow(/line 5: the row "x" has 1 cells, its table 2 columns/);
    expect(() => parseSeedTable('T\nH\n| A |\nB\n')).toThrow(SeedTableError);
    expect(() => parseSeedTable('Title only\nno table here\n')).toThrow(/no table found/);
  });
});

describe('emergency access procedure (evidence)', () => {
  it('compliant: every grant revoked with a verified receipt and the last fire drill passed', () => {
    const g = grant();
    const d = drill('passed');
    const r = emergencyAccessCheck([g, d], PERIOD);
    expect(r.status).toBe('compliant');
    expect(r.findings.flatMap((f) => f.refs)).toEqual(expect.arrayContaining([expect.objectContaining({ seq: g.seq, kind: 'break-glass' }), expect.objectContaining({ seq: d.seq })]));
  });

  it('a grant revoked by the reconciler counts as revoked, and says so', () => {
    const g = grant({ workflowId: 'bg-x', revocation: { verified: false } });
    const rec = entry('reconciled', { workflowId: 'bg-x', runId: 'r1', reconcileWorkflowId: 'rc', requester: 'a', role: 'R', revocation: { verified: true } });
    const r = emergencyAccessCheck([g, rec, drill('passed')], PERIOD);
    expect(r.status).toBe('compliant');
    expect(r.reason).toMatch(/1 by the reconciler/);
  });

  it('non-compliant: a grant without a verified revocation, or the last drill failed, or no drill at all', () => {
    expect(emergencyAccessCheck([grant({ revocation: { verified: false } }), drill('passed')], PERIOD).status).toBe('non-compliant');
    expect(emergencyAccessCheck([grant(), drill('passed', '2026-01-02T00:00:00Z'), drill('missed-targets', '2026-03-01T00:00:00Z')], PERIOD).reason).toMatch(/missed-targets/);
    expect(emergencyAccessCheck([grant(), drill('passed'), drill('missed-targets')], PERIOD).status).toBe('non-compliant');
    expect(emergencyAccessCheck([grant()], PERIOD).reason).toMatch(/no break-glass fire drill/);
    expect(emergencyAccessCheck([grant({ actualEndAt: '2026-02-01T11:30:00.000Z' }), drill('passed')], PERIOD).status).toBe('non-compliant');
  });

  it('no evidence: not checked, naming the period; requests that never granted access are not uses', () => {
    const denied = entry('break-glass', { workflowId: 'w', runId: 'r', outcome: 'denied' });
    const r = emergencyAccessCheck([denied], PERIOD);
    expect(r.status).toBe('not checked');
    expect(r.reason).toBe('no break-glass grant and no fire drill recorded 2026-01-01 to 2026-04-01');
  });
});

describe('root-account recovery (evidence and the policy)', () => {
  const declared = { runbooks: ['root-recovery'], accounts: ['123456789012'] };
  const recovery = (outcome: string, at?: string): EntryLike =>
    entry('runbook', { workflowId: 'runbook-root-recovery-1', runId: 'r', runbook: 'root-recovery', requestedBy: 'alice', outcome, stepResults: [{}, {}, {}] }, at);
  const page = (): EntryLike => entry('root-login', { accountId: '123456789012', eventId: 'e1', at: '2026-02-03T04:05:06.000Z', verdict: 'unexpected' });

  it('compliant when the last recovery completed, naming it and its evidenced steps', () => {
    const r = rootRecoveryCheck([recovery('failed', '2026-01-10T00:00:00Z'), recovery('completed', '2026-02-10T00:00:00Z')], PERIOD, declared);
    expect(r.status).toBe('compliant');
    expect(r.reason).toMatch(/last root recovery \(root-recovery, requested by alice\) on 2026-02-10: completed, 3 steps evidenced \(2 runs in the period\)/);
  });

  it('non-compliant when the watcher paged a root sign-in, or the last recovery failed', () => {
    const paged = rootRecoveryCheck([recovery('completed'), page()], PERIOD, declared);
    expect(paged.status).toBe('non-compliant');
    expect(paged.reason).toMatch(/1 root console sign-in with no recovery runbook open \(paged\): 123456789012 at 2026-02-03T04:05:06.000Z/);
    expect(rootRecoveryCheck([recovery('timed-out')], PERIOD, declared).status).toBe('non-compliant');
    // Cancelled after its approval: root may have been used and the procedure did not finish.
    const before = recovery('completed', '2026-01-05T00:00:00Z');
    const halfway = entry('runbook', { runbook: 'root-recovery', requestedBy: 'alice', outcome: 'cancelled', stepResults: [{ type: 'approval', outcome: 'done' }] });
    expect(rootRecoveryCheck([before, halfway], PERIOD, declared)).toMatchObject({ status: 'non-compliant', reason: expect.stringMatching(/cancelled/) });
  });

  it('compliant when none was needed and root is watched; not checked when the policy has no such runbook', () => {
    const expected = entry('root-login', { accountId: '123456789012', eventId: 'e2', at: '2026-02-03T04:05:06.000Z', verdict: 'expected', duringRun: 'runbook-root-recovery-1' });
    const quiet = rootRecoveryCheck([recovery('cancelled'), expected], PERIOD, declared);
    expect(quiet.status).toBe('compliant');
    expect(quiet.reason).toMatch(/no root recovery was needed: the procedure is the declared runbook root-recovery, root console sign-ins in 123456789012 are watched/);
    expect(rootRecoveryCheck([], PERIOD, null)).toMatchObject({ status: 'not checked', reason: expect.stringMatching(/names no root-recovery runbook/) });
    expect(rootRecoveryCheck([], PERIOD, undefined).status).toBe('not checked');
    // Another runbook's runs say nothing about root recovery.
    expect(rootRecoveryCheck([entry('runbook', { runbook: 'region-failover', outcome: 'failed', stepResults: [] })], PERIOD, declared).status).toBe('compliant');
  });
});

describe('automatic logoff (evidence)', () => {
  it('compliant when every grant ended by its planned end plus the grace, counting idle revocations', () => {
    const r = automaticLogoffCheck([grant(), grant({ endReason: 'idle', actualEndAt: '2026-02-01T10:20:00.000Z' })], PERIOD);
    expect(r.status).toBe('compliant');
    expect(r.reason).toMatch(/2 grants ended by the planned end.*1 idle revocation$/);
  });

  it('non-compliant one millisecond past the grace, or without a recorded end', () => {
    const late = new Date(Date.parse('2026-02-01T11:00:00.000Z') + LOGOFF_GRACE_MS + 1).toISOString();
    const onTime = new Date(Date.parse('2026-02-01T11:00:00.000Z') + LOGOFF_GRACE_MS).toISOString();
    expect(automaticLogoffCheck([grant({ actualEndAt: onTime })], PERIOD).status).toBe('compliant');
    expect(automaticLogoffCheck([grant({ actualEndAt: late })], PERIOD).status).toBe('non-compliant');
    expect(automaticLogoffCheck([grant({ actualEndAt: undefined })], PERIOD).status).toBe('non-compliant');
  });

  it('no grant: not checked', () => {
    expect(automaticLogoffCheck([drill('passed')], PERIOD)).toMatchObject({ status: 'not checked', reason: expect.stringMatching(/nothing to measure/) });
  });
});

describe('KMS rotation runs, restore drills, access reviews (evidence)', () => {
  it('KMS: the latest run of each key decides', () => {
    const failedFirst = entry('kms-rotation', { target: 'phi', outcome: 'failed' });
    const ok = entry('kms-rotation', { target: 'phi', outcome: 'verified' });
    const failedLast = entry('kms-rotation', { target: 'phi', outcome: 'failed' });
    expect(kmsRotationEvidenceCheck([failedFirst, ok], PERIOD).status).toBe('compliant');
    expect(kmsRotationEvidenceCheck([ok, failedLast], PERIOD).status).toBe('non-compliant');
    expect(kmsRotationEvidenceCheck([ok, entry('kms-rotation', { target: 'audit', outcome: 'failed' })], PERIOD).reason).toMatch(/key audit: .* failed/);
    expect(kmsRotationEvidenceCheck([], PERIOD).status).toBe('not checked');
  });

  it('restore drills: passed with RTO and RPO within their targets; a missed target is non-compliant', () => {
    const scores = { rtoMs: 60_000, rpoMs: 1000, rtoTargetMs: 60_000, rpoTargetMs: 5000 };
    expect(restoreDrillCheck([entry('restore-drill', { drill: 'db', outcome: 'passed', scores })], PERIOD).status).toBe('compliant');
    expect(restoreDrillCheck([entry('restore-drill', { drill: 'db', outcome: 'passed', scores: { ...scores, rtoMs: 60_001 } })], PERIOD).status).toBe('non-compliant');
    expect(restoreDrillCheck([entry('restore-drill', { drill: 'db', outcome: 'validation-failed', scores })], PERIOD).status).toBe('non-compliant');
    expect(restoreDrillCheck([entry('restore-drill', { drill: 'db', outcome: 'passed', scores: { ...scores, rpoMs: null } })], PERIOD).status).toBe('non-compliant');
    expect(restoreDrillCheck([], PERIOD)).toMatchObject({ status: 'not checked', reason: 'no restore drill recorded 2026-01-01 to 2026-04-01' });
  });

  it('access reviews: completed without MFA findings; MFA findings or an unfinished review are non-compliant', () => {
    const totals = { principals: 50, flagged: 3, exempt: 1, findings: { 'access-key-old': 3 } };
    expect(accessReviewCheck([entry('access-review', { review: 'q1', outcome: 'completed', totals })], PERIOD).status).toBe('compliant');
    const mfa = accessReviewCheck([entry('access-review', { review: 'q1', outcome: 'completed', totals: { ...totals, findings: { 'console-without-mfa': 2 } } })], PERIOD);
    expect(mfa).toMatchObject({ status: 'non-compliant', reason: expect.stringMatching(/2 console-without-mfa/) });
    expect(accessReviewCheck([entry('access-review', { review: 'q1', outcome: 'failed', totals: null })], PERIOD).status).toBe('non-compliant');
    expect(accessReviewCheck([], PERIOD).status).toBe('not checked');
  });
});

describe('evidence chain (audit controls)', () => {
  it('compliant only when verified and anchored; not anchored and broken chains are non-compliant; empty is not checked', () => {
    expect(evidenceChainCheck({ ok: true, entries: 5, problems: [], anchors: { count: 2, lastSeq: 5, where: 's3://b' } }, '/ev')).toMatchObject({ status: 'compliant', reason: expect.stringMatching(/2 anchors in s3:\/\/b, the last at seq 5/) });
    expect(evidenceChainCheck({ ok: true, entries: 5, problems: [] }, '/ev')).toMatchObject({ status: 'non-compliant', reason: expect.stringMatching(/not anchored/) });
    expect(evidenceChainCheck({ ok: true, entries: 5, problems: [], anchors: { count: 0, lastSeq: 0, where: 'x' } }, '/ev').status).toBe('non-compliant');
    expect(evidenceChainCheck({ ok: false, entries: 5, problems: [{ seq: 3, line: 3, problem: 'hash mismatch' }] }, '/ev').reason).toMatch(/line 3 \(seq 3\): hash mismatch/);
    expect(evidenceChainCheck({ ok: true, entries: 0, problems: [] }, '/ev').status).toBe('not checked');
  });

  const local = { count: 5, lastSeq: 5, where: 'local:/ev/anchors.jsonl' };
  const s3 = { count: 5, lastSeq: 5, where: 's3://safeguard-evidence-1/anchors/' };

  it('anchors only in the local working copy are non-compliant: a key holder rewrites both local files', () => {
    const only = evidenceChainCheck({ ok: true, entries: 5, problems: [], anchors: { ...local, stores: [local] } }, '/ev');
    expect(only.status).toBe('non-compliant');
    expect(only.reason).toContain('anchored only in the local working copy (local:/ev/anchors.jsonl)');
    expect(only.reason).toContain('can rewrite both local files');
    expect(only.reason).toContain('SAFEGUARD_EVIDENCE_BUCKET');
    // The summary alone (no `stores`) is read the same way.
    expect(evidenceChainCheck({ ok: true, entries: 5, problems: [], anchors: local }, '/ev').status).toBe('non-compliant');
    // An S3 store that holds no anchor does not count either.
    expect(evidenceChainCheck({ ok: true, entries: 5, problems: [], anchors: { ...s3, count: 0, stores: [local, { ...s3, count: 0 }] } }, '/ev').status).toBe('non-compliant');
  });

  it('anchors in an S3 store beside the local working copy are compliant, and the row names the S3 store', () => {
    const both = evidenceChainCheck({ ok: true, entries: 5, problems: [], anchors: { ...s3, stores: [local, s3] } }, '/ev');
    expect(both).toMatchObject({ status: 'compliant', reason: '5 entries verified; 5 anchors in s3://safeguard-evidence-1/anchors/, the last at seq 5' });
  });

  it('statuses combine worst first, and nothing checked is never compliant', () => {
    expect(combine([])).toBe('not checked');
    expect(combine(['compliant', 'not checked'])).toBe('not checked');
    expect(combine(['not checked', 'non-compliant', 'compliant'])).toBe('non-compliant');
    expect(combine(['compliant', 'compliant'])).toBe('compliant');
  });
});

describe('AWS check helpers', () => {
  it('finds admin and database ports open to 0.0.0.0/0 or ::/0, inside port ranges and for all protocols', () => {
    expect(worldOpenPorts({ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '0.0.0.0/0' }] })).toEqual([5432]);
    expect(worldOpenPorts({ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/8' }] })).toEqual([]);
    expect(worldOpenPorts({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] })).toEqual([]);
    expect(worldOpenPorts({ IpProtocol: 'tcp', FromPort: 20, ToPort: 25, Ipv6Ranges: [{ CidrIpv6: '::/0' }] })).toEqual([22]);
    expect(worldOpenPorts({ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] })).toContain(3389);
    expect(openGroups([{ GroupId: 'sg-1', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }])[0]?.ports).toContain(27017);
  });

  it('says "refused" for AccessDenied and "not served" for an unimplemented API, never compliant', () => {
    expect(notCheckedReason('s3:ListBuckets', Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }))).toBe('s3:ListBuckets refused (AccessDenied)');
    expect(notCheckedReason('x:Y', Object.assign(new Error('<!DOCTYPE html><title>500</title>'), { name: 'Error', $metadata: { httpStatusCode: 500 } }))).toMatch(/x:Y is not served by this endpoint \(HTTP 500/);
    expect(notCheckedReason('x:Y', Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }))).toBe('x:Y failed: ThrottlingException: slow down');
  });

  const scope = { accountId: '111111111111', name: 'prod', region: 'us-east-1', breakGlassRoleArns: ['arn:aws:iam::111111111111:role/BreakGlassAdmin'] };
  const fakeClients = (send: (cmd: { constructor: { name: string }; input: unknown }) => unknown): ComplianceAwsClients => {
    const client = { send: (cmd: { constructor: { name: string }; input: unknown }) => Promise.resolve().then(() => send(cmd)), destroy: () => undefined };
    return Object.fromEntries(['cloudTrail', 'config', 'ec2', 'elb', 'guardDuty', 'iam', 'kms', 'rds', 's3', 'securityHub', 'waf'].map((k) => [k, client])) as unknown as ComplianceAwsClients;
  };
  const check = (id: string) => {
    const c = AWS_CHECKS.find((x) => x.id === id);
    if (!c) throw new Error(id);
    return c;
  };

  it('a refused call makes the account "not checked: <action> refused", not compliant', async () => {
    const reads = new AccountReads(
      fakeClients(() => {
        throw Object.assign(new Error('no'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
      }),
      scope,
    );
    for (const c of AWS_CHECKS) {
      const f = await runAwsCheck(c, reads);
      expect(f?.status).toBe('not checked');
      expect(f?.reason).toMatch(/refused \(AccessDeniedException\)$/);
    }
  });

  it('break-glass roles: MaxSessionDuration above an hour is non-compliant, an hour is compliant, naming the role', async () => {
    const run = (max: number) => runAwsCheck(check('break-glass-max-session'), new AccountReads(fakeClients(() => ({ Role: { MaxSessionDuration: max } })), scope));
    expect(await run(3600)).toMatchObject({ status: 'compliant', account: '111111111111', refs: [expect.objectContaining({ resource: 'arn:aws:iam::111111111111:role/BreakGlassAdmin', api: 'iam:GetRole' })] });
    expect(await run(3601)).toMatchObject({ status: 'non-compliant', reason: expect.stringMatching(/BreakGlassAdmin \(3601 s\)/) });
    expect(await runAwsCheck(check('break-glass-max-session'), new AccountReads(fakeClients(() => ({})), { ...scope, breakGlassRoleArns: [] }))).toBeNull();
  });

  it('Security Hub: "not subscribed" is non-compliant; another error is not checked', async () => {
    const reads = (err: Error) =>
      new AccountReads(
        fakeClients(() => {
          throw err;
        }),
        scope,
      );
    expect((await runAwsCheck(check('security-hub'), reads(Object.assign(new Error('not subscribed'), { name: 'InvalidAccessException' }))))?.status).toBe('non-compliant');
    expect((await runAwsCheck(check('security-hub'), reads(Object.assign(new Error('x'), { name: 'InternalException' }))))?.status).toBe('not checked');
  });

  it('ALB TLS: a policy allowing TLS 1.0 or 1.1 is non-compliant; TLS 1.2 and 1.3 only is compliant', async () => {
    const reads = (policy: string, protocols: string[]) =>
      new AccountReads(
        fakeClients((cmd) => {
          switch (cmd.constructor.name) {
            case 'DescribeLoadBalancersCommand':
              return { LoadBalancers: [{ Type: 'application', LoadBalancerArn: 'arn:lb', LoadBalancerName: 'web' }] };
            case 'DescribeListenersCommand':
              return { Listeners: [{ Protocol: 'HTTPS', Port: 443, SslPolicy: policy, ListenerArn: 'arn:l' }] };
            case 'DescribeSSLPoliciesCommand':
              return { SslPolicies: [{ Name: 'other', SslProtocols: ['TLSv1.2'] }, { Name: policy, SslProtocols: protocols }] };
            default:
              throw new Error(cmd.constructor.name);
          }
        }),
        scope,
      );
    expect((await runAwsCheck(check('alb-tls'), reads('ELBSecurityPolicy-2016-08', ['TLSv1.2', 'TLSv1.1', 'TLSv1'])))?.status).toBe('non-compliant');
    expect((await runAwsCheck(check('alb-tls'), reads('ELBSecurityPolicy-TLS13-1-2-2021-06', ['TLSv1.3', 'TLSv1.2'])))?.status).toBe('compliant');
  });

  it('checks every account of the policy (or only those asked for) with its own break-glass roles', () => {
    const policy = {
      accounts: [
        { id: '111111111111', name: 'a', executionRoleArn: 'arn:aws:iam::111111111111:role/SafeguardExecution', externalId: 'x' },
        { id: '222222222222', name: 'b', executionRoleArn: 'arn:aws:iam::222222222222:role/SafeguardExecution', externalId: 'x' },
      ],
      breakGlass: { roles: [{ roleArn: 'arn:aws:iam::222222222222:role/BG' }] },
      drills: { fire: [{ drillRoleArn: 'arn:aws:iam::222222222222:role/Drill' }] },
    } as unknown as Policy;
    expect(accountScopes(policy, 'us-east-1', undefined).map((s) => [s.accountId, s.breakGlassRoleArns])).toEqual([
      ['111111111111', []],
      ['222222222222', ['arn:aws:iam::222222222222:role/BG', 'arn:aws:iam::222222222222:role/Drill']],
    ]);
    expect(() => accountScopes(policy, 'us-east-1', ['333333333333'])).toThrow(/--account 333333333333: not an account of the policy \(its accounts: 111111111111, 222222222222\)/);
  });
});

describe('renderers', () => {
  let report: ComplianceReport;
  beforeAll(async () => {
    // A customer table whose wording holds markup, pipes and quotes: every format must keep it as text.
    const seed = parseSeedTable(`${SEED_TEXT}\nEvil <b>"section"</b> & co\n| Req |\nImpl |\nStatus |\n| <script>alert('x')</script> |\na | b |\n❌ <img src=x onerror=alert(1)> |\n`);
    report = await buildReport({
      seed,
      source: 'compliance/hipaa-technical-safeguards.txt',
      period: PERIOD,
      now: new Date('2026-04-01T00:00:00Z'),
      evidenceDir: '/ev',
      entries: [grant(), drill('passed')],
      chain: { ok: true, entries: 2, problems: [] },
      awsSkipped: 'AWS was not queried (--skip-aws)',
      rootRecovery: { runbooks: ['root-recovery'], accounts: ['123456789012'] },
    });
  });

  it('builds every customer row plus the rows Safeguard adds, with computed statuses', () => {
    const rows = report.sections.flatMap((s) => s.rows);
    expect(rows.filter((r) => r.origin === 'customer')).toHaveLength(24);
    expect(rows.filter((r) => r.origin === 'safeguard').map((r) => r.cells[0])).toEqual(['Runbook activity (Safeguard)', 'Backup restore tested (Safeguard)', 'Periodic access reviews (Safeguard)']);
    expect(report.sections.map((s) => s.slug)).toEqual(['access-control', 'audit-controls', 'integrity', 'person-or-entity-authentication', 'transmission-security', 'aws-services-implementing-technical-safeguards', 'evil-b-section-b-co']);
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId['access-control/emergency-access-procedure']).toMatchObject({ status: 'compliant', customerStatus: '❌ Runbook needed' });
    expect(byId['audit-controls/aws-api-activity']).toMatchObject({ status: 'not checked', reason: expect.stringMatching(/--skip-aws/) });
    expect(byId['evil-b-section-b-co/script-alert-x-script']).toMatchObject({ status: 'not checked', reason: expect.stringMatching(/no check for this row/) });
    expect(report.summary.compliant + report.summary['non-compliant'] + report.summary['not checked']).toBe(rows.length);
  });

  it('markdown: one table row per report row, the customer status kept, pipes and markup escaped', () => {
    const md = renderMarkdown(report);
    expect(md).toContain('| Emergency access procedure | Break-glass IAM role + root recovery | ❌ Runbook needed | ✅ compliant |');
    expect(md).toContain('&lt;script&gt;');
    expect(md).not.toContain('<script>');
    expect(mdCell('a|b\nc')).toBe('a\\|b<br>c');
    expect(md).toMatch(/evidence break-glass seq \d+ \(break-glass\/\d+\)/);
  });

  it('markdown: a customer cell holding an image beacon or a link renders as text, not as one', () => {
    const beacon = '![x](https://evil.example/pixel.png) [click](https://evil.example) <img src=https://evil.example/p>';
    const [first, ...rest] = report.sections;
    const hostile: ComplianceReport = { ...report, title: beacon, sections: [{ ...first!, rows: first!.rows.map((r, i) => (i === 0 ? { ...r, cells: r.cells.map(() => beacon) } : r)) }, ...rest] };
    const md = renderMarkdown(hostile);
    const escaped = '\\!\\[x\\](https://evil.example/pixel.png) \\[click\\](https://evil.example) &lt;img src=https://evil.example/p&gt;';
    expect(md).toContain(`# ${escaped}`);
    expect(md).toContain(`| ${escaped} | ${escaped} |`);
    expect(md).not.toMatch(/(^|[^\\])!\[|(^|[^\\])\]\(|<img/);
  });

  it('html: self-contained (no script, no external resource), printable, every customer value escaped', () => {
    const html = renderHtml(report);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<(script|img|link|iframe|object)|<[^>]*\s(src|href)=|https?:\/\//i);
    expect(html).toContain('&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;');
    expect(html).toContain('Evil &lt;b&gt;&quot;section&quot;&lt;/b&gt; &amp; co');
    expect(html).toContain('@media print');
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
  });

  it('json: the whole report, statuses and evidence references included', () => {
    const j = JSON.parse(renderJson(report)) as ComplianceReport;
    expect(j.period).toEqual({ since: '2026-01-01T00:00:00.000Z', until: '2026-04-01T00:00:00.000Z' });
    const row = j.sections[0]?.rows[1];
    expect(row?.checks[0]?.findings.flatMap((f) => f.refs).map((r) => r.type)).toContain('evidence');
  });
});

describe('arguments', () => {
  const now = new Date('2026-04-01T12:00:00Z');
  it('formats, dates and periods are checked, with a message that says what to write', () => {
    expect(parseFormat('html')).toBe('html');
    expect(() => parseFormat('xml')).toThrow('--format must be one of md, html, json, got "xml"');
    expect(() => parseWhen('2026-02-31', '--since')).toThrow(/is not a date/);
    expect(() => parseWhen('yesterday', '--until')).toThrow(/--until "yesterday" is not a date/);
    expect(resolvePeriod(undefined, undefined, now)).toEqual({ since: new Date('2026-01-01T12:00:00Z'), until: now });
    expect(resolvePeriod('30d', '2026-03-31', now).since.toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(() => resolvePeriod('2026-03-01', '2026-02-01', now)).toThrow(ComplianceArgumentError);
    expect(() => resolvePeriod(undefined, '2027-01-01', now)).toThrow(/in the future/);
    expect(() => resolvePeriod('0d', undefined, now)).toThrow(/between 1d/);
  });

  it('the command refuses bad input with exit 2 and a specific message, before reading anything', async () => {
    const bad = await runSafeguard('compliance', '--format', 'xml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format must be one of md, html, json, got "xml"/);
    const date = await runSafeguard('compliance', '--since', '2026-13-01', '--dir', '/nonexistent/evidence');
    expect(date.code).toBe(2);
    expect(date.stderr).toMatch(/--since "2026-13-01" is not a date/);
    expect(date.stdout).toBe('');
    const account = await runSafeguard('compliance', '--account', '12345');
    expect(account.code).toBe(2);
    expect(account.stderr).toMatch(/not a 12-digit AWS account id/);
    const failOn = await runSafeguard('compliance', '--fail-on', 'sometimes');
    expect(failOn.code).toBe(2);
  });
});
