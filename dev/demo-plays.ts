// The demo's plays: every runbook kind driven through the CLI's code paths (the same client calls the
// `safeguard` commands make), against any stack whose policy is examples/policy.yaml's shape. `npm run
// demo` plays them on a stack of its own; the audit-export integration test and `npm run test:browser`
// play them too, so the period report is checked against evidence a real run of every runbook wrote.
import fs from 'node:fs';
import { SafeguardError } from '../client/errors';
import { approve, formatStatus, requestAccess, status } from '../cli/commands/breakglass';
import { openContext } from '../cli/context';
import { openEvidenceForAudit } from '../evidence/audit-access';
import type { CliContext } from '../cli/context';
import { formatRotationStatus } from '../cli/areas/rotation';
import { RotationClient } from '../client/rotation-client';
import { DrillClient } from '../client/drill-client';
import { drillReport, formatFireDrill } from '../cli/drill-report';
import { FireDrillClient } from '../client/fire-drill-client';
import { resolveCaller } from '../cli/identity';
import { EvidenceStore } from '../evidence/store';
import type { VerifyResult } from '../evidence/store';
import { CreateLoginProfileCommand, IAMClient, TagUserCommand } from '@aws-sdk/client-iam';
import { randomBytes } from 'node:crypto';
import { ReviewClient } from '../client/review-client';
import { reviewReport } from '../client/review-report';
import { formatReviewStatus } from '../cli/review-view';
import { BlobStore } from '../evidence/blobs';
import { renderReportMarkdown } from '../reports/access-review';
import type { SandboxFile } from '../sandbox';
import { sandboxControl } from '../sandbox/client';
import { RunbookClient } from '../client/runbook-client';
import { ScheduleClient } from '../client/schedules';
import { formatRunbookStatus } from '../cli/areas/runbook';
import type { RunbookStatus } from '../workflows/runbook/definitions';
import { startStack } from './stack';
import type { StackInfo, StackOptions } from './stack';
import type { DemoKind } from './demo-args';

/** Where a play writes: `note` numbers the steps of one play, `say` prints the run's reports. */
export interface PlayOutput {
  say(m: string): void;
  note(m: string): void;
}

export type Played = { kind: DemoKind; ok: boolean } & Record<string, unknown>;

async function playBreakGlass(ctx: CliContext, out: PlayOutput): Promise<Played> {
  const { say, note: n } = out;
  const alice = await resolveCaller(ctx, 'alice');
  const bob = await resolveCaller(ctx, 'bob');
  n(`alice is ${alice.arn} (verified by STS GetCallerIdentity)`);
  const req = await requestAccess(ctx, alice, { role: 'BreakGlassAdmin', duration: '20s', reason: 'orders database is refusing connections; need to restart it', ticket: 'INC-1042' });
  n(`alice requested ${req.role} for 20s: ${req.workflowId}`);
  try {
    await approve(ctx, alice, req.workflowId);
    throw new Error('self-approval was accepted: this must never happen');
  } catch (err) {
    if (!(err instanceof SafeguardError) || err.refusal !== 'SelfApproval') throw err;
    n(`alice tried to approve her own request: refused (${err.message})`);
  }
  const decision = await approve(ctx, bob, req.workflowId, { comment: 'confirmed incident INC-1042' });
  n(`bob approved (${decision.approvals}/${decision.quorum})`);
  let st = await status(ctx, req.workflowId);
  while (st.phase === 'pending') {
    await new Promise((r) => setTimeout(r, 200));
    st = await status(ctx, req.workflowId);
  }
  if (st.grantReceipt) n(`grant verified: AssumeRole as ${st.grantReceipt.callerArn} with SourceIdentity ${st.grantReceipt.sourceIdentity}; active until ${st.plannedEndAt}`);
  n('waiting for expiry and the verified revocation…');
  const result = await ctx.breakGlass.result(req.workflowId);
  const s = result.status;
  say('');
  say(formatStatus(s));
  const summary = {
    kind: 'break-glass' as const,
    workflowId: s.grantId,
    outcome: s.outcome,
    endReason: s.endReason,
    requester: s.requester,
    role: s.role,
    approvers: s.approval?.approvals.map((a) => a.by) ?? [],
    plannedEndAt: s.plannedEndAt,
    actualEndAt: s.actualEndAt,
    revocationVerified: s.revocation?.verified ?? false,
    revocationLagMs: result.revocationLagMs ?? null,
  };
  return { ...summary, ok: summary.outcome === 'revoked' && summary.revocationVerified };
}

