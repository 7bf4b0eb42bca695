// `safeguard codec new-key`: a new data key wrapped by a KMS key, for the payload codec (docs/codec.md)
// or, with `--purpose evidence`, for the evidence chain's HMAC (docs/audit.md). Prints only the wrapped
// entry; the plaintext never leaves KMS's reply. The purpose is the encryption context the key is
// bound to: an evidence key does not unwrap as a codec key, nor the other way round.
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { parseEnv } from '../../config/env';
import { CODEC_KEY_PURPOSE, ENV_KMS_KEYS, kmsClientFromEnv, newWrappedDataKey } from '../../codec/kms-keyring';
import { ENV_EVIDENCE_ACTIVE_KEY, ENV_EVIDENCE_KMS_KEYS, EVIDENCE_KEY_PURPOSE } from '../../evidence/evidence-key';
import { out } from '../program';

const PURPOSES = {
  codec: { context: CODEC_KEY_PURPOSE, variable: ENV_KMS_KEYS, active: 'SAFEGUARD_CODEC_ACTIVE_KEY', doc: 'docs/codec.md, Rotation' },
  evidence: { context: EVIDENCE_KEY_PURPOSE, variable: ENV_EVIDENCE_KMS_KEYS, active: ENV_EVIDENCE_ACTIVE_KEY, doc: 'docs/audit.md, Evidence keys' },
} as const;
type Purpose = keyof typeof PURPOSES;

function purpose(raw: string): Purpose {
  if (raw === 'codec' || raw === 'evidence') return raw;
  throw new InvalidArgumentError(`must be codec or evidence (got ${JSON.stringify(raw.slice(0, 40))})`);
}

export function register(program: Command): void {
  const codec = program.command('codec').description('payload encryption and evidence keys');
  codec
    .command('new-key')
    .description('generate a data key wrapped by a KMS key; prints keyId:ciphertext to add to SAFEGUARD_CODEC_KMS_KEYS (or SAFEGUARD_EVIDENCE_KMS_KEYS)')
    .requiredOption('--kms-key <id>', 'the KMS key that wraps it: alias/…, key id or ARN (the hub stack output CodecKmsKeyArn)')
    .requiredOption('--id <keyId>', 'the new key id (1-64 of A-Z a-z 0-9 . _ -), e.g. k2; payloads and evidence entries carry it')
    .option('--purpose <purpose>', 'codec (payload encryption) or evidence (the evidence chain HMAC)', purpose, 'codec' as Purpose)
    .option('--json')
    .action(async (o: { kmsKey: string; id: string; purpose: Purpose; json?: boolean }) => {
      parseEnv(); // a bad AWS_REGION or endpoint is named before any call
      const p = PURPOSES[o.purpose];
      const kms = kmsClientFromEnv(process.env);
      try {
        const key = await newWrappedDataKey(kms, o.kmsKey, o.id, p.context);
        out.stdout(o.json ? JSON.stringify({ keyId: o.id, purpose: o.purpose, kmsKeyArn: key.kmsKeyArn, entry: key.entry }) : key.entry);
        if (!o.json) out.stderr(`add it to ${p.variable} (comma-separated) everywhere, then make it active with ${p.active}=${o.id} (${p.doc})`);
      } finally {
        kms.destroy();
      }
    });
}
