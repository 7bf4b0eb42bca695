// The stack file a running embedded stack (`npm run dev`, the demo, the test stack) writes for its
// clients: the CLI finds the stack through it. Here, not in dev/, so the CLI reads it without
// depending on the code that starts stacks.
import path from 'node:path';

/** The repository root (the CLI's default `.data/stack.json` lives under it). */
export const REPO_ROOT = path.resolve(__dirname, '..');

export const STACK_FILE = 'stack.json';

/** What a running stack tells its clients (the CLI, tests). No secrets: sandbox keys stay in sandbox.json. */
export interface StackInfo {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  awsEndpoint: string;
  region: string;
  policyFile: string;
  dataDir: string;
  evidenceDir: string;
  sandboxFile: string;
  uiUrl?: string;
  apiUrl?: string;
  /** The embedded api's server id: random per data dir, kept in `<dataDir>/api-server-id`. */
  apiServerId?: string;
  /** The payload codec's key file (sandbox key, mode 0600). */
  codecKeyFile: string;
  pid: number;
  startedAt: string;
}