async function playKeyRotation(ctx: CliContext, kind: 'access-key-rotation' | 'kms-rotation', out: PlayOutput): Promise<Played | undefined> {
  const { say, note: n } = out;
  const rotation = ctx.policy.rotation;
  // Prefer a target that shows the most: an access key whose old key needs an approval to delete; a KMS drill.
  const target = kind === 'access-key-rotation' ? (rotation.accessKeys.find((t) => t.deleteApproval) ?? rotation.accessKeys[0]) : (rotation.kmsKeys.find((t) => t.onDemandDrill) ?? rotation.kmsKeys[0]);
  if (!target) {
    n(`the policy has no ${kind === 'access-key-rotation' ? 'rotation.accessKeys' : 'rotation.kmsKeys'} target; skipped`);
    return undefined;
  }
  const requester = await resolveCaller(ctx, 'alice');
  const client = new RotationClient(ctx.temporal, ctx.taskQueue);
  const started = await client.start(ctx.policy, target.name, requester.person, { force: true });
  n(`alice started ${kind === 'access-key-rotation' ? 'an access-key rotation' : 'a KMS key rotation'} of ${target.name}: ${started.workflowId}`);
  if (kind === 'access-key-rotation') {
    const t = rotation.accessKeys.find((x) => x.name === target.name)!;
    n(`consumers read the key from ${t.store.type === 'ssm-parameter' ? `SSM ${t.store.name}` : `Secrets Manager ${t.store.secretId}`}; the sandbox's simulated consumer switches by itself`);
    n(`waiting: ${t.gracePeriodMs / 1000}s without use of the old key, then deactivate, then watch it ${t.observePeriodMs / 1000}s…`);
  }
  let decidedBy: string | undefined;
  for (;;) {
    const st = await client.status(started.workflowId);
    const open = st.rounds.find((r) => r.state === 'open');
    if (open && !decidedBy) {
      const approver = open.eligible.find((p) => p !== requester.person);
      if (!approver) throw new Error(`nobody but the requester may approve ${open.id}`);
      const who = await resolveCaller(ctx, approver);
      const d = await ctx.decisions.approve(started.workflowId, who.person, { via: 'cli', comment: 'consumers confirmed on the new key' });
      decidedBy = who.person;
      n(`${who.person} approved deleting the old key (${d.approvals}/${d.quorum})`);
    }
    if (st.execution.status !== 'RUNNING') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const res = await client.result(started.workflowId);
  say('');
  say(formatRotationStatus(await client.status(started.workflowId)));
  const st = res.status;
  const summary = kind === 'access-key-rotation'
    ? { kind, workflowId: st.workflowId, target: st.target, outcome: res.outcome, oldAccessKeyId: st.oldAccessKeyId ?? null, newAccessKeyId: st.newAccessKeyId ?? null, deleteApprovedBy: decidedBy ?? null, startedAt: st.view.startedAt, endedAt: st.view.endedAt ?? null }
    : { kind, workflowId: st.workflowId, target: st.target, outcome: res.outcome, keyId: st.keyId ?? null, startedAt: st.view.startedAt, endedAt: st.view.endedAt ?? null };
  return { ...summary, ok: res.outcome === (kind === 'access-key-rotation' ? 'rotated' : 'verified') && res.evidenceWritten };
}

async function playRestoreDrill(ctx: CliContext, out: PlayOutput): Promise<Played | undefined> {
  const { say, note: n } = out;
  const drill = ctx.policy.drills.restore.find((d) => d.signOff) ?? ctx.policy.drills.restore[0];
  if (!drill) {
    n('the policy has no drills.restore entry; skipped');
    return undefined;
  }
  const requester = await resolveCaller(ctx, 'alice');
  const client = new DrillClient(ctx.temporal, ctx.taskQueue);
  const started = await client.start(ctx.policy, drill.name, requester.person, { pollMs: 1000 });
  n(`alice started restore drill ${drill.name}: ${started.workflowId}`);
  n(`restoring ${drill.source.type} into a scratch resource, then validating the data it holds…`);
  let signedBy: string | undefined;
  for (;;) {
    const st = await client.status(started.workflowId);
    const open = st.rounds.find((r) => r.state === 'open');
    if (open && !signedBy) {
      const person = open.eligible.find((p) => p !== requester.person);
      if (!person) throw new Error('nobody but the requester may sign the drill off');
      const who = await resolveCaller(ctx, person);
      await ctx.decisions.approve(started.workflowId, who.person, { via: 'cli', comment: 'restored rows checked' });
      signedBy = who.person;
      n(`${who.person} signed the results off`);
    }
    if (st.execution.status !== 'RUNNING') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const res = await client.result(started.workflowId);
  say('');
  say(drillReport(await client.status(started.workflowId), 'text'));
  const st = res.status;
  return {
    kind: 'restore-drill',
    workflowId: st.workflowId,
    drill: st.drill,
    outcome: res.outcome,
    rtoMs: st.scores.rtoMs,
    rpoMs: st.scores.rpoMs,
    rtoMet: st.scores.rtoMet,
    rpoMet: st.scores.rpoMet,
    scratch: st.scratchName,
    tornDownAt: st.teardown?.goneAt ?? null,
    signedOffBy: signedBy ?? null,
    ok: res.outcome === 'passed' && res.evidenceWritten && st.teardown !== undefined,
  };
}

async function playFireDrill(ctx: CliContext, out: PlayOutput): Promise<Played | undefined> {
  const { say, note: n } = out;
  const drill = ctx.policy.drills.fire[0];
  if (!drill) {
    n('the policy has no drills.fire entry; skipped');
    return undefined;
  }
  const requester = await resolveCaller(ctx, 'alice');
  const client = new FireDrillClient(ctx.temporal, () => ctx.policy, ctx.taskQueue);
  const workflowId = await client.start(drill.name, requester.person);
  n(`alice started fire drill ${drill.name}: ${workflowId} (rehearses ${drill.rehearses} with ${drill.drillRoleArn}, a role with no permissions)`);
  let st = await client.status(workflowId);
  while (!st.grantWorkflowId && !st.outcome) {
    await new Promise((r) => setTimeout(r, 200));
    st = await client.status(workflowId);
  }
  let approvedBy: string | undefined;
  if (st.grantWorkflowId) {
    n(`the approvers see a DRILL request: ${st.grantWorkflowId}`);
    const request = await status(ctx, st.grantWorkflowId);
    const approver = request.approval?.eligible.find((p) => p !== request.requester);
    if (!approver) throw new Error('the drill request has no approver');
    const who = await resolveCaller(ctx, approver);
    await approve(ctx, who, st.grantWorkflowId, { comment: 'fire drill acknowledged' });
    approvedBy = who.person;
    n(`${who.person} approved the DRILL request; Safeguard uses the grant once, revokes it and verifies the revocation…`);
  }
  const res = await client.result(workflowId);
  say('');
  say(formatFireDrill(res.status));
  const sc = res.status.scores;
  return {
    kind: 'break-glass-drill',
    workflowId,
    drill: drill.name,
    outcome: res.outcome,
    grantWorkflowId: res.status.grantWorkflowId ?? null,
    approvedBy: approvedBy ?? null,
    timeToApproveMs: sc.timeToApproveMs,
    timeToGrantMs: sc.timeToGrantMs,
    revocationLagMs: sc.revocationLagMs,
    revocationVerified: res.status.revocation?.verified ?? false,
    ok: res.outcome === 'passed' && res.evidenceWritten && res.status.revocation?.verified === true,
  };
}

/**
 * A small access review of the sandbox account: bob owns the service users (an `owner` tag) and
 * revokes one, carol's own user goes to the auditors, carol keeps the rest of the account but one,
 * which gets the default action at the deadline.
 */
async function playAccessReview(ctx: CliContext, out: PlayOutput): Promise<Played | undefined> {
  const { say, note: n } = out;
  const review = ctx.policy.reviews.access[0];
  const stackInfo = ctx.sandbox?.stack;
  if (!review || !stackInfo) {
    n('the policy has no reviews.access entry (or this is not the sandbox); skipped');
    return undefined;
  }
  const broker = (JSON.parse(fs.readFileSync(stackInfo.sandboxFile, 'utf8')) as SandboxFile).broker;
  const iam = new IAMClient({ region: stackInfo.region, endpoint: stackInfo.awsEndpoint, credentials: { accessKeyId: broker.accessKeyId, secretAccessKey: broker.secretAccessKey } });
  const owned = ctx.policy.rotation.accessKeys.map((k) => k.user);
  for (const user of owned) await iam.send(new TagUserCommand({ UserName: user, Tags: [{ Key: review.owners.tag, Value: 'bob' }] }));
  // dave once signed in to the console: the default action (remove-console) will have something to remove.
  await iam.send(new CreateLoginProfileCommand({ UserName: 'dave', Password: `Demo-${randomBytes(12).toString('base64url')}!9a` }));
  n(`the team tagged its service users (${owned.join(', ')}) ${review.owners.tag}=bob; everything else goes to the ${review.owners.fallback[review.accounts[0]!] ?? '?'} group`);
  const reviews = new ReviewClient(ctx.temporal, ctx.taskQueue);
  const { workflowId } = await reviews.start(ctx.policy, review.name, (await resolveCaller(ctx, 'alice')).person);
  n(`alice started access review ${review.name}: ${workflowId}`);
  let st = await reviews.status(workflowId);
  while (st.reviewers.length === 0 && st.execution.status === 'RUNNING') {
    await new Promise((r) => setTimeout(r, 300));
    st = await reviews.status(workflowId);
  }
  n(`inventory and findings: ${st.totals?.principals ?? 0} principals, ${st.totals?.flagged ?? 0} flagged, ${st.totals?.exempt ?? 0} exempt; ${st.reviewers.length} reviewer run(s)`);
  let runs = await reviews.reviewers(workflowId);
  while (runs.some((r) => r.phase !== 'reviewing')) {
    await new Promise((r) => setTimeout(r, 300));
    runs = await reviews.reviewers(workflowId);
  }
  const [keepOwned, ...revokeOwned] = owned;
  if (keepOwned) await reviews.decide(workflowId, 'bob', { items: [{ item: keepOwned, decision: 'keep' }], via: 'cli' });
  if (revokeOwned.length > 0) await reviews.decide(workflowId, 'bob', { items: revokeOwned.map((item) => ({ item, decision: 'revoke' as const, reason: 'replaced by the new exporter' })), via: 'cli' });
  n(`bob kept ${keepOwned ?? '-'} and revoked ${revokeOwned.join(', ') || '-'}`);
  try {
    await reviews.decide(workflowId, 'carol', { items: [{ item: 'carol', decision: 'keep' }], via: 'cli' });
  } catch (err) {
    if (!(err instanceof SafeguardError) || err.refusal !== 'OwnAccess') throw err;
    n(`carol tried to keep her own user: refused (${err.message})`);
  }
  await reviews.decide(workflowId, 'bob', { items: [{ item: 'carol', decision: 'keep', reason: 'security engineer, MFA on' }], via: 'cli' });
  n('bob (auditors) kept carol’s user');
  const security = runs.filter((r) => r.mayDecide.includes('carol') && r.reviewer.id !== review.escalation);
  const left = 'dave';
  const carolKeeps = security.flatMap((r) => r.items.filter((i) => i.holder !== 'carol' && i.name !== left && !i.decision).map((i) => ({ item: i.key, decision: 'keep' as const })));
  if (carolKeeps.length > 0) await reviews.decide(workflowId, 'carol', { items: carolKeeps, via: 'cli' });
  n(`carol kept ${carolKeeps.length} principal(s) and left ${left}'s user undecided: at the deadline it gets ${review.defaultAction}`);
  n('waiting for the deadline, the default action and the verified revocations…');
  const res = await reviews.result(workflowId);
  say('');
  say(formatReviewStatus(await reviews.status(workflowId)));
  const report = await reviewReport({ reviews, blobs: new BlobStore(stackInfo.evidenceDir), evidence: new EvidenceStore(stackInfo.evidenceDir) }, workflowId);
  say('');
  say(renderReportMarkdown(report).trimEnd());
  const sum = (k: 'kept' | 'revoked' | 'defaulted' | 'verified' | 'applied') => res.status.reviewers.reduce((t, r) => t + (r.result?.counts[k] ?? 0), 0);
  return {
    kind: 'access-review',
    workflowId,
    review: review.name,
    outcome: res.outcome,
    principals: res.status.totals?.principals ?? 0,
    flagged: res.status.totals?.flagged ?? 0,
    kept: sum('kept'),
    revoked: sum('revoked'),
    defaulted: sum('defaulted'),
    revocationsVerified: `${sum('verified')}/${sum('applied')}`,
    ok: res.outcome === 'completed' && res.evidenceWritten && sum('defaulted') >= 1 && sum('verified') === sum('applied'),
  };
}

const RECOVERY = 'root-recovery';
/** Who confirms each confirm step of root-recovery, with what they write: never alice, who starts it. */
const CONFIRMATIONS: Record<string, [person: string, note: string][]> = {
  'mfa-retrieved': [
    ['bob', 'MFA device #2 out of safe B, seal 00417 intact'],
    ['dave', 'witnessed; seal number matches the safe log'],
  ],
  'password-retrieved': [
    ['carol', 'root password envelope 7 out of the vault'],
    ['dave', 'witnessed; vault log signed'],
  ],
  'password-rotated': [
    ['bob', 'password rotated; the new one sealed in envelope 8'],
    ['carol', 'vault log checked, envelope 8 logged'],
  ],
  'mfa-resealed': [
    ['carol', 'MFA device re-sealed in safe B with seal 00418'],
    ['dave', 'witnessed'],
  ],
};

/**
 * Root-account recovery (examples/policy.yaml's `root-recovery`), the whole procedure under dual
 * control: alice starts it, bob and carol approve, alice may not confirm a step of her own run, two
 * people confirm each retrieval and each re-sealing with a note, the root console sign-in is seeded in
 * the sandbox's CloudTrail (console sign-ins never pass its gateway) for the wait step to find, and
 * Safeguard proves root ends with MFA and no access keys. Then, with the recovery closed, another root
 * sign-in is seeded and the root-login watcher (its Schedule triggered now) pages it.
 */
async function playRunbook(ctx: CliContext, out: PlayOutput): Promise<Played | undefined> {
  const { say, note: n } = out;
  const procedure = ctx.policy.runbooks.procedures.find((p) => p.name === RECOVERY);
  const stackInfo = ctx.sandbox?.stack;
  if (!procedure || !stackInfo) {
    n(`the policy has no ${RECOVERY} runbook (or this is not the sandbox); skipped`);
    return undefined;
  }
  const control = sandboxControl(stackInfo.awsEndpoint);
  const runbooks = new RunbookClient(ctx.temporal, ctx.taskQueue);
  const alice = await resolveCaller(ctx, 'alice');
  const { workflowId } = await runbooks.start(ctx.policy, RECOVERY, alice.person, 'root MFA device lost; recovery under ticket SEC-4242');
  n(`alice started ${procedure.title} (${procedure.steps.map((s) => s.id).join(' → ')}): ${workflowId}`);

  const until = async (what: string, pred: (s: RunbookStatus) => boolean, timeoutMs = 60_000): Promise<RunbookStatus> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const st = await runbooks.status(workflowId);
      if (pred(st)) return st;
      if (st.execution.status !== 'RUNNING' || Date.now() > deadline) throw new Error(`${workflowId} never got to ${what}: ${st.view.outcome ?? st.execution.status} on ${st.current?.id ?? 'no step'}; ${st.steps.map((x) => `${x.id} ${x.outcome}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const onStep = (step: string) => until(`step ${step}`, (s) => s.current?.id === step);
  const confirmStep = async (step: string): Promise<void> => {
    await onStep(step);
    for (const [person, note] of CONFIRMATIONS[step] ?? []) {
      const who = await resolveCaller(ctx, person);
      await runbooks.confirm(workflowId, who.person, { step, note, via: 'cli' });
    }
    n(`${step}: ${(CONFIRMATIONS[step] ?? []).map(([p, note]) => `${p} ("${note}")`).join(' and ')} confirmed`);
  };

  await onStep('approve');
  for (const person of ['bob', 'carol']) {
    const who = await resolveCaller(ctx, person);
    const d = await ctx.decisions.approve(workflowId, who.person, { round: 'approve', via: 'cli', comment: 'SEC-4242: root MFA device reported lost' });
    n(`${who.person} approved (${d.approvals}/${d.quorum})`);
  }
  await onStep('mfa-retrieved');
  try {
    await runbooks.confirm(workflowId, alice.person, { step: 'mfa-retrieved', note: 'I have the device', via: 'cli' });
    throw new Error('a self-confirmation was accepted: this must never happen');
  } catch (err) {
    if (!(err instanceof SafeguardError) || err.refusal !== 'SelfConfirmation') throw err;
    n(`alice tried to confirm a step of her own run: refused (${err.message})`);
  }
  await confirmStep('mfa-retrieved');
  await confirmStep('password-retrieved');

  const looking = await until('a first look at CloudTrail', (s) => s.current?.id === 'root-signed-in' && s.current.lastCheck !== undefined);
  n(`Safeguard looks for a root console sign-in in CloudTrail: ${looking.current!.lastCheck!.summary}`);
  // CloudTrail times are whole seconds: a sign-in in the second the step began could read as before it.
  await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(looking.current!.startedAt) + 1100 - Date.now())));
  const signIn = await control.recordConsoleLogin({ accountId: looking.accountId, user: 'root', sourceIp: '203.0.113.7', mfaUsed: true });
  n(`root signed in to the console of ${looking.accountId} from 203.0.113.7 with MFA (seeded in the sandbox's CloudTrail: event ${signIn.eventId})`);
  const seen = await until('the sign-in seen', (s) => s.steps.some((x) => x.id === 'root-signed-in'));
  n(`seen: ${seen.steps.find((x) => x.id === 'root-signed-in')!.detail ?? 'root signed in'}; the recovery work follows, under dual control…`);
  await confirmStep('password-rotated');
  await confirmStep('mfa-resealed');

  const res = await runbooks.result(workflowId);
  const st = await runbooks.status(workflowId);
  say('');
  say(formatRunbookStatus(st));
  const evidence = new EvidenceStore(stackInfo.evidenceDir);
  const stepRecords = (await evidence.list({ kind: 'runbook-step' })).filter((e) => e.record['workflowId'] === workflowId);
  n(`evidence: ${stepRecords.length} step record(s) and the run's record (${res.evidenceWritten ? 'written' : 'NOT written'})`);

  // The recovery is closed: a root sign-in now is nobody's procedure, and the watcher pages it.
  const watched = ctx.policy.runbooks.rootLoginWatch?.accounts.includes(st.accountId) === true;
  let unexpected: { eventId: string } | undefined;
  let paged = false;
  if (!watched) n(`the policy's rootLoginWatch does not watch ${st.accountId}; no unexpected sign-in shown`);
  else {
    // CloudTrail times are whole seconds: one in the second the recovery closed would count as during it.
    await new Promise((r) => setTimeout(r, 1500));
    unexpected = await control.recordConsoleLogin({ accountId: st.accountId, user: 'root', sourceIp: '198.51.100.9', mfaUsed: false });
    await new ScheduleClient(ctx.temporal, ctx.taskQueue).trigger(ctx.policy, 'root-login-watch');
    const deadline = Date.now() + 30_000;
    while (!paged && Date.now() < deadline) {
      paged = (await evidence.list({ kind: 'root-login' })).some((e) => e.record['eventId'] === unexpected!.eventId);
      if (!paged) await new Promise((r) => setTimeout(r, 500));
    }
    n(paged ? `a root sign-in from 198.51.100.9 without MFA after the recovery closed: the root-login watcher paged security (event ${unexpected.eventId})` : 'the root-login watcher did not page the root sign-in after the recovery within 30 s');
  }

  const confirmers = [...new Set(st.steps.filter((x) => x.type === 'confirm').flatMap((x) => x.by.map((b) => b.by)))];
  const done = st.steps.filter((x) => x.outcome === 'done').length;
  return {
    kind: 'runbook',
    workflowId,
    runbook: RECOVERY,
    outcome: res.outcome,
    requestedBy: st.requestedBy,
    approvers: st.steps.filter((x) => x.type === 'approval').flatMap((x) => x.by.map((b) => b.by)),
    confirmers,
    stepsDone: done,
    stepsTotal: procedure.steps.length,
    stepsEscalated: st.steps.filter((x) => x.escalated).length,
    stepEvidenceSeqs: stepRecords.map((e) => e.seq),
    selfConfirmationRefused: true,
    rootSignInEventId: signIn.eventId,
    pagedRootSignInEventId: paged ? unexpected!.eventId : null,
    startedAt: st.view.startedAt,
    endedAt: st.view.endedAt ?? null,
    ok: res.outcome === 'completed' && res.evidenceWritten && done === procedure.steps.length && stepRecords.length === procedure.steps.length && (paged || !watched),
  };
}

