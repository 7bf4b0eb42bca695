// `npm run demo`: starts its own embedded stack (separate ports and data under .data/demo, so it
// runs beside `npm run dev`) and plays one break-glass request through the CLI's code paths.
// The last line is one JSON object for scripts.
import fs from 'node:fs';
import path from 'node:path';
import { SafeguardError } from '../client/errors';
import { approve, formatStatus, requestAccess, status } from '../cli/commands/breakglass';
import { openContext } from '../cli/context';
import { resolveCaller } from '../cli/identity';
import { EvidenceStore } from '../activities/evidence/store';
import { startStack } from './stack';
import { REPO_ROOT } from './temporal-server';

const say = (m: string): void => {
  process.stdout.write(`${m}\n`);
};

async function main(): Promise<number> {
  const dataDir = path.join(REPO_ROOT, '.data', 'demo');
  fs.rmSync(dataDir, { recursive: true, force: true });
  const t0 = Date.now();
  const stack = await startStack({ dataDir, headless: true, log: (m) => say(`· ${m}`) });
  say(`· stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s (Temporal ${stack.info.temporalAddress}, sandbox ${stack.info.awsEndpoint})`);
  const ctx = await openContext(stack.info);
  try {
    const alice = await resolveCaller(ctx, 'alice');
    const bob = await resolveCaller(ctx, 'bob');
    say(`1. alice is ${alice.arn} (verified by STS GetCallerIdentity)`);
    const req = await requestAccess(ctx, alice, { role: 'BreakGlassAdmin', duration: '20s', reason: 'orders database is refusing connections; need to restart it', ticket: 'INC-1042' });
    say(`2. alice requested ${req.role} for 20s: ${req.workflowId}`);
    try {
      await approve(ctx, alice, req.workflowId);
      throw new Error('self-approval was accepted: this must never happen');
    } catch (err) {
      if (!(err instanceof SafeguardError) || err.refusal !== 'SelfApproval') throw err;
      say(`3. alice tried to approve her own request: refused (${err.message})`);
    }
    const decision = await approve(ctx, bob, req.workflowId, { comment: 'confirmed incident INC-1042' });
    say(`4. bob approved (${decision.approvals}/${decision.quorum})`);
    let st = await status(ctx, req.workflowId);
    while (st.phase === 'pending') {
      await new Promise((r) => setTimeout(r, 200));
      st = await status(ctx, req.workflowId);
    }
    if (st.grantReceipt) say(`5. grant verified: AssumeRole as ${st.grantReceipt.callerArn} with SourceIdentity ${st.grantReceipt.sourceIdentity}; active until ${st.plannedEndAt}`);
    say('6. waiting for expiry and the verified revocation…');
    const result = await ctx.breakGlass.result(req.workflowId);
    const s = result.status;
    say('');
    say(formatStatus(s));
    const chain = await new EvidenceStore(stack.info.evidenceDir).verify();
    say('');
    say(`evidence: ${chain.entries} record(s), chain ${chain.ok ? 'intact' : 'BROKEN'} (${path.relative(REPO_ROOT, stack.info.evidenceDir)}/evidence.jsonl)`);
    const summary = {
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
      evidenceChainIntact: chain.ok,
    };
    say(JSON.stringify(summary));
    return summary.outcome === 'revoked' && summary.revocationVerified && chain.ok ? 0 : 1;
  } finally {
    await ctx.close();
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`safeguard demo: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
