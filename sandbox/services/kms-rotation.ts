// KMS key rotation as AWS does it, for what moto 5.2.5 skips (see the sandbox notes, §1): the
// rotation period (stored and range-checked), refusing keys that cannot rotate, GetKeyRotationStatus
// with every field, and on-demand rotations limited to 25 per key with one at a time. Pure apart
// from the injected clock; kms.ts feeds it moto's view of the key and forwards what it admits.

/** What the rules need to know about a key (from moto's DescribeKey). */
export interface KmsKeyFacts {
  keyId: string;
  arn: string;
  /** Enabled | Disabled | PendingDeletion | PendingImport | Unavailable … */
  keyState: string;
  /** SYMMETRIC_DEFAULT, RSA_2048, ECC_NIST_P256, HMAC_256 … */
  keySpec: string;
  /** AWS_KMS | EXTERNAL | AWS_CLOUDHSM | EXTERNAL_KEY_STORE */
  origin: string;
  /** Epoch ms. */
  createdAt?: number;
}

/** An error AWS KMS answers (JSON 1.1: `{"__type": code, "message": …}`, HTTP 400). */
export class KmsApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'KmsApiError';
  }
}

export const ROTATION_PERIOD_MIN_DAYS = 90;
export const ROTATION_PERIOD_MAX_DAYS = 2560;
export const DEFAULT_ROTATION_PERIOD_DAYS = 365;
/** "You can perform on-demand rotation a maximum of 25 times per KMS key." */
export const MAX_ON_DEMAND_ROTATIONS = 25;
/** How long an on-demand rotation stays "in progress" unless configured. */
export const DEFAULT_ON_DEMAND_ROTATION_MS = 3_000;
const DAY_MS = 86_400_000;

/**
 * EnableKeyRotation's RotationPeriodInDays, as AWS checks it (the JS SDK checks no ranges; boto3
 * checks the minimum client-side, moto not at all). Absent → undefined (the default period).
 */
export function validateRotationPeriod(raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'number' || !Number.isInteger(raw)) {
    throw new KmsApiError('SerializationException', 'NUMBER_VALUE cannot be converted to Integer');
  }
  if (raw < ROTATION_PERIOD_MIN_DAYS) {
    throw new KmsApiError(
      'ValidationException',
      `1 validation error detected: Value '${raw}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to ${ROTATION_PERIOD_MIN_DAYS}`,
    );
  }
  if (raw > ROTATION_PERIOD_MAX_DAYS) {
    throw new KmsApiError(
      'ValidationException',
      `1 validation error detected: Value '${raw}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to ${ROTATION_PERIOD_MAX_DAYS}`,
    );
  }
  return raw;
}

/** Only symmetric encryption keys with key material from KMS rotate. */
export function assertRotatableKind(key: KmsKeyFacts): void {
  if (key.keySpec !== 'SYMMETRIC_DEFAULT') {
    throw new KmsApiError('UnsupportedOperationException', `${key.arn} key spec ${key.keySpec} does not support rotation: only symmetric encryption KMS keys rotate.`);
  }
  if (key.origin !== 'AWS_KMS') {
    throw new KmsApiError('UnsupportedOperationException', `${key.arn} origin is ${key.origin} which is not valid for this operation.`);
  }
}

/** The key state must allow changing rotation (Enabled). */
export function assertUsableState(key: KmsKeyFacts): void {
  switch (key.keyState) {
    case 'Enabled':
      return;
    case 'Disabled':
      throw new KmsApiError('DisabledException', `${key.arn} is disabled.`);
    case 'PendingDeletion':
      throw new KmsApiError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    case 'PendingImport':
      throw new KmsApiError('KMSInvalidStateException', `${key.arn} is pending import.`);
    default:
      throw new KmsApiError('KMSInvalidStateException', `${key.arn} is ${key.keyState}.`);
  }
}

export interface KeyRotationStatus {
  KeyRotationEnabled: boolean;
  KeyId: string;
  RotationPeriodInDays?: number;
  /** Epoch seconds (how AwsJson1_1 carries timestamps). */
  NextRotationDate?: number;
  /** Epoch seconds; present while an on-demand rotation is in progress. */
  OnDemandRotationStartDate?: number;
}

interface KeyRotationRecord {
  /** Set while automatic rotation is enabled through the gateway. */
  periodDays?: number;
  /** When the current period began (EnableKeyRotation), epoch ms. */
  periodFrom?: number;
  onDemandCount: number;
  /** Start of the latest on-demand rotation, epoch ms. */
  onDemandStartedAt?: number;
}

export interface KmsRotationOptions {
  /** How long an on-demand rotation stays in progress (ConflictException meanwhile). */
  onDemandRotationMs?: number;
  now?: () => number;
}

