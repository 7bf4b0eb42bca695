import { ApplicationFailure } from '@temporalio/common';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEvidenceActivities } from '../../activities/evidence/activities';
import { EvidenceStore } from '../../activities/evidence/store';

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
    const input = { id: 'breakglass-BreakGlassAdmin-ab12cd34:granted', kind: 'break-glass.granted', record: { requester: 'alice' } };
    expect(await recordEvidence(input)).toMatchObject({ seq: 1, duplicate: false });
    expect(await recordEvidence(input)).toMatchObject({ seq: 1, duplicate: true });
  });

  it('keeps a record that holds a secret, with the secret redacted and the redaction noted', async () => {
    const store = new EvidenceStore(dir);
    const { recordEvidence } = createEvidenceActivities({ store });
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    await recordEvidence({ id: 'x', kind: 'k', record: { password: 'hunter2hunter2', reason: `db down, key ${secret} leaked`, nested: [{ token: 'abc' }] } });
    const [entry] = await store.list();
    expect(entry?.record).toEqual({
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
    const err = await recordEvidence({ id: '', kind: 'k', record: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'EVIDENCE_INVALID_INPUT', nonRetryable: true });
  });
});
