// Files the CLI writes for people (`--out`): reports and exported histories. Checked before any work
// is done, and written whole or not at all, with the mode asked for whatever was there before.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Why `--out <file>` cannot be written, for an exit-2 message; undefined when it can. */
export async function outFileProblem(out: string): Promise<string | undefined> {
  const target = path.resolve(out);
  const parent = await fs.stat(path.dirname(target)).catch(() => undefined);
  if (!parent?.isDirectory()) return `--out ${out}: directory ${path.dirname(target)} does not exist`;
  // A directory would be found only at the rename, after the work, with a temporary file left beside it.
  const existing = await fs.stat(target).catch(() => undefined);
  if (existing?.isDirectory()) return `--out ${out} is a directory: name the file to write, e.g. ${path.join(out, 'report')}`;
  return undefined;
}

/**
 * Writes `text` to `file` through a temporary file in the same directory (a rename is atomic only
 * within one file system), created new with `mode` — writing over an existing file would keep its
 * mode, and a reader could see half a file. On failure the temporary file is removed.
 */
export async function writeFileAtomic(file: string, text: string, mode: number): Promise<void> {
  const target = path.resolve(file);
  const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(tmp, text, { encoding: 'utf8', mode, flag: 'wx' });
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.unlink(tmp).catch(() => undefined);
    throw err;
  }
}