/** Per-key rotation state the gateway keeps beside moto's (keyed by moto's key id). */
export class KmsRotations {
  private readonly keys = new Map<string, KeyRotationRecord>();
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(opts: KmsRotationOptions = {}) {
    this.windowMs = opts.onDemandRotationMs ?? DEFAULT_ON_DEMAND_ROTATION_MS;
    if (!Number.isFinite(this.windowMs) || this.windowMs < 0) throw new RangeError(`the on-demand rotation window must be ≥ 0 ms, got ${this.windowMs}`);
    this.now = opts.now ?? Date.now;
  }

  /** EnableKeyRotation: throws what AWS would answer; otherwise returns a commit for after moto agreed. */
  admitEnable(key: KmsKeyFacts, rawPeriod: unknown): () => void {
    const period = validateRotationPeriod(rawPeriod);
    assertRotatableKind(key);
    assertUsableState(key);
    return () => {
      const r = this.record(key.keyId);
      // Changing the period of a key that already rotates keeps its schedule's starting point.
      if (r.periodDays === undefined || r.periodFrom === undefined) r.periodFrom = this.now();
      r.periodDays = period ?? DEFAULT_ROTATION_PERIOD_DAYS;
    };
  }

  /** DisableKeyRotation. */
  admitDisable(key: KmsKeyFacts): () => void {
    assertRotatableKind(key);
    assertUsableState(key);
    return () => {
      const r = this.record(key.keyId);
      delete r.periodDays;
      delete r.periodFrom;
    };
  }

  /** RotateKeyOnDemand: one at a time per key, at most 25 per key. */
  admitOnDemand(key: KmsKeyFacts): () => void {
    assertRotatableKind(key);
    assertUsableState(key);
    const r = this.keys.get(key.keyId);
    if (r && this.inProgress(r)) {
      throw new KmsApiError('ConflictException', `An on-demand rotation of ${key.arn} is already in progress. Try again when it has completed.`);
    }
    if (r && r.onDemandCount >= MAX_ON_DEMAND_ROTATIONS) {
      throw new KmsApiError('LimitExceededException', `${key.arn} has reached the limit of ${MAX_ON_DEMAND_ROTATIONS} on-demand rotations.`);
    }
    return () => {
      const rec = this.record(key.keyId);
      rec.onDemandCount += 1;
      rec.onDemandStartedAt = this.now();
    };
  }

  /** GetKeyRotationStatus, given whether moto says rotation is enabled. */
  status(key: KmsKeyFacts, enabled: boolean): KeyRotationStatus {
    assertRotatableKind(key);
    const r = this.keys.get(key.keyId);
    const out: KeyRotationStatus = { KeyRotationEnabled: enabled, KeyId: key.keyId };
    if (enabled) {
      // Enabled outside the gateway (moto directly, CloudFormation): AWS's default period, counted from creation.
      const period = r?.periodDays ?? DEFAULT_ROTATION_PERIOD_DAYS;
      const from = r?.periodFrom ?? key.createdAt ?? this.now();
      out.RotationPeriodInDays = period;
      out.NextRotationDate = (from + period * DAY_MS) / 1000;
    }
    if (r?.onDemandStartedAt !== undefined && this.inProgress(r)) out.OnDemandRotationStartDate = r.onDemandStartedAt / 1000;
    return out;
  }

  /** On-demand rotations admitted for the key so far. */
  onDemandCount(keyId: string): number {
    return this.keys.get(keyId)?.onDemandCount ?? 0;
  }

  private inProgress(r: KeyRotationRecord): boolean {
    return r.onDemandStartedAt !== undefined && this.now() - r.onDemandStartedAt < this.windowMs;
  }

  private record(keyId: string): KeyRotationRecord {
    let r = this.keys.get(keyId);
    if (!r) {
      r = { onDemandCount: 0 };
      this.keys.set(keyId, r);
    }
    return r;
  }
}

/** A key's facts from moto's DescribeKey answer (`{KeyMetadata: …}`), or undefined if it has none. */
export function keyFactsOf(describe: Record<string, unknown>): KmsKeyFacts | undefined {
  const m = describe['KeyMetadata'];
  if (m === null || typeof m !== 'object') return undefined;
  const md = m as Record<string, unknown>;
  const s = (k: string): string | undefined => (typeof md[k] === 'string' ? (md[k] as string) : undefined);
  const keyId = s('KeyId');
  const arn = s('Arn');
  if (!keyId || !arn) return undefined;
  const created = md['CreationDate'];
  return {
    keyId,
    arn,
    keyState: s('KeyState') ?? (md['Enabled'] === false ? 'Disabled' : 'Enabled'),
    keySpec: s('KeySpec') ?? s('CustomerMasterKeySpec') ?? 'SYMMETRIC_DEFAULT',
    origin: s('Origin') ?? 'AWS_KMS',
    ...(typeof created === 'number' ? { createdAt: Math.round(created * 1000) } : {}),
  };
}
