// kmsKeyRotation: proves a customer key rotates as the policy says. Encrypt a canary first; make sure
// automatic rotation is on with the policy's period; optionally rotate the key material now (a
// drill, within AWS's 25 on-demand rotations per key); verify with GetKeyRotationStatus and
// ListKeyRotations; prove the canary encrypted before still decrypts and new encryption works.
import { CancellationScope, condition, isCancellation, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { RunbookRun, errorMessage } from '../shared/runbook-run';
import { rejectMalformedRotation, rotationInputProblems } from './input-shape';
import { rotationStatusQuery } from './definitions';
import type { KmsRotationInput, KmsRotationOutcome, RotationResult, RotationStatus } from './definitions';

const kms = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

const STEPS = ['describe key', 'encrypt canary', 'ensure automatic rotation', 'on-demand rotation', 'verify rotation', 'check canary'] as const;
/** How long an on-demand rotation may take to be listed before the drill counts as failed. */
const ON_DEMAND_WAIT_MS = 10 * 60_000;
/** First poll after 5 s, doubling to once a minute: AWS takes seconds to minutes, and every poll is history. */
const ON_DEMAND_POLL_MS = 5_000;
const ON_DEMAND_POLL_MAX_MS = 60_000;

export async function kmsRotationWorkflow(input: KmsRotationInput): Promise<RotationResult> {
  const problems = rotationInputProblems('kms-rotation', input);
  if (problems.length > 0) return rejectMalformedRotation('kms-rotation', workflowInfo().workflowId, problems);
  const t = input.target;
  const run = new RunbookRun({ kind: 'kms-rotation', title: 'KMS key rotation', target: t.name, accountId: t.accountId, requestedBy: input.requestedBy, security: input.security, ...(input.channel ? { channel: input.channel } : {}), steps: STEPS });
  const record = run.record;
  record.fact('Key', t.keyRef);
  record.fact('Period', `${t.rotationPeriodDays} days`);
  let keyId: string | undefined;
  const status = (): RotationStatus => ({
    workflowId: workflowInfo().workflowId,
    kind: 'kms-rotation',
    target: t.name,
    requestedBy: input.requestedBy,
    view: record.view(),
    timeline: [...record.timeline],
    ...(keyId ? { keyId } : {}),
    rounds: [],
  });
  const notify = (event: string, opts: { page?: boolean; detail?: string } = {}): void => run.notify(event, opts);
  setHandler(rotationStatusQuery, status);
  record.log(Date.now(), 'started', undefined, input.requestedBy);
  notify('started');

  let current: (typeof STEPS)[number] = 'describe key';
  const step = (name: (typeof STEPS)[number], state: 'running' | 'done' | 'failed' | 'skipped', detail?: string): void => {
    current = name;
    record.step(Date.now(), name, state, detail);
  };
  let outcome: KmsRotationOutcome;
  try {
    step('describe key', 'running');
    const verdict = await kms.checkRotationRequest({ kind: 'kms-rotation', target: t });
    if (!verdict.accepted) throw new Rejected(verdict.problems.join('; '));
    const key = await kms.describeKmsKey(t);
    keyId = key.keyId;
    record.fact('Key id', key.keyId);
    step('describe key', 'done', `${key.keySpec}, ${key.keyState}`);

    step('encrypt canary', 'running');
    const canaryId = workflowInfo().workflowId;
    const canary = await kms.encryptCanary({ target: t, keyId: key.keyId, canaryId });
    step('encrypt canary', 'done', `encrypted at ${canary.encryptedAt}`);

    step('ensure automatic rotation', 'running');
    const ensured = await kms.ensureKeyRotation({ target: t, keyId: key.keyId });
    step('ensure automatic rotation', 'done', `${ensured.changed ? 'turned on' : 'already on'}, every ${ensured.rotationPeriodDays ?? '?'} days${ensured.nextRotationDate ? `, next ${ensured.nextRotationDate}` : ''}`);

    let onDemandAt: string | undefined;
    if (t.onDemandDrill) {
      step('on-demand rotation', 'running');
      const since = new Date(Date.now()).toISOString();
      const r = await kms.rotateKeyOnDemand({ target: t, keyId: key.keyId, since });
      onDemandAt = r.requestedAt;
      const listed = await waitForRotation(kms, t, key.keyId, Date.parse(since) - 1000);
      if (!listed) {
        step('on-demand rotation', 'failed', `not listed ${ON_DEMAND_WAIT_MS / 60_000} min after it was requested`);
        throw new DrillFailure('the on-demand rotation was not listed');
      }
      step('on-demand rotation', 'done', `rotated at ${listed}`);
      record.fact('On-demand rotation', listed);
    } else step('on-demand rotation', 'skipped', 'not a drill target');

    step('verify rotation', 'running');
    const st = await kms.keyRotationStatus({ target: t, keyId: key.keyId });
    const rotations = (await kms.listKeyRotations({ target: t, keyId: key.keyId })).rotations;
    const problems: string[] = [];
    if (!st.enabled) problems.push('automatic rotation is off');
    if (st.rotationPeriodDays !== t.rotationPeriodDays) problems.push(`period is ${st.rotationPeriodDays ?? 'unknown'} days, policy says ${t.rotationPeriodDays}`);
    if (onDemandAt && !rotations.some((r) => r.rotationType === 'ON_DEMAND')) problems.push('the on-demand rotation is not in ListKeyRotations');
    if (problems.length > 0) {
      step('verify rotation', 'failed', problems.join('; '));
      throw new DrillFailure(problems.join('; '));
    }
    record.fact('Rotations listed', String(rotations.length));
    step('verify rotation', 'done', `enabled, every ${st.rotationPeriodDays} days; ${rotations.length} rotation(s) listed`);

    step('check canary', 'running');
    const check = await kms.checkCanary({ target: t, keyId: key.keyId, canaryId, ciphertext: canary.ciphertext });
    if (!check.oldCiphertextDecrypts || !check.newEncryptionRoundTrips) {
      const why = `${check.oldCiphertextDecrypts ? '' : 'the canary encrypted before no longer decrypts; '}${check.newEncryptionRoundTrips ? '' : 'new encryption does not round-trip'}`;
      step('check canary', 'failed', why);
      throw new DrillFailure(why);
    }
    step('check canary', 'done', 'old ciphertext decrypts; new encryption round-trips');
    outcome = 'verified';
  } catch (err) {
    if (isCancellation(err)) outcome = 'cancelled';
    else if (err instanceof Rejected) {
      outcome = 'rejected-invalid';
      record.step(Date.now(), 'describe key', 'failed', `not the policy's target: ${err.message}`);
      notify('rejected-invalid', { page: true, detail: `rotation input does not match the policy: ${err.message.slice(0, 500)}` });
    } else {
      outcome = 'failed';
      const detail = errorMessage(err);
      const s = record.steps.find((x) => x.name === current);
      if (s && s.state === 'running') record.step(Date.now(), current, 'failed', detail);
      notify('failed', { page: true, detail: `${current}: ${detail}` });
    }
  }
  return CancellationScope.nonCancellable(async () => {
    const evidenceWritten = await run.finish(
      outcome,
      (ids) => {
        return {
          ...ids,
          target: t.name,
          keyRef: t.keyRef,
          keyId: keyId ?? null,
          accountId: t.accountId,
          requestedBy: input.requestedBy,
          outcome,
          rotationPeriodDays: t.rotationPeriodDays,
          onDemandDrill: t.onDemandDrill,
          ...run.recordFields(),
        };
      },
      outcome === 'verified',
    );
    return { status: status(), outcome, evidenceWritten };
  });
}

class DrillFailure extends Error {}
class Rejected extends Error {}

/** The newest ON_DEMAND rotation dated after `afterMs`, once ListKeyRotations shows it. */
async function waitForRotation(acts: typeof kms, t: KmsRotationInput['target'], keyId: string, afterMs: number): Promise<string | undefined> {
  const until = Date.now() + ON_DEMAND_WAIT_MS;
  for (let wait = ON_DEMAND_POLL_MS; ; wait = Math.min(wait * 2, ON_DEMAND_POLL_MAX_MS)) {
    const { rotations } = await acts.listKeyRotations({ target: t, keyId });
    const hit = rotations.filter((r) => r.rotationType === 'ON_DEMAND' && Date.parse(r.rotationDate) >= afterMs).pop();
    if (hit) return hit.rotationDate;
    if (Date.now() >= until) return undefined;
    await condition(() => false, Math.min(wait, Math.max(1, until - Date.now())));
  }
}
