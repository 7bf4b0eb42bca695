// The links of the evidence chain and of its anchors. Pure functions: the store writes with them and
// verification recomputes them.
//
// Entry versions (the line format, not the record schema, which evidence/records.ts versions):
// - v1 (no `v` field): hash = sha256(canonical {seq, at, id, kind, prevHash, record}). Unkeyed:
//   anyone who can write the file can recompute every hash, so v1 proves nothing against a
//   rewrite. Written before issue #12 and by stores opened without a key (tests); still verified.
// - v2: hash = HMAC-SHA256(key[keyId], canonical {v, seq, at, id, kind, keyId, prevHash, record}).
//   Re-chaining after an edit or a deletion needs the key.
// Anchors: {seq, hash, at, keyId, mac}, mac = HMAC(key[keyId], canonical {anchor: 1, seq, hash, at,
// keyId}); a forged anchor in the local working copy fails its MAC.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import type { EvidenceKeyRing } from './evidence-key';

export const GENESIS_HASH = '0'.repeat(64);
export const KEYED_ENTRY_VERSION = 2;

export interface EvidenceEntry {
  /** Line format: absent for v1 (unkeyed sha256 links), 2 for HMAC links. */
  v?: number;
  seq: number;
  at: string;
  id: string;
  kind: string;
  /** The evidence key the link was made with (v2). */
  keyId?: string;
  prevHash: string;
  hash: string;
  record: Record<string, unknown>;
}

export interface Anchor {
  seq: number;
  /** The entry's hash at `seq`: the chain head when the anchor was written. */
  hash: string;
  at: string;
  keyId: string;
  mac: string;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function hmacHex(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('hex');
}

/** The v1 (unkeyed) hash of an entry. */
export function entryHash(e: Omit<EvidenceEntry, 'hash' | 'v' | 'keyId'>): string {
  return sha256Hex(canonicalJson({ seq: e.seq, at: e.at, id: e.id, kind: e.kind, prevHash: e.prevHash, record: e.record }));
}

/** The v2 (keyed) link of an entry. */
export function keyedEntryHash(key: Buffer, e: Omit<EvidenceEntry, 'hash' | 'v'> & { keyId: string }): string {
  return hmacHex(key, canonicalJson({ v: KEYED_ENTRY_VERSION, seq: e.seq, at: e.at, id: e.id, kind: e.kind, keyId: e.keyId, prevHash: e.prevHash, record: e.record }));
}

export function anchorMac(key: Buffer, a: Omit<Anchor, 'mac'>): string {
  return hmacHex(key, canonicalJson({ anchor: 1, seq: a.seq, hash: a.hash, at: a.at, keyId: a.keyId }));
}

export function makeAnchor(ring: EvidenceKeyRing, head: { seq: number; hash: string }, at: string): Anchor {
  const keyId = ring.activeKeyId;
  const key = ring.keys.get(keyId) as Buffer;
  const base = { seq: head.seq, hash: head.hash, at, keyId };
  return { ...base, mac: anchorMac(key, base) };
}

export function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export type LinkCheck = { ok: true } | { ok: false; problem: string };

/** Recomputes an entry's link: v1 by sha256, v2 by HMAC under its key (which the ring must hold). */
export function checkEntryLink(e: EvidenceEntry, ring: EvidenceKeyRing | undefined): LinkCheck {
  if (e.v === undefined) {
    return entryHash(e) === e.hash ? { ok: true } : { ok: false, problem: 'hash mismatch: the entry was changed after it was written' };
  }
  if (e.v !== KEYED_ENTRY_VERSION) return { ok: false, problem: `unknown entry version ${e.v}` };
  if (e.keyId === undefined) return { ok: false, problem: 'keyed entry without keyId' };
  if (!ring) return { ok: false, problem: 'keyed link not checked: no evidence key (set SAFEGUARD_EVIDENCE_KEY_FILE or SAFEGUARD_EVIDENCE_KMS_KEYS)' };
  const key = ring.keys.get(e.keyId);
  if (!key) return { ok: false, problem: `evidence key "${e.keyId}" is not in the key ring: a forged entry, or verified without every key the chain was written with` };
  return sameHex(keyedEntryHash(key, { ...e, keyId: e.keyId }), e.hash)
    ? { ok: true }
    : { ok: false, problem: 'HMAC mismatch: the entry was changed, forged or re-chained without the evidence key' };
}

/** checkEntryLink that never throws: a record too deep to hash is a bad link, not a crash. */
export function safeLinkCheck(e: EvidenceEntry, ring: EvidenceKeyRing | undefined): boolean {
  try {
    return checkEntryLink(e, ring).ok;
  } catch {
    return false;
  }
}

export function checkAnchorMac(a: Anchor, ring: EvidenceKeyRing | undefined): LinkCheck {
  if (!ring) return { ok: false, problem: 'anchor not checked: no evidence key' };
  const key = ring.keys.get(a.keyId);
  if (!key) return { ok: false, problem: `anchor not checked: evidence key "${a.keyId}" is not in the key ring` };
  return sameHex(anchorMac(key, a), a.mac) ? { ok: true } : { ok: false, problem: 'anchor MAC mismatch: the anchor was forged or changed' };
}
