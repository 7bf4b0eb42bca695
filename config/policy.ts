// Loads the policy file: YAML → schema (policy.schema.ts) → cross-reference checks → Policy.
// Every problem becomes an issue naming file, line and field; all of them are reported at
// once (schema problems first, cross-references once the shapes are right).
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { parseDuration } from './duration';
import { policyFileSchema } from './policy-schema';
import type { PolicyFile } from './policy-schema';
import type { BreakGlassRole, Policy, PolicyIssue } from './policy-types';

export type {
  Account,
  BreakGlassMode,
  BreakGlassRole,
  Group,
  Person,
  Policy,
  PolicyIssue,
  SecurityConfig,
  SlackSettings,
} from './policy-types';
export {
  approverPool,
  canRequest,
  findPersonByAwsArn,
  findPersonById,
  findPersonBySlackId,
  getRole,
  peopleInGroups,
  requestableRoles,
  securityPeople,
} from './policy-lookup';

export type ParsePolicyResult =
  | { ok: true; policy: Policy; warnings: PolicyIssue[] }
  | { ok: false; issues: PolicyIssue[]; warnings: PolicyIssue[] };

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

type PathSegment = string | number;
type Path = readonly PathSegment[];

/** `['breakGlassRoles', 0, 'quorum']` → `breakGlassRoles[0].quorum`; the root is `(root)`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(root)' : out;
}

/** Maps issue paths to 1-based lines: the offending node, else its nearest existing parent. */
class LineFinder {
  constructor(
    private readonly root: unknown,
    private readonly lines: LineCounter,
  ) {}

  line(path: Path, unknownKey?: string): number {
    let node: unknown = this.root;
    let best = this.lineOf(node) ?? 1;
    const segments: PathSegment[] = [...path];
    for (const seg of segments) {
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

/** Parses and validates policy text; never throws for bad input. */
export function parsePolicy(text: string, file: string): ParsePolicyResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const warnings: PolicyIssue[] = [];

  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => ({
      file,
      line: e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line,
      field: '(yaml)',
      message: firstLine(e.message).replace(/ at line \d+, column \d+:?$/, ''),
    }));
    return { ok: false, issues, warnings };
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, issues: [{ file, line: 1, field: '(yaml)', message: firstLine(String(err)) }], warnings };
  }

  if (data === null || data === undefined) {
    return { ok: false, issues: [{ file, line: 1, field: '(root)', message: 'policy file is empty' }], warnings };
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    const issue = { file, line: 1, field: '(root)', message: 'policy must be a mapping (key: value lines) at the top level' };
    return { ok: false, issues: [issue], warnings };
  }

  const finder = new LineFinder(doc.contents, lineCounter);
  const at = (path: Path, message: string, unknownKey?: string): PolicyIssue => ({
    file,
    line: finder.line(path, unknownKey),
    field: formatPath(unknownKey === undefined ? path : [...path, unknownKey]),
    message,
  });

  const parsed = policyFileSchema.safeParse(data);
  if (!parsed.success) {
    return { ok: false, issues: sortIssues(schemaIssues(parsed.error.issues, data, at)), warnings };
  }

  const issues: PolicyIssue[] = [];
  const policy = crossCheck(parsed.data, {
    error: (path, message) => issues.push(at(path, message)),
    warn: (path, message) => warnings.push(at(path, message)),
  });
  if (issues.length > 0) return { ok: false, issues: sortIssues(issues), warnings: sortIssues(warnings) };
  return { ok: true, policy, warnings: sortIssues(warnings) };
}

/** Reads, parses and validates a policy file; throws PolicyError listing every problem. */
export function loadPolicyFile(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new PolicyError([{ file: path, line: 0, field: '(file)', message: `cannot read policy file (${reason})` }], {
      cause: err,
      code: 'POLICY_UNREADABLE',
    });
  }
  const result = parsePolicy(text, path);
  if (!result.ok) throw new PolicyError(result.issues);
  return result.policy;
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).trim();
}

function sortIssues(issues: PolicyIssue[]): PolicyIssue[] {
  return [...issues].sort((a, b) => a.line - b.line);
}

