// Which key `audit verify`, `export` and `compliance` use: the one given, the environment's, or a
// running dev stack's; never a key file someone left beside the evidence. The key used is always named.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyFile } from '../../codec/keyring';
import { openEvidenceForAudit } from '../../evidence/audit-access';

let data: string;
let evidenceDir: string;
let keyFile: string;
beforeEach(() => {
  data = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-access-'));
  evidenceDir = path.join(data, 'evidence');
  fs.mkdirSync(evidenceDir);
  keyFile = path.join(data, 'evidence-keys.json');
  generateKeyFile(keyFile, 'k1', 'evidence key file');
});
afterEach(() => fs.rmSync(data, { recursive: true, force: true }));

function writeStack(pid: number): void {
  fs.writeFileSync(path.join(data, 'stack.json'), JSON.stringify({ evidenceDir, evidenceKeyFile: keyFile, pid, region: 'us-east-1', awsEndpoint: 'http://127.0.0.1:1', sandboxFile: path.join(data, 'sandbox.json') }));
}

test('a key file beside the evidence, with no running stack, is not used: the note says how to give it', async () => {
  const { store, notes } = await openEvidenceForAudit({ dir: evidenceDir }, {});
  expect(store.keyed).toBe(false);
  expect(notes).toEqual([`no evidence key (SAFEGUARD_EVIDENCE_KEY_FILE, SAFEGUARD_EVIDENCE_KMS_KEYS or --key-file): keyed links and anchors cannot be checked; if this is a stopped dev stack's evidence, its key is --key-file ${keyFile}`]);
});

test("a stack file naming a dead process is not a running stack", async () => {
  writeStack(2 ** 22 + 12345);
  expect((await openEvidenceForAudit({ dir: evidenceDir }, {})).store.keyed).toBe(false);
});

test("a running dev stack's key is used and named, with a fingerprint and never the key", async () => {
  writeStack(process.pid);
  const { store, notes } = await openEvidenceForAudit({ dir: evidenceDir }, {});
  expect(store.keyed).toBe(true);
  expect(notes[0]).toMatch(new RegExp(`^evidence key: the running dev stack's key file ${keyFile} \\(keys k1 \\(active\\) [0-9a-f]{16}\\)$`));
  const key = (JSON.parse(fs.readFileSync(keyFile, 'utf8')) as { keys: { k1: string } }).keys.k1;
  expect(notes.join('\n')).not.toContain(key);
});

test('in a production environment even a running stack\'s key is not picked up; --key-file always is', async () => {
  writeStack(process.pid);
  expect((await openEvidenceForAudit({ dir: evidenceDir }, { TEMPORAL_ADDRESS: 'temporal.internal:7233' })).store.keyed).toBe(false);
  const given = await openEvidenceForAudit({ dir: evidenceDir, keyFile }, { TEMPORAL_ADDRESS: 'temporal.internal:7233' });
  expect(given.store.keyed).toBe(true);
  expect(given.notes[0]).toMatch(/^evidence key: --key-file /);
});

test('a bad --key-file or evidence key environment is refused with the file or variable named, before anything is read', async () => {
  await expect(openEvidenceForAudit({ dir: evidenceDir, keyFile: path.join(data, 'missing.json') }, {})).rejects.toThrow(`evidence key file ${path.join(data, 'missing.json')} does not exist`);
  fs.chmodSync(keyFile, 0o644);
  await expect(openEvidenceForAudit({ dir: evidenceDir, keyFile }, {})).rejects.toThrow(/evidence key file .* is accessible by group or others/);
  fs.chmodSync(keyFile, 0o600);
  await expect(openEvidenceForAudit({ dir: evidenceDir }, { SAFEGUARD_EVIDENCE_KEY_FILE: keyFile, SAFEGUARD_EVIDENCE_KMS_KEYS: 'e1:AAAA' })).rejects.toThrow(
    'set either SAFEGUARD_EVIDENCE_KMS_KEYS or SAFEGUARD_EVIDENCE_KEY_FILE, not both',
  );
  await expect(openEvidenceForAudit({ dir: evidenceDir }, { SAFEGUARD_EVIDENCE_KEY_FILE: keyFile, SAFEGUARD_EVIDENCE_ACTIVE_KEY: 'e9' })).rejects.toThrow(
    `SAFEGUARD_EVIDENCE_ACTIVE_KEY: key id "e9" is not in evidence key file ${keyFile}`,
  );
  await expect(openEvidenceForAudit({ dir: evidenceDir }, { SAFEGUARD_EVIDENCE_KMS_KEYS: 'e1' })).rejects.toThrow('SAFEGUARD_EVIDENCE_KMS_KEYS: entry 1 is not of the form keyId:base64CiphertextBlob');
});
