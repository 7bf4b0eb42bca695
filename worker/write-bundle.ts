// Bundles the workflow code (workflows/index.ts) into the file named by the first argument. The
// worker runs this in a child process (worker/workflow-bundle.ts) so webpack never lives in the
// worker's own memory: bundling in-process left ~100 MB resident for the worker's whole life.
import fs from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsPath } from './workflows-path';

async function main(): Promise<void> {
  const out = process.argv[2];
  if (!out) throw new Error('usage: write-bundle <output file>');
  const silent = () => undefined;
  const warn = (m: string) => void process.stderr.write(`bundler: ${m}\n`);
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: { log: silent, trace: silent, debug: silent, info: silent, warn, error: warn } });
  fs.writeFileSync(out, code, { mode: 0o600 });
}

main().catch((err: unknown) => {
  process.stderr.write(`write-bundle: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
