// Invariant 7 (DESIGN.md §6): bad input gets a clear error and starts nothing. Drives the real
// `safeguard` command (runCli) against the integration stack and checks exit codes, the stderr
// message, and that no workflow was started.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { runSafeguard } from '../support/run-cli';
import { SafeguardError } from '../../client/errors';
import { approve, requestAccess, revoke } from '../../cli/commands/breakglass';
import type { CliContext } from '../../cli/context';
import type { StackInfo } from '../../dev/stack';
import { REPO_ROOT } from '../../dev/temporal-server';
import { REASON, openContext, resolvePeople, waitForPhase } from '../support/it-helpers';
import type { People } from '../support/it-helpers';
import { testStack } from '../support/stack';

let info: StackInfo;
let ctx: CliContext;
let who: People;
let tmp: string;
const savedStackFile = process.env.SAFEGUARD_STACK_FILE;

const cli = runSafeguard;

/** Runs a person can start (break-glass requests, rotations, drills, sweeps); Schedules' own runs (the
 * reconciler, scheduled rotations and drills: ids ending in the action time) start by themselves and are left out. */
async function listIds(): Promise<string[]> {
  const ids: string[] = [];
  const query = "WorkflowType IN ('breakGlassWorkflow', 'accessKeyRotationWorkflow', 'kmsRotationWorkflow', 'restoreDrillWorkflow', 'breakGlassDrillWorkflow', 'drillSweeperWorkflow')";
  for await (const wf of ctx.temporal.workflow.list({ query })) if (!/-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(wf.workflowId)) ids.push(wf.workflowId);
  return ids.sort();
}

/** Every workflow id in the namespace, once Temporal's (eventually consistent) list has settled:
 * two reads 300 ms apart agree (at most 5 s), so a run started just before is not mistaken for one
 * the refused command started. */
async function workflowIds(): Promise<string[]> {
  let last = await listIds();
  for (let i = 0; i < 16; i++) {
    await new Promise((r) => setTimeout(r, 300));
    const now = await listIds();
    if (now.join() === last.join()) return now;
    last = now;
  }
  return last;
}

const request = (as: string, ...rest: string[]): string[] => ['breakglass', 'request', '--as', as, ...rest];

beforeAll(async () => {
  info = testStack();
  process.env.SAFEGUARD_STACK_FILE = process.env.SAFEGUARD_TEST_STACK_FILE;
  ctx = await openContext(info);
  who = await resolvePeople(ctx);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-cli-it-'));
});

