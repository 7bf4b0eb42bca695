// The configuration doctor checks: the environment as it is (production: environment only), or,
// when TEMPORAL_ADDRESS is not set and a dev stack is running, the environment that stack gives its
// worker (dev/stack.ts spawnWorker): the same rule the other commands follow (cli/context.ts).
import fs from 'node:fs';
import { processAlive, workerEnvironment } from '../../config/stack-file';
import type { StackInfo } from '../../config/stack-file';
import type { SandboxFile } from '../../sandbox';
import { defaultStackFile, findRunningStack } from '../context';

export interface DoctorEnvironment {
  env: NodeJS.ProcessEnv;
  /** For the report's first line. */
  source: string;
  /** Set when the configuration came from a dev stack's file. */
  stack?: { file: string; info: StackInfo; running: boolean };
}

/** Variables a dev stack sets for its worker: none of the shell's may leak in (a stray AWS_SESSION_TOKEN or codec key would not be the worker's). */
const STACK_OWNED = /^(?:TEMPORAL|SAFEGUARD|AWS)_/;

/** The environment the stack's worker runs with, plus the api the CLI would use; everything else (SLACK_*, PATH…) from `base`. */
export function workerEnvFromStack(info: StackInfo, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  let broker: SandboxFile['broker'] | undefined;
  try {
    broker = (JSON.parse(fs.readFileSync(info.sandboxFile, 'utf8')) as SandboxFile).broker;
  } catch {
    // No sandbox file: the AWS check then fails for want of credentials, which names the problem.
  }
  const kept = Object.fromEntries(Object.entries(base).filter(([name]) => !STACK_OWNED.test(name)));
  return {
    ...workerEnvironment(info, broker),
    // The shell's own PATH, HOME, LOG_LEVEL and Slack settings: the stack's worker gets the same.
    ...kept,
    ...(info.apiUrl ? { SAFEGUARD_API_URL: info.apiUrl } : {}),
    ...(info.apiServerId ? { SAFEGUARD_API_SERVER_ID: info.apiServerId } : {}),
  };
}

export function doctorEnvironment(base: NodeJS.ProcessEnv = process.env, stackFile: string = defaultStackFile()): DoctorEnvironment {
  if (base.TEMPORAL_ADDRESS) return { env: base, source: 'the environment (TEMPORAL_ADDRESS is set)' };
  let info: StackInfo | undefined;
  try {
    info = findRunningStack(stackFile);
  } catch (err) {
    return { env: base, source: `the environment (the stack file ${stackFile} is unreadable: ${err instanceof Error ? err.message : String(err)})` };
  }
  if (!info) return { env: base, source: 'the environment (no TEMPORAL_ADDRESS and no running dev stack: defaults apply)' };
  const running = processAlive(info.pid);
  return {
    env: workerEnvFromStack(info, base),
    source: `the dev stack in ${stackFile}, with the environment its worker gets${running ? '' : ` (its process ${info.pid} is not running: start it with npm run dev)`}`,
    stack: { file: stackFile, info, running },
  };
}
