// The anchors' local working copy: one JSON anchor per line in <evidence dir>/anchors.jsonl,
// appended (never rewritten) under the evidence store's lock. On its own it catches what a writer
// of evidence.jsonl alone does (a deleted tail, a re-chained middle); someone who edits both files
// is caught only by the S3 copy, which is why production has one.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Anchor } from '../chain';
import { parseAnchor } from './anchor-store';
import type { AnchorListing, AnchorStore } from './anchor-store';

export const ANCHORS_FILE = 'anchors.jsonl';

export class LocalAnchorStore implements AnchorStore {
  readonly file: string;
  readonly where: string;
  private lastSeq: number | undefined;

  constructor(evidenceDir: string) {
    this.file = path.join(path.resolve(evidenceDir), ANCHORS_FILE);
    this.where = `local:${this.file}`;
  }

  async put(anchor: Anchor): Promise<void> {
    if (this.lastSeq === undefined) this.lastSeq = Math.max(0, ...(await this.list()).anchors.map((a) => a.seq));
    if (anchor.seq <= this.lastSeq) return;
    const fh = await fs.open(this.file, 'a', 0o640);
    try {
      await fh.write(`${JSON.stringify(anchor)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.lastSeq = anchor.seq;
  }

  async list(): Promise<AnchorListing> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { anchors: [], problems: [] };
      throw err;
    }
    const out: AnchorListing = { anchors: [], problems: [] };
    text.split('\n').forEach((raw, i) => {
      if (raw.trim() === '') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        parsed = undefined;
      }
      const anchor = parseAnchor(parsed);
      if (anchor) out.anchors.push(anchor);
      else out.problems.push({ problem: `${ANCHORS_FILE}:${i + 1}: not an anchor` });
    });
    return out;
  }
}
