// What doctor's checks hand on to the checks after them: the parsed environment, the policy, the key
// ring, the Temporal connection, the broker's identity. A check reads only what the checks it
// `needs` produced (the runner skips it otherwise), so `need` failing is a bug in the check list.
import type { Client, Connection } from '@temporalio/client';
import type { AwsClients } from '../../activities/aws/clients';
import type { KeyRing } from '../../codec';
import type { Env } from '../../config/env';
import type { Policy } from '../../config/policy/types';
import type { TemporalTarget } from '../../config/temporal';
import type { DoctorEnvironment } from './environment';

export interface DoctorState {
  readonly env: NodeJS.ProcessEnv;
  readonly stack: DoctorEnvironment['stack'];
  /** How long one check may take; connects get part of it. */
  readonly timeoutMs: number;
  parsed?: Env;
  policy?: Policy;
  policyFile?: string;
  keyring?: KeyRing;
  target?: TemporalTarget;
  connection?: Connection;
  client?: Client;
  aws?: { clients: AwsClients; brokerArn: string };
  /** Run when doctor is done, whatever happened (connections, SDK clients). */
  readonly cleanups: Array<() => Promise<void> | void>;
}

export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`doctor: ${what} is not available (a check ran before the one that provides it)`);
  return value;
}

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
