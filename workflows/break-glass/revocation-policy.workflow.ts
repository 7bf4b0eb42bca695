// The single, serialised writer of one role's deny policy (revocation-policy.ts). Revocations hand it
// their cut-off by signal-with-start; it merges them (one statement per person, latest cut-off),
// writes the whole document in one PutRolePolicy, and removes statements once their tokens can no
// longer exist. Two writers racing on a read-modify-write could silently drop a verified deny, so
// exactly one workflow per role owns the document. The break-glass workflow never trusts the
// writer's word: it re-reads the policy from IAM to verify its receipt.
import { allHandlersFinished, condition, continueAsNew, log, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import {
  MAX_ROLE_INLINE_POLICY_CHARS,
  addRevocationCutoffSignal,
  entriesFromStatements,
  isCutoffRequest,
  mergeCutoff,
  policyDocument,
  policySize,
  pruneExpired,
  revocationWriterStateQuery,
} from './revocation-policy';
import type { CutoffRequest, RevocationEntry, RevocationWriterInput } from './revocation-policy';

const iam = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 4 },
});
const pager = proxyActivities<Activities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 3 } });

/** Page security once a write has failed this many times in a row (the writer keeps trying). */
const PAGE_AFTER_FAILURES = 3;

export async function revocationPolicyWriterWorkflow(input: RevocationWriterInput): Promise<{ entries: number }> {
  const target = { accountId: input.accountId, executionRoleArn: input.executionRoleArn, externalId: input.externalId, roleArn: input.roleArn };
  const pending: CutoffRequest[] = [];
  let entries: RevocationEntry[] = input.entries ?? [];
  let failures = 0;
  let lastWriteAt: string | undefined;
  let paged = false;

  setHandler(addRevocationCutoffSignal, (req) => {
    // Anything malformed (a forged signal, an unencrypted payload the codec refused) is dropped.
    if (isCutoffRequest(req)) pending.push(req);
    else log.warn('malformed revocation cut-off dropped');
  });
  setHandler(revocationWriterStateQuery, () => ({ entries, pending: pending.length, failures, size: policySize(policyDocument(entries)), ...(lastWriteAt ? { lastWriteAt } : {}) }));

  // A fresh writer (first revocation on the role, or after one was terminated) adopts what IAM
  // holds, so a statement written by an earlier run is kept until its own time.
  let dirty = true;
  if (input.entries === undefined) {
    for (;;) {
      try {
        entries = entriesFromStatements(await iam.readRoleRevocationPolicy(target), input.maxSessionDurationMs);
        break;
      } catch (err) {
        failures++;
        if (failures === PAGE_AFTER_FAILURES) await page(input, `cannot read the role's deny policy: ${message(err)}`);
        await sleep(backoffMs(failures));
      }
    }
    failures = 0;
  }

  for (;;) {
    const now = Date.now();
    for (const req of pending.splice(0)) {
      const merged = mergeCutoff(entries, req, input.maxSessionDurationMs);
      if (merged !== entries) dirty = true;
      entries = merged;
    }
    const live = pruneExpired(entries, now);
    if (live.length !== entries.length) {
      entries = live;
      dirty = true;
    }
    let oversized = false;
    if (dirty) {
      const document = entries.length > 0 ? policyDocument(entries) : null;
      oversized = document !== null && policySize(document) > MAX_ROLE_INLINE_POLICY_CHARS;
      if (document && oversized) {
        // Never drop a deny to make room: revocations on this role stay unverified (and page) until
        // statements expire. Security must know now.
        if (!paged) await page(input, `the deny policy would be ${policySize(document)} characters; AWS allows ${MAX_ROLE_INLINE_POLICY_CHARS} per role`);
        paged = true;
      } else {
        try {
          await iam.writeRoleRevocationPolicy({ ...target, document });
          dirty = false;
          failures = 0;
          paged = false;
          lastWriteAt = new Date().toISOString();
        } catch (err) {
          failures++;
          if (failures === PAGE_AFTER_FAILURES) await page(input, `cannot write the role's deny policy (${failures} attempts): ${message(err)}`);
          await sleep(backoffMs(failures));
          continue;
        }
      }
    }
    if (entries.length === 0 && pending.length === 0 && !dirty) {
      // Nothing left to deny: the policy is gone. The next revocation starts a new writer.
      await condition(allHandlersFinished);
      if (pending.length === 0) return { entries: 0 };
      continue;
    }
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 2_000) {
      await condition(allHandlersFinished);
      if (pending.length === 0) await continueAsNew<typeof revocationPolicyWriterWorkflow>({ ...input, entries });
    }
    const nextRemoval = Math.min(...entries.map((e) => Date.parse(e.removeAfter)));
    // Woken by a new cut-off, or when the earliest statement may go (an oversized document waits for that).
    await condition(() => pending.length > 0, Math.max(1, nextRemoval - Date.now()));
  }
}

function backoffMs(failures: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.min(failures, 6));
}

async function page(input: RevocationWriterInput, detail: string): Promise<void> {
  try {
    await pager.notify({ event: 'revocation-policy-failing', grantId: workflowInfo().workflowId, requester: '-', role: input.roleArn, approvers: [], detail, severity: 'page' });
  } catch (err) {
    log.error('security page failed', { error: message(err) });
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
