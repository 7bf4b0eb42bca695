// Anchors in S3 with Object Lock (COMPLIANCE mode): one object per anchored head,
// `<prefix>anchors/<seq, 12 digits>.json`, holding the anchor and the entry it anchors (so the
// bucket is also a write-once copy of the chain). Each object is written with its own retention;
// the hub template's bucket adds a default retention and refuses non-TLS access.
//
// Tampering S3 still allows: a versioned bucket accepts a new version of a key (the locked first
// version stays). list() reads every version, uses the FIRST one and reports the overwrite; a
// deletion only adds a delete marker, behind which the locked version is still listed.
import {
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { ObjectVersion, S3Client } from '@aws-sdk/client-s3';
import type { Anchor, EvidenceEntry } from '../chain';
import { parseAnchor } from './anchor-store';
import type { AnchorListing, AnchorStore } from './anchor-store';

export interface S3AnchorStoreOptions {
  bucket: string;
  /** Key prefix, e.g. `prod/` (default none). */
  prefix?: string;
  /** Object Lock retention of each anchor, in days. Default 2190 (six years, HIPAA §164.316(b)(2)). */
  retentionDays?: number;
  now?: () => Date;
}

export const DEFAULT_RETENTION_DAYS = 2190;
const SEQ_DIGITS = 12;
const DAY_MS = 86_400_000;

export function anchorKey(prefix: string, seq: number): string {
  return `${prefix}anchors/${String(seq).padStart(SEQ_DIGITS, '0')}.json`;
}

export class S3AnchorStore implements AnchorStore {
  readonly where: string;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly retentionDays: number;
  private readonly now: () => Date;

  constructor(
    private readonly s3: S3Client,
    opts: S3AnchorStoreOptions,
  ) {
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ?? '';
    this.retentionDays = opts.retentionDays ?? DEFAULT_RETENTION_DAYS;
    this.now = opts.now ?? (() => new Date());
    this.where = `s3://${this.bucket}/${this.prefix}anchors/`;
  }

  async put(anchor: Anchor, entry: EvidenceEntry): Promise<void> {
    const Key = anchorKey(this.prefix, anchor.seq);
    // A retried append anchors the same head again: a second PUT would add a version, which
    // verification reports as an overwrite. Read first (one writer holds the evidence lock).
    // An anchor already there must be this one: someone who can PutObject could otherwise plant the
    // next seq's anchor first, and the writer would skip its own and see the real entry flagged later.
    const existing = await this.read(Key);
    if (existing !== 'missing') {
      if (existing && existing.seq === anchor.seq && existing.hash === anchor.hash) return;
      throw new Error(`${Key} already holds ${existing ? `an anchor for seq ${existing.seq} with another hash` : 'something that is not an anchor'}: an anchor was planted before the writer's`);
    }
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key,
        Body: JSON.stringify({ anchor, entry }),
        ContentType: 'application/json',
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: new Date(this.now().getTime() + this.retentionDays * DAY_MS),
        // Object Lock requires an integrity checksum on every PUT.
        ChecksumAlgorithm: 'SHA256',
      }),
    );
  }

  async list(): Promise<AnchorListing> {
    const versions = await this.allVersions();
    const byKey = new Map<string, ObjectVersion[]>();
    for (const v of versions) {
      if (!v.Key) continue;
      byKey.set(v.Key, [...(byKey.get(v.Key) ?? []), v]);
    }
    const out: AnchorListing = { anchors: [], problems: [] };
    const name = new RegExp(`^${escapeRegExp(this.prefix)}anchors/(\\d{${SEQ_DIGITS}})\\.json$`);
    for (const [key, list] of [...byKey].sort(([a], [b]) => a.localeCompare(b))) {
      const seq = Number(name.exec(key)?.[1]);
      if (!Number.isSafeInteger(seq) || seq < 1) {
        out.problems.push({ problem: `${key} is not an anchor's name (anchors/<seq, ${SEQ_DIGITS} digits>.json): written by someone other than the writer` });
        continue;
      }
      // S3 lists a key's versions newest first; LastModified (whole seconds) breaks no ties.
      const oldest = [...list].reverse().sort((a, b) => (a.LastModified?.getTime() ?? 0) - (b.LastModified?.getTime() ?? 0))[0] as ObjectVersion;
      if (list.length > 1) out.problems.push({ seq, problem: `anchor ${key} was overwritten (${list.length} versions); the first, locked version is used` });
      const anchor = await this.read(key, oldest.VersionId);
      if (anchor === 'missing' || !anchor || anchor.seq !== seq) out.problems.push({ seq, problem: `${key} does not hold the anchor for seq ${seq}` });
      else out.anchors.push(anchor);
    }
    return out;
  }

  /** The anchor stored under `Key` (a version, or the latest), undefined if it holds none, 'missing' if there is nothing. */
  private async read(Key: string, VersionId?: string): Promise<Anchor | undefined | 'missing'> {
    let body;
    try {
      body = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key, ...(VersionId ? { VersionId } : {}) }));
    } catch (err) {
      if (isNotFound(err)) return 'missing';
      throw err;
    }
    try {
      return parseAnchor((JSON.parse(await body.Body!.transformToString('utf8')) as { anchor?: unknown }).anchor);
    } catch {
      return undefined;
    }
  }

  private async allVersions(): Promise<ObjectVersion[]> {
    const out: ObjectVersion[] = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    for (;;) {
      const page = await this.s3.send(
        new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: `${this.prefix}anchors/`, ...(KeyMarker ? { KeyMarker } : {}), ...(VersionIdMarker ? { VersionIdMarker } : {}) }),
      );
      out.push(...(page.Versions ?? []));
      if (!page.IsTruncated) return out;
      KeyMarker = page.NextKeyMarker;
      VersionIdMarker = page.NextVersionIdMarker;
    }
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}
