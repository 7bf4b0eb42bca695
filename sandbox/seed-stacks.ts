// The sandbox's IAM roles come from the CloudFormation templates users deploy in AWS
// (deploy/cloudformation/): seedSandbox deploys them into moto with CreateStack, one stack per
// execution role (target-account.yaml) and per break-glass or fire-drill role
// (break-glass-role.yaml), each in its role's account (moto picks the account by the
// x-moto-account-id header), and reads the roles' ARNs from the stacks' outputs. So the sandbox
// tests the very trust and permission policies a deployment gets.
//
// moto's CloudFormation does not check parameters against the template (AllowedValues,
// AllowedPattern, required parameters) as AWS does; `checkParameters` does, before CreateStack.
// `parseTemplate` and `resolveTemplate` also let tests state what a stack must create: a small
// evaluator of the intrinsic functions these templates use, not a CloudFormation implementation.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { Stack } from '@aws-sdk/client-cloudformation';
import { parse } from 'yaml';
import type { ScalarTag, CollectionTag } from 'yaml';
import { inMotoAccount } from './moto-account';

export const TEMPLATE_DIR = path.resolve(__dirname, '..', 'deploy', 'cloudformation');

export const TEMPLATES = {
  /** The broker account, once: broker role, codec KMS key, evidence bucket. Not seeded (docs/aws-model.md, "The sandbox"). */
  hub: 'hub.yaml',
  /** Per target account: SafeguardExecution. */
  targetAccount: 'target-account.yaml',
  /** Per break-glass or fire-drill role. */
  breakGlassRole: 'break-glass-role.yaml',
} as const;
export type TemplateName = keyof typeof TEMPLATES;

/** break-glass-role.yaml's AccessLevel: `none` is a fire-drill role (no permissions). */
export type AccessLevel = 'admin' | 'read-only' | 'none';

const bodies = new Map<TemplateName, string>();
/** The template's text, as deployed (read once per process). */
export function templateBody(name: TemplateName): string {
  let body = bodies.get(name);
  if (body === undefined) {
    body = fs.readFileSync(path.join(TEMPLATE_DIR, TEMPLATES[name]), 'utf8');
    bodies.set(name, body);
  }
  return body;
}

// ---- templates as data ------------------------------------------------------------------------

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export interface Template {
  Parameters?: Record<string, { Type: string; Default?: Json; AllowedValues?: Json[]; AllowedPattern?: string }>;
  Conditions?: Record<string, Json>;
  Resources: Record<string, { Type: string; Condition?: string; Properties?: Record<string, Json> }>;
  Outputs?: Record<string, { Value: Json }>;
}

