// Verification of an evidence file: every line's form and link, the sequence, ids, and (with anchor
// listings) the chain against its anchors. Pure over the file's text, so a copy can be verified
// without a store (`verifyText`).
//
// What each check catches:
// - a changed line: its link no longer matches (sha256 for v1 lines, HMAC for keyed v2 lines);
// - a deleted or reordered line: the next line's prevHash, or the seq gap;
// - a deleted middle re-chained, or the whole file rewritten: without the key, the HMACs fail;
//   with it, the entry at an anchored seq no longer has the anchored hash;
// - a deleted tail: an anchor names a seq past the chain's end;
// - a forged append: without the key, its HMAC fails; with it, it is past the last anchor;
// - an unkeyed line after keyed ones: written by someone without the key.
import { GENESIS_HASH, checkAnchorMac, checkEntryLink } from './chain';
import type { LinkCheck } from './chain';
import { EVIDENCE_SCHEMAS, checkStoredRecord } from './records';
import type { EvidenceEntry } from './chain';
import type { AnchorListing } from './anchors/anchor-store';
import type { EvidenceKeyRing } from './evidence-key';

export interface VerifyProblem {
  seq?: number;
  /** The record's id (for runbook records `<workflowId>/<runId>`), so a finding names the run. */
  id?: string;
  /** The workflow id the record is about, when the record names one. */
  workflowId?: string;
  /** 1-based line number in evidence.jsonl; 0 for a problem with an anchor store itself. */
  line: number;
  problem: string;
}

export interface AnchorSummary {
  where: string;
  /** Anchors whose MAC verified. */
  count: number;
  lastSeq: number;
}

export interface VerifyResult {
  ok: boolean;
  /** Number of well-formed entries read. */
  entries: number;
  problems: VerifyProblem[];
  /** Hash of the last well-formed entry. */
  headHash?: string;
  /** Entries with unkeyed (v1, sha256) links: they prove nothing against a rewrite. */
  unkeyed: number;
  /** Keyed entries whose links could not be checked: verified without the evidence key. */
  uncheckedKeyed?: number;
  /** The earliest problem in the chain (lowest seq, else first line): the first bad record. */
  firstBad?: VerifyProblem;
  /** The authoritative anchor store's summary (the last one given: S3 when configured). */
  anchors?: AnchorSummary & { stores: AnchorSummary[] };
}

const HEX64 = /^[0-9a-f]{64}$/;

export function splitLines(text: string): { lines: string[]; unterminated: boolean } {
  if (text === '') return { lines: [], unterminated: false };
  const lines = text.split('\n');
  const unterminated = !text.endsWith('\n');
  if (!unterminated) lines.pop();
  return { lines, unterminated };
}

type ParseResult = { entry: EvidenceEntry; problem?: undefined } | { entry?: undefined; problem: string; seq?: number };

export function parseEntry(raw: string): ParseResult {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return { problem: 'unparsable line (not JSON)' };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { problem: 'malformed entry: not an object' };
  const o = v as Record<string, unknown>;
  const seq = Number.isSafeInteger(o.seq) && (o.seq as number) > 0 ? (o.seq as number) : undefined;
  const bad = (field: string): ParseResult =>
    seq === undefined ? { problem: `malformed entry: bad ${field}` } : { problem: `malformed entry: bad ${field}`, seq };
  if (seq === undefined) return bad('seq');
  if (o.v !== undefined && !(Number.isSafeInteger(o.v) && (o.v as number) > 1)) return bad('v');
  if (typeof o.at !== 'string' || Number.isNaN(Date.parse(o.at))) return bad('at');
  if (typeof o.id !== 'string' || o.id === '') return bad('id');
  if (typeof o.kind !== 'string' || o.kind === '') return bad('kind');
  if (o.keyId !== undefined && (typeof o.keyId !== 'string' || o.keyId === '')) return bad('keyId');
  if (typeof o.prevHash !== 'string' || !HEX64.test(o.prevHash)) return bad('prevHash');
  if (typeof o.hash !== 'string' || !HEX64.test(o.hash)) return bad('hash');
  if (o.record === null || typeof o.record !== 'object' || Array.isArray(o.record)) return bad('record');
  const entry: EvidenceEntry = { seq, at: o.at, id: o.id, kind: o.kind, prevHash: o.prevHash, hash: o.hash, record: o.record as Record<string, unknown> };
  if (o.v !== undefined) entry.v = o.v as number;
  if (o.keyId !== undefined) entry.keyId = o.keyId as string;
  return { entry };
}

