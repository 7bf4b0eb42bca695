// Invariant 1 (DESIGN.md §6): no secret in any workflow history, the evidence file or a worker log.
// Runs a lifecycle with vended credentials and an SSM session, then scans everything the run left.
import fs from 'node:fs';
import path from 'node:path';
import { approve, requestAccess, revoke } from '../../cli/commands/breakglass';
import type { LoadedDataConverter } from '@temporalio/common';
import type { CliContext } from '../../cli/context';
import { EVIDENCE_FILE } from '../../evidence/store';
import { credentialsIssuedSignal, sessionOpenedSignal } from '../../workflows/break-glass/definitions';
import { REASON, startSsmSession, vendCredentials, waitForPhase, workerLogFiles, useStackSession } from '../support/it-helpers';
import { formatFindings, scanFiles, scanForSecrets } from '../support/secret-scan';
import { sandboxSeed } from '../support/stack';
import { decodedPayloadText, historyText } from '../support/history-text';

const stack = useStackSession();

function hasCodec(cli: CliContext): boolean {
  return (cli.temporal.options as unknown as { loadedDataConverter: LoadedDataConverter }).loadedDataConverter.payloadCodecs.length > 0;
}

it('leaves no secret in workflow histories, the evidence file or the worker logs', async () => {
  const seed = sandboxSeed(stack.info);
  const known = [...Object.values(seed.people).map((p) => p.secretAccessKey), seed.broker.secretAccessKey];

  const { workflowId: id } = await requestAccess(stack.ctx, stack.who.alice, { role: 'BreakGlassAdmin', duration: '20s', reason: REASON, ticket: 'INC-9001' });
  await approve(stack.ctx, stack.who.carol, id, { comment: 'security on it' });
  await waitForPhase(stack.ctx, id, 'active');
  // What vending and `safeguard connect` do: credentials for the grant, then a session; the workflow
  // is told the key id, expiry and session id only.
  const creds = await vendCredentials(stack.info, id, 'alice');
  known.push(creds.secretAccessKey, creds.sessionToken);
  const sessionId = await startSsmSession(stack.info, creds, seed.instances[0]!);
  const handle = stack.ctx.temporal.workflow.getHandle(id);
  const now = new Date();
  await handle.signal(credentialsIssuedSignal, { accessKeyId: creds.accessKeyId, issuedAt: now.toISOString(), expiresAt: new Date(now.getTime() + 900_000).toISOString() });
  await handle.signal(sessionOpenedSignal, { sessionId, target: seed.instances[0]! });
  await waitForPhase(stack.ctx, id, 'active');
  await revoke(stack.ctx, stack.who.alice, id);
  const result = await stack.ctx.breakGlass.result(id);
  expect(result.status.outcome).toBe('revoked');
  expect(result.status.revocation?.sessionsTerminated).toContain(sessionId);
  expect(result.status.credentials.map((c) => c.accessKeyId)).toEqual([creds.accessKeyId]);
  for (const k of known) expect(k.length).toBeGreaterThanOrEqual(8);

  // Every break-glass workflow in the namespace (this run's other tests' too), plus any other
  // workflow there (the role deny-policy writer, the reconciler's runs).
  const breakGlassIds: string[] = [];
  for await (const wf of stack.ctx.temporal.workflow.list({ query: "SafeguardKind = 'break-glass'" })) breakGlassIds.push(wf.workflowId);
  expect(breakGlassIds).toContain(id);
  const everything: Array<{ workflowId: string; runId: string }> = [];
  for await (const wf of stack.ctx.temporal.workflow.list()) everything.push({ workflowId: wf.workflowId, runId: wf.runId });
  expect(everything.map((w) => w.workflowId)).toEqual(expect.arrayContaining(breakGlassIds));
  expect(everything.map((w) => w.workflowId)).toContain('revocation-policy-123456789012-BreakGlassAdmin');

  const problems: string[] = [];
  for (const wf of everything) {
    const history = await stack.ctx.temporal.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    expect(history.events?.length ?? 0).toBeGreaterThan(0);
    // As stored (what the server, its database and the Web UI without the codec hold)…
    const raw = scanForSecrets(historyText(history), { known });
    if (raw.length) problems.push(`history of ${wf.workflowId}:\n${formatFindings(raw)}`);
    // …and decoded (what anyone with the codec key reads).
    const decoded = scanForSecrets(await decodedPayloadText(stack.ctx, history), { known });
    if (decoded.length) problems.push(`decoded payloads of ${wf.workflowId}:\n${formatFindings(decoded)}`);
  }
  // The history really carries the grant's data (so the scan looked at the right thing).
  const ownHistory = await handle.fetchHistory();
  const own = await decodedPayloadText(stack.ctx, ownHistory);
  expect(own).toContain(creds.accessKeyId);
  expect(own).toContain(sessionId);
  // Positive control: the same scan does find a string that is there (the key id, not a secret).
  expect(scanForSecrets(own, { known: [creds.accessKeyId] }).length).toBeGreaterThan(0);
  // With a payload codec configured, nothing of the grant is readable in the stored history.
  if (hasCodec(stack.ctx)) {
    const stored = historyText(ownHistory);
    expect(stored).not.toContain(creds.accessKeyId);
    expect(stored).not.toContain(REASON);
  }

  const evidenceFile = path.join(stack.info.evidenceDir, EVIDENCE_FILE);
  const logs = workerLogFiles(stack.info);
  expect(logs).toContain(path.join(stack.info.dataDir, 'worker-1.log'));
  expect(fs.readFileSync(evidenceFile, 'utf8')).toContain(id);
  // Every other log the stack writes too (the embedded api's, the Temporal server's).
  const otherLogs = fs.readdirSync(stack.info.dataDir).filter((f) => f.endsWith('.log')).map((f) => path.join(stack.info.dataDir, f)).filter((f) => !logs.includes(f));
  logs.push(...otherLogs);
  const fileFindings = await scanFiles([evidenceFile, ...logs], { known });
  if (fileFindings.length) problems.push(formatFindings(fileFindings));

  console.log(`secrets: scanned ${everything.length} histories (${breakGlassIds.length} break-glass), ${1 + logs.length} files (${logs.map((f) => path.basename(f)).join(', ')}), ${known.length} known secrets`);
  expect(problems).toEqual([]);
});