// The short forms (!Ref, !Sub, …) as the long forms CloudFormation turns them into.
const FUNCTIONS = ['Base64', 'Cidr', 'FindInMap', 'GetAtt', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub', 'If', 'Equals', 'Not', 'And', 'Or'];
const longForm = (name: string): string => (name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`);
const CFN_TAGS: (ScalarTag | CollectionTag)[] = ['Ref', 'Condition', ...FUNCTIONS].flatMap((name) => [
  {
    tag: `!${name}`,
    // `!GetAtt Role.Arn` is the short form of `Fn::GetAtt: [Role, Arn]`.
    resolve: (s: string) => ({ [longForm(name)]: name === 'GetAtt' ? s.split('.', 2) : s }),
  },
  { tag: `!${name}`, collection: 'seq' as const, resolve: (seq: { toJSON(): unknown }) => ({ [longForm(name)]: seq.toJSON() }) },
  { tag: `!${name}`, collection: 'map' as const, resolve: (map: { toJSON(): unknown }) => ({ [longForm(name)]: map.toJSON() }) },
]);

/** A template's YAML, short-form tags in their long form (as CloudFormation reads it). */
export function parseTemplate(text: string): Template {
  return parse(text, { customTags: CFN_TAGS, uniqueKeys: true }) as Template;
}

export interface ResolveContext {
  accountId: string;
  region: string;
  stackName?: string;
}

/**
 * What `template` creates with `parameters`: the resources whose condition holds, their properties
 * with every intrinsic function evaluated and AWS::NoValue removed. Refs to resources give their
 * name property (RoleName, PolicyName…) or the logical id; GetAtt gives a role's ARN, else a
 * `<Logical.Attr>` placeholder.
 */
export function resolveTemplate(template: Template, parameters: Record<string, string>, ctx: ResolveContext): Template['Resources'] {
  const NO_VALUE = Symbol('AWS::NoValue');
  const params: Record<string, Json> = {};
  for (const [name, p] of Object.entries(template.Parameters ?? {})) {
    const value = parameters[name] ?? p.Default;
    if (value === undefined) throw new Error(`parameter ${name} has no value and no default`);
    params[name] = p.Type === 'CommaDelimitedList' && typeof value === 'string' ? value.split(',') : value;
  }
  const pseudo: Record<string, Json> = {
    'AWS::AccountId': ctx.accountId,
    'AWS::Region': ctx.region,
    'AWS::Partition': 'aws',
    'AWS::StackName': ctx.stackName ?? 'stack',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const conditions = new Map<string, boolean>();
  const condition = (name: string): boolean => {
    let v = conditions.get(name);
    if (v === undefined) {
      const def = template.Conditions?.[name];
      if (def === undefined) throw new Error(`no condition ${name}`);
      v = value(def) === true;
      conditions.set(name, v);
    }
    return v;
  };
  const ref = (name: string): Json | typeof NO_VALUE => {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name in params) return params[name] as Json;
    if (name in pseudo) return pseudo[name] as Json;
    const r = template.Resources[name];
    if (!r) throw new Error(`Ref to unknown ${name}`);
    const props = r.Properties ?? {};
    const named = Object.keys(props).find((k) => /^(Role|Policy|ManagedPolicy|User|Bucket|Alias)Name$/.test(k));
    return named ? (value(props[named] as Json) as Json) : name;
  };
  const getAtt = (logical: string, attr: string): Json => {
    const r = template.Resources[logical];
    if (r?.Type === 'AWS::IAM::Role' && attr === 'Arn') {
      const props = r.Properties ?? {};
      return `arn:aws:iam::${ctx.accountId}:role${String(value(props.Path ?? '/'))}${String(value(props.RoleName as Json))}`;
    }
    return `<${logical}.${attr}>`;
  };
  const sub = (text: string, vars: Record<string, Json>): string =>
    text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
      if (name in vars) return String(vars[name]);
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::')) return String(getAtt(name.slice(0, dot), name.slice(dot + 1)));
      const v = ref(name);
      if (v === NO_VALUE) throw new Error(`\${${name}} cannot be AWS::NoValue`);
      return Array.isArray(v) ? v.join(',') : String(v);
    });
  function value(node: Json): Json | typeof NO_VALUE {
    if (Array.isArray(node)) return node.map(value).filter((v): v is Json => v !== NO_VALUE);
    if (node === null || typeof node !== 'object') return node;
    const keys = Object.keys(node);
    if (keys.length === 1) {
      const k = keys[0] as string;
      const arg = node[k] as Json;
      const args = Array.isArray(arg) ? arg : [arg];
      switch (k) {
        case 'Ref':
          return ref(String(arg));
        case 'Condition':
          return condition(String(arg));
        case 'Fn::If':
          return value(condition(String(args[0])) ? (args[1] as Json) : (args[2] as Json));
        case 'Fn::Equals':
          return JSON.stringify(value(args[0] as Json)) === JSON.stringify(value(args[1] as Json));
        case 'Fn::Not':
          return value(args[0] as Json) !== true;
        case 'Fn::And':
          return args.every((a) => value(a) === true);
        case 'Fn::Or':
          return args.some((a) => value(a) === true);
        case 'Fn::GetAtt':
          return getAtt(String(args[0]), String(args[1]));
        case 'Fn::Join':
          return (value(args[1] as Json) as Json[]).map(String).join(String(args[0]));
        case 'Fn::Sub':
          return typeof arg === 'string' ? sub(arg, {}) : sub(String(args[0]), value(args[1] ?? {}) as Record<string, Json>);
        default:
          if (k.startsWith('Fn::')) throw new Error(`${k} is not supported here`);
      }
    }
    const out: Record<string, Json> = {};
    for (const [key, v] of Object.entries(node)) {
      const r = value(v);
      if (r !== NO_VALUE) out[key] = r;
    }
    return out;
  }
  const resources: Template['Resources'] = {};
  for (const [logical, r] of Object.entries(template.Resources)) {
    if (r.Condition !== undefined && !condition(r.Condition)) continue;
    resources[logical] = { Type: r.Type, ...(r.Properties ? { Properties: value(r.Properties) as Record<string, Json> } : {}) };
  }
  return resources;
}

const parsed = new Map<TemplateName, Template>();
/** The template as data (parsed once per process; do not modify it). */
export function template(name: TemplateName): Template {
  let t = parsed.get(name);
  if (t === undefined) {
    t = parseTemplate(templateBody(name));
    parsed.set(name, t);
  }
  return t;
}

/** Refuses what CloudFormation in AWS would refuse and moto does not check: unknown, missing or disallowed parameters. */
export function checkParameters(name: TemplateName, parameters: Record<string, string>): void {
  const declared = template(name).Parameters ?? {};
  for (const key of Object.keys(parameters)) if (!(key in declared)) throw new Error(`${TEMPLATES[name]}: no parameter ${key}`);
  for (const [key, p] of Object.entries(declared)) {
    const v = parameters[key];
    if (v === undefined) {
      if (p.Default === undefined) throw new Error(`${TEMPLATES[name]}: parameter ${key} is required`);
      continue;
    }
    if (p.AllowedValues && !p.AllowedValues.map(String).includes(v)) throw new Error(`${TEMPLATES[name]}: ${key}=${v} is not one of ${p.AllowedValues.join(', ')}`);
    if (p.AllowedPattern !== undefined && !new RegExp(p.AllowedPattern).test(v)) throw new Error(`${TEMPLATES[name]}: ${key}=${v} does not match ${p.AllowedPattern}`);
  }
}

// ---- the sandbox's stacks ---------------------------------------------------------------------

export interface StackSpec {
  /** The account the stack (and its role) goes into. */
  account: string;
  stackName: string;
  template: TemplateName;
  parameters: Record<string, string>;
  /** The output holding the role's ARN. */
  roleArnOutput: string;
}

/** A stack name for a role: CloudFormation allows [A-Za-z0-9-]; other characters of role names become '-' plus a hash, so names stay distinct. */
export function roleStackName(prefix: string, roleName: string): string {
  const safe = roleName.replace(/[^A-Za-z0-9-]/g, '-');
  return safe === roleName ? `${prefix}-${roleName}` : `${prefix}-${safe}-${createHash('sha256').update(roleName).digest('hex').slice(0, 8)}`;
}

/** target-account.yaml for an execution role, with every capability on (the sandbox runs every runbook). */
export function executionRoleStack(role: { account: string; path: string; name: string }, brokerArn: string, externalId: string): StackSpec {
  return {
    account: role.account,
    stackName: roleStackName('safeguard-target', role.name),
    template: 'targetAccount',
    parameters: {
      BrokerPrincipalArn: brokerArn,
      ExternalId: externalId,
      ExecutionRoleName: role.name,
      ExecutionRolePath: role.path,
      EnableKeyRotation: 'true',
      EnableRestoreDrills: 'true',
      EnableAccessReviews: 'true',
      EnableComplianceChecks: 'true',
      EnableRunbookChecks: 'true',
    },
    roleArnOutput: 'ExecutionRoleArn',
  };
}

/** break-glass-role.yaml for a break-glass (admin, read-only) or fire-drill (none) role. */
export function breakGlassRoleStack(role: { account: string; path: string; name: string }, accessLevel: AccessLevel, brokerArn: string): StackSpec {
  return {
    account: role.account,
    stackName: roleStackName(accessLevel === 'none' ? 'safeguard-fire-drill' : 'safeguard-break-glass', role.name),
    template: 'breakGlassRole',
    parameters: { RoleName: role.name, RolePath: role.path, AccessLevel: accessLevel, BrokerPrincipalArn: brokerArn },
    roleArnOutput: 'RoleArn',
  };
}

export class StackDeployError extends Error {
  readonly code = 'SandboxStackFailed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StackDeployError';
  }
}

const POLL_MS = 50;

/** CloudFormation clients per account on one moto, for the seed. */
export class SandboxStacks {
  private readonly clients = new Map<string, CloudFormationClient>();

  constructor(private readonly client: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } }) {}

  /** moto keeps one CloudFormation (and IAM) per account, chosen by the x-moto-account-id header. */
  private cfn(account: string): CloudFormationClient {
    let c = this.clients.get(account);
    if (!c) {
      // One attempt: CreateStack is not idempotent, and a retry after moto's HTTP 500 (a template it
      // cannot handle) would only say the stack already exists.
      c = inMotoAccount(new CloudFormationClient({ ...this.client, maxAttempts: 1 }), account);
      this.clients.set(account, c);
    }
    return c;
  }

  /**
   * Creates the stack, waits for CREATE_COMPLETE and returns the role ARN from its outputs, which
   * must be the one expected (moto put the role in the stack's account).
   */
  async deploy(spec: StackSpec, expectedRoleArn?: string, timeoutMs = 60_000): Promise<string> {
    checkParameters(spec.template, spec.parameters);
    const cfn = this.cfn(spec.account);
    const what = `stack ${spec.stackName} (${TEMPLATES[spec.template]}) in account ${spec.account}`;
    try {
      await cfn.send(
        new CreateStackCommand({
          StackName: spec.stackName,
          TemplateBody: templateBody(spec.template),
          Parameters: Object.entries(spec.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
          Capabilities: ['CAPABILITY_NAMED_IAM'],
          Tags: [{ Key: 'safeguard:sandbox', Value: 'true' }],
        }),
      );
    } catch (err) {
      throw new StackDeployError(`seeding ${what}: CreateStack failed: ${(err as Error).message}`, { cause: err });
    }
    const stack = await this.waitForCreate(cfn, spec.stackName, what, timeoutMs);
    const arn = stack.Outputs?.find((o) => o.OutputKey === spec.roleArnOutput)?.OutputValue;
    if (!arn) throw new StackDeployError(`seeding ${what}: no output ${spec.roleArnOutput}`);
    if (expectedRoleArn !== undefined && arn !== expectedRoleArn) throw new StackDeployError(`seeding ${what}: created ${arn}, expected ${expectedRoleArn}`);
    return arn;
  }

  private async waitForCreate(cfn: CloudFormationClient, stackName: string, what: string, timeoutMs: number): Promise<Stack> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
      const status = stack?.StackStatus ?? 'MISSING';
      if (stack && status === 'CREATE_COMPLETE') return stack;
      // Anything but still creating (CREATE_FAILED, ROLLBACK_*) is final.
      if (status !== 'CREATE_IN_PROGRESS') throw new StackDeployError(`seeding ${what}: ${status}${stack?.StackStatusReason ? `: ${stack.StackStatusReason}` : ''}`);
      if (Date.now() > deadline) throw new StackDeployError(`seeding ${what}: still ${status} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  destroy(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }
}
