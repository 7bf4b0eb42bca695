// The chaos run's final checks (chaos/checks.ts) on the shared test stack: each check names what it
// must and nothing it must not. A grant whose credentials still work after its end is reported, and
// so is a call made with them; a terminated grant the reconciler revoked is not. A rotation run
// with a second key creation, a drill restored twice, a person with two deny statements on a role, a
// scratch table left behind, a run terminated outside the chaos, a run still open that should have
// closed and a run Temporal never saw are each named; a tampered copy of the evidence fails
// verification. No secret appears in any result.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteRolePolicyCommand, GetRolePolicyCommand, IAMClient, ListRolesCommand, NoSuchEntityException, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AwsClients } from '../../activities/aws/clients';
import type { AccountClients } from '../../activities/aws/clients';
import { startCallRecorder } from '../../chaos/call-recorder';
import type { CallRecorder } from '../../chaos/call-recorder';
import { runFinalChecks } from '../../chaos/checks';
import { checkEvidenceVerifies } from '../../chaos/checks/evidence';
import { newLedger } from '../../chaos/ledger';
import type { ChaosLedger, CheckResult, HeldCredentials } from '../../chaos/ledger';
import { SafeguardApiClient } from '../../cli/api-client';
import { approve, requestAccess, revoke } from '../../cli/commands/breakglass';
import { callerCredentials } from '../../cli/identity';
import { DrillClient } from '../../client/drill-client';
import { RotationClient } from '../../client/rotation-client';
import { EvidenceStore } from '../../evidence/store';
import type { CallRecord } from '../../sandbox/call-log';
import { ROLE_REVOCATION_POLICY, policyDocument } from '../../workflows/break-glass/revocation-policy';
import { scratchNameFor } from '../../workflows/restore-drill/scratch-name';
import { REASON, sleep, useStackSession, waitForPhase } from '../support/it-helpers';
import { sandboxSeed } from '../support/stack';

jest.setTimeout(400_000);

const stack = useStackSession();
let aws: AccountClients;
let ledger: ChaosLedger;
let recorder: CallRecorder;
let results: CheckResult[];
const secrets: string[] = [];

/** Ids of what the scenario made, for the assertions. */
const ids = {
  stillWorks: '', // dave's grant, still active, told to the checks as ended before the run
  reconciled: '', // alice's grant, terminated by "the chaos", revoked by the reconciler
  strayTerminated: '', // bob's grant, terminated behind the chaos's back
  rotation: '',
  drill: '',
  neverStarted: 'breakglass-BreakGlassAdmin-0badc0de',
  leftTable: `sg-drill-chaos-left-${crypto.randomBytes(4).toString('hex')}`,
};
/** The fire-drill role's deny policy before the test wrote a duplicate into it (undefined: none). */
let drillRolePolicyBefore: string | undefined;
const DRILL_ROLE = 'FireDrillQuiet';

const api = (person: string): SafeguardApiClient => new SafeguardApiClient(stack.ctx.api!, () => callerCredentials(stack.ctx, person));

async function activeGrant(requester: 'alice' | 'dave' | 'bob', role: string, approver: 'bob' | 'carol'): Promise<string> {
  const { workflowId } = await requestAccess(stack.ctx, stack.who[requester], { role, duration: '10m', reason: REASON });
  await approve(stack.ctx, stack.who[approver], workflowId);
  await waitForPhase(stack.ctx, workflowId, 'active');
  return workflowId;
}

async function vend(grantId: string, person: string): Promise<HeldCredentials> {
  const c = await api(person).credentials(grantId);
  secrets.push(c.AccessKeyId, c.SecretAccessKey, c.SessionToken);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, receivedAtMs: Date.now() };
}

function listRolesWith(creds: HeldCredentials): Promise<unknown> {
  const iam = new IAMClient({ region: stack.info.region, endpoint: stack.info.awsEndpoint, credentials: creds, maxAttempts: 1 });
  return iam.send(new ListRolesCommand({ MaxItems: 1 })).finally(() => iam.destroy());
}

