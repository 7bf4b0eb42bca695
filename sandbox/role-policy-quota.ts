// IAM's quota on a role's inline policies, which moto does not enforce: "Role policy size cannot
// exceed 10,240 characters" — the sum over ALL the role's inline policy documents, not per policy
// (IAM and AWS STS quotas, reference_iam-quotas). Safeguard's revocation writes one deny
// statement per person into one inline policy per role, so a sandbox that let this grow without
// bound would hide the failure real AWS gives. Pure; the gateway reads the role's current
// policies from moto and refuses a PutRolePolicy this says is too large.
//
// How size is counted (what AWS documents, and what we assume where it is silent):
// - characters of each policy document as JSON text, URL-decoded (IAM answers documents
//   URL-encoded; the count is of the policy, not of its encoding);
// - white space is not counted ("IAM does not count white space when calculating the size of a
//   policy"): space, tab, line feed and carriage return — the only white space IAM accepts in a
//   policy document (tab, LF, CR and U+0020..U+00FF are its allowed characters), including white
//   space inside JSON strings;
// - characters, i.e. Unicode code points: every allowed character is one byte in Latin-1, which
//   is why AWS's error message says "bytes";
// - policy names do not count;
// - a PutRolePolicy replacing a policy of the same name counts the new document, not the old one.

export const ROLE_INLINE_POLICY_QUOTA = 10_240;

const WHITE_SPACE = new Set([' ', '\t', '\n', '\r']);

/** One document's size as IAM counts it against the quota. */
export function policyQuotaSize(document: string): number {
  let n = 0;
  for (const ch of document) if (!WHITE_SPACE.has(ch)) n++;
  return n;
}

/** A policy document as JSON text, whether moto handed it over plain or URL-encoded. */
export function plainPolicyDocument(document: string): string {
  if (document.trimStart().startsWith('{')) return document;
  try {
    return decodeURIComponent(document);
  } catch {
    return document;
  }
}

export interface InlinePolicyWrite {
  roleName: string;
  policyName: string;
  /** The new document, as the caller sent it. */
  document: string;
}

/** The role's inline policy total once `write` is applied over `existing` (name → document). */
export function inlinePolicyTotalAfter(existing: Record<string, string>, write: InlinePolicyWrite): number {
  let total = policyQuotaSize(plainPolicyDocument(write.document));
  for (const [name, doc] of Object.entries(existing)) if (name !== write.policyName) total += policyQuotaSize(plainPolicyDocument(doc));
  return total;
}

/** What IAM answers (HTTP 409, LimitExceeded) when the write would pass the quota. */
export function rolePolicyQuotaMessage(roleName: string): string {
  return `Maximum policy size of ${ROLE_INLINE_POLICY_QUOTA} bytes exceeded for role ${roleName}`;
}
