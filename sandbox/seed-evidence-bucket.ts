// The evidence bucket, as hub.yaml's EvidenceBucket makes it: Object Lock in COMPLIANCE mode with a
// default retention, versioning (Object Lock turns it on), public access blocked. Created through the
// S3 API: moto ignores Object Lock in CloudFormation (docs/decisions.md, #11), so the hub stack is
// not deployed in the seed. The sandbox's retention is one day; production's is six years.
import {
  CreateBucketCommand,
  PutObjectLockConfigurationCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';

export const SANDBOX_EVIDENCE_RETENTION_DAYS = 1;

export function evidenceBucketName(accountId: string): string {
  return `safeguard-evidence-${accountId}`;
}

export async function seedEvidenceBucket(client: S3ClientConfig, accountId: string): Promise<string> {
  const s3 = new S3Client({ ...client, forcePathStyle: true });
  const Bucket = evidenceBucketName(accountId);
  try {
    await s3.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: SANDBOX_EVIDENCE_RETENTION_DAYS } } },
      }),
    );
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket,
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      }),
    );
    return Bucket;
  } finally {
    s3.destroy();
  }
}
