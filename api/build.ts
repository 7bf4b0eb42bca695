// Builds the api's dependencies from plain settings; api/main.ts (production) and the embedded stack
// (dev, demo, tests) both use it, so they serve the same routes the same way.
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { EvidenceStore } from '../evidence/store';
import { prepareRecord } from '../evidence/records';
import { AwsClients } from '../activities/aws/clients';
import { describeSession } from '../activities/aws/ssm';
import { DecisionsClient } from '../client/decisions-client';
import { BreakGlassClient } from '../client/break-glass-client';
import { RunbookClient } from '../client/runbook-client';
import type { KeyRing } from '../codec';
import type { Policy } from '../config/policy/types';
import { CallerIdentityVerifier } from './auth/caller-identity';
import { createCodecHandler } from './codec-routes';
import type { ApiDeps } from './server';
import type { ApiMetrics } from '../shared/ops/metrics';

export interface ApiSettings {
  temporal: Client;
  taskQueue: string;
  policy: Policy;
  region: string;
  /** AWS endpoint override (the sandbox). */
  awsEndpoint?: string;
  /** Broker credentials; undefined means the SDK default chain. */
  brokerCredentials?: AwsCredentialIdentity;
  serverId: string;
  /** host[:port] the presigned identity requests may target; defaults to the STS endpoint's host. */
  stsHosts?: string[];
  federationUrl: string;
  /** Keyed and anchored (evidence/open.ts): refusals with no workflow to hold them are recorded here. */
  evidence: EvidenceStore;
  /** The codec endpoint: a token, or the explicit `unauthenticatedDecode` opt-out (see api/codec-routes.ts). */
  codec?: { keyring: KeyRing; allowedOrigins: string[]; authToken?: string; unauthenticatedDecode?: boolean };
  logger: Logger;
  /** Vending latency goes here when set (the api process's ops endpoint serves it). */
  metrics?: ApiMetrics;
}

export function buildApiDeps(s: ApiSettings): ApiDeps {
  const stsEndpoint = s.awsEndpoint ?? `https://sts.${s.region}.amazonaws.com`;
  const broker = new STSClient({ region: s.region, ...(s.awsEndpoint ? { endpoint: s.awsEndpoint } : {}), ...(s.brokerCredentials ? { credentials: s.brokerCredentials } : {}), maxAttempts: 3 });
  const evidence = s.evidence;
  // SafeguardExecution in each account, as the worker uses it: the api checks reported SSM sessions.
  const aws = new AwsClients({ region: s.region, ...(s.awsEndpoint ? { endpoint: s.awsEndpoint } : {}), ...(s.brokerCredentials ? { brokerCredentials: s.brokerCredentials } : {}) });
  return {
    breakGlass: new BreakGlassClient(s.temporal, s.taskQueue),
    decisions: new DecisionsClient(s.temporal),
    runbooks: new RunbookClient(s.temporal, s.taskQueue),
    policy: () => s.policy,
    verifier: new CallerIdentityVerifier({ stsEndpoint, allowedStsHosts: s.stsHosts ?? [new URL(stsEndpoint).host], serverId: s.serverId }),
    brokerSts: () => broker,
    describeSession: async (account, sessionId) => describeSession((await aws.forAccount(account)).ssm, sessionId),
    console: { federationUrl: s.federationUrl },
    async recordRefusal(r) {
      // No workflow to hold it (unknown or ended grant): the refusal goes to the evidence store.
      const checked = prepareRecord('access-refused', { ...r, at: new Date().toISOString() });
      if (!checked.ok) throw new Error(checked.problem);
      await evidence.append({ id: `refusal/${r.grantId}/${r.by}/${Date.now()}`, kind: 'access-refused', record: checked.record });
    },
    ...(s.codec ? { extraHandlers: [createCodecHandler({ ...s.codec, logger: s.logger })] } : {}),
    log: (msg, fields) => s.logger.info(fields ?? {}, msg),
    ...(s.metrics ? { metrics: s.metrics } : {}),
  };
}
