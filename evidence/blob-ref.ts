// A reference to a content-addressed blob next to the evidence chain (evidence/blobs.ts). Type-only, so
// workflow code can carry references without importing the store.

/** A content-addressed blob in the evidence store: the sha256 of its JSON names it. */
export interface BlobRef {
  sha256: string;
  bytes: number;
  /** What it holds, for people reading evidence ("inventory 111111111111"). */
  label: string;
}
