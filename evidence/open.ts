// The evidence store a process opens from its environment: the directory, the evidence key ring,
// and the anchor stores (the local working copy, plus S3 with Object Lock when a bucket is named).
// The worker and the api must have a key (requireKey); the CLI's `audit` commands take what is there.
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentity } from '@smithy/types';
import { LocalAnchorStore } from './anchors/local';
import { S3AnchorStore } from './anchors/s3';
import type { AnchorStore } from './anchors/anchor-store';
import { requireEvidenceKeyRing } from './evidence-key';
import type { EvidenceKeyRing } from './evidence-key';
import { EvidenceStore } from './store';

export interface EvidenceLocation {
  dir: string;
  /** S3 bucket with Object Lock for the anchors (production). */
  bucket?: string;
  prefix?: string;
  retentionDays?: number;
  /** The AWS client settings for S3: region, and the sandbox's endpoint. */
  region: string;
  endpoint?: string;
  /** Explicit credentials (the embedded stack's in-process api); default: the SDK's chain. */
  credentials?: AwsCredentialIdentity;
}

export function evidenceLocationFromEnv(env: NodeJS.ProcessEnv): EvidenceLocation {
  const dataDir = env.SAFEGUARD_DATA_DIR?.trim() || '.data';
  const retention = env.SAFEGUARD_EVIDENCE_RETENTION_DAYS?.trim();
  return {
    dir: env.SAFEGUARD_EVIDENCE_DIR?.trim() || path.join(dataDir, 'evidence'),
    ...(env.SAFEGUARD_EVIDENCE_BUCKET?.trim() ? { bucket: env.SAFEGUARD_EVIDENCE_BUCKET.trim() } : {}),
    ...(env.SAFEGUARD_EVIDENCE_PREFIX?.trim() ? { prefix: env.SAFEGUARD_EVIDENCE_PREFIX.trim() } : {}),
    ...(retention ? { retentionDays: Number(retention) } : {}),
    region: env.AWS_REGION?.trim() || 'us-east-1',
    ...(env.SAFEGUARD_AWS_ENDPOINT?.trim() ? { endpoint: env.SAFEGUARD_AWS_ENDPOINT.trim() } : {}),
  };
}

/** The S3 client for the evidence bucket (path-style for a custom endpoint: the sandbox serves every bucket on one host). */
export function evidenceS3Client(loc: Pick<EvidenceLocation, 'region' | 'endpoint' | 'credentials'>, maxAttempts = 3): S3Client {
  return new S3Client({ region: loc.region, ...(loc.endpoint ? { endpoint: loc.endpoint, forcePathStyle: true } : {}), ...(loc.credentials ? { credentials: loc.credentials } : {}), maxAttempts });
}

/** The anchor stores for a location: local always (it is the working copy), then S3 (authoritative). */
export function anchorStores(loc: EvidenceLocation): AnchorStore[] {
  const stores: AnchorStore[] = [new LocalAnchorStore(loc.dir)];
  if (loc.bucket) {
    const s3 = evidenceS3Client(loc);
    stores.push(new S3AnchorStore(s3, { bucket: loc.bucket, ...(loc.prefix ? { prefix: loc.prefix } : {}), ...(loc.retentionDays ? { retentionDays: loc.retentionDays } : {}) }));
  }
  return stores;
}

export function openEvidenceStore(loc: EvidenceLocation, keys: EvidenceKeyRing | undefined): EvidenceStore {
  return new EvidenceStore(loc.dir, { ...(keys ? { keys, anchors: anchorStores(loc) } : {}) });
}

/** For the worker and the api: refuses to start without an evidence key. */
export async function evidenceStoreForWriter(env: NodeJS.ProcessEnv = process.env): Promise<EvidenceStore> {
  return openEvidenceStore(evidenceLocationFromEnv(env), await requireEvidenceKeyRing(env));
}
