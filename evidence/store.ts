// Append-only, keyed, anchored evidence store (DESIGN.md §2 "Audit controls", invariant 9).
//
// One JSON object per line in <dir>/evidence.jsonl:
//   { v: 2, seq, at, id, kind, keyId, prevHash, hash, record }
// hash = HMAC-SHA256 under the evidence key `keyId` over everything else (evidence/chain.ts);
// prevHash = the previous line's hash ("0" * 64 for the first line). Changing, deleting or
// reordering a line breaks the chain, and without the key nobody can re-chain it. After every
// append the new head (seq, hash) is anchored in every anchor store (anchors/: the local working
// copy, and S3 with Object Lock in production), so verify() also catches a deleted tail, a middle
// re-chained by someone holding the key, and an append the writer never anchored.
//
// Invariants:
// - The file is only ever appended to: never rewritten, truncated or renamed.
// - One writer at a time: an in-process promise queue plus an exclusive lock file for other
//   processes, so the chain never forks; anchors are written under the same lock, in order.
// - append() is idempotent by id, because an activity may be retried after it already wrote; a
//   retried append also anchors the head if the first attempt stopped before anchoring.
// - No secret ever enters the file: every record passes assertNoSecrets first.
// - A store opened without a key (tests, old deployments) writes unkeyed v1 lines, which verify()
//   reports as unkeyed.

import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { assertNoSecrets, SecretDetectedError } from '../config/redact';
import { canonicalJson } from './canonical-json';
import { GENESIS_HASH, KEYED_ENTRY_VERSION, entryHash, keyedEntryHash, makeAnchor, safeLinkCheck } from './chain';
import type { EvidenceEntry } from './chain';
import type { AnchorListing, AnchorStore } from './anchors/anchor-store';
import type { EvidenceKeyRing } from './evidence-key';
import { EvidenceInputError, EvidenceIoError, EvidenceLockError, EvidenceSecretError } from './errors';
import { parseEntry, splitLines, verifyChain, verifyText } from './verify';
import type { VerifyResult } from './verify';

export { GENESIS_HASH, entryHash, sha256Hex } from './chain';
export type { EvidenceEntry } from './chain';
export { verifyText } from './verify';
export type { VerifyProblem, VerifyResult } from './verify';

export const DEFAULT_EVIDENCE_DIR = '.data/evidence';
export const EVIDENCE_FILE = 'evidence.jsonl';
export const LOCK_FILE = 'evidence.jsonl.lock';

export interface AppendInput {
  id: string;
  kind: string;
  record: Record<string, unknown>;
}

export interface AppendResult {
  seq: number;
  hash: string;
  duplicate: boolean;
}

export interface ListFilter {
  kind?: string;
  /** Inclusive lower bound on `at`. */
  since?: Date;
  /** Exclusive upper bound on `at`. */
  until?: Date;
}

export interface EvidenceStoreOptions {
  /** Clock for `at`; injectable for tests. */
  now?: () => Date;
  /** A lock file older than this is considered abandoned by a crashed writer. Default 30 s. */
  lockStaleMs?: number;
  /** Give up acquiring the lock after this long. Default 60 s. */
  lockTimeoutMs?: number;
  /** The evidence key ring: appends are HMAC-linked under its active key, and verify() checks keyed links. */
  keys?: EvidenceKeyRing;
  /** Where each new head is anchored (and what verify() compares with). Default: the local working copy only when keys are given. */
  anchors?: AnchorStore[];
}

const ID_MAX = 512;
const KIND_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

/** What the writer knows about the file so far; advanced incrementally by reading new bytes. */
interface TailState {
  /** Bytes of complete lines consumed so far. */
  offset: number;
  /** File size seen at the last refresh (offset plus any unterminated line). */
  end: number;
  lastSeq: number;
  lastHash: string;
  ids: Map<string, { seq: number; hash: string }>;
  /** Bytes after the last newline (an unterminated line, e.g. from a crash mid-write). */
  partial: boolean;
  /** The last seq this process anchored (anchors are idempotent; this only saves work). */
  anchoredSeq: number;
  /** The head entry, to anchor. */
  lastEntry?: EvidenceEntry;
}

export class EvidenceStore {
  readonly dir: string;
  readonly file: string;
  private readonly lockPath: string;
  private readonly now: () => Date;
  private readonly lockStaleMs: number;
  private readonly lockTimeoutMs: number;
  private readonly keys: EvidenceKeyRing | undefined;
  readonly anchors: AnchorStore[];
  private queue: Promise<unknown> = Promise.resolve();
  private tail: TailState = freshTail();

