// How the CLI's audit and compliance commands open an evidence store to read and verify: keyed and
// anchored as the writer is, from flags, the environment (production), or the embedded stack that
// wrote the directory (dev, the demo, tests: `<data dir>/stack.json` beside `<data dir>/evidence`).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadKeyFile } from '../codec/keyring';
import { EVIDENCE_KEY_FILE_LABEL, evidenceKeyRingFromEnv } from './evidence-key';
import type { EvidenceKeyRing } from './evidence-key';
import { evidenceLocationFromEnv, openEvidenceStore } from './open';
import type { EvidenceLocation } from './open';
import type { EvidenceStore } from './store';
import { DEV_EVIDENCE_KEY_FILE, STACK_FILE, processAlive } from '../config/stack-file';
import type { StackInfo } from '../config/stack-file';

export interface EvidenceAccessOptions {
  /** Evidence directory (default: the environment's, else .data/evidence). */
  dir?: string;
  /** The evidence key file (default: the environment's, else the stack's). */
  keyFile?: string;
  /** The anchors' S3 bucket (default: the environment's, else the stack's while it runs). */
  bucket?: string;
}

export interface EvidenceAccess {
  store: EvidenceStore;
  /** What was not available, said plainly (no key, sandbox stopped). */
  notes: string[];
}

export async function openEvidenceForAudit(opts: EvidenceAccessOptions, env: NodeJS.ProcessEnv = process.env): Promise<EvidenceAccess> {
  const notes: string[] = [];
  const fromEnv = evidenceLocationFromEnv(env);
  const dir = path.resolve(opts.dir ?? fromEnv.dir);
  const stack = stackThatWrote(dir);
  const production = Boolean(env.TEMPORAL_ADDRESS?.trim() || fromEnv.bucket);
  // Only a running embedded stack's key is found on its own, and never in a production environment:
  // a key file planted beside someone's evidence must not vouch for it. The key used is always named.
  const running = stack && processAlive(stack.pid) && !production ? stack : undefined;
  let keys: EvidenceKeyRing | undefined;
  let keySource: string | undefined;
  if (opts.keyFile) {
    keys = loadKeyFile(opts.keyFile, EVIDENCE_KEY_FILE_LABEL);
    keySource = `--key-file ${opts.keyFile}`;
  } else if ((keys = await evidenceKeyRingFromEnv(env))) {
    keySource = env.SAFEGUARD_EVIDENCE_KMS_KEYS?.trim() ? 'SAFEGUARD_EVIDENCE_KMS_KEYS' : `SAFEGUARD_EVIDENCE_KEY_FILE ${env.SAFEGUARD_EVIDENCE_KEY_FILE?.trim() ?? ''}`;
  } else if (running && fs.existsSync(running.evidenceKeyFile)) {
    keys = loadKeyFile(running.evidenceKeyFile, EVIDENCE_KEY_FILE_LABEL);
    keySource = `the running dev stack's key file ${running.evidenceKeyFile}`;
  }
  if (keys && keySource) notes.push(`evidence key: ${keySource} (${describeRing(keys)})`);
  else {
    const devKeyFile = path.join(path.dirname(dir), DEV_EVIDENCE_KEY_FILE);
    const hint = fs.existsSync(devKeyFile) ? `; if this is a stopped dev stack's evidence, its key is --key-file ${devKeyFile}` : '';
    notes.push(`no evidence key (SAFEGUARD_EVIDENCE_KEY_FILE, SAFEGUARD_EVIDENCE_KMS_KEYS or --key-file): keyed links and anchors cannot be checked${hint}`);
  }

  let loc: EvidenceLocation = { ...fromEnv, dir };
  if (opts.bucket) loc = { ...loc, bucket: opts.bucket };
  else if (!fromEnv.bucket && stack?.evidenceBucket) {
    if (running) {
      const broker = (JSON.parse(fs.readFileSync(stack.sandboxFile, 'utf8')) as { broker?: { accessKeyId: string; secretAccessKey: string } }).broker;
      loc = { ...loc, bucket: stack.evidenceBucket, region: stack.region, endpoint: stack.awsEndpoint, ...(broker ? { credentials: { accessKeyId: broker.accessKeyId, secretAccessKey: broker.secretAccessKey } } : {}) };
    } else {
      notes.push(`the sandbox that holds s3://${stack.evidenceBucket} is not running: anchors checked against the local working copy only`);
    }
  }
  return { store: openEvidenceStore(loc, keys), notes };
}

/** Key ids with a fingerprint of each (sha256 of a label and the key, cut short): says which key, reveals nothing. */
function describeRing(ring: EvidenceKeyRing): string {
  const ids = [...ring.keys].map(([id, key]) => `${id}${id === ring.activeKeyId ? ' (active)' : ''} ${createHash('sha256').update('safeguard-evidence-key-fingerprint').update(key).digest('hex').slice(0, 16)}`);
  return `keys ${ids.join(', ')}`;
}

/** The embedded stack whose evidence directory this is, if its stack file is beside it. */
function stackThatWrote(dir: string): StackInfo | undefined {
  const file = path.join(path.dirname(dir), STACK_FILE);
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as StackInfo;
    return path.resolve(info.evidenceDir) === dir && typeof info.evidenceKeyFile === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}
