// Whether an access-key rotation may start, from what inspectAccessKeys saw: the user's keys and the
// key id the store holds. Pure and deterministic (the workflow calls it); the activities import the
// types only.
//
// IAM allows two keys per user, and a rotation needs the second slot for the new key. The one key a
// rotation replaces is the key in the store: consumers read the store, so that is the key they use.
// Any other key is either
// - Inactive: nobody can sign with it, so it is deleted first (then inspect again and re-decide), or
// - Active: someone uses a key Safeguard does not hand out. Rotating would leave that consumer on a
//   key nobody watches (or take away the slot it needs); a person has to decide, so the run stops.

/** One IAM access key as inspectAccessKeys reports it (never with its secret). */
export interface AccessKeyFacts {
  accessKeyId: string;
  status: 'Active' | 'Inactive';
  /** ISO-8601. */
  createdAt: string;
  /** ISO-8601; absent when IAM has never seen the key used. */
  lastUsedAt?: string;
  lastUsedService?: string;
}

export const PrecheckFindings = {
  /** The user has no access key at all: nothing to rotate. */
  noAccessKey: 'NoAccessKey',
  /** The store holds no key (or does not exist): consumers do not read their key from it. */
  nothingStored: 'NothingStored',
  /** The store holds a key the user does not have (deleted, or the store belongs to another user). */
  storedKeyNotOnUser: 'StoredKeyNotOnUser',
  /** The stored key is Inactive: consumers reading the store are already failing. */
  storedKeyInactive: 'StoredKeyInactive',
  /** A second Active key that is not the stored one: someone uses a key Safeguard does not manage. */
  twoActiveKeys: 'TwoActiveKeys',
} as const;

export type PrecheckFindingCode = (typeof PrecheckFindings)[keyof typeof PrecheckFindings];

export interface PrecheckFinding {
  code: PrecheckFindingCode;
  message: string;
  accessKeyIds: string[];
}

export type PrecheckDecision =
  | { action: 'proceed'; old: AccessKeyFacts }
  | { action: 'delete-inactive-first'; keyId: string }
  | { action: 'stop'; finding: PrecheckFinding };

export function precheck(keys: readonly AccessKeyFacts[], storedAccessKeyId: string | undefined): PrecheckDecision {
  const stop = (code: PrecheckFindingCode, message: string, accessKeyIds: string[]): PrecheckDecision => ({
    action: 'stop',
    finding: { code, message, accessKeyIds },
  });
  if (keys.length === 0) return stop(PrecheckFindings.noAccessKey, 'the user has no access key', []);
  if (storedAccessKeyId === undefined) {
    return stop(PrecheckFindings.nothingStored, 'the key store holds no access key, so no consumer reads its key from it', keys.map((k) => k.accessKeyId));
  }
  const stored = keys.find((k) => k.accessKeyId === storedAccessKeyId);
  if (!stored) {
    return stop(PrecheckFindings.storedKeyNotOnUser, `the key store holds ${storedAccessKeyId}, which the user does not have`, [storedAccessKeyId]);
  }
  if (stored.status !== 'Active') {
    return stop(PrecheckFindings.storedKeyInactive, `the stored key ${storedAccessKeyId} is ${stored.status}`, [storedAccessKeyId]);
  }
  const others = keys.filter((k) => k.accessKeyId !== storedAccessKeyId);
  const activeOther = others.find((k) => k.status === 'Active');
  if (activeOther) {
    return stop(
      PrecheckFindings.twoActiveKeys,
      `the user has a second active key ${activeOther.accessKeyId} that is not in the store${activeOther.lastUsedAt ? ` (last used ${activeOther.lastUsedAt})` : ' (never used)'}`,
      [storedAccessKeyId, activeOther.accessKeyId],
    );
  }
  const inactive = others[0];
  if (inactive) return { action: 'delete-inactive-first', keyId: inactive.accessKeyId };
  return { action: 'proceed', old: stored };
}
