// Break-glass fire drills end to end on the integration stack: the stack's worker runs the drill and
// its real break-glass request, credentials are vended by the api's own code against the sandbox,
// the deny-policy writer revokes for real. Drills `it-fire` and `it-fire-quiet` in
// test/fixtures/policies/integration.yaml (answer windows of minutes and seconds).
import { EvidenceStore } from '../../evidence/store';
import { FireDrillClient } from '../../client/fire-drill-client';
import { sandboxControl } from '../../sandbox/client';
import type { FireDrillStatus } from '../../workflows/fire-drill/definitions';
import { callLogMark, sleep, useStackSession, workerLogFiles } from '../support/it-helpers';
import { decodedPayloadText, historyText } from '../support/history-text';
import { formatFindings, scanFiles, scanForSecrets } from '../support/secret-scan';

const stack = useStackSession();
let drills: FireDrillClient;
/** Drill runs and their break-glass requests, for the secret scan at the end. */
const runs: string[] = [];

beforeAll(() => {
  drills = new FireDrillClient(stack.ctx.temporal, () => stack.ctx.policy, stack.info.taskQueue);
});

async function drillStatus(id: string, until: (s: FireDrillStatus) => boolean, timeoutMs = 60_000): Promise<FireDrillStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await drills.status(id).catch(() => undefined);
    if (st && until(st)) return st;
    if (Date.now() > deadline) throw new Error(`drill ${id} did not get there: ${JSON.stringify(st?.view.steps)}`);
    await sleep(200);
  }
}

it('passes when an approver approves in time: the drill role is used once, revoked with a verified receipt, scored and recorded', async () => {
  const since = await callLogMark(stack.info);
  const id = await drills.start('it-fire', 'schedule');
  expect(id).toMatch(/^drill-fire-it-fire-[0-9a-f]{8}$/);
  const { grantWorkflowId } = await drillStatus(id, (s) => s.view.steps.find((x) => x.name === 'approval')?.state === 'running');
  const grantId = grantWorkflowId!;
  const pending = await stack.ctx.breakGlass.status(grantId);
  expect(pending).toMatchObject({ phase: 'pending', requester: 'fire-drill', drill: true, roleArn: 'arn:aws:iam::123456789012:role/FireDrillAdmin' });

  // A real approver decides as on any request (the CLI's decisions client; the Slack card carries the same round).
  const decision = await stack.ctx.decisions.approve(grantId, 'bob', { via: 'cli' });
  expect(decision.roundState).toBe('approved');

  const res = await drills.result(id);
  runs.push(id, grantId);
  expect(res.outcome).toBe('passed');
  expect(res.evidenceWritten).toBe(true);
  expect(res.status.view.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
  expect(res.status.probe?.callerArn).toMatch(/^arn:aws:sts::123456789012:assumed-role\/FireDrillAdmin\//);
  expect(res.status.revocation).toMatchObject({ verified: true, statementPresent: true, deniedSourceIdentity: 'fire-drill' });
  const { timeToApproveMs, timeToGrantMs, revocationLagMs } = res.status.scores;
  for (const [score, target] of [[timeToApproveMs, 60_000], [timeToGrantMs, 60_000], [revocationLagMs, 60_000]] as const) {
    expect(score).toEqual(expect.any(Number));
    expect(score).toBeLessThanOrEqual(target);
  }

  // One use, exactly as a person's: AssumeRole of the drill role as the broker, with the drill identity.
  const calls = await sandboxControl(stack.info.awsEndpoint).calls();
  const assumed = calls.filter((c) => c.seq > since && c.action === 'AssumeRole' && c.params['RoleArn'] === 'arn:aws:iam::123456789012:role/FireDrillAdmin');
  expect(assumed.map((c) => c.params['SourceIdentity'])).toEqual(expect.arrayContaining(['fire-drill']));
  const grant = await stack.ctx.breakGlass.status(grantId);
  expect(grant).toMatchObject({ outcome: 'revoked', endReason: 'revoked-by-requester' });
  expect(grant.credentials).toHaveLength(1);

  const entry = (await new EvidenceStore(stack.info.evidenceDir).list({ kind: 'break-glass-drill' })).find((e) => e.record['workflowId'] === id);
  expect(entry?.record).toMatchObject({
    drill: 'it-fire',
    rehearses: 'BreakGlassAdmin',
    outcome: 'passed',
    grantWorkflowId: grantId,
    scores: res.status.scores,
    targets: { approveWithinMs: 60_000, grantWithinMs: 60_000, revokeWithinMs: 60_000 },
    approvals: [expect.objectContaining({ by: 'bob' })],
    revocation: expect.objectContaining({ verified: true }),
    schemaVersion: 1,
  });
});

it('ends unanswered when nobody approves within the answer window, and grants nothing', async () => {
  const id = await drills.start('it-fire-quiet', 'schedule');
  const res = await drills.result(id);
  expect(res.outcome).toBe('unanswered');
  expect(res.status.view.steps.find((s) => s.name === 'approval')).toMatchObject({ state: 'failed', detail: expect.stringMatching(/nobody approved within 5 s/) });
  expect(res.status.probe).toBeUndefined();
  const grant = await stack.ctx.breakGlass.status(res.status.grantWorkflowId!);
  expect(grant).toMatchObject({ outcome: 'expired-unapproved', credentials: [] });
  expect(grant.grantedAt).toBeUndefined();
  const entry = (await new EvidenceStore(stack.info.evidenceDir).list({ kind: 'break-glass-drill' })).find((e) => e.record['workflowId'] === id);
  expect(entry?.record).toMatchObject({ outcome: 'unanswered', scores: { timeToApproveMs: null, timeToGrantMs: null, revocationLagMs: null } });
});

it('leaves no secret of the drill credentials in the drill or request histories, the evidence file or the worker logs', async () => {
  expect(runs.length).toBeGreaterThanOrEqual(2);
  const problems: string[] = [];
  for (const id of runs) {
    const history = await stack.ctx.temporal.workflow.getHandle(id).fetchHistory();
    const raw = scanForSecrets(historyText(history));
    if (raw.length) problems.push(`history of ${id}:\n${formatFindings(raw)}`);
    const decoded = scanForSecrets(await decodedPayloadText(stack.ctx, history));
    if (decoded.length) problems.push(`decoded history of ${id}:\n${formatFindings(decoded)}`);
  }
  for (const f of await scanFiles([`${stack.info.evidenceDir}/evidence.jsonl`, ...workerLogFiles(stack.info)])) problems.push(`${f.file}: ${f.kind} ${f.excerpt}`);
  expect(problems).toEqual([]);
  // The scan saw the real thing: the probe's temporary key id is in the decoded drill history.
  expect(await decodedPayloadText(stack.ctx, await stack.ctx.temporal.workflow.getHandle(runs[0]!).fetchHistory())).toContain('ASIA');
});