interface ChainWalk {
  result: VerifyResult;
  bySeq: Map<number, { entry: EvidenceEntry; line: number }>;
  maxSeq: number;
  firstKeyedSeq?: number;
}

function walk(text: string, ring: EvidenceKeyRing | undefined): ChainWalk {
  const problems: VerifyProblem[] = [];
  const { lines, unterminated } = splitLines(text);
  const ids = new Map<string, number>();
  const bySeq = new Map<number, { entry: EvidenceEntry; line: number }>();
  let entries = 0;
  let unkeyed = 0;
  let maxSeq = 0;
  let prevHash: string = GENESIS_HASH;
  let headHash: string | undefined;
  let firstKeyedSeq: number | undefined;
  let currentKey: string | undefined;
  const retired = new Map<string, number>();
  let unchecked: { seq: number; line: number; count: number } | undefined;

  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') {
      problems.push({ line, problem: 'empty line' });
      return;
    }
    const parsed = parseEntry(raw);
    if (!parsed.entry) {
      const p: VerifyProblem = { line, problem: parsed.problem };
      if (parsed.seq !== undefined) p.seq = parsed.seq;
      problems.push(p);
      return;
    }
    const e = parsed.entry;
    const at = (problem: string): void => {
      problems.push(problemAt(e, line, problem));
    };
    entries++;
    if (!bySeq.has(e.seq)) bySeq.set(e.seq, { entry: e, line });

    let link: LinkCheck;
    try {
      link = checkEntryLink(e, ring);
    } catch (err) {
      // canonicalJson recurses: a record nested thousands deep cannot be hashed, so it cannot be genuine.
      link = { ok: false, problem: `the record cannot be hashed (${err instanceof Error ? err.message : String(err)})` };
    }
    if (!link.ok && !ring && e.v !== undefined) {
      // Without the key every keyed link is unchecked: one problem for all of them, not one per line.
      unchecked ??= { seq: e.seq, line, count: 0 };
      unchecked.count++;
    } else if (!link.ok) at(link.problem);
    // A key is never used again once another has replaced it: a later entry under a retired key was
    // made by someone holding only the old key.
    if (e.keyId !== undefined) {
      const retiredAt = retired.get(e.keyId);
      if (retiredAt !== undefined) at(`linked with evidence key "${e.keyId}", retired at seq ${retiredAt}: forged with a retired key`);
      else if (currentKey !== undefined && currentKey !== e.keyId) retired.set(currentKey, e.seq);
      if (retiredAt === undefined) currentKey = e.keyId;
    }
    // Each known kind's record against the schema version it was written under (evidence/records.ts):
    // old records keep verifying after a schema change, because their version's schema is kept.
    if (e.kind in EVIDENCE_SCHEMAS) {
      const schema = checkStoredRecord(e.kind, e.record);
      if (!schema.ok) at(schema.problem);
    }
    if (e.v === undefined) {
      unkeyed++;
      if (firstKeyedSeq !== undefined) at('unkeyed entry after keyed entries: written without the evidence key');
    } else if (firstKeyedSeq === undefined) {
      firstKeyedSeq = e.seq;
    }
    if (e.prevHash !== prevHash) {
      at(prevHash === GENESIS_HASH ? 'broken link: the first entry must have prevHash 0…0' : 'broken link: prevHash does not match the hash of the previous line');
    }
    if (e.seq <= maxSeq) at(`seq out of order: ${e.seq} after ${maxSeq}`);
    else if (e.seq !== maxSeq + 1) {
      at(e.seq === maxSeq + 2 ? `seq gap: ${maxSeq + 1} is missing` : `seq gap: ${maxSeq + 1}..${e.seq - 1} are missing`);
    }
    const firstLine = ids.get(e.id);
    if (firstLine !== undefined) at(`duplicate id ${JSON.stringify(e.id)} (first on line ${firstLine})`);
    else ids.set(e.id, line);

    maxSeq = Math.max(maxSeq, e.seq);
    prevHash = e.hash;
    headHash = e.hash;
  });

  if (unchecked) {
    problems.unshift({
      seq: unchecked.seq,
      line: unchecked.line,
      problem: `${unchecked.count} keyed link${unchecked.count === 1 ? '' : 's'} not checked: no evidence key (set SAFEGUARD_EVIDENCE_KEY_FILE or SAFEGUARD_EVIDENCE_KMS_KEYS, or --key-file)`,
    });
  }
  if (unterminated && lines.length > 0) {
    problems.push({ line: lines.length, problem: 'last line is not terminated by a newline (interrupted write?)' });
  }
  const result: VerifyResult = { ok: problems.length === 0, entries, problems, unkeyed, ...(unchecked ? { uncheckedKeyed: unchecked.count } : {}) };
  if (headHash !== undefined) result.headHash = headHash;
  return { result, bySeq, maxSeq, ...(firstKeyedSeq !== undefined ? { firstKeyedSeq } : {}) };
}

