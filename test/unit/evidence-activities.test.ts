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

  it('fails non-retryably when the record holds a secret', async () => {
    const { recordEvidence } = createEvidenceActivities({ store: new EvidenceStore(dir) });
    const err = await recordEvidence({ id: 'x', kind: 'k', record: { password: 'hunter2hunter2' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'EVIDENCE_CONTAINS_SECRET', nonRetryable: true });
  });
});