async function reconciledRecord(workflowId: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await new EvidenceStore(stack.info.evidenceDir).list({ kind: 'reconciled' })).some((e) => e.record['workflowId'] === workflowId)) {
    if (Date.now() > deadline) throw new Error(`${workflowId} was not reconciled within ${timeoutMs} ms`);
    await sleep(1000);
  }
}

/** A call record as the gateway would have logged it, for what the scenario cannot make the stack do twice. */
function loggedCall(over: Pick<CallRecord, 'service' | 'action' | 'params' | 'at'>): CallRecord {
  const worker = `arn:aws:sts::${sandboxSeed(stack.info).accountId}:assumed-role/SafeguardExecution/safeguard-worker`;
  return { seq: 9_000_000 + ledger.calls.length, caller: worker, status: 200, servedBy: 'moto', durationMs: 20, ...over };
}

const result = (name: string): CheckResult => {
  const r = results.find((x) => x.name === name);
  if (!r) throw new Error(`no check named "${name}" in ${results.map((x) => x.name).join(', ')}`);
  return r;
};
const naming = (r: CheckResult, ...parts: string[]): string[] => r.problems.filter((p) => parts.every((part) => p.includes(part)));

beforeAll(async () => {
  const seed = sandboxSeed(stack.info);
  const clients = new AwsClients({ region: stack.info.region, endpoint: stack.info.awsEndpoint, brokerCredentials: { accessKeyId: seed.broker.accessKeyId, secretAccessKey: seed.broker.secretAccessKey } });
  aws = await clients.forAccount({ accountId: seed.accountId, executionRoleArn: seed.roles.SafeguardExecution, externalId: seed.externalId });
  ledger = newLedger();
  recorder = startCallRecorder(stack.info.awsEndpoint, ledger, 500);

  // The runbook runs, alongside the grants.
  const rotations = new RotationClient(stack.ctx.temporal, stack.info.taskQueue);
  const drills = new DrillClient(stack.ctx.temporal, stack.info.taskQueue);
  const otherRuns = (async () => {
    ids.rotation = (await rotations.start(stack.ctx.policy, 'it-rotate', 'carol', { force: true, pollIntervalMs: 1000 })).workflowId;
    ids.drill = (await drills.start(stack.ctx.policy, 'it-claims-backup', 'carol', { pollMs: 500 })).workflowId;
    ledger.runs.push({ workflowId: ids.rotation, kind: 'access-key-rotation', expect: 'closed' }, { workflowId: ids.drill, kind: 'restore-drill', expect: 'closed' });
    await Promise.all([rotations.result(ids.rotation), drills.result(ids.drill)]);
  })();

  // dave's grant: still active, but the ledger says it ended before the run began.
  ids.stillWorks = await activeGrant('dave', 'BreakGlassAdmin', 'bob');
  const daves = await vend(ids.stillWorks, 'dave');
  ledger.grants.set(ids.stillWorks, { workflowId: ids.stillWorks, requester: 'dave', role: 'BreakGlassAdmin', plannedEndAtMs: ledger.startedAtMs - 60_000, credentials: daves });
  ledger.runs.push({ workflowId: ids.stillWorks, kind: 'break-glass', expect: 'closed' });

  // alice's grant: terminated on purpose; the reconciler must revoke it.
  ids.reconciled = await activeGrant('alice', 'BreakGlassAdmin', 'bob');
  const alices = await vend(ids.reconciled, 'alice');
  const planned = Date.parse((await stack.ctx.breakGlass.status(ids.reconciled)).plannedEndAt!);
  await stack.ctx.temporal.workflow.getHandle(ids.reconciled).terminate('chaos-checks test: terminated on purpose');
  ledger.grants.set(ids.reconciled, { workflowId: ids.reconciled, requester: 'alice', role: 'BreakGlassAdmin', plannedEndAtMs: planned, credentials: alices, terminated: true });
  ledger.runs.push({ workflowId: ids.reconciled, kind: 'break-glass', expect: 'terminated' });

  // bob's grant: terminated, but not by the chaos.
  ids.strayTerminated = await activeGrant('bob', 'BreakGlassReadOnly', 'carol');
  await stack.ctx.temporal.workflow.getHandle(ids.strayTerminated).terminate('chaos-checks test: terminated behind the chaos');
  ledger.grants.set(ids.strayTerminated, { workflowId: ids.strayTerminated, requester: 'bob', role: 'BreakGlassReadOnly' });
  ledger.runs.push({ workflowId: ids.neverStarted, kind: 'break-glass', expect: 'closed' });

  // Both terminated grants revoked, so no reconciliation is still running when the checks list runs.
  await Promise.all([reconciledRecord(ids.reconciled), reconciledRecord(ids.strayTerminated), otherRuns]);
  // Calls with both grants' credentials well after their deadlines: dave's is access; alice's
  // tokens are all denied by her deny statement (the sandbox does not enforce it: the checks judge).
  const wait = ledger.startedAtMs + 6_000 - Date.now();
  if (wait > 0) await sleep(wait);
  await listRolesWith(daves);
  await listRolesWith(alices).catch(() => undefined);

  // A person with two statements on a role, and a scratch table no drill owns.
  const drillRoleArn = stack.ctx.policy.drills.fire.find((d) => d.drillRoleArn.endsWith(`/${DRILL_ROLE}`))!.drillRoleArn;
  expect(drillRoleArn).toBeDefined();
  drillRolePolicyBefore = await aws.iam.send(new GetRolePolicyCommand({ RoleName: DRILL_ROLE, PolicyName: ROLE_REVOCATION_POLICY })).then(
    (r) => decodeURIComponent(r.PolicyDocument ?? ''),
    (err: unknown) => {
      if (err instanceof NoSuchEntityException) return undefined;
      throw err;
    },
  );
  const later = (ms: number) => new Date(Date.now() + ms).toISOString();
  const twice = JSON.parse(policyDocument([{ person: 'carol', tokensIssuedBefore: later(0), removeAfter: later(3600_000), grantIds: ['a'] }])) as { Statement: unknown[] };
  twice.Statement.push(...(JSON.parse(policyDocument([{ person: 'carol', tokensIssuedBefore: later(1000), removeAfter: later(3600_000), grantIds: ['b'] }])) as { Statement: unknown[] }).Statement);
  await aws.iam.send(new PutRolePolicyCommand({ RoleName: DRILL_ROLE, PolicyName: ROLE_REVOCATION_POLICY, PolicyDocument: JSON.stringify(twice) }));
  await aws.dynamodb.send(
    new CreateTableCommand({ TableName: ids.leftTable, AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }),
  );

  await recorder.stop();
  // What retries could have done twice: a second key by the rotation run, a second restore by the drill.
  const rotation = await stack.ctx.temporal.workflow.getHandle(ids.rotation).describe();
  const drill = await stack.ctx.temporal.workflow.getHandle(ids.drill).describe();
  ledger.calls.push(
    loggedCall({ service: 'iam', action: 'CreateAccessKey', params: { UserName: 'svc-it-rotate' }, at: new Date(rotation.startTime.getTime() + 1).toISOString() }),
    loggedCall({ service: 'dynamodb', action: 'RestoreTableFromBackup', params: { TargetTableName: scratchNameFor('it-claims-backup', ids.drill) }, at: new Date(drill.startTime.getTime() + 1).toISOString() }),
  );

  results = await runFinalChecks({ info: stack.info, ctx: stack.ctx, ledger, maxWaitMs: 90_000 });
  console.log(results.map((r) => `${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.checked})\n${r.problems.map((p) => `  - ${p}`).join('\n')}\n${(r.notes ?? []).map((n) => `  · ${n}`).join('\n')}`).join('\n'));
});

