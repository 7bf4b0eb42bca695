// The production codec key source: data keys wrapped by a KMS key (codec/kms-keyring.ts), against
// the sandbox's KMS. `safeguard codec new-key` prints only the wrapped entry; every process unwraps
// it to the same AES key; the encryption context binds each blob to its key id; and a payload
// encrypted by one process decrypts in another that loaded the ring from the same entry.
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { runSafeguard } from '../support/run-cli';
import { ENV_KMS_KEYS, loadKeyRing } from '../../codec/kms-keyring';
import { EncryptionCodec } from '../../codec';
import type { StackInfo } from '../../dev/stack';
import { sandboxSeed, testStack } from '../support/stack';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENV_EVIDENCE_KMS_KEYS, evidenceKeyRingFromEnv } from '../../evidence/evidence-key';
import { evidenceStoreForWriter } from '../../evidence/open';

jest.setTimeout(60_000);

let info: StackInfo;
let kms: KMSClient;
let kmsKeyArn: string;
const saved = { ...process.env };

beforeAll(async () => {
  info = testStack();
  const broker = sandboxSeed(info).broker;
  // The broker's identity, as the worker and api have it (the SDK's default chain reads these).
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: broker.accessKeyId, AWS_SECRET_ACCESS_KEY: broker.secretAccessKey, AWS_REGION: info.region, SAFEGUARD_AWS_ENDPOINT: info.awsEndpoint });
  kms = new KMSClient({ region: info.region, endpoint: info.awsEndpoint, credentials: { accessKeyId: broker.accessKeyId, secretAccessKey: broker.secretAccessKey } });
  const key = await kms.send(new CreateKeyCommand({ Description: 'codec-kms test: wraps payload codec data keys' }));
  kmsKeyArn = key.KeyMetadata?.Arn ?? '';
});

afterAll(() => {
  kms.destroy();
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

const cli = runSafeguard;

test('new-key prints a wrapped entry; two processes unwrap it to the same key and read each other\'s payloads', async () => {
  const run = await cli('codec', 'new-key', '--kms-key', kmsKeyArn, '--id', 'k2', '--json');
  expect(run.code).toBe(0);
  const printed = JSON.parse(run.stdout) as { keyId: string; entry: string; kmsKeyArn: string };
  expect(printed.keyId).toBe('k2');
  expect(printed.entry).toMatch(/^k2:[A-Za-z0-9+/]+={0,2}$/);

  const env = { [ENV_KMS_KEYS]: printed.entry };
  const ringA = await loadKeyRing(env, () => kms);
  const ringB = await loadKeyRing(env, () => kms);
  expect(ringA.activeKeyId).toBe('k2');
  const keyA = ringA.keys.get('k2');
  expect(keyA).toHaveLength(32);
  expect(keyA?.equals(ringB.keys.get('k2') ?? Buffer.alloc(0))).toBe(true);
  // The wrapped entry is not the key: nothing printed contains the plaintext.
  expect(run.stdout + run.stderr).not.toContain(keyA?.toString('base64'));

  const payload = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"reason":"orders DB is down"}') };
  const [sealed] = await new EncryptionCodec(ringA).encode([payload]);
  const [opened] = await new EncryptionCodec(ringB).decode([sealed ?? payload]);
  expect(Buffer.from(opened?.data ?? []).toString()).toBe('{"reason":"orders DB is down"}');
});

test('a blob unwraps only under its own key id (the encryption context binds them)', async () => {
  const run = await cli('codec', 'new-key', '--kms-key', kmsKeyArn, '--id', 'k3', '--json');
  const entry = (JSON.parse(run.stdout) as { entry: string }).entry;
  const renamed = entry.replace(/^k3:/, 'k4:');
  await expect(loadKeyRing({ [ENV_KMS_KEYS]: renamed }, () => kms)).rejects.toThrow(/SAFEGUARD_CODEC_KMS_KEYS: key "k4" cannot be unwrapped with kms:Decrypt \(InvalidCiphertextException/);
});

test('bad input is refused before any KMS call, with the variable named', async () => {
  await expect(loadKeyRing({ [ENV_KMS_KEYS]: 'k1' }, () => kms)).rejects.toThrow(/SAFEGUARD_CODEC_KMS_KEYS: entry 1 is not of the form keyId:base64CiphertextBlob/);
  await expect(loadKeyRing({ [ENV_KMS_KEYS]: 'k1:not base64!' }, () => kms)).rejects.toThrow(/key "k1" is not base64/);
  await expect(loadKeyRing({ [ENV_KMS_KEYS]: 'k1:AAAA', SAFEGUARD_CODEC_KEY_FILE: '/x' }, () => kms)).rejects.toThrow(/set one of SAFEGUARD_CODEC_KMS_KEYS, SAFEGUARD_CODEC_KEYS or SAFEGUARD_CODEC_KEY_FILE, not several/);
  const badId = await cli('codec', 'new-key', '--kms-key', kmsKeyArn, '--id', 'bad id');
  expect(badId.code).toBe(2);
  expect(badId.stderr).toMatch(/key id must be 1-64 characters/);
  const noKey = await cli('codec', 'new-key', '--id', 'k5');
  expect(noKey.code).toBe(2);
  expect(noKey.stderr).toMatch(/required option '--kms-key <id>' not specified/);
});

test('an evidence key: new-key --purpose evidence wraps it for the evidence chain only, and a writer keys and anchors with it', async () => {
  const run = await cli('codec', 'new-key', '--kms-key', kmsKeyArn, '--id', 'e1', '--purpose', 'evidence', '--json');
  expect(run.code).toBe(0);
  const { entry, purpose } = JSON.parse(run.stdout) as { entry: string; purpose: string };
  expect(purpose).toBe('evidence');
  const ring = await evidenceKeyRingFromEnv({ ...process.env, [ENV_EVIDENCE_KMS_KEYS]: entry });
  expect(ring?.activeKeyId).toBe('e1');
  expect(run.stdout + run.stderr).not.toContain(ring?.keys.get('e1')?.toString('base64'));
  // Bound to its purpose: the same blob does not unwrap as a codec key.
  await expect(loadKeyRing({ [ENV_KMS_KEYS]: entry }, () => kms)).rejects.toThrow(/InvalidCiphertextException/);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-kms-'));
  try {
    const store = await evidenceStoreForWriter({ ...process.env, [ENV_EVIDENCE_KMS_KEYS]: entry, SAFEGUARD_EVIDENCE_DIR: dir });
    await store.append({ id: 'r/1', kind: 'break-glass', record: { workflowId: 'r', runId: '1', outcome: 'expired' } });
    expect(await store.verify()).toMatchObject({ ok: true, entries: 1, unkeyed: 0, anchors: { count: 1 } });
    // A writer without a key does not start.
    await expect(evidenceStoreForWriter({ SAFEGUARD_EVIDENCE_DIR: dir })).rejects.toThrow(/no evidence key: set SAFEGUARD_EVIDENCE_KMS_KEYS .* or SAFEGUARD_EVIDENCE_KEY_FILE/);
    const bad = await cli('codec', 'new-key', '--kms-key', kmsKeyArn, '--id', 'e2', '--purpose', 'audit');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--purpose.*must be codec or evidence/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