export function play(ctx: CliContext, kind: DemoKind, out: PlayOutput): Promise<Played | undefined> {
  switch (kind) {
    case 'break-glass':
      return playBreakGlass(ctx, out);
    case 'access-key-rotation':
    case 'kms-rotation':
      return playKeyRotation(ctx, kind, out);
    case 'restore-drill':
      return playRestoreDrill(ctx, out);
    case 'break-glass-drill':
      return playFireDrill(ctx, out);
    case 'access-review':
      return playAccessReview(ctx, out);
    case 'runbook':
      return playRunbook(ctx, out);
  }
}


export interface PlayedRun {
  played: Played[];
  chain: VerifyResult;
  /** The stack's evidence directory (still on disk after the stack stopped). */
  evidenceDir: string;
}

/**
 * Starts a stack of its own in `stack.dataDir`, plays `kinds` one after another (they share the
 * sandbox's users, so never at once), verifies the evidence chain and stops the stack, whatever happened.
 */
export async function playOnOwnStack(opts: { stack: StackOptions; kinds: readonly DemoKind[]; out: PlayOutput; onStackUp?: (info: StackInfo) => void }): Promise<PlayedRun> {
  const stack = await startStack(opts.stack);
  try {
    opts.onStackUp?.(stack.info);
    const ctx = await openContext(stack.info);
    try {
      const played: Played[] = [];
      for (const kind of opts.kinds) {
        opts.out.say('');
        opts.out.say(`== ${kind} ==`);
        let step = 0;
        const p = await play(ctx, kind, { say: opts.out.say, note: (m) => opts.out.note(`${++step}. ${m}`) });
        if (p) played.push(p);
      }
      // Keyed and anchored as the worker writes it: the stack's key file, and its S3 bucket while it runs.
      const chain = await (await openEvidenceForAudit({ dir: stack.info.evidenceDir })).store.verify();
      return { played, chain, evidenceDir: stack.info.evidenceDir };
    } finally {
      await ctx.close();
    }
  } finally {
    await stack.stop();
  }
}
