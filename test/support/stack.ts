// Access to the integration tier's running stack from a test file.
import fs from 'node:fs';
import { readStackFile } from '../../dev/stack';
import type { StackInfo } from '../../dev/stack';
import type { SandboxFile } from '../../sandbox';

export function testStack(): StackInfo {
  const file = process.env.SAFEGUARD_TEST_STACK_FILE;
  if (!file) throw new Error('SAFEGUARD_TEST_STACK_FILE is not set: run integration tests through jest --selectProjects integration');
  return readStackFile(file);
}

export function sandboxSeed(info: StackInfo): SandboxFile {
  return JSON.parse(fs.readFileSync(info.sandboxFile, 'utf8')) as SandboxFile;
}