afterAll(async () => {
  await recorder?.stop();
  if (ids.stillWorks) await revoke(stack.ctx, stack.who.dave, ids.stillWorks, 'done').catch(() => undefined);
  await aws?.dynamodb.send(new DeleteTableCommand({ TableName: ids.leftTable })).catch(() => undefined);
  if (aws) {
    await (drillRolePolicyBefore === undefined
      ? aws.iam.send(new DeleteRolePolicyCommand({ RoleName: DRILL_ROLE, PolicyName: ROLE_REVOCATION_POLICY }))
      : aws.iam.send(new PutRolePolicyCommand({ RoleName: DRILL_ROLE, PolicyName: ROLE_REVOCATION_POLICY, PolicyDocument: drillRolePolicyBefore }))
    ).catch(() => undefined);
  }
});

describe('access ended', () => {
  it('reports a grant whose credentials still work after its end, and not a terminated grant the reconciler revoked', () => {
    const r = result('access ended: held credentials refused');
    expect(r.checked).toBeGreaterThanOrEqual(2);
    expect(naming(r, ids.stillWorks, 'dave on BreakGlassAdmin', 'still work')).toHaveLength(1);
    expect(naming(r, ids.reconciled)).toEqual([]);
  });

  it('reports a call that took effect with a grant\'s session after its end, and not one the deny statement covers', () => {
    const r = result('access ended: no calls after the end');
    expect(naming(r, ids.stillWorks, 'iam:ListRoles')).toHaveLength(1);
    expect(naming(r, ids.reconciled)).toEqual([]);
  });
});

