// Evidence anchored in S3 with Object Lock, in the sandbox (moto's S3 behind the gateway): what the
// writer puts there, what Object Lock refuses, and the attacks of issue #12 made by someone who can
// edit every local file (evidence.jsonl and the anchors' working copy) but not the bucket.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectRetentionCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { loadKeyFile } from '../../codec/keyring';
import { LocalAnchorStore } from '../../evidence/anchors/local';
import { S3AnchorStore, anchorKey } from '../../evidence/anchors/s3';
import { GENESIS_HASH, keyedEntryHash, makeAnchor } from '../../evidence/chain';
import type { EvidenceEntry } from '../../evidence/chain';
import { EVIDENCE_KEY_FILE_LABEL } from '../../evidence/evidence-key';
import type { EvidenceKeyRing } from '../../evidence/evidence-key';
import { openEvidenceStore } from '../../evidence/open';
import { EvidenceStore } from '../../evidence/store';
import { runSafeguard } from '../support/run-cli';
import { sandboxSeed, testStack } from '../support/stack';

const info = testStack();
const seed = sandboxSeed(info);
const bucket = info.evidenceBucket!;
const credentials = { accessKeyId: seed.broker.accessKeyId, secretAccessKey: seed.broker.secretAccessKey };
const s3 = new S3Client({ region: info.region, endpoint: info.awsEndpoint, forcePathStyle: true, credentials, maxAttempts: 1 });
const keys: EvidenceKeyRing = { activeKeyId: 'e1', keys: new Map([['e1', randomBytes(32)]]) };

let dir: string;
let prefix: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'evidence-s3-'));
  prefix = `it-${randomBytes(4).toString('hex')}/`;
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));
afterAll(() => s3.destroy());

