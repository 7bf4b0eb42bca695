// What the api's areas share: the dependencies the api is built with, and the kit an area gets to
// register its routes (api/routes/<area>.ts). Types only, so areas never import the server.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { BreakGlassClient } from '../client/break-glass-client';
import type { DecisionsClient } from '../client/decisions-client';
import type { RunbookClient } from '../client/runbook-client';
import type { VendingDeps } from '../client/vending';
import type { Policy } from '../config/policy/types';
import type { BoundRequest } from './auth/signed-request';
import type { ConsoleLinkOptions } from './console-link';
import type { Router } from './router';
import type { SessionDeps } from './sessions';
import type { ApiMetrics } from '../shared/ops/metrics';

/** What an api area gets to register its routes. */
export interface ApiKit {
  router: Router;
  deps: ApiDeps;
  authenticate(req: IncomingMessage): Promise<{ person: string; arn: string }>;
  readJson(req: IncomingMessage): Promise<unknown>;
  parse<T>(schema: z.ZodType<T>, body: unknown): T;
}

/** Verifies the caller's presigned GetCallerIdentity (api/auth), bound to `received`, and returns their ARN. */
export interface CallerVerifier {
  verifyHeader(headerValue: string, received: BoundRequest): Promise<{ arn: string }>;
}

export interface ApiDeps extends Omit<VendingDeps, 'breakGlass'>, Omit<SessionDeps, 'breakGlass' | 'policy'> {
  breakGlass: BreakGlassClient;
  /** Decisions on every other kind's runs. */
  decisions: DecisionsClient;
  /** Confirmations of declarative runbooks' confirm steps. */
  runbooks: RunbookClient;
  policy: () => Policy;
  verifier: CallerVerifier;
  console: ConsoleLinkOptions;
  /** Extra handlers tried first (the codec endpoint); return true when they answered. */
  extraHandlers?: Array<(req: IncomingMessage, res: ServerResponse) => Promise<boolean>>;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** The process's metrics (shared/ops/metrics.ts): vending latency. */
  metrics?: ApiMetrics;
}

