// A small evaluator for role trust policies, so the sandbox refuses AssumeRole calls AWS would
// refuse (moto accepts any AssumeRole, even of roles that do not exist). It covers what Safeguard's
// roles use: AWS principals (ARN, account id, account root, "*"), Allow/Deny, Action lists with
// wildcards, and the condition operators StringEquals/StringLike (and their Not forms), Null,
// Bool, ArnEquals/ArnLike. Unknown condition operators are treated as satisfied (permissive).

export interface AssumeRoleRequest {
  /** The caller's ARN (user or assumed-role). */
  callerArn: string;
  /** Actions the request needs: sts:AssumeRole, plus sts:SetSourceIdentity / sts:TagSession. */
  actions: string[];
  /** Condition context keys, e.g. `sts:ExternalId`, `sts:SourceIdentity`, `aws:PrincipalArn`. */
  context: Record<string, string | undefined>;
}

export interface TrustDecision {
  allowed: boolean;
  /** The first action no statement allowed (or a statement denied). */
  deniedAction?: string;
}

interface Statement {
  Effect?: unknown;
  Principal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Condition?: unknown;
}

function asList(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

function actionMatches(patterns: string[], action: string): boolean {
  return patterns.some((p) => globToRegExp(p).test(action));
}

/** `arn:aws:sts::A:assumed-role/R/S` → `arn:aws:iam::A:role/R` (how trust policies name roles). */
export function principalArnOf(callerArn: string): string {
  const m = /^arn:([^:]+):sts::(\d+):assumed-role\/([^/]+)\/[^/]+$/.exec(callerArn);
  return m ? `arn:${m[1] ?? 'aws'}:iam::${m[2] ?? ''}:role/${m[3] ?? ''}` : callerArn;
}

function accountOf(arn: string): string | undefined {
  return arn.split(':')[4];
}

function principalMatches(principal: unknown, callerArn: string): boolean {
  if (principal === '*') return true;
  if (principal === null || typeof principal !== 'object') return false;
  const aws = asList((principal as Record<string, unknown>)['AWS']);
  const principalArn = principalArnOf(callerArn);
  const account = accountOf(callerArn);
  return aws.some((p) => {
    if (p === '*') return true;
    if (/^\d{12}$/.test(p)) return p === account;
    if (/^arn:[^:]+:iam::\d{12}:root$/.test(p)) return accountOf(p) === account;
    return p === principalArn || p === callerArn;
  });
}

function conditionsHold(condition: unknown, context: AssumeRoleRequest['context']): boolean {
  if (condition === undefined) return true;
  if (condition === null || typeof condition !== 'object') return false;
  for (const [rawOp, block] of Object.entries(condition as Record<string, unknown>)) {
    if (block === null || typeof block !== 'object') return false;
    const ifExists = rawOp.endsWith('IfExists');
    const op = ifExists ? rawOp.slice(0, -'IfExists'.length) : rawOp;
    for (const [key, expectedRaw] of Object.entries(block as Record<string, unknown>)) {
      const expected = asList(expectedRaw);
      if (typeof expectedRaw === 'boolean') expected.push(String(expectedRaw));
      const actual = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
      if (op === 'Null') {
        const wantNull = expected.some((e) => e.toLowerCase() === 'true');
        if ((actual === undefined) !== wantNull) return false;
        continue;
      }
      if (actual === undefined) {
        if (ifExists) continue;
        if (op.startsWith('StringNot') || op.startsWith('ArnNot')) continue;
        return false;
      }
      let ok: boolean;
      switch (op) {
        case 'StringEquals':
        case 'ArnEquals':
          ok = expected.includes(actual);
          break;
        case 'StringEqualsIgnoreCase':
          ok = expected.some((e) => e.toLowerCase() === actual.toLowerCase());
          break;
        case 'StringNotEquals':
        case 'ArnNotEquals':
          ok = !expected.includes(actual);
          break;
        case 'StringLike':
        case 'ArnLike':
          ok = expected.some((e) => globToRegExp(e).test(actual));
          break;
        case 'StringNotLike':
        case 'ArnNotLike':
          ok = !expected.some((e) => globToRegExp(e).test(actual));
          break;
        case 'Bool':
          ok = expected.some((e) => e.toLowerCase() === actual.toLowerCase());
          break;
        default:
          ok = true; // operator outside the sandbox's model: permissive
      }
      if (!ok) return false;
    }
  }
  return true;
}

function statementApplies(s: Statement, action: string, req: AssumeRoleRequest): boolean {
  const matchesAction =
    s.Action !== undefined ? actionMatches(asList(s.Action), action) : s.NotAction !== undefined ? !actionMatches(asList(s.NotAction), action) : false;
  return matchesAction && principalMatches(s.Principal, req.callerArn) && conditionsHold(s.Condition, req.context);
}

/** Evaluates a trust policy document (JSON text) for an AssumeRole request. */
export function evaluateTrustPolicy(policyJson: string, req: AssumeRoleRequest): TrustDecision {
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(policyJson) as { Statement?: unknown };
  } catch {
    return { allowed: false, ...(req.actions[0] ? { deniedAction: req.actions[0] } : {}) };
  }
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : []) as Statement[];
  for (const action of req.actions) {
    const applicable = statements.filter((s) => statementApplies(s, action, req));
    const denied = applicable.some((s) => s.Effect === 'Deny');
    const allowed = applicable.some((s) => s.Effect === 'Allow');
    if (denied || !allowed) return { allowed: false, deniedAction: action };
  }
  return { allowed: true };
}

/** The actions and condition context of a query-protocol AssumeRole call's parameters. */
export function assumeRoleRequestOf(callerArn: string, params: Record<string, unknown>): AssumeRoleRequest {
  const str = (k: string): string | undefined => (typeof params[k] === 'string' ? (params[k] as string) : undefined);
  const sourceIdentity = str('SourceIdentity');
  const hasTags = Object.keys(params).some((k) => k.startsWith('Tags.') || k.startsWith('TransitiveTagKeys.'));
  const actions = ['sts:AssumeRole'];
  if (sourceIdentity !== undefined) actions.push('sts:SetSourceIdentity');
  if (hasTags) actions.push('sts:TagSession');
  const context: Record<string, string | undefined> = {
    'sts:ExternalId': str('ExternalId'),
    'sts:SourceIdentity': sourceIdentity,
    'sts:RoleSessionName': str('RoleSessionName'),
    'aws:PrincipalArn': principalArnOf(callerArn),
    'aws:PrincipalAccount': accountOf(callerArn),
  };
  for (const [k, v] of Object.entries(params)) {
    const m = /^Tags\.member\.(\d+)\.Key$/.exec(k);
    const value = m ? params[`Tags.member.${m[1] ?? ''}.Value`] : undefined;
    if (m && typeof v === 'string' && typeof value === 'string') context[`aws:RequestTag/${v}`] = value;
  }
  return { callerArn, actions, context };
}