const remote = (): S3AnchorStore => new S3AnchorStore(s3, { bucket, prefix, retentionDays: 1 });
const open = (): EvidenceStore => new EvidenceStore(dir, { keys, anchors: [new LocalAnchorStore(dir), remote()] });
const readEntries = async (): Promise<EvidenceEntry[]> =>
  (await fs.readFile(path.join(dir, 'evidence.jsonl'), 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as EvidenceEntry);

/** The attacker rewrites both local files consistently: they hold the key, not the bucket. */
async function rewriteLocally(entries: EvidenceEntry[]): Promise<void> {
  let prev = GENESIS_HASH;
  const rechained = entries.map((e, i) => {
    const base = { ...e, seq: i + 1, prevHash: prev, keyId: 'e1' };
    const hash = keyedEntryHash(keys.keys.get('e1')!, base);
    prev = hash;
    return { ...base, hash };
  });
  await fs.writeFile(path.join(dir, 'evidence.jsonl'), rechained.map((e) => `${JSON.stringify(e)}\n`).join(''));
  const anchors = rechained.map((e) => makeAnchor(keys, e, e.at));
  await fs.writeFile(path.join(dir, 'anchors.jsonl'), anchors.map((a) => `${JSON.stringify(a)}\n`).join(''));
}

async function seedRuns(n: number): Promise<EvidenceStore> {
  const store = open();
  for (let i = 1; i <= n; i++) await store.append({ id: `run-${i}/r`, kind: 'break-glass', record: { workflowId: `run-${i}`, runId: 'r', outcome: 'expired' } });
  return store;
}

describe('evidence anchors in S3 with Object Lock (sandbox)', () => {
  it('the bucket is locked in COMPLIANCE mode and every append leaves one locked anchor holding its entry', async () => {
    const lock = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    expect(lock.ObjectLockConfiguration).toMatchObject({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE' } } });
    const store = await seedRuns(3);
    const retention = await s3.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: anchorKey(prefix, 2) }));
    expect(retention.Retention?.Mode).toBe('COMPLIANCE');
    expect(retention.Retention!.RetainUntilDate!.getTime()).toBeGreaterThan(Date.now() + 20 * 3600_000);
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }));
    expect(versions.Versions?.map((v) => v.Key).sort()).toEqual([1, 2, 3].map((s) => anchorKey(prefix, s)));
    // A retried append does not write a second version.
    await store.append({ id: 'run-3/r', kind: 'break-glass', record: { workflowId: 'run-3', runId: 'r', outcome: 'expired' } });
    expect((await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }))).Versions).toHaveLength(3);
    expect(await store.verify()).toMatchObject({ ok: true, entries: 3, anchors: { where: `s3://${bucket}/${prefix}anchors/`, count: 3, lastSeq: 3 } });
  });

  it('Object Lock refuses deleting a locked anchor and shortening its retention; an overwrite is seen', async () => {
    await seedRuns(2);
    const Key = anchorKey(prefix, 2);
    const [v] = (await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: Key }))).Versions ?? [];
    await expect(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key, VersionId: v!.VersionId! }))).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(
      s3.send(new PutObjectRetentionCommand({ Bucket: bucket, Key, VersionId: v!.VersionId!, Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(Date.now() + 60_000) } })),
    ).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    await expect(
      s3.send(new PutObjectRetentionCommand({ Bucket: bucket, Key, VersionId: v!.VersionId!, Retention: { Mode: 'GOVERNANCE', RetainUntilDate: new Date(Date.now() + 30 * 86_400_000) } })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    // Extending a COMPLIANCE retention is allowed, as in AWS.
    await s3.send(new PutObjectRetentionCommand({ Bucket: bucket, Key, VersionId: v!.VersionId!, Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(Date.now() + 2 * 86_400_000) } }));
    // A versioned bucket takes a new version: verification reads the first, locked one, and says so.
    const forged = makeAnchor(keys, { seq: 2, hash: 'a'.repeat(64) }, new Date().toISOString());
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: JSON.stringify({ anchor: forged }), ChecksumAlgorithm: 'SHA256' }));
    const r = await open().verify();
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.problem)).toEqual([expect.stringMatching(/anchor .*000000000002\.json was overwritten \(2 versions\); the first, locked version is used/)]);
    // A plain delete only hides the key behind a marker: the locked version is still read.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: anchorKey(prefix, 1) }));
    expect((await remote().list()).anchors.map((a) => a.seq)).toEqual([1, 2]);
  });

  it('an object that is not an anchor, or an anchor planted before the writer, is named and never trusted', async () => {
    await seedRuns(2);
    // Anything else under anchors/ (PutObject is all it takes) is reported, not read as an anchor.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}anchors/x.json`, Body: '{}', ChecksumAlgorithm: 'SHA256' }));
    const r = await open().verify();
    expect(r.problems).toEqual([{ line: 0, problem: expect.stringMatching(/anchors\/x\.json is not an anchor's name/) }]);
    expect(r.firstBad?.problem).toMatch(/x\.json is not an anchor's name/);
    // Someone who can write the bucket plants the next seq's anchor: the writer refuses to build on it.
    const planted = makeAnchor(keys, { seq: 3, hash: 'b'.repeat(64) }, new Date().toISOString());
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: anchorKey(prefix, 3), Body: JSON.stringify({ anchor: planted }), ChecksumAlgorithm: 'SHA256' }));
    await expect(open().append({ id: 'run-3/r', kind: 'break-glass', record: { workflowId: 'run-3', runId: 'r', outcome: 'expired' } })).rejects.toThrow(
      /seq 3 written but not anchored in s3:.*already holds an anchor for seq 3 with another hash: an anchor was planted before the writer's/,
    );
  });

  it('catches a deleted tail even when the local anchors were truncated too', async () => {
    await seedRuns(4);
    await rewriteLocally((await readEntries()).slice(0, 3));
    const r = await open().verify();
    expect(r.firstBad).toMatchObject({ seq: 4, problem: expect.stringMatching(/tail deleted: s3:\/\/.* anchors seq 4 but the chain ends at seq 3/) });
  });

  it('catches a middle deletion re-chained with the key, local anchors rewritten to match', async () => {
    await seedRuns(5);
    await rewriteLocally((await readEntries()).filter((e) => e.seq !== 2));
    const r = await open().verify();
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.problem.startsWith('local:'))).toBe(false);
    expect(r.firstBad).toMatchObject({ seq: 2, id: 'run-3/r', problem: expect.stringMatching(/does not match its anchor in s3:/) });
  });

  it('catches a forged append made with the key, local anchor included', async () => {
    await seedRuns(2);
    const entries = await readEntries();
    await rewriteLocally([...entries, { ...entries[1]!, id: 'forged/r', record: { workflowId: 'forged', runId: 'r', outcome: 'expired' } }]);
    const r = await open().verify();
    expect(r.firstBad).toMatchObject({ seq: 3, workflowId: 'forged', problem: expect.stringMatching(/seq 3 is not anchored in s3:/) });
  });

  it("`audit verify` on the stack's own evidence finds its key and bucket and checks the S3 anchors", async () => {
    // As the api records a refusal with no workflow to hold it: the stack's key and bucket.
    const store = openEvidenceStore({ dir: info.evidenceDir, region: info.region, endpoint: info.awsEndpoint, credentials, bucket }, loadKeyFile(info.evidenceKeyFile, EVIDENCE_KEY_FILE_LABEL));
    await store.append({ id: `refusal/it-${prefix}`, kind: 'access-refused', record: { grantId: 'g-it', by: 'mallory', code: 'NOT_REQUESTER', what: 'credentials', at: new Date().toISOString() } });
    const run = await runSafeguard('audit', 'verify', '--dir', info.evidenceDir, '--json');
    const result = JSON.parse(run.stdout) as { ok: boolean; anchors?: { where: string; count: number }; notes: string[] };
    expect(run.code).toBe(0);
    expect(result.anchors?.where).toBe(`s3://${bucket}/anchors/`);
    expect(result.anchors!.count).toBeGreaterThan(0);
    // The key it found is named, with a fingerprint, never its value.
    expect(result.notes).toEqual([expect.stringMatching(/^evidence key: the running dev stack's key file .*evidence-keys\.json \(keys k1 \(active\) [0-9a-f]{16}\)$/)]);
  });
});