afterAll(async () => {
  if (savedStackFile === undefined) delete process.env.SAFEGUARD_STACK_FILE;
  else process.env.SAFEGUARD_STACK_FILE = savedStackFile;
  await ctx?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

it('accepts a good request (so the refusals below are about the input, not the setup)', async () => {
  const before = await workflowIds();
  const r = await cli(...request('alice', '--role', 'BreakGlassAdmin', '--duration', '10s', '--reason', REASON, '--json'));
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const id = (JSON.parse(r.stdout) as { workflowId: string }).workflowId;
  expect(await workflowIds()).toEqual([...before, id].sort());
  // Withdraw it: nothing is left pending.
  const w = await cli('breakglass', 'revoke', id, '--as', 'alice', '--reason', 'test request');
  expect(w.code).toBe(0);
  expect((await ctx.breakGlass.result(id)).status.outcome).toBe('cancelled');
});

describe('bad requests are refused with a specific message and start nothing', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['a negative duration', request('alice', '--role', 'BreakGlassAdmin', '--duration=-5m', '--reason', REASON), /"-5m" is not a duration: it must be longer than zero/],
    ['a negative duration (separate argument)', request('alice', '--role', 'BreakGlassAdmin', '--duration', '-5m', '--reason', REASON), /must be longer than zero|unknown option/],
    ['a duration over the 366d limit', request('alice', '--role', 'BreakGlassAdmin', '--duration', '99999h', '--reason', REASON), /"99999h" is longer than the 366d limit/],
    ['a duration that is not one', request('alice', '--role', 'BreakGlassAdmin', '--duration', 'abc', '--reason', REASON), /"abc" is not a duration: write a whole number and a unit/],
    ['a zero duration', request('alice', '--role', 'BreakGlassAdmin', '--duration', '0s', '--reason', REASON), /"0s" is not a duration: it must be longer than zero/],
    ['a duration under the 10 s minimum', request('alice', '--role', 'BreakGlassAdmin', '--duration', '5s', '--reason', REASON), /duration must be at least 10s/],
    ['a duration over the role maximum', request('alice', '--role', 'BreakGlassAdmin', '--duration', '5h', '--reason', REASON), /duration 5h is over BreakGlassAdmin's maximum of 4h/],
    ['an empty reason', request('alice', '--role', 'BreakGlassAdmin', '--duration', '1m', '--reason', ''), /reason must be at least 10 characters/],
    ['a blank reason', request('alice', '--role', 'BreakGlassAdmin', '--duration', '1m', '--reason', '          '), /reason must be at least 10 characters/],
    ['a 5000-character reason', request('alice', '--role', 'BreakGlassAdmin', '--duration', '1m', '--reason', 'x'.repeat(5000)), /reason must be at most 1000 characters/],
    ['an unknown role', request('alice', '--role', 'BreakGlassRoot', '--reason', REASON), /unknown role "BreakGlassRoot"; roles in the policy: BreakGlassAdmin/],
    ['a person who is not a requester of the role (bob is a lead)', request('bob', '--role', 'BreakGlassAdmin', '--reason', REASON), /bob may not request BreakGlassAdmin \(requesters: groups oncall\)/],
    ['a person in no requester group (carol is security)', request('carol', '--role', 'PostHocAdmin', '--reason', REASON, '--ticket', 'INC-1'), /carol may not request PostHocAdmin/],
    ['a role that needs a ticket, without one', request('dave', '--role', 'PostHocAdmin', '--reason', REASON), /PostHocAdmin requires a ticket/],
    ['a malformed ticket', request('dave', '--role', 'BreakGlassAdmin', '--reason', REASON, '--ticket', 'INC 1; rm -rf /'), /ticket must be 1-128 characters/],
    ['--as with an unknown person', request('mallory', '--role', 'BreakGlassAdmin', '--reason', REASON), /the sandbox has no keys for "mallory"/],
    ['a reason holding something shaped like an AWS secret key', request('alice', '--role', 'BreakGlassAdmin', '--reason', `${REASON} wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`), /reason looks like it contains a secret/],
    ['a ticket holding something shaped like a Slack token', request('alice', '--role', 'BreakGlassAdmin', '--reason', REASON, '--ticket', 'xoxb-1234567890-abcdefghij'), /ticket must be 1-128 characters|ticket looks like it contains a secret/],
  ];

  it.each(cases)('%s', async (_name, argv, message) => {
    const before = await workflowIds();
    const r = await cli(...argv);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(r.stderr.includes('unknown option') ? 2 : 1);
    expect(r.stdout).toBe('');
    expect(await workflowIds()).toEqual(before);
  });

  it('exits 2 on an unknown option or a missing required option, and starts nothing', async () => {
    const before = await workflowIds();
    const unknown = await cli(...request('alice', '--role', 'BreakGlassAdmin', '--reason', REASON, '--sudo'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--sudo'/);
    const missing = await cli(...request('alice', '--role', 'BreakGlassAdmin'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--reason <text>' not specified/);
    const command = await cli('breakglass', 'escalate');
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/unknown command 'escalate'/);
    expect(await workflowIds()).toEqual(before);
  });

  it('refuses dave a role whose requester groups do not include him', async () => {
    // Every role in examples/policy.yaml lets oncall (dave) request it, so this runs on a copy of
    // the policy with one more role, requestable by leads only, through a stack file that names it.
    const policy = YAML.parse(fs.readFileSync(info.policyFile, 'utf8')) as { breakGlass: { roles: Array<Record<string, unknown>> } };
    const readOnly = policy.breakGlass.roles.find((r) => r['name'] === 'BreakGlassReadOnly')!;
    policy.breakGlass.roles.push({ ...readOnly, name: 'LeadsReadOnly', requesters: ['leads'] });
    const policyFile = path.join(tmp, 'policy-leads-only.yaml');
    fs.writeFileSync(policyFile, YAML.stringify(policy));
    expect((await cli('policy', 'validate', policyFile)).code).toBe(0);
    const stackFile = path.join(tmp, 'stack.json');
    // Without the api (whose policy is the stack's), the CLI checks requests against its own policy.
    const { apiUrl: _apiUrl, apiServerId: _apiServerId, ...direct } = info as StackInfo & { apiUrl?: string; apiServerId?: string };
    fs.writeFileSync(stackFile, JSON.stringify({ ...direct, policyFile }));
    const before = await workflowIds();
    process.env.SAFEGUARD_STACK_FILE = stackFile;
    try {
      const r = await cli(...request('dave', '--role', 'LeadsReadOnly', '--reason', REASON));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/dave may not request LeadsReadOnly \(requesters: groups leads\)/);
    } finally {
      process.env.SAFEGUARD_STACK_FILE = process.env.SAFEGUARD_TEST_STACK_FILE;
    }
    expect(await workflowIds()).toEqual(before);
  });
});

it('creds reuses the grant\'s last credentials while they last (the AWS CLI runs it per command)', async () => {
  const saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = tmp;
  try {
    const { workflowId: id } = await requestAccess(ctx, who.alice, { role: 'BreakGlassAdmin', duration: '1m', reason: REASON });
    await approve(ctx, who.bob, id);
    await waitForPhase(ctx, id, 'active');
    const first = await cli('creds', id, '--as', 'alice');
    const second = await cli('creds', id, '--as', 'alice');
    expect([first.code, second.code]).toEqual([0, 0]);
    const [a, b] = [first, second].map((r) => JSON.parse(r.stdout) as { AccessKeyId: string });
    expect(b!.AccessKeyId).toBe(a!.AccessKeyId);
    expect((await ctx.breakGlass.status(id)).credentials).toHaveLength(1);
    const fresh = await cli('creds', id, '--as', 'alice', '--no-cache');
    expect((JSON.parse(fresh.stdout) as { AccessKeyId: string }).AccessKeyId).not.toBe(a!.AccessKeyId);
    await ctx.breakGlass.revoke(id, 'alice', 'test over');
    await waitForPhase(ctx, id, 'ended');
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  }
});

describe('bad ids and decisions', () => {
  it.each([
    ['status', ['breakglass', 'status', 'nope', '--as', 'alice'], /"nope" is not a break-glass request id/],
    ['status', ['breakglass', 'status', 'breakglass-BreakGlassAdmin-00000000', '--as', 'alice'], /no break-glass request with id breakglass-BreakGlassAdmin-00000000/],
    ['status', ['breakglass', 'status', 'breakglass-BreakGlassAdmin-1234; DROP', '--as', 'alice'], /is not a break-glass request id/],
    ['approve', ['breakglass', 'approve', 'nope', '--as', 'bob'], /"nope" is not a break-glass request id/],
    ['approve', ['breakglass', 'approve', 'breakglass-BreakGlassAdmin-00000000', '--as', 'bob'], /no break-glass request with id breakglass-BreakGlassAdmin-00000000/],
    ['deny', ['breakglass', 'deny', 'breakglass-BreakGlassAdmin-00000000', '--as', 'bob', '--reason', 'no such thing'], /no break-glass request with id/],
    ['revoke', ['breakglass', 'revoke', '../../etc/passwd', '--as', 'alice'], /is not a break-glass request id/],
  ])('%s %j is refused', async (_verb, argv, message) => {
    const before = await workflowIds();
    const r = await cli(...argv);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(await workflowIds()).toEqual(before);
  });

  it('refuses an approval by a non-approver (NotAnApprover) and by the requester (SelfApproval)', async () => {
    const { workflowId: id } = await requestAccess(ctx, who.alice, { role: 'BreakGlassAdmin', duration: '10s', reason: REASON });
    try {
      const before = await workflowIds();
      const dave = await cli('breakglass', 'approve', id, '--as', 'dave');
      expect(dave.code).toBe(1);
      expect(dave.stderr).toMatch(/dave is not an approver for this role \[NotAnApprover\]/);
      const self = await cli('breakglass', 'approve', id, '--as', 'alice');
      expect(self.code).toBe(1);
      expect(self.stderr).toMatch(/you cannot decide on your own request \[SelfApproval\]/);
      const stranger = await cli('breakglass', 'approve', id, '--as', 'mallory');
      expect(stranger.code).toBe(1);
      expect(stranger.stderr).toMatch(/the sandbox has no keys for "mallory"/);
      const noReason = await cli('breakglass', 'deny', id, '--as', 'bob', '--reason', '');
      expect(noReason.code).toBe(1);
      expect(noReason.stderr).toMatch(/a denial needs a reason/);
      const st = await cli('breakglass', 'status', id, '--as', 'bob', '--json');
      expect(st.code).toBe(0);
      const status = JSON.parse(st.stdout) as { phase: string; approval: { approvals: unknown[] } };
      expect(status.phase).toBe('pending');
      expect(status.approval.approvals).toEqual([]);
      expect(await workflowIds()).toEqual(before);
    } finally {
      await revoke(ctx, who.alice, id, 'test over').catch(() => undefined);
    }
    expect((await ctx.breakGlass.result(id)).status.outcome).toBe('cancelled');
    // A decision on an ended request is refused too. (It is reported as WORKFLOW_NOT_FOUND, "no
    // break-glass request with id …", though the request exists and has ended: see the report.)
    const late = await cli('breakglass', 'approve', id, '--as', 'bob');
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(new RegExp(id));
    await expect(approve(ctx, who.bob, id)).rejects.toBeInstanceOf(SafeguardError);
  });
});

describe('other kinds: rotations, schedules, decisions on any run', () => {
  it.each([
    [['rotation', 'run', 'payroll', '--as', 'carol'], /"payroll" is not a rotation target in the policy \(targets: reporting-exporter, legacy-etl/],
    [['rotation', 'status', 'rotate-key-../../x', '--as', 'carol'], /is not an access-key-rotation or kms-rotation run id \(they look like rotate-key-reporting-exporter-1a2b3c4d, rotate-kms-/],
    [['rotation', 'status', 'breakglass-BreakGlassAdmin-00000000', '--as', 'carol'], /"breakglass-BreakGlassAdmin-00000000" is not an access-key-rotation or kms-rotation run id/],
    [['rotation', 'status', 'rotate-key-reporting-exporter-00000000', '--as', 'carol'], /no Safeguard run with id rotate-key-reporting-exporter-00000000/],
    [['approve', 'nope', '--as', 'carol'], /"nope" is not a Safeguard run id \(they look like breakglass-BreakGlassAdmin-1a2b3c4d, rotate-key-/],
    [['deny', 'rotate-kms-phi-data-00000000', '--as', 'carol', '--reason', 'not now please'], /no Safeguard run with id rotate-kms-phi-data-00000000/],
    [['approve', 'rotate-key-legacy-etl-00000000', '--round', 'Delete Old!', '--as', 'carol'], /"Delete Old!" is not a round id/],
    [['schedules', 'trigger', 'it-rotate', '--as', 'carol'], /"it-rotate" has no schedule in the policy \(scheduled targets: reporting-exporter/],
    [['drill', 'run', 'payroll-db', '--as', 'carol'], /"payroll-db" is not a restore drill in the policy \(restore drills: it-rds-snap, /],
    [['drill', 'fire', 'payroll-db', '--as', 'carol'], /"payroll-db" is not a fire drill in the policy \(drills.fire: it-fire/],
    [['drill', 'status', 'drill-restore-../../x', '--as', 'carol'], /is not a restore-drill or break-glass-drill run id \(they look like drill-restore-patients-db-1a2b3c4d, drill-fire-/],
    [['drill', 'report', 'rotate-kms-phi-data-00000000', '--as', 'carol'], /"rotate-kms-phi-data-00000000" is not a restore-drill run id/],
    [['drill', 'report', 'drill-restore-it-rds-snap-00000000', '--format', 'pdf', '--as', 'carol'], /--format must be text or md \(or use --json\), not "pdf"/],
    [['drill', 'report', 'drill-restore-it-rds-snap-00000000', '--as', 'carol'], /no Safeguard run with id drill-restore-it-rds-snap-00000000/],
    [['drill', 'sweep', '--older-than', '5 minutes', '--as', 'carol'], /--older-than: "5 minutes" is not a duration/],
    [['approve', 'drill-restore-it-signed-00000000', '--round', 'Sign Off', '--as', 'bob'], /"Sign Off" is not a round id/],
    [['review', 'start', 'yearly', '--as', 'carol'], /"yearly" is not an access review in the policy \(reviews: it-review, it-review-crash, it-review-sso\)/],
    [['review', 'status', 'review--x', '--as', 'carol'], /"review--x" is not an access-review run id/],
    [['review', 'report', 'review-it-review-00000000', '--format', 'pdf', '--as', 'carol'], /--format must be csv, json or md, not "pdf"/],
    [['review', 'decide', 'review-it-review-00000000', 'maybe', '--item', 'svc-a', '--as', 'bob'], /the decision must be keep or revoke, not "maybe"/],
    [['review', 'decide', 'review-it-review-00000000', '--bulk', 'revoke-everything', '--as', 'bob'], /--bulk must be one of keep-unflagged, revoke-flagged, keep-all, revoke-all/],
    [['review', 'decide', 'review-it-review-00000000', 'keep', '--as', 'bob'], /name the item with --item/],
    [['review', 'decide', 'review-it-review-00000000', '--item', 'svc-a', 'keep', '--as', 'bob'], /no Safeguard run with id review-it-review-00000000/],
  ])('%j is refused', async (argv, message) => {
    const before = await workflowIds();
    const r = await cli(...argv);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(await workflowIds()).toEqual(before);
  });

  it('breakglass list without --as against the sandbox says to pass --as, not the SDK provider chain', async () => {
    const saved = { ...process.env };
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[k];
    Object.assign(process.env, { AWS_SHARED_CREDENTIALS_FILE: path.join(tmp, 'none'), AWS_CONFIG_FILE: path.join(tmp, 'none'), AWS_EC2_METADATA_DISABLED: 'true' });
    try {
      const r = await cli('breakglass', 'list');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/no AWS credentials to sign your request to the Safeguard api: against the sandbox \(npm run dev\), say who you are with --as <person>/);
      expect(r.stderr).not.toMatch(/CredentialsProviderError|Could not load credentials/);
    } finally {
      process.env = saved;
    }
  });
});

describe('policy validate', () => {
  it('exits 0 for examples/policy.yaml', async () => {
    const r = await cli('policy', 'validate', path.join(REPO_ROOT, 'examples/policy.yaml'));
    expect(r.code).toBe(0);
    // The example's PostHocAdmin shares BreakGlassAdmin's IAM role on purpose: a warning, not an error.
    expect(r.stderr).toMatch(/^warning: .+:\d+: breakGlass\.roles\[2\]\.roleArn: .+same IAM role/);
    expect(r.stderr).not.toMatch(/^error:/m);
  });

  it('exits 1 for a broken policy, naming the problem', async () => {
    const text = fs.readFileSync(path.join(REPO_ROOT, 'examples/policy.yaml'), 'utf8').replace('approvers: [leads, security]  #', 'approvers: [leads, nobody]  #');
    expect(text).toContain('[leads, nobody]');
    const broken = path.join(tmp, 'broken-policy.yaml');
    fs.writeFileSync(broken, text);
    const r = await cli('policy', 'validate', broken);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken-policy\.yaml:\d+: breakGlass\.roles\[0\]\.approvers\[1\]: unknown group "nobody"/);
  });

  it('exits 2 for a file that does not exist', async () => {
    const r = await cli('policy', 'validate', path.join(tmp, 'missing.yaml'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read policy file .*missing\.yaml: no such file/);
  });
});
