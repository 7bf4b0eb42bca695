// `npx tsx sandbox/main.ts` — runs the AWS sandbox under .data/sandbox until SIGINT/SIGTERM.

import path from 'node:path';
import { startSandbox } from './index';

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
  const started = Date.now();
  const sandbox = await startSandbox({
    dataDir,
    ...(port !== undefined ? { port } : {}),
    authenticate,
    log: (msg) => {
      if (verbose || !msg.startsWith('#')) console.error(`[sandbox] ${msg}`);
    },
  });
  console.log(`AWS sandbox ready in ${Date.now() - started} ms`);
  console.log(`  endpoint: ${sandbox.endpoint}`);
  if (sandbox.authenticated) console.log('  auth:     moto verifies signatures and IAM policies');
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
