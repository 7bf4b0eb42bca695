// Content-addressed blobs next to the evidence chain: what is too big for a workflow history or an
// evidence record (an account's inventory, a reviewer's items, a review report). A blob is named by the
// sha256 of its JSON, so the evidence record that names it pins its content: an edited blob no longer
// matches its name, and get() refuses it. Written once (temporary file, then rename), never rewritten.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { redactSecretShapes } from '../config/redact';
import type { BlobRef } from './blob-ref';

const gz = promisify(gzip);
const gunz = promisify(gunzip);
const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The most a blob may inflate to. gzip compresses a run of one byte about 1000:1, so a 1.5 MB file
 * dropped into blobs/ would otherwise inflate to gigabytes in `audit export` or a review report (a
 * memory exhaustion from a file anyone with write access to the directory can plant). The largest
 * blobs Safeguard writes, an organisation's review inventory, are a few MB of JSON.
 */
export const MAX_BLOB_BYTES = 256 * 1024 * 1024;

export class BlobError extends Error {
  constructor(
    readonly code: 'BLOB_NOT_FOUND' | 'BLOB_CORRUPT' | 'BLOB_INVALID_REF',
    message: string,
  ) {
    super(message);
    this.name = 'BlobError';
  }
}

export class BlobStore {
  readonly dir: string;
  private readonly maxBytes: number;

  /** `evidenceDir` is the evidence store's directory: blobs live in its `blobs/` folder. `maxBytes`
   * bounds what get() inflates (default MAX_BLOB_BYTES; tests lower it). */
  constructor(evidenceDir: string, opts: { maxBytes?: number } = {}) {
    this.dir = path.join(path.resolve(evidenceDir), 'blobs');
    this.maxBytes = opts.maxBytes ?? MAX_BLOB_BYTES;
  }

  /** Stores a JSON value; the same value stored twice is one blob. Secret-shaped strings are redacted first, as in evidence records. */
  async put(value: unknown, label: string): Promise<BlobRef> {
    const { value: clean } = redactSecretShapes(value);
    const json = JSON.stringify(clean);
    const sha256 = createHash('sha256').update(json, 'utf8').digest('hex');
    const file = this.fileOf(sha256);
    const bytes = Buffer.byteLength(json, 'utf8');
    try {
      await fs.access(file);
      return { sha256, bytes, label };
    } catch {
      // not there yet
    }
    await fs.mkdir(path.dirname(file), { recursive: true });
    // Unique per call: two puts of the same value at once (a retried activity beside the first attempt)
    // would otherwise share one temporary file, and the second rename would find it gone.
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    await fs.writeFile(tmp, await gz(Buffer.from(json, 'utf8')));
    await fs.rename(tmp, file);
    return { sha256, bytes, label };
  }

  /** Reads a blob back, refusing one whose content no longer matches its name. */
  async get<T = unknown>(ref: Pick<BlobRef, 'sha256'>): Promise<T> {
    if (!HEX64.test(ref.sha256)) throw new BlobError('BLOB_INVALID_REF', `not a blob reference: ${String(ref.sha256).slice(0, 80)}`);
    let raw: Buffer;
    try {
      raw = await fs.readFile(this.fileOf(ref.sha256));
    } catch {
      throw new BlobError('BLOB_NOT_FOUND', `blob ${ref.sha256} is not in ${this.dir}`);
    }
    let json: string;
    try {
      json = (await gunz(raw, { maxOutputLength: this.maxBytes })).toString('utf8');
    } catch (err) {
      // zlib stops inflating at the limit: nothing Safeguard wrote is that large, so the file was replaced.
      if (err instanceof RangeError || (err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new BlobError('BLOB_CORRUPT', `blob ${ref.sha256} was changed: it inflates to more than ${this.maxBytes} bytes (a blob Safeguard writes is far smaller)`);
      }
      // A file replaced by anything but gzip was changed as surely as one whose content no longer hashes to its name.
      throw new BlobError('BLOB_CORRUPT', `blob ${ref.sha256} was changed: it is no longer gzip-compressed JSON`);
    }
    const actual = createHash('sha256').update(json, 'utf8').digest('hex');
    if (actual !== ref.sha256) throw new BlobError('BLOB_CORRUPT', `blob ${ref.sha256} was changed: its content hashes to ${actual}`);
    return JSON.parse(json) as T;
  }

  private fileOf(sha256: string): string {
    return path.join(this.dir, sha256.slice(0, 2), `${sha256}.json.gz`);
  }
}
