// `npx tsx sandbox/main.ts` — runs the AWS sandbox under .data/sandbox until SIGINT/SIGTERM, seeded
// from SAFEGUARD_POLICY's policy when set (else the default plan), with the key consumers running
// and new IAM keys propagating in SANDBOX_NEW_KEY_DELAY_MS (default 2000), like the dev stack's.

import path from 'node:path';
import { loadPolicyFile } from '../config/policy';
import { seedPlanFromPolicy, startSandbox } from './index';

async function main(): Promise<void> {
  const dataDir = path.resolve(__dirname, '..', '.data', 'sandbox');
  const portEnv = process.env['SANDBOX_PORT'];
  const port = portEnv ? Number(portEnv) : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new Error(`SANDBOX_PORT must be a port number, got "${portEnv ?? ''}"`);
  }
  const verbose = process.env['SANDBOX_VERBOSE'] === '1' || process.env['SANDBOX_VERBOSE'] === 'true';
  // SANDBOX_AUTH=1: moto verifies signatures and IAM policies after seeding (see docs/api-auth.md).
  const authenticate = process.env['SANDBOX_AUTH'] === '1' || process.env['SANDBOX_AUTH'] === 'true';
  const delayEnv = process.env['SANDBOX_NEW_KEY_DELAY_MS'];
  const newKeyDelayMs = delayEnv ? Number(delayEnv) : 2_000;
  if (!Number.isInteger(newKeyDelayMs) || newKeyDelayMs < 0) throw new Error(`SANDBOX_NEW_KEY_DELAY_MS must be a whole number of ms, got "${delayEnv ?? ''}"`);
  const policyFile = process.env['SAFEGUARD_POLICY']?.trim();
  const started = Date.now();
  const sandbox = await startSandbox({
    dataDir,
    ...(port !== undefined ? { port } : {}),
    ...(policyFile ? { plan: seedPlanFromPolicy(loadPolicyFile(policyFile)) } : {}),
    newKeyDelayMs,
    consumers: true,
    authenticate,
    log: (msg) => {
      if (verbose || !msg.startsWith('#')) console.error(`[sandbox] ${msg}`);
    },
  });
  console.log(`AWS sandbox ready in ${Date.now() - started} ms`);
  console.log(`  endpoint: ${sandbox.endpoint}`);
  if (sandbox.authenticated) console.log('  auth:     moto verifies signatures and IAM policies');
  if (policyFile) console.log(`  policy:   ${policyFile}`);
  console.log(`  seed:     ${path.join(dataDir, 'sandbox.json')}`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.error(`[sandbox] ${signal}: stopping`);
    sandbox.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