  constructor(dir: string = DEFAULT_EVIDENCE_DIR, options: EvidenceStoreOptions = {}) {
    this.dir = path.resolve(dir);
    this.file = path.join(this.dir, EVIDENCE_FILE);
    this.lockPath = path.join(this.dir, LOCK_FILE);
    this.now = options.now ?? (() => new Date());
    this.lockStaleMs = options.lockStaleMs ?? 30_000;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 60_000;
    this.keys = options.keys;
    this.anchors = options.anchors ?? [];
  }

  /** Whether appends are keyed (HMAC links) rather than legacy unkeyed. */
  get keyed(): boolean {
    return this.keys !== undefined;
  }

  /**
   * Appends one record. Idempotent by `id`: if an entry with this id exists, returns it with
   * `duplicate: true` and writes nothing (the stored record wins, even if the new one differs).
   * Throws EvidenceSecretError if the record holds a secret-looking value.
   */
  append(input: AppendInput): Promise<AppendResult> {
    let prepared: AppendInput;
    try {
      prepared = prepare(input);
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.queue.then(() => this.withLock(() => this.appendLocked(prepared)));
    // The queue must survive a failed append, or every later append would fail too.
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Whether an entry with this id is in the store, read as append reads it (under the writer's lock). */
  has(id: string): Promise<boolean> {
    const run = this.queue.then(() =>
      this.withLock(async () => {
        await this.refreshTail();
        return this.tail.ids.has(id);
      }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Well-formed entries in file order, optionally filtered. Unparsable lines are skipped (verify() reports them). */
  async list(filter: ListFilter = {}): Promise<EvidenceEntry[]> {
    const text = await this.readAll();
    const since = filter.since?.getTime();
    const until = filter.until?.getTime();
    const out: EvidenceEntry[] = [];
    for (const raw of splitLines(text).lines) {
      const parsed = parseEntry(raw);
      if (!parsed.entry) continue;
      const e = parsed.entry;
      if (filter.kind !== undefined && filter.kind !== '' && e.kind !== filter.kind) continue;
      const t = Date.parse(e.at);
      if (since !== undefined && !(t >= since)) continue;
      if (until !== undefined && !(t < until)) continue;
      out.push(e);
    }
    return out;
  }

  /**
   * Re-reads the whole file and checks every link (keyed ones under the key ring), sequence number
   * and id, then compares the chain with every anchor store's anchors.
   */
  async verify(): Promise<VerifyResult> {
    const text = await this.readAll();
    if (this.anchors.length === 0) return verifyText(text, this.keys);
    const listings = await Promise.all(this.anchors.map(async (a) => ({ where: a.where, listing: await a.list() })));
    return verifyChain(text, this.keys, await this.withoutLaterAppends(text, listings));
  }

  /**
   * The file is read before the anchors are listed (so every line read must be anchored: a line
   * without one is a forged append), which lets a worker's append land in between: its anchor is
   * listed, its line was not read. Anchors past the text's last line are dropped when the file has
   * grown by exactly those lines since (a later verify checks them); otherwise they stay and are
   * reported, as a deleted tail must be.
   */
  private async withoutLaterAppends<L extends { listing: AnchorListing }>(text: string, listings: L[]): Promise<L[]> {
    const head = lastSeqOf(text);
    if (!listings.some((l) => l.listing.anchors.some((a) => a.seq > head))) return listings;
    const later = await this.readAll();
    if (later.length <= text.length || !later.startsWith(text)) return listings;
    const laterHead = lastSeqOf(later);
    return listings.map((l) => ({ ...l, listing: { ...l.listing, anchors: l.listing.anchors.filter((a) => a.seq <= head || a.seq > laterHead) } }));
  }

  /** Whether the evidence file exists (an auditor pointed at the wrong directory must be told). */
  async exists(): Promise<boolean> {
    try {
      await fs.access(this.file);
      return true;
    } catch {
      return false;
    }
  }

  private async readAll(): Promise<string> {
    try {
      return await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return '';
      throw new EvidenceIoError(`cannot read ${this.file}`, { cause: err });
    }
  }

  private async appendLocked(input: AppendInput): Promise<AppendResult> {
    await this.refreshTail();
    const existing = this.tail.ids.get(input.id);
    if (existing) {
      // A retried append whose first attempt wrote the line but stopped before anchoring it.
      await this.anchorHead();
      return { seq: existing.seq, hash: existing.hash, duplicate: true };
    }

    const base = {
      seq: this.tail.lastSeq + 1,
      at: this.now().toISOString(),
      id: input.id,
      kind: input.kind,
      prevHash: this.tail.lastHash,
      record: input.record,
    };
    let entry: EvidenceEntry;
    if (this.keys) {
      const keyId = this.keys.activeKeyId;
      const hash = keyedEntryHash(this.keys.keys.get(keyId) as Buffer, { ...base, keyId });
      entry = { v: KEYED_ENTRY_VERSION, seq: base.seq, at: base.at, id: base.id, kind: base.kind, keyId, prevHash: base.prevHash, hash, record: base.record };
    } else {
      entry = { seq: base.seq, at: base.at, id: base.id, kind: base.kind, prevHash: base.prevHash, hash: entryHash(base), record: base.record };
    }
    // A crash mid-write can leave an unterminated line; end it so this entry starts on its own
    // line. The broken line stays in the file (never rewritten) and verify() reports it.
    const line = `${this.tail.partial ? '\n' : ''}${JSON.stringify(entry)}\n`;
    const bytes = Buffer.from(line, 'utf8');

    const created = this.tail.offset === 0 && !(await this.exists());
    let fh: FileHandle | undefined;
    try {
      fh = await fs.open(this.file, 'a', 0o640);
      await fh.write(bytes, 0, bytes.length);
      await fh.sync();
    } catch (err) {
      throw new EvidenceIoError(`cannot append to ${this.file}`, { cause: err });
    } finally {
      await fh?.close();
    }
    if (created) await fsyncDir(this.dir);

    this.tail.end += bytes.length;
    this.tail.offset = this.tail.end;
    this.tail.lastSeq = entry.seq;
    this.tail.lastHash = entry.hash;
    this.tail.partial = false;
    this.tail.ids.set(entry.id, { seq: entry.seq, hash: entry.hash });
    this.tail.lastEntry = entry;
    await this.anchorHead();
    return { seq: entry.seq, hash: entry.hash, duplicate: false };
  }

  /** Anchors the current head in every anchor store, in order (under the lock). */
  private async anchorHead(): Promise<void> {
    const head = this.tail.lastEntry;
    if (!this.keys || this.anchors.length === 0 || !head || head.seq <= this.tail.anchoredSeq) return;
    const anchor = makeAnchor(this.keys, head, this.now().toISOString());
    for (const store of this.anchors) {
      try {
        await store.put(anchor, head);
      } catch (err) {
        // The line is written; the retried append (same id) anchors it then.
        throw new EvidenceIoError(`evidence seq ${head.seq} written but not anchored in ${store.where}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    }
    this.tail.anchoredSeq = head.seq;
  }

  /** Reads bytes appended since the last call (by this or another process). Must hold the lock. */
  private async refreshTail(): Promise<void> {
    let size: number;
    try {
      size = (await fs.stat(this.file)).size;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        this.tail = freshTail();
        return;
      }
      throw new EvidenceIoError(`cannot stat ${this.file}`, { cause: err });
    }
    // The file shrank: someone truncated it behind our back. Rebuild from what is there; the
    // chain will show the damage in verify().
    if (size < this.tail.end) this.tail = freshTail();
    if (size === this.tail.offset && !this.tail.partial) return;

    // Re-read from the start of the last unterminated line, if any, so it can complete.
    const start = this.tail.offset;
    const fh = await fs.open(this.file, 'r');
    let chunk: Buffer;
    try {
      chunk = Buffer.alloc(size - start);
      let read = 0;
      while (read < chunk.length) {
        const { bytesRead } = await fh.read(chunk, read, chunk.length - read, start + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      chunk = chunk.subarray(0, read);
    } finally {
      await fh.close();
    }
    const lastNl = chunk.lastIndexOf(0x0a);
    const complete = lastNl >= 0 ? chunk.subarray(0, lastNl + 1) : Buffer.alloc(0);
    for (const raw of complete.toString('utf8').split('\n')) {
      if (raw.trim() === '') continue;
      const { entry } = parseEntry(raw);
      if (!entry) continue;
      // A keyed writer builds only on lines it can vouch for: the next seq, linked to the head, with a
      // link it can recompute. A line written without the key (a forged seq of 2^53-1, a forged id
      // that would make a real record look like a retry) is skipped: it neither moves the head nor
      // claims an id, and verify() reports it. (Every process must hold every active key: docs/audit.md.)
      if (this.keys && !this.continuesChain(entry)) continue;
      if (!this.tail.ids.has(entry.id)) this.tail.ids.set(entry.id, { seq: entry.seq, hash: entry.hash });
      if (entry.seq > this.tail.lastSeq) {
        this.tail.lastSeq = entry.seq;
        this.tail.lastHash = entry.hash;
        this.tail.lastEntry = entry;
      }
    }
    this.tail.offset = start + complete.length;
    this.tail.end = start + chunk.length;
    this.tail.partial = complete.length < chunk.length;
  }

  private continuesChain(entry: EvidenceEntry): boolean {
    if (entry.seq !== this.tail.lastSeq + 1 || entry.prevHash !== this.tail.lastHash) return false;
    // Legacy unkeyed lines only before the first keyed one (a store that was given a key later).
    if (entry.v === undefined && this.tail.lastEntry?.v !== undefined) return false;
    return safeLinkCheck(entry, this.keys);
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    await fs.mkdir(this.dir, { recursive: true });
    const token = await this.acquireLock();
    try {
      return await fn();
    } finally {
      await this.releaseLock(token);
    }
  }

  private async acquireLock(): Promise<string> {
    const token = `${process.pid}:${randomUUID()}`;
    const deadline = Date.now() + this.lockTimeoutMs;
    let delay = 2;
    for (;;) {
      try {
        const fh = await fs.open(this.lockPath, 'wx', 0o640);
        try {
          await fh.writeFile(`${token}\n`, 'utf8');
        } finally {
          await fh.close();
        }
        return token;
      } catch (err) {
        if (!isErrno(err, 'EEXIST')) throw new EvidenceIoError(`cannot create lock ${this.lockPath}`, { cause: err });
      }
      await this.breakStaleLock();
      if (Date.now() > deadline) {
        throw new EvidenceLockError(`timed out after ${this.lockTimeoutMs} ms waiting for ${this.lockPath}`);
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 50);
    }
  }

  /**
   * Removes a lock left by a crashed writer. Rename-then-check so that two processes breaking
   * the same stale lock cannot delete a fresh lock the other has just taken: whoever renames
   * a lock that turns out not to be the stale one puts it back.
   */
  private async breakStaleLock(): Promise<void> {
    let stale: { mtimeMs: number; content: string };
    try {
      const st = await fs.stat(this.lockPath);
      if (Date.now() - st.mtimeMs < this.lockStaleMs) return;
      stale = { mtimeMs: st.mtimeMs, content: await fs.readFile(this.lockPath, 'utf8') };
    } catch {
      return;
    }
    const aside = `${this.lockPath}.stale-${process.pid}-${randomUUID()}`;
    try {
      await fs.rename(this.lockPath, aside);
    } catch {
      return;
    }
    try {
      const content = await fs.readFile(aside, 'utf8');
      if (content !== stale.content) {
        await fs.link(aside, this.lockPath).catch(() => undefined);
      }
    } finally {
      await fs.unlink(aside).catch(() => undefined);
    }
  }

  private async releaseLock(token: string): Promise<void> {
    try {
      const content = await fs.readFile(this.lockPath, 'utf8');
      if (content.trim() === token) await fs.unlink(this.lockPath);
    } catch {
      // Lock already gone (broken as stale); nothing to release.
    }
  }
}

function freshTail(): TailState {
  return { offset: 0, end: 0, lastSeq: 0, lastHash: GENESIS_HASH, ids: new Map(), partial: false, anchoredSeq: 0 };
}

/** Validates the input and normalises the record to exactly what JSON will store. */
function prepare(input: AppendInput): AppendInput {
  if (typeof input?.id !== 'string' || input.id.length === 0 || input.id.length > ID_MAX || /[\r\n]/.test(input.id)) {
    throw new EvidenceInputError(`evidence id must be a non-empty single-line string of at most ${ID_MAX} chars`);
  }
  if (typeof input.kind !== 'string' || !KIND_PATTERN.test(input.kind)) {
    throw new EvidenceInputError(`evidence kind ${JSON.stringify(input.kind)} must match ${KIND_PATTERN}`);
  }
  if (input.record === null || typeof input.record !== 'object' || Array.isArray(input.record)) {
    throw new EvidenceInputError('evidence record must be a plain object');
  }
  let record: Record<string, unknown>;
  try {
    // Hash what will be stored: Dates become strings, undefined disappears.
    record = JSON.parse(canonicalJson(input.record)) as Record<string, unknown>;
  } catch (err) {
    throw new EvidenceInputError('evidence record is not serialisable to JSON', { cause: err });
  }
  try {
    assertNoSecrets({ id: input.id, kind: input.kind, record }, `evidence ${input.kind} ${input.id}`);
  } catch (err) {
    if (err instanceof SecretDetectedError) {
      throw new EvidenceSecretError(`refusing to store evidence: ${err.message}`, { cause: err });
    }
    throw err;
  }
  return { id: input.id, kind: input.kind, record };
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function fsyncDir(dir: string): Promise<void> {
  // Makes the new file's directory entry durable; not supported on every platform.
  let fh: FileHandle | undefined;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch {
    // best effort
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** The seq of the text's last line, 0 when it has none that parses. */
function lastSeqOf(text: string): number {
  const lines = text.trimEnd().split('\n');
  try {
    const seq = (JSON.parse(lines[lines.length - 1] ?? '') as { seq?: unknown }).seq;
    return typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : 0;
  } catch {
    return 0;
  }
}
