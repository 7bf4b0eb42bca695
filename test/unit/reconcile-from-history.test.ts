// The reconciler fails closed (DESIGN.md §4): a closed break-glass run that cannot answer its
// `reconcileInfo` Query (its last workflow task failed, or no worker can replay it) is revoked from
// what its history says, read through the payload codec, and the record says where the info came from.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import type { LoadedDataConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import type { Logger } from 'pino';
import { createKeyRing, dataConverterWithCodec } from '../../codec';
import { reconcileInfoFromHistory } from '../../activities/reconcile-from-history';
import { createReconcileActivities } from '../../activities/reconcile';
import type { ReconcileDeps } from '../../activities/reconcile';
import { encryptHistory } from '../support/encrypt-history';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const HISTORIES = path.join(__dirname, '../replay/histories');
const REVOKED = 'breakglass-BreakGlassAdmin-0000b003';
const EXTERNAL_ID = 'safeguard-sandbox';
const keyring = createKeyRing([['k1', randomBytes(32).toString('base64')]]);
const codec: LoadedDataConverter = loadDataConverter(dataConverterWithCodec(keyring));

function recorded(): History {
  const file = fs.readdirSync(HISTORIES).find((f) => f.startsWith(`${REVOKED}.`))!;
  return historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')));
}

function signal(signalName: string, arg: unknown): HistoryEvent {
  return {
    eventType: temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
    workflowExecutionSignaledEventAttributes: { signalName, input: { payloads: [defaultPayloadConverter.toPayload(arg)] } },
  };
}

const issue = (issuedAt: string) => ({ accessKeyId: 'ASIAEXAMPLEKEY000001', issuedAt, expiresAt: '2036-11-28T17:00:00.000Z' });

/** A run stuck and terminated while active: its grant, credential issues and sessions, encrypted as stored. */
async function stuckActive(): Promise<History> {
  const h = recorded();
  // Keep the run up to (and including) the grant, then what the vending api told it.
  const cut = h.events!.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'verifyGrant');
  h.events = [
    ...h.events!.slice(0, cut + 1),
    signal('credentialsIssued', issue('2036-11-28T15:30:00.000Z')),
    signal('credentialsIssued', issue('2036-11-28T15:45:00.000Z')),
    signal('credentialsIssued', { accessKeyId: 'x', issuedAt: '2099-01-01T00:00:00.000Z' }), // malformed: dropped, as the workflow drops it
    signal('sessionOpened', { sessionId: 'alice-0123456789abcdef0', target: 'i-0123456789abcdef0' }),
    signal('sessionOpened', { sessionId: 'alice-0123456789abcdef0', target: 'i-0123456789abcdef0' }),
  ];
  return encryptHistory(h, keyring);
}

describe('reconcileInfoFromHistory', () => {
  it('rebuilds what to revoke from an encrypted history: role, requester, sessions and the latest issue', async () => {
    const got = await reconcileInfoFromHistory(await stuckActive(), codec, REVOKED);
    expect(got.problem).toBeUndefined();
    expect(got.info).toEqual({
      grantId: REVOKED,
      requester: 'alice',
      role: {
        name: 'BreakGlassAdmin',
        accountId: '123456789012',
        roleArn: 'arn:aws:iam::123456789012:role/BreakGlassAdmin',
        executionRoleArn: 'arn:aws:iam::123456789012:role/SafeguardExecution',
        externalId: EXTERNAL_ID,
        maxSessionDurationMs: 3_600_000,
      },
      phase: 'active',
      granted: true,
      revocationVerified: false,
      sessions: ['alice-0123456789abcdef0'],
      latestIssuedAt: '2036-11-28T15:45:00.000Z',
    });
  });

  it('never trusts a revocation the run verified itself: a run we cannot replay is revoked again', async () => {
    const got = await reconcileInfoFromHistory(await encryptHistory(recorded(), keyring), codec, REVOKED);
    expect(got.info).toMatchObject({ granted: true, revocationVerified: false });
  });

  it('counts a request never approved nor granted as not granted', async () => {
    const h = recorded();
    h.events = h.events!.slice(0, h.events!.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes));
    const got = await reconcileInfoFromHistory(await encryptHistory(h, keyring), codec, REVOKED);
    expect(got.info).toMatchObject({ granted: false, phase: 'pending', sessions: [] });
    expect(got.info?.latestIssuedAt).toBeUndefined();
  });

  it('counts an accepted approval as a possible grant (the run may have stuck right after it)', async () => {
    const h = recorded();
    h.events = h.events!.slice(0, h.events!.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes) + 1);
    expect((await reconcileInfoFromHistory(await encryptHistory(h, keyring), codec, REVOKED)).info?.granted).toBe(true);
  });

  it('reports a problem, never the input, when the request cannot be read', async () => {
    const otherKey = loadDataConverter(dataConverterWithCodec(createKeyRing([['k2', randomBytes(32).toString('base64')]])));
    const cases: Array<[History, LoadedDataConverter, string]> = [
      [await stuckActive(), otherKey, REVOKED], // a key this worker does not hold
      [recorded(), codec, REVOKED], // unencrypted: refused by the codec
      [await stuckActive(), codec, 'breakglass-BreakGlassAdmin-0000ffff'], // not this run's request
      [{ events: [] }, codec, REVOKED],
    ];
    for (const [history, converter, id] of cases) {
      const got = await reconcileInfoFromHistory(history, converter, id);
      expect(got.info).toBeUndefined();
      expect(got.problem).toEqual(expect.any(String));
      expect(got.problem).not.toContain(EXTERNAL_ID);
    }
  });
});

