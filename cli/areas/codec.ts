// `safeguard codec new-key`: a new payload-codec data key, wrapped by a KMS key (docs/codec.md).
// Prints only the wrapped entry for SAFEGUARD_CODEC_KMS_KEYS; the plaintext never leaves KMS's reply.
import { KMSClient } from '@aws-sdk/client-kms';
import type { Command } from 'commander';
import { parseEnv } from '../../config/env';
import { newWrappedDataKey } from '../../codec/kms-keyring';
import { out } from '../program';

export function register(program: Command): void {
  const codec = program.command('codec').description('payload encryption keys');
  codec
    .command('new-key')
    .description('generate a data key wrapped by a KMS key; prints keyId:ciphertext to add to SAFEGUARD_CODEC_KMS_KEYS')
    .requiredOption('--kms-key <id>', 'the KMS key that wraps it: alias/…, key id or ARN (the hub stack output CodecKmsKeyArn)')
    .requiredOption('--id <keyId>', 'the new key id (1-64 of A-Z a-z 0-9 . _ -), e.g. k2; payloads carry it')
    .option('--json')
    .action(async (o: { kmsKey: string; id: string; json?: boolean }) => {
      const env = parseEnv();
      const kms = new KMSClient({ region: env.AWS_REGION, ...(env.SAFEGUARD_AWS_ENDPOINT ? { endpoint: env.SAFEGUARD_AWS_ENDPOINT } : {}) });
      try {
        const key = await newWrappedDataKey(kms, o.kmsKey, o.id);
        out.stdout(o.json ? JSON.stringify({ keyId: o.id, kmsKeyArn: key.kmsKeyArn, entry: key.entry }) : key.entry);
        if (!o.json) out.stderr(`add it to SAFEGUARD_CODEC_KMS_KEYS (comma-separated) everywhere, then make it active with SAFEGUARD_CODEC_ACTIVE_KEY=${o.id} (docs/codec.md, Rotation)`);
      } finally {
        kms.destroy();
      }
    });
}
