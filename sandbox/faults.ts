// Fault injection rules: throttling, 5xx and latency, per service/action, with a hit rate.

import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AwsProtocol } from './aws-request';
import { escapeXml } from './moto-query';

/** Signing names (credential-scope services) a fault rule may target; `*` is every service. */
export const FAULT_SERVICES = [
  'iam',
  'sts',
  'ssm',
  'kms',
  'rds',
  'backup',
  'secretsmanager',
  'dynamodb',
  'cloudformation',
  'access-analyzer',
  'cloudtrail',
  's3',
  '*',
] as const;

export const faultRuleSchema = z
  .object({
    service: z.enum(FAULT_SERVICES),
    action: z.string().min(1).optional(),
    kind: z.enum(['throttle', '5xx', 'latency']),
    rate: z.number().min(0).max(1),
    latencyMs: z.number().int().min(0).max(120_000).optional(),
  })
  .strict()
  .refine((r) => r.kind !== 'latency' || r.latencyMs !== undefined, {
    message: 'latencyMs is required when kind is "latency"',
    path: ['latencyMs'],
  });

export type FaultRule = z.infer<typeof faultRuleSchema>;
export type StoredFaultRule = FaultRule & { id: string };

export class FaultValidationError extends Error {
  readonly code = 'InvalidFaultRule';
  constructor(message: string) {
    super(message);
    this.name = 'FaultValidationError';
  }
}

/** Validates a fault body; throws FaultValidationError with a readable message. */
export function parseFaultRule(body: unknown): FaultRule {
  const result = faultRuleSchema.safeParse(body);
  if (!result.success) {
    const detail = result.error.issues
      .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(body)'}: ${i.message}`)
      .join('; ');
    throw new FaultValidationError(`invalid fault rule: ${detail}`);
  }
  return result.data;
}

export interface FaultDecision {
  /** Total latency to add before answering (sum of triggered latency rules). */
  latencyMs: number;
  /** The latency rule that fired first, if any (for the call log). */
  latencyRule?: StoredFaultRule;
  /** A throttle/5xx rule that fired: the gateway answers with an error instead of forwarding. */
  failure?: StoredFaultRule;
}

export class FaultRules {
  private rules: StoredFaultRule[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  add(rule: FaultRule): StoredFaultRule {
    const stored: StoredFaultRule = { ...rule, id: randomUUID() };
    this.rules.push(stored);
    return stored;
  }

  clear(): void {
    this.rules = [];
  }

  list(): StoredFaultRule[] {
    return [...this.rules];
  }

  decide(service: string, action: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0 };
    for (const rule of this.rules) {
      if (rule.service !== '*' && rule.service !== service.toLowerCase()) continue;
      if (rule.action !== undefined && rule.action !== action) continue;
      if (rule.rate <= 0 || (rule.rate < 1 && this.random() >= rule.rate)) continue;
      if (rule.kind === 'latency') {
        decision.latencyMs += rule.latencyMs ?? 0;
        decision.latencyRule ??= rule;
      } else if (!decision.failure) {
        decision.failure = rule;
      }
    }
    return decision;
  }
}

export interface ErrorReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  code: string;
}

export function requestId(): string {
  return randomBytes(18).toString('base64url');
}

/** An AWS error in the protocol's own wire format (query XML, JSON 1.1, or rest-json's header and body). */
export function awsErrorReply(protocol: AwsProtocol, status: number, code: string, message: string): ErrorReply {
  const rid = requestId();
  if (protocol === 'rest-json') {
    return {
      status,
      code,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': code, 'x-amzn-requestid': rid },
      body: JSON.stringify({ Code: code, Message: message, message }),
    };
  }
  if (protocol === 'json') {
    return {
      status,
      code,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': rid },
      body: JSON.stringify({ __type: code, message }),
    };
  }
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return {
    status,
    code,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': rid },
    body:
      `<ErrorResponse><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code>` +
      `<Message>${escapeXml(message)}</Message></Error><RequestId>${rid}</RequestId></ErrorResponse>`,
  };
}

export function faultReply(kind: 'throttle' | '5xx', protocol: AwsProtocol): ErrorReply {
  if (kind === 'throttle') {
    return protocol === 'json' || protocol === 'rest-json'
      ? awsErrorReply(protocol, 400, 'ThrottlingException', 'Rate exceeded')
      : awsErrorReply(protocol, 400, 'Throttling', 'Rate exceeded');
  }
  return awsErrorReply(protocol, 503, 'ServiceUnavailable', 'Service is unavailable (injected fault)');
}