describe('findUnrevokedGrants, when the closed run cannot answer its Query', () => {
  const logged: unknown[] = [];
  const logger = { warn: (...a: unknown[]) => logged.push(a), error: (...a: unknown[]) => logged.push(a), info: () => undefined } as unknown as Logger;
  const closed = { workflowId: REVOKED, runId: 'run-1', status: { name: 'TERMINATED' }, closeTime: new Date('2036-11-28T16:00:00.000Z') };

  function fakeClient(history: () => Promise<History>, query: () => Promise<unknown>): Client {
    return {
      options: { loadedDataConverter: codec },
      withDeadline: (_d: number, fn: () => Promise<unknown>) => fn(),
      workflow: {
        list: async function* () {
          yield closed;
        },
        getHandle: (workflowId: string) => ({
          // No reconciliation started yet for this run.
          describe: () => Promise.reject(new WorkflowNotFoundError('not found', workflowId, undefined)),
          query,
          fetchHistory: history,
        }),
      },
    } as unknown as Client;
  }

  const sweep = (client: Client) =>
    createReconcileActivities({ logger, temporal: { client, taskQueue: 'q', revocationTaskQueue: 'r' } } as unknown as ReconcileDeps).findUnrevokedGrants({ lookbackMs: 3_600_000 });

  beforeEach(() => (logged.length = 0));

  it('revokes from the history, and says so in what the record keeps (closedAs) and in the log, without a secret', async () => {
    const found = await sweep(fakeClient(stuckActive, () => Promise.reject(new Error('Workflow Task in failed state'))));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ workflowId: REVOKED, runId: 'run-1', requester: 'alice', granted: true, revocationVerified: false, latestIssuedAt: '2036-11-28T15:45:00.000Z', closedAt: '2036-11-28T16:00:00.000Z' });
    expect(found[0]!.closedAs).toMatch(/^TERMINATED \(could not answer its Query: .*history\)$/);
    expect(JSON.stringify(logged)).toContain('read what to revoke from its history');
    expect(JSON.stringify(logged)).not.toContain(EXTERNAL_ID);
  });

  it('still skips a run whose history shows no grant, and one whose request cannot be read (logged as an error)', async () => {
    const pending = async (): Promise<History> => {
      const h = recorded();
      h.events = h.events!.slice(0, 3);
      return encryptHistory(h, keyring);
    };
    expect(await sweep(fakeClient(pending, () => Promise.reject(new Error('deadline exceeded'))))).toEqual([]);
    expect(await sweep(fakeClient(async () => recorded(), () => Promise.reject(new Error('deadline exceeded'))))).toEqual([]);
    expect(JSON.stringify(logged)).toContain('cannot revoke for a closed break-glass run');
  });

  it('uses the Query\'s answer when there is one (closedAs unchanged)', async () => {
    const info = (await reconcileInfoFromHistory(await stuckActive(), codec, REVOKED)).info!;
    const found = await sweep(fakeClient(() => Promise.reject(new Error('history must not be read')), () => Promise.resolve({ ...info, phase: 'revoking' })));
    expect(found).toEqual([expect.objectContaining({ closedAs: 'TERMINATED', phase: 'revoking' })]);
  });
});
