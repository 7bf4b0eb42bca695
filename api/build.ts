// Builds the api's dependencies from plain settings; api/main.ts (production) and the embedded stack
// (dev, demo, tests) both use it, so they serve the same routes the same way.
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { EvidenceStore } from '../activities/evidence/store';
import { BreakGlassClient } from '../client/break-glass-client';
import type { KeyRing } from '../codec';
import type { Policy } from '../config/policy-types';
import { CallerIdentityVerifier } from './auth/caller-identity';
import { createCodecHandler } from './codec-routes';
import type { ApiDeps } from './server';

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
  evidenceDir: string;
  codec?: { keyring: KeyRing; allowedOrigins: string[]; authToken?: string };
  logger: Logger;
}

export function buildApiDeps(s: ApiSettings): ApiDeps {
  const stsEndpoint = s.awsEndpoint ?? `https://sts.${s.region}.amazonaws.com`;
  const broker = new STSClient({ region: s.region, ...(s.awsEndpoint ? { endpoint: s.awsEndpoint } : {}), ...(s.brokerCredentials ? { credentials: s.brokerCredentials } : {}), maxAttempts: 3 });
  const evidence = new EvidenceStore(s.evidenceDir);
  return {
    breakGlass: new BreakGlassClient(s.temporal, s.taskQueue),
    policy: () => s.policy,
    verifier: new CallerIdentityVerifier({ stsEndpoint, allowedStsHosts: s.stsHosts ?? [new URL(stsEndpoint).host], serverId: s.serverId }),
    brokerSts: () => broker,
    console: { federationUrl: s.federationUrl },
    async recordRefusal(r) {
      // No workflow to hold it (unknown or ended grant): the refusal goes to the evidence store.
      await evidence.append({ id: `refusal/${r.grantId}/${r.by}/${Date.now()}`, kind: 'access-refused', record: { ...r, at: new Date().toISOString() } });
    },
    ...(s.codec ? { extraHandlers: [createCodecHandler({ keyring: s.codec.keyring, allowedOrigins: s.codec.allowedOrigins, ...(s.codec.authToken ? { authToken: s.codec.authToken } : {}), logger: s.logger })] } : {}),
    log: (msg, fields) => s.logger.info(fields ?? {}, msg),
  };
}
