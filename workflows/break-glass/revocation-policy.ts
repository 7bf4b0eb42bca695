// The one inline deny policy per break-glass role (DESIGN.md §4 step 2): at most one statement per
// person, denying every token of the role that carries their SourceIdentity and was issued before
// their latest cut-off. AWS allows 10,240 characters of inline policy per role, so a policy per
// grant would let one requester fill the role and break revocation for everyone on it. Pure: the
// writer workflow builds the document with it, the activities parse and verify it.
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const ROLE_REVOCATION_POLICY = 'SafeguardRevocations';
/** AWS's quota on a role's inline policies, all documents together, whitespace not counted. */
export const MAX_ROLE_INLINE_POLICY_CHARS = 10_240;
/** Margin over the role's maximum session for clock skew between STS and us. */
export const REMOVAL_MARGIN_MS = 60_000;

export interface CutoffRequest {
  person: string;
  /** ISO time: tokens of this person issued before it are denied. */
  tokensIssuedBefore: string;
  grantId: string;
}

export interface RevocationEntry {
  person: string;
  tokensIssuedBefore: string;
  /** When no token the statement targets can still be valid (cut-off + max session + margin). */
  removeAfter: string;
  /** The grants whose revocations this statement carries (latest few, for the record). */
  grantIds: string[];
}

export interface RoleTarget {
  accountId: string;
  executionRoleArn: string;
  externalId: string;
  roleArn: string;
}

export interface RevocationWriterInput extends RoleTarget {
  maxSessionDurationMs: number;
  /** Carried over continue-as-new; absent on a fresh start, which adopts what IAM holds. */
  entries?: RevocationEntry[];
}

export interface RevocationWriterState {
  entries: RevocationEntry[];
  pending: number;
  lastWriteAt?: string;
  failures: number;
  size: number;
}

export const addRevocationCutoffSignal = defineSignal<[CutoffRequest]>('addRevocationCutoff');
export const revocationWriterStateQuery = defineQuery<RevocationWriterState>('revocationWriterState');

/** One writer per role: its workflow id names the role (and account). */
export function revocationWriterId(accountId: string, roleArn: string): string {
  return `revocation-policy-${accountId}-${roleArn.slice(roleArn.lastIndexOf('/') + 1)}`;
}

const PERSON = /^[a-z][a-z0-9_-]{1,31}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** A cut-off request as it arrives over a signal: anything malformed is dropped, never written. */
export function isCutoffRequest(v: unknown): v is CutoffRequest {
  const r = v as Partial<CutoffRequest> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.person === 'string' &&
    PERSON.test(r.person) &&
    typeof r.tokensIssuedBefore === 'string' &&
    ISO.test(r.tokensIssuedBefore) &&
    typeof r.grantId === 'string' &&
    r.grantId.length <= 128
  );
}

const removeAfter = (cutoff: string, maxSessionMs: number): string => new Date(Date.parse(cutoff) + maxSessionMs + REMOVAL_MARGIN_MS).toISOString();

/** The person's statement keeps the latest cut-off: it denies everything an earlier one did. */
export function mergeCutoff(entries: readonly RevocationEntry[], req: CutoffRequest, maxSessionMs: number): RevocationEntry[] {
  const existing = entries.find((e) => e.person === req.person);
  // A repeat (a revocation retrying its attempt) changes nothing: the same array, so no rewrite.
  if (existing && Date.parse(req.tokensIssuedBefore) <= Date.parse(existing.tokensIssuedBefore) && existing.grantIds.includes(req.grantId)) return entries as RevocationEntry[];
  const later = !existing || Date.parse(req.tokensIssuedBefore) > Date.parse(existing.tokensIssuedBefore);
  const cutoff = later ? req.tokensIssuedBefore : existing.tokensIssuedBefore;
  const grantIds = [...(existing?.grantIds ?? []).filter((g) => g !== req.grantId), req.grantId].slice(-5);
  const merged: RevocationEntry = { person: req.person, tokensIssuedBefore: cutoff, removeAfter: removeAfter(cutoff, maxSessionMs), grantIds };
  return [...entries.filter((e) => e.person !== req.person), merged].sort((a, b) => a.person.localeCompare(b.person));
}

/** Statements whose tokens can no longer exist are dropped (they only use up the role's quota). */
export function pruneExpired(entries: readonly RevocationEntry[], nowMs: number): RevocationEntry[] {
  return entries.filter((e) => Date.parse(e.removeAfter) > nowMs);
}

export function entriesFromStatements(statements: readonly StatementCutoff[], maxSessionMs: number): RevocationEntry[] {
  return statements.reduce<RevocationEntry[]>((acc, st) => mergeCutoff(acc, { ...st, grantId: 'adopted' }, maxSessionMs), []);
}

export function policyDocument(entries: readonly RevocationEntry[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: entries.map((e) => ({
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:SourceIdentity': e.person },
        DateLessThan: { 'aws:TokenIssueTime': e.tokensIssuedBefore },
      },
    })),
  });
}

/** Size as AWS counts it against the quota: characters other than whitespace. */
export function policySize(document: string): number {
  return document.replace(/\s/g, '').length;
}

export interface StatementCutoff {
  person: string;
  tokensIssuedBefore: string;
}

/** The deny statements of a policy document as IAM returns it (URL-encoded or not); tolerant of
 * statements Safeguard did not write (they are ignored, not misread). */
export function parseRevocationStatements(raw: string): StatementCutoff[] {
  let text = raw.trim();
  if (!text.startsWith('{')) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return []; // not a document IAM returned: nothing in it denies anything
    }
  }
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(text) as { Statement?: unknown };
  } catch {
    return [];
  }
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  const out: StatementCutoff[] = [];
  for (const st of statements as Array<{ Effect?: unknown; Condition?: Record<string, Record<string, unknown>> }>) {
    const person = st?.Condition?.['StringEquals']?.['aws:SourceIdentity'];
    const cutoff = st?.Condition?.['DateLessThan']?.['aws:TokenIssueTime'];
    if (st?.Effect === 'Deny' && typeof person === 'string' && typeof cutoff === 'string' && Number.isFinite(Date.parse(cutoff))) {
      out.push({ person, tokensIssuedBefore: cutoff });
    }
  }
  return out;
}

/** True when the statements deny every token of `person` issued before `cutoff`. */
export function coversCutoff(statements: readonly StatementCutoff[], person: string, cutoff: string): boolean {
  return statements.some((st) => st.person === person && Date.parse(st.tokensIssuedBefore) >= Date.parse(cutoff));
}
