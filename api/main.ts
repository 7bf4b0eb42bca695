// The api process (`npm run api`): credential vending, console links, authenticated actions and the
// codec endpoint. Configuration from the environment (config/env.ts); broker credentials from the
// AWS SDK's default chain, like the worker. It refuses to start without the settings that have no
// safe default: its server id and codec authentication (apiEnv).
import path from 'node:path';
import { keyRingForProcess } from '../codec/kms-keyring';
import { nodeVersionNotice } from '../config/node-version';
import { apiEnv, parseEnv } from '../config/env';
import { createLogger } from '../config/logger';
import { loadPolicyFile } from '../config/policy';
import { temporalTarget } from '../config/temporal';
import { buildApiDeps } from './build';
import { evidenceStoreForWriter } from '../evidence/open';
import { startApiServer } from './server';
import { connectTemporal } from '../client/temporal';
import { apiMetrics, createOpsRegistry } from '../shared/ops/metrics';
import { startOpsEndpoint } from '../shared/ops/server';
import type { Readiness } from '../shared/ops/server';
import { temporalReadiness } from '../shared/ops/readiness';
import { onShutdownSignals } from '../shared/ops/shutdown';

/** How long in-flight requests (a vend: an Update, AssumeRole, a Signal) may take once shutdown began. */
const DRAIN_MS = 10_000;

async function main(): Promise<void> {
  const nodeNotice = nodeVersionNotice();
  const env = parseEnv();
  const required = apiEnv(env);
  const logger = createLogger('api', env.LOG_LEVEL);
  if (nodeNotice) logger.warn(nodeNotice);
  if (required.codec.unauthenticatedDecode) {
    // Loud on purpose: anyone who can reach /codec/decode can read every workflow history.
    logger.warn(
      { SAFEGUARD_CODEC_AUTH: 'off' },
      'SAFEGUARD_CODEC_AUTH=off: /codec/decode answers WITHOUT authentication; anyone who can reach this api can decrypt every workflow history. Set SAFEGUARD_CODEC_AUTH_TOKEN and remove SAFEGUARD_CODEC_AUTH=off unless only trusted people can reach it.',
    );
  }
  const keyring = await keyRingForProcess();
  const target = temporalTarget(env);
  const registry = createOpsRegistry();
  let ready: (() => Promise<Readiness>) | undefined = undefined;
  // Up before Temporal is reached, so /healthz answers during start-up and /readyz says why not yet.
  const ops = await startOpsEndpoint(env, { registry, readiness: () => ready?.() ?? { ready: false, reason: 'starting' } }, logger);
  const { client: temporal, connection } = await connectTemporal(target, keyring);
  const deps = buildApiDeps({
    temporal,
    taskQueue: env.SAFEGUARD_TASK_QUEUE,
    policy: loadPolicyFile(path.resolve(env.SAFEGUARD_POLICY)),
    region: env.AWS_REGION,
    ...(env.SAFEGUARD_AWS_ENDPOINT ? { awsEndpoint: env.SAFEGUARD_AWS_ENDPOINT } : {}),
    serverId: required.serverId,
    ...(env.SAFEGUARD_STS_HOSTS ? { stsHosts: env.SAFEGUARD_STS_HOSTS.split(',').map((h) => h.trim()).filter(Boolean) } : {}),
    federationUrl: env.SAFEGUARD_FEDERATION_URL,
    evidence: await evidenceStoreForWriter(process.env),
    codec: {
      keyring,
      allowedOrigins: env.SAFEGUARD_CODEC_CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
      ...required.codec,
    },
    logger,
    metrics: apiMetrics(registry),
  });
  const api = await startApiServer(deps, { host: env.SAFEGUARD_API_HOST, port: env.SAFEGUARD_API_PORT });
  ready = temporalReadiness(connection);
  logger.info({ url: api.url, serverId: required.serverId, codecAuth: required.codec.unauthenticatedDecode ? 'off (decode open)' : 'token' }, 'api listening');
  onShutdownSignals({
    logger,
    onFirst() {
      // Readiness first (the load balancer stops sending), then no new connections, in-flight
      // requests finish within DRAIN_MS, then Temporal closes.
      ops?.beginShutdown();
      void api
        .close({ graceMs: DRAIN_MS })
        .then(() => connection.close())
        .then(() => ops?.close())
        .then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'shutdown failed');
            process.exit(1);
          },
        );
    },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`safeguard api: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
