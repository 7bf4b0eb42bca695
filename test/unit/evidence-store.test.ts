import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { canonicalJson } from '../../evidence/canonical-json';
import { EvidenceLockError, EvidenceSecretError, EvidenceInputError } from '../../evidence/errors';
import { EvidenceStore, GENESIS_HASH, entryHash, verifyText } from '../../evidence/store';
import type { EvidenceEntry } from '../../evidence/store';
import { readFileSync, writeFileSync } from 'node:fs';
import { DEFAULT_EVIDENCE_DIR } from '../../evidence/store';

const run = promisify(execFile);
let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'evidence-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const file = (): string => path.join(dir, 'evidence.jsonl');
const readLines = async (): Promise<string[]> => (await fs.readFile(file(), 'utf8')).split('\n').filter((l) => l !== '');
const writeLines = (lines: string[]): Promise<void> => fs.writeFile(file(), lines.map((l) => `${l}\n`).join(''));

async function seed(store: EvidenceStore, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    await store.append({ id: `ev-${i}`, kind: i % 2 ? 'break-glass.granted' : 'break-glass.revoked', record: { i, requester: 'alice' } });
  }
}

describe('canonicalJson', () => {
  it('is independent of key order at every depth', () => {
    const a = { b: 1, a: { y: [1, { q: 1, p: 2 }], x: 's' }, c: null };
    const b = { c: null, a: { x: 's', y: [1, { p: 2, q: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"x":"s","y":[1,{"p":2,"q":1}]},"b":1,"c":null}');
  });

  it('follows JSON.stringify for undefined, dates, non-finite numbers and array order', () => {
    expect(canonicalJson({ u: undefined, d: new Date(0), n: NaN, arr: [3, undefined, 1] })).toBe(
      '{"arr":[3,null,1],"d":"1970-01-01T00:00:00.000Z","n":null}',
    );
    expect(JSON.parse(canonicalJson({ s: 'line\n"quoted"' }))).toEqual({ s: 'line\n"quoted"' });
  });

  it('rejects circular structures and BigInt', () => {
    const o: Record<string, unknown> = {};
    o.self = o;
    expect(() => canonicalJson(o)).toThrow(/circular/);
    expect(() => canonicalJson({ n: BigInt(1) })).toThrow(/BigInt/);
  });
});

describe('EvidenceStore', () => {
  it('appends, lists and verifies a hash-chained file', async () => {
    let t = Date.parse('2026-03-01T00:00:00Z');
    const store = new EvidenceStore(dir, { now: () => new Date((t += 60_000)) });
    const r1 = await store.append({ id: 'a', kind: 'break-glass.granted', record: { role: 'BreakGlassAdmin', requester: 'alice' } });
    const r2 = await store.append({ id: 'b', kind: 'break-glass.revoked', record: { outcome: 'revoked' } });
    expect(r1).toMatchObject({ seq: 1, duplicate: false });
    expect(r2).toMatchObject({ seq: 2, duplicate: false });

    const entries = await store.list();
    expect(entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(entries[0]?.prevHash).toBe(GENESIS_HASH);
    expect(entries[1]?.prevHash).toBe(r1.hash);
    expect(entries[0]?.at).toBe('2026-03-01T00:01:00.000Z');
    for (const e of entries) expect(entryHash(e)).toBe(e.hash);

    expect(await store.list({ kind: 'break-glass.revoked' })).toHaveLength(1);
    expect(await store.list({ since: new Date('2026-03-01T00:02:00Z') })).toHaveLength(1);
    expect(await store.list({ until: new Date('2026-03-01T00:02:00Z') })).toHaveLength(1);

    const v = await store.verify();
    expect(v).toEqual({ ok: true, entries: 2, problems: [], headHash: r2.hash, unkeyed: 2 });

    // The line layout is the documented one.
    const line = JSON.parse((await readLines())[0] ?? '') as Record<string, unknown>;
    expect(Object.keys(line)).toEqual(['seq', 'at', 'id', 'kind', 'prevHash', 'hash', 'record']);
  });

  it('verifies an empty or missing store as intact with no entries', async () => {
    const store = new EvidenceStore(path.join(dir, 'nothing'));
    expect(await store.verify()).toEqual({ ok: true, entries: 0, problems: [], unkeyed: 0 });
    expect(await store.list()).toEqual([]);
    expect(await store.exists()).toBe(false);
  });

  it('is idempotent by id: a retried append writes nothing and returns the first entry', async () => {
    const store = new EvidenceStore(dir);
    const first = await store.append({ id: 'wf-1:granted', kind: 'k', record: { n: 1 } });
    const again = await store.append({ id: 'wf-1:granted', kind: 'k', record: { n: 2 } });
    expect(again).toEqual({ seq: first.seq, hash: first.hash, duplicate: true });
    expect(await readLines()).toHaveLength(1);

    // A fresh instance (a restarted worker) also sees the id.
    const other = new EvidenceStore(dir);
    expect(await other.append({ id: 'wf-1:granted', kind: 'k', record: { n: 3 } })).toMatchObject({ duplicate: true, seq: 1 });
  });

  it('serialises 50 concurrent appends into seq 1..50 with an intact chain', async () => {
    const store = new EvidenceStore(dir);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.append({ id: `c-${i}`, kind: 'k', record: { i } })),
    );
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const v = await store.verify();
    expect(v.ok).toBe(true);
    expect(v.entries).toBe(50);
  });

  it('concurrent duplicate appends of the same id write it once', async () => {
    const store = new EvidenceStore(dir);
    const results = await Promise.all(Array.from({ length: 5 }, () => store.append({ id: 'same', kind: 'k', record: {} })));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await readLines()).toHaveLength(1);
  });

  it('keeps the chain intact when two store instances on one directory append concurrently (lock file)', async () => {
    const a = new EvidenceStore(dir);
    const b = new EvidenceStore(dir);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).append({ id: `x-${i}`, kind: 'k', record: { i } })),
    );
    const v = await a.verify();
    expect(v.problems).toEqual([]);
    expect(v.entries).toBe(40);
    expect((await a.list()).map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    await expect(fs.access(path.join(dir, 'evidence.jsonl.lock'))).rejects.toThrow();
  });

  it('keeps the chain intact when separate processes append concurrently', async () => {
    const storePath = path.resolve(__dirname, '../../evidence/store.ts');
    const script = path.join(dir, 'child.ts');
    await fs.writeFile(
      script,
      `import { EvidenceStore } from ${JSON.stringify(storePath.replace(/\.ts$/, ''))};
const [d, tag] = process.argv.slice(2);
const s = new EvidenceStore(d!);
void (async () => { for (let i = 0; i < 15; i++) await s.append({ id: tag + '-' + i, kind: 'k', record: { i } }); })();
`,
    );
    const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');
    const data = path.join(dir, 'data');
    await Promise.all(['p1', 'p2', 'p3'].map((tag) => run(tsx, [script, data, tag])));
    const store = new EvidenceStore(data);
    const v = await store.verify();
    expect(v.problems).toEqual([]);
    expect(v.entries).toBe(45);
  }, 60_000);

  it('takes over a stale lock left by a crashed writer', async () => {
    const store = new EvidenceStore(dir, { lockStaleMs: 1_000 });
    const lock = path.join(dir, 'evidence.jsonl.lock');
    await fs.writeFile(lock, '999999:crashed\n');
    const old = new Date(Date.now() - 5_000);
    await fs.utimes(lock, old, old);
    await expect(store.append({ id: 'after-crash', kind: 'k', record: {} })).resolves.toMatchObject({ seq: 1 });
  });

  it('times out with EvidenceLockError while another writer holds a fresh lock, and recovers after', async () => {
    const store = new EvidenceStore(dir, { lockTimeoutMs: 150 });
    const lock = path.join(dir, 'evidence.jsonl.lock');
    await fs.writeFile(lock, 'other-process\n');
    const err = await store.append({ id: 'blocked', kind: 'k', record: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvidenceLockError);
    expect(err).toMatchObject({ name: 'EvidenceLockError', code: 'EVIDENCE_LOCK_TIMEOUT' });
    await fs.unlink(lock);
    // The in-process queue survives the failure.
    await expect(store.append({ id: 'unblocked', kind: 'k', record: {} })).resolves.toMatchObject({ seq: 1 });
  });

  it('refuses a record that contains a secret and writes nothing', async () => {
    const store = new EvidenceStore(dir);
    const err = await store
      .append({ id: 'leak', kind: 'k', record: { credentials: { AccessKeyId: 'AKIAIOSFODNN7EXAMPLE', SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvidenceSecretError);
    expect(err).toMatchObject({ name: 'EvidenceSecretError', code: 'EVIDENCE_CONTAINS_SECRET' });
    expect((err as Error).cause).toBeDefined();
    expect((err as Error).message).not.toContain('wJalrXUtnFEMI/K7MDENG');

    await expect(
      store.append({ id: 'leak2', kind: 'k', record: { note: 'token was xoxb-123456789012-abcdefghijkl' } }),
    ).rejects.toMatchObject({ code: 'EVIDENCE_CONTAINS_SECRET' });
    await expect(fs.access(file())).rejects.toThrow();

    // Redacted values and identifiers are fine.
    await expect(
      store.append({ id: 'ok', kind: 'k', record: { SecretAccessKey: '[REDACTED]', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' } }),
    ).resolves.toMatchObject({ seq: 1 });
  });

  it('rejects bad ids, kinds and records', async () => {
    const store = new EvidenceStore(dir);
    await expect(store.append({ id: '', kind: 'k', record: {} })).rejects.toBeInstanceOf(EvidenceInputError);
    await expect(store.append({ id: 'a\nb', kind: 'k', record: {} })).rejects.toMatchObject({ code: 'EVIDENCE_INVALID_INPUT' });
    await expect(store.append({ id: 'a', kind: 'bad kind', record: {} })).rejects.toMatchObject({ code: 'EVIDENCE_INVALID_INPUT' });
    await expect(store.append({ id: 'a', kind: 'k', record: [] as unknown as Record<string, unknown> })).rejects.toMatchObject({
      code: 'EVIDENCE_INVALID_INPUT',
    });
  });

  it('stores what it hashes: Dates become strings and undefined disappears', async () => {
    const store = new EvidenceStore(dir);
    await store.append({ id: 'd', kind: 'k', record: { when: new Date('2026-01-01T00:00:00Z'), gone: undefined } });
    expect((await store.list())[0]?.record).toEqual({ when: '2026-01-01T00:00:00.000Z' });
    expect((await store.verify()).ok).toBe(true);
  });

  it('never rewrites existing bytes: earlier lines are unchanged after more appends', async () => {
    const store = new EvidenceStore(dir);
    await seed(store, 3);
    const before = await fs.readFile(file(), 'utf8');
    await seed(new EvidenceStore(dir), 5);
    const after = await fs.readFile(file(), 'utf8');
    expect(after.startsWith(before)).toBe(true);
  });
});

describe('EvidenceStore.verify detects tampering', () => {
  let lines: string[];
  beforeEach(async () => {
    await seed(new EvidenceStore(dir), 5);
    lines = await readLines();
  });
  const entry = (i: number): EvidenceEntry => JSON.parse(lines[i] ?? '') as EvidenceEntry;
  // The exact findings; which record (id, workflowId) each names is asserted apart, below.
  const verify = async () => {
    const v = await new EvidenceStore(dir).verify();
    return { ...v, problems: v.problems.map(({ id: _id, workflowId: _w, ...p }) => p) };
  };

  it('names the record and the workflow of a bad entry', async () => {
    const e = entry(2);
    e.record.requester = 'mallory';
    e.record.workflowId = 'breakglass-BreakGlassAdmin-0123abcd';
    lines[2] = JSON.stringify(e);
    await writeLines(lines);
    const v = await new EvidenceStore(dir).verify();
    expect(v.problems).toEqual([{ seq: 3, line: 3, id: e.id, workflowId: 'breakglass-BreakGlassAdmin-0123abcd', problem: expect.stringMatching(/hash mismatch/) }]);
  });
  const problemLines = (v: { problems: Array<{ line: number }> }) => [...new Set(v.problems.map((p) => p.line))];

  it('a changed record (hash mismatch) on its line', async () => {
    const e = entry(2);
    e.record.requester = 'mallory';
    lines[2] = JSON.stringify(e);
    await writeLines(lines);
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([{ seq: 3, line: 3, problem: expect.stringMatching(/hash mismatch/) }]);
  });

  it('a changed record whose hash was recomputed breaks the link on the next line', async () => {
    const e = entry(2);
    e.record.requester = 'mallory';
    e.hash = entryHash(e);
    lines[2] = JSON.stringify(e);
    await writeLines(lines);
    const v = await verify();
    expect(v.problems).toEqual([{ seq: 4, line: 4, problem: expect.stringMatching(/broken link/) }]);
  });

  it('a deleted line', async () => {
    lines.splice(1, 1);
    await writeLines(lines);
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(problemLines(v)).toEqual([2]);
    expect(v.problems.map((p) => p.problem).join('; ')).toMatch(/seq gap: 2 is missing/);
    expect(v.problems.map((p) => p.problem).join('; ')).toMatch(/broken link/);
  });

  it('reordered lines', async () => {
    [lines[1], lines[2]] = [lines[2] ?? '', lines[1] ?? ''];
    await writeLines(lines);
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(problemLines(v)).toEqual(expect.arrayContaining([2, 3]));
    expect(v.problems).toContainEqual({ seq: 2, line: 3, problem: expect.stringMatching(/seq out of order/) });
  });

  it('an edited prevHash', async () => {
    const e = entry(3);
    e.prevHash = 'f'.repeat(64);
    lines[3] = JSON.stringify(e);
    await writeLines(lines);
    const v = await verify();
    expect(problemLines(v)).toEqual([4]);
    expect(v.problems.map((p) => p.problem).join('; ')).toMatch(/broken link/);
  });

  it('an unparsable line', async () => {
    lines[1] = '{"seq": 2, oops';
    await writeLines(lines);
    const v = await verify();
    expect(v.problems).toContainEqual({ line: 2, problem: expect.stringMatching(/unparsable/) });
  });

  it('a duplicated id', async () => {
    const e = entry(4);
    const dup: Omit<EvidenceEntry, 'hash'> = { seq: 6, at: e.at, id: entry(0).id, kind: 'k', prevHash: e.hash, record: {} };
    lines.push(JSON.stringify({ ...dup, hash: entryHash(dup) }));
    await writeLines(lines);
    const v = await verify();
    expect(v.problems).toEqual([{ seq: 6, line: 6, problem: expect.stringMatching(/duplicate id "ev-1" \(first on line 1\)/) }]);
  });

  it('a first line that does not start from the genesis hash', async () => {
    lines.splice(0, 1);
    await writeLines(lines);
    const v = await verify();
    expect(v.problems.filter((p) => p.line === 1).map((p) => p.problem).join('; ')).toMatch(/prevHash 0…0.*seq gap|seq gap/);
  });

  it('an interrupted write: appends continue on a new line and verify reports the fragment', async () => {
    await fs.appendFile(file(), '{"seq":6,"at":"2026');
    const store = new EvidenceStore(dir);
    expect((await store.verify()).problems).toEqual([
      { line: 6, problem: expect.stringMatching(/unparsable/) },
      { line: 6, problem: expect.stringMatching(/not terminated/) },
    ]);
    await expect(store.append({ id: 'after', kind: 'k', record: {} })).resolves.toMatchObject({ seq: 6 });
    const v = await store.verify();
    expect(v.problems).toEqual([{ line: 6, problem: expect.stringMatching(/unparsable/) }]);
    expect(v.entries).toBe(6);
  });

  it('verifyText works on a copy of the file', async () => {
    expect(verifyText(`${lines.join('\n')}\n`).ok).toBe(true);
  });
});

describe('EvidenceStore.verify: malformed entries', () => {
  const first = (): Omit<EvidenceEntry, 'hash'> & { hash: string } => {
    const base = { seq: 1, at: '2026-03-01T00:00:00.000Z', id: 'ev-1', kind: 'k', prevHash: GENESIS_HASH, record: { n: 1 } };
    return { ...base, hash: entryHash(base) };
  };
  const line = (over: Record<string, unknown>): string => JSON.stringify({ ...first(), ...over });

  test.each<[string, string, string, number | undefined]>([
    ['an array', '[]', 'malformed entry: not an object', undefined],
    ['null', 'null', 'malformed entry: not an object', undefined],
    ['a number', '5', 'malformed entry: not an object', undefined],
    ['a string', '"entry"', 'malformed entry: not an object', undefined],
    ['seq 0', line({ seq: 0 }), 'malformed entry: bad seq', undefined],
    ['a negative seq', line({ seq: -1 }), 'malformed entry: bad seq', undefined],
    ['a fractional seq', line({ seq: 1.5 }), 'malformed entry: bad seq', undefined],
    ['a seq as text', line({ seq: '1' }), 'malformed entry: bad seq', undefined],
    ['a time that is not text', line({ at: 5 }), 'malformed entry: bad at', 1],
    ['a time that is not a time', line({ at: 'yesterday' }), 'malformed entry: bad at', 1],
    ['an empty id', line({ id: '' }), 'malformed entry: bad id', 1],
    ['an id that is not text', line({ id: 5 }), 'malformed entry: bad id', 1],
    ['an empty kind', line({ kind: '' }), 'malformed entry: bad kind', 1],
    ['a kind that is not text', line({ kind: ['k'] }), 'malformed entry: bad kind', 1],
    ['a prevHash with a prefix', line({ prevHash: `x${GENESIS_HASH}` }), 'malformed entry: bad prevHash', 1],
    ['a prevHash with a suffix', line({ prevHash: `${GENESIS_HASH}0` }), 'malformed entry: bad prevHash', 1],
    ['an upper-case prevHash', line({ prevHash: 'A'.repeat(64) }), 'malformed entry: bad prevHash', 1],
    ['a prevHash that is not text', line({ prevHash: 0 }), 'malformed entry: bad prevHash', 1],
    ['a prevHash given as a list', line({ prevHash: [GENESIS_HASH] }), 'malformed entry: bad prevHash', 1],
    ['a hash with a prefix', line({ hash: `x${first().hash}` }), 'malformed entry: bad hash', 1],
    ['a hash with a suffix', line({ hash: `${first().hash}0` }), 'malformed entry: bad hash', 1],
    ['a hash that is not text', line({ hash: null }), 'malformed entry: bad hash', 1],
    ['a hash given as a list', line({ hash: [first().hash] }), 'malformed entry: bad hash', 1],
    ['a null record', line({ record: null }), 'malformed entry: bad record', 1],
    ['a list as record', line({ record: [1] }), 'malformed entry: bad record', 1],
    ['a text record', line({ record: 'r' }), 'malformed entry: bad record', 1],
  ])('reports %s as a malformed entry, with its seq when readable, and list() skips it', async (_name, raw, problem, seq) => {
    const v = verifyText(`${raw}\n`);
    expect(v.ok).toBe(false);
    expect(v.entries).toBe(0);
    expect(v.problems).toEqual([seq === undefined ? { line: 1, problem } : { seq, line: 1, problem }]);
    await fs.writeFile(file(), `${line({})}\n${raw}\n`);
    expect((await new EvidenceStore(dir).list()).map((e) => e.id)).toEqual(['ev-1']);
  });

  test('a well-formed first entry verifies', () => {
    expect(verifyText(`${line({})}\n`)).toEqual({ ok: true, entries: 1, problems: [], headHash: first().hash, unkeyed: 1 });
  });

  test('an empty or blank line between entries is reported', async () => {
    await seed(new EvidenceStore(dir), 3);
    const lines = await readLines();
    for (const blank of ['', '   ']) {
      const v = verifyText(`${lines[0]}\n${blank}\n${lines[1]}\n${lines[2]}\n`);
      expect(v.ok).toBe(false);
      expect(v.problems).toEqual([{ line: 2, problem: 'empty line' }]);
      expect(v.entries).toBe(3);
    }
  });

  test('a repeated seq is out of order, and a longer gap names the missing range', async () => {
    await seed(new EvidenceStore(dir), 4);
    const lines = await readLines();
    const repeated = verifyText(`${lines[0]}\n${lines[1]}\n${lines[1]}\n`);
    expect(repeated.problems).toContainEqual(expect.objectContaining({ seq: 2, line: 3, problem: 'seq out of order: 2 after 2' }));
    const gap = verifyText(`${lines[0]}\n${lines[3]}\n`);
    expect(gap.problems).toContainEqual(expect.objectContaining({ seq: 4, line: 2, problem: 'seq gap: 2..3 are missing' }));
  });

  test('list() with an empty kind lists every kind', async () => {
    await seed(new EvidenceStore(dir), 2);
    expect(await new EvidenceStore(dir).list({ kind: '' })).toHaveLength(2);
  });
});

describe('EvidenceStore: what append accepts', () => {
  test('refuses an id, kind or record of the wrong type, and an id over 512 characters', async () => {
    const store = new EvidenceStore(dir);
    const bad: unknown[] = [
      undefined,
      null,
      { id: 5, kind: 'k', record: {} },
      { id: 'a'.repeat(513), kind: 'k', record: {} },
      { id: 'a', kind: 5, record: {} },
      { id: 'a', kind: 'k', record: null },
      { id: 'a', kind: 'k', record: 'text' },
      { id: 'a', kind: 'k' },
    ];
    for (const input of bad) await expect(store.append(input as never)).rejects.toBeInstanceOf(EvidenceInputError);
    await expect(fs.access(file())).rejects.toThrow();
    await expect(store.append({ id: 'a'.repeat(512), kind: 'k', record: {} })).resolves.toMatchObject({ seq: 1 });
  });

  test('refuses a record that cannot be stored as JSON, writing nothing', async () => {
    const store = new EvidenceStore(dir);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const err = await store.append({ id: 'c', kind: 'k', record: circular }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EVIDENCE_INVALID_INPUT', message: expect.stringMatching(/not serialisable/) });
    expect((err as Error).cause).toBeDefined();
    await expect(store.append({ id: 'b', kind: 'k', record: { n: BigInt(1) } })).rejects.toBeInstanceOf(EvidenceInputError);
    await expect(fs.access(file())).rejects.toThrow();
  });

  test('stores under .data/evidence by default', () => {
    expect(DEFAULT_EVIDENCE_DIR).toBe('.data/evidence');
    expect(new EvidenceStore().dir).toBe(path.resolve('.data/evidence'));
  });
});

describe('EvidenceStore: reading a file it did not write', () => {
  test('an evidence file that cannot be read is an error, never an intact empty store', async () => {
    await fs.mkdir(file());
    const store = new EvidenceStore(dir);
    const err = await store.verify().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EVIDENCE_IO' });
    expect((err as Error).cause).toMatchObject({ code: 'EISDIR' });
    await expect(store.list()).rejects.toMatchObject({ code: 'EVIDENCE_IO' });
  });

  test('a writer continues the chain from the highest seq, even when lines are out of order', async () => {
    await seed(new EvidenceStore(dir), 3);
    const lines = await readLines();
    await writeLines([lines[0] ?? '', lines[2] ?? '', lines[1] ?? '']);
    const third = JSON.parse(lines[2] ?? '') as EvidenceEntry;
    const r = await new EvidenceStore(dir).append({ id: 'next', kind: 'k', record: {} });
    expect(r.seq).toBe(4);
    expect((await new EvidenceStore(dir).list()).find((e) => e.id === 'next')?.prevHash).toBe(third.hash);
  });

  test('a writer skips a line it cannot parse and chains to the last good entry', async () => {
    await seed(new EvidenceStore(dir), 2);
    await fs.appendFile(file(), 'garbage line\n');
    const second = JSON.parse((await readLines())[1] ?? '') as EvidenceEntry;
    const r = await new EvidenceStore(dir).append({ id: 'next', kind: 'k', record: {} });
    expect(r.seq).toBe(3);
    expect((await new EvidenceStore(dir).list()).find((e) => e.id === 'next')?.prevHash).toBe(second.hash);
  });

  test('after the file was cut short behind its back, the writer rebuilds from what is left', async () => {
    const store = new EvidenceStore(dir);
    await seed(store, 3);
    const lines = await readLines();
    await writeLines([lines[0] ?? '']);
    const r = await store.append({ id: 'ev-2', kind: 'k', record: { again: true } });
    expect(r).toMatchObject({ seq: 2, duplicate: false });
    const entries = await store.list();
    expect(entries.map((e) => e.id)).toEqual(['ev-1', 'ev-2']);
    expect(entries[1]?.prevHash).toBe(entries[0]?.hash);
    // The damage is only visible against an anchored head hash; the chain itself is consistent again.
    expect((await store.verify()).ok).toBe(true);
  });

  test('picks up entries another instance appended since its last write', async () => {
    const a = new EvidenceStore(dir);
    const b = new EvidenceStore(dir);
    await a.append({ id: 'a1', kind: 'k', record: {} });
    await b.append({ id: 'b1', kind: 'k', record: {} });
    await a.append({ id: 'a2', kind: 'k', record: {} });
    await b.append({ id: 'b2', kind: 'k', record: {} });
    expect(await a.append({ id: 'b1', kind: 'k', record: {} })).toMatchObject({ seq: 2, duplicate: true });
    expect(await b.append({ id: 'a2', kind: 'k', record: {} })).toMatchObject({ seq: 3, duplicate: true });
    const v = await a.verify();
    expect(v).toMatchObject({ ok: true, entries: 4 });
  });
});

describe('EvidenceStore: the lock file', () => {
  const lock = (): string => path.join(dir, 'evidence.jsonl.lock');

  test('holds a per-writer token while writing and leaves a lock another writer took over', async () => {
    let held = '';
    const store = new EvidenceStore(dir, {
      now: () => {
        // Called while the lock is held. Simulate another writer breaking it as stale and taking it.
        held = readFileSync(lock(), 'utf8');
        writeFileSync(lock(), 'other-writer:token\n');
        return new Date('2026-03-01T00:00:00Z');
      },
    });
    await store.append({ id: 'x', kind: 'k', record: {} });
    expect(held).toMatch(new RegExp(`^${process.pid}:[0-9a-f-]{36}\\n$`));
    // Releasing must not delete the other writer's lock.
    expect(await fs.readFile(lock(), 'utf8')).toBe('other-writer:token\n');
  });

  test('releases its own lock after writing', async () => {
    await new EvidenceStore(dir).append({ id: 'x', kind: 'k', record: {} });
    await expect(fs.access(lock())).rejects.toThrow();
  });
});
