import fs from 'node:fs';

export default async function teardown(): Promise<void> {
  const stack = globalThis.__SAFEGUARD_STACK__;
  if (!stack) return;
  await stack.stop();
  if (!process.env.SAFEGUARD_KEEP_TEST_DATA) fs.rmSync(stack.info.dataDir, { recursive: true, force: true });
}