function problemAt(e: EvidenceEntry, line: number, problem: string): VerifyProblem {
  const wf = typeof e.record['workflowId'] === 'string' ? e.record['workflowId'] : typeof e.record['grantId'] === 'string' ? e.record['grantId'] : undefined;
  return { seq: e.seq, line, id: e.id, ...(wf !== undefined ? { workflowId: wf } : {}), problem };
}

/** Verifies the text of an evidence file without anchors. Exported for tools that verify a copy. */
export function verifyText(text: string, ring?: EvidenceKeyRing): VerifyResult {
  return finish(walk(text, ring).result);
}

/**
 * Verifies the chain and compares it with each anchor store's anchors, each on its own: a local
 * working copy rewritten to match a rewritten chain does not hide what the S3 copy shows. The last
 * listing is the authoritative one for the summary (S3 when configured).
 */
export function verifyChain(text: string, ring: EvidenceKeyRing | undefined, listings: Array<{ where: string; listing: AnchorListing }>): VerifyResult {
  const w = walk(text, ring);
  const { result, bySeq, maxSeq } = w;
  const stores: AnchorSummary[] = [];
  for (const { where, listing } of listings) {
    for (const p of listing.problems) result.problems.push({ line: 0, ...(p.seq !== undefined ? { seq: p.seq } : {}), problem: `${where}: ${p.problem}` });
    let count = 0;
    let lastSeq = 0;
    for (const a of listing.anchors) {
      const mac = checkAnchorMac(a, ring);
      if (!mac.ok) {
        result.problems.push({ line: 0, seq: a.seq, problem: `${where}: anchor for seq ${a.seq}: ${mac.problem}` });
        continue;
      }
      count++;
      lastSeq = Math.max(lastSeq, a.seq);
      const at = bySeq.get(a.seq);
      if (!at) {
        if (a.seq > maxSeq) {
          result.problems.push({ line: 0, seq: maxSeq + 1, problem: `tail deleted: ${where} anchors seq ${a.seq} but the chain ends at seq ${maxSeq}` });
        } else {
          result.problems.push({ line: 0, seq: a.seq, problem: `seq ${a.seq} is anchored in ${where} but missing from the chain` });
        }
      } else if (at.entry.hash !== a.hash) {
        result.problems.push(problemAt(at.entry, at.line, `does not match its anchor in ${where}: the record was rewritten or the chain re-chained`));
      }
    }
    stores.push({ where, count, lastSeq });
    // Anchoring starts with the first keyed entry; a keyed chain with no anchor in a store had them
    // removed (or was never anchored there): a rewrite to unkeyed lines with the anchors emptied.
    if (count === 0 && ring && bySeq.size > 0 && (w.firstKeyedSeq !== undefined || result.unkeyed > 0)) {
      result.problems.push({ line: 0, seq: w.firstKeyedSeq ?? 1, problem: `no anchors in ${where} for a chain of ${bySeq.size} entries: the anchors were removed, or the chain was never anchored there` });
      continue;
    }
    // Entries after the last anchor were never anchored by the writer (it anchors every append).
    const from = Math.max(lastSeq + 1, w.firstKeyedSeq ?? Number.POSITIVE_INFINITY);
    if (from <= maxSeq) {
      const first = bySeq.get(from);
      const what = from === maxSeq ? `seq ${from} is` : `seq ${from}..${maxSeq} are`;
      const problem = `${what} not anchored in ${where}: appended without the writer (forged) or the writer stopped before anchoring`;
      result.problems.push(first ? problemAt(first.entry, first.line, problem) : { line: 0, seq: from, problem });
    }
  }
  const last = stores[stores.length - 1];
  if (last) result.anchors = { ...last, stores };
  return finish(result);
}

function finish(result: VerifyResult): VerifyResult {
  result.ok = result.problems.length === 0;
  if (!result.ok) {
    const withSeq = result.problems.filter((p) => p.seq !== undefined);
    result.firstBad = withSeq.length > 0 ? withSeq.reduce((a, b) => ((b.seq as number) < (a.seq as number) ? b : a)) : result.problems[0];
  }
  return result;
}