describe('no duplicates', () => {
  it('reports two deny statements for one person on one role', () => {
    expect(naming(result('no duplicates: one deny statement per person per role'), DRILL_ROLE, '2 deny statements for carol')).toHaveLength(1);
  });

  it('finds no second outcome record for the scenario\'s runs', () => {
    const r = result('no duplicates: one outcome record per run');
    for (const id of [ids.stillWorks, ids.reconciled, ids.strayTerminated, ids.rotation, ids.drill]) expect(naming(r, id)).toEqual([]);
  });

  it('reports a rotation run that created two keys', () => {
    expect(naming(result('no duplicates: access keys'), 'svc-it-rotate', '2 keys created by 1 rotation run(s)', ids.rotation)).toHaveLength(1);
  });

  it('reports a drill that restored twice', () => {
    expect(naming(result('no duplicates: one restore per drill'), ids.drill, 'restored 2 times')).toHaveLength(1);
  });
});

describe('scratch and evidence', () => {
  it('reports a scratch table left behind, and nothing of a drill that tore down', () => {
    const r = result('no scratch left');
    expect(naming(r, ids.leftTable, 'left behind')).toHaveLength(1);
    expect(naming(r, scratchNameFor('it-claims-backup', ids.drill))).toEqual([]);
  });

  it('the stack\'s evidence verifies; a copy with one record edited does not, and the line is named', async () => {
    const r = result('evidence verifies');
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.checked).toBeGreaterThan(0);

    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-evidence-'));
    try {
      fs.cpSync(stack.info.evidenceDir, copy, { recursive: true });
      const file = path.join(copy, 'evidence.jsonl');
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      const entry = JSON.parse(lines[0]!) as { record: Record<string, unknown> };
      entry.record['tampered'] = true;
      lines[0] = JSON.stringify(entry);
      fs.writeFileSync(file, lines.join('\n'));
      const tampered = await checkEvidenceVerifies({ evidenceDir: copy, evidenceKeyFile: stack.info.evidenceKeyFile });
      expect(tampered.ok).toBe(false);
      expect(tampered.problems[0]).toMatch(/^evidence\.jsonl:1: seq 1: /);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('workflow states', () => {
  it('reports a run terminated outside the chaos, a run still open that should have closed, and a run Temporal never saw', () => {
    const r = result('workflow states');
    expect(naming(r, ids.strayTerminated, 'TERMINATED but the chaos did not terminate it')).toHaveLength(1);
    expect(naming(r, ids.stillWorks, 'still RUNNING', 'expected closed')).toHaveLength(1);
    expect(naming(r, ids.neverStarted, 'Temporal has no such workflow')).toHaveLength(1);
  });

  it('accepts the terminated grant the reconciler revoked and the runs that completed, and counts runs per type', () => {
    const r = result('workflow states');
    for (const id of [ids.reconciled, ids.rotation, ids.drill]) expect(naming(r, id)).toEqual([]);
    expect(r.notes).toEqual(expect.arrayContaining([expect.stringMatching(/^breakGlassWorkflow: .*RUNNING 1.*TERMINATED 2/)]));
  });
});

it('no result carries a credential', () => {
  const text = JSON.stringify(results);
  expect(secrets.length).toBeGreaterThan(0);
  for (const s of secrets) expect(text).not.toContain(s);
});