function schemaIssues(
  zodIssues: readonly z.core.$ZodIssue[],
  data: unknown,
  at: (path: Path, message: string, unknownKey?: string) => PolicyIssue,
): PolicyIssue[] {
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

interface Reporter {
  error(path: Path, message: string): void;
  warn(path: Path, message: string): void;
}

/**
 * IAM user and role names are unique within an account whatever their path, so
 * `role/a/ops` and `role/ops` are the same principal (and an assumed-role session
 * could not tell them apart).
 */
function principalKey(arn: string): string {
  const m = /^(arn:[^:]+:iam::\d{12}:(?:user|role)\/)(?:.*\/)?([^/]+)$/.exec(arn);
  return m ? `${m[1]}${m[2]}` : arn;
}

function accountOfArn(arn: string): string | undefined {
  return arn.split(':')[4];
}

/** Checks everything the schema cannot see on its own, and builds the Policy. */
function crossCheck(file: PolicyFile, report: Reporter): Policy {
  const groupIds = new Set<string>();
  file.groups.forEach((g, i) => {
    if (groupIds.has(g.id)) report.error(['groups', i, 'id'], `duplicate group id "${g.id}"`);
    groupIds.add(g.id);
  });
  const checkGroups = (groups: readonly string[], path: Path) =>
    groups.forEach((g, i) => {
      if (!groupIds.has(g)) report.error([...path, i], `unknown group "${g}" (declare it under groups)`);
    });

  const personIndex = new Map<string, number>();
  const slackIndex = new Map<string, string>();
  const principalIndex = new Map<string, string>();
  file.people.forEach((p, i) => {
    if (personIndex.has(p.id)) {
      report.error(['people', i, 'id'], `duplicate person id "${p.id}" (also people[${personIndex.get(p.id)}])`);
    } else personIndex.set(p.id, i);
    if (p.slackId !== undefined) {
      const owner = slackIndex.get(p.slackId);
      if (owner !== undefined) report.error(['people', i, 'slackId'], `slackId ${p.slackId} is already used by ${owner}`);
      else slackIndex.set(p.slackId, p.id);
    }
    p.awsPrincipals.forEach((arn, j) => {
      const key = principalKey(arn);
      const owner = principalIndex.get(key);
      if (owner !== undefined && owner !== p.id) {
        report.error(['people', i, 'awsPrincipals', j], `AWS principal ${arn} is already used by ${owner}; each principal must map to one person`);
      } else if (owner === p.id) {
        report.error(['people', i, 'awsPrincipals', j], `AWS principal ${arn} is listed twice`);
      } else principalIndex.set(key, p.id);
    });
    checkGroups(p.groups, ['people', i, 'groups']);
  });

  const accountIds = new Set<string>();
  file.accounts.forEach((a, i) => {
    if (accountIds.has(a.id)) report.error(['accounts', i, 'id'], `duplicate account id "${a.id}"`);
    accountIds.add(a.id);
    if (accountOfArn(a.executionRoleArn) !== a.id) {
      report.error(['accounts', i, 'executionRoleArn'], `executionRoleArn ${a.executionRoleArn} is not in account ${a.id}`);
    }
  });

  checkGroups(file.security.groups, ['security', 'groups']);

  const memberCount = (groups: readonly string[]) =>
    file.people.filter((p) => p.groups.some((g) => groups.includes(g))).map((p) => p.id);

  const roleNames = new Map<string, number>();
  const roles: BreakGlassRole[] = file.breakGlassRoles.map((r, i) => {
    const path = ['breakGlassRoles', i] as const;
    if (roleNames.has(r.name)) {
      report.error([...path, 'name'], `duplicate role name "${r.name}" (also breakGlassRoles[${roleNames.get(r.name)}])`);
    } else roleNames.set(r.name, i);

    if (!accountIds.has(r.account)) {
      report.error([...path, 'account'], `unknown account "${r.account}" (declare it under accounts)`);
    }
    if (accountOfArn(r.roleArn) !== r.account) {
      report.error([...path, 'roleArn'], `roleArn ${r.roleArn} is not in the role's account ${r.account}`);
    }
    checkGroups(r.requesters, [...path, 'requesters']);
    checkGroups(r.approvers, [...path, 'approvers']);

    const pool = memberCount(r.approvers.filter((g) => groupIds.has(g)));
    if (r.approvers.every((g) => groupIds.has(g))) {
      if (r.quorum > pool.length) {
        report.error(
          [...path, 'quorum'],
          `quorum ${r.quorum} is larger than the approver pool (${pool.length} ${pool.length === 1 ? 'person' : 'people'}: ${pool.join(', ') || 'none'})`,
        );
      } else {
        // The requester never approves their own request, so a requester in the pool shrinks it.
        const requesters = new Set(memberCount(r.requesters));
        const short = pool.filter((id) => requesters.has(id) && pool.length - 1 < r.quorum);
        if (short.length > 0) {
          report.warn(
            [...path, 'quorum'],
            `quorum ${r.quorum} cannot be met when ${short.join(' or ')} requests (they cannot approve their own request)`,
          );
        }
      }
    }

    const ms = (value: string) => parseDuration(value);
    const defaultDurationMs = ms(r.defaultDuration);
    const maxDurationMs = ms(r.maxDuration);
    if (maxDurationMs < defaultDurationMs) {
      report.error([...path, 'maxDuration'], `maxDuration ${r.maxDuration} is shorter than defaultDuration ${r.defaultDuration}`);
    }
    const ratificationDeadlineMs = r.ratificationDeadline === undefined ? undefined : ms(r.ratificationDeadline);
    if (r.mode === 'post-hoc' && ratificationDeadlineMs === undefined) {
      report.error([...path, 'ratificationDeadline'], 'ratificationDeadline is required when mode is post-hoc');
    }
    if (r.mode === 'approval' && r.ratificationDeadline !== undefined) {
      report.warn([...path, 'ratificationDeadline'], 'ratificationDeadline only applies when mode is post-hoc; it is ignored');
    }
    const idleLimitMs = r.idleLimit === undefined ? undefined : ms(r.idleLimit);

    const role: BreakGlassRole = {
      name: r.name,
      account: r.account,
      roleArn: r.roleArn,
      requesters: r.requesters,
      approvers: r.approvers,
      quorum: r.quorum,
      mode: r.mode,
      defaultDurationMs,
      maxDurationMs,
      approvalTimeoutMs: ms(r.approvalTimeout),
      reminderIntervalMs: ms(r.reminderInterval),
      reasonMinLength: r.reasonMinLength,
      ticketRequired: r.ticketRequired,
      ssmTargets: r.ssmTargets,
      stepUp: r.stepUp,
    };
    if (r.description !== undefined) role.description = r.description;
    if (r.mode === 'post-hoc' && ratificationDeadlineMs !== undefined) role.ratificationDeadlineMs = ratificationDeadlineMs;
    if (idleLimitMs !== undefined) role.idleLimitMs = idleLimitMs;
    if (r.approversChannel !== undefined) role.approversChannel = r.approversChannel;
    return role;
  });

  return {
    version: 1,
    groups: file.groups.map((g) => (g.description === undefined ? { id: g.id } : { id: g.id, description: g.description })),
    people: file.people.map((p) => {
      const person: Policy['people'][number] = { id: p.id, name: p.name, awsPrincipals: p.awsPrincipals, groups: p.groups };
      if (p.email !== undefined) person.email = p.email;
      if (p.slackId !== undefined) person.slackId = p.slackId;
      return person;
    }),
    accounts: file.accounts.map((a) => ({ id: a.id, name: a.name, executionRoleArn: a.executionRoleArn, externalId: a.externalId })),
    security: { groups: file.security.groups },
    breakGlassRoles: roles,
    ...(file.slack ? { slack: slackSettings(file.slack) } : {}),
  };
}

function slackSettings(s: NonNullable<PolicyFile['slack']>): NonNullable<Policy['slack']> {
  const out: NonNullable<Policy['slack']> = {};
  if (s.approversChannel !== undefined) out.approversChannel = s.approversChannel;
  if (s.securityChannel !== undefined) out.securityChannel = s.securityChannel;
  if (s.auditChannel !== undefined) out.auditChannel = s.auditChannel;
  return out;
}
