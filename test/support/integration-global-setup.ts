// Integration tier: one embedded stack (Temporal dev server + AWS sandbox + a worker process) for the
// whole run, in a temporary directory. Test files read its StackInfo from SAFEGUARD_TEST_STACK_FILE;
// tests that crash workers spawn their own on their own task queue.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStack } from '../../dev/stack';
import type { Stack } from '../../dev/stack';

declare global {
  var __SAFEGUARD_STACK__: Stack | undefined;
}

export default async function setup(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-it-'));
  // The examples' policy plus rotation targets with test timings (seconds), one service user each.
  const policyFile = path.resolve(__dirname, '../fixtures/policies/integration.yaml');
  const stack = await startStack({ dataDir, headless: true, policyFile }).catch((err: unknown) => {
    process.stderr.write(`integration stack failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    throw err;
  });
  globalThis.__SAFEGUARD_STACK__ = stack;
  process.env.SAFEGUARD_TEST_STACK_FILE = path.join(dataDir, 'stack.json');
}
