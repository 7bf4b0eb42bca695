// Where the CLI's connection and configuration come from: the environment (production), or the stack
// file a running `npm run dev` wrote (the embedded default). The stack file also marks the sandbox,
// the only place `--as <person>` is honoured.
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { parseEnv, requireApiServerId } from '../config/env';
import { loadPolicyFile } from '../config/policy';
import type { Policy } from '../config/policy/types';
import { temporalTarget } from '../config/temporal';
import { DecisionsClient } from '../client/decisions-client';
import { BreakGlassClient } from '../client/break-glass-client';
import { REPO_ROOT } from '../config/stack-file';
import type { StackInfo } from '../config/stack-file';
import type { ApiTarget } from './api-client';
import { loadKeyFile } from '../codec';
import { keyRingForProcess } from '../codec/kms-keyring';
import { connectTemporal } from '../client/temporal';

export interface CliContext {
  policy: Policy;
  policyFile: string;
  breakGlass: BreakGlassClient;
  decisions: DecisionsClient;
  temporal: Client;
  /** The worker's task queue: where new runs are started. */
  taskQueue: string;
  /** Set when talking to the embedded default: identities may come from sandbox keys. */
  sandbox?: { stack: StackInfo };
  aws: { region: string; endpoint?: string };
  /** The Safeguard api, when one is configured: people's actions and credential vending go there. */
  api?: ApiTarget;
  close(): Promise<void>;
}

export function defaultStackFile(): string {
  return process.env.SAFEGUARD_STACK_FILE ?? path.join(REPO_ROOT, '.data', 'stack.json');
}

export function findRunningStack(file: string = defaultStackFile()): StackInfo | undefined {
  if (!fs.existsSync(file)) return undefined;
  const info = JSON.parse(fs.readFileSync(file, 'utf8')) as StackInfo;
  return info;
}

/** Builds a context from a stack (dev, demo, tests) or, without one, from the environment. */
export async function openContext(stack: StackInfo | undefined = process.env.TEMPORAL_ADDRESS ? undefined : findRunningStack()): Promise<CliContext> {
  const env = parseEnv();
  const target = stack ? { address: stack.temporalAddress, namespace: stack.namespace, tls: false } : temporalTarget(env);
  const policyFile = stack?.policyFile ?? path.resolve(env.SAFEGUARD_POLICY);
  const policy = loadPolicyFile(policyFile);
  // An api configured by SAFEGUARD_API_URL needs its server id: fail before connecting anywhere.
  if (!stack?.apiUrl && env.SAFEGUARD_API_URL) requireApiServerId(env);
  const keyring = stack?.codecKeyFile ? loadKeyFile(stack.codecKeyFile) : await keyRingForProcess();
  const { client: temporal, connection } = await connectTemporal(target, keyring, { connectTimeoutMs: 5000 });
  const endpoint = stack?.awsEndpoint ?? env.SAFEGUARD_AWS_ENDPOINT;
  const region = stack?.region ?? env.AWS_REGION;
  const apiUrl = stack?.apiUrl ?? env.SAFEGUARD_API_URL;
  const api: ApiTarget | undefined = apiUrl
    ? { url: apiUrl, serverId: stack?.apiServerId ?? requireApiServerId(env), stsEndpoint: endpoint ?? `https://sts.${region}.amazonaws.com`, region }
    : undefined;
  return {
    ...(api ? { api } : {}),
    policy,
    policyFile,
    temporal,
    taskQueue: stack?.taskQueue ?? env.SAFEGUARD_TASK_QUEUE,
    breakGlass: new BreakGlassClient(temporal, stack?.taskQueue ?? env.SAFEGUARD_TASK_QUEUE),
    decisions: new DecisionsClient(temporal),
    ...(stack ? { sandbox: { stack } } : {}),
    aws: { region, ...(endpoint ? { endpoint } : {}) },
    close: () => connection.close(),
  };
}
