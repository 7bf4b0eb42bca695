// Where the chain head is checkpointed. One interface, two backends: a local file (the working copy,
// and the only one in dev) and S3 with Object Lock in COMPLIANCE mode (production: nobody, the root
// user included, can delete or shorten an anchor before its retention ends). `audit verify` compares
// the chain with every backend's anchors.
import type { Anchor, EvidenceEntry } from '../chain';

export interface AnchorListing {
  anchors: Anchor[];
  /** What is wrong with the store itself (unparsable anchors, overwritten S3 objects), by seq when known. */
  problems: Array<{ seq?: number; problem: string }>;
}

export interface AnchorStore {
  /** For messages: `local:<file>` or `s3://bucket/prefix`. */
  readonly where: string;
  /** Writes the anchor for `entry` (the new head). Idempotent: an anchor already there for this seq is left alone. */
  put(anchor: Anchor, entry: EvidenceEntry): Promise<void>;
  list(): Promise<AnchorListing>;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Parses one stored anchor; undefined when it is not one. */
export function parseAnchor(v: unknown): Anchor | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 1) return undefined;
  if (typeof o.hash !== 'string' || !HEX64.test(o.hash)) return undefined;
  if (typeof o.at !== 'string' || Number.isNaN(Date.parse(o.at))) return undefined;
  if (typeof o.keyId !== 'string' || o.keyId === '') return undefined;
  if (typeof o.mac !== 'string' || !HEX64.test(o.mac)) return undefined;
  return { seq: o.seq as number, hash: o.hash, at: o.at, keyId: o.keyId, mac: o.mac };
}
