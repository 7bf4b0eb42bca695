// The worker's workflow bundle, built by a child process into a private temporary file: webpack's
// memory is the child's and is returned when it exits (`npm run bench`'s rss section measured
// ~100 MB kept resident when the worker bundled in-process). The child runs with this process's
// own Node flags (the tsx loader), so it bundles exactly the code this worker runs.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const WRITER = path.join(__dirname, `write-bundle${path.extname(__filename)}`);

/** Bundles into a fresh file; the caller deletes it (`dispose`) once its workers have loaded it. */
export async function buildWorkflowBundle(): Promise<{ codePath: string; dispose(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-workflows-'));
  const codePath = path.join(dir, 'workflows.js');
  try {
    await run(process.execPath, [...process.execArgv, WRITER, codePath], { timeout: 300_000, maxBuffer: 1 << 20 });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`bundling the workflow code failed${stderr ? `: ${stderr.slice(-2000)}` : ''}`, { cause: err });
  }
  return { codePath, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
