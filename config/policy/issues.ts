// Turning problems into `file:line: field: message`. The `yaml` package keeps every node's source
// range, so a path into the parsed data (from zod or a section's check) maps back to a line.
import { isMap, isScalar, isSeq } from 'yaml';
import type { LineCounter, Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import type { Policy, PolicyIssue } from './types';

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

/**
 * What a section's cross-check reports to. Paths are into the file as written
 * (`['breakGlass', 'roles', 0, 'quorum']`); the loader adds the file and line.
 */
export interface PolicyChecks {
  error(path: Path, message: string): void;
  warn(path: Path, message: string): void;
  /** The value exactly as written in the file (before defaults and conversions); undefined when absent. */
  written(path: Path): unknown;
}

/**
 * A section's cross-check: everything its schema cannot see on its own (references to other
 * sections, duplicates, quorums against group sizes). Runs only once every shape is right.
 */
export type SectionCheck = (policy: Policy, issues: PolicyChecks) => void;

export type PolicyErrorCode = 'INVALID_POLICY' | 'POLICY_UNREADABLE';

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  readonly code: PolicyErrorCode;
  readonly issues: PolicyIssue[];

  constructor(issues: PolicyIssue[], options?: { cause?: unknown; code?: PolicyErrorCode }) {
    super(issues.map(formatIssue).join('\n'), options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = options?.code ?? 'INVALID_POLICY';
    this.issues = issues;
  }
}

export function formatIssue(i: PolicyIssue): string {
  return `${i.file}:${i.line}: ${i.field}: ${i.message}`;
}

/** `['breakGlass', 'roles', 0, 'quorum']` → `breakGlass.roles[0].quorum`; the root is `(root)`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(root)' : out;
}

export function sortIssues(issues: PolicyIssue[]): PolicyIssue[] {
  return [...issues].sort((a, b) => a.line - b.line);
}

/** Maps issue paths to 1-based lines: the offending node, else its nearest existing parent. */
export class LineFinder {
  constructor(
    private readonly root: unknown,
    private readonly lines: LineCounter,
  ) {}

  line(path: Path, unknownKey?: string): number {
    let node: unknown = this.root;
    let best = this.lineOf(node) ?? 1;
    for (const seg of path) {
      const next = this.child(node, seg);
      if (next === undefined) return best;
      node = next.value ?? next.key;
      best = this.lineOf(node) ?? this.lineOf(next.key) ?? best;
    }
    if (unknownKey !== undefined) {
      const pair = this.child(node, unknownKey);
      if (pair) return this.lineOf(pair.key) ?? best;
    }
    return best;
  }

  private child(node: unknown, seg: PathSegment): { key: unknown; value: unknown } | undefined {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      return pair ? { key: pair.key, value: pair.value ?? undefined } : undefined;
    }
    if (isSeq(node) && typeof seg === 'number') {
      const item: unknown = node.items[seg];
      return item === undefined ? undefined : { key: undefined, value: item };
    }
    return undefined;
  }

  private lineOf(node: unknown): number | undefined {
    const range = (node as YamlNode | null | undefined)?.range;
    if (!range) return undefined;
    return this.lines.linePos(range[0]).line;
  }
}

/** The value at path in plain data, or undefined. */
export function valueAt(data: unknown, path: Path): unknown {
  let node: unknown = data;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(node, seg)) return undefined;
    node = (node as Record<PathSegment, unknown>)[seg];
  }
  return node;
}

/** Whether the value at path is absent (no key) or empty (`key:` with nothing after it). */
function isMissing(data: unknown, path: Path): 'absent' | 'empty' | false {
  let node: unknown = data;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return false;
    if (!Object.prototype.hasOwnProperty.call(node, seg)) return 'absent';
    node = (node as Record<PathSegment, unknown>)[seg];
  }
  return node === undefined || node === null ? 'empty' : false;
}

export type At = (path: Path, message: string, unknownKey?: string) => PolicyIssue;

/** zod issues → policy issues: unknown keys point at the key, missing fields at their parent. */
export function schemaIssues(zodIssues: readonly z.core.$ZodIssue[], data: unknown, at: At): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  for (const issue of zodIssues) {
    const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(at(path, `unknown field "${key}"`, key));
      continue;
    }
    const missing = issue.code === 'custom' ? false : isMissing(data, path);
    if (missing) {
      const last = path[path.length - 1];
      const name = typeof last === 'string' ? `"${last}"` : 'item';
      out.push(at(path, missing === 'absent' ? `missing required field ${name}` : `${name} has no value`));
      continue;
    }
    out.push(at(path, issue.message));
  }
  return out;
}
