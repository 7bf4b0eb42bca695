// What Safeguard requires of a break-glass role's trust policy, and how a role found in an account
// has drifted from it. Break-glass roles are administrators vended only through Safeguard: any
// other principal that may assume one bypasses approval, and a session without a source identity
// cannot be traced to the person it was granted to. The required shape is the one the sandbox seeds
// and the deploy templates create: one Allow for the broker alone, for sts:AssumeRole,
// sts:SetSourceIdentity and sts:TagSession, on condition that a source identity is set.
// Deny statements only take trust away, so they are never drift.

export const REQUIRED_TRUST_ACTIONS = ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'] as const;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** Human-readable drift; empty when the trust policy is what Safeguard requires. */
export function breakGlassTrustProblems(trustPolicyJson: string | undefined, brokerArn: string): string[] {
  if (trustPolicyJson === undefined || trustPolicyJson.trim() === '') return ['no trust policy was read for the role'];
  const doc = parseDocument(trustPolicyJson);
  if (!isObject(doc)) return ['the trust policy is not a JSON policy document'];
  const rawStatements = doc.Statement;
  const statements = Array.isArray(rawStatements) ? rawStatements : rawStatements === undefined ? [] : [rawStatements];

  const problems: string[] = [];
  const brokerActions: string[] = [];
  let brokerMayAssume = false;
  statements.forEach((s, i) => {
    if (!isObject(s)) {
      problems.push(`statement ${i + 1} is not an object`);
      return;
    }
    const label = typeof s.Sid === 'string' && s.Sid !== '' ? `statement ${i + 1} (${s.Sid})` : `statement ${i + 1}`;
    if (s.Effect === 'Deny') return;
    if (s.Effect !== 'Allow') {
      problems.push(`${label} has effect ${JSON.stringify(s.Effect ?? null)}, neither Allow nor Deny`);
      return;
    }
    if (s.NotPrincipal !== undefined) problems.push(`${label} allows everyone except its NotPrincipal; only the broker may be trusted`);
    if (s.NotAction !== undefined) problems.push(`${label} allows every action except its NotAction; list the actions instead`);

    const { broker, others } = principalsOf(s.Principal, brokerArn);
    for (const other of others) problems.push(`${label} lets ${other} assume the role; only the broker ${brokerArn} may`);
    if (!broker) return;

    const actions = strings(s.Action);
    brokerActions.push(...actions);
    if (!actions.some((a) => actionMatches(a, 'sts:AssumeRole'))) return;
    brokerMayAssume = true;
    // Checked per statement: one statement without the condition makes another's condition moot.
    if (!requiresSourceIdentity(s.Condition)) {
      problems.push(`${label} lets the broker assume the role without a source identity (needs Condition Null sts:SourceIdentity "false")`);
    }
  });

  if (!brokerMayAssume) problems.push(`no statement lets the broker ${brokerArn} assume the role`);
  else {
    for (const required of REQUIRED_TRUST_ACTIONS.slice(1)) {
      if (!brokerActions.some((a) => actionMatches(a, required))) problems.push(`the broker is not allowed ${required}, which Safeguard uses on every session`);
    }
  }
  return problems;
}

// IAM returns trust policies URL-encoded (GetRole, ListRoles); callers may have decoded already.
function parseDocument(text: string): Json | undefined {
  const attempts = [text];
  try {
    const decoded = decodeURIComponent(text);
    if (decoded !== text) attempts.push(decoded);
  } catch {
    // Not URL-encoded (a literal % in plain JSON); the plain attempt is the only one.
  }
  for (const attempt of attempts) {
    try {
      return JSON.parse(attempt) as Json;
    } catch {
      // try the next form
    }
  }
  return undefined;
}

function principalsOf(principal: Json | undefined, brokerArn: string): { broker: boolean; others: string[] } {
  if (principal === undefined || principal === null) return { broker: false, others: [] };
  if (typeof principal === 'string') return principal === '*' ? { broker: false, others: ['everyone (Principal "*")'] } : { broker: false, others: [`principal ${principal}`] };
  if (!isObject(principal)) return { broker: false, others: [`principal ${JSON.stringify(principal)}`] };
  let broker = false;
  const others: string[] = [];
  for (const type of Object.keys(principal).sort()) {
    for (const value of strings(principal[type])) {
      if (type === 'AWS' && value === brokerArn) broker = true;
      else if (value === '*') others.push(`everyone (${type} "*")`);
      else if (type === 'AWS' && /^\d{12}$/.test(value)) others.push(`account ${value} (any principal it allows)`);
      else if (type === 'AWS' && /^arn:[^:]+:iam::\d{12}:root$/.test(value)) others.push(`account root ${value} (any principal it allows)`);
      else if (type === 'AWS') others.push(value);
      else others.push(`${type} principal ${value}`);
    }
  }
  return { broker, others };
}

function requiresSourceIdentity(condition: Json | undefined): boolean {
  if (!isObject(condition)) return false;
  for (const operator of Object.keys(condition)) {
    // Operator and condition key names are case-insensitive in IAM.
    if (operator.toLowerCase() !== 'null') continue;
    const block = condition[operator];
    if (!isObject(block)) continue;
    for (const key of Object.keys(block)) {
      if (key.toLowerCase() !== 'sts:sourceidentity') continue;
      const values = Array.isArray(block[key]) ? (block[key] as Json[]) : [block[key] ?? null];
      // Null with several values is an OR: ["false", "true"] would also admit sessions without one.
      if (values.length > 0 && values.every((v) => v === false || (typeof v === 'string' && v.toLowerCase() === 'false'))) return true;
    }
  }
  return false;
}

/** IAM action globs: `*` and `?`, case-insensitive. */
function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(action);
}

function strings(v: Json | undefined): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
