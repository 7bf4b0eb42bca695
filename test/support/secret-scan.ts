// Secret scanner for tests that prove invariant 1 (DESIGN.md §6) over workflow histories, log
// files, Slack transcripts and evidence files.
//
// Two kinds of search:
// - known secrets: exact strings the test collected (seeded users' secret keys, vended session
//   tokens, Slack tokens). Searched verbatim, JSON-escaped, and base64-encoded at each of the
//   three byte alignments (Temporal payloads are base64 JSON, so a secret inside one shows up as
//   base64 at an unknown offset).
// - shapes: AWS secret key / STS session token / Slack token regexes, over the text and over the
//   decoded contents of every base64 run in it. The generic "any long base64" rule is not used
//   here: encrypted or encoded payloads are long base64 by design.
//
// Findings never contain the secret: excerpts are the first four characters and "…".

import { promises as fs } from 'node:fs';
import { findSecretShapes, maskSecret } from '../../config/redact';

export type SecretFindingKind = 'known-secret' | 'aws-secret-key' | 'session-token' | 'slack-token';

export interface SecretFinding {
  kind: SecretFindingKind;
  /** First four characters of the match followed by "…". */
  excerpt: string;
  /** Offset in the scanned text (for decoded/base64 forms: the start of the encoded run). */
  index: number;
  /** How the secret appeared. */
  form?: 'raw' | 'json-escaped' | 'base64' | 'base64url' | 'in-base64';
}

export interface FileSecretFinding extends SecretFinding {
  file: string;
}

export interface ScanOptions {
  /** Exact secret strings to look for (at least 8 characters each). */
  known?: string[];
  /** Also decode base64 runs and scan their contents for secret shapes. Default true. */
  decodeBase64?: boolean;
}

const MIN_KNOWN_LENGTH = 8;
const BASE64_RUN = /[A-Za-z0-9+/_-]{16,}={0,2}/g;

/** The stable inner parts of base64(secret) at byte alignments 0, 1 and 2. */
export function base64Variants(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const out = new Set<string>();
  for (let start = 0; start < 3; start++) {
    const whole = Math.floor((bytes.length - start) / 3) * 3;
    if (whole < 3) continue;
    const b64 = bytes.subarray(start, start + whole).toString('base64');
    out.add(b64);
  }
  return [...out];
}

function toBase64Url(s: string): string {
  return s.replace(/\+/g, '-').replace(/\//g, '_');
}

function indexesOf(haystack: string, needle: string): number[] {
  const found: number[] = [];
  if (needle === '') return found;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + 1)) found.push(i);
  return found;
}

export function scanForSecrets(text: string, opts: ScanOptions = {}): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const seen = new Set<string>();
  const add = (f: SecretFinding): void => {
    const key = `${f.kind}:${f.index}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push(f);
  };

  for (const secret of opts.known ?? []) {
    if (typeof secret !== 'string' || secret.length < MIN_KNOWN_LENGTH) {
      throw new Error(`scanForSecrets: known secrets must be strings of at least ${MIN_KNOWN_LENGTH} characters`);
    }
    const forms: Array<[NonNullable<SecretFinding['form']>, string]> = [['raw', secret]];
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) forms.push(['json-escaped', escaped]);
    for (const v of base64Variants(secret)) {
      forms.push(['base64', v]);
      const url = toBase64Url(v);
      if (url !== v) forms.push(['base64url', url]);
    }
    for (const [form, needle] of forms) {
      for (const index of indexesOf(text, needle)) {
        add({ kind: 'known-secret', excerpt: maskSecret(needle), index, form });
      }
    }
  }

  for (const m of findSecretShapes(text)) {
    add({ kind: m.kind, excerpt: maskSecret(m.text), index: m.index, form: 'raw' });
  }

  if (opts.decodeBase64 ?? true) scanDecoded(text, 0, 2, opts.known ?? [], add);

  return findings.sort((a, b) => a.index - b.index);
}

/** Decodes each base64 run and looks for shapes (and known secrets) inside, up to `depth` levels. */
function scanDecoded(
  text: string,
  baseIndex: number,
  depth: number,
  known: string[],
  add: (f: SecretFinding) => void,
): void {
  if (depth === 0) return;
  for (const m of text.matchAll(BASE64_RUN)) {
    const run = m[0];
    const decoded = Buffer.from(run.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    // Encrypted payloads decode to noise; only readable text can carry a readable secret.
    if (!mostlyPrintable(decoded)) continue;
    const index = depth === 2 ? m.index : baseIndex;
    for (const s of findSecretShapes(decoded)) {
      add({ kind: s.kind, excerpt: maskSecret(s.text), index, form: 'in-base64' });
    }
    for (const secret of known) {
      if (decoded.includes(secret)) add({ kind: 'known-secret', excerpt: maskSecret(secret), index, form: 'in-base64' });
    }
    scanDecoded(decoded, index, depth - 1, known, add);
  }
}

function mostlyPrintable(s: string): boolean {
  if (s.length === 0) return false;
  let printable = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) printable++;
  }
  return printable / s.length >= 0.9;
}

/** Scans each file; a missing file is an error (a test that scans nothing proves nothing). */
export async function scanFiles(paths: string[], opts: ScanOptions = {}): Promise<FileSecretFinding[]> {
  const out: FileSecretFinding[] = [];
  for (const file of paths) {
    const text = await fs.readFile(file, 'utf8');
    for (const f of scanForSecrets(text, opts)) out.push({ ...f, file });
  }
  return out;
}

/** One line per finding, safe to print in a test failure message. */
export function formatFindings(findings: ReadonlyArray<SecretFinding & { file?: string }>): string {
  return findings
    .map((f) => `${f.file ? `${f.file}: ` : ''}${f.kind} (${f.form ?? 'raw'}) at ${f.index}: ${f.excerpt}`)
    .join('\n');
}
