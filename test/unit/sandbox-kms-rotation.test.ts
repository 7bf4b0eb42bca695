import { parseStoredKey, StoredKeyError } from '../../sandbox/consumers';
import { KeyPropagation } from '../../sandbox/key-propagation';
import { keyIdIn } from '../../sandbox/services/kms';
import { KmsApiError, KmsRotations, MAX_ON_DEMAND_ROTATIONS, keyFactsOf, validateRotationPeriod } from '../../sandbox/services/kms-rotation';
import type { KmsKeyFacts } from '../../sandbox/services/kms-rotation';

const DAY = 86_400_000;
const key = (over: Partial<KmsKeyFacts> = {}): KmsKeyFacts => ({
  keyId: 'k-1',
  arn: 'arn:aws:kms:us-east-1:123456789012:key/k-1',
  keyState: 'Enabled',
  keySpec: 'SYMMETRIC_DEFAULT',
  origin: 'AWS_KMS',
  createdAt: 0,
  ...over,
});

function refusal(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof KmsApiError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a KMS refusal');
}

describe('validateRotationPeriod', () => {
  it('accepts 90 to 2560 days and no period at all', () => {
    expect(validateRotationPeriod(90)).toBe(90);
    expect(validateRotationPeriod(2560)).toBe(2560);
    expect(validateRotationPeriod(undefined)).toBeUndefined();
  });

  it('refuses periods outside the range with the ValidationException AWS answers', () => {
    expect(refusal(() => validateRotationPeriod(89))).toEqual({
      code: 'ValidationException',
      message: "1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90",
    });
    expect(refusal(() => validateRotationPeriod(2561)).message).toMatch(/less than or equal to 2560$/);
    expect(refusal(() => validateRotationPeriod('365')).code).toBe('SerializationException');
    expect(refusal(() => validateRotationPeriod(90.5)).code).toBe('SerializationException');
  });
});

