// Doctor's evidence check: the key the worker and api refuse to start without, and the anchors'
// Object Lock bucket (COMPLIANCE mode, or it protects nothing against someone with the broker's
// permissions). Read-only: one GetObjectLockConfiguration.
import { GetObjectLockConfigurationCommand } from '@aws-sdk/client-s3';
import { KeyRingError } from '../../codec';
import { ENV_EVIDENCE_KEY_FILE, ENV_EVIDENCE_KMS_KEYS, requireEvidenceKeyRing } from '../../evidence/evidence-key';
import { evidenceLocationFromEnv, evidenceS3Client } from '../../evidence/open';
import type { CheckOutcome, DoctorCheck } from './runner';
import { brokerCredentials } from './aws-checks';
import { errorText } from './state';
import type { DoctorState } from './state';

export const evidenceCheck: DoctorCheck<DoctorState> = {
  id: 'evidence',
  check: 'evidence key and anchors',
  fix: `set ${ENV_EVIDENCE_KMS_KEYS} (production) or ${ENV_EVIDENCE_KEY_FILE}, and SAFEGUARD_EVIDENCE_BUCKET to the hub stack's EvidenceBucket (docs/audit.md)`,
  async run(state): Promise<CheckOutcome> {
    let detail: string;
    try {
      const ring = await requireEvidenceKeyRing(state.env);
      detail = `${state.env[ENV_EVIDENCE_KMS_KEYS]?.trim() ? `${ENV_EVIDENCE_KMS_KEYS} (unwrapped with kms:Decrypt)` : `key file ${state.env[ENV_EVIDENCE_KEY_FILE]?.trim() ?? ''}`}: ${ring.keys.size} key(s), active "${ring.activeKeyId}"`;
    } catch (err) {
      if (!(err instanceof KeyRingError)) throw err;
      return { status: 'FAIL', detail: `${err.code}: ${err.message}`, fix: `the worker and the api do not start without an evidence key: set ${ENV_EVIDENCE_KMS_KEYS} (\`safeguard codec new-key --purpose evidence\`) or ${ENV_EVIDENCE_KEY_FILE} (a JSON key file, mode 0600)` };
    }
    const loc = evidenceLocationFromEnv(state.env);
    if (!loc.bucket) {
      return { status: 'warn', detail: `${detail}; anchors in ${loc.dir}/anchors.jsonl only`, fix: "set SAFEGUARD_EVIDENCE_BUCKET to the hub stack's EvidenceBucket: a local working copy does not stop someone who can edit both files" };
    }
    const credentials = brokerCredentials(state);
    const s3 = evidenceS3Client({ ...loc, ...(credentials ? { credentials } : {}) }, 1);
    state.cleanups.push(() => s3.destroy());
    try {
      const lock = (await s3.send(new GetObjectLockConfigurationCommand({ Bucket: loc.bucket }))).ObjectLockConfiguration;
      const mode = lock?.Rule?.DefaultRetention?.Mode;
      if (lock?.ObjectLockEnabled !== 'Enabled') return { status: 'FAIL', detail: `${detail}; s3://${loc.bucket} has no Object Lock`, fix: 'anchors need a bucket created with Object Lock: deploy deploy/cloudformation/hub.yaml and use its EvidenceBucket' };
      if (mode !== 'COMPLIANCE') return { status: 'warn', detail: `${detail}; s3://${loc.bucket} default retention is ${mode ?? 'not set'}`, fix: 'use COMPLIANCE mode (hub.yaml): GOVERNANCE lets privileged users delete anchors' };
      return { status: 'ok', detail: `${detail}; anchors in s3://${loc.bucket} (Object Lock COMPLIANCE)` };
    } catch (err) {
      return { status: 'FAIL', detail: `${detail}; s3://${loc.bucket}: ${errorText(err)}`, fix: "the broker needs s3:GetBucketObjectLockConfiguration, s3:PutObject, s3:PutObjectRetention, s3:GetObject* and s3:ListBucket* on the bucket (hub.yaml's SafeguardBroker policy)" };
    }
  },
};
