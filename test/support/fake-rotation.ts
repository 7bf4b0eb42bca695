// In-memory stand-ins for the rotation activities (an IAM user, its key store, a KMS key), for the
// workflow tier and the replay recorder. The real activities run against the sandbox in
// test/integration/rotation*.test.ts.
import { ApplicationFailure } from '@temporalio/common';
import type { AccessKeyFacts } from '../../workflows/key-rotation/precheck';

export interface FakeIam {
  keys: AccessKeyFacts[];
  stored?: string;
  verifyFails: boolean;
  calls: string[];
  notifications: Array<{ event: string; severity: string }>;
  onDemandAt?: string;
}

/** An IAM user and its key store in memory; the old key is never used after the switch. */
export function fakeRotation(createdAt: string) {
  const s: FakeIam = { keys: [{ accessKeyId: 'AKIAOLD', status: 'Active', createdAt }], stored: 'AKIAOLD', verifyFails: false, calls: [], notifications: [] };
  const call = (name: string) => s.calls.push(name);
  const activities = {
    async checkRotationRequest() {
      call('checkRotationRequest');
      return { accepted: true, problems: [] };
    },
    async inspectAccessKeys() {
      call('inspectAccessKeys');
      return { keys: s.keys.map((k) => ({ ...k })), ...(s.stored ? { storedAccessKeyId: s.stored } : {}) };
    },
    async deleteAccessKey(i: { accessKeyId: string }) {
      call(`deleteAccessKey:${i.accessKeyId}`);
      const before = s.keys.length;
      s.keys = s.keys.filter((k) => k.accessKeyId !== i.accessKeyId);
      return { deleted: s.keys.length < before };
    },
    async createAndStoreAccessKey() {
      call('createAndStoreAccessKey');
      s.keys.push({ accessKeyId: 'AKIANEW', status: 'Active', createdAt: new Date().toISOString() });
      s.stored = 'AKIANEW';
      return { accessKeyId: 'AKIANEW', createdAt: new Date().toISOString(), storeVersion: '2' };
    },
    async verifyAccessKey() {
      call('verifyAccessKey');
      if (s.verifyFails) throw ApplicationFailure.nonRetryable('the new key was still refused after 30 s', 'AccessKeyNotVerified');
      return { verifiedAt: new Date().toISOString(), arn: 'arn:aws:iam::123456789012:user/svc-user' };
    },
    async promoteStoredKey() {
      call('promoteStoredKey');
      return { promoted: true, store: 'ssm-parameter', storeVersion: '2' };
    },
    async restorePreviousStoredKey() {
      call('restorePreviousStoredKey');
      s.stored = 'AKIAOLD';
      return { restored: true, store: 'ssm-parameter' };
    },
    async accessKeyLastUsed() {
      call('accessKeyLastUsed');
      return {};
    },
    async accessKeyUsedSince() {
      call('accessKeyUsedSince');
      return { cloudTrailRead: true };
    },
    async setAccessKeyStatus(i: { accessKeyId: string; status: 'Active' | 'Inactive' }) {
      call(`setAccessKeyStatus:${i.accessKeyId}:${i.status}`);
      const k = s.keys.find((x) => x.accessKeyId === i.accessKeyId);
      if (k) k.status = i.status;
      return { accessKeyId: i.accessKeyId, status: i.status };
    },
    async notify(n: { event: string; severity: string }) {
      s.notifications.push({ event: n.event, severity: n.severity });
      return {};
    },
    async describeKmsKey() {
      call('describeKmsKey');
      return { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', arn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab', keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', keyState: 'Enabled', keyManager: 'CUSTOMER', origin: 'AWS_KMS' };
    },
    async encryptCanary() {
      call('encryptCanary');
      return { ciphertext: 'Y2lwaGVydGV4dA==', encryptedAt: new Date().toISOString() };
    },
    async ensureKeyRotation() {
      call('ensureKeyRotation');
      return { enabled: true, rotationPeriodDays: 90, changed: true };
    },
    async keyRotationStatus() {
      call('keyRotationStatus');
      return { enabled: true, rotationPeriodDays: 90 };
    },
    async rotateKeyOnDemand(i: { since?: string }) {
      call('rotateKeyOnDemand');
      // Dated in the workflow's time (the time-skipping server runs ahead of the wall clock).
      s.onDemandAt = i.since ?? new Date().toISOString();
      return { requestedAt: s.onDemandAt, alreadyRequested: false };
    },
    async listKeyRotations() {
      call('listKeyRotations');
      return { rotations: s.onDemandAt ? [{ rotationDate: s.onDemandAt, rotationType: 'ON_DEMAND' }] : [] };
    },
    async checkCanary() {
      call('checkCanary');
      return { oldCiphertextDecrypts: true, newEncryptionRoundTrips: true, checkedAt: new Date().toISOString() };
    },
    async recordEvidence() {
      call('recordEvidence');
      return { seq: 1, hash: 'h', duplicate: false };
    },
  };
  return { activities, state: s };
}