describe('KmsRotations', () => {
  let now = 0;
  const rotations = () => new KmsRotations({ onDemandRotationMs: 1_000, now: () => now });
  beforeEach(() => {
    now = 10 * DAY;
  });

  it('refuses keys that cannot rotate: asymmetric, HMAC, imported, disabled, pending deletion', () => {
    const r = rotations();
    expect(refusal(() => r.admitEnable(key({ keySpec: 'RSA_2048' }), 365)).code).toBe('UnsupportedOperationException');
    expect(refusal(() => r.admitOnDemand(key({ keySpec: 'HMAC_256' }))).code).toBe('UnsupportedOperationException');
    expect(refusal(() => r.admitEnable(key({ origin: 'EXTERNAL' }), undefined)).code).toBe('UnsupportedOperationException');
    expect(refusal(() => r.admitEnable(key({ keyState: 'Disabled' }), 365))).toEqual({ code: 'DisabledException', message: 'arn:aws:kms:us-east-1:123456789012:key/k-1 is disabled.' });
    expect(refusal(() => r.admitDisable(key({ keyState: 'PendingDeletion' }))).code).toBe('KMSInvalidStateException');
    expect(refusal(() => r.status(key({ keySpec: 'ECC_NIST_P256' }), false)).code).toBe('UnsupportedOperationException');
  });

  it('reports the stored period and the next rotation date, and forgets them when rotation is disabled', () => {
    const r = rotations();
    expect(r.status(key(), false)).toEqual({ KeyRotationEnabled: false, KeyId: 'k-1' });
    r.admitEnable(key(), 180)();
    expect(r.status(key(), true)).toEqual({ KeyRotationEnabled: true, KeyId: 'k-1', RotationPeriodInDays: 180, NextRotationDate: (now + 180 * DAY) / 1000 });
    // A new period keeps the schedule's starting point.
    const enabledAt = now;
    now += DAY;
    r.admitEnable(key(), undefined)();
    expect(r.status(key(), true)).toMatchObject({ RotationPeriodInDays: 365, NextRotationDate: (enabledAt + 365 * DAY) / 1000 });
    r.admitDisable(key())();
    expect(r.status(key(), false)).toEqual({ KeyRotationEnabled: false, KeyId: 'k-1' });
    // Enabled outside the gateway: the default period from the key's creation.
    expect(r.status(key({ createdAt: DAY }), true)).toMatchObject({ RotationPeriodInDays: 365, NextRotationDate: (DAY + 365 * DAY) / 1000 });
  });

  it('changes nothing until the commit (moto refused the call)', () => {
    const r = rotations();
    r.admitEnable(key(), 180);
    r.admitOnDemand(key());
    expect(r.status(key(), true).RotationPeriodInDays).toBe(365);
    expect(r.onDemandCount('k-1')).toBe(0);
  });

  it('allows one on-demand rotation at a time, reports its start while in progress, and at most 25 per key', () => {
    const r = rotations();
    r.admitOnDemand(key())();
    const started = now;
    expect(refusal(() => r.admitOnDemand(key())).code).toBe('ConflictException');
    now += 999;
    expect(r.status(key(), false).OnDemandRotationStartDate).toBe(started / 1000);
    expect(refusal(() => r.admitOnDemand(key())).code).toBe('ConflictException');
    now += 1;
    expect(r.status(key(), false).OnDemandRotationStartDate).toBeUndefined();
    for (let i = 1; i < MAX_ON_DEMAND_ROTATIONS; i++) {
      r.admitOnDemand(key())();
      now += 1_000;
    }
    expect(r.onDemandCount('k-1')).toBe(25);
    expect(refusal(() => r.admitOnDemand(key())).code).toBe('LimitExceededException');
    // Other keys have their own count.
    expect(() => r.admitOnDemand(key({ keyId: 'k-2' }))).not.toThrow();
  });

  it("reads a key's facts from moto's DescribeKey answer", () => {
    expect(keyFactsOf({ KeyMetadata: { KeyId: 'k', Arn: 'arn', KeyState: 'Disabled', KeySpec: 'RSA_2048', Origin: 'AWS_KMS', CreationDate: 1700000000.5 } })).toEqual({
      keyId: 'k',
      arn: 'arn',
      keyState: 'Disabled',
      keySpec: 'RSA_2048',
      origin: 'AWS_KMS',
      createdAt: 1700000000500,
    });
    expect(keyFactsOf({})).toBeUndefined();
  });

  it('finds the key id in a key id or key ARN, not in an alias', () => {
    expect(keyIdIn('arn:aws:kms:us-east-1:123456789012:key/abc')).toBe('abc');
    expect(keyIdIn('abc')).toBe('abc');
    expect(keyIdIn('alias/x')).toBeUndefined();
    expect(keyIdIn('arn:aws:kms:us-east-1:123456789012:alias/x')).toBeUndefined();
  });
});

describe('KeyPropagation', () => {
  it('refuses a new key for the delay, then forgets it; a delay of 0 refuses nothing', () => {
    let now = 1_000;
    const p = new KeyPropagation(2_000, () => now);
    p.created('AKIANEW');
    expect(p.pending('AKIANEW')).toBe(true);
    expect(p.pending('AKIASEEDED')).toBe(false);
    now += 1_999;
    expect(p.remainingMs('AKIANEW')).toBe(1);
    now += 1;
    expect(p.pending('AKIANEW')).toBe(false);
    const none = new KeyPropagation(0);
    none.created('AKIANEW');
    expect(none.pending('AKIANEW')).toBe(false);
    expect(() => new KeyPropagation(-1)).toThrow(RangeError);
  });
});

describe('parseStoredKey', () => {
  it('reads {"accessKeyId","secretAccessKey"} and refuses anything else', () => {
    expect(parseStoredKey('{"accessKeyId":"AKIA1","secretAccessKey":"s","extra":1}')).toEqual({ accessKeyId: 'AKIA1', secretAccessKey: 's' });
    expect(() => parseStoredKey('AKIA1:s')).toThrow(StoredKeyError);
    expect(() => parseStoredKey('{"accessKeyId":"AKIA1"}')).toThrow(StoredKeyError);
    expect(() => parseStoredKey(undefined)).toThrow(StoredKeyError);
  });
});
