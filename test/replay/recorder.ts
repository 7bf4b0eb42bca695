// What the history recorders (record-*.ts) share: where histories go, saving one under
// `<workflow id>.<scenario>.json` (replay needs the original id), waiting for a run to get somewhere,
// and running a recorder as a script. Not a test file.
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { startTimeSkipping } from '../support/time-skipping';

export const HISTORIES_DIR = path.join(__dirname, 'histories');

export async function saveHistory(handle: WorkflowHandle, scenario: string): Promise<void> {
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  fs.writeFileSync(path.join(HISTORIES_DIR, `${handle.workflowId}.${scenario}.json`), historyToJSON(await handle.fetchHistory()));
}

/** Polls `check` (errors count as "not yet") until it holds, at most 30 s. */
export async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`never got there: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs a recorder's main and exits 0, or prints why it failed and exits 1. */
export function runRecorder(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

/** Each recording gets its own server: a run that ends while the server skips time can leave it stuck. */
export async function recording(fn: (env: TestWorkflowEnvironment) => Promise<void>): Promise<void> {
  const env = await startTimeSkipping();
  try {
    await fn(env);
  } finally {
    await env.teardown();
  }
}
