// `npm run dev`: the embedded default, kept running. Temporal dev server (SQLite under .data/, Web UI
// on :8233), the AWS sandbox and a worker (restarted with backoff when it dies); the CLI finds them
// through .data/stack.json.
import path from 'node:path';
import { startStack } from './stack';
import { REPO_ROOT } from './temporal-server';

async function main(): Promise<void> {
  const port = Number(process.env.SAFEGUARD_TEMPORAL_PORT ?? 7233);
  const uiPort = Number(process.env.SAFEGUARD_UI_PORT ?? 8233);
  const stack = await startStack({
    dataDir: path.join(REPO_ROOT, '.data'),
    temporalPort: port,
    uiPort,
    restartWorker: true,
    log: (m) => process.stdout.write(`safeguard: ${m}\n`),
  });
  const i = stack.info;
  process.stdout.write(
    [
      '',
      `Safeguard is ready.`,
      `  Temporal   ${i.temporalAddress}   Web UI ${i.uiUrl ?? '(headless)'}`,
      `  AWS        sandbox at ${i.awsEndpoint} (moto + gateway), account 123456789012`,
      `  api        ${i.apiUrl ?? '(none)'} (credential vending, codec for the Web UI)`,
      `  Policy     ${path.relative(REPO_ROOT, i.policyFile)}   Evidence ${path.relative(REPO_ROOT, i.evidenceDir)}/`,
      `  Worker log ${path.relative(REPO_ROOT, stack.worker?.logFile ?? '')} (a worker that exits is restarted)`,
      '',
      'Try it from another terminal (people: alice, dave request; bob, carol approve):',
      '  bin/safeguard breakglass request --as alice --role BreakGlassAdmin --duration 2m --reason "orders DB is down, need a restart"',
      '  bin/safeguard breakglass approve --as bob <id>',
      '  bin/safeguard breakglass status --as alice <id>',
      '  bin/safeguard creds --as alice <id>                 # credential_process JSON (or --env)',
      '  bin/safeguard connect --as alice <id> --target <instance-id>',
      '  bin/safeguard console --as alice <id>',
      '  bin/safeguard breakglass list --as carol --active',
      '  bin/safeguard audit verify',
      '',
      'Ctrl-C stops everything; the Temporal history stays in .data/temporal.db.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('safeguard: stopping\n');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`safeguard dev: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
