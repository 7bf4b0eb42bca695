// The api process (`npm run api`): credential vending, console links, authenticated actions and the
// codec endpoint. Configuration from the environment (config/env.ts); broker credentials from the
// AWS SDK's default chain, like the worker. It refuses to start without the settings that have no
// safe default: its server id and codec authentication (apiEnv).
import path from 'node:path';
import { keyRingFromEnv } from '../codec';
import { apiEnv, parseEnv } from '../config/env';
import { createLogger } from '../config/logger';
import { loadPolicyFile } from '../config/policy';
import { temporalTarget } from '../config/temporal';
import { buildApiDeps } from './build';
import { startApiServer } from './server';
import { connectTemporal } from '../client/temporal';

async function main(): Promise<void> {
  const env = parseEnv();
  const required = apiEnv(env);
  const logger = createLogger('api', env.LOG_LEVEL);
  if (required.codec.unauthenticatedDecode) {
    // Loud on purpose: anyone who can reach /codec/decode can read every workflow history.
    logger.warn(
      { SAFEGUARD_CODEC_AUTH: 'off' },
      'SAFEGUARD_CODEC_AUTH=off: /codec/decode answers WITHOUT authentication; anyone who can reach this api can decrypt every workflow history. Set SAFEGUARD_CODEC_AUTH_TOKEN and remove SAFEGUARD_CODEC_AUTH=off unless only trusted people can reach it.',
    );
  }
  const keyring = keyRingFromEnv();
  const target = temporalTarget(env);
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
    evidenceDir: env.SAFEGUARD_EVIDENCE_DIR ?? path.join(env.SAFEGUARD_DATA_DIR, 'evidence'),
    codec: {
      keyring,
      allowedOrigins: env.SAFEGUARD_CODEC_CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
      ...required.codec,
    },
    logger,
  });
  const api = await startApiServer(deps, { port: env.SAFEGUARD_API_PORT });
  logger.info({ url: api.url, serverId: required.serverId, codecAuth: required.codec.unauthenticatedDecode ? 'off (decode open)' : 'token' }, 'api listening');
  const stop = (): void => {
    void api.close().then(() => connection.close()).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`safeguard api: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
