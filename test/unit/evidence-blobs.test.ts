// The content-addressed blob store next to the evidence chain: a value comes back as it went in, the
// same value is one file, an edited or missing blob is refused with a stable code, and secret-shaped
// text is redacted before anything reaches the disk.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { REDACTED } from '../../config/redact';
import { BlobError, BlobStore, MAX_BLOB_BYTES } from '../../evidence/blobs';

// Shaped like an AWS secret access key (AWS's documentation example); never a real one.
const SECRET_SHAPED = ['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYEXAMPLEKEY'].join('/');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-blobs-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Every file under the store's directory, relative to it. */
function filesIn(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

const fileOf = (store: BlobStore, sha256: string): string => path.join(store.dir, sha256.slice(0, 2), `${sha256}.json.gz`);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(BlobError);
    return (err as BlobError).code;
  }
  throw new Error('expected a BlobError');
}

describe('BlobStore', () => {
  const inventory = { accountId: '111111111111', principals: [{ key: 'arn:aws:iam::111111111111:user/alice', tags: { owner: 'alice' } }], count: 1 };

  it('gives back the value it stored, under the blobs folder of the evidence directory', async () => {
    const store = new BlobStore(dir);
    const ref = await store.put(inventory, 'inventory 111111111111');
    const json = JSON.stringify(inventory);
    expect(ref).toEqual({ sha256: createHash('sha256').update(json).digest('hex'), bytes: Buffer.byteLength(json), label: 'inventory 111111111111' });
    expect(store.dir).toBe(path.join(dir, 'blobs'));
    expect(await store.get(ref)).toEqual(inventory);
    // A second store on the same directory (another process) reads it too.
    expect(await new BlobStore(dir).get({ sha256: ref.sha256 })).toEqual(inventory);
  });

  it('stores the same value once: the same reference, one file, whatever the label', async () => {
    const store = new BlobStore(dir);
    const a = await store.put(inventory, 'first');
    const b = await store.put({ ...inventory }, 'second');
    expect(b.sha256).toBe(a.sha256);
    expect(b.label).toBe('second');
    expect(filesIn(store.dir)).toEqual([path.join(a.sha256.slice(0, 2), `${a.sha256}.json.gz`)]);
    const other = await store.put({ ...inventory, count: 2 }, 'third');
    expect(other.sha256).not.toBe(a.sha256);
    expect(filesIn(store.dir)).toHaveLength(2);
  });

  it('stores the same value put several times at once, leaving no temporary file behind', async () => {
    const store = new BlobStore(dir);
    const refs = await Promise.all(Array.from({ length: 8 }, () => store.put(inventory, 'retried')));
    expect(new Set(refs.map((r) => r.sha256)).size).toBe(1);
    expect(filesIn(store.dir)).toEqual([path.join(refs[0]!.sha256.slice(0, 2), `${refs[0]!.sha256}.json.gz`)]);
    expect(await store.get(refs[0]!)).toEqual(inventory);
  });

  it('refuses a blob whose content was changed as BLOB_CORRUPT', async () => {
    const store = new BlobStore(dir);
    const ref = await store.put(inventory, 'inventory');
    const file = fileOf(store, ref.sha256);
    const edited = gunzipSync(fs.readFileSync(file)).toString('utf8').replace('alice', 'mallory');
    fs.writeFileSync(file, gzipSync(edited));
    expect(await codeOf(store.get(ref))).toBe('BLOB_CORRUPT');
  });

  it('refuses a blob file replaced by something that is not gzip as BLOB_CORRUPT', async () => {
    const store = new BlobStore(dir);
    const ref = await store.put(inventory, 'inventory');
    fs.writeFileSync(fileOf(store, ref.sha256), JSON.stringify(inventory));
    expect(await codeOf(store.get(ref))).toBe('BLOB_CORRUPT');
  });

  it('refuses a reference to a blob that is not there as BLOB_NOT_FOUND', async () => {
    const store = new BlobStore(dir);
    expect(await codeOf(store.get({ sha256: 'a'.repeat(64) }))).toBe('BLOB_NOT_FOUND');
  });

  it.each([
    ['a short hash', 'abc123'],
    ['upper-case hex', 'A'.repeat(64)],
    ['a path', `../${'a'.repeat(61)}`],
    ['an empty string', ''],
  ])('refuses %s as a reference (BLOB_INVALID_REF) without reading anything', async (_what, sha256) => {
    expect(await codeOf(new BlobStore(dir).get({ sha256 }))).toBe('BLOB_INVALID_REF');
  });

  it('refuses a gzip bomb planted under a blob name (BLOB_CORRUPT) without inflating it past the limit', async () => {
    const limit = 1024 * 1024;
    const store = new BlobStore(dir, { maxBytes: limit });
    // 8 MiB of one byte compresses to about 8 KB: the shape of the 1.5 MB file that inflated to 3 GB.
    const bomb = gzipSync(Buffer.alloc(8 * limit, 0x20));
    expect(bomb.length).toBeLessThan(limit / 64);
    const sha256 = 'c'.repeat(64);
    fs.mkdirSync(path.dirname(fileOf(store, sha256)), { recursive: true });
    fs.writeFileSync(fileOf(store, sha256), bomb);
    const err = await store.get({ sha256 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlobError);
    expect(err).toMatchObject({ code: 'BLOB_CORRUPT', message: `blob ${sha256} was changed: it inflates to more than ${limit} bytes (a blob Safeguard writes is far smaller)` });
  });

  it('reads a blob up to the limit, and defaults the limit to 256 MiB', async () => {
    const value = { rows: 'x'.repeat(1000) };
    const ref = await new BlobStore(dir).put(value, 'rows');
    expect(await new BlobStore(dir, { maxBytes: ref.bytes }).get(ref)).toEqual(value);
    expect(await codeOf(new BlobStore(dir, { maxBytes: ref.bytes - 1 }).get(ref))).toBe('BLOB_CORRUPT');
    expect(MAX_BLOB_BYTES).toBe(256 * 1024 * 1024);
  });

  it('redacts a secret-shaped string before storing it, and names the blob by what was stored', async () => {
    const store = new BlobStore(dir);
    const value = { detail: `pasted ${SECRET_SHAPED} by mistake`, SecretAccessKey: 'anything', key: 'arn:aws:iam::111111111111:user/alice' };
    const ref = await store.put(value, 'receipts');
    const onDisk = gunzipSync(fs.readFileSync(fileOf(store, ref.sha256))).toString('utf8');
    expect(onDisk).not.toContain(SECRET_SHAPED);
    expect(onDisk).not.toContain('anything');
    expect(await store.get(ref)).toEqual({ detail: `pasted ${REDACTED} by mistake`, SecretAccessKey: REDACTED, key: 'arn:aws:iam::111111111111:user/alice' });
    expect(ref.sha256).toBe(createHash('sha256').update(onDisk).digest('hex'));
  });
});
