import { ApplicationFailure } from '@temporalio/common';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEvidenceActivities } from '../../activities/evidence';
import { EvidenceStore } from '../../evidence/store';
import { EVIDENCE_KINDS, checkStoredRecord, prepareRecord } from '../../evidence/records';

describe('recordEvidence activity', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'evidence-act-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('appends once even when retried', async () => {
    const { recordEvidence } = createEvidenceActivities({ store: new EvidenceStore(dir) });
    const input = { id: 'breakglass-BreakGlassAdmin-ab12cd34/r1', kind: 'break-glass', record: { workflowId: 'breakglass-BreakGlassAdmin-ab12cd34', runId: 'r1', outcome: 'revoked', requester: 'alice' } };
    expect(await recordEvidence(input)).toMatchObject({ seq: 1, duplicate: false });
    expect(await recordEvidence(input)).toMatchObject({ seq: 1, duplicate: true });
  });

  it('keeps a record that holds a secret, with the secret redacted and the redaction noted', async () => {
    const store = new EvidenceStore(dir);
    const { recordEvidence } = createEvidenceActivities({ store });
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    await recordEvidence({ id: 'x', kind: 'break-glass', record: { workflowId: 'w', runId: 'r', outcome: 'revoked', password: 'hunter2hunter2', reason: `db down, key ${secret} leaked`, nested: [{ token: 'abc' }] } });
    const [entry] = await store.list();
    expect(entry?.record).toEqual({
      workflowId: 'w',
      runId: 'r',
      outcome: 'revoked',
      schemaVersion: 1,
      password: '[REDACTED]',
      reason: 'db down, key [REDACTED] leaked',
      nested: [{ token: '[REDACTED]' }],
      redactions: ['record.password', 'record.reason', 'record.nested[0].token'],
    });
    expect(JSON.stringify(entry)).not.toContain(secret);
    expect((await store.verify()).ok).toBe(true);
  });

  it('fails non-retryably on input no retry can fix', async () => {
    const { recordEvidence } = createEvidenceActivities({ store: new EvidenceStore(dir) });
    const err = await recordEvidence({ id: '', kind: 'break-glass', record: { workflowId: 'w', runId: 'r', outcome: 'revoked' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'EVIDENCE_INVALID_INPUT', nonRetryable: true });
  });

  it('refuses, non-retryably, a record of an unknown kind or one that does not fit its schema', async () => {
    const store = new EvidenceStore(dir);
    const { recordEvidence } = createEvidenceActivities({ store });
    const unknown = await recordEvidence({ id: 'u', kind: 'made-up', record: { a: 1 } }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ApplicationFailure);
    expect((unknown as ApplicationFailure).message).toMatch(/unknown evidence kind "made-up"/);
    expect((unknown as ApplicationFailure).nonRetryable).toBe(true);
    const missing = await recordEvidence({ id: 'm', kind: 'access-key-rotation', record: { workflowId: 'w', runId: 'r', target: 't' } }).catch((e: unknown) => e);
    expect((missing as ApplicationFailure).message).toMatch(/access-key-rotation record \(schema 1\) is invalid: userName/);
    expect(await store.list()).toHaveLength(0);
  });
});

describe('evidence record schemas', () => {

  it('stamps the current schema version and reads records written before versions existed as version 1', () => {
    const r = prepareRecord('break-glass', { workflowId: 'w', runId: 'r', outcome: 'revoked' });
    expect(r).toEqual({ ok: true, record: { workflowId: 'w', runId: 'r', outcome: 'revoked', schemaVersion: 1 } });
    expect(checkStoredRecord('break-glass', { workflowId: 'w', runId: 'r', outcome: 'denied' }).ok).toBe(true);
    expect(checkStoredRecord('break-glass', { workflowId: 'w', runId: 'r', outcome: 'denied', schemaVersion: 9 })).toEqual({ ok: false, problem: 'break-glass records have no schema version 9' });
  });

  it('has a schema for every kind a workflow writes', () => {
    expect(EVIDENCE_KINDS).toEqual(expect.arrayContaining(['break-glass', 'reconciled', 'access-refused', 'access-key-rotation', 'kms-rotation']));
  });
});
