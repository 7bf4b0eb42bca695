// Invariant 8 (DESIGN.md §6): with the codec on the client and the worker, a real break-glass
// workflow runs normally, and its stored history holds only encrypted payloads: the requester's
// reason appears nowhere in it. Search attributes are the one documented exception (not encoded
// by codecs, so they carry only non-sensitive values).
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { registerSearchAttributes } from '../../worker/search-attributes';
import { approveUpdate } from '../../workflows/break-glass/definitions';
import type { BreakGlassResult } from '../../workflows/break-glass/definitions';
import { createKeyRing } from '../../codec/keyring';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA, dataConverterWithCodec } from '../../codec/payload-codec';
import { breakGlassInput } from '../support/break-glass-input';
import { fakeActivities } from '../support/fake-activities';
import { timeSkippingServer } from '../support/paths';
import { workflowBundle } from '../support/time-skipping';
import { terminateLeftovers } from './harness';

const keyring = createKeyRing([['test-k1', randomBytes(32).toString('base64')]]);
const dataConverter = dataConverterWithCodec(keyring);
const REASON = `codec-canary ${randomBytes(6).toString('hex')}: prod database is on fire`;

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: timeSkippingServer } },
    client: { dataConverter },
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
});
afterAll(async () => {
  await env?.teardown();
});

type History = temporal.api.history.v1.IHistory;

/** The stored history as the server has it, through the raw gRPC service (no data converter at all). */
async function rawHistory(workflowId: string): Promise<History> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await env.connection.workflowService.getWorkflowExecutionHistory({ namespace: env.namespace ?? 'default', execution: { workflowId }, nextPageToken });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return { events };
}

interface FoundPayload {
  path: string;
  encoding: string;
  keyId?: string;
}

/** Every Payload-shaped object in the history, with where it sits. */
function payloadsIn(node: unknown, path = '', out: FoundPayload[] = []): FoundPayload[] {
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return out;
  const obj = node as Record<string, unknown>;
  const metadata = obj.metadata as Record<string, unknown> | undefined;
  if (metadata && typeof metadata === 'object' && metadata.encoding instanceof Uint8Array) {
    const keyId = metadata[KEY_ID_METADATA];
    out.push({ path, encoding: Buffer.from(metadata.encoding).toString(), keyId: keyId instanceof Uint8Array ? Buffer.from(keyId).toString() : undefined });
    return out;
  }
  for (const [k, v] of Object.entries(obj)) payloadsIn(v, `${path}.${k}`, out);
  return out;
}

// Search attributes, and the SDK's own patch markers (the patch id, e.g. "expiry-warning"), bypass
// payload codecs by design; both carry only names we chose, never request data.
const isSearchAttribute = (p: FoundPayload): boolean => /searchAttributes|markerRecordedEventAttributes\.details\.patch-data/i.test(p.path);

test('a break-glass run stores only encrypted payloads, and decodes normally with the codec', async () => {
  const { activities, state } = fakeActivities();
  // One injected activity failure: a retried activity runs under the codec too.
  state.failures.set('verifyGrant', 1);
  const input = breakGlassInput({ reason: REASON, ticket: 'INC-4242' });
  const taskQueue = `tq-codec-${input.grantId}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
    dataConverter,
  });

  let result: BreakGlassResult;
  try {
    result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('breakGlassWorkflow', { taskQueue, workflowId: input.grantId, args: [input] });
      const approved = await handle.executeUpdate(approveUpdate, { args: [{ approver: 'bob', round: 'grant', comment: 'go ahead' }] });
      expect(approved.decided).toBe(true);
      return (await handle.result()) as BreakGlassResult;
    });
  } finally {
    await terminateLeftovers(env, input.grantId);
  }

  // With the codec the result reads normally.
  expect(result.status.outcome).toBe('revoked');
  expect(result.status.requester).toBe('alice');
  expect(JSON.stringify(result)).toContain(REASON);
  // The fake activities got plaintext input (the worker decoded it).
  expect(state.calls.some((c) => JSON.stringify(c.input).includes(input.grantId))).toBe(true);

  for (const workflowId of [input.grantId]) {
    const history = await rawHistory(workflowId);
    if (workflowId !== input.grantId && !history.events?.length) continue;
    expect(history.events?.length).toBeGreaterThan(0);
    const found = payloadsIn(history);
    const data = found.filter((p) => !isSearchAttribute(p));
    expect(data.length).toBeGreaterThan(0);
    expect(data.filter((p) => p.encoding !== ENCRYPTED_ENCODING)).toEqual([]);
    expect(new Set(data.map((p) => p.keyId))).toEqual(new Set(['test-k1']));
    // Search attributes are never encoded by a codec: they must only hold non-sensitive values.
    expect(found.filter(isSearchAttribute).every((p) => p.encoding === 'json/plain')).toBe(true);

    const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    expect(bytes.includes(Buffer.from(REASON))).toBe(false);
    expect(bytes.includes(Buffer.from('prod database is on fire'))).toBe(false);
    expect(bytes.includes(Buffer.from('INC-4242'))).toBe(false);
    expect(bytes.includes(Buffer.from('go ahead'))).toBe(false);
  }

  // The SDK's own history fetch through a client without the codec sees only ciphertext too.
  const plainClient = new Client({ connection: env.connection, namespace: env.namespace ?? 'default' });
  const viaSdk = await plainClient.workflow.getHandle(input.grantId).fetchHistory();
  const sdkPayloads = payloadsIn(viaSdk).filter((p) => !isSearchAttribute(p));
  expect(sdkPayloads.length).toBeGreaterThan(0);
  expect(sdkPayloads.every((p) => p.encoding === ENCRYPTED_ENCODING)).toBe(true);
  expect(JSON.stringify(viaSdk)).not.toContain(REASON);
  // ...and cannot even read the result.
  await expect(plainClient.workflow.getHandle(input.grantId).result()).rejects.toThrow(/Unknown encoding: binary\/encrypted/);
});
